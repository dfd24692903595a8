"""What the persistence helper consumes: the :class:`PersistableSession` protocol.

The helper (``persistence.py``, ``restore.py``, ``agent_run.py``) reads and
restores any object with these attributes; :class:`~a3s_store.AgentSession`
is the plain one shipped here. :class:`AgentConfig` is the type of its
``config`` attribute (the agent settings a session persists), so it lives
beside the protocol rather than beside the concrete session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .records import (
    ArtifactStore,
    AutoDelegationConfig,
    ConfirmationPolicy,
    Message,
    PermissionPolicy,
    PlanningMode,
    RunRecord,
    SessionQueueConfig,
    SubagentTaskSnapshot,
    TraceEvent,
    VerificationReport,
)
from .store import SessionStore

__all__ = ["AgentConfig", "PersistableSession"]


@dataclass(slots=True, kw_only=True)
class AgentConfig:
    """The agent settings a session persists (``SessionData.config`` and ``tool_names``).

    ``max_context_tokens`` is saved as ``max_context_length`` (capped at the
    u32 range); ``max_parallel_tasks`` and ``auto_delegation`` are saved only
    when set, so a resumed session does not pin the defaults of the agent
    that first saved it (a3s-code 3.4 did).
    """

    system_prompt: str | None = None
    max_context_tokens: int = 200_000
    auto_compact: bool = False
    auto_compact_threshold: float = 0.8
    queue_config: SessionQueueConfig | None = None
    confirmation_policy: ConfirmationPolicy | None = None
    permission_policy: PermissionPolicy | None = None
    max_parallel_tasks: int | None = None
    auto_delegation: AutoDelegationConfig | None = None
    planning_mode: PlanningMode = PlanningMode.AUTO
    goal_tracking: bool = False
    tool_names: list[str] = field(default_factory=list)


@runtime_checkable
class PersistableSession(Protocol):
    """The attributes the persistence helper reads and (on restore) replaces.

    Restore assigns new values to ``history``, ``artifacts``,
    ``trace_events``, ``run_records``, ``verification_reports`` and
    ``subagent_tasks``; everything else is only read. ``config`` needs the
    attributes of :class:`AgentConfig`. An object may also have
    ``persistence`` (its :class:`~a3s_store.SessionPersistence`), which
    restore then updates instead of returning a new one.
    """

    session_id: str
    workspace: str
    config: AgentConfig
    model: str | None
    history: list[Message]
    artifacts: ArtifactStore
    trace_events: list[TraceEvent]
    trace_retention: int | None
    run_records: list[RunRecord]
    verification_reports: list[VerificationReport]
    subagent_tasks: list[SubagentTaskSnapshot]
    tenant_id: str | None
    principal: str | None
    agent_template_id: str | None
    correlation_id: str | None
    auto_save: bool
    store: SessionStore | None
