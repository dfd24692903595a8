"""Resuming a saved session: identity checks first, then a full, uniform restore.

Ports of a3s-code's resume tests (format.md §4.D 58, 60, 63) and of the later
``validate_for_session`` tests (evolution.md §1.1), fed through a backend that
ignores the requested key: the helper must not trust the store for identity.
"""

from __future__ import annotations

import copy

import pytest

import factories as f
from a3s_store import (
    A3SStoreError,
    AgentConfig,
    AgentSession,
    ArtifactStore,
    ConfirmationPolicy,
    ConflictError,
    CorruptDataError,
    InvalidDataError,
    PermissionPolicy,
    PlanningMode,
    RunRecord,
    SessionData,
    SessionNotFoundError,
    SessionOptions,
    SessionPersistence,
    SessionQueueConfig,
    SessionSnapshot,
    ToolArtifact,
    load_session_data,
    restore_persisted_session_state,
    resume_session,
)
from factories import msg
from fake_stores import KeyIgnoringStore


def artifact(i: int, content: str = "x") -> ToolArtifact:
    return ToolArtifact(artifact_id=f"a-{i}", artifact_uri=f"a3s://artifacts/{i}",
                        tool_name="bash", content=content, original_bytes=len(content),
                        shown_bytes=len(content))


# -- the happy path -----------------------------------------------------------------------


def test_resume_session(store):
    session = AgentSession(session_id="resume-test", store=store)
    session.history += [msg("user", "first"), msg("assistant", "second")]
    session.save()
    resumed = resume_session(store, "resume-test")
    assert resumed.session_id == "resume-test"
    assert [m.content[0].text for m in resumed.history] == ["first", "second"]
    assert resumed.store is store


def test_resume_session_restores_runtime_config(store):
    config = AgentConfig(queue_config=SessionQueueConfig(),
                         confirmation_policy=ConfirmationPolicy(enabled=True),
                         permission_policy=PermissionPolicy.from_dict({"allow": ["Bash(*)"]}),
                         planning_mode=PlanningMode.ENABLED, goal_tracking=True,
                         auto_compact=True, auto_compact_threshold=0.5,
                         max_context_tokens=64000, max_parallel_tasks=3,
                         system_prompt="be brief", tool_names=["bash"])
    AgentSession(session_id="cfg", model="openai/gpt-4o", workspace="/ws", config=config,
                 tenant_id="t", principal="p", agent_template_id="a", correlation_id="c",
                 store=store).save()
    resumed = resume_session(store, "cfg")
    assert resumed.model == "openai/gpt-4o"
    assert resumed.workspace == "/ws"
    assert resumed.config == config
    assert (resumed.tenant_id, resumed.principal, resumed.agent_template_id,
            resumed.correlation_id) == ("t", "p", "a", "c")
    assert resumed.api_key is None and resumed.base_url is None


def test_resume_session_options_win(store):
    AgentSession(session_id="s", model="openai/gpt-4o", store=store,
                 config=AgentConfig(goal_tracking=True, max_context_tokens=64000)).save()
    resumed = resume_session(store, "s", SessionOptions(
        model="anthropic/claude", max_context_tokens=1000, api_key="k", auto_save=True,
        trace_retention=5))
    assert resumed.model == "anthropic/claude"
    assert resumed.config.max_context_tokens == 1000 and resumed.config.goal_tracking
    assert (resumed.api_key, resumed.auto_save, resumed.trace_retention) == ("k", True, 5)


def test_resume_session_restores_every_component(store):
    session = AgentSession(session_id="s", store=store)
    session.artifacts = f.artifact_store("artifact content")
    session.trace_events.append(f.trace_event())
    session.run_records.append(f.run_record("s", events=3))
    session.verification_reports.append(f.verification_report())
    session.subagent_tasks.append(f.subagent_task("s"))
    session.save()
    resumed = resume_session(store, "s")
    assert resumed.artifacts == session.artifacts
    assert resumed.trace_events == session.trace_events
    assert resumed.run_records == session.run_records
    assert resumed.verification_reports == session.verification_reports
    assert resumed.subagent_tasks == session.subagent_tasks


