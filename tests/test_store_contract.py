"""The store contract, run against both FileSessionStore and MemorySessionStore.

Ports of the Rust crate's store tests (format.md §4.A, named after them) and
the promises a3s_store adds (snapshots, revisions, copies, identity checks).
A third-party backend can run this module against itself by overriding the
``store`` fixture.
"""

from __future__ import annotations

import pytest

import factories as f
from a3s_store import (
    ArtifactStore,
    ConflictError,
    CorruptDataError,
    InvalidDataError,
    InvalidIdError,
    SessionSnapshot,
    SessionStore,
    UnsupportedVersionError,
)

# -- ports of src/store/tests.rs ------------------------------------------------


def test_store_save_and_load(store):
    store.save(f.session())
    loaded = store.load("test-session-1")
    assert loaded.id == "test-session-1"
    assert loaded.config.name == "Test Session"
    assert len(loaded.messages) == 2
    assert loaded.state.value == "Active"


def test_store_load_nonexistent_returns_none(store):
    assert store.load("nonexistent") is None


def test_store_delete(store):
    store.save(f.session())
    assert store.exists("test-session-1")
    store.delete("test-session-1")
    assert not store.exists("test-session-1")
    assert store.load("test-session-1") is None


def test_store_delete_unknown_id_is_not_an_error(store):
    store.delete("never-saved")


def test_store_save_and_load_artifacts(store):
    store.save_artifacts("session/a", f.artifact_store("artifact content"))
    loaded = store.load_artifacts("session/a")
    assert len(loaded) == 1
    assert loaded.get("a3s://artifacts/art-0").content == "artifact content"


def test_store_save_and_load_trace_events(store):
    events = [f.trace_event("bash"), f.trace_event("read", success=False, exit_code=1)]
    store.save_trace_events("session/a", events)
    assert store.load_trace_events("session/a") == events


def test_store_save_and_load_run_records(store):
    store.save_run_records("session/a", [f.run_record("session/a")])
    loaded = store.load_run_records("session/a")
    assert len(loaded) == 1
    assert loaded[0].snapshot.prompt == "persist run"
    assert len(loaded[0].events) == 1


def test_store_save_and_load_verification_reports(store):
    reports = [f.verification_report()]
    store.save_verification_reports("session/a", reports)
    assert store.load_verification_reports("session/a") == reports


def test_store_save_and_load_subagent_tasks(store):
    tasks = [f.subagent_task("session/a")]
    store.save_subagent_tasks("session/a", tasks)
    assert store.load_subagent_tasks("session/a") == tasks


def test_store_delete_removes_side_data(store):
    sid = "test-session-1"
    store.save(f.session(sid))
    store.save_artifacts(sid, f.artifact_store())
    store.save_trace_events(sid, [f.trace_event()])
    store.save_run_records(sid, [f.run_record(sid)])
    store.save_verification_reports(sid, [f.verification_report()])
    store.save_subagent_tasks(sid, [f.subagent_task(sid)])
    store.delete(sid)
    assert store.load_artifacts(sid) is None
    assert store.load_trace_events(sid) is None
    assert store.load_run_records(sid) is None
    assert store.load_verification_reports(sid) is None
    assert store.load_subagent_tasks(sid) is None


def test_store_side_data_missing_is_none(store):
    assert store.load_artifacts("x") is None
    assert store.load_trace_events("x") is None
    assert store.load_run_records("x") is None
    assert store.load_verification_reports("x") is None
    assert store.load_subagent_tasks("x") is None


def test_store_list(store):
    assert store.list() == []
    for i in (3, 1, 2):
        store.save(f.session(f"session-{i}"))
    assert store.list() == ["session-1", "session-2", "session-3"]


def test_store_overwrite(store):
    store.save(f.session())
    store.save(f.session(messages=3, updated_at=1700000200))
    loaded = store.load("test-session-1")
    assert len(loaded.messages) == 3
    assert loaded.updated_at == 1700000200


def test_store_path_traversal_id_round_trips(store):
    sid = "../../../etc/passwd"
    store.save(f.session(sid))
    assert store.load(sid).id == sid
    assert store.list() == [sid]


def test_store_with_policies(store):
    d = f.session_dict()
    d["config"]["confirmation_policy"] = {"enabled": True, "default_timeout_ms": 30000,
                                          "timeout_action": "Reject", "yolo_lanes": []}
    d["config"]["permission_policy"] = {"allow": [{"rule": "Bash(cargo:*)"}]}
    d["config"]["queue_config"] = {}
    store.save(f.SessionData.from_dict(d))
    loaded = store.load("test-session-1")
    assert loaded.config.confirmation_policy is not None
    assert loaded.config.confirmation_policy.enabled is True
    assert loaded.config.permission_policy is not None
    assert len(loaded.config.permission_policy.allow) == 1
    assert loaded.config.queue_config is not None


