"""The persistence helper: snapshot a live agent session, save it in one call, restore it.

The port of a3s-code-core 3.4's ``session_persistence.rs`` (format.md §3.7),
synchronous, with the gaps of its §5 (items 21-31) closed:

* :meth:`SessionPersistence.save` is **one** ``save_snapshot`` call: the
  session file and its artifacts, traces, runs, verification reports and
  subagent tasks are published as one generation, never six separate writes.
* Re-saving is lossless: what the live session does not own (name, state,
  tasks, parent id, thinking settings, ``created_at``...) is carried over from
  the previous generation, and usage, cost and cost records accumulate
  (see :func:`build_session_data_snapshot` for where each field comes from).
* A save never overwrites a generation it has not seen: the first save of a
  session is create-only and later saves pass the revision they last saw, so
  another process's save in between raises :class:`~a3s_store.ConflictError`
  instead of being lost (``save(overwrite=True)`` takes over on purpose).
* Restore (``restore.py``) checks the data before it touches the live
  session (the store is keyed by the caller, and a backend may be wrong; see
  ``_identity``), then *replaces* every component alike, with the artifact
  limits the snapshot needs and the configured trace retention.
* ``api_key`` and ``base_url`` never reach disk.

This module uses only the public :class:`~a3s_store.SessionStore` API: it
never reads JSON or touches a path. It logs through
``logging.getLogger(__name__)`` (a warning when one of the two calls that
must not raise fails; debug otherwise) and never configures logging.

The pieces, each importing only those before it (no import cycle):
``persistable.py`` (the protocol a session object implements),
``generation.py`` (the ``SessionData`` a save writes),
``session_options.py`` (what a resumed session is built from), this module
(saving), ``restore.py`` (checking and restoring a generation),
``agent_run.py`` (runs and their checkpoints), ``agent_session.py`` (the
plain live session) and ``resume.py`` (load, check, build, restore).

>>> from a3s_store import AgentSession, MemorySessionStore, resume_session
>>> store = MemorySessionStore()
>>> live = AgentSession(session_id="chat-1", model="openai/gpt-4o", store=store)
>>> revision = live.save()
>>> resumed = resume_session(store, "chat-1")
>>> resumed.model, resumed.persistence.baseline.llm_config.provider
('openai/gpt-4o', 'openai')
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any, Iterable

from ._helper_common import sum_usage
from ._identity import check_generation
from .errors import ConflictError, InvalidDataError
from .generation import build_session_data_snapshot
from .records import LlmCostRecord, SessionData, StorageBackend, TokenUsage
from .snapshot import SessionSnapshot
from .store import SessionStore

if TYPE_CHECKING:
    from .persistable import PersistableSession

__all__ = ["SessionPersistence"]

logger = logging.getLogger(__name__)

_BACKENDS = {"file": StorageBackend.FILE, "memory": StorageBackend.MEMORY}


# -- the context ------------------------------------------------------------------


class SessionPersistence:
    """The persistence context of one live session: save it, record results, clean up.

    ``session`` is an :class:`~a3s_store.AgentSession` or any object with the
    attributes of :class:`~a3s_store.PersistableSession`; its ``store`` (None:
    saving is a no-op) and ``auto_save`` flag are read at each call.

    The context keeps ``baseline``, the generation the session was restored
    from or last saved, and what was recorded since (usage, cost, cost
    records), so each save is the previous generation plus the live state.

    >>> from a3s_store import AgentSession, MemorySessionStore, TokenUsage
    >>> store = MemorySessionStore()
    >>> live = AgentSession(session_id="s", store=store)
    >>> live.persistence.record_usage(TokenUsage(prompt_tokens=10, total_tokens=10))
    >>> _ = live.save(); _ = live.save()  # counted once, not once per save
    >>> store.load("s").total_usage.prompt_tokens
    10
    """

    def __init__(self, session: PersistableSession, *, baseline: SessionData | None = None,
                 clock=time.time) -> None:
        self.session = session
        #: The generation this session was restored from or last saved (or None).
        self.baseline = baseline
        #: Returns the current time in epoch seconds (replaceable in tests).
        self.clock = clock
        self._usage: TokenUsage | None = None
        self._cost = 0.0
        self._cost_records: list[LlmCostRecord] = []

    def __repr__(self) -> str:
        revision = None if self.baseline is None else self.baseline.revision
        return (f"SessionPersistence(session_id={self.session.session_id!r}, "
                f"revision={revision!r})")

    @property
    def store(self) -> SessionStore | None:
        """The live session's store (None: nothing is saved)."""
        return self.session.store

    def record_usage(self, usage: TokenUsage | None = None, *, cost: float = 0.0,
                     cost_records: Iterable[LlmCostRecord] = ()) -> None:
        """Count tokens, cost and cost records into the next save.

        Each recorded amount is added once to the totals of the previous
        generation (a3s-code 3.4 wrote zeros on every save).

        :raises InvalidDataError: a value that could not be saved (checked
            now, so one bad value cannot make every later save fail).
        """
        records = list(cost_records)
        if usage is not None and not isinstance(usage, TokenUsage):
            raise InvalidDataError(f"usage must be a TokenUsage, not {type(usage).__name__}")
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not math.isfinite(cost):
            raise InvalidDataError(f"cost must be a finite number, got {cost!r}")
        for record in records:
            if not isinstance(record, LlmCostRecord):
                raise InvalidDataError(f"cost records must be LlmCostRecord, "
                                       f"not {type(record).__name__}")
            record.to_dict()  # raises for a value the file could not hold
        if usage is not None:
            usage.to_dict()
            self._usage = sum_usage(self._usage or TokenUsage(), usage)
        self._cost += cost
        self._cost_records.extend(records)

    def record_result(self, result: Any) -> None:
        """Take a finished run's result into the live session.

        ``result`` has ``messages`` (they *replace* the history) and may have
        ``verification_reports`` (appended, skipping reports already held, so
        recording the same result twice does not duplicate them; 3.4 did).
        Usage is not counted here but by :meth:`record_usage`, so recording a
        result twice cannot count it twice.
        """
        self.session.history = list(result.messages)
        held = self.session.verification_reports
        for report in getattr(result, "verification_reports", None) or ():
            if report not in held:
                held.append(report)

    def snapshot(self) -> SessionSnapshot:
        """The generation a save would write now (checked like a loaded one).

        :raises InvalidDataError: the live session holds a run of another
            session, duplicate run ids, a bad event sequence, or a subagent
            task of another parent (it could not be resumed).
        """
        session = self.session
        store = self.store
        backend = store.backend_name() if store is not None else "file"
        data = build_session_data_snapshot(
            session, self.baseline, usage=self._usage, cost=self._cost,
            cost_records=self._cost_records,
            storage_type=_BACKENDS.get(backend, StorageBackend.CUSTOM), now=int(self.clock()))
        runs = list(session.run_records)
        tasks = list(session.subagent_tasks)
        check_generation(session.session_id, data.id, runs, tasks, error=InvalidDataError)
        return SessionSnapshot(session=data, artifacts=session.artifacts,
                               trace_events=list(session.trace_events), run_records=runs,
                               verification_reports=list(session.verification_reports),
                               subagent_tasks=tasks)

    def save(self, *, overwrite: bool = False) -> str | None:
        """Save the live session as one generation; return the store's revision.

        Exactly one ``store.save_snapshot`` call. No store: nothing happens
        and None is returned. The first save of a session is create-only and
        later saves expect the revision this context last saw, so a session
        that another writer created or saved meanwhile raises
        :class:`~a3s_store.ConflictError` and nothing is written;
        ``overwrite=True`` saves anyway.

        :raises ConflictError: see above.
        :raises InvalidDataError: the live session cannot be written (see
            :meth:`snapshot`).
        """
        store = self.store
        if store is None:
            return None
        snapshot = self.snapshot()
        kwargs: dict[str, Any] = {}
        if not overwrite:
            if self.baseline is None:
                kwargs["create_only"] = True
            elif self.baseline.revision is not None:
                kwargs["expected_revision"] = self.baseline.revision
        try:
            revision = store.save_snapshot(snapshot, **kwargs)
        except ConflictError as exc:
            raise ConflictError(
                f"{exc.message}; resume the session to continue what is stored, or save "
                "with overwrite=True to replace it", session_id=snapshot.session.id,
                path=exc.path) from exc
        snapshot.session.revision = revision
        self.baseline = snapshot.session
        self._usage, self._cost, self._cost_records = None, 0.0, []
        logger.debug("saved session %r (revision %s)", snapshot.session.id, revision)
        return revision

    def auto_save_if_enabled(self) -> bool:
        """Save if the session's ``auto_save`` is set; return whether it saved.

        Never raises: a failed save is logged as a warning (the agent loop
        goes on; the next save retries everything).
        """
        try:
            if not self.session.auto_save or self.store is None:
                return False
            self.save()
            return True
        except Exception as exc:  # never let an auto-save stop the agent loop
            logger.warning("auto-save of session %r failed: %s",
                           getattr(self.session, "session_id", None), exc)
            return False

    def clear_loop_checkpoint(self, run_id: str) -> None:
        """Delete the loop checkpoint of a run that ended; never raises.

        Called when a run ends in-process (completed, failed or cancelled). A
        failure is logged as a warning: a leftover checkpoint costs space,
        not correctness.
        """
        try:
            store = self.store
            if store is not None:
                store.delete_loop_checkpoint(run_id)
        except Exception as exc:  # cleanup must not turn a finished run into an error
            logger.warning("could not delete the loop checkpoint of run %r: %s", run_id, exc)

    def _adopt(self, data: SessionData) -> None:
        """Make ``data`` (just restored) the baseline; drop what was recorded."""
        self.baseline = data
        self._usage, self._cost, self._cost_records = None, 0.0, []

