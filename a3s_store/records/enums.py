"""The unit-only Rust enums of the persisted records, written as strings.

Each member's value is the exact JSON string; ``str()`` gives it too.
Records accept the plain string wherever a member is expected:

>>> SessionState("Active") is SessionState.ACTIVE
True
>>> str(TaskStatus.IN_PROGRESS)
'in_progress'
"""

from __future__ import annotations

from ._schema import StrEnum

__all__ = [
    "PermissionDecision",
    "PlanningMode",
    "RunStatus",
    "SessionLane",
    "SessionState",
    "StorageBackend",
    "SubagentTaskStatus",
    "TaskHandlerMode",
    "TaskPriority",
    "TaskStatus",
    "TimeoutAction",
    "TraceEventKind",
    "VerificationStatus",
]


class SessionState(StrEnum):
    """``SessionData.state`` (Rust default ``Unknown``)."""

    UNKNOWN = "Unknown"
    ACTIVE = "Active"
    PAUSED = "Paused"
    COMPLETED = "Completed"
    ERROR = "Error"


class StorageBackend(StrEnum):
    """``SessionConfig.storage_type`` (lowercase; default ``file``)."""

    MEMORY = "memory"
    FILE = "file"
    CUSTOM = "custom"


class PlanningMode(StrEnum):
    """``SessionConfig.planning_mode`` (default ``Auto``)."""

    AUTO = "Auto"
    DISABLED = "Disabled"
    ENABLED = "Enabled"


class TaskStatus(StrEnum):
    """``Task.status`` (snake_case)."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class TaskPriority(StrEnum):
    """``Task.priority`` (default ``medium``)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class SessionLane(StrEnum):
    """Queue lanes: keys of ``laneHandlers``/``laneTimeouts``, ``yolo_lanes``."""

    CONTROL = "Control"
    QUERY = "Query"
    EXECUTE = "Execute"
    GENERATE = "Generate"


class TaskHandlerMode(StrEnum):
    """``LaneHandlerConfig.mode``."""

    INTERNAL = "Internal"
    EXTERNAL = "External"
    HYBRID = "Hybrid"


class TimeoutAction(StrEnum):
    """``ConfirmationPolicy.timeout_action``."""

    REJECT = "Reject"
    AUTO_APPROVE = "AutoApprove"


class PermissionDecision(StrEnum):
    """``PermissionPolicy.default_decision`` (default ``ask``)."""

    ALLOW = "allow"
    DENY = "deny"
    ASK = "ask"


class TraceEventKind(StrEnum):
    """``TraceEvent.kind``."""

    TOOL_EXECUTION = "tool_execution"
    PROGRAM_EXECUTION = "program_execution"


class RunStatus(StrEnum):
    """``RunSnapshot.status``."""

    CREATED = "created"
    PLANNING = "planning"
    EXECUTING = "executing"
    VERIFYING = "verifying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class VerificationStatus(StrEnum):
    """Status of a verification report or check."""

    PASSED = "passed"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"
    SKIPPED = "skipped"


class SubagentTaskStatus(StrEnum):
    """``SubagentTaskSnapshot.status``."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
