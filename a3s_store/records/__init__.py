"""The persisted records of a3s-code-core 3.3/3.4, as dataclasses.

Every record converts to and from the exact JSON object Rust writes:
``to_dict()`` gives the keys in Rust's declaration order with Rust's
presence rules (``null`` versus omitted), and ``from_dict()`` applies serde's
defaults, aliases and type rules. Pair them with :mod:`a3s_store._json` to
get the crate's bytes:

>>> from .._json import decode, encode
>>> text = b'''{"enabled": true, "autoParallel": false, "minConfidence": 0.72, "maxTasks": 4}'''
>>> cfg = AutoDelegationConfig.from_dict(decode(text))
>>> cfg.auto_parallel, cfg.min_confidence
(False, 0.72)
>>> print(encode(cfg.to_dict()))
{
  "enabled": true,
  "autoParallel": false,
  "minConfidence": 0.72,
  "maxTasks": 4
}

Bad data raises :class:`~a3s_store.errors.CorruptDataError` naming the
dotted path of the bad value; a bad record raises
:class:`~a3s_store.errors.InvalidDataError` from ``to_dict()``:

>>> try:
...     SessionData.from_dict({"id": "s", "messages": []})
... except CorruptDataError as error:
...     print(error)
config: missing required key
>>> try:
...     Message.from_dict({"role": "user", "content": [{"type": "text", "text": 1}]})
... except CorruptDataError as error:
...     print(error)
content[0].text: expected a string, found an integer

Rules that hold for every record:

* Keys a record does not know are kept in its ``extra`` dict and written
  back after the known keys (newer Rust builds add keys). Opaque JSON
  (tool ``input``, run ``event``, ``metadata``, ``details``, ``structured``,
  ``security_config``) passes through untouched and is shared, not copied,
  by ``to_dict()``/``from_dict()``.
* Enum fields hold :mod:`.enums` members; constructors also take the plain
  string. Integers are range-checked as the Rust type (u32, u64, i32, i64);
  booleans are never integers; integers are accepted for float fields.
* :class:`Message` and its content blocks are frozen; everything else is
  mutable.
* Top-level array files (traces, runs, verification reports, subagent
  tasks) go through :func:`list_from_dicts` / :func:`list_to_dicts`, which
  prefix error keys with the item index (``[3].events[0].sequence``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from ..errors import CorruptDataError, InvalidDataError
from ._keys import nest, read_error, write_error
from .artifacts import (
    DEFAULT_MAX_ARTIFACT_BYTES,
    DEFAULT_MAX_ARTIFACTS,
    ArtifactStore,
    ToolArtifact,
)
from .checkpoints import (
    CURRENT_SCHEMA_VERSION,
    LoopCheckpoint,
    StepOutcome,
    WorkflowCheckpoint,
    WorkflowStepRecord,
)
from .config import DEFAULT_AUTO_COMPACT_THRESHOLD, SessionConfig
from .enums import (
    PermissionDecision,
    PlanningMode,
    RunStatus,
    SessionLane,
    SessionState,
    StorageBackend,
    SubagentTaskStatus,
    TaskHandlerMode,
    TaskPriority,
    TaskStatus,
    TimeoutAction,
    TraceEventKind,
    VerificationStatus,
)
from .messages import (
    ContentBlock,
    ImageBlock,
    ImageSource,
    Message,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UnknownBlock,
)
from .policies import AutoDelegationConfig, ConfirmationPolicy, PermissionPolicy, PermissionRule
from .queue import (
    LaneHandlerConfig,
    PriorityBoostConfig,
    RateLimitConfig,
    RetryPolicyConfig,
    SessionQueueConfig,
)
from .runs import RunEventRecord, RunRecord, RunSnapshot
from .session import SessionData, tool_names_from_definitions
from .subagents import SubagentProgress, SubagentTaskSnapshot
from .tasks import Task
from .trace import TRACE_EVENT_SCHEMA, TraceEvent
from .usage import (
    ContextUsage,
    LlmConfigData,
    LlmCostRecord,
    TokenUsage,
    normalize_timestamp,
    timestamp_from_datetime,
)
from .verification import VERIFICATION_REPORT_SCHEMA, VerificationCheck, VerificationReport

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "DEFAULT_AUTO_COMPACT_THRESHOLD",
    "DEFAULT_MAX_ARTIFACTS",
    "DEFAULT_MAX_ARTIFACT_BYTES",
    "TRACE_EVENT_SCHEMA",
    "VERIFICATION_REPORT_SCHEMA",
    "ArtifactStore",
    "AutoDelegationConfig",
    "ConfirmationPolicy",
    "ContentBlock",
    "ContextUsage",
    "ImageBlock",
    "ImageSource",
    "LaneHandlerConfig",
    "LlmConfigData",
    "LlmCostRecord",
    "LoopCheckpoint",
    "Message",
    "PermissionDecision",
    "PermissionPolicy",
    "PermissionRule",
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
    "SessionQueueConfig",
    "SessionState",
    "StepOutcome",
    "StorageBackend",
    "SubagentProgress",
    "SubagentTaskSnapshot",
    "SubagentTaskStatus",
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
    "VerificationCheck",
    "VerificationReport",
    "VerificationStatus",
    "WorkflowCheckpoint",
    "WorkflowStepRecord",
    "list_from_dicts",
    "list_to_dicts",
    "normalize_timestamp",
    "timestamp_from_datetime",
    "tool_names_from_definitions",
]

R = TypeVar("R")


def list_from_dicts(cls: type[R], data: Any) -> list[R]:
    """Decode a top-level JSON array of ``cls`` records.

    :raises CorruptDataError: not an array, or a bad item; ``key`` starts
        with the item index, e.g. ``[2].snapshot.status``.
    """
    if type(data) is not list:
        raise read_error("an array", data)
    out = []
    for index, item in enumerate(data):
        try:
            out.append(cls.from_dict(item))  # type: ignore[attr-defined]  # a record class
        except CorruptDataError as err:
            raise nest(err, f"[{index}]")
    return out


def list_to_dicts(records: Iterable[Any]) -> list[dict[str, Any]]:
    """The JSON array of a list of records.

    :raises InvalidDataError: a bad record; ``key`` starts with its index.
    """
    if not isinstance(records, (list, tuple)):
        raise write_error("a list of records", records)
    out = []
    for index, record in enumerate(records):
        try:
            if not hasattr(record, "to_dict"):
                raise InvalidDataError(f"expected a record, got {type(record).__name__}")
            out.append(record.to_dict())
        except InvalidDataError as err:
            raise nest(err, f"[{index}]")
    return out
