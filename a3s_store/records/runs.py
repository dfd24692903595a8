"""``RunRecord``: one entry of ``runs/<id>.json`` (a JSON array).

A record is a ``RunSnapshot`` plus its retained events. Each event is an
``AgentEvent`` (``{"type": "turn_start", ...}``), kept as opaque JSON so that
event types this version does not know still load and are written back
unchanged. ``event_count`` is cumulative and may exceed ``len(events)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._fields import OPAQUE, STR, U64, EnumConv, ListConv, RecordConv
from ._schema import SKIP_NONE, Field, Record, Schema
from .enums import RunStatus

__all__ = ["RunEventRecord", "RunRecord", "RunSnapshot"]


@dataclass(slots=True, kw_only=True)
class RunSnapshot(Record):
    """A run's state; times are Unix epoch milliseconds."""

    id: str
    session_id: str
    status: RunStatus | str = RunStatus.CREATED
    prompt: str = ""
    created_at_ms: int = 0
    updated_at_ms: int = 0
    result_text: str | None = None
    error: str | None = None
    event_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


RunSnapshot._schema = Schema(
    [
        Field("id", STR),
        Field("session_id", STR),
        Field("status", EnumConv(RunStatus)),
        Field("prompt", STR),
        Field("created_at_ms", U64),
        Field("updated_at_ms", U64),
        Field("result_text", STR, SKIP_NONE),
        Field("error", STR, SKIP_NONE),
        Field("event_count", U64),
    ]
)


@dataclass(slots=True, kw_only=True)
class RunEventRecord(Record):
    """One retained event of a run; ``event`` is opaque JSON."""

    sequence: int
    timestamp_ms: int
    event: Any
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


RunEventRecord._schema = Schema(
    [Field("sequence", U64), Field("timestamp_ms", U64), Field("event", OPAQUE)]
)


@dataclass(slots=True, kw_only=True)
class RunRecord(Record):
    """A run snapshot and its retained events."""

    snapshot: RunSnapshot
    events: list[RunEventRecord] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


RunRecord._schema = Schema(
    [
        Field("snapshot", RecordConv(RunSnapshot)),
        Field("events", ListConv(RecordConv(RunEventRecord))),
    ]
)
