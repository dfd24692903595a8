"""Byte-exact round trips of hand-written golden files (format.md §2).

Each golden file is what serde_json's ``to_string_pretty`` writes for the
record (built by hand from the spec, not by this package's encoder):
decode -> from_dict -> to_dict -> encode must give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from a3s_store._json import decode, encode, encode_bytes
from a3s_store.records import (
    ArtifactStore,
    ImageBlock,
    LoopCheckpoint,
    Message,
    PlanningMode,
    RunRecord,
    SessionData,
    SessionLane,
    SessionState,
    SubagentTaskSnapshot,
    TaskStatus,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    TraceEvent,
    UnknownBlock,
    VerificationReport,
    VerificationStatus,
    WorkflowCheckpoint,
    list_from_dicts,
    list_to_dicts,
)

GOLDEN = Path(__file__).parent / "golden"

DOCUMENTS = {
    "session_full.json": SessionData,
    "session_minimal.json": SessionData,
    "session_bare.json": SessionData,
    "session_forward.json": SessionData,
    "artifacts_manifest.json": ArtifactStore,
    "artifacts_manifest_retained.json": ArtifactStore,
    "loop_checkpoint.json": LoopCheckpoint,
    "workflow_checkpoint.json": WorkflowCheckpoint,
}
ARRAYS = {
    "traces.json": TraceEvent,
    "runs.json": RunRecord,
    "verification.json": VerificationReport,
    "subagent_tasks.json": SubagentTaskSnapshot,
}


def _load(name: str) -> bytes:
    data = (GOLDEN / name).read_bytes()
    assert not data.endswith(b"\n"), "serde_json writes no trailing newline"
    return data


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_round_trips_byte_for_byte(name, strict):
    data = _load(name)
    record = DOCUMENTS[name].from_dict(decode(data, strict=strict))
    assert encode_bytes(record.to_dict()) == data
    # and the record survives a second trip unchanged
    assert DOCUMENTS[name].from_dict(decode(encode_bytes(record.to_dict()))) == record


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_array_round_trips_byte_for_byte(name):
    data = _load(name)
    records = list_from_dicts(ARRAYS[name], decode(data))
    assert encode_bytes(list_to_dicts(records)) == data
    assert list_from_dicts(ARRAYS[name], decode(encode_bytes(list_to_dicts(records)))) == records


def test_session_full_values():
    s = SessionData.from_dict(decode(_load("session_full.json")))
    assert s.id == "tenant/session-1"
    assert s.state is SessionState.PAUSED
    assert s.config.planning_mode is PlanningMode.ENABLED
    assert s.config.auto_compact_threshold == 0.8
    q = s.config.queue_config
    assert q is not None and list(q.lane_handlers) == ["Query", "Execute"]
    assert q.lane_handlers["Execute"].timeout_ms == 120000
    assert q.retry_policy is not None and q.retry_policy.fixed_delay_ms is None
    assert q.lane_timeouts == {"Control": 1000, "Generate": 90000}
    cp = s.config.confirmation_policy
    assert cp is not None and cp.yolo_lanes == [SessionLane.QUERY, SessionLane.CONTROL]
    pp = s.config.permission_policy
    assert pp is not None and [r.rule for r in pp.allow] == ["Bash(cargo:*)", "Read(*)"]
    assert s.config.security_config["features"]["taint_tracking"] is False
    assert s.llm_config is not None and s.llm_config.api_key is None
    assert s.tasks[0].status is TaskStatus.IN_PROGRESS and s.tasks[0].dependencies == ["t0"]
    assert s.cost_records[2].timestamp == "2026-05-23T10:11:12.123456789Z"
    assert s.context_usage.percent == 0.0005
    m = s.messages
    assert isinstance(m[0].content[1], ImageBlock)
    assert m[0].content[1].source.media_type == "image/png"
    assert isinstance(m[1].content[1], ToolUseBlock)
    assert m[1].content[1].input["floats"][-2] == 0.0
    assert m[1].reasoning_content == "The user wants the file."
    result = m[3].content[0]
    assert isinstance(result, ToolResultBlock) and result.is_error is None
    assert isinstance(result.content, tuple) and isinstance(result.content[0], TextBlock)
    assert m[4].content == ()


def test_session_forward_keeps_what_it_does_not_know():
    s = SessionData.from_dict(decode(_load("session_forward.json")))
    assert s.extra == {"durable_memory_binding": {"id": "m"}, "cognitive_package_binding": None}
    assert s.config.extra["enforce_active_skill_tool_restrictions"] is True
    assert s.config.queue_config is not None
    assert s.config.queue_config.extra == {"someFutureQueueKey": [1, 2]}
    assert s.config.auto_delegation is not None
    assert s.config.auto_delegation.extra == {"allowManualDelegation": True}
    first = s.messages[0]
    assert isinstance(first.content[0], UnknownBlock) and first.content[0].type == "thinking"
    assert first.content[1].extra == {"citations": []}
    assert first.extra == {"transcript_text": "hi", "transcript_visibility": "visible"}
    result = s.messages[1].content[0]
    assert isinstance(result.content[0], UnknownBlock)
    assert result.extra == {"trust": "untrusted", "redaction_reviewed": True}
    assert s.context_usage.extra == {"future": None}
    assert s.total_usage.prompt_tokens == 2**64 - 1


def test_other_documents_values():
    runs = list_from_dicts(RunRecord, decode(_load("runs.json")))
    assert runs[0].snapshot.event_count == 12 and len(runs[0].events) == 7
    assert runs[0].events[-1].event["type"] == "some_future_event"
    reports = list_from_dicts(VerificationReport, decode(_load("verification.json")))
    assert reports[0].status is VerificationStatus.NEEDS_REVIEW
    assert reports[0].checks[0].residual_risk == "flaky on CI"
    tasks = list_from_dicts(SubagentTaskSnapshot, decode(_load("subagent_tasks.json")))
    assert tasks[0].progress[0].metadata is None and tasks[1].finished_ms is None
    loop = LoopCheckpoint.from_dict(decode(_load("loop_checkpoint.json")))
    assert isinstance(loop.messages[1], Message) and loop.tool_calls_count == 3
    store = ArtifactStore.from_dict(decode(_load("artifacts_manifest_retained.json")))
    assert len(store) == 0 and store.extra == {"retained_uris": ["a3s://tool-output/bash/abc"]}


def test_dict_round_trip_without_encoding():
    """to_dict output (with F32 values) is accepted by from_dict directly."""
    s = SessionData.from_dict(decode(_load("session_full.json")))
    assert SessionData.from_dict(s.to_dict()) == s
    assert encode(SessionData.from_dict(s.to_dict()).to_dict()) == encode(s.to_dict())