def test_resume_session_not_found(store):
    with pytest.raises(SessionNotFoundError) as info:
        resume_session(store, "missing")
    assert isinstance(info.value, KeyError) and "'missing'" in str(info.value)


def test_resumed_session_does_not_share_objects_with_the_store(store):
    session = AgentSession(session_id="s", store=store)
    session.artifacts = f.artifact_store("original")
    session.save()
    resumed = resume_session(store, "s")
    resumed.artifacts.put(artifact(99))
    resumed.run_records.append(f.run_record("s", run_id="later"))
    again = store.load_snapshot("s")
    assert len(again.artifacts) == 1 and again.run_records == []


# -- restore replaces every component alike, with the limits the snapshot needs -------


def test_restore_replaces_every_component(store):
    saved = AgentSession(session_id="s", store=store)
    saved.artifacts = f.artifact_store("saved")
    saved.trace_events.append(f.trace_event("saved"))
    saved.save()
    live = AgentSession(session_id="s")
    live.history.append(msg("user", "live"))
    live.artifacts.put(artifact(7, "live artifact"))
    live.trace_events.append(f.trace_event("live"))
    live.run_records.append(f.run_record("s", run_id="live-run"))
    live.verification_reports.append(f.verification_report("live"))
    live.subagent_tasks.append(f.subagent_task("s", task_id="live-task"))
    restore_persisted_session_state(live, store, load_session_data(store, "s"))
    assert live.history == []
    assert [a.content for a in live.artifacts] == ["saved"]  # replaced, not merged
    assert [e.name for e in live.trace_events] == ["saved"]
    assert live.run_records == live.verification_reports == live.subagent_tasks == []


def test_resume_session_preserves_artifacts_beyond_default_store_limits(store):
    big = ArtifactStore(max_artifacts=1000, max_bytes=64 * 2**20)
    for i in range(300):  # more than the default 256 items
        big.put(artifact(i))
    big.put(artifact(300, "y" * (17 * 2**20)))  # and more than the default 16 MiB
    session = AgentSession(session_id="big", artifacts=big, store=store)
    session.save()
    resumed = resume_session(store, "big")
    assert len(resumed.artifacts) == 301
    assert resumed.artifacts.get("a3s://artifacts/0").content == "x"
    assert resumed.artifacts.max_artifacts >= 301
    assert resumed.artifacts.max_bytes >= resumed.artifacts.total_bytes


def test_restore_keeps_the_live_limits_when_they_are_larger(store):
    AgentSession(session_id="s", store=store).save()
    live = AgentSession(session_id="s", artifacts=ArtifactStore(max_artifacts=5000))
    restore_persisted_session_state(live, store, load_session_data(store, "s"))
    assert live.artifacts.max_artifacts == 5000


@pytest.mark.parametrize("retention, kept", [(None, 10), (3, 3), (0, 0), (20, 10)])
def test_trace_retention_is_applied_on_restore(store, retention, kept):
    session = AgentSession(session_id="s", store=store)
    session.trace_events = [f.trace_event(f"e{i}") for i in range(10)]
    session.save()
    resumed = resume_session(store, "s", SessionOptions(trace_retention=retention))
    assert [e.name for e in resumed.trace_events] == [f"e{i}" for i in range(10 - kept, 10)]


def test_trace_retention_applies_to_live_events():
    session = AgentSession(session_id="s", trace_retention=2)
    for i in range(5):
        session.add_trace_event(f.trace_event(f"e{i}"))
    assert [e.name for e in session.trace_events] == ["e3", "e4"]


def test_bad_trace_retention_is_refused():
    with pytest.raises(InvalidDataError):
        AgentSession(session_id="s", trace_retention=-1)


# -- identity and invariants: checked before the live session is touched -------------------


def _live() -> AgentSession:
    live = AgentSession(session_id="s-1")
    live.history.append(msg("user", "live"))
    live.artifacts.put(artifact(1, "live"))
    live.trace_events.append(f.trace_event("live"))
    live.run_records.append(f.run_record("s-1", run_id="live-run"))
    return live


