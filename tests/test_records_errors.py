"""Bad data in, bad records out: the exact error class and key path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from a3s_store._json import decode
from a3s_store.errors import CorruptDataError, InvalidDataError, UnsupportedVersionError
from a3s_store.records import (
    ContextUsage,
    LoopCheckpoint,
    RunRecord,
    SessionData,
    SubagentTaskSnapshot,
    TokenUsage,
    TraceEvent,
    WorkflowCheckpoint,
    list_from_dicts,
    list_to_dicts,
)

GOLDEN = Path(__file__).parent / "golden"


def _full() -> dict:
    return decode((GOLDEN / "session_full.json").read_bytes())


def _set(doc: dict, path: list, value: object) -> dict:
    target = doc
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()

# (path into session_full.json, new value, expected error key, message part)
SESSION_CASES = [
    (["id"], 5, "id", "expected a string, found an integer"),
    (["id"], _DELETE, "id", "missing required key"),
    (["config"], _DELETE, "config", "missing required key"),
    (["config"], [], "config", "expected an object, found an array"),
    (["config", "name"], None, "config.name", "found null"),
    (["config", "max_context_length"], 2**32, "config.max_context_length", "out of range for u32"),
    (["config", "max_context_length"], -1, "config.max_context_length", "out of range"),
    (["config", "max_context_length"], True, "config.max_context_length", "found a boolean"),
    (["config", "max_context_length"], 1.0, "config.max_context_length", "found a number"),
    (["config", "auto_compact"], 1, "config.auto_compact", "expected a boolean"),
    (["config", "auto_compact_threshold"], "0.8", "config.auto_compact_threshold", "a number"),
    (["config", "auto_compact_threshold"], True, "config.auto_compact_threshold", "boolean"),
    (["config", "auto_compact_threshold"], 1e39, "config.auto_compact_threshold", "32-bit"),
    (["config", "auto_compact_threshold"], None, "config.auto_compact_threshold", "null"),
    (["config", "storage_type"], "disk", "config.storage_type", "unknown variant 'disk'"),
    (["config", "planning_mode"], "auto", "config.planning_mode", "unknown variant"),
    (["config", "queue_config", "laneHandlers", "Query", "timeout_ms"], _DELETE,
     "config.queue_config.laneHandlers.Query.timeout_ms", "missing required key"),
    (["config", "queue_config", "laneHandlers", "Query", "timeout_ms"], -5,
     "config.queue_config.laneHandlers.Query.timeout_ms", "out of range for u64"),
    (["config", "queue_config", "laneHandlers", "Query", "mode"], "internal",
     "config.queue_config.laneHandlers.Query.mode", "unknown variant"),
    (["config", "queue_config", "laneHandlers", "Background"], {"mode": "Internal",
                                                                "timeout_ms": 1},
     "config.queue_config.laneHandlers.Background", "unknown variant 'Background'"),
    (["config", "queue_config", "laneTimeouts", "Control"], "1s",
     "config.queue_config.laneTimeouts.Control", "expected an integer"),
    (["config", "queue_config", "controlMaxConcurrency"], None,
     "config.queue_config.controlMaxConcurrency", "found null"),
    (["config", "queue_config", "retryPolicy", "strategy"], _DELETE,
     "config.queue_config.retryPolicy.strategy", "missing required key"),
    (["config", "queue_config", "retryPolicy", "maxRetries"], 2**32,
     "config.queue_config.retryPolicy.maxRetries", "out of range for u32"),
    (["config", "confirmation_policy", "yolo_lanes", 1], "Fast",
     "config.confirmation_policy.yolo_lanes[1]", "unknown variant"),
    (["config", "confirmation_policy", "enabled"], _DELETE,
     "config.confirmation_policy.enabled", "missing required key"),
    (["config", "permission_policy", "allow", 1], 7,
     "config.permission_policy.allow[1]", "expected an object"),
    (["config", "permission_policy", "allow", 0, "rule"], _DELETE,
     "config.permission_policy.allow[0].rule", "missing required key"),
    (["config", "permission_policy", "deny"], None, "config.permission_policy.deny", "null"),
    (["config", "auto_delegation", "maxTasks"], -1, "config.auto_delegation.maxTasks", "range"),
    (["config", "security_config"], "on", "config.security_config", "expected an object"),
    (["state"], "active", "state", "unknown variant 'active'"),
    (["state"], None, "state", "found null"),
    (["messages"], {}, "messages", "expected an array"),
    (["messages", 3], "hi", "messages[3]", "expected an object"),
    (["messages", 3, "role"], _DELETE, "messages[3].role", "missing required key"),
    (["messages", 3, "content"], "text", "messages[3].content", "expected an array"),
    (["messages", 3, "reasoning_content"], 1, "messages[3].reasoning_content", "a string"),
    (["messages", 0, "content", 0, "text"], 1, "messages[0].content[0].text",
     "expected a string, found an integer"),
    (["messages", 0, "content", 0, "text"], _DELETE, "messages[0].content[0].text",
     "missing required key"),
    (["messages", 0, "content", 0, "type"], _DELETE, "messages[0].content[0].type",
     "missing required key"),
    (["messages", 0, "content", 0, "type"], 3, "messages[0].content[0].type",
     "expected a string"),
    (["messages", 0, "content", 1, "source", "data"], None,
     "messages[0].content[1].source.data", "found null"),
    (["messages", 0, "content", 1, "source"], _DELETE, "messages[0].content[1].source",
     "missing required key"),
    (["messages", 1, "content", 1, "input"], _DELETE, "messages[1].content[1].input",
     "missing required key"),
    (["messages", 1, "content", 1, "name"], [], "messages[1].content[1].name",
     "expected a string, found an array"),
    (["messages", 2, "content", 0, "is_error"], "no", "messages[2].content[0].is_error",
     "a boolean or null"),
    (["messages", 2, "content", 0, "content"], 5, "messages[2].content[0].content",
     "a string or an array"),
    (["messages", 2, "content", 0, "tool_use_id"], _DELETE,
     "messages[2].content[0].tool_use_id", "missing required key"),
    (["messages", 3, "content", 0, "content", 1, "source", "media_type"], 0,
     "messages[3].content[0].content[1].source.media_type", "expected a string"),
    (["messages", 3, "content", 0, "content", 0], [], "messages[3].content[0].content[0]",
     "expected an object"),
    (["context_usage", "percent"], _DELETE, "context_usage.percent", "missing required key"),
    (["context_usage", "turns"], 1.5, "context_usage.turns", "found a number"),
    (["total_usage", "cache_read_tokens"], -1, "total_usage.cache_read_tokens", "range"),
    (["total_usage", "prompt_tokens"], 2**64, "total_usage.prompt_tokens", "out of range"),
    (["total_cost"], None, "total_cost", "found null"),
    (["total_cost"], "0", "total_cost", "expected a number"),
    (["model_name"], 1, "model_name", "expected a string"),
    (["cost_records", 1, "timestamp"], "now", "cost_records[1].timestamp", "RFC 3339"),
    (["cost_records", 1, "timestamp"], _DELETE, "cost_records[1].timestamp", "missing"),
    (["cost_records", 0, "cost_usd"], False, "cost_records[0].cost_usd", "boolean"),
    (["cost_records"], None, "cost_records", "found null"),
    (["tool_names", 1], None, "tool_names[1]", "expected a string"),
    (["tool_names"], _DELETE, "tool_names", "missing required key"),
    (["thinking_enabled"], _DELETE, "thinking_enabled", "missing required key"),
    (["thinking_budget"], True, "thinking_budget", "found a boolean"),
    (["created_at"], 2**63, "created_at", "out of range for i64"),
    (["created_at"], "1700000000", "created_at", "expected an integer"),
    (["llm_config", "provider"], _DELETE, "llm_config.provider", "missing required key"),
    (["llm_config", "api_key"], 42, "llm_config.api_key", "expected a string"),
    (["tasks", 0, "status"], "done", "tasks[0].status", "unknown variant 'done'"),
    (["tasks", 0, "status"], _DELETE, "tasks[0].status", "missing required key"),
    (["tasks", 0, "content"], _DELETE, "tasks[0].content", "missing required key"),
    (["tasks", 0, "dependencies"], None, "tasks[0].dependencies", "found null"),
    (["tasks", 1, "priority"], "urgent", "tasks[1].priority", "unknown variant"),
    (["parent_id"], [], "parent_id", "expected a string"),
]


@pytest.mark.parametrize("path, value, key, message", SESSION_CASES)
def test_session_errors_name_the_dotted_path(path, value, key, message):
    doc = _set(_full(), path, value)
    with pytest.raises(CorruptDataError) as info:
        SessionData.from_dict(doc)
    assert info.value.key == key
    assert message in info.value.message


def test_top_level_must_be_an_object():
    for value in (None, [], "x", 1):
        with pytest.raises(CorruptDataError) as info:
            SessionData.from_dict(value)
        assert info.value.key is None


def test_array_files_prefix_the_index():
    runs = decode((GOLDEN / "runs.json").read_bytes())
    runs[1]["snapshot"]["status"] = "paused"
    with pytest.raises(CorruptDataError) as info:
        list_from_dicts(RunRecord, runs)
    assert info.value.key == "[1].snapshot.status"
    with pytest.raises(CorruptDataError) as info:
        list_from_dicts(RunRecord, {"runs": []})
    assert info.value.key is None
    traces = decode((GOLDEN / "traces.json").read_bytes())
    traces[1]["exit_code"] = 2**31
    with pytest.raises(CorruptDataError) as info:
        list_from_dicts(TraceEvent, traces)
    assert info.value.key == "[1].exit_code" and "i32" in info.value.message


def test_subagent_progress_is_required():
    """format.md §5 item 17: Rust has no default for progress."""
    tasks = decode((GOLDEN / "subagent_tasks.json").read_bytes())
    del tasks[1]["progress"]
    with pytest.raises(CorruptDataError) as info:
        list_from_dicts(SubagentTaskSnapshot, tasks)
    assert info.value.key == "[1].progress"
    tasks = decode((GOLDEN / "subagent_tasks.json").read_bytes())
    del tasks[0]["progress"][1]["metadata"]
    with pytest.raises(CorruptDataError) as info:
        list_from_dicts(SubagentTaskSnapshot, tasks)
    assert info.value.key == "[0].progress[1].metadata"


def test_future_schema_versions_are_refused():
    for name, cls in (("loop_checkpoint.json", LoopCheckpoint),
                      ("workflow_checkpoint.json", WorkflowCheckpoint)):
        doc = decode((GOLDEN / name).read_bytes())
        doc["schema_version"] = 2
        doc["shape"] = "changed"
        with pytest.raises(UnsupportedVersionError) as info:
            cls.from_dict(doc)
        assert "schema version" in str(info.value) and info.value.key == "schema_version"
        doc["schema_version"] = -1
        with pytest.raises(CorruptDataError) as info:
            cls.from_dict(doc)
        assert info.value.key == "schema_version"
        doc["schema_version"] = "1"
        with pytest.raises(CorruptDataError):
            cls.from_dict(doc)


def test_checkpoint_error_paths():
    doc = decode((GOLDEN / "loop_checkpoint.json").read_bytes())
    doc["messages"][1]["content"][0]["id"] = None
    with pytest.raises(CorruptDataError) as info:
        LoopCheckpoint.from_dict(doc)
    assert info.value.key == "messages[1].content[0].id"
    doc = decode((GOLDEN / "loop_checkpoint.json").read_bytes())
    doc["verification_reports"][0]["checks"][0]["required"] = "yes"
    with pytest.raises(CorruptDataError) as info:
        LoopCheckpoint.from_dict(doc)
    assert info.value.key == "verification_reports[0].checks[0].required"
    doc = decode((GOLDEN / "workflow_checkpoint.json").read_bytes())
    del doc["steps"][1]["outcome"]["success"]
    with pytest.raises(CorruptDataError) as info:
        WorkflowCheckpoint.from_dict(doc)
    assert info.value.key == "steps[1].outcome.success"


def test_never_a_bare_builtin_error_on_random_corruption():
    """Replace random values of a valid document with random JSON values."""
    import random

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    candidates = [None, True, 0, -1, 2**64, 1.5, "", "x", [], {}, [1], {"k": 1}]
    base = _full()

    def paths(value, prefix):
        yield prefix
        if isinstance(value, dict):
            for k, v in value.items():
                yield from paths(v, prefix + [k])
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from paths(v, prefix + [i])

    all_paths = [p for p in paths(base, []) if p]
    for _ in range(400):
        doc = copy.deepcopy(base)
        path = rng.choice(all_paths)
        _set(doc, path, rng.choice(candidates + [_DELETE]))
        try:
            SessionData.from_dict(doc)
        except CorruptDataError:
            pass
        except Exception as exc:  # pragma: no cover - the failure report
            pytest.fail(f"seed {seed}: {path} raised {exc!r}")


# ------------------------------------------------------------ to_dict side

WRITE_CASES = [
    (lambda s: setattr(s, "id", None), "id", "expected a string"),
    (lambda s: setattr(s, "state", "Sleeping"), "state", "unknown SessionState"),
    (lambda s: setattr(s, "state", 3), "state", "SessionState"),
    (lambda s: setattr(s, "created_at", True), "created_at", "got a boolean"),
    (lambda s: setattr(s, "created_at", 2**63), "created_at", "out of range for i64"),
    (lambda s: setattr(s, "total_cost", float("nan")), "total_cost", "non-finite"),
    (lambda s: setattr(s, "total_cost", "1"), "total_cost", "expected a number"),
    (lambda s: setattr(s.config, "max_context_length", -1), "config.max_context_length",
     "out of range for u32"),
    (lambda s: setattr(s.config, "auto_compact_threshold", 1e39),
     "config.auto_compact_threshold", "32-bit"),
    (lambda s: setattr(s.config.queue_config, "lane_timeouts", {"Slow": 1}),
     "config.queue_config.laneTimeouts.Slow", "unknown SessionLane"),
    (lambda s: s.config.queue_config.lane_handlers["Query"].__setattr__("timeout_ms", -1),
     "config.queue_config.laneHandlers.Query.timeout_ms", "out of range"),
    (lambda s: setattr(s.context_usage, "percent", None), "context_usage.percent",
     "expected a number"),
    (lambda s: s.tool_names.append(3), "tool_names[2]", "expected a string"),
    (lambda s: s.messages.append("hello"), "messages[5]", "expected a Message"),
    (lambda s: s.tasks[1].dependencies.append(None), "tasks[1].dependencies[0]",
     "expected a string"),
    (lambda s: setattr(s, "llm_config", {"provider": "p"}), "llm_config",
     "expected a LlmConfigData"),
    (lambda s: setattr(s.config, "security_config", "on"), "config.security_config",
     "expected an object"),
    (lambda s: setattr(s.cost_records[0], "timestamp", "today"), "cost_records[0].timestamp",
     "RFC 3339"),
    (lambda s: setattr(s.total_usage, "cache_read_tokens", -2), "total_usage.cache_read_tokens",
     "out of range"),
]


@pytest.mark.parametrize("mutate, key, message", WRITE_CASES)
def test_to_dict_errors_name_the_key(mutate, key, message):
    session = SessionData.from_dict(_full())
    mutate(session)
    with pytest.raises(InvalidDataError) as info:
        session.to_dict()
    assert info.value.key == key
    assert message in info.value.message


def test_list_to_dicts_prefixes_the_index():
    events = [TraceEvent(kind="tool_execution", name="a", success=True),
              TraceEvent(kind="tool_execution", name="b", success=True, exit_code=2**40)]
    with pytest.raises(InvalidDataError) as info:
        list_to_dicts(events)
    assert info.value.key == "[1].exit_code"
    with pytest.raises(InvalidDataError) as info:
        list_to_dicts([ContextUsage(), "x"])
    assert info.value.key == "[1]"


def test_small_records_reject_wrong_types_both_ways():
    with pytest.raises(CorruptDataError) as info:
        TokenUsage.from_dict({"prompt_tokens": 1, "completion_tokens": 2})
    assert info.value.key == "total_tokens"
    usage = TokenUsage(prompt_tokens=1.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidDataError) as info:
        usage.to_dict()
    assert info.value.key == "prompt_tokens"
