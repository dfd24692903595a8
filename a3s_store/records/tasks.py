"""``Task``: an entry of the session's plan (``crate::planning``).

``content`` is also read from the alias ``description``; giving both is an
error, as serde's "duplicate field":

>>> Task.from_dict({"id": "t1", "description": "Write tests", "status": "pending"}).content
'Write tests'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._fields import STR, EnumConv, ListConv
from ._schema import DEFAULT, SKIP_EMPTY, SKIP_NONE, Field, Record, Schema
from .enums import TaskPriority, TaskStatus

__all__ = ["Task"]


@dataclass(slots=True, kw_only=True)
class Task(Record):
    """A planned task: ``tool``/``success_criteria`` are omitted when None,
    ``dependencies`` when empty; ``priority`` defaults to ``medium``."""

    id: str
    content: str
    status: TaskStatus | str = TaskStatus.PENDING
    priority: TaskPriority | str = TaskPriority.MEDIUM
    tool: str | None = None
    dependencies: list[str] = field(default_factory=list)
    success_criteria: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


Task._schema = Schema(
    [
        Field("id", STR),
        Field("content", STR, alias="description"),
        Field("status", EnumConv(TaskStatus)),
        Field("priority", EnumConv(TaskPriority), DEFAULT, default=lambda: TaskPriority.MEDIUM),
        Field("tool", STR, SKIP_NONE),
        Field("dependencies", ListConv(STR), SKIP_EMPTY),
        Field("success_criteria", STR, SKIP_NONE),
    ]
)
