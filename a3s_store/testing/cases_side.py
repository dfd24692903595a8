"""Contract cases: side data (artifacts, traces, runs, reports, subagent tasks)
and the loop and workflow checkpoints."""

from __future__ import annotations

from ..errors import InvalidDataError, UnsupportedVersionError
from . import samples as s
from ._registry import Store, case, raises


@case
def store_save_and_load_artifacts(store: Store) -> None:
    """Artifacts round-trip, also for an id with no session."""
    store.save_artifacts("session/a", s.artifact_store("artifact content"))
    loaded = store.load_artifacts("session/a")
    assert len(loaded) == 1
    assert loaded.get("a3s://artifacts/art-0").content == "artifact content"


@case
def store_save_and_load_trace_events(store: Store) -> None:
    """Trace events round-trip."""
    events = [s.trace_event("bash"), s.trace_event("read", success=False, exit_code=1)]
    store.save_trace_events("session/a", events)
    assert store.load_trace_events("session/a") == events


@case
def store_save_and_load_run_records(store: Store) -> None:
    """Run records round-trip with their events."""
    store.save_run_records("session/a", [s.run_record("session/a")])
    loaded = store.load_run_records("session/a")
    assert len(loaded) == 1
    assert loaded[0].snapshot.prompt == "persist run"
    assert len(loaded[0].events) == 1


@case
def store_save_and_load_verification_reports(store: Store) -> None:
    """Verification reports round-trip."""
    reports = [s.verification_report()]
    store.save_verification_reports("session/a", reports)
    assert store.load_verification_reports("session/a") == reports


@case
def store_save_and_load_subagent_tasks(store: Store) -> None:
    """Subagent tasks round-trip."""
    tasks = [s.subagent_task("session/a")]
    store.save_subagent_tasks("session/a", tasks)
    assert store.load_subagent_tasks("session/a") == tasks


@case
def store_delete_removes_side_data(store: Store) -> None:
    """Deleting a session removes every component with it."""
    sid = "test-session-1"
    store.save(s.session(sid))
    store.save_artifacts(sid, s.artifact_store())
    store.save_trace_events(sid, [s.trace_event()])
    store.save_run_records(sid, [s.run_record(sid)])
    store.save_verification_reports(sid, [s.verification_report()])
    store.save_subagent_tasks(sid, [s.subagent_task(sid)])
    store.delete(sid)
    assert store.load_artifacts(sid) is None
    assert store.load_trace_events(sid) is None
    assert store.load_run_records(sid) is None
    assert store.load_verification_reports(sid) is None
    assert store.load_subagent_tasks(sid) is None


@case
def store_side_data_missing_is_none(store: Store) -> None:
    """Components never saved load as None."""
    assert store.load_artifacts("x") is None
    assert store.load_trace_events("x") is None
    assert store.load_run_records("x") is None
    assert store.load_verification_reports("x") is None
    assert store.load_subagent_tasks("x") is None


@case
def side_data_alone_is_not_a_session(store: Store) -> None:
    """An id with side data and no session is not listed and does not exist."""
    store.save_trace_events("only-traces", [s.trace_event()])
    assert store.list() == [] and not store.exists("only-traces")
    assert store.load("only-traces") is None and store.load_snapshot("only-traces") is None
    assert [x.id for x in store.list_summaries()] == []
    store.save(s.session("only-traces"))
    assert store.load_trace_events("only-traces") == [s.trace_event()]


@case
def side_data_saves_leave_the_session_alone(store: Store) -> None:
    """Saving a component changes neither the session nor the other components."""
    sid = "test-session-1"
    store.save(s.session(sid, messages=4))
    store.save_run_records(sid, [s.run_record(sid)])
    store.save_trace_events(sid, [s.trace_event("a")])
    store.save_trace_events(sid, [s.trace_event("b"), s.trace_event("c")])
    assert len(store.load(sid).messages) == 4
    assert store.load_run_records(sid) == [s.run_record(sid)]
    assert [e.name for e in store.load_trace_events(sid)] == ["b", "c"]


