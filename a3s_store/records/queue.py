"""``SessionQueueConfig`` and its parts (Rust ``crate::queue``).

The JSON keys are **camelCase** (except inside ``LaneHandlerConfig``), and
the serde defaults for missing concurrency keys (4/12/4/2) differ from the
Rust ``Default`` (2/4/2/1) that the Python constructor uses:

>>> SessionQueueConfig.from_dict({}).query_max_concurrency
12
>>> SessionQueueConfig().query_max_concurrency
4

``lane_handlers`` and ``lane_timeouts`` map lane names (``"Control"``,
``"Query"``, ``"Execute"``, ``"Generate"``) to values; they are Rust hash
maps, so their key order is not stable between Rust writes. Options are
written as ``null`` when None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._fields import BOOL, STR, U32, U64, EnumConv, EnumKeyMapConv, RecordConv
from ._schema import DEFAULT, NULLABLE, Field, Record, Schema
from .enums import SessionLane, TaskHandlerMode

__all__ = [
    "LaneHandlerConfig",
    "PriorityBoostConfig",
    "RateLimitConfig",
    "RetryPolicyConfig",
    "SessionQueueConfig",
]


@dataclass(slots=True, kw_only=True)
class LaneHandlerConfig(Record):
    """How a lane's tasks are handled; snake_case keys, both required."""

    mode: TaskHandlerMode | str = TaskHandlerMode.INTERNAL
    timeout_ms: int = 60000
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


LaneHandlerConfig._schema = Schema(
    [Field("mode", EnumConv(TaskHandlerMode)), Field("timeout_ms", U64)]
)


@dataclass(slots=True, kw_only=True)
class RetryPolicyConfig(Record):
    """``retryPolicy``: ``strategy`` (required), ``maxRetries`` (default 3),
    ``initialDelayMs`` (default 100), ``fixedDelayMs``."""

    strategy: str
    max_retries: int = 3
    initial_delay_ms: int = 100
    fixed_delay_ms: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


RetryPolicyConfig._schema = Schema(
    [
        Field("strategy", STR),
        Field("max_retries", U32, DEFAULT, key="maxRetries", default=lambda: 3),
        Field("initial_delay_ms", U64, DEFAULT, key="initialDelayMs", default=lambda: 100),
        Field("fixed_delay_ms", U64, NULLABLE, key="fixedDelayMs"),
    ]
)


@dataclass(slots=True, kw_only=True)
class RateLimitConfig(Record):
    """``rateLimit``: ``limitType`` (required), ``maxOperations``."""

    limit_type: str
    max_operations: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


RateLimitConfig._schema = Schema(
    [
        Field("limit_type", STR, key="limitType"),
        Field("max_operations", U64, NULLABLE, key="maxOperations"),
    ]
)


@dataclass(slots=True, kw_only=True)
class PriorityBoostConfig(Record):
    """``priorityBoost``: ``strategy`` (required), ``deadlineMs``."""

    strategy: str
    deadline_ms: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


PriorityBoostConfig._schema = Schema(
    [Field("strategy", STR), Field("deadline_ms", U64, NULLABLE, key="deadlineMs")]
)


@dataclass(slots=True, kw_only=True)
class SessionQueueConfig(Record):
    """The lane queue settings of a session (``config.queue_config``).

    Constructor defaults are Rust's ``Default`` (2/4/2/1); keys missing
    from a file take the serde defaults (4/12/4/2) instead.
    """

    control_max_concurrency: int = 2
    query_max_concurrency: int = 4
    execute_max_concurrency: int = 2
    generate_max_concurrency: int = 1
    lane_handlers: dict[str, LaneHandlerConfig] = field(default_factory=dict)
    enable_dlq: bool = False
    dlq_max_size: int | None = None
    enable_metrics: bool = False
    enable_alerts: bool = False
    default_timeout_ms: int | None = None
    storage_path: str | None = None
    retry_policy: RetryPolicyConfig | None = None
    rate_limit: RateLimitConfig | None = None
    priority_boost: PriorityBoostConfig | None = None
    pressure_threshold: int | None = None
    lane_timeouts: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


def _const(value: object) -> Callable[[], object]:  # a default factory returning ``value``
    return lambda: value


SessionQueueConfig._schema = Schema(
    [
        Field("control_max_concurrency", U64, DEFAULT, key="controlMaxConcurrency",
              default=_const(4)),
        Field("query_max_concurrency", U64, DEFAULT, key="queryMaxConcurrency",
              default=_const(12)),
        Field("execute_max_concurrency", U64, DEFAULT, key="executeMaxConcurrency",
              default=_const(4)),
        Field("generate_max_concurrency", U64, DEFAULT, key="generateMaxConcurrency",
              default=_const(2)),
        Field("lane_handlers", EnumKeyMapConv(SessionLane, RecordConv(LaneHandlerConfig)),
              DEFAULT, key="laneHandlers", default=dict),
        Field("enable_dlq", BOOL, DEFAULT, key="enableDlq", default=_const(False)),
        Field("dlq_max_size", U64, NULLABLE, key="dlqMaxSize"),
        Field("enable_metrics", BOOL, DEFAULT, key="enableMetrics", default=_const(False)),
        Field("enable_alerts", BOOL, DEFAULT, key="enableAlerts", default=_const(False)),
        Field("default_timeout_ms", U64, NULLABLE, key="defaultTimeoutMs"),
        Field("storage_path", STR, NULLABLE, key="storagePath"),
        Field("retry_policy", RecordConv(RetryPolicyConfig), NULLABLE, key="retryPolicy"),
        Field("rate_limit", RecordConv(RateLimitConfig), NULLABLE, key="rateLimit"),
        Field("priority_boost", RecordConv(PriorityBoostConfig), NULLABLE,
              key="priorityBoost"),
        Field("pressure_threshold", U64, NULLABLE, key="pressureThreshold"),
        Field("lane_timeouts", EnumKeyMapConv(SessionLane, U64), DEFAULT,
              key="laneTimeouts", default=dict),
    ]
)
