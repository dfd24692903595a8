"""The one table of a session's components and of the checkpoint kinds (no I/O).

A session is stored as a **session file** plus **side files**, one per
component, in the layout of a3s-code-core 3.3/3.4; loop and workflow
**checkpoints** are keyed by run or workflow id instead of the session id.
Everything that needs to know the list (both stores, the snapshot type,
verify/repair/gc, the renderers, the SQL schema) takes it from here, so a
new kind of side file is one row below plus its record type.

Per component: its name (the key in metadata and journals), the
:class:`~a3s_store.SessionSnapshot` attribute, where its file lives for a
given file stem, the record type, how it is encoded and decoded, what an
empty one is, a label for people, and the suffix of its store methods
(``trace_events`` for ``save_trace_events``/``load_trace_events``).

>>> [c.name for c in COMPONENTS]
['session', 'artifacts', 'traces', 'runs', 'verification', 'subagent_tasks']
>>> TRACES.where("chat-1"), ARTIFACTS.where("chat-1")
((('traces',), 'chat-1.json'), (('artifacts', 'chat-1'), 'artifacts.json'))
>>> LOOP.where("run-1"), LOOP.key_field
((('loop_checkpoints',), 'run-1.json'), 'run_id')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _codec
from ._names import folder_name
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

if TYPE_CHECKING:
    from ._message_cache import MessageCache

__all__ = [
    "ARTIFACTS",
    "CATEGORY_FOLDERS",
    "CHECKPOINTS",
    "COMPONENTS",
    "Checkpoint",
    "Component",
    "LOOP",
    "RUNS",
    "SESSION",
    "SIDE",
    "SUBAGENT_TASKS",
    "TRACES",
    "VERIFICATION",
    "WORKFLOW",
    "by_name",
]


@dataclass(frozen=True, slots=True)
class Component:
    """One per-session component: the session file or one kind of side file.

    ``folder`` is the category folder under the root (``()`` for the session
    file, which sits in the root); ``per_session_folder`` means the file is
    ``<folder>/<stem>/<file_name>`` (artifacts) rather than
    ``<folder>/<stem>.json``. ``many`` means the file is a JSON array of
    ``record`` items (encoded with :func:`_codec.encode_list`).
    """

    name: str
    attr: str
    folder: tuple[str, ...]
    record: type
    label: str
    method: str
    many: bool = False
    per_session_folder: bool = False
    file_name: str = ""

    def where(self, stem: str) -> tuple[tuple[str, ...], str]:
        """Folder (a tuple of names under the root) and file name for ``stem``."""
        if self.per_session_folder:
            return (*self.folder, folder_name(stem)), self.file_name
        return self.folder, stem + ".json"

    def encode(self, value: Any, *, session_id: str | None = None,
               cache: MessageCache | None = None) -> bytes:
        """The file's bytes (the Rust crate's bytes); :class:`InvalidDataError` if bad."""
        if self.record is SessionData:
            return _codec.encode_session(value, cache)
        if self.record is ArtifactStore:
            return _codec.encode_artifacts(value, session_id=session_id)
        return _codec.encode_list(value, self.record, session_id=session_id)

    def decode(self, data: bytes, *, strict: bool, path: object,
               session_id: str | None = None) -> Any:
        """The value of a file's bytes; :class:`CorruptDataError` naming ``path`` if bad."""
        if self.record is SessionData:
            return _codec.decode_session(data, strict=strict, path=path, session_id=session_id)
        if self.record is ArtifactStore:
            return _codec.decode_artifacts(data, strict=strict, path=path, session_id=session_id)
        return _codec.decode_list(data, self.record, strict=strict, path=path,
                                  session_id=session_id)

    def empty(self) -> Any:
        """What a snapshot holds when this component was never saved."""
        return ArtifactStore() if self.record is ArtifactStore else []


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One kind of checkpoint: keyed by a run or workflow id held in ``key_field``."""

    name: str
    folder: tuple[str, ...]
    id_kind: str
    key_field: str
    record: type
    label: str
    method: str

    def where(self, stem: str) -> tuple[tuple[str, ...], str]:
        """Folder and file name of the checkpoint stored as ``stem``."""
        return self.folder, stem + ".json"

    def encode(self, value: Any) -> bytes:
        return _codec.encode_record(value)

    def decode(self, data: bytes, *, strict: bool, path: object) -> Any:
        return _codec.decode_record(data, self.record, strict=strict, path=path)


SESSION = Component("session", "session", (), SessionData, "session", "")
ARTIFACTS = Component("artifacts", "artifacts", ("artifacts",), ArtifactStore, "artifacts",
                      "artifacts", per_session_folder=True, file_name="artifacts.json")
TRACES = Component("traces", "trace_events", ("traces",), TraceEvent, "trace events",
                   "trace_events", many=True)
RUNS = Component("runs", "run_records", ("runs",), RunRecord, "runs", "run_records", many=True)
VERIFICATION = Component("verification", "verification_reports", ("verification",),
                         VerificationReport, "verification reports", "verification_reports",
                         many=True)
SUBAGENT_TASKS = Component("subagent_tasks", "subagent_tasks", ("subagent_tasks",),
                           SubagentTaskSnapshot, "subagent tasks", "subagent_tasks", many=True)

#: Every component, the session file first (the order a snapshot save writes them).
COMPONENTS: tuple[Component, ...] = (SESSION, ARTIFACTS, TRACES, RUNS, VERIFICATION,
                                     SUBAGENT_TASKS)
#: The side files: every component but the session file.
SIDE: tuple[Component, ...] = COMPONENTS[1:]

LOOP = Checkpoint("loop", ("loop_checkpoints",), "run", "run_id", LoopCheckpoint,
                  "loop checkpoint", "loop_checkpoint")
WORKFLOW = Checkpoint("workflow", ("workflow_checkpoints",), "workflow", "workflow_id",
                      WorkflowCheckpoint, "workflow checkpoint", "workflow_checkpoint")
CHECKPOINTS: tuple[Checkpoint, ...] = (LOOP, WORKFLOW)

#: Every folder of the layout under the root, in the order ``stats`` shows them.
_FOLDERED: tuple[Component | Checkpoint, ...] = (*SIDE, *CHECKPOINTS)
CATEGORY_FOLDERS: tuple[str, ...] = tuple(c.folder[0] for c in _FOLDERED)

_BY_NAME: dict[str, Component] = {c.name: c for c in COMPONENTS}


def by_name(name: str) -> Component:
    """The component called ``name`` (``KeyError`` for an unknown one)."""
    return _BY_NAME[name]
