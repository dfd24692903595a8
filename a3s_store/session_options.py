"""What a caller asks of a session, and how a saved session fills in the rest.

:class:`SessionOptions` holds the settings a live session is built from
(None everywhere means "not given"). :func:`apply_persisted_runtime_options`
fills what the caller left out from a saved :class:`~a3s_store.SessionData`:
caller values always win.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidDataError
from .generation import persisted_model_name, persisted_model_ref
from .records import (
    AutoDelegationConfig,
    ConfirmationPolicy,
    PermissionPolicy,
    PlanningMode,
    SessionData,
    SessionQueueConfig,
)

__all__ = ["SessionOptions", "apply_persisted_runtime_options"]


@dataclass(slots=True, kw_only=True)
class SessionOptions:
    """Settings for a new or resumed :class:`~a3s_store.AgentSession` (None: not given).

    ``api_key`` and ``base_url`` are runtime-only: they are never saved, so a
    resumed session gets them only from here. ``auto_save`` and
    ``trace_retention`` are runtime settings too (not saved).

    >>> SessionOptions(model="openai/gpt-4o", api_key="sk-...")
    SessionOptions(model='openai/gpt-4o')
    """

    session_id: str | None = None
    workspace: str | None = None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = field(default=None, repr=False)
    system_prompt: str | None = None
    max_context_tokens: int | None = None
    auto_compact: bool | None = None
    auto_compact_threshold: float | None = None
    queue_config: SessionQueueConfig | None = None
    confirmation_policy: ConfirmationPolicy | None = None
    permission_policy: PermissionPolicy | None = None
    max_parallel_tasks: int | None = None
    auto_delegation: AutoDelegationConfig | None = None
    planning_mode: PlanningMode | None = None
    goal_tracking: bool | None = None
    tool_names: list[str] | None = None
    tenant_id: str | None = None
    principal: str | None = None
    agent_template_id: str | None = None
    correlation_id: str | None = None
    auto_save: bool | None = None
    trace_retention: int | None = None

    def __repr__(self) -> str:  # the options given, never the secrets
        given = [f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)
                 if f.repr and getattr(self, f.name) is not None]
        return f"SessionOptions({', '.join(given)})"


# option name <- where it comes from in SessionData.config, when the caller gave none
_FROM_CONFIG = {
    "workspace": "workspace",
    "system_prompt": "system_prompt",
    "max_context_tokens": "max_context_length",
    "auto_compact": "auto_compact",
    "auto_compact_threshold": "auto_compact_threshold",
    "queue_config": "queue_config",
    "confirmation_policy": "confirmation_policy",
    "permission_policy": "permission_policy",
    "max_parallel_tasks": "max_parallel_tasks",
    "auto_delegation": "auto_delegation",
    "planning_mode": "planning_mode",
    "goal_tracking": "goal_tracking",
}
_FROM_SESSION = ("tenant_id", "principal", "agent_template_id", "correlation_id")


def apply_persisted_runtime_options(options: SessionOptions, data: SessionData) -> SessionOptions:
    """``options`` completed from a saved session; caller values win.

    Returns a new :class:`SessionOptions` (``options`` is not changed):

    * ``session_id`` is always ``data.id`` (this is that session's resume);
    * ``model`` <- :func:`persisted_model_ref` (``llm_config``, else a
      ``provider/model`` name), else the bare saved model name (a3s-code 3.4
      lost a model saved without a provider);
    * from ``data.config``, as a3s-code 3.4 restores: ``queue_config``,
      ``confirmation_policy``, ``permission_policy``, ``max_parallel_tasks``,
      ``auto_delegation``; and what 3.4 saves but forgot to restore:
      ``planning_mode``, ``goal_tracking``, ``auto_compact``,
      ``auto_compact_threshold``, ``max_context_tokens`` (from
      ``max_context_length``), ``system_prompt``, ``workspace``;
    * ``tool_names`` and the identity labels ``tenant_id``, ``principal``,
      ``agent_template_id``, ``correlation_id`` from ``data``.

    Not restored: ``api_key`` and ``base_url`` (never saved: pass them
    again), ``auto_save`` and ``trace_retention`` (runtime settings). The
    session's name, state, tasks, thinking settings, usage and cost are not
    options: the restored generation carries them into the next save.

    >>> from . import SessionData, SessionConfig
    >>> data = SessionData(id="s-1", model_name="openai/gpt-4o",
    ...                    config=SessionConfig(goal_tracking=True, max_context_length=8000))
    >>> opts = apply_persisted_runtime_options(SessionOptions(max_context_tokens=4000), data)
    >>> opts.session_id, opts.model, opts.goal_tracking, opts.max_context_tokens
    ('s-1', 'openai/gpt-4o', True, 4000)
    """
    if not isinstance(options, SessionOptions):
        raise InvalidDataError(f"expected SessionOptions, got {type(options).__name__}")
    updates: dict[str, Any] = {"session_id": data.id}
    if options.model is None:
        updates["model"] = persisted_model_ref(data) or persisted_model_name(data.model_name)
    for name, key in _FROM_CONFIG.items():
        if getattr(options, name) is None:
            updates[name] = getattr(data.config, key)
    if options.tool_names is None:
        updates["tool_names"] = list(data.tool_names)
    for name in _FROM_SESSION:
        if getattr(options, name) is None:
            updates[name] = getattr(data, name)
    return dataclasses.replace(options, **updates)
