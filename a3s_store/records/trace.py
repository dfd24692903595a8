"""``TraceEvent``: one entry of ``traces/<id>.json`` (a JSON array).

``metadata_keys`` and ``artifact_uris`` are omitted when empty; ``details``
(opaque JSON) is omitted when None, and an explicit ``null`` reads as None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._fields import BOOL, I32, OPAQUE, STR, U64, EnumConv, ListConv
from ._schema import SKIP_EMPTY, SKIP_NONE, Field, Record, Schema
from .enums import TraceEventKind

__all__ = ["TRACE_EVENT_SCHEMA", "TraceEvent"]

#: The ``schema`` value Rust writes.
TRACE_EVENT_SCHEMA = "a3s.trace_event.v1"


@dataclass(slots=True, kw_only=True)
class TraceEvent(Record):
    """A tool or program execution, as traced."""

    schema: str = TRACE_EVENT_SCHEMA
    kind: TraceEventKind | str
    name: str
    success: bool
    exit_code: int = 0
    duration_ms: int = 0
    output_bytes: int = 0
    metadata_keys: list[str] = field(default_factory=list)
    artifact_uris: list[str] = field(default_factory=list)
    details: Any = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


TraceEvent._schema = Schema(
    [
        Field("schema", STR),
        Field("kind", EnumConv(TraceEventKind)),
        Field("name", STR),
        Field("success", BOOL),
        Field("exit_code", I32),
        Field("duration_ms", U64),
        Field("output_bytes", U64),
        Field("metadata_keys", ListConv(STR), SKIP_EMPTY),
        Field("artifact_uris", ListConv(STR), SKIP_EMPTY),
        Field("details", OPAQUE, SKIP_NONE),
    ]
)
