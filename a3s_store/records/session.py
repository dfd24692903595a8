"""``SessionData``: the document of ``<root>/<id>.json``.

``created_at``/``updated_at`` are Unix epoch **seconds**. ``tasks`` is also
read from the alias ``todos`` and always written as ``tasks``. ``model_name``,
``llm_config``, ``parent_id`` and the four identity labels are omitted when
None; ``thinking_budget`` is written as ``null``.

>>> s = SessionData(id="s-1", created_at=1700000000, updated_at=1700000000)
>>> d = s.to_dict()
>>> list(d)[:6]
['id', 'config', 'state', 'messages', 'context_usage', 'total_usage']
>>> SessionData.from_dict(d) == s
True
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidDataError
from ._decode import MessagesConv
from ._fields import BOOL, F64, I64, STR, U64, EnumConv, ListConv, RecordConv
from ._schema import DEFAULT, NULLABLE, SKIP_NONE, Field, Record, Schema
from .config import SessionConfig
from .enums import SessionState
from .messages import Message
from .tasks import Task
from .usage import ContextUsage, LlmConfigData, LlmCostRecord, TokenUsage

__all__ = ["SessionData", "tool_names_from_definitions"]


def _now() -> int:
    return int(time.time())


@dataclass(slots=True, kw_only=True)
class SessionData(Record):
    """One persisted agent session.

    ``revision`` is not part of the file: the store sets it on load (it is
    ignored by ``==`` and ``repr``).
    """

    id: str
    config: SessionConfig = field(default_factory=SessionConfig)
    state: SessionState | str = SessionState.UNKNOWN
    messages: list[Message] = field(default_factory=list)
    context_usage: ContextUsage = field(default_factory=ContextUsage)
    total_usage: TokenUsage = field(default_factory=TokenUsage)
    total_cost: float = 0.0
    model_name: str | None = None
    cost_records: list[LlmCostRecord] = field(default_factory=list)
    tool_names: list[str] = field(default_factory=list)
    thinking_enabled: bool = False
    thinking_budget: int | None = None
    created_at: int = field(default_factory=_now)
    updated_at: int = field(default_factory=_now)
    llm_config: LlmConfigData | None = None
    tasks: list[Task] = field(default_factory=list)
    parent_id: str | None = None
    tenant_id: str | None = None
    principal: str | None = None
    agent_template_id: str | None = None
    correlation_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    revision: str | None = field(default=None, compare=False, repr=False)

    def __repr__(self) -> str:
        # Counts, not contents: a session may hold thousands of messages.
        from .._render_text import session_repr
        return session_repr(self)

    def _repr_html_(self) -> str:
        """A compact, escaped transcript (notebooks call this to show the session)."""
        from .._render_html import render_notebook
        return render_notebook(self)

    def _to_dict_with_messages(self, messages: list[Any]) -> dict[str, Any]:
        """:meth:`to_dict` with ``messages`` (pre-encoded :class:`Raw`
        chunks, normally) used as the value of ``"messages"`` unconverted."""
        return self._schema.write(self, {"messages": messages})


SessionData._schema = Schema(
    [
        Field("id", STR),
        Field("config", RecordConv(SessionConfig)),
        Field("state", EnumConv(SessionState)),
        Field("messages", MessagesConv()),
        Field("context_usage", RecordConv(ContextUsage)),
        Field("total_usage", RecordConv(TokenUsage)),
        Field("total_cost", F64, DEFAULT, default=lambda: 0.0),
        Field("model_name", STR, SKIP_NONE),
        Field("cost_records", ListConv(RecordConv(LlmCostRecord)), DEFAULT, default=list),
        Field("tool_names", ListConv(STR)),
        Field("thinking_enabled", BOOL),
        Field("thinking_budget", U64, NULLABLE),
        Field("created_at", I64),
        Field("updated_at", I64),
        Field("llm_config", RecordConv(LlmConfigData), SKIP_NONE),
        Field("tasks", ListConv(RecordConv(Task)), DEFAULT, alias="todos", default=list),
        Field("parent_id", STR, SKIP_NONE),
        Field("tenant_id", STR, SKIP_NONE),
        Field("principal", STR, SKIP_NONE),
        Field("agent_template_id", STR, SKIP_NONE),
        Field("correlation_id", STR, SKIP_NONE),
    ]
)


def tool_names_from_definitions(tools: Iterable[Any]) -> list[str]:
    """Each tool definition's ``name``, in order.

    A definition is an object with a ``name`` attribute or a mapping with a
    ``"name"`` key.

    >>> tool_names_from_definitions([{"name": "bash"}, {"name": "read"}])
    ['bash', 'read']
    """
    names = []
    for index, tool in enumerate(tools):
        name = tool.get("name") if isinstance(tool, dict) else getattr(tool, "name", None)
        if not isinstance(name, str):
            raise InvalidDataError(
                f"tool definition has no string name: {type(tool).__name__}", key=f"[{index}]"
            )
        names.append(name)
    return names

