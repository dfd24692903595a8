"""Identity and invariant checks of a session generation (internal).

A store is keyed by the caller, and a backend may be wrong: a custom store
that ignores the key, a file copied under another name, a hand-edited run
list. Before the persistence helper restores anything into a live session,
and before it saves a generation, it checks what it was handed (the
``validate_for_session`` of later a3s-code builds, evolution.md §1.1):

* the session's id is the one asked for;
* run ids are unique and every run belongs to this session;
* each run's retained event sequence numbers strictly increase, and its
  cumulative ``event_count`` is not behind them (FIFO trimming may drop the
  first events, so the first retained sequence may be above 0);
* a subagent task's parent is this session (or empty, as legacy files have);
* a loop checkpoint belongs to the run and session that resume it.

The checks raise the error class the caller names: ``CorruptDataError`` for
data that came from a store, ``InvalidDataError`` for data about to be saved.
"""

from __future__ import annotations

from .errors import A3SStoreError, CorruptDataError
from .records import LoopCheckpoint, RunRecord, SubagentTaskSnapshot

__all__ = ["check_generation", "check_loop_checkpoint_owner"]


def check_generation(session_id: str, data_id: str, run_records: list[RunRecord],
                     subagent_tasks: list[SubagentTaskSnapshot], *,
                     error: type[A3SStoreError] = CorruptDataError) -> None:
    """Raise ``error`` unless the generation belongs to ``session_id`` and is consistent."""
    if data_id != session_id:
        raise error(f"the data is session {data_id!r}, not the session asked for",
                    key="id", session_id=session_id)
    seen: set[str] = set()
    for index, record in enumerate(run_records):
        _check_run(session_id, index, record, seen, error)
    for index, task in enumerate(subagent_tasks):
        parent = task.parent_session_id
        if parent not in ("", session_id):
            raise error(f"subagent task {task.task_id!r} belongs to parent session {parent!r}",
                        key=f"subagent_tasks[{index}].parent_session_id",
                        session_id=session_id)


def _check_run(session_id: str, index: int, record: RunRecord, seen: set[str],
               error: type[A3SStoreError]) -> None:
    run = record.snapshot
    where = f"run_records[{index}]"
    if run.id in seen:
        raise error(f"duplicate run id {run.id!r}", key=f"{where}.snapshot.id",
                    session_id=session_id)
    seen.add(run.id)
    if run.session_id != session_id:
        raise error(f"run {run.id!r} belongs to session {run.session_id!r}",
                    key=f"{where}.snapshot.session_id", session_id=session_id)
    previous = None
    for position, event in enumerate(record.events):
        if previous is not None and event.sequence <= previous:
            raise error(f"run {run.id!r}: event sequence {event.sequence} follows {previous} "
                        "(sequences must increase)",
                        key=f"{where}.events[{position}].sequence", session_id=session_id)
        previous = event.sequence
    if previous is not None and run.event_count < previous + 1:
        raise error(f"run {run.id!r}: event_count {run.event_count} is behind the retained "
                    f"events (expected at least {previous + 1})",
                    key=f"{where}.snapshot.event_count", session_id=session_id)


def check_loop_checkpoint_owner(checkpoint: LoopCheckpoint, run_id: str,
                                session_id: str) -> None:
    """Raise ``CorruptDataError`` unless the checkpoint is run ``run_id``'s in this session."""
    if checkpoint.run_id != run_id:
        raise CorruptDataError(f"the loop checkpoint found for run {run_id!r} is run "
                               f"{checkpoint.run_id!r}'s", key="run_id", session_id=session_id)
    if checkpoint.session_id != session_id:
        raise CorruptDataError(f"the loop checkpoint of run {run_id!r} belongs to session "
                               f"{checkpoint.session_id!r}", key="session_id",
                               session_id=session_id)
