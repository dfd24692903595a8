"""Workflow checkpoints through the helper (issue 17): saved with the run's steps,
cleared when the run completes, found again on resume.
"""

from __future__ import annotations

import pytest

import factories as f
from a3s_store import (
    AgentSession,
    InvalidDataError,
    SessionOptions,
    StepOutcome,
    UnsupportedVersionError,
    resume_session,
)


def outcome(task_id: str, output: str = "ok") -> StepOutcome:
    return StepOutcome(task_id=task_id, session_id="child", agent="explore", output=output,
                       success=True)


def test_a_step_is_saved_in_the_workflow_checkpoint_at_once(store):
    session = AgentSession(session_id="s", store=store)
    run = session.start_run("build it", workflow_id="wf-1")
    run.record_step(outcome("fetch"))
    saved = store.load_workflow_checkpoint("wf-1")
    assert list(saved.completed()) == ["fetch"]
    run.record_step(outcome("fetch", output="again"))  # a later outcome replaces it
    run.record_step(outcome("compile"))
    saved = store.load_workflow_checkpoint("wf-1")
    assert {k: v.output for k, v in saved.completed().items()} == {"fetch": "again",
                                                                     "compile": "ok"}
    assert saved.checkpoint_ms > 0
    assert run.completed_steps == saved.completed()


@pytest.mark.parametrize("auto_save", [False, True])
def test_completing_the_run_clears_the_workflow_checkpoint(store, auto_save):
    session = AgentSession(session_id="s", auto_save=auto_save, store=store)
    with session.start_run("build it", workflow_id="wf-1") as run:
        run.record_step(outcome("fetch"))
    assert store.load_workflow_checkpoint("wf-1") is None


@pytest.mark.parametrize("end", ["fail", "cancel"])
def test_a_run_that_fails_keeps_the_steps_for_the_next_run_of_the_workflow(store, end):
    session = AgentSession(session_id="s", store=store)
    run = session.start_run("build it", workflow_id="wf-1")
    run.record_step(outcome("fetch"))
    run.fail("compile broke") if end == "fail" else run.cancel()
    assert list(store.load_workflow_checkpoint("wf-1").completed()) == ["fetch"]
    again = session.start_run("build it", workflow_id="wf-1")
    assert list(again.completed_steps) == ["fetch"]  # not fetched twice


def test_a_resumed_run_finds_its_workflow_steps(store):
    session = AgentSession(session_id="s", auto_save=True, store=store)
    run = session.start_run("build it", run_id="run-1", workflow_id="wf-1")
    run.record_step(outcome("fetch"))
    run.checkpoint()
    # ...the process dies. Another one resumes:
    session = resume_session(store, "s", SessionOptions(auto_save=True))
    resumed = session.resume_run("run-1")
    assert resumed.workflow_id == "wf-1"
    assert list(resumed.completed_steps) == ["fetch"]
    resumed.record_step(outcome("compile"))
    resumed.complete()
    assert store.load_workflow_checkpoint("wf-1") is None


def test_a_resumed_run_finds_its_workflow_from_the_checkpoint_alone(store):
    # Without auto-save the stored session never saw the run: the loop
    # checkpoint's note names the workflow.
    session = AgentSession(session_id="s", store=store)
    session.save()
    run = session.start_run("build it", run_id="run-1", workflow_id="wf-1")
    run.record_step(outcome("fetch"))
    run.checkpoint()
    resumed = resume_session(store, "s").resume_run("run-1")
    assert (resumed.workflow_id, list(resumed.completed_steps)) == ("wf-1", ["fetch"])


def test_a_run_without_a_workflow_has_no_steps():
    run = AgentSession(session_id="s").start_run("go")
    assert run.workflow_id is None and run.completed_steps == {}
    with pytest.raises(InvalidDataError, match="has no workflow") as info:
        run.record_step(outcome("t"))
    assert info.value.session_id == "s"
    run = AgentSession(session_id="s").start_run("go", workflow_id="wf")
    with pytest.raises(InvalidDataError, match="StepOutcome"):
        run.record_step({"task_id": "t"})


def test_a_workflow_checkpoint_from_the_future_fails_closed(store):
    store.save_workflow_checkpoint("wf-1", f.workflow_checkpoint("wf-1", schema_version=2))
    session = AgentSession(session_id="s", store=store)
    with pytest.raises(UnsupportedVersionError):
        session.start_run("build it", workflow_id="wf-1")
    assert session.run_records == []  # nothing started: no step runs twice
