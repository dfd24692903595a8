"""Picking up a run that a dead process left: :func:`resume_run` and :func:`interrupted_runs`.

A run that did not end in-process is still ``executing`` in the stored
session, and its latest loop checkpoint is in the store. A resumed run
continues it under a new id and closes it (``failed``, "interrupted;
resumed as run ..."). Until the resumed run has a checkpoint of its own in a
saved generation, the checkpoint it started from stays, so a resume that
dies too is resumed again, from the same place: a run is resumed from its
own checkpoint, else from that of the run it continues, and so on back.

>>> from . import AgentSession, MemorySessionStore, resume_session
>>> store = MemorySessionStore()
>>> live = AgentSession(session_id="s", store=store, auto_save=True)
>>> run = live.start_run("count to three", run_id="run-1")
>>> _ = run.checkpoint()                    # ...and then the process dies
>>> again = resume_session(store, "s")
>>> again.interrupted_runs()
['run-1']
>>> run = again.resume_run("run-1")
>>> str(again.run_records[0].snapshot.status), again.run_records[0].snapshot.error
... # doctest: +ELLIPSIS
('failed', "interrupted; resumed as run 'run-...'")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._helper_common import ENDED
from ._identity import check_loop_checkpoint_owner
from ._run_meta import note
from .agent_run import AgentRun
from .agent_run import new_run_id as fresh_run_id
from .errors import CheckpointNotFoundError
from .persistence import SessionPersistence
from .records import LoopCheckpoint, RunRecord

if TYPE_CHECKING:
    from .persistable import PersistableSession

__all__ = ["interrupted_runs", "resume_run"]


def _record(session: PersistableSession, run_id: str) -> RunRecord | None:
    return next((r for r in session.run_records if r.snapshot.id == run_id), None)


def _lineage(session: PersistableSession, run_id: str) -> list[str]:
    """``run_id`` and the runs it continues, newest first (from the runs' notes)."""
    chain = [run_id]
    while (record := _record(session, chain[-1])) is not None:
        parent = note(record.snapshot, "resumed_from")
        if parent is None or parent in chain:
            break
        chain.append(parent)
    return chain


def _newest_checkpoint(session: PersistableSession,
                       chain: list[str]) -> LoopCheckpoint | None:
    store = session.store
    if store is None:
        return None
    for run_id in chain:
        checkpoint = store.load_loop_checkpoint(run_id)
        if checkpoint is not None:
            check_loop_checkpoint_owner(checkpoint, run_id, session.session_id)
            return checkpoint
    return None


def resume_run(session: PersistableSession, run_id: str, *,
               persistence: SessionPersistence | None = None,
               new_run_id: str | None = None) -> AgentRun:
    """Continue run ``run_id`` of ``session`` from the loop checkpoint its store holds.

    The new run (a fresh id; the same prompt and workflow) starts from the
    checkpoint: the session's history becomes the checkpoint's messages, and
    the run carries on its turn, usage, tool-call count and verification
    reports (and the workflow's completed steps). The run it continues is
    closed: ``failed``, with an error naming the new run, at this time.

    :raises CheckpointNotFoundError: no store, or no checkpoint for the run
        (nor for a run it continues).
    :raises CorruptDataError: the checkpoint belongs to another run or
        session; the live session is left untouched.
    """
    chain = _lineage(session, run_id)
    checkpoint = _newest_checkpoint(session, chain)
    if checkpoint is None:
        raise CheckpointNotFoundError(f"no loop checkpoint for run {run_id!r}",
                                      session_id=session.session_id)
    previous = _record(session, run_id)
    prompt = previous.snapshot.prompt if previous is not None else ""
    workflow_id = note(checkpoint, "workflow_id") or (
        note(previous.snapshot, "workflow_id") if previous is not None else None)
    return AgentRun(session, prompt, run_id=new_run_id or fresh_run_id(), persistence=persistence,
                    resumed_from=run_id, checkpoint=checkpoint, workflow_id=workflow_id,
                    continues=chain)


def interrupted_runs(session: PersistableSession) -> list[str]:
    """The runs of ``session`` that are not over and can be resumed, oldest first.

    A run counts when it is not completed, failed or cancelled and a loop
    checkpoint is stored for it or for a run it continues. Call it on a
    session just resumed: a run that another process is still running is
    listed too (if both go on, the store's revision check stops the second
    writer at its first save).
    """
    if session.store is None:
        return []
    return [r.snapshot.id for r in session.run_records
            if r.snapshot.status not in ENDED
            and _newest_checkpoint(session, _lineage(session, r.snapshot.id)) is not None]
