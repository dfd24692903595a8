"""a3s_store: AI agent sessions on disk, file-compatible with a3s-code-core 3.3/3.4.

A standard-library-only, synchronous package. Sessions are plain JSON files in
the layout and byte format of the Rust crate's ``FileSessionStore``; saves are
all-or-nothing, durable by default, and safe to share between processes.

>>> import tempfile
>>> from . import FileSessionStore, SessionData, SessionSnapshot
>>> store = FileSessionStore(tempfile.mkdtemp())
>>> revision = store.save_snapshot(SessionSnapshot(session=SessionData(id="chat-1")))
>>> store.list()
['chat-1']
>>> snap = store.load_snapshot("chat-1")
>>> snap.revision == revision
True
>>> store.load("never-saved") is None
True

Errors for bad input or bad data derive from :class:`A3SStoreError`:

>>> try:
...     store.load(42)
... except InvalidIdError as error:
...     print(error)
session id must be a str, not int (session 42)
"""

from __future__ import annotations

__version__ = "0.2.0"

TYPE_CHECKING = False  # (not typing's: importing typing alone takes longer than this module)
if TYPE_CHECKING:  # type checkers see every name; nothing is imported at run time
    from ._copy import CopyResult, copy_store
    from ._open import open_store
    from .agent_run import AgentResult, AgentRun
    from .agent_session import AgentSession
    from .errors import (
        A3SStoreError,
        CheckpointNotFoundError,
        ConflictError,
        ConnectionLostError,
        CorruptDataError,
        InvalidDataError,
        InvalidIdError,
        LockTimeoutError,
        MissingDriverError,
        NameCollisionError,
        SessionNotFoundError,
        UnsafePathError,
        UnsupportedVersionError,
    )
    from .file_store import DEFAULT_MAX_FILE_BYTES, FileSessionStore
    from .generation import (
        build_session_data_snapshot,
        model_config_data,
        persisted_model_name,
        persisted_model_ref,
    )
    from .memory_store import MemorySessionStore
    from .persistable import AgentConfig, PersistableSession
    from .persistence import SessionPersistence
    from .records import (
        CURRENT_SCHEMA_VERSION,
        DEFAULT_AUTO_COMPACT_THRESHOLD,
        DEFAULT_MAX_ARTIFACT_BYTES,
        DEFAULT_MAX_ARTIFACTS,
        TRACE_EVENT_SCHEMA,
        VERIFICATION_REPORT_SCHEMA,
        ArtifactStore,
        AutoDelegationConfig,
        ConfirmationPolicy,
        ContextUsage,
        ImageBlock,
        ImageSource,
        LaneHandlerConfig,
        LlmConfigData,
        LlmCostRecord,
        LoopCheckpoint,
        Message,
        PermissionDecision,
        PermissionPolicy,
        PermissionRule,
        PlanningMode,
        PriorityBoostConfig,
        RateLimitConfig,
        RetryPolicyConfig,
        RunEventRecord,
        RunRecord,
        RunSnapshot,
        RunStatus,
        SessionConfig,
        SessionData,
        SessionLane,
        SessionQueueConfig,
        SessionState,
        StepOutcome,
        StorageBackend,
        SubagentProgress,
        SubagentTaskSnapshot,
        SubagentTaskStatus,
        Task,
        TaskHandlerMode,
        TaskPriority,
        TaskStatus,
        TextBlock,
        TimeoutAction,
        TokenUsage,
        ToolArtifact,
        ToolResultBlock,
        ToolUseBlock,
        TraceEvent,
        TraceEventKind,
        UnknownBlock,
        VerificationCheck,
        VerificationReport,
        VerificationStatus,
        WorkflowCheckpoint,
        WorkflowStepRecord,
        list_from_dicts,
        list_to_dicts,
        normalize_timestamp,
        timestamp_from_datetime,
        tool_names_from_definitions,
    )
    from .restore import load_session_data, restore_persisted_session_state
    from .resume import resume_session
    from .run_resume import interrupted_runs, resume_run
    from .session_options import SessionOptions, apply_persisted_runtime_options
    from .snapshot import SessionSnapshot, SessionSummaries, SessionSummary
    from .sql import SqlSessionStore
    from .store import SessionStore

