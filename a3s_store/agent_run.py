"""One run of an agent loop on a live session: its run record, events and loop checkpoints.

A run is what a3s-code persists between saves so that an interrupted run can
go on: after each tool round the loop saves a *loop checkpoint* (the
conversation so far, usage, tool-call count) under the run id. When the run
ends in-process (completed, failed or cancelled) its checkpoint is deleted;
when the process dies instead, the checkpoint stays, and
:func:`resume_run` picks the run up from it.

>>> from a3s_store import AgentSession, MemorySessionStore
>>> store = MemorySessionStore()
>>> live = AgentSession(session_id="s", store=store)
>>> with live.start_run("list the files", run_id="run-1") as run:
...     _ = run.add_event({"type": "turn_start", "turn": 1})
...     _ = run.checkpoint()                       # after a tool round
...     store.load_loop_checkpoint("run-1").turn
...     result = run.complete("three files")
1
>>> store.load_loop_checkpoint("run-1") is None, str(live.run_records[0].snapshot.status)
(True, 'completed')
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._helper_common import copy_usage, sum_usage
from ._identity import check_loop_checkpoint_owner
from .errors import CheckpointNotFoundError, InvalidDataError
from .persistence import SessionPersistence
from .records import (
    LoopCheckpoint,
    Message,
    RunEventRecord,
    RunRecord,
    RunSnapshot,
    RunStatus,
    TokenUsage,
    VerificationReport,
)

if TYPE_CHECKING:
    from .persistable import PersistableSession

__all__ = ["AgentResult", "AgentRun", "resume_run"]

_ENDED = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)


@dataclass(slots=True, kw_only=True)
class AgentResult:
    """What a finished run hands back: its final text, the whole conversation,
    its token usage, tool-call count and verification reports."""

    text: str = ""
    messages: list[Message] = field(default_factory=list)
    usage: TokenUsage = field(default_factory=TokenUsage)
    tool_calls_count: int = 0
    verification_reports: list[VerificationReport] = field(default_factory=list)


class AgentRun:
    """A run in progress: add events and checkpoints, then end it once.

    Appends its :class:`~a3s_store.RunRecord` (status ``executing``) to
    ``session.run_records`` when created. End it with :meth:`complete`,
    :meth:`fail` or :meth:`cancel`, or use it as a context manager: leaving
    the block ends the run (completed; failed on an exception; cancelled on
    ``KeyboardInterrupt``). Ending a run counts its usage, merges its
    verification reports into the session, auto-saves the session if enabled
    and then deletes the run's loop checkpoint (and, for a resumed run, the
    checkpoint it was resumed from).
    """

    def __init__(self, session: PersistableSession, prompt: str, *, run_id: str | None = None,
                 persistence: SessionPersistence | None = None, resumed_from: str | None = None,
                 checkpoint: LoopCheckpoint | None = None, clock=time.time) -> None:
        self.session = session
        self.persistence = persistence if persistence is not None else SessionPersistence(session)
        self.clock = clock
        #: The run this one continues (its checkpoint is deleted when this run ends).
        self.resumed_from = resumed_from
        #: Tool rounds done (1-based, as ``LoopCheckpoint.turn``; 0: none yet).
        self.turn = 0
        #: Tokens used by this run (and the run it continues).
        self.usage = TokenUsage()
        self.tool_calls_count = 0
        self.verification_reports: list[VerificationReport] = []
        if checkpoint is not None:
            self.turn = checkpoint.turn
            self.usage = copy_usage(checkpoint.total_usage)
            self.tool_calls_count = checkpoint.tool_calls_count
            self.verification_reports = list(checkpoint.verification_reports)
        now = self._now_ms()
        self.record = RunRecord(snapshot=RunSnapshot(
            id=run_id if run_id is not None else f"run-{secrets.token_hex(8)}",
            session_id=session.session_id, status=RunStatus.EXECUTING, prompt=prompt,
            created_at_ms=now, updated_at_ms=now))
        session.run_records.append(self.record)

    def __repr__(self) -> str:
        return f"AgentRun(run_id={self.run_id!r}, status={str(self.status)!r}, turn={self.turn})"

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @property
    def run_id(self) -> str:
        """This run's id."""
        return self.record.snapshot.id

    @property
    def status(self) -> RunStatus:
        """``executing`` until the run ends."""
        return self.record.snapshot.status

    def add_event(self, event: Any) -> RunEventRecord:
        """Record an agent event (opaque JSON, e.g. ``{"type": "text_delta", ...}``)."""
        snap = self.record.snapshot
        entry = RunEventRecord(sequence=snap.event_count, timestamp_ms=self._now_ms(),
                               event=event)
        self.record.events.append(entry)
        snap.event_count += 1
        snap.updated_at_ms = entry.timestamp_ms
        return entry

    def record_usage(self, usage: TokenUsage, *, tool_calls: int = 0) -> None:
        """Count an LLM call's tokens (and the tool calls it made) into this run."""
        self.usage = sum_usage(self.usage, usage)
        self.tool_calls_count += tool_calls

    def checkpoint(self) -> LoopCheckpoint:
        """Save a loop checkpoint after a tool round (``turn`` goes up by one).

        The checkpoint holds the session's history as it is now, this run's
        usage, tool-call count and verification reports; it replaces the
        previous one of this run. Without a store it is only returned.
        Errors of the store propagate (a checkpoint the caller asked for and
        did not get must not go unnoticed).
        """
        self.turn += 1
        checkpoint = LoopCheckpoint(
            run_id=self.run_id, session_id=self.session.session_id, turn=self.turn,
            messages=list(self.session.history), total_usage=copy_usage(self.usage),
            tool_calls_count=self.tool_calls_count,
            verification_reports=list(self.verification_reports),
            checkpoint_ms=self._now_ms())
        store = self.session.store
        if store is not None:
            store.save_loop_checkpoint(self.run_id, checkpoint)
        return checkpoint

    def complete(self, result_text: str | None = None) -> AgentResult:
        """End the run as completed; return its :class:`~a3s_store.AgentResult`."""
        return self._end(RunStatus.COMPLETED, result_text=result_text)

    def fail(self, error: str) -> AgentResult:
        """End the run as failed with an error message."""
        return self._end(RunStatus.FAILED, error=error)

    def cancel(self) -> AgentResult:
        """End the run as cancelled."""
        return self._end(RunStatus.CANCELLED)

    def _end(self, status: RunStatus, *, result_text: str | None = None,
             error: str | None = None) -> AgentResult:
        snap = self.record.snapshot
        if snap.status in _ENDED:
            raise InvalidDataError(f"run {self.run_id!r} already ended ({snap.status})",
                                   session_id=self.session.session_id)
        snap.status = status
        snap.updated_at_ms = self._now_ms()
        snap.result_text = result_text
        snap.error = error
        result = AgentResult(text=result_text or "", messages=list(self.session.history),
                             usage=self.usage, tool_calls_count=self.tool_calls_count,
                             verification_reports=list(self.verification_reports))
        self.persistence.record_result(result)
        self.persistence.record_usage(self.usage)
        # Save first, then delete the checkpoint: a crash in between leaves a
        # spare checkpoint, never a saved "executing" run without one.
        self.persistence.auto_save_if_enabled()
        self.persistence.clear_loop_checkpoint(self.run_id)
        if self.resumed_from is not None:
            self.persistence.clear_loop_checkpoint(self.resumed_from)
        return result

    def __enter__(self) -> AgentRun:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.record.snapshot.status in _ENDED:
            return
        if exc_type is None:
            self.complete()
        elif issubclass(exc_type, KeyboardInterrupt):
            self.cancel()
        else:
            self.fail(f"{exc_type.__name__}: {exc}")


