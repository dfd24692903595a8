"""The persistence helper: snapshot a live agent session, save it in one call, restore it.

The port of a3s-code-core 3.4's ``session_persistence.rs`` (format.md §3.7),
synchronous, with the gaps of its §5 (items 21-31) closed:

* :meth:`SessionPersistence.save` is **one** ``save_snapshot`` call: the
  session file and its artifacts, traces, runs, verification reports and
  subagent tasks are published as one generation, never six separate writes.
* Re-saving is lossless: what the live session does not own (name, state,
  tasks, parent id, thinking settings, ``created_at``...) is carried over from
  the previous generation, and usage, cost and cost records accumulate
  (see :func:`build_session_data_snapshot` for where each field comes from).
* A save never overwrites a generation it has not seen: the first save of a
  session is create-only and later saves pass the revision they last saw, so
  another process's save in between raises :class:`~a3s_store.ConflictError`
  instead of being lost (``save(overwrite=True)`` takes over on purpose).
* Restore (``resume.py``) checks the data before it touches the live
  session (the store is keyed by the caller, and a backend may be wrong; see
  ``_identity``), then *replaces* every component alike, with the artifact
  limits the snapshot needs and the configured trace retention.
* ``api_key`` and ``base_url`` never reach disk.

This module uses only the public :class:`~a3s_store.SessionStore` API: it
never reads JSON or touches a path. It logs through
``logging.getLogger(__name__)`` (a warning when one of the two calls that
must not raise fails; debug otherwise) and never configures logging.

The pieces: ``agent_session.py`` (the live session and the protocol a
foreign session object implements), ``agent_run.py`` (runs and loop
checkpoints), this module (saving), ``session_options.py`` and
``resume.py`` (resuming).

>>> from a3s_store import AgentSession, MemorySessionStore, resume_session
>>> store = MemorySessionStore()
>>> live = AgentSession(session_id="chat-1", model="openai/gpt-4o", store=store)
>>> revision = live.save()
>>> resumed = resume_session(store, "chat-1")
>>> resumed.model, resumed.persistence.baseline.llm_config.provider
('openai/gpt-4o', 'openai')
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any, Iterable

from ._identity import check_generation
from .errors import ConflictError, InvalidDataError
from .records import (
    LlmConfigData,
    LlmCostRecord,
    SessionConfig,
    SessionData,
    SessionState,
    StorageBackend,
    TokenUsage,
    TraceEvent,
)
from .snapshot import SessionSnapshot
from .store import SessionStore

if TYPE_CHECKING:
    from .agent_session import PersistableSession

__all__ = [
    "SessionPersistence",
    "build_session_data_snapshot",
    "model_config_data",
    "persisted_model_name",
    "persisted_model_ref",
]

logger = logging.getLogger(__name__)

_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1
_BACKENDS = {"file": StorageBackend.FILE, "memory": StorageBackend.MEMORY}


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


def _add(a: int | None, b: int | None) -> int | None:
    if a is None and b is None:
        return None
    return min((a or 0) + (b or 0), _U64_MAX)  # saturating, as Rust's counters


def _sum_usage(a: TokenUsage, b: TokenUsage | None) -> TokenUsage:
    if b is None:
        return TokenUsage(prompt_tokens=a.prompt_tokens, completion_tokens=a.completion_tokens,
                          total_tokens=a.total_tokens, cache_read_tokens=a.cache_read_tokens,
                          cache_write_tokens=a.cache_write_tokens, extra=dict(a.extra))
    return TokenUsage(
        prompt_tokens=_add(a.prompt_tokens, b.prompt_tokens),
        completion_tokens=_add(a.completion_tokens, b.completion_tokens),
        total_tokens=_add(a.total_tokens, b.total_tokens),
        cache_read_tokens=_add(a.cache_read_tokens, b.cache_read_tokens),
        cache_write_tokens=_add(a.cache_write_tokens, b.cache_write_tokens),
        extra=dict(a.extra),
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
    cfg = session.config
    prev_cfg = previous.config if previous is not None else SessionConfig(
        storage_type=storage_type)
    model_name = persisted_model_name(session.model)
    config = SessionConfig(
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
    if previous is None:
        previous = SessionData(id=session.session_id, state=SessionState.ACTIVE,
                               created_at=now, updated_at=now)
    return SessionData(
        id=session.session_id,
        config=config,
        state=previous.state,
        messages=list(session.history),
        context_usage=previous.context_usage,
        total_usage=_sum_usage(previous.total_usage, usage),
        total_cost=previous.total_cost + cost,
        model_name=model_name,
        cost_records=[*previous.cost_records, *cost_records],
        tool_names=list(cfg.tool_names),
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


# -- the context ------------------------------------------------------------------


class SessionPersistence:
    """The persistence context of one live session: save it, record results, clean up.

    ``session`` is an :class:`~a3s_store.AgentSession` or any object with the
    attributes of :class:`~a3s_store.PersistableSession`; its ``store`` (None:
    saving is a no-op) and ``auto_save`` flag are read at each call.

    The context keeps ``baseline``, the generation the session was restored
    from or last saved, and what was recorded since (usage, cost, cost
    records), so each save is the previous generation plus the live state.

    >>> from a3s_store import AgentSession, MemorySessionStore, TokenUsage
    >>> store = MemorySessionStore()
    >>> live = AgentSession(session_id="s", store=store)
    >>> live.persistence.record_usage(TokenUsage(prompt_tokens=10, total_tokens=10))
    >>> _ = live.save(); _ = live.save()  # counted once, not once per save
    >>> store.load("s").total_usage.prompt_tokens
    10
    """

    def __init__(self, session: PersistableSession, *, baseline: SessionData | None = None,
                 clock=time.time) -> None:
        self.session = session
        #: The generation this session was restored from or last saved (or None).
        self.baseline = baseline
        #: Returns the current time in epoch seconds (replaceable in tests).
        self.clock = clock
        self._usage: TokenUsage | None = None
        self._cost = 0.0
        self._cost_records: list[LlmCostRecord] = []

    def __repr__(self) -> str:
        revision = None if self.baseline is None else self.baseline.revision
        return (f"SessionPersistence(session_id={self.session.session_id!r}, "
                f"revision={revision!r})")

    @property
    def store(self) -> SessionStore | None:
        """The live session's store (None: nothing is saved)."""
        return self.session.store

    def record_usage(self, usage: TokenUsage | None = None, *, cost: float = 0.0,
                     cost_records: Iterable[LlmCostRecord] = ()) -> None:
        """Count tokens, cost and cost records into the next save.

        Each recorded amount is added once to the totals of the previous
        generation (a3s-code 3.4 wrote zeros on every save).

        :raises InvalidDataError: a value that could not be saved (checked
            now, so one bad value cannot make every later save fail).
        """
        records = list(cost_records)
        if usage is not None and not isinstance(usage, TokenUsage):
            raise InvalidDataError(f"usage must be a TokenUsage, not {type(usage).__name__}")
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not math.isfinite(cost):
            raise InvalidDataError(f"cost must be a finite number, got {cost!r}")
        for record in records:
            if not isinstance(record, LlmCostRecord):
                raise InvalidDataError(f"cost records must be LlmCostRecord, "
                                       f"not {type(record).__name__}")
            record.to_dict()  # raises for a value the file could not hold
        if usage is not None:
            usage.to_dict()
            self._usage = _sum_usage(self._usage or TokenUsage(), usage)
        self._cost += cost
        self._cost_records.extend(records)

    def record_result(self, result: Any) -> None:
        """Take a finished run's result into the live session.

        ``result`` has ``messages`` (they *replace* the history) and may have
        ``verification_reports`` (appended, skipping reports already held, so
        recording the same result twice does not duplicate them; 3.4 did).
        Usage is not counted here but by :meth:`record_usage`, so recording a
        result twice cannot count it twice.
        """
        self.session.history = list(result.messages)
        held = self.session.verification_reports
        for report in getattr(result, "verification_reports", None) or ():
            if report not in held:
                held.append(report)

    def snapshot(self) -> SessionSnapshot:
        """The generation a save would write now (checked like a loaded one).

        :raises InvalidDataError: the live session holds a run of another
            session, duplicate run ids, a bad event sequence, or a subagent
            task of another parent (it could not be resumed).
        """
        session = self.session
        store = self.store
        backend = store.backend_name() if store is not None else "file"
        data = build_session_data_snapshot(
            session, self.baseline, usage=self._usage, cost=self._cost,
            cost_records=self._cost_records,
            storage_type=_BACKENDS.get(backend, StorageBackend.CUSTOM), now=int(self.clock()))
        runs = list(session.run_records)
        tasks = list(session.subagent_tasks)
        check_generation(session.session_id, data.id, runs, tasks, error=InvalidDataError)
        return SessionSnapshot(session=data, artifacts=session.artifacts,
                               trace_events=list(session.trace_events), run_records=runs,
                               verification_reports=list(session.verification_reports),
                               subagent_tasks=tasks)

    def save(self, *, overwrite: bool = False) -> str | None:
        """Save the live session as one generation; return the store's revision.

        Exactly one ``store.save_snapshot`` call. No store: nothing happens
        and None is returned. The first save of a session is create-only and
        later saves expect the revision this context last saw, so a session
        that another writer created or saved meanwhile raises
        :class:`~a3s_store.ConflictError` and nothing is written;
        ``overwrite=True`` saves anyway.

        :raises ConflictError: see above.
        :raises InvalidDataError: the live session cannot be written (see
            :meth:`snapshot`).
        """
        store = self.store
        if store is None:
            return None
        snapshot = self.snapshot()
        kwargs: dict[str, Any] = {}
        if not overwrite:
            if self.baseline is None:
                kwargs["create_only"] = True
            elif self.baseline.revision is not None:
                kwargs["expected_revision"] = self.baseline.revision
        try:
            revision = store.save_snapshot(snapshot, **kwargs)
        except ConflictError as exc:
            raise ConflictError(
                f"{exc.message}; resume the session to continue what is stored, or save "
                "with overwrite=True to replace it", session_id=snapshot.session.id,
                path=exc.path) from exc
        snapshot.session.revision = revision
        self.baseline = snapshot.session
        self._usage, self._cost, self._cost_records = None, 0.0, []
        logger.debug("saved session %r (revision %s)", snapshot.session.id, revision)
        return revision

    def auto_save_if_enabled(self) -> bool:
        """Save if the session's ``auto_save`` is set; return whether it saved.

        Never raises: a failed save is logged as a warning (the agent loop
        goes on; the next save retries everything).
        """
        try:
            if not self.session.auto_save or self.store is None:
                return False
            self.save()
            return True
        except Exception as exc:  # never let an auto-save stop the agent loop
            logger.warning("auto-save of session %r failed: %s",
                           getattr(self.session, "session_id", None), exc)
            return False

    def clear_loop_checkpoint(self, run_id: str) -> None:
        """Delete the loop checkpoint of a run that ended; never raises.

        Called when a run ends in-process (completed, failed or cancelled). A
        failure is logged as a warning: a leftover checkpoint costs space,
        not correctness.
        """
        try:
            store = self.store
            if store is not None:
                store.delete_loop_checkpoint(run_id)
        except Exception as exc:  # cleanup must not turn a finished run into an error
            logger.warning("could not delete the loop checkpoint of run %r: %s", run_id, exc)

    def _adopt(self, data: SessionData) -> None:
        """Make ``data`` (just restored) the baseline; drop what was recorded."""
        self.baseline = data
        self._usage, self._cost, self._cost_records = None, 0.0, []


def _retained_trace_events(events: list[TraceEvent], retention: int | None) -> list[TraceEvent]:
    """The newest ``retention`` events (all when None; none when 0).

    >>> _retained_trace_events([1, 2, 3], 2), _retained_trace_events([1, 2], 0)
    ([2, 3], [])
    """
    if retention is None:
        return list(events)
    if type(retention) is not int or retention < 0:
        raise InvalidDataError(f"trace_retention must be None or an int >= 0, "
                               f"got {retention!r}")
    return list(events[len(events) - retention:]) if retention else []
