"""A plain live agent session: what the persistence helper snapshots and restores.

a3s-code's helper snapshots its ``AgentSession`` (an agent runtime with an
LLM client, tools and a run store). :class:`AgentSession` here is only the
state that gets persisted, as plain attributes, so scripts, notebooks and
tests can build, save and resume sessions without an agent runtime; your own
agent loop drives it (appends messages, records runs and usage).

Code that has its own session object can hand it to the helper instead: it
needs the attributes of :class:`~a3s_store.PersistableSession`.

>>> from . import AgentSession, MemorySessionStore, Message, TextBlock
>>> store = MemorySessionStore()
>>> live = AgentSession(session_id="notes", model="openai/gpt-4o", store=store)
>>> live.history.append(Message(role="user", content=[TextBlock(text="Hi")]))
>>> revision = live.save()
>>> [m.content[0].text for m in store.load("notes").messages]
['Hi']
"""

from __future__ import annotations

import copy
import dataclasses
import secrets
from dataclasses import dataclass, field
from typing import Any, cast

from ._helper_common import retained_trace_events
from .agent_run import AgentRun
from .errors import InvalidDataError
from .persistable import AgentConfig
from .persistence import SessionPersistence
from .records import (
    ArtifactStore,
    LlmCostRecord,
    Message,
    RunRecord,
    SubagentTaskSnapshot,
    TokenUsage,
    TraceEvent,
    VerificationReport,
)
from .restore import restore_persisted_session_state
from .run_resume import interrupted_runs, resume_run
from .session_options import SessionOptions
from .store import SessionStore

__all__ = ["AgentSession"]


def _new_session_id() -> str:
    return f"session-{secrets.token_hex(8)}"


