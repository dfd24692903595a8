"""MemorySessionStore: the same contract as the file store, kept in a dict.

For tests, doctests and short-lived scripts. Everything saved is copied in
and everything loaded is copied out (through ``to_dict``/``from_dict``, so
the memory store accepts and refuses exactly what the file store does), and
a session's components live in one entry that a snapshot replaces whole.
Not shared between processes; safe to share between threads.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from . import _json
from ._names import file_stem
from .errors import ConflictError, InvalidDataError
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
from .store import (
    SessionSnapshot,
    SessionSummary,
    check_loop_checkpoint_key,
    check_session_type,
    check_snapshot_type,
    check_workflow_checkpoint_key,
    checked_loop_checkpoint,
    checked_workflow_checkpoint,
)

__all__ = ["MemorySessionStore"]


def _roundtrip(value):
    # Through the same encoder as the file store: a deep copy (opaque JSON
    # included) that refuses what a file could not hold.
    return _json.decode(_json.encode_bytes(value), strict=False)


def _copy(record):
    return type(record).from_dict(_roundtrip(record.to_dict()))


def _copy_list(items, cls) -> list:
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, cls) for i in items):
        raise InvalidDataError(f"expected a list of {cls.__name__}")
    return [cls.from_dict(d) for d in _roundtrip([item.to_dict() for item in items])]


@dataclass(slots=True)
class _Entry:
    """Every component of one session, replaced together by a snapshot."""

    session: SessionData | None = None
    components: dict = field(default_factory=dict)
    counter: int = 0
    revision: str | None = None

    def bump(self) -> str:
        self.counter += 1
        self.revision = f"{self.counter}-{secrets.token_hex(6)}"
        return self.revision


_SIDE = {
    "traces": TraceEvent,
    "runs": RunRecord,
    "verification": VerificationReport,
    "subagent_tasks": SubagentTaskSnapshot,
}


class MemorySessionStore:
    """A :class:`~a3s_store.SessionStore` in memory, with copy-in/copy-out semantics.

    >>> from a3s_store import MemorySessionStore, SessionData
    >>> store = MemorySessionStore()
    >>> session = SessionData(id="s-1")
    >>> _ = store.save(session)
    >>> session.config.name = "changed after saving"
    >>> store.load("s-1").config.name
    ''
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._loop: dict[str, dict] = {}
        self._workflow: dict[str, dict] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"MemorySessionStore(<{len(self._entries)} entries>)"

    def _check(self, entry: _Entry | None, session_id: str, expected_revision, create_only):
        exists = entry is not None and entry.session is not None
        if create_only and exists:
            raise ConflictError("session already exists (create_only)", session_id=session_id)
        current = entry.revision if entry is not None else None
        if expected_revision is not None and expected_revision != current:
            raise ConflictError(
                f"stale revision: expected {expected_revision!r}, the store has {current!r}; "
                "nothing was written", session_id=session_id)

    def save(self, session: SessionData, /, *, expected_revision: str | None = None,
             create_only: bool = False) -> str:
        """Save (replace) a session; return its new revision (see FileSessionStore.save)."""
        session = check_session_type(session)
        file_stem(session.id)
        stored = _copy(session)
        with self._lock:
            entry = self._entries.get(session.id)
            self._check(entry, session.id, expected_revision, create_only)
            entry = self._entries.setdefault(session.id, _Entry())
            entry.session = stored
            return entry.bump()

    def load(self, session_id: str, /) -> SessionData | None:
        """A copy of the session, or None."""
        file_stem(session_id)
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None or entry.session is None:
                return None
            out = _copy(entry.session)
            out.revision = entry.revision
            return out

    def delete(self, session_id: str, /) -> None:
        """Remove the session and its components; unknown ids are fine."""
        file_stem(session_id)
        with self._lock:
            self._entries.pop(session_id, None)

    def list(self) -> list[str]:
        """The ids of the stored sessions, sorted."""
        with self._lock:
            return sorted(k for k, e in self._entries.items() if e.session is not None)

    def list_summaries(self) -> list[SessionSummary]:
        """A :class:`~a3s_store.SessionSummary` of every session, sorted by id."""
        with self._lock:
            return [SessionSummary.of(self._entries[k].session) for k in self.list()]

    def exists(self, session_id: str, /) -> bool:
        """Whether a session is stored under this id."""
        file_stem(session_id)
        with self._lock:
            entry = self._entries.get(session_id)
            return entry is not None and entry.session is not None

    def save_snapshot(self, snapshot: SessionSnapshot, /, *,
                      expected_revision: str | None = None, create_only: bool = False) -> str:
        """Replace a session and every component in one step; return the revision."""
        snapshot = check_snapshot_type(snapshot)
        sid = snapshot.session.id
        file_stem(sid)
        new = _Entry(session=_copy(snapshot.session), components={
            "artifacts": _copy(snapshot.artifacts),
            "traces": _copy_list(snapshot.trace_events, TraceEvent),
            "runs": _copy_list(snapshot.run_records, RunRecord),
            "verification": _copy_list(snapshot.verification_reports, VerificationReport),
            "subagent_tasks": _copy_list(snapshot.subagent_tasks, SubagentTaskSnapshot),
        })
        with self._lock:
            entry = self._entries.get(sid)
            self._check(entry, sid, expected_revision, create_only)
            if entry is not None:
                new.counter = entry.counter
            self._entries[sid] = new
            return new.bump()

    def load_snapshot(self, session_id: str, /) -> SessionSnapshot | None:
        """Copies of the session and all its components, or None."""
        file_stem(session_id)
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None or entry.session is None:
                return None
            c = entry.components
            snap = SessionSnapshot(
                session=_copy(entry.session),
                artifacts=_copy(c["artifacts"]) if "artifacts" in c else ArtifactStore(),
                trace_events=_copy_list(c.get("traces", []), TraceEvent),
                run_records=_copy_list(c.get("runs", []), RunRecord),
                verification_reports=_copy_list(c.get("verification", []), VerificationReport),
                subagent_tasks=_copy_list(c.get("subagent_tasks", []), SubagentTaskSnapshot),
            )
            snap.revision = snap.session.revision = entry.revision
            return snap

    # -- side data ----------------------------------------------------------------

    def _save_component(self, session_id: str, component: str, value) -> None:
        file_stem(session_id)
        with self._lock:
            entry = self._entries.setdefault(session_id, _Entry())
            entry.components[component] = value
            entry.bump()

    def _load_component(self, session_id: str, component: str):
        file_stem(session_id)
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None or component not in entry.components:
                return None
            value = entry.components[component]
            if component == "artifacts":
                return _copy(value)
            return _copy_list(value, _SIDE[component])

    def save_artifacts(self, session_id: str, artifacts: ArtifactStore, /) -> None:
        """Save a copy of the artifact store of a session."""
        if not isinstance(artifacts, ArtifactStore):
            raise InvalidDataError("expected an ArtifactStore", session_id=session_id)
        self._save_component(session_id, "artifacts", _copy(artifacts))

    def load_artifacts(self, session_id: str, /) -> ArtifactStore | None:
        """A copy of the artifact store of a session, or None."""
        return self._load_component(session_id, "artifacts")

    def _side_pair(component: str, what: str):
        cls = _SIDE[component]

        def save(self, session_id, items, /):
            self._save_component(session_id, component, _copy_list(items, cls))

        def load(self, session_id, /):
            return self._load_component(session_id, component)

        save.__doc__ = f"Save (replace) the {what} of a session."
        load.__doc__ = f"A copy of the {what} of a session, or None."
        return save, load

    save_trace_events, load_trace_events = _side_pair("traces", "trace events")
    save_run_records, load_run_records = _side_pair("runs", "run records")
    save_verification_reports, load_verification_reports = _side_pair(
        "verification", "verification reports")
    save_subagent_tasks, load_subagent_tasks = _side_pair("subagent_tasks",
                                                          "subagent task snapshots")
    del _side_pair

    # -- checkpoints ----------------------------------------------------------------

    def save_loop_checkpoint(self, run_id: str, checkpoint: LoopCheckpoint, /) -> None:
        """Save (overwrite) the loop checkpoint of a run."""
        file_stem(run_id, "run")
        check_loop_checkpoint_key(run_id, checkpoint)
        with self._lock:
            self._loop[run_id] = _roundtrip(checkpoint.to_dict())

    def load_loop_checkpoint(self, run_id: str, /) -> LoopCheckpoint | None:
        """A copy of the loop checkpoint of a run, or None (same checks as on disk)."""
        file_stem(run_id, "run")
        with self._lock:
            data = self._loop.get(run_id)
        if data is None:
            return None
        return checked_loop_checkpoint(run_id, LoopCheckpoint.from_dict(_roundtrip(data)))

    def delete_loop_checkpoint(self, run_id: str, /) -> None:
        """Remove the loop checkpoint of a run; a missing one is fine."""
        file_stem(run_id, "run")
        with self._lock:
            self._loop.pop(run_id, None)

    def save_workflow_checkpoint(self, workflow_id: str, checkpoint: WorkflowCheckpoint, /
                                 ) -> None:
        """Save (overwrite) the checkpoint of a workflow."""
        file_stem(workflow_id, "workflow")
        check_workflow_checkpoint_key(workflow_id, checkpoint)
        with self._lock:
            self._workflow[workflow_id] = _roundtrip(checkpoint.to_dict())

    def load_workflow_checkpoint(self, workflow_id: str, /) -> WorkflowCheckpoint | None:
        """A copy of the checkpoint of a workflow, or None (same checks as on disk)."""
        file_stem(workflow_id, "workflow")
        with self._lock:
            data = self._workflow.get(workflow_id)
        if data is None:
            return None
        return checked_workflow_checkpoint(workflow_id,
                                           WorkflowCheckpoint.from_dict(_roundtrip(data)))

    def delete_workflow_checkpoint(self, workflow_id: str, /) -> None:
        """Remove the checkpoint of a workflow; a missing one is fine."""
        file_stem(workflow_id, "workflow")
        with self._lock:
            self._workflow.pop(workflow_id, None)

    def health_check(self) -> None:
        """Always fine: memory is reachable."""

    def backend_name(self) -> str:
        """``"memory"``."""
        return "memory"