def resume_run(session: PersistableSession, run_id: str, *,
               persistence: SessionPersistence | None = None,
               new_run_id: str | None = None) -> AgentRun:
    """Continue run ``run_id`` of ``session`` from the loop checkpoint its store holds.

    The new run (a fresh id; the same prompt) starts from the checkpoint: the
    session's history becomes the checkpoint's messages, and the run carries
    on its turn, usage, tool-call count and verification reports. The old
    checkpoint stays until the new run ends in-process, so a resume that
    dies too can be resumed again.

    :raises CheckpointNotFoundError: no store, or no checkpoint for the run.
    :raises CorruptDataError: the checkpoint belongs to another run or
        session; the live session is left untouched.
    """
    store = session.store
    checkpoint = store.load_loop_checkpoint(run_id) if store is not None else None
    if checkpoint is None:
        raise CheckpointNotFoundError(f"no loop checkpoint for run {run_id!r}",
                                      session_id=session.session_id)
    check_loop_checkpoint_owner(checkpoint, run_id, session.session_id)
    prompt = next((r.snapshot.prompt for r in session.run_records if r.snapshot.id == run_id),
                  "")
    session.history = list(checkpoint.messages)
    return AgentRun(session, prompt, run_id=new_run_id, persistence=persistence,
                    resumed_from=run_id, checkpoint=checkpoint)