# Where each public name lives. ``import a3s_store`` imports none of these
# modules (a CLI call or a script that needs one store pays for that one only):
# :func:`__getattr__` imports a name's module when the name is first used.
_LAZY_MODULES = {
    "._copy": ("CopyResult", "copy_store"),
    "._open": ("open_store",),
    ".agent_run": ("AgentResult", "AgentRun"),
    ".agent_session": ("AgentSession",),
    ".errors": (
        "A3SStoreError", "CheckpointNotFoundError", "ConflictError", "ConnectionLostError",
        "CorruptDataError", "InvalidDataError", "InvalidIdError", "LockTimeoutError",
        "MissingDriverError", "NameCollisionError", "SessionNotFoundError", "UnsafePathError",
        "UnsupportedVersionError"
    ),
    ".file_store": ("DEFAULT_MAX_FILE_BYTES", "FileSessionStore"),
    ".memory_store": ("MemorySessionStore",),
    ".generation": (
        "build_session_data_snapshot", "model_config_data", "persisted_model_name",
        "persisted_model_ref"
    ),
    ".persistable": ("AgentConfig", "PersistableSession"),
    ".persistence": ("SessionPersistence",),
    ".records": (
        "ArtifactStore", "AutoDelegationConfig", "CURRENT_SCHEMA_VERSION", "ConfirmationPolicy",
        "ContextUsage", "DEFAULT_AUTO_COMPACT_THRESHOLD", "DEFAULT_MAX_ARTIFACTS",
        "DEFAULT_MAX_ARTIFACT_BYTES", "ImageBlock", "ImageSource", "LaneHandlerConfig",
        "LlmConfigData", "LlmCostRecord", "LoopCheckpoint", "Message", "PermissionDecision",
        "PermissionPolicy", "PermissionRule", "PlanningMode", "PriorityBoostConfig",
        "RateLimitConfig", "RetryPolicyConfig", "RunEventRecord", "RunRecord", "RunSnapshot",
        "RunStatus", "SessionConfig", "SessionData", "SessionLane", "SessionQueueConfig",
        "SessionState", "StepOutcome", "StorageBackend", "SubagentProgress",
        "SubagentTaskSnapshot", "SubagentTaskStatus", "TRACE_EVENT_SCHEMA", "Task",
        "TaskHandlerMode", "TaskPriority", "TaskStatus", "TextBlock", "TimeoutAction",
        "TokenUsage", "ToolArtifact", "ToolResultBlock", "ToolUseBlock", "TraceEvent",
        "TraceEventKind", "UnknownBlock", "VERIFICATION_REPORT_SCHEMA", "VerificationCheck",
        "VerificationReport", "VerificationStatus", "WorkflowCheckpoint", "WorkflowStepRecord",
        "list_from_dicts", "list_to_dicts", "normalize_timestamp", "timestamp_from_datetime",
        "tool_names_from_definitions"
    ),
    ".restore": ("load_session_data", "restore_persisted_session_state"),
    ".resume": ("resume_session",),
    ".run_resume": ("interrupted_runs", "resume_run"),
    ".session_options": ("SessionOptions", "apply_persisted_runtime_options"),
    ".snapshot": ("SessionSnapshot", "SessionSummaries", "SessionSummary"),
    ".sql": ("SqlSessionStore",),
    ".store": ("SessionStore",),
}
_MODULE_OF = {name: module for module, names in _LAZY_MODULES.items() for name in names}


__all__ = [
    "A3SStoreError",
    "AgentConfig",
    "AgentResult",
    "AgentRun",
    "AgentSession",
    "ArtifactStore",
    "AutoDelegationConfig",
    "CURRENT_SCHEMA_VERSION",
    "CheckpointNotFoundError",
    "ConfirmationPolicy",
    "ConflictError",
    "ConnectionLostError",
    "ContextUsage",
    "CopyResult",
    "CorruptDataError",
    "DEFAULT_AUTO_COMPACT_THRESHOLD",
    "DEFAULT_MAX_ARTIFACTS",
    "DEFAULT_MAX_ARTIFACT_BYTES",
    "DEFAULT_MAX_FILE_BYTES",
    "FileSessionStore",
    "ImageBlock",
    "ImageSource",
    "InvalidDataError",
    "InvalidIdError",
    "LaneHandlerConfig",
    "LlmConfigData",
    "LlmCostRecord",
    "LockTimeoutError",
    "LoopCheckpoint",
    "MemorySessionStore",
    "Message",
    "MissingDriverError",
    "NameCollisionError",
    "PermissionDecision",
    "PermissionPolicy",
    "PermissionRule",
    "PersistableSession",
    "PlanningMode",
    "PriorityBoostConfig",
    "RateLimitConfig",
    "RetryPolicyConfig",
    "RunEventRecord",
    "RunRecord",
    "RunSnapshot",
    "RunStatus",
    "SessionConfig",
    "SessionData",
    "SessionLane",
    "SessionNotFoundError",
    "SessionOptions",
    "SessionPersistence",
    "SessionQueueConfig",
    "SessionSnapshot",
    "SessionState",
    "SessionStore",
    "SessionSummaries",
    "SessionSummary",
    "SqlSessionStore",
    "StepOutcome",
    "StorageBackend",
    "SubagentProgress",
    "SubagentTaskSnapshot",
    "SubagentTaskStatus",
    "TRACE_EVENT_SCHEMA",
    "Task",
    "TaskHandlerMode",
    "TaskPriority",
    "TaskStatus",
    "TextBlock",
    "TimeoutAction",
    "TokenUsage",
    "ToolArtifact",
    "ToolResultBlock",
    "ToolUseBlock",
    "TraceEvent",
    "TraceEventKind",
    "UnknownBlock",
    "UnsafePathError",
    "UnsupportedVersionError",
    "VERIFICATION_REPORT_SCHEMA",
    "VerificationCheck",
    "VerificationReport",
    "VerificationStatus",
    "WorkflowCheckpoint",
    "WorkflowStepRecord",
    "apply_persisted_runtime_options",
    "build_session_data_snapshot",
    "copy_store",
    "interrupted_runs",
    "list_from_dicts",
    "list_to_dicts",
    "load_session_data",
    "model_config_data",
    "normalize_timestamp",
    "open_store",
    "persisted_model_name",
    "persisted_model_ref",
    "restore_persisted_session_state",
    "resume_run",
    "resume_session",
    "timestamp_from_datetime",
    "tool_names_from_definitions",
]
# ContentBlock, a typing alias of the block classes (it has no docstring of its own),
# stays in a3s_store.records.


def __getattr__(name: str) -> object:
    """Import a public name's module when the name is first used, and keep it."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
