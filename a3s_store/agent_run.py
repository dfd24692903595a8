"""One run of an agent loop on a live session: its run record, events and checkpoints.

A run is what a3s-code persists between saves so that an interrupted run can
go on: after each tool round the loop saves a *loop checkpoint* (the
conversation so far, usage, tool-call count) under the run id. When the run
ends in-process (completed, failed or cancelled) its checkpoint is deleted;
when the process dies instead, the checkpoint stays, and
:func:`~a3s_store.resume_run` picks the run up from it.

With ``auto_save`` the stored session follows the run: it is saved when the
run starts (so every checkpoint the run writes belongs to a run the stored
session knows), after each checkpoint (the history up to that turn, the
a3s-code 9 mid-run save) and when it ends. A run that belongs to a
*workflow* (``workflow_id``) also saves each completed step in that
workflow's checkpoint, so a resumed or repeated run skips the steps done.

Each run notes its owner process in its record (``_run_owner``), so that
runs left executing by a process that is gone can be told apart.

>>> from . import AgentSession, MemorySessionStore
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._helper_common import ENDED, copy_usage, sum_usage
from ._run_meta import add_releases, write_notes
from ._run_owner import this_process
from .errors import InvalidDataError
from .persistence import SessionPersistence
from .records import (
    LoopCheckpoint,
    Message,
    RunEventRecord,
    RunRecord,
    RunSnapshot,
    RunStatus,
    StepOutcome,
    TokenUsage,
    VerificationReport,
    WorkflowCheckpoint,
    WorkflowStepRecord,
)

if TYPE_CHECKING:
    from .persistable import PersistableSession

__all__ = ["AgentResult", "AgentRun"]


def new_run_id() -> str:
    """A fresh run id (``run-<16 hex>``)."""
    return f"run-{secrets.token_hex(8)}"


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
    """A run in progress: add events, messages, steps and checkpoints, then end it once.

    Appends its :class:`~a3s_store.RunRecord` (status ``executing``) to
    ``session.run_records`` when created. End it with :meth:`complete`,
    :meth:`fail` or :meth:`cancel`, or use it as a context manager: leaving
    the block ends the run (completed; failed on an exception; cancelled on
    ``KeyboardInterrupt``). Ending a run counts its usage, merges its
    verification reports into the session, and deletes its loop checkpoint
    (and those of the runs it continues) and, when it completed, its
    workflow checkpoint. Without ``auto_save`` they are deleted at once
    (a3s-code 3.4); with it, only after the session is saved, so a failed
    save leaves the run resumable.

    ``resumed_from``, ``checkpoint`` and ``continues`` are set by
    :func:`~a3s_store.resume_run`; ``workflow_id`` names the workflow
    checkpoint whose completed steps the run starts with.
    """

    def __init__(self, session: PersistableSession, prompt: str, *, run_id: str | None = None,
                 persistence: SessionPersistence | None = None, resumed_from: str | None = None,
                 checkpoint: LoopCheckpoint | None = None, workflow_id: str | None = None,
                 continues: Iterable[str] = (), clock: Callable[[], float] = time.time) -> None:
        self.session = session
        self.persistence = persistence if persistence is not None else SessionPersistence(session)
        self.clock = clock
        #: The run this one continues (closed now; its checkpoint goes once this
        #: run's own is in a saved generation, or when this run ends).
        self.resumed_from = resumed_from
        #: The workflow whose checkpoint holds this run's completed steps (or None).
        self.workflow_id = workflow_id
        #: Tool rounds done (1-based, as ``LoopCheckpoint.turn``; 0: none yet).
        self.turn = 0
        #: Tokens used by this run (and the run it continues).
        self.usage = TokenUsage()
        self.tool_calls_count = 0
        self.verification_reports: list[VerificationReport] = []
        self._continues = list(continues)  # runs whose checkpoints this one replaces
        self._checkpointed = False
        self._workflow = self._load_workflow()  # may raise: nothing is touched yet
        self.record = self._new_record(run_id, prompt)
        if checkpoint is not None:
            self._continue_from(checkpoint)
        session.run_records.append(self.record)
        # The stored session learns of the run before its first checkpoint, so
        # no checkpoint is ever written for a run that a resume cannot find.
        self.persistence.auto_save_if_enabled()

    def _new_record(self, run_id: str | None, prompt: str) -> RunRecord:
        now = self._now_ms()
        snapshot = RunSnapshot(id=run_id if run_id is not None else new_run_id(),
                               session_id=self.session.session_id,
                               status=RunStatus.EXECUTING, prompt=prompt, created_at_ms=now,
                               updated_at_ms=now)
        write_notes(snapshot, owner=this_process().to_dict(), resumed_from=self.resumed_from,
                    workflow_id=self.workflow_id)
        return RunRecord(snapshot=snapshot)

    def _continue_from(self, checkpoint: LoopCheckpoint) -> None:
        """Start where ``checkpoint`` left off, and close the run it continues."""
        self.turn = checkpoint.turn
        self.usage = copy_usage(checkpoint.total_usage)
        self.tool_calls_count = checkpoint.tool_calls_count
        self.verification_reports = list(checkpoint.verification_reports)
        self.session.history = list(checkpoint.messages)
        for record in self.session.run_records:
            snap = record.snapshot
            if snap.id == self.resumed_from and snap.status not in ENDED:
                # Its process is gone: it ended there, and goes on as this run.
                snap.status = RunStatus.FAILED
                snap.error = f"interrupted; resumed as run {self.run_id!r}"
                snap.updated_at_ms = self.record.snapshot.created_at_ms
                write_notes(snap, resumed_as=self.run_id)

    def __repr__(self) -> str:
        return f"AgentRun(run_id={self.run_id!r}, status={str(self.status)!r}, turn={self.turn})"

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @property
    def run_id(self) -> str:
        """This run's id."""
        return self.record.snapshot.id

    @property
    def status(self) -> RunStatus | str:
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

    def record_messages(self, messages: Iterable[Message]) -> None:
        """Make ``messages`` (the running turn's conversation) the session's history.

        The next :meth:`checkpoint` saves them, and with ``auto_save`` the
        session too (see :meth:`SessionPersistence.record_messages
        <a3s_store.SessionPersistence.record_messages>`).
        """
        self.persistence.record_messages(messages)

    def checkpoint(self, messages: Iterable[Message] | None = None) -> LoopCheckpoint:
        """Save a loop checkpoint after a tool round (``turn`` goes up by one).

        ``messages``, when given, are recorded first (:meth:`record_messages`).
        The checkpoint holds the session's history as it is now, this run's
        usage, tool-call count and verification reports; it replaces the
        previous one of this run. With ``auto_save``, the session is saved
        right after it, with the same history (its failure is logged and
        kept in ``auto_save_error``, as every auto-save). Without a store it
        is only returned. Errors of the store saving the checkpoint
        propagate (a checkpoint the caller asked for and did not get must
        not go unnoticed).
        """
        if messages is not None:
            self.record_messages(messages)
        self.turn += 1
        checkpoint = LoopCheckpoint(
            run_id=self.run_id, session_id=self.session.session_id, turn=self.turn,
            messages=list(self.session.history), total_usage=copy_usage(self.usage),
            tool_calls_count=self.tool_calls_count,
            verification_reports=list(self.verification_reports),
            checkpoint_ms=self._now_ms())
        write_notes(checkpoint, workflow_id=self.workflow_id)
        self.record.snapshot.updated_at_ms = checkpoint.checkpoint_ms
        store = self.session.store
        if store is None:
            return checkpoint
        # Checkpoint first, then the session: a crash between the two leaves
        # the checkpoint a turn ahead of the stored session, and resume starts
        # from the checkpoint, so no recorded turn is lost. (The other order
        # would leave the stored session ahead of every checkpoint: resume
        # would go back a turn, or find no checkpoint at all.)
        store.save_loop_checkpoint(self.run_id, checkpoint)
        if not self._checkpointed:
            self._checkpointed = True
            # Once a generation holding this run is saved, it resumes from this
            # run's own checkpoint: those of the runs it continues can go.
            add_releases(self.record.snapshot, loop=self._continues)
        self.persistence.auto_save_if_enabled()
        return checkpoint

    # -- workflow steps --------------------------------------------------------------

    def _load_workflow(self) -> WorkflowCheckpoint | None:
        if self.workflow_id is None:
            return None
        store = self.session.store
        found = store.load_workflow_checkpoint(self.workflow_id) if store is not None else None
        return found if found is not None else WorkflowCheckpoint(workflow_id=self.workflow_id)

    @property
    def completed_steps(self) -> dict[str, StepOutcome]:
        """The outcomes of the workflow steps done so far, by ``task_id``
        (those of earlier runs of the workflow included; {} without one)."""
        return self._workflow.completed() if self._workflow is not None else {}

    def record_step(self, outcome: StepOutcome) -> WorkflowCheckpoint:
        """Save a completed workflow step in the workflow checkpoint, at once.

        A step is saved as soon as it is done (its side effects must not be
        repeated by a resumed run); a later outcome of the same ``task_id``
        replaces the earlier one.

        :raises InvalidDataError: the run has no ``workflow_id``, or
            ``outcome`` is not a :class:`~a3s_store.StepOutcome`.
        """
        if self._workflow is None:
            raise InvalidDataError(f"run {self.run_id!r} has no workflow: start it with "
                                   "workflow_id=...", session_id=self.session.session_id)
        if not isinstance(outcome, StepOutcome):
            raise InvalidDataError(f"expected a StepOutcome, got {type(outcome).__name__}",
                                   session_id=self.session.session_id)
        workflow = self._workflow
        workflow.steps = [s for s in workflow.steps if s.task_id != outcome.task_id]
        workflow.steps.append(WorkflowStepRecord(task_id=outcome.task_id, outcome=outcome))
        workflow.checkpoint_ms = self._now_ms()
        store = self.session.store
        if store is not None:
            store.save_workflow_checkpoint(workflow.workflow_id, workflow)
        return workflow

    # -- ending ------------------------------------------------------------------------

    def complete(self, result_text: str | None = None) -> AgentResult:
        """End the run as completed; return its :class:`~a3s_store.AgentResult`."""
        return self._end(RunStatus.COMPLETED, result_text=result_text)

    def fail(self, error: str) -> AgentResult:
        """End the run as failed with an error message (a workflow checkpoint
        stays, so a new run of the workflow skips the steps done)."""
        return self._end(RunStatus.FAILED, error=error)

    def cancel(self) -> AgentResult:
        """End the run as cancelled (a workflow checkpoint stays, as for :meth:`fail`)."""
        return self._end(RunStatus.CANCELLED)

    def _end(self, status: RunStatus, *, result_text: str | None = None,
             error: str | None = None) -> AgentResult:
        snap = self.record.snapshot
        if snap.status in ENDED:
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
        loops = [self.run_id, *self._continues]
        workflows = [self.workflow_id] if status is RunStatus.COMPLETED and self.workflow_id \
            else []
        if self.session.auto_save:
            # Deleted once the generation that ends the run is saved: a crash
            # (or a failed save) before that leaves the run resumable, and a
            # crash after it leaves the note for the next save to act on.
            add_releases(snap, loop=loops, workflow=workflows)
            self.persistence.auto_save_if_enabled()
        else:
            for run_id in loops:
                self.persistence.clear_loop_checkpoint(run_id)
            for workflow_id in workflows:
                self.persistence.clear_workflow_checkpoint(workflow_id)
        return result

    def __enter__(self) -> AgentRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.record.snapshot.status in ENDED:
            return
        if exc_type is None:
            self.complete()
        elif issubclass(exc_type, KeyboardInterrupt):
            self.cancel()
        else:
            self.fail(f"{exc_type.__name__}: {exc}")
