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

>>> from . import AgentSession, MemorySessionStore, resume_session
>>> store = MemorySessionStore()
>>> live = AgentSession(session_id="chat-1", model="openai/gpt-4o", store=store)
>>> revision = live.save()
>>> resumed = resume_session(store, "chat-1")
>>> resumed.model, resumed.persistence.baseline.llm_config.provider
('openai/gpt-4o', 'openai')
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ._helper_common import Recorded
from ._identity import check_generation
from ._run_meta import releases, set_releases
from .errors import ConflictError, InvalidDataError
from .generation import build_session_data_snapshot
from .records import LlmCostRecord, Message, SessionData, StorageBackend, TokenUsage
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

    >>> from . import AgentSession, MemorySessionStore, TokenUsage
    >>> store = MemorySessionStore()
    >>> live = AgentSession(session_id="s", store=store)
    >>> live.persistence.record_usage(TokenUsage(prompt_tokens=10, total_tokens=10))
    >>> _ = live.save(); _ = live.save()  # counted once, not once per save
    >>> store.load("s").total_usage.prompt_tokens
    10
    """

    def __init__(self, session: PersistableSession, *, baseline: SessionData | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.session = session
        #: The generation this session was restored from or last saved (or None).
        self.baseline = baseline
        #: Returns the current time in epoch seconds (replaceable in tests).
        self.clock = clock
        #: Why the latest auto-save failed, until a save succeeds (None: it did not).
        self.auto_save_error: Exception | None = None
        self._recorded = Recorded()
        # A save that raised, as it was sent, with what it counted: the store
        # may have published it anyway, so the next save looks first.
        self._unsettled: tuple[SessionSnapshot, Recorded] | None = None

    def __repr__(self) -> str:
        revision = None if self.baseline is None else self.baseline.revision
        return (f"SessionPersistence(session_id={self.session.session_id!r}, "
                f"revision={revision!r})")

    @property
    def store(self) -> SessionStore | None:
        """The live session's store (None: nothing is saved)."""
        return self.session.store

    # -- recording ---------------------------------------------------------------------

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
        self._recorded.add(usage, cost, records)

    def record_result(self, result: Any) -> None:
        """Take a finished run's result into the live session.

        ``result`` has ``messages`` (they *replace* the history) and may have
        ``verification_reports`` (appended, skipping reports already held, so
        recording the same result twice does not duplicate them; 3.4 did).
        Usage is not counted here but by :meth:`record_usage`, so recording a
        result twice cannot count it twice.
        """
        self.record_messages(result.messages)
        held = self.session.verification_reports
        for report in getattr(result, "verification_reports", None) or ():
            if report not in held:
                held.append(report)

    def record_messages(self, messages: Iterable[Message]) -> None:
        """Make ``messages`` (a running turn's view of the conversation) the live history.

        a3s-code 9's ``record_messages``: the next save, such as the
        auto-save of :meth:`AgentRun.checkpoint <a3s_store.AgentRun.checkpoint>`,
        writes the history up to this point, in the middle of a run.

        :raises InvalidDataError: an item that is not a :class:`~a3s_store.Message`.
        """
        messages = list(messages)
        for index, message in enumerate(messages):
            if not isinstance(message, Message):
                raise InvalidDataError(f"messages[{index}] is a {type(message).__name__}, "
                                       "not a Message", session_id=self.session.session_id)
        self.session.history = messages

    # -- saving ------------------------------------------------------------------------

    def snapshot(self) -> SessionSnapshot:
        """The generation a save would write now (checked like a loaded one).

        :raises InvalidDataError: the live session holds a run of another
            session, duplicate run ids, a bad event sequence, or a subagent
            task of another parent (it could not be resumed).
        """
        session = self.session
        store = self.store
        backend = store.backend_name() if store is not None else "file"
        recorded = self._recorded
        if self._unsettled is not None:  # the baseline does not hold it either way yet
            recorded = self._unsettled[1].plus(recorded)
        data = build_session_data_snapshot(
            session, self.baseline, usage=recorded.usage, cost=recorded.cost,
            cost_records=recorded.cost_records,
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

        A save that raises anything else may still have been published (an
        fsync that failed after the store's renames). The error is raised
        (the store did not promise the save is durable), and the next save
        first finds out: it loads the stored generation and, if that is the
        one sent (compared by value, which works on any backend), adopts its
        revision; so saving goes on from whatever is stored instead of
        conflicting for ever. Until then nothing is saved blind: if the store
        cannot be read, that save raises too.

        :raises ConflictError: see above.
        :raises InvalidDataError: the live session cannot be written (see
            :meth:`snapshot`).
        """
        store = self.store
        if store is None:
            return None
        self._settle(store)  # a save that raised: raises while its outcome is unknown
        snapshot = self.snapshot()
        sent, self._recorded = self._recorded, Recorded()
        try:
            revision = store.save_snapshot(snapshot, **self._expectation(overwrite))
        except ConflictError as exc:
            self._recorded = sent.plus(self._recorded)
            raise ConflictError(
                f"{exc.message}; resume the session to continue what is stored, or save "
                "with overwrite=True to replace it", session_id=snapshot.session.id,
                path=exc.path) from exc
        except BaseException:
            # Frozen as sent: the live objects it shares change as the run goes on.
            self._unsettled = (copy.deepcopy(snapshot), sent)
            raise
        self._saved(snapshot.session, revision)
        self._release(store)  # only after a clean save: a published one may not be durable
        logger.debug("saved session %r (revision %s)", snapshot.session.id, revision)
        return revision

    def _expectation(self, overwrite: bool) -> dict[str, Any]:
        if overwrite:
            return {}
        if self.baseline is None:
            return {"create_only": True}
        if self.baseline.revision is not None:
            return {"expected_revision": self.baseline.revision}
        return {}

    def _saved(self, data: SessionData, revision: str | None) -> None:
        data.revision = revision
        self.baseline = data
        self.auto_save_error = None

    def _settle(self, store: SessionStore) -> None:
        """Find out whether the save that raised was published; adopt it if so."""
        if self._unsettled is None:
            return
        attempted, sent = self._unsettled
        stored = store.load_snapshot(attempted.session.id)
        self._unsettled = None
        if stored is not None and stored == attempted:
            self._saved(attempted.session, stored.revision)
            logger.warning("the failed save of session %r was published (revision %s); "
                           "saving goes on from it", attempted.session.id, stored.revision)
        else:  # not published: what it counted is still to be saved
            self._recorded = sent.plus(self._recorded)

    def auto_save_if_enabled(self) -> bool:
        """Save if the session's ``auto_save`` is set; return whether it saved.

        Never raises: a failed save is logged as a warning and kept in
        :attr:`auto_save_error` until a later save succeeds (the agent loop
        goes on; the next save writes everything again, so a later success
        leaves nothing unsaved). Check ``auto_save_error`` (or save
        explicitly, which raises) to know the stored session is behind.
        """
        try:
            if not self.session.auto_save or self.store is None:
                return False
            self.save()
            return True
        except Exception as exc:  # never let an auto-save stop the agent loop
            self.auto_save_error = exc
            logger.warning("auto-save of session %r failed: %s",
                           getattr(self.session, "session_id", None), exc)
            return False

    def fork(self, new_id: str, *, workspace: str | None = None) -> SessionSnapshot:
        """Save the live state as a new session ``new_id`` (create-only); return it.

        The fork is :meth:`SessionSnapshot.fork_for_session
        <a3s_store.SessionSnapshot.fork_for_session>` of what :meth:`save`
        would write now, with its revision set. This session, and what the
        store holds for it, are not touched.

        :raises InvalidDataError: no store, or see ``fork_for_session``.
        :raises ConflictError: a session ``new_id`` already exists.
        """
        store = self.store
        if store is None:
            raise InvalidDataError("cannot fork a session that has no store",
                                   session_id=self.session.session_id)
        fork = self.snapshot().fork_for_session(new_id, workspace)
        fork.revision = fork.session.revision = store.save_snapshot(fork, create_only=True)
        return fork

    # -- checkpoints -------------------------------------------------------------------

    def _release(self, store: SessionStore) -> None:
        """Delete the checkpoints that the runs of the generation just saved no
        longer need (their ``release`` notes, see ``_run_meta``)."""
        for record in self.session.run_records:
            loops, workflows = releases(record.snapshot)
            if loops or workflows:
                # What could not be deleted stays noted, for the next save.
                set_releases(record.snapshot,
                             [k for k in loops if not self._delete_checkpoint(store, "loop", k)],
                             [k for k in workflows
                              if not self._delete_checkpoint(store, "workflow", k)])

    def clear_loop_checkpoint(self, run_id: str) -> None:
        """Delete the loop checkpoint of a run that ended; never raises.

        Called when a run ends in-process (completed, failed or cancelled). A
        failure is logged as a warning: a leftover checkpoint costs space,
        not correctness.
        """
        store = self.store
        if store is not None:
            self._delete_checkpoint(store, "loop", run_id)

    def clear_workflow_checkpoint(self, workflow_id: str) -> None:
        """Delete the checkpoint of a workflow that completed; never raises (as
        :meth:`clear_loop_checkpoint`)."""
        store = self.store
        if store is not None:
            self._delete_checkpoint(store, "workflow", workflow_id)

    def _delete_checkpoint(self, store: SessionStore, kind: str, key: str) -> bool:
        try:
            if kind == "loop":
                store.delete_loop_checkpoint(key)
            else:
                store.delete_workflow_checkpoint(key)
            return True
        except Exception as exc:  # cleanup must not turn a finished run into an error
            what = "run" if kind == "loop" else "workflow"
            logger.warning("could not delete the %s checkpoint of %s %r: %s",
                           kind, what, key, exc)
            return False

    def _adopt(self, data: SessionData) -> None:
        """Make ``data`` (just restored) the baseline; drop what was recorded."""
        self.baseline = data
        self._recorded = Recorded()
        self._unsettled = None
