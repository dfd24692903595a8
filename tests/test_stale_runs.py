"""Runs left executing by a process that is gone: the owner note and ``stale_runs``.

``stale_runs`` is pure; the tests hand it the process table ``verify`` would
read. One test checks the whole story with a real process that exits.
"""

from __future__ import annotations

import os

import pytest

from a3s_store import AgentSession, MemorySessionStore, RunRecord, RunSnapshot
from a3s_store._run_owner import (
    DEFAULT_SLACK_MS,
    RunOwner,
    StaleRun,
    owner_of,
    owner_pids,
    stale_runs,
    this_process,
)

NOW = 1_800_000_000_000
HOST = "here"


def run(run_id="r", *, status="executing", owner=None, updated_at_ms=NOW,
        note=None) -> RunRecord:
    extra = {}
    if owner is not None or note is not None:
        extra["a3s_store"] = {"owner": note if note is not None else owner.to_dict()}
    return RunRecord(snapshot=RunSnapshot(id=run_id, session_id="s", status=status,
                                          updated_at_ms=updated_at_ms, extra=extra))


def owner(pid=100, host=HOST, alive_at_ms=NOW - 60_000) -> RunOwner:
    return RunOwner(host=host, pid=pid, alive_at_ms=alive_at_ms)


def stale(records, processes, **kw):
    return [(s.run_id, s.reason) for s in
            stale_runs(records, now_ms=NOW, this_host=HOST, processes=processes, **kw)]


def test_a_run_whose_process_is_not_running_is_stale():
    [found] = stale_runs([run(owner=owner())], now_ms=NOW, this_host=HOST, processes={})
    assert found == StaleRun(session_id="s", run_id="r", reason="process gone", owner=owner())


def test_a_pid_now_running_a_later_process_is_stale():
    o = owner()
    assert stale([run(owner=o)], {100: o.alive_at_ms + DEFAULT_SLACK_MS + 1}) == \
        [("r", "pid reused")]


@pytest.mark.parametrize("started", [None, NOW - 3_600_000, NOW - 60_000 + DEFAULT_SLACK_MS])
def test_a_run_whose_owner_may_be_alive_is_not_stale(started):
    # Started before alive_at_ms (the owner), within the slack, or unknown.
    assert stale([run(owner=owner())], {100: started}) == []


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_runs_that_ended_are_never_stale(status):
    assert stale([run(owner=owner(), status=status)], {}) == []


@pytest.mark.parametrize("status", ["created", "planning", "verifying"])
def test_every_unfinished_status_counts(status):
    assert stale([run(owner=owner(), status=status)], {}) == [("r", "process gone")]


def test_owners_that_cannot_be_checked_here_are_stale_only_when_idle():
    records = [run("other-host", owner=owner(host="elsewhere"), updated_at_ms=NOW - 10_000),
               run("no-owner", updated_at_ms=NOW - 10_000),
               run("bad-note", note={"host": HOST, "pid": "100"}, updated_at_ms=NOW - 10),
               run("recent", owner=owner(host="elsewhere"), updated_at_ms=NOW - 10)]
    assert stale(records, {}) == []
    assert stale(records, {}, idle_ms=5_000) == [("other-host", "idle"), ("no-owner", "idle")]


def test_an_owner_alive_here_is_not_stale_however_idle():
    assert stale([run(owner=owner(), updated_at_ms=0)], {100: None}, idle_ms=1) == []


def test_owner_pids_names_the_processes_to_look_up():
    records = [run("a", owner=owner(pid=1)), run("b", owner=owner(pid=2, host="elsewhere")),
               run("c", owner=owner(pid=3), status="completed"), run("d")]
    assert owner_pids(records, HOST) == {1}


def test_malformed_owner_notes_read_as_no_owner():
    for note in ("x", {"host": HOST}, {"host": HOST, "pid": True, "alive_at_ms": 1},
                 {"host": 1, "pid": 1, "alive_at_ms": 1}):
        assert owner_of(run(note=note).snapshot) is None


def _process_table(pids) -> dict:
    """What verify would read: the running pids (start times unknown here)."""
    table = {}
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass
        table[pid] = None
    return table


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")
def test_a_run_left_by_a_process_that_exited_is_found(tmp_path):
    from a3s_store import FileSessionStore
    root = tmp_path / "store"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child starts a run and dies in it
        try:
            session = AgentSession(session_id="s", auto_save=True, store=FileSessionStore(root))
            session.start_run("go", run_id="orphan")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    store = FileSessionStore(root)
    mine = AgentSession(session_id="t", auto_save=True, store=store)
    mine.start_run("mine", run_id="alive")
    records = [*store.load_snapshot("s").run_records, *store.load_snapshot("t").run_records]
    assert owner_of(records[0].snapshot).pid == pid  # the child noted its own pid
    host = this_process().host
    found = stale_runs(records, now_ms=NOW, this_host=host,
                       processes=_process_table(owner_pids(records, host)))
    assert [(s.session_id, s.run_id, s.reason) for s in found] == [("s", "orphan",
                                                                   "process gone")]


def test_this_process_is_noted_before_its_first_run():
    me = this_process()
    assert me.pid == os.getpid()
    session = AgentSession(session_id="s", store=MemorySessionStore())
    record = session.start_run("go").record
    assert owner_of(record.snapshot) == me
    assert me.alive_at_ms <= record.snapshot.created_at_ms
