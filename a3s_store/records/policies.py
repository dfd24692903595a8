"""Confirmation, permission and auto-delegation policies of a session.

``ConfirmationPolicy`` has no serde defaults: all four keys are required on
read. ``PermissionRule`` is written as ``{"rule": ...}`` but also read from
a bare string. ``AutoDelegationConfig`` is camelCase with container
defaults; only ``autoParallel`` has a snake_case alias (``auto_parallel``):

>>> AutoDelegationConfig.from_dict({"auto_parallel": False}).auto_parallel
False
>>> PermissionPolicy.from_dict({"allow": ["Bash(cargo:*)"]}).allow
[PermissionRule(rule='Bash(cargo:*)')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._fields import BOOL, F32_, STR, U64, EnumConv, ListConv, RecordConv
from ._schema import DEFAULT, Field, Record, Schema
from .enums import PermissionDecision, SessionLane, TimeoutAction

__all__ = [
    "AutoDelegationConfig",
    "ConfirmationPolicy",
    "PermissionPolicy",
    "PermissionRule",
]


@dataclass(slots=True, kw_only=True)
class ConfirmationPolicy(Record):
    """Human-in-the-loop confirmation (``crate::hitl``); every key required.

    ``yolo_lanes`` is a Rust hash set: its order is not stable between Rust
    writes; it is kept as read.
    """

    enabled: bool = False
    default_timeout_ms: int = 30000
    timeout_action: TimeoutAction | str = TimeoutAction.REJECT
    yolo_lanes: list[SessionLane] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        if isinstance(self.yolo_lanes, (list, tuple)):
            self.yolo_lanes = [_LANE.coerce(lane) for lane in self.yolo_lanes]


_LANE = EnumConv(SessionLane)

ConfirmationPolicy._schema = Schema(
    [
        Field("enabled", BOOL),
        Field("default_timeout_ms", U64),
        Field("timeout_action", EnumConv(TimeoutAction)),
        Field("yolo_lanes", ListConv(_LANE)),
    ]
)


@dataclass(slots=True, kw_only=True)
class PermissionRule(Record):
    """A permission rule such as ``Bash(cargo:*)`` (the text is kept as is)."""

    rule: str
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> PermissionRule:
        """Build from ``{"rule": ...}`` or from a bare rule string."""
        if type(data) is str:
            return cls(rule=data)
        return cls._schema.read(cls, data)


PermissionRule._schema = Schema([Field("rule", STR)])


@dataclass(slots=True, kw_only=True)
class PermissionPolicy(Record):
    """Allow/deny/ask rules and the fallback decision (``crate::permissions``).

    Rules may be given to the constructor as plain strings.
    """

    deny: list[PermissionRule] = field(default_factory=list)
    allow: list[PermissionRule] = field(default_factory=list)
    ask: list[PermissionRule] = field(default_factory=list)
    default_decision: PermissionDecision | str = PermissionDecision.ASK
    enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        Record.__post_init__(self)
        for name in ("deny", "allow", "ask"):
            rules = getattr(self, name)
            if isinstance(rules, (list, tuple)):
                setattr(
                    self,
                    name,
                    [PermissionRule(rule=r) if isinstance(r, str) else r for r in rules],
                )


_RULES = ListConv(RecordConv(PermissionRule))

PermissionPolicy._schema = Schema(
    [
        Field("deny", _RULES, DEFAULT, default=list),
        Field("allow", _RULES, DEFAULT, default=list),
        Field("ask", _RULES, DEFAULT, default=list),
        Field("default_decision", EnumConv(PermissionDecision), DEFAULT,
              default=lambda: PermissionDecision.ASK),
        Field("enabled", BOOL, DEFAULT, default=lambda: True),
    ]
)


@dataclass(slots=True, kw_only=True)
class AutoDelegationConfig(Record):
    """Automatic delegation to sub-agents (camelCase keys, all defaulted).

    ``min_confidence`` is an ``f32`` in Rust.
    """

    enabled: bool = False
    auto_parallel: bool = True
    min_confidence: float = 0.72
    max_tasks: int = 4
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


AutoDelegationConfig._schema = Schema(
    [
        Field("enabled", BOOL, DEFAULT, default=lambda: False),
        Field("auto_parallel", BOOL, DEFAULT, key="autoParallel", alias="auto_parallel",
              default=lambda: True),
        Field("min_confidence", F32_, DEFAULT, key="minConfidence", default=lambda: 0.72),
        Field("max_tasks", U64, DEFAULT, key="maxTasks", default=lambda: 4),
    ]
)