@case
def opaque_json_is_copied_too(store: Store) -> None:
    """Opaque JSON (run events) is copied in: changing it after a save changes nothing."""
    record = s.run_record()
    store.save_run_records("test-session-1", [record])
    record.events[0].event["text"] = "changed in place"
    assert store.load_run_records("test-session-1")[0].events[0].event["text"] == "chunk 0"


@case
def store_loop_checkpoint_save_load_delete(store: Store) -> None:
    """A loop checkpoint round-trips; deleting it twice is fine."""
    store.save_loop_checkpoint("run-x", s.loop_checkpoint("run-x"))
    loaded = store.load_loop_checkpoint("run-x")
    assert loaded.run_id == "run-x" and loaded.turn == 2
    store.delete_loop_checkpoint("run-x")
    assert store.load_loop_checkpoint("run-x") is None
    store.delete_loop_checkpoint("run-x")
    store.delete_loop_checkpoint("never-existed")


@case
def store_loop_checkpoint_overwrites(store: Store) -> None:
    """A newer loop checkpoint replaces the older one."""
    store.save_loop_checkpoint("run-x", s.loop_checkpoint("run-x"))
    newer = s.loop_checkpoint("run-x")
    newer.turn = 5
    store.save_loop_checkpoint("run-x", newer)
    assert store.load_loop_checkpoint("run-x").turn == 5


@case
def store_workflow_checkpoint_roundtrip(store: Store) -> None:
    """A workflow checkpoint round-trips and deletes."""
    cp = s.workflow_checkpoint("wf-1", steps=2)
    store.save_workflow_checkpoint("wf-1", cp)
    loaded = store.load_workflow_checkpoint("wf-1")
    assert loaded == cp
    assert len(loaded.completed()) == 2
    store.delete_workflow_checkpoint("wf-1")
    assert store.load_workflow_checkpoint("wf-1") is None
    store.delete_workflow_checkpoint("wf-1")


@case
def store_rejects_future_workflow_checkpoint(store: Store) -> None:
    """A workflow checkpoint of a newer schema version is refused on load."""
    store.save_workflow_checkpoint("wf-2", s.workflow_checkpoint("wf-2", schema_version=2))
    with raises(UnsupportedVersionError, match="schema version"):
        store.load_workflow_checkpoint("wf-2")


@case
def store_rejects_future_loop_checkpoint(store: Store) -> None:
    """A loop checkpoint of a newer schema version is refused on load."""
    store.save_loop_checkpoint("run-f", s.loop_checkpoint("run-f", schema_version=2))
    with raises(UnsupportedVersionError, match="schema version"):
        store.load_loop_checkpoint("run-f")


@case
def checkpoint_under_another_run_id_is_refused(store: Store) -> None:
    """A checkpoint is saved only under its own run or workflow id."""
    with raises(InvalidDataError, match="run"):
        store.save_loop_checkpoint("run-a", s.loop_checkpoint("run-b"))
    with raises(InvalidDataError, match="workflow"):
        store.save_workflow_checkpoint("wf-a", s.workflow_checkpoint("wf-b"))
    assert store.load_loop_checkpoint("run-a") is None


@case
def checkpoints_of_the_wrong_type_are_refused(store: Store) -> None:
    """Only LoopCheckpoint and WorkflowCheckpoint records are saved as checkpoints."""
    with raises(InvalidDataError, match="LoopCheckpoint"):
        store.save_loop_checkpoint("run-1", object())
    with raises(InvalidDataError, match="WorkflowCheckpoint"):
        store.save_workflow_checkpoint("wf-1", {"workflow_id": "wf-1"})
    assert store.load_loop_checkpoint("run-1") is None


@case
def deleting_a_session_leaves_its_checkpoints(store: Store) -> None:
    """Checkpoints are keyed by run and workflow: deleting a session keeps them."""
    store.save(s.session())
    store.save_loop_checkpoint("run-x", s.loop_checkpoint("run-x"))
    store.save_workflow_checkpoint("wf-1", s.workflow_checkpoint("wf-1"))
    store.delete("test-session-1")
    assert store.load_loop_checkpoint("run-x").session_id == "test-session-1"
    assert store.load_workflow_checkpoint("wf-1") is not None
