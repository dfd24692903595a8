"""``SessionConfig``: the ``config`` object of a session file.

``system_prompt`` is written as ``null`` when None; the policies, the queue
config, ``max_parallel_tasks``, ``auto_delegation``, ``parent_id`` and
``security_config`` are omitted when None. ``security_config`` is kept as an
opaque JSON object (a 3.4 reader needs its six keys; this package does not
invent them). ``auto_compact_threshold`` is an ``f32`` in Rust.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._fields import BOOL, F32_, OBJECT, STR, U32, U64, EnumConv, RecordConv
from ._schema import DEFAULT, NULLABLE, SKIP_NONE, Field, Record, Schema
from .enums import PlanningMode, StorageBackend
from .policies import AutoDelegationConfig, ConfirmationPolicy, PermissionPolicy
from .queue import SessionQueueConfig

__all__ = ["DEFAULT_AUTO_COMPACT_THRESHOLD", "SessionConfig"]

#: Rust's ``DEFAULT_AUTO_COMPACT_THRESHOLD`` (an ``f32``).
DEFAULT_AUTO_COMPACT_THRESHOLD = 0.8


@dataclass(slots=True, kw_only=True)
class SessionConfig(Record):
    """The per-session settings (constructor defaults are Rust's ``Default``)."""

    name: str = ""
    workspace: str = ""
    system_prompt: str | None = None
    max_context_length: int = 0
    auto_compact: bool = False
    auto_compact_threshold: float = DEFAULT_AUTO_COMPACT_THRESHOLD
    storage_type: StorageBackend | str = StorageBackend.FILE
    queue_config: SessionQueueConfig | None = None
    confirmation_policy: ConfirmationPolicy | None = None
    permission_policy: PermissionPolicy | None = None
    max_parallel_tasks: int | None = None
    auto_delegation: AutoDelegationConfig | None = None
    parent_id: str | None = None
    security_config: dict[str, Any] | None = None
    planning_mode: PlanningMode | str = PlanningMode.AUTO
    goal_tracking: bool = False
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


SessionConfig._schema = Schema(
    [
        Field("name", STR),
        Field("workspace", STR),
        Field("system_prompt", STR, NULLABLE),
        Field("max_context_length", U32),
        Field("auto_compact", BOOL),
        Field("auto_compact_threshold", F32_, DEFAULT,
              default=lambda: DEFAULT_AUTO_COMPACT_THRESHOLD),
        Field("storage_type", EnumConv(StorageBackend), DEFAULT,
              default=lambda: StorageBackend.FILE),
        Field("queue_config", RecordConv(SessionQueueConfig), SKIP_NONE),
        Field("confirmation_policy", RecordConv(ConfirmationPolicy), SKIP_NONE),
        Field("permission_policy", RecordConv(PermissionPolicy), SKIP_NONE),
        Field("max_parallel_tasks", U64, SKIP_NONE),
        Field("auto_delegation", RecordConv(AutoDelegationConfig), SKIP_NONE),
        Field("parent_id", STR, SKIP_NONE),
        Field("security_config", OBJECT, SKIP_NONE),
        Field("planning_mode", EnumConv(PlanningMode), DEFAULT,
              default=lambda: PlanningMode.AUTO),
        Field("goal_tracking", BOOL, DEFAULT, default=lambda: False),
    ]
)