def test_store_with_llm_config_never_persists_api_key(store):
    d = f.session_dict()
    d["llm_config"] = {"provider": "anthropic", "model": "claude", "api_key": "secret",
                       "base_url": None}
    session = f.SessionData.from_dict(d)
    store.save(session)
    loaded = store.load("test-session-1")
    assert loaded.llm_config.provider == "anthropic"
    assert loaded.llm_config.model == "claude"
    assert loaded.llm_config.api_key is None


def test_store_exists(store):
    assert not store.exists("test-session-1")
    store.save(f.session())
    assert store.exists("test-session-1")
    store.delete("test-session-1")
    assert not store.exists("test-session-1")


def test_store_health_check_and_backend_name(store):
    store.health_check()
    assert store.backend_name() in ("file", "memory")
    assert isinstance(store, SessionStore)


def test_store_loop_checkpoint_save_load_delete(store):
    store.save_loop_checkpoint("run-x", f.loop_checkpoint("run-x"))
    loaded = store.load_loop_checkpoint("run-x")
    assert loaded.run_id == "run-x" and loaded.turn == 2
    store.delete_loop_checkpoint("run-x")
    assert store.load_loop_checkpoint("run-x") is None
    store.delete_loop_checkpoint("run-x")
    store.delete_loop_checkpoint("never-existed")


def test_store_loop_checkpoint_overwrites(store):
    store.save_loop_checkpoint("run-x", f.loop_checkpoint("run-x"))
    newer = f.loop_checkpoint("run-x")
    newer.turn = 5
    store.save_loop_checkpoint("run-x", newer)
    assert store.load_loop_checkpoint("run-x").turn == 5


def test_store_workflow_checkpoint_roundtrip(store):
    cp = f.workflow_checkpoint("wf-1", steps=2)
    store.save_workflow_checkpoint("wf-1", cp)
    loaded = store.load_workflow_checkpoint("wf-1")
    assert loaded == cp
    assert len(loaded.completed()) == 2
    store.delete_workflow_checkpoint("wf-1")
    assert store.load_workflow_checkpoint("wf-1") is None
    store.delete_workflow_checkpoint("wf-1")


def test_store_rejects_future_workflow_checkpoint(store):
    store.save_workflow_checkpoint("wf-2", f.workflow_checkpoint("wf-2", schema_version=2))
    with pytest.raises(UnsupportedVersionError, match="schema version"):
        store.load_workflow_checkpoint("wf-2")


def test_store_rejects_future_loop_checkpoint(store):
    store.save_loop_checkpoint("run-f", f.loop_checkpoint("run-f", schema_version=2))
    with pytest.raises(UnsupportedVersionError, match="schema version"):
        store.load_loop_checkpoint("run-f")


# -- what a3s_store adds (format.md §5 defects 1, 2, 29-31) ---------------------


def test_checkpoint_under_another_run_id_is_refused(store):
    with pytest.raises(InvalidDataError, match="run"):
        store.save_loop_checkpoint("run-a", f.loop_checkpoint("run-b"))
    with pytest.raises(InvalidDataError, match="workflow"):
        store.save_workflow_checkpoint("wf-a", f.workflow_checkpoint("wf-b"))
    assert store.load_loop_checkpoint("run-a") is None


def test_ids_that_collide_in_the_rust_layout_stay_distinct(store):
    ids = ["tenant/session", "tenant_session", "tenant\\session", "tenant..session",
           "tenant_.session"]
    for i, sid in enumerate(ids):
        store.save(f.session(sid, messages=i + 1))
        store.save_trace_events(sid, [f.trace_event(f"tool-{i}")])
    assert store.list() == sorted(ids)
    for i, sid in enumerate(ids):
        assert store.load(sid).id == sid
        assert len(store.load(sid).messages) == i + 1
        assert store.load_trace_events(sid)[0].name == f"tool-{i}"
    store.delete("tenant/session")
    assert store.load("tenant/session") is None
    assert store.load("tenant_session").id == "tenant_session"
    assert store.load_trace_events("tenant_session")[0].name == "tool-1"


def test_invalid_ids_are_refused_before_any_io(store):
    for bad in (None, 1, b"x", "\ud800", "x\udfff"):
        with pytest.raises(InvalidIdError):
            store.load(bad)
        with pytest.raises(InvalidIdError):
            store.exists(bad)
    assert store.list() == []


def test_mutating_after_save_or_load_changes_nothing_stored(store):
    session = f.session()
    store.save(session)
    session.config.name = "mutated"
    session.messages.append(session.messages[0])
    loaded = store.load("test-session-1")
    assert loaded.config.name == "Test Session" and len(loaded.messages) == 2
    loaded.config.name = "mutated again"
    assert store.load("test-session-1").config.name == "Test Session"

    artifacts = f.artifact_store("one")
    store.save_artifacts("test-session-1", artifacts)
    artifacts.put(f.artifact_store("two").artifacts()[0].__class__.from_dict(
        {"artifact_id": "z", "artifact_uri": "u", "tool_name": "t", "content": "c",
         "original_bytes": 1, "shown_bytes": 1}))
    assert len(store.load_artifacts("test-session-1")) == 1


