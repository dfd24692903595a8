"""What a save writes: the ``SessionData`` of a live session, and the model-name rules.

:func:`build_session_data_snapshot` puts the live state on top of the
previous generation (so re-saving is lossless; a3s-code 3.4 reset what the
live session does not own). The three model functions are format.md §3.7's
``persisted_model_name``, ``model_config_data`` and ``persisted_model_ref``:
a model is saved as ``provider/model``, never with a key or an endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._helper_common import copy_usage, sum_usage
from .records import (
    LlmConfigData,
    LlmCostRecord,
    SessionConfig,
    SessionData,
    SessionState,
    StorageBackend,
    TokenUsage,
)

if TYPE_CHECKING:
    from .persistable import PersistableSession

__all__ = [
    "build_session_data_snapshot",
    "model_config_data",
    "persisted_model_name",
    "persisted_model_ref",
]

_U32_MAX = 2**32 - 1


# -- the model ------------------------------------------------------------------


def persisted_model_name(name: str | None) -> str | None:
    """The model name to persist: None for None, ``""`` and ``"unknown"``.

    >>> persisted_model_name("openai/gpt-4o"), persisted_model_name("unknown")
    ('openai/gpt-4o', None)
    """
    if name is None or name in ("", "unknown"):
        return None
    return name


def model_config_data(name: str | None) -> LlmConfigData | None:
    """The ``llm_config`` of a ``provider/model`` name, split at the first ``/``.

    None when the name has no ``/``. The result never carries an ``api_key``
    or a ``base_url``: secrets and endpoints are not session data.

    >>> cfg = model_config_data("openrouter/meta/llama-3")
    >>> cfg.provider, cfg.model, cfg.api_key, cfg.base_url
    ('openrouter', 'meta/llama-3', None, None)
    >>> model_config_data("gpt-4o") is None
    True
    """
    if not isinstance(name, str) or "/" not in name:
        return None
    provider, model = name.split("/", 1)
    return LlmConfigData(provider=provider, model=model)


def persisted_model_ref(data: SessionData) -> str | None:
    """The ``provider/model`` a saved session ran with, or None.

    ``llm_config`` wins; else ``model_name`` when it holds a ``/``.

    >>> persisted_model_ref(SessionData(id="s", model_name="anthropic/old",
    ...                                 llm_config=model_config_data("openai/gpt-4o")))
    'openai/gpt-4o'
    """
    if data.llm_config is not None:
        return f"{data.llm_config.provider}/{data.llm_config.model}"
    if data.model_name is not None and "/" in data.model_name:
        return data.model_name
    return None


# -- building a generation ------------------------------------------------------------


def _session_config(session: PersistableSession, prev_cfg: SessionConfig) -> SessionConfig:
    """The live settings, on top of the previous generation's config."""
    cfg = session.config
    return SessionConfig(
        name=prev_cfg.name,
        workspace=str(session.workspace),
        system_prompt=cfg.system_prompt,
        max_context_length=min(cfg.max_context_tokens, _U32_MAX),
        auto_compact=cfg.auto_compact,
        auto_compact_threshold=cfg.auto_compact_threshold,
        storage_type=prev_cfg.storage_type,
        queue_config=cfg.queue_config,
        confirmation_policy=cfg.confirmation_policy,
        permission_policy=cfg.permission_policy,
        max_parallel_tasks=cfg.max_parallel_tasks,
        auto_delegation=cfg.auto_delegation,
        parent_id=prev_cfg.parent_id,
        security_config=prev_cfg.security_config,
        planning_mode=cfg.planning_mode,
        goal_tracking=cfg.goal_tracking,
        extra=prev_cfg.extra,
    )


def build_session_data_snapshot(
    session: PersistableSession,
    previous: SessionData | None = None,
    *,
    usage: TokenUsage | None = None,
    cost: float = 0.0,
    cost_records: Iterable[LlmCostRecord] = (),
    storage_type: StorageBackend | str = StorageBackend.FILE,
    now: int | None = None,
) -> SessionData:
    """The :class:`~a3s_store.SessionData` of a live session, on top of ``previous``.

    ``previous`` is the generation the session was restored from or last
    saved (None for a session never saved). Where each field comes from:

    * **The live session** (what it owns): ``id``; in ``config``:
      ``workspace``, ``system_prompt``, ``max_context_length`` (from
      ``max_context_tokens``, capped at the u32 range), ``auto_compact``,
      ``auto_compact_threshold``, ``queue_config``, ``confirmation_policy``,
      ``permission_policy``, ``max_parallel_tasks``, ``auto_delegation``,
      ``planning_mode``, ``goal_tracking``; ``messages`` (the history);
      ``model_name`` and ``llm_config`` (from the model name only, never a
      key or an endpoint); ``tool_names``; ``tenant_id``, ``principal``,
      ``agent_template_id``, ``correlation_id``.
    * **previous** (default when None in brackets): in ``config``: ``name``
      (``""``), ``storage_type`` (``storage_type``), ``parent_id``,
      ``security_config``, unknown keys; ``state`` (``Active``);
      ``context_usage``; ``tasks``; ``parent_id``; ``thinking_enabled``,
      ``thinking_budget``; ``created_at`` (``now``); unknown keys.
    * **previous plus what was recorded since**: ``total_usage`` + ``usage``,
      ``total_cost`` + ``cost``, ``cost_records`` + ``cost_records``.
    * **The clock**: ``updated_at`` = ``now`` (never before the previous
      ``updated_at`` or ``created_at``).

    The result shares the live session's objects (messages, policies); a
    store copies what it saves.
    """
    now = int(time.time()) if now is None else int(now)
    prev_cfg = previous.config if previous is not None else SessionConfig(
        storage_type=storage_type)
    config = _session_config(session, prev_cfg)
    model_name = persisted_model_name(session.model)
    if previous is None:
        previous = SessionData(id=session.session_id, state=SessionState.ACTIVE,
                               created_at=now, updated_at=now)
    return SessionData(
        id=session.session_id,
        config=config,
        state=previous.state,
        messages=list(session.history),
        context_usage=previous.context_usage,
        total_usage=(sum_usage(previous.total_usage, usage) if usage is not None
                     else copy_usage(previous.total_usage)),
        total_cost=previous.total_cost + cost,
        model_name=model_name,
        cost_records=[*previous.cost_records, *cost_records],
        tool_names=list(session.config.tool_names),
        thinking_enabled=previous.thinking_enabled,
        thinking_budget=previous.thinking_budget,
        created_at=previous.created_at,
        updated_at=max(now, previous.updated_at, previous.created_at),
        llm_config=model_config_data(model_name),
        tasks=previous.tasks,
        parent_id=previous.parent_id,
        tenant_id=session.tenant_id,
        principal=session.principal,
        agent_template_id=session.agent_template_id,
        correlation_id=session.correlation_id,
        extra=previous.extra,
    )