@dataclass(kw_only=True, eq=False)
class AgentSession:
    """A live agent session (implements :class:`~a3s_store.PersistableSession`).

    ``model`` is a ``provider/model`` name (``"openai/gpt-4o"``); ``api_key``
    and ``base_url`` are used at run time only and never saved.
    ``trace_retention`` caps the trace events kept (the newest; None keeps
    all). With ``auto_save``, runs save the session when they start, after
    each checkpoint and when they end (see :class:`~a3s_store.AgentRun`).
    ``persistence`` is the session's :class:`~a3s_store.SessionPersistence`.
    """

    session_id: str = field(default_factory=_new_session_id)
    workspace: str = "."
    config: AgentConfig = field(default_factory=AgentConfig)
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = field(default=None, repr=False)
    history: list[Message] = field(default_factory=list, repr=False)
    artifacts: ArtifactStore = field(default_factory=ArtifactStore, repr=False)
    trace_events: list[TraceEvent] = field(default_factory=list, repr=False)
    trace_retention: int | None = None
    run_records: list[RunRecord] = field(default_factory=list, repr=False)
    verification_reports: list[VerificationReport] = field(default_factory=list, repr=False)
    subagent_tasks: list[SubagentTaskSnapshot] = field(default_factory=list, repr=False)
    tenant_id: str | None = None
    principal: str | None = None
    agent_template_id: str | None = None
    correlation_id: str | None = None
    auto_save: bool = False
    store: SessionStore | None = field(default=None, repr=False)
    persistence: SessionPersistence = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.session_id, str):
            raise InvalidDataError(f"session_id must be a str, not "
                                   f"{type(self.session_id).__name__}",
                                   session_id=self.session_id)
        if not isinstance(self.config, AgentConfig):
            raise InvalidDataError(f"config must be an AgentConfig, not "
                                   f"{type(self.config).__name__}", session_id=self.session_id)
        retained_trace_events([], self.trace_retention)  # validates it
        self.persistence = SessionPersistence(self)

    @classmethod
    def from_options(cls, options: SessionOptions, *, store: SessionStore | None = None
                     ) -> AgentSession:
        """A new session built from :class:`~a3s_store.SessionOptions` (unset: defaults)."""
        def given(name: str, default: Any) -> Any:
            value = getattr(options, name)
            return default if value is None else value

        defaults = AgentConfig()
        config = AgentConfig(**{name: given(name, getattr(defaults, name))
                                for name in AgentConfig.__dataclass_fields__})
        config.tool_names = list(config.tool_names)
        return cls(session_id=given("session_id", _new_session_id()),
                   workspace=given("workspace", "."), config=config, model=options.model,
                   api_key=options.api_key, base_url=options.base_url,
                   trace_retention=options.trace_retention, tenant_id=options.tenant_id,
                   principal=options.principal, agent_template_id=options.agent_template_id,
                   correlation_id=options.correlation_id,
                   auto_save=given("auto_save", False), store=store)

    # -- persistence (see SessionPersistence) ------------------------------------------

    def save(self, *, overwrite: bool = False) -> str | None:
        """Save the session as one generation (:meth:`SessionPersistence.save`)."""
        return self.persistence.save(overwrite=overwrite)

    def auto_save_if_enabled(self) -> bool:
        """Save if ``auto_save`` is set; never raises (logs a warning)."""
        return self.persistence.auto_save_if_enabled()

    @property
    def auto_save_error(self) -> Exception | None:
        """Why the latest auto-save failed, until a save succeeds (None: it did not).

        While it is set, the stored session is behind the live one.
        """
        return self.persistence.auto_save_error

    def fork(self, new_id: str, *, workspace: str | None = None) -> AgentSession:
        """Save this session's state as a new session ``new_id``; return it, live.

        For "try another branch from here": the fork is saved create-only
        (:meth:`SessionPersistence.fork <a3s_store.SessionPersistence.fork>`)
        in the same store, with the same settings, model and runtime options
        (``api_key`` included, not saved). This session and what is stored
        for it are not touched.

        >>> from . import MemorySessionStore
        >>> store = MemorySessionStore()
        >>> main = AgentSession(session_id="main", store=store)
        >>> branch = main.fork("main-b")
        >>> branch.session_id, store.list()
        ('main-b', ['main-b'])

        :raises ConflictError: a session ``new_id`` already exists.
        :raises InvalidDataError: no store, the id of this session, or a bad
            ``workspace``.
        """
        saved = self.persistence.fork(new_id, workspace=workspace)  # needs a store
        branch = dataclasses.replace(
            self, session_id=new_id, workspace=saved.session.config.workspace,
            config=copy.deepcopy(self.config), history=[], artifacts=ArtifactStore(),
            trace_events=[], run_records=[], verification_reports=[], subagent_tasks=[])
        # A snapshot is restored as it is: the store is not read.
        restore_persisted_session_state(branch, cast(SessionStore, branch.store), saved)
        return branch

    def record_result(self, result: Any) -> None:
        """Take a result's messages and new verification reports (see
        :meth:`SessionPersistence.record_result`)."""
        self.persistence.record_result(result)

    def record_usage(self, usage: TokenUsage | None = None, *, cost: float = 0.0,
                     cost_records: tuple[LlmCostRecord, ...] | list[LlmCostRecord] = ()) -> None:
        """Count tokens and cost into the next save (:meth:`SessionPersistence.record_usage`)."""
        self.persistence.record_usage(usage, cost=cost, cost_records=cost_records)

    def add_trace_event(self, event: TraceEvent) -> None:
        """Keep a trace event, dropping the oldest beyond ``trace_retention``."""
        self.trace_events.append(event)
        if self.trace_retention is not None and len(self.trace_events) > self.trace_retention:
            self.trace_events = retained_trace_events(self.trace_events, self.trace_retention)

    # -- runs (see AgentRun) --------------------------------------------------------------

    def start_run(self, prompt: str, *, run_id: str | None = None,
                  workflow_id: str | None = None) -> AgentRun:
        """Start a run of the agent loop: a new run record, events and loop checkpoints.

        With ``workflow_id``, the run saves its completed steps in that
        workflow's checkpoint and starts with the steps already saved there.
        """
        return AgentRun(self, prompt, run_id=run_id, persistence=self.persistence,
                        workflow_id=workflow_id)

    def resume_run(self, run_id: str) -> AgentRun:
        """Continue an interrupted run from the loop checkpoint the store holds for it
        (:func:`~a3s_store.resume_run`)."""
        return resume_run(self, run_id, persistence=self.persistence)

    def interrupted_runs(self) -> list[str]:
        """The ids of the runs a dead process left, which :meth:`resume_run`
        can continue (:func:`~a3s_store.interrupted_runs`)."""
        return interrupted_runs(self)
