"""The store contract: the :class:`SessionStore` protocol and :class:`SessionSnapshot`.

The method names are those of the Rust trait ``SessionStore`` of
a3s-code-core 3.4, so code and habits carry over. The contract, which both
shipped stores pass (``tests/test_store_contract.py`` runs one suite over
both) and which a third-party backend should pass too:

* **Missing means None**, corrupt means an error: ``load*`` return ``None``
  for a session or component that was never saved, and raise
  :class:`~a3s_store.CorruptDataError` for one that cannot be read.
* ``delete`` of an unknown id is not an error.
* Saves replace the whole value (no merge) and never fail silently: a
  backend that cannot store a component must raise, not drop it.
* What is saved is copied: mutating an object after saving it, or after
  loading it, never changes what is stored.
* ``save_snapshot`` publishes a session and all its components as one
  generation: a reader sees all of it or none of it.
* Loads set ``revision`` (an opaque string, never a timestamp); passing it
  back as ``expected_revision`` makes a save fail with
  :class:`~a3s_store.ConflictError` when someone else saved in between.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .errors import CorruptDataError, InvalidDataError
from .records import (
    ArtifactStore,
    LoopCheckpoint,
    RunRecord,
    SessionData,
    SubagentTaskSnapshot,
    TraceEvent,
    VerificationReport,
    WorkflowCheckpoint,
)
from .snapshot import SessionSnapshot, SessionSummary

__all__ = ["SessionStore"]


@runtime_checkable
class SessionStore(Protocol):
    """What a session store provides (the Rust trait, plus the snapshot pair).

    Implemented by :class:`~a3s_store.FileSessionStore` and
    :class:`~a3s_store.MemorySessionStore`; other backends implement it too
    and run ``tests/test_store_contract.py`` against themselves.
    """

    def save(self, session: SessionData, /, *, expected_revision: str | None = None,
             create_only: bool = False) -> str: ...
    def load(self, session_id: str, /) -> SessionData | None: ...
    def delete(self, session_id: str, /) -> None: ...
    def list(self) -> list[str]: ...
    def exists(self, session_id: str, /) -> bool: ...
    def list_summaries(self) -> list[SessionSummary]: ...
    def save_snapshot(self, snapshot: SessionSnapshot, /, *,
                      expected_revision: str | None = None, create_only: bool = False) -> str: ...
    def load_snapshot(self, session_id: str, /) -> SessionSnapshot | None: ...
    def save_artifacts(self, session_id: str, artifacts: ArtifactStore, /) -> None: ...
    def load_artifacts(self, session_id: str, /) -> ArtifactStore | None: ...
    def save_trace_events(self, session_id: str, events: list[TraceEvent], /) -> None: ...
    def load_trace_events(self, session_id: str, /) -> list[TraceEvent] | None: ...
    def save_run_records(self, session_id: str, records: list[RunRecord], /) -> None: ...
    def load_run_records(self, session_id: str, /) -> list[RunRecord] | None: ...
    def save_verification_reports(self, session_id: str,
                                  reports: list[VerificationReport], /) -> None: ...
    def load_verification_reports(self, session_id: str, /) -> list[VerificationReport] | None: ...
    def save_subagent_tasks(self, session_id: str,
                            tasks: list[SubagentTaskSnapshot], /) -> None: ...
    def load_subagent_tasks(self, session_id: str, /) -> list[SubagentTaskSnapshot] | None: ...
    def save_loop_checkpoint(self, run_id: str, checkpoint: LoopCheckpoint, /) -> None: ...
    def load_loop_checkpoint(self, run_id: str, /) -> LoopCheckpoint | None: ...
    def delete_loop_checkpoint(self, run_id: str, /) -> None: ...
    def save_workflow_checkpoint(self, workflow_id: str,
                                 checkpoint: WorkflowCheckpoint, /) -> None: ...
    def load_workflow_checkpoint(self, workflow_id: str, /) -> WorkflowCheckpoint | None: ...
    def delete_workflow_checkpoint(self, workflow_id: str, /) -> None: ...
    def health_check(self) -> None: ...
    def backend_name(self) -> str: ...


# -- checks both stores make --------------------------------------------------


def check_loop_checkpoint_key(run_id: str, checkpoint: LoopCheckpoint) -> None:
    """Refuse to store a checkpoint under a run id that is not its own."""
    if not isinstance(checkpoint, LoopCheckpoint):
        raise InvalidDataError(f"expected a LoopCheckpoint, got {type(checkpoint).__name__}")
    if checkpoint.run_id != run_id:
        raise InvalidDataError(
            f"loop checkpoint of run {checkpoint.run_id!r} cannot be saved under run {run_id!r}",
            key="run_id",
        )


def check_workflow_checkpoint_key(workflow_id: str, checkpoint: WorkflowCheckpoint) -> None:
    """Refuse to store a checkpoint under a workflow id that is not its own."""
    if not isinstance(checkpoint, WorkflowCheckpoint):
        raise InvalidDataError(
            f"expected a WorkflowCheckpoint, got {type(checkpoint).__name__}")
    if checkpoint.workflow_id != workflow_id:
        raise InvalidDataError(
            f"workflow checkpoint of {checkpoint.workflow_id!r} cannot be saved under "
            f"{workflow_id!r}",
            key="workflow_id",
        )


def _checked(checkpoint, key: str, key_field: str, kind: str, path):
    try:
        checkpoint.ensure_loadable()
    except CorruptDataError as exc:
        raise exc.located(path=path)
    held = getattr(checkpoint, key_field)
    if held != key:
        raise CorruptDataError(f"file holds the checkpoint of {kind} {held!r}, not {key!r}",
                               key=key_field, path=path)
    return checkpoint


def checked_loop_checkpoint(run_id: str, checkpoint: LoopCheckpoint, path=None) -> LoopCheckpoint:
    """A loaded loop checkpoint, after the version and key checks."""
    return _checked(checkpoint, run_id, "run_id", "run", path)


def checked_workflow_checkpoint(workflow_id: str, checkpoint: WorkflowCheckpoint,
                                path=None) -> WorkflowCheckpoint:
    """A loaded workflow checkpoint, after the version and key checks."""
    return _checked(checkpoint, workflow_id, "workflow_id", "workflow", path)


def check_session_type(session: object) -> SessionData:
    if not isinstance(session, SessionData):
        raise InvalidDataError(f"expected a SessionData, got {type(session).__name__}")
    return session


def check_snapshot_type(snapshot: object) -> SessionSnapshot:
    if not isinstance(snapshot, SessionSnapshot):
        raise InvalidDataError(f"expected a SessionSnapshot, got {type(snapshot).__name__}")
    check_session_type(snapshot.session)
    return snapshot
