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

import builtins
from typing import Any, Protocol, TypeVar, runtime_checkable

from ._components import (
    ARTIFACTS,
    LOOP,
    RUNS,
    SUBAGENT_TASKS,
    TRACES,
    VERIFICATION,
    WORKFLOW,
    Checkpoint,
    Component,
)
from ._names import check_id
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

__all__ = ["SessionStore", "ComponentMethods"]


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
    def exists(self, session_id: str, /) -> bool: ...
    def list_summaries(self, *, limit: int | None = None,
                       after: str | None = None) -> builtins.list[SessionSummary]: ...
    def save_snapshot(self, snapshot: SessionSnapshot, /, *,
                      expected_revision: str | None = None, create_only: bool = False) -> str: ...
    def load_snapshot(self, session_id: str, /) -> SessionSnapshot | None: ...
    def save_artifacts(self, session_id: str, artifacts: ArtifactStore, /) -> None: ...
    def load_artifacts(self, session_id: str, /) -> ArtifactStore | None: ...
    def save_trace_events(self, session_id: str, events: builtins.list[TraceEvent], /
                          ) -> None: ...
    def load_trace_events(self, session_id: str, /) -> builtins.list[TraceEvent] | None: ...
    def save_run_records(self, session_id: str, records: builtins.list[RunRecord], /
                         ) -> None: ...
    def load_run_records(self, session_id: str, /) -> builtins.list[RunRecord] | None: ...
    def save_verification_reports(self, session_id: str,
                                  reports: builtins.list[VerificationReport], /) -> None: ...
    def load_verification_reports(self, session_id: str, /
                                  ) -> builtins.list[VerificationReport] | None: ...
    def save_subagent_tasks(self, session_id: str,
                            tasks: builtins.list[SubagentTaskSnapshot], /) -> None: ...
    def load_subagent_tasks(self, session_id: str, /
                            ) -> builtins.list[SubagentTaskSnapshot] | None: ...
    def save_loop_checkpoint(self, run_id: str, checkpoint: LoopCheckpoint, /) -> None: ...
    def load_loop_checkpoint(self, run_id: str, /) -> LoopCheckpoint | None: ...
    def delete_loop_checkpoint(self, run_id: str, /) -> None: ...
    def save_workflow_checkpoint(self, workflow_id: str,
                                 checkpoint: WorkflowCheckpoint, /) -> None: ...
    def load_workflow_checkpoint(self, workflow_id: str, /) -> WorkflowCheckpoint | None: ...
    def delete_workflow_checkpoint(self, workflow_id: str, /) -> None: ...
    def health_check(self) -> None: ...
    def backend_name(self) -> str: ...
    # Last, so that ``list`` in the annotations above is the builtin for readers.
    def list(self) -> builtins.list[str]: ...


_Store = TypeVar("_Store", bound="ComponentMethods")


