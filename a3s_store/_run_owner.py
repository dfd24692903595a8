"""Who runs a run, and which runs a process that is gone left executing (internal).

Each run the helper starts notes its owner (``_run_meta``): the host name,
the pid, and ``alive_at_ms``, a moment at which that process was known to
be running (when ``a3s_store`` was imported, or first used in a forked
child). A pid alone does not name a process for long: the system reuses
it. But a process that reuses the pid starts after the owner died, so after
``alive_at_ms``; the owner itself started before it. Hence the test of
:func:`stale_runs`, which needs no clock agreement beyond the slack that
absorbs the coarse start times some systems report:

* the owner ran on this host and its pid is not running: gone;
* the pid runs, but its process started after ``alive_at_ms`` (+ slack):
  the pid was reused, the owner is gone;
* otherwise the owner may be alive (or its host is another one): not stale,
  unless ``idle_ms`` is given and the run has not changed for that long
  while its owner cannot be checked here.

:func:`stale_runs` is pure: the caller (``verify``) reads the process table
(:func:`owner_pids` says which pids it needs) and passes it in.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from os import getpid  # the pid names the owner; the helper never touches a path
from typing import Any

from ._helper_common import ENDED
from ._run_meta import notes
from .records import RunRecord, RunSnapshot

__all__ = ["DEFAULT_SLACK_MS", "RunOwner", "StaleRun", "owner_of", "owner_pids", "stale_runs",
           "this_process"]

#: How much later than ``alive_at_ms`` a process may seem to start and still
#: be the owner (Linux reports start times from a boot time in whole seconds).
DEFAULT_SLACK_MS = 2_000


@dataclass(frozen=True, slots=True)
class RunOwner:
    """The process that runs a run: ``host``, ``pid``, and ``alive_at_ms``
    (epoch ms at which it was known to run; never before its start)."""

    host: str
    pid: int
    alive_at_ms: int

    def to_dict(self) -> dict[str, Any]:
        """The note written in the run's ``extra``."""
        return {"host": self.host, "pid": self.pid, "alive_at_ms": self.alive_at_ms}

    @classmethod
    def from_note(cls, value: object) -> RunOwner | None:
        """The owner a note names, or None for a missing or malformed note."""
        if type(value) is not dict:
            return None
        host, pid, alive = value.get("host"), value.get("pid"), value.get("alive_at_ms")
        if type(host) is not str or type(pid) is not int or type(alive) is not int:
            return None
        return cls(host=host, pid=pid, alive_at_ms=alive)


_this = RunOwner(host=socket.gethostname(), pid=getpid(), alive_at_ms=int(time.time() * 1000))


def this_process() -> RunOwner:
    """The owner to note for a run started now by this process."""
    global _this
    pid = getpid()
    if pid != _this.pid:  # a forked child: its own pid, known alive from now on
        _this = RunOwner(host=_this.host, pid=pid, alive_at_ms=int(time.time() * 1000))
    return _this


def owner_of(snapshot: RunSnapshot) -> RunOwner | None:
    """The owner noted in a run snapshot (None: not started by a3s_store)."""
    return RunOwner.from_note(notes(snapshot).get("owner"))


@dataclass(frozen=True, slots=True)
class StaleRun:
    """A run left unfinished whose owner is gone: ``reason`` is
    ``"process gone"``, ``"pid reused"`` or ``"idle"``."""

    session_id: str
    run_id: str
    reason: str
    owner: RunOwner | None


def _unfinished(run_records: Iterable[RunRecord]) -> Iterator[RunSnapshot]:
    return (r.snapshot for r in run_records if r.snapshot.status not in ENDED)


def owner_pids(run_records: Iterable[RunRecord], this_host: str) -> set[int]:
    """The pids :func:`stale_runs` needs in its ``processes`` table."""
    return {owner.pid for snap in _unfinished(run_records)
            if (owner := owner_of(snap)) is not None and owner.host == this_host}


def stale_runs(run_records: Iterable[RunRecord], *, now_ms: int, this_host: str,
               processes: Mapping[int, int | None], idle_ms: int | None = None,
               slack_ms: int = DEFAULT_SLACK_MS) -> list[StaleRun]:
    """The unfinished runs (not completed, failed or cancelled) whose owner is gone.

    ``processes`` maps each running pid of :func:`owner_pids` to its start
    time in epoch ms (None when unknown); a pid it lacks is not running.
    With ``idle_ms``, a run whose owner cannot be checked
    here (another host, or no owner noted) is stale once unchanged for
    longer than ``idle_ms``. No I/O.

    >>> from . import RunRecord, RunSnapshot
    >>> run = RunRecord(snapshot=RunSnapshot(id="r", session_id="s", status="executing",
    ...                 extra={"a3s_store": {"owner": {"host": "h", "pid": 7,
    ...                                                "alive_at_ms": 1000}}}))
    >>> [s.reason for s in stale_runs([run], now_ms=5000, this_host="h", processes={})]
    ['process gone']
    >>> stale_runs([run], now_ms=5000, this_host="h", processes={7: 900})  # the owner
    []
    >>> [s.reason for s in stale_runs([run], now_ms=65000, this_host="h",
    ...                                processes={7: 60_000})]
    ['pid reused']
    """
    found = []
    for snap in _unfinished(run_records):
        owner = owner_of(snap)
        reason = None
        if owner is not None and owner.host == this_host:
            if owner.pid not in processes:
                reason = "process gone"
            elif (started := processes[owner.pid]) is not None and \
                    started > owner.alive_at_ms + slack_ms:
                reason = "pid reused"
        elif idle_ms is not None and now_ms - snap.updated_at_ms > idle_ms:
            reason = "idle"
        if reason is not None:
            found.append(StaleRun(session_id=snap.session_id, run_id=snap.id, reason=reason,
                                  owner=owner))
    return found
