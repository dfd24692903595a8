"""Loop/workflow checkpoints, runs, traces, verification and subagent tasks."""

from __future__ import annotations

import pytest

from a3s_store._json import decode, encode
from a3s_store.errors import UnsupportedVersionError
from a3s_store.records import (
    CURRENT_SCHEMA_VERSION,
    LoopCheckpoint,
    Message,
    RunEventRecord,
    RunRecord,
    RunSnapshot,
    RunStatus,
    StepOutcome,
    SubagentProgress,
    SubagentTaskSnapshot,
    TextBlock,
    TokenUsage,
    TraceEvent,
    VerificationCheck,
    VerificationReport,
    VerificationStatus,
    WorkflowCheckpoint,
    WorkflowStepRecord,
    list_from_dicts,
    list_to_dicts,
)


def _json_round_trip(record):
    return type(record).from_dict(decode(encode(record.to_dict()).encode()))


def test_checkpoint_round_trips_through_json():
    """loop_checkpoint::checkpoint_round_trips_through_json (§4.C 44)."""
    checkpoint = LoopCheckpoint(
        run_id="run-1",
        session_id="session-1",
        turn=3,
        messages=[Message(role="user", content=[TextBlock(text="hi")])],
        total_usage=TokenUsage(prompt_tokens=10, completion_tokens=2, total_tokens=12),
        tool_calls_count=4,
        checkpoint_ms=1_700_000_000_000,
    )
    restored = _json_round_trip(checkpoint)
    assert restored.run_id == "run-1" and restored.turn == 3
    assert restored.schema_version == CURRENT_SCHEMA_VERSION == 1
    assert restored == checkpoint


def test_missing_schema_version_defaults_to_zero():
    """loop_checkpoint::missing_schema_version_defaults_to_zero (§4.C 45)."""
    data = {
        "run_id": "run-1",
        "session_id": "session-1",
        "turn": 1,
        "messages": [],
        "total_usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "tool_calls_count": 0,
        "checkpoint_ms": 0,
    }
    checkpoint = LoopCheckpoint.from_dict(data)
    assert checkpoint.schema_version == 0
    assert checkpoint.verification_reports == []
    assert checkpoint.total_usage.cache_read_tokens is None
    checkpoint.ensure_loadable()
    out = checkpoint.to_dict()
    assert out["schema_version"] == 0 and out["verification_reports"] == []
    assert out["total_usage"]["cache_write_tokens"] is None


def _workflow() -> WorkflowCheckpoint:
    def outcome(task: str) -> StepOutcome:
        return StepOutcome(task_id=task, session_id=f"s-{task}", agent="coder",
                           output=f"{task} done", success=True)

    return WorkflowCheckpoint(
        workflow_id="wf-1",
        steps=[WorkflowStepRecord(task_id="a", outcome=outcome("a")),
               WorkflowStepRecord(task_id="b", outcome=outcome("b"))],
        checkpoint_ms=42,
    )


def test_round_trips_and_exposes_completed_map():
    """orchestration::checkpoint::round_trips_and_exposes_completed_map (§4.C 46)."""
    checkpoint = _workflow()
    restored = _json_round_trip(checkpoint)
    assert restored == checkpoint
    assert restored.schema_version == 1 and restored.checkpoint_ms == 42
    completed = restored.completed()
    assert set(completed) == {"a", "b"} and completed["b"].output == "b done"


def test_ensure_loadable_rejects_only_future_versions():
    """orchestration::checkpoint::ensure_loadable_rejects_only_future_versions (§4.C 47)."""
    for cls, make in ((WorkflowCheckpoint, _workflow),
                      (LoopCheckpoint, lambda: LoopCheckpoint(run_id="r", session_id="s"))):
        checkpoint = make()
        for version in (0, 1):
            checkpoint.schema_version = version
            checkpoint.ensure_loadable()
        checkpoint.schema_version = 2
        with pytest.raises(UnsupportedVersionError, match="schema version"):
            checkpoint.ensure_loadable()
        # it can be written (Rust saves it fine) but not read back
        data = checkpoint.to_dict()
        with pytest.raises(UnsupportedVersionError, match="schema version"):
            cls.from_dict(data)