class ComponentMethods:
    """The per-component methods of a store, written once on five primitives.

    A store class inherits this and implements ``_save_component(component,
    session_id, value)``, ``_load_component(component, session_id)``,
    ``_save_checkpoint(kind, key, checkpoint)``, ``_load_checkpoint(kind,
    key)`` (the record, after the checks of :func:`checked_checkpoint`, or
    None) and ``_delete_checkpoint(kind, key)``; the ids are checked here.
    A new kind of side file is a row of ``_components`` and a pair here.
    (The primitives return Any; each method's annotated ``loaded`` says
    which record type its component holds.)
    """

    def close(self) -> None:
        """Nothing to release (no file or connection stays open between calls);
        there so that ``with open_store(url) as store:`` works for every store."""

    def __enter__(self: _Store) -> _Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _save_component(self, component: Component, session_id: str, value: Any) -> None:
        raise NotImplementedError

    def _load_component(self, component: Component, session_id: str) -> Any:
        raise NotImplementedError

    def _save_checkpoint(self, kind: Checkpoint, key: str, checkpoint: Any) -> None:
        raise NotImplementedError

    def _load_checkpoint(self, kind: Checkpoint, key: str) -> Any:
        raise NotImplementedError

    def _delete_checkpoint(self, kind: Checkpoint, key: str) -> None:
        raise NotImplementedError

    def _side_save(self, component: Component, session_id: str, value: Any) -> None:
        check_id(session_id)  # a bad id is refused before anything else
        self._save_component(component, session_id, value)

    def _side_load(self, component: Component, session_id: str) -> Any:
        check_id(session_id)
        return self._load_component(component, session_id)

    def save_artifacts(self, session_id: str, artifacts: ArtifactStore, /) -> None:
        """Save (replace) the tool-artifact store of a session."""
        self._side_save(ARTIFACTS, session_id, artifacts)

    def load_artifacts(self, session_id: str, /) -> ArtifactStore | None:
        """The artifacts of a session (every one of them, whatever the default
        limits), or None when never saved."""
        loaded: ArtifactStore | None = self._side_load(ARTIFACTS, session_id)
        return loaded

    def save_trace_events(self, session_id: str, events: builtins.list[TraceEvent], /) -> None:
        """Save (replace) the trace events of a session."""
        self._side_save(TRACES, session_id, events)

    def load_trace_events(self, session_id: str, /) -> builtins.list[TraceEvent] | None:
        """The trace events of a session, or None when never saved."""
        loaded: builtins.list[TraceEvent] | None = self._side_load(TRACES, session_id)
        return loaded

    def save_run_records(self, session_id: str, records: builtins.list[RunRecord], /) -> None:
        """Save (replace) the run records of a session."""
        self._side_save(RUNS, session_id, records)

    def load_run_records(self, session_id: str, /) -> builtins.list[RunRecord] | None:
        """The run records of a session, or None when never saved."""
        loaded: builtins.list[RunRecord] | None = self._side_load(RUNS, session_id)
        return loaded

    def save_verification_reports(self, session_id: str,
                                  reports: builtins.list[VerificationReport], /) -> None:
        """Save (replace) the verification reports of a session."""
        self._side_save(VERIFICATION, session_id, reports)

    def load_verification_reports(self, session_id: str, /
                                  ) -> builtins.list[VerificationReport] | None:
        """The verification reports of a session, or None when never saved."""
        loaded: builtins.list[VerificationReport] | None = self._side_load(VERIFICATION, session_id)
        return loaded

    def save_subagent_tasks(self, session_id: str,
                            tasks: builtins.list[SubagentTaskSnapshot], /) -> None:
        """Save (replace) the subagent task snapshots of a session."""
        self._side_save(SUBAGENT_TASKS, session_id, tasks)

    def load_subagent_tasks(self, session_id: str, /
                            ) -> builtins.list[SubagentTaskSnapshot] | None:
        """The subagent task snapshots of a session, or None when never saved."""
        loaded: builtins.list[SubagentTaskSnapshot] | None = self._side_load(
            SUBAGENT_TASKS, session_id)
        return loaded

    def save_loop_checkpoint(self, run_id: str, checkpoint: LoopCheckpoint, /) -> None:
        """Save (overwrite) the latest loop checkpoint of a run.

        :raises InvalidDataError: the checkpoint is another run's.
        """
        check_checkpoint(LOOP, run_id, checkpoint)
        self._save_checkpoint(LOOP, run_id, checkpoint)

    def load_loop_checkpoint(self, run_id: str, /) -> LoopCheckpoint | None:
        """The loop checkpoint of a run, or None.

        :raises UnsupportedVersionError: written by a newer schema version.
        :raises CorruptDataError: unreadable, or it belongs to another run.
        """
        check_id(run_id, LOOP.id_kind)
        loaded: LoopCheckpoint | None = self._load_checkpoint(LOOP, run_id)
        return loaded

    def delete_loop_checkpoint(self, run_id: str, /) -> None:
        """Remove the loop checkpoint of a run; a missing one is fine."""
        check_id(run_id, LOOP.id_kind)
        self._delete_checkpoint(LOOP, run_id)

    def save_workflow_checkpoint(self, workflow_id: str, checkpoint: WorkflowCheckpoint, /
                                 ) -> None:
        """Save (overwrite) the checkpoint of a workflow (errors as for loop checkpoints)."""
        check_checkpoint(WORKFLOW, workflow_id, checkpoint)
        self._save_checkpoint(WORKFLOW, workflow_id, checkpoint)

    def load_workflow_checkpoint(self, workflow_id: str, /) -> WorkflowCheckpoint | None:
        """The checkpoint of a workflow, or None (errors as for loop checkpoints)."""
        check_id(workflow_id, WORKFLOW.id_kind)
        loaded: WorkflowCheckpoint | None = self._load_checkpoint(WORKFLOW, workflow_id)
        return loaded

    def delete_workflow_checkpoint(self, workflow_id: str, /) -> None:
        """Remove the checkpoint of a workflow; a missing one is fine."""
        check_id(workflow_id, WORKFLOW.id_kind)
        self._delete_checkpoint(WORKFLOW, workflow_id)


# -- checks every store makes --------------------------------------------------


def check_checkpoint(kind: Checkpoint, key: str, checkpoint: object) -> None:
    """Refuse a bad key, or a checkpoint to be stored under a key that is not its own."""
    check_id(key, kind.id_kind)  # InvalidIdError first: the key check would hide why
    if not isinstance(checkpoint, kind.record):
        raise InvalidDataError(f"expected a {kind.record.__name__}, "
                               f"got {type(checkpoint).__name__}")
    held = getattr(checkpoint, kind.key_field)
    if held != key:
        raise InvalidDataError(
            f"{kind.label} of {kind.id_kind} {held!r} cannot be saved under "
            f"{kind.id_kind} {key!r}", key=kind.key_field)


def checked_checkpoint(kind: Checkpoint, key: str, checkpoint: Any, path: object = None) -> Any:
    """A loaded checkpoint, after the version and key checks."""
    try:
        checkpoint.ensure_loadable()
    except CorruptDataError as exc:
        raise exc.located(path=path)
    held = getattr(checkpoint, kind.key_field)
    if held != key:
        raise CorruptDataError(f"file holds the checkpoint of {kind.id_kind} {held!r}, "
                               f"not {key!r}", key=kind.key_field, path=path)
    return checkpoint


def check_session_type(session: object) -> SessionData:
    if not isinstance(session, SessionData):
        raise InvalidDataError(f"expected a SessionData, got {type(session).__name__}")
    return session


def check_snapshot_type(snapshot: object) -> SessionSnapshot:
    if not isinstance(snapshot, SessionSnapshot):
        raise InvalidDataError(f"expected a SessionSnapshot, got {type(snapshot).__name__}")
    check_session_type(snapshot.session)
    return snapshot


def check_page(limit: int | None, after: str | None) -> None:
    """Refuse bad paging arguments of ``list_summaries``."""
    if limit is not None and (type(limit) is not int or limit < 0):
        raise ValueError(f"limit must be None or an int >= 0, not {limit!r}")
    if after is not None and not isinstance(after, str):
        raise ValueError(f"after must be None or a session id (str), not {after!r}")


def page(summaries: builtins.list[SessionSummary], limit: int | None,
         after: str | None) -> builtins.list[SessionSummary]:
    """One page of summaries sorted by id: those after ``after``, at most ``limit``."""
    if after is not None:
        summaries = [s for s in summaries if s.id > after]
    return summaries if limit is None else summaries[:limit]
