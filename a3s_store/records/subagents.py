"""``SubagentTaskSnapshot``: one entry of ``subagent_tasks/<id>.json``.

``progress`` is **required** on read (Rust has no default for it), as are
the three keys of each progress item; ``metadata`` is opaque JSON and may
be ``null``. ``finished_ms``, ``output`` and ``success`` are omitted when
None. Times are Unix epoch milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._fields import BOOL, OPAQUE, STR, U64, EnumConv, ListConv, RecordConv
from ._schema import SKIP_NONE, Field, Record, Schema
from .enums import SubagentTaskStatus

__all__ = ["SubagentProgress", "SubagentTaskSnapshot"]


@dataclass(slots=True, kw_only=True)
class SubagentProgress(Record):
    """A progress report of a delegated task."""

    timestamp_ms: int
    status: str
    metadata: Any = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


SubagentProgress._schema = Schema(
    [Field("timestamp_ms", U64), Field("status", STR), Field("metadata", OPAQUE)]
)


@dataclass(slots=True, kw_only=True)
class SubagentTaskSnapshot(Record):
    """A delegated (sub-agent) task as tracked by the parent session."""

    task_id: str
    parent_session_id: str
    child_session_id: str
    agent: str
    description: str
    status: SubagentTaskStatus | str = SubagentTaskStatus.RUNNING
    started_ms: int = 0
    updated_ms: int = 0
    finished_ms: int | None = None
    output: str | None = None
    success: bool | None = None
    progress: list[SubagentProgress] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


SubagentTaskSnapshot._schema = Schema(
    [
        Field("task_id", STR),
        Field("parent_session_id", STR),
        Field("child_session_id", STR),
        Field("agent", STR),
        Field("description", STR),
        Field("status", EnumConv(SubagentTaskStatus)),
        Field("started_ms", U64),
        Field("updated_ms", U64),
        Field("finished_ms", U64, SKIP_NONE),
        Field("output", STR, SKIP_NONE),
        Field("success", BOOL, SKIP_NONE),
        Field("progress", ListConv(RecordConv(SubagentProgress))),
    ]
)