def _state(session: AgentSession) -> tuple:
    return copy.deepcopy((session.history, session.artifacts.artifacts(),
                          session.trace_events, session.run_records,
                          session.verification_reports, session.subagent_tasks,
                          session.persistence.baseline))


def _run(run_id="run-1", session_id="s-1", sequences=(0, 1, 2), event_count=None) -> RunRecord:
    record = f.run_record(session_id, run_id=run_id, events=len(sequences))
    for event, sequence in zip(record.events, sequences):
        event.sequence = sequence
    record.snapshot.event_count = (max(sequences, default=-1) + 1 if event_count is None
                                   else event_count)
    return record


BAD_GENERATIONS = {
    "another session's data": (
        dict(session=f.session("s-2")), "is session 's-2'"),
    "a run of another session": (
        dict(run_records=[_run(session_id="s-2")]), "belongs to session 's-2'"),
    "duplicate run ids": (
        dict(run_records=[_run("r"), _run("r")]), "duplicate run id 'r'"),
    "a repeated event sequence": (
        dict(run_records=[_run(sequences=(0, 1, 1))]), "sequence 1 follows 1"),
    "a decreasing event sequence": (
        dict(run_records=[_run(sequences=(5, 3))]), "sequence 3 follows 5"),
    "event_count behind the retained events": (
        dict(run_records=[_run(sequences=(7, 8, 9), event_count=9)]),
        "expected at least 10"),
    "a subagent task of another parent": (
        dict(subagent_tasks=[f.subagent_task("s-2")]), "parent session 's-2'"),
}


def _generation(**parts) -> SessionSnapshot:
    parts.setdefault("session", f.session("s-1"))
    return SessionSnapshot(**parts)


@pytest.mark.parametrize("case", list(BAD_GENERATIONS))
def test_resume_rejects_an_inconsistent_generation_from_a_key_ignoring_store(case):
    parts, message = BAD_GENERATIONS[case]
    store = KeyIgnoringStore()
    store.serve(_generation(**parts))
    with pytest.raises(CorruptDataError, match=message) as info:
        resume_session(store, "s-1")
    assert info.value.session_id == "s-1"


@pytest.mark.parametrize("case", list(BAD_GENERATIONS))
def test_restore_rejects_an_inconsistent_generation_and_leaves_the_session_untouched(case):
    parts, message = BAD_GENERATIONS[case]
    store = KeyIgnoringStore()
    store.serve(_generation(**parts))
    live = _live()
    before = _state(live)
    with pytest.raises(CorruptDataError, match=message):
        restore_persisted_session_state(live, store, store.load_snapshot("s-1"))
    assert _state(live) == before


def test_restore_from_session_data_checks_the_components_the_store_returns():
    store = KeyIgnoringStore()
    store.serve(_generation(run_records=[_run(session_id="s-2")]))
    data = load_session_data(store, "s-1")
    live = _live()
    before = _state(live)
    with pytest.raises(CorruptDataError, match="belongs to session 's-2'"):
        restore_persisted_session_state(live, store, data)
    assert _state(live) == before


def test_load_session_data_rejects_another_sessions_payload():
    store = KeyIgnoringStore()
    store.serve(_generation(session=f.session("s-2")))
    with pytest.raises(CorruptDataError, match="is session 's-2'"):
        load_session_data(store, "s-1")


def test_restore_rejects_data_for_another_live_session(store):
    AgentSession(session_id="other", store=store).save()
    live = _live()
    before = _state(live)
    with pytest.raises(CorruptDataError, match="is session 'other'"):
        restore_persisted_session_state(live, store, load_session_data(store, "other"))
    assert _state(live) == before


def test_restore_rejects_a_generation_newer_than_the_data(store):
    AgentSession(session_id="s-1", store=store).save()
    data = load_session_data(store, "s-1")
    other = resume_session(store, "s-1")
    other.history.append(msg("user", "newer"))
    other.save()
    live = _live()
    before = _state(live)
    with pytest.raises(ConflictError):
        restore_persisted_session_state(live, store, data)
    assert _state(live) == before