def test_opaque_json_is_copied_too(store):
    record = f.run_record()
    store.save_run_records("test-session-1", [record])
    record.events[0].event["text"] = "changed in place"
    assert store.load_run_records("test-session-1")[0].events[0].event["text"] == "chunk 0"


def test_snapshot_round_trip(store):
    sid = "test-session-1"
    snap = SessionSnapshot(
        session=f.session(sid),
        artifacts=f.artifact_store("a", "b"),
        trace_events=[f.trace_event()],
        run_records=[f.run_record(sid)],
        verification_reports=[f.verification_report()],
        subagent_tasks=[f.subagent_task(sid)],
    )
    revision = store.save_snapshot(snap)
    loaded = store.load_snapshot(sid)
    assert loaded == snap
    assert loaded.revision == revision
    assert store.load(sid).revision == revision
    assert store.load_trace_events(sid) == snap.trace_events


def test_snapshot_replaces_every_component(store):
    sid = "test-session-1"
    store.save_snapshot(SessionSnapshot(session=f.session(sid), trace_events=[f.trace_event()],
                                        run_records=[f.run_record(sid)]))
    store.save_snapshot(SessionSnapshot(session=f.session(sid)))
    loaded = store.load_snapshot(sid)
    assert loaded.trace_events == [] and loaded.run_records == []
    assert len(loaded.artifacts) == 0


def test_load_snapshot_of_unknown_session_is_none(store):
    assert store.load_snapshot("nope") is None


def test_snapshot_artifacts_beyond_default_limits_survive(store):
    sid = "big"
    artifacts = ArtifactStore(max_artifacts=300)
    template = f.artifact_store("x").artifacts()[0]
    for i in range(257):
        artifacts.put(type(template).from_dict({**template.to_dict(),
                                                "artifact_uri": f"u-{i}",
                                                "artifact_id": f"a-{i}"}))
    store.save_snapshot(SessionSnapshot(session=f.session(sid), artifacts=artifacts))
    assert len(store.load_snapshot(sid).artifacts) == 257
    assert len(store.load_artifacts(sid)) == 257


# -- revisions (optimistic concurrency) ------------------------------------------


def test_revision_changes_on_every_save_and_is_not_a_timestamp(store):
    r1 = store.save(f.session())
    r2 = store.save(f.session())
    assert r1 != r2
    assert store.load("test-session-1").revision == r2
    store.save_trace_events("test-session-1", [f.trace_event()])
    assert store.load("test-session-1").revision not in (r1, r2)


def test_stale_revision_is_a_conflict_and_writes_nothing(store):
    r1 = store.save(f.session())
    store.save(f.session(messages=3))
    with pytest.raises(ConflictError):
        store.save(f.session(messages=5), expected_revision=r1)
    with pytest.raises(ConflictError):
        store.save_snapshot(SessionSnapshot(session=f.session(messages=5)),
                            expected_revision=r1)
    assert len(store.load("test-session-1").messages) == 3


def test_matching_revision_saves(store):
    store.save(f.session())
    loaded = store.load("test-session-1")
    new = store.save(f.session(messages=4), expected_revision=loaded.revision)
    snap = store.load_snapshot("test-session-1")
    assert snap.revision == new
    store.save_snapshot(SessionSnapshot(session=f.session(messages=6)),
                        expected_revision=snap.revision)
    assert len(store.load("test-session-1").messages) == 6


def test_create_only_refuses_an_existing_session(store):
    store.save(f.session(), create_only=True)
    with pytest.raises(ConflictError, match="exists"):
        store.save(f.session(messages=9), create_only=True)
    with pytest.raises(ConflictError):
        store.save_snapshot(SessionSnapshot(session=f.session(messages=9)), create_only=True)
    assert len(store.load("test-session-1").messages) == 2


def test_revision_is_not_reused_after_delete(store):
    r1 = store.save(f.session())
    store.delete("test-session-1")
    r2 = store.save(f.session())
    assert r1 != r2
    with pytest.raises(ConflictError):
        store.save(f.session(), expected_revision=r1)


def test_bad_records_are_refused_before_writing(store):
    with pytest.raises(InvalidDataError):
        store.save("not a session")
    with pytest.raises(InvalidDataError):
        store.save_trace_events("s", ["not a trace event"])
    assert store.load_trace_events("s") is None


def test_corrupt_data_error_is_raised_not_none(file_store, tmp_path):
    (tmp_path / "store" / "test-id.json").write_text("{not json")
    with pytest.raises(CorruptDataError) as info:
        file_store.load("test-id")
    assert "test-id.json" in str(info.value)


def test_checkpoints_of_the_wrong_type_are_refused(store):
    with pytest.raises(InvalidDataError, match="LoopCheckpoint"):
        store.save_loop_checkpoint("run-1", object())
    with pytest.raises(InvalidDataError, match="WorkflowCheckpoint"):
        store.save_workflow_checkpoint("wf-1", {"workflow_id": "wf-1"})
    assert store.load_loop_checkpoint("run-1") is None