def test_pre_v1_payload_without_schema_version_loads():
    """orchestration::checkpoint::pre_v1_payload_without_schema_version_loads (§4.C 48)."""
    checkpoint = WorkflowCheckpoint.from_dict(
        decode(b'{"workflow_id":"wf","steps":[],"checkpoint_ms":0}')
    )
    assert checkpoint.schema_version == 0 and checkpoint.steps == []


def test_step_outcome_structured_null_is_dropped():
    data = {"task_id": "t", "session_id": "s", "agent": "a", "output": "", "success": True,
            "structured": None}
    outcome = StepOutcome.from_dict(data)
    assert outcome.structured is None and "structured" not in outcome.to_dict()
    data["structured"] = {"k": [1]}
    assert StepOutcome.from_dict(data).to_dict() == data


def test_trace_event_optional_keys():
    event = TraceEvent(kind="tool_execution", name="bash", success=True)
    assert list(event.to_dict()) == ["schema", "kind", "name", "success", "exit_code",
                                     "duration_ms", "output_bytes"]
    data = dict(event.to_dict(), details=None, metadata_keys=[])
    assert TraceEvent.from_dict(data) == event
    event.details = {"x": 1}
    event.artifact_uris = ["u"]
    assert list(event.to_dict())[-2:] == ["artifact_uris", "details"]
    assert _json_round_trip(event) == event


def test_run_records_keep_events_opaque():
    record = RunRecord(
        snapshot=RunSnapshot(id="run-1", session_id="s", status="completed",
                             prompt="persist run", event_count=9),
        events=[RunEventRecord(sequence=1, timestamp_ms=2,
                               event={"type": "never_seen_before", "x": [1, None]})],
    )
    restored = list_from_dicts(RunRecord, decode(encode(list_to_dicts([record])).encode()))
    assert restored == [record]
    assert restored[0].snapshot.status is RunStatus.COMPLETED
    assert restored[0].snapshot.event_count == 9 and len(restored[0].events) == 1
    out = record.snapshot.to_dict()
    assert "result_text" not in out and "error" not in out


def test_verification_report_status_derivation():
    def check(status, required=True, risk=None):
        return VerificationCheck(id="c", kind="test", description="d", status=status,
                                 required=required, residual_risk=risk)

    derive = VerificationReport.from_checks
    assert derive("s", []).status is VerificationStatus.SKIPPED
    assert derive("s", [], ["risk"]).status is VerificationStatus.NEEDS_REVIEW
    assert derive("s", [check("passed")]).status is VerificationStatus.PASSED
    assert derive("s", [check("passed"), check("failed", False)]).status == "failed"
    assert derive("s", [check("needs_review")]).status == "needs_review"
    assert derive("s", [check("skipped")]).status == "needs_review"
    assert derive("s", [check("skipped", required=False)]).status == "passed"
    assert derive("s", [check("passed", risk="r")]).status == "passed"
    assert derive("s", [check("failed"), check("skipped")]).status == "failed"
    report = derive("s", [check("passed")], ["risk"])
    assert report.status == "needs_review" and report.schema == "a3s.verification_report.v1"
    # the stored status is taken as is on load
    data = report.to_dict()
    data["status"] = "passed"
    assert VerificationReport.from_dict(data).status is VerificationStatus.PASSED


def test_subagent_snapshot_round_trip():
    task = SubagentTaskSnapshot(
        task_id="t", parent_session_id="p", child_session_id="c", agent="explore",
        description="d", status="running", started_ms=1, updated_ms=2,
        progress=[SubagentProgress(timestamp_ms=1, status="running", metadata=None)],
    )
    out = task.to_dict()
    assert "finished_ms" not in out and "success" not in out
    assert out["progress"] == [{"timestamp_ms": 1, "status": "running", "metadata": None}]
    assert _json_round_trip(task) == task