def test_restore_refuses_what_is_not_session_data(store):
    with pytest.raises(InvalidDataError):
        restore_persisted_session_state(_live(), store, {"id": "s-1"})


def test_load_accepts_trimmed_run_event_sequence_and_preserves_cursor():
    store = KeyIgnoringStore()
    store.serve(_generation(run_records=[_run(sequences=(7, 8, 9), event_count=10)]))
    resumed = resume_session(store, "s-1")
    assert resumed.run_records[0].snapshot.event_count == 10
    assert [e.sequence for e in resumed.run_records[0].events] == [7, 8, 9]


def test_load_accepts_legacy_subagent_task_without_parent():
    store = KeyIgnoringStore()
    store.serve(_generation(subagent_tasks=[f.subagent_task(""), f.subagent_task("s-1")]))
    assert len(resume_session(store, "s-1").subagent_tasks) == 2


def test_identity_errors_are_store_errors():
    assert issubclass(CorruptDataError, A3SStoreError)


# -- the restored generation is the baseline of the next save --------------------------------


class ForeignSession:
    """Another agent runtime's session object: only the protocol's attributes."""

    def __init__(self, session_id, store):
        self.session_id, self.store = session_id, store
        self.workspace, self.config, self.model = "/elsewhere", AgentConfig(), None
        self.history, self.artifacts, self.trace_events = [], ArtifactStore(), []
        self.trace_retention = None
        self.run_records, self.verification_reports, self.subagent_tasks = [], [], []
        self.tenant_id = self.principal = self.agent_template_id = None
        self.correlation_id = None
        self.auto_save = False


def test_a_foreign_session_object_is_restored_and_saved_losslessly(store):
    store.save_snapshot(SessionSnapshot(session=SessionData.from_dict(
        {**f.session_dict("s-1", name="kept"), "created_at": 42})))
    foreign = ForeignSession("s-1", store)
    persistence = restore_persisted_session_state(foreign, store,
                                                  load_session_data(store, "s-1"))
    assert isinstance(persistence, SessionPersistence) and persistence.session is foreign
    assert len(foreign.history) == 2
    foreign.history.append(msg("user", "third"))
    persistence.save()
    data = store.load("s-1")
    assert (data.config.name, data.created_at, len(data.messages)) == ("kept", 42, 3)
    assert data.config.workspace == "/elsewhere"


def test_restore_into_an_agent_session_updates_its_own_persistence(store):
    AgentSession(session_id="s-1", store=store).save()
    live = AgentSession(session_id="s-1", store=store)
    returned = restore_persisted_session_state(live, store, load_session_data(store, "s-1"))
    assert returned is live.persistence
    live.save()  # not a conflict: the restored generation is its baseline



def test_restore_from_session_data_refuses_components_of_another_session():
    store = KeyIgnoringStore()  # answers load_snapshot("s-1") with session s-2's generation
    store.serve(_generation(session=f.session("s-2"), artifacts=f.artifact_store("s-2's")))
    data = f.session("s-1")
    live = _live()
    before = _state(live)
    with pytest.raises(CorruptDataError, match="is session 's-2'"):
        restore_persisted_session_state(live, store, data)
    assert _state(live) == before


def test_restore_gives_the_session_its_own_containers(store):
    snapshot = SessionSnapshot(session=f.session("s-1"), artifacts=f.artifact_store("a"),
                               trace_events=[f.trace_event()], run_records=[_run()])
    live = AgentSession(session_id="s-1")
    restore_persisted_session_state(live, store, snapshot)
    live.artifacts.put(artifact(5))
    live.history.append(msg("user", "more"))
    live.trace_events.clear()
    live.run_records.clear()
    assert (len(snapshot.artifacts), len(snapshot.session.messages),
            len(snapshot.trace_events), len(snapshot.run_records)) == (1, 2, 1, 1)
