"""SessionData, SessionConfig and the small records it holds."""

from __future__ import annotations

import copy
import pickle
from datetime import datetime, timedelta, timezone

import pytest

from a3s_store._json import F32, Raw, decode, encode
from a3s_store.errors import CorruptDataError, InvalidDataError
from a3s_store.records import (
    AutoDelegationConfig,
    ConfirmationPolicy,
    ContextUsage,
    LlmConfigData,
    LlmCostRecord,
    Message,
    PermissionPolicy,
    PermissionRule,
    SessionConfig,
    SessionData,
    SessionQueueConfig,
    SessionState,
    StorageBackend,
    Task,
    TaskPriority,
    TaskStatus,
    TextBlock,
    TimeoutAction,
    TokenUsage,
    normalize_timestamp,
    timestamp_from_datetime,
    tool_names_from_definitions,
)


def _session(**changes) -> SessionData:
    base = dict(
        id="test-session-1",
        config=SessionConfig(name="Test Session", workspace="/tmp"),
        state=SessionState.ACTIVE,
        messages=[
            Message(role="user", content=[TextBlock(text="Hello")]),
            Message(role="assistant", content=[TextBlock(text="Hi there!")]),
        ],
        tool_names=["bash", "read"],
        created_at=1700000000,
        updated_at=1700000100,
    )
    base.update(changes)
    return SessionData(**base)


# ---------------------------------------------------- ported Rust tests


def test_session_data_serialization():
    """store::tests::test_session_data_serialization (format.md §4.A 20)."""
    session = _session()
    restored = SessionData.from_dict(decode(encode(session.to_dict()).encode()))
    assert restored.id == "test-session-1"
    assert len(restored.messages) == 2
    assert restored == session


def test_tool_names_from_definitions():
    """store::tests::test_tool_names_from_definitions (format.md §4.A 21)."""

    class Definition:
        def __init__(self, name: str) -> None:
            self.name = name
            self.description = "..."

    assert tool_names_from_definitions([Definition("bash"), Definition("read")]) == [
        "bash",
        "read",
    ]
    assert tool_names_from_definitions([{"name": "bash"}, {"name": "read"}]) == ["bash", "read"]
    assert tool_names_from_definitions([]) == []
    with pytest.raises(InvalidDataError) as info:
        tool_names_from_definitions([{"name": "bash"}, {"title": "x"}])
    assert info.value.key == "[1]"


def test_task_status_serialization():
    """planning::test_task_status_serialization (format.md §4.C 53)."""
    task = Task(id="t", content="c", status=TaskStatus.IN_PROGRESS)
    assert task.to_dict()["status"] == "in_progress"
    task.status = TaskStatus.FAILED
    assert encode(task.to_dict()["status"]) == '"failed"'
    assert encode(Task(id="t", content="c", status="failed").to_dict()["status"]) == '"failed"'


def test_session_queue_config_default():
    """queue::test_session_queue_config_default (format.md §4.C 54)."""
    config = SessionQueueConfig()
    assert config.control_max_concurrency == 2
    assert config.query_max_concurrency == 4
    assert config.execute_max_concurrency == 2
    assert config.generate_max_concurrency == 1
    assert not config.enable_dlq and not config.enable_metrics and not config.enable_alerts


# ------------------------------------------------------ serde defaults


def test_queue_config_missing_keys_take_serde_defaults_not_rust_default():
    """format.md §5 item 14: {} and SessionQueueConfig() are not equivalent."""
    read = SessionQueueConfig.from_dict({})
    assert (
        read.control_max_concurrency,
        read.query_max_concurrency,
        read.execute_max_concurrency,
        read.generate_max_concurrency,
    ) == (4, 12, 4, 2)
    assert read != SessionQueueConfig()
    assert read.lane_handlers == {} and read.lane_timeouts == {} and read.retry_policy is None
    # snake_case spellings are unknown keys: defaults apply, the keys are kept
    odd = SessionQueueConfig.from_dict({"control_max_concurrency": 9})
    assert odd.control_max_concurrency == 4 and odd.extra == {"control_max_concurrency": 9}


def test_queue_sub_struct_defaults_and_required_keys():
    q = SessionQueueConfig.from_dict({"retryPolicy": {"strategy": "fixed"}})
    assert q.retry_policy is not None
    assert (q.retry_policy.max_retries, q.retry_policy.initial_delay_ms) == (3, 100)
    with pytest.raises(CorruptDataError) as info:
        SessionQueueConfig.from_dict({"laneHandlers": {"Query": {"mode": "Internal"}}})
    assert info.value.key == "laneHandlers.Query.timeout_ms"


def test_session_config_defaults_for_missing_keys():
    config = SessionConfig.from_dict(
        {"name": "", "workspace": "", "max_context_length": 0, "auto_compact": False}
    )
    assert config.system_prompt is None
    assert config.auto_compact_threshold == 0.8
    assert config.storage_type is StorageBackend.FILE
    assert config.planning_mode == "Auto" and config.goal_tracking is False
    out = config.to_dict()
    assert list(out) == [
        "name", "workspace", "system_prompt", "max_context_length", "auto_compact",
        "auto_compact_threshold", "storage_type", "planning_mode", "goal_tracking",
    ]
    assert out["system_prompt"] is None and isinstance(out["auto_compact_threshold"], F32)


def test_session_data_defaults_for_missing_keys():
    minimal = {
        "id": "s",
        "config": SessionConfig().to_dict(),
        "state": "Active",
        "messages": [],
        "context_usage": ContextUsage().to_dict(),
        "total_usage": TokenUsage().to_dict(),
        "tool_names": [],
        "thinking_enabled": False,
        "created_at": 1,
        "updated_at": 2,
    }
    s = SessionData.from_dict(minimal)
    assert s.total_cost == 0.0 and s.cost_records == [] and s.tasks == []
    assert s.thinking_budget is None and s.model_name is None and s.llm_config is None
    out = s.to_dict()
    assert out["total_cost"] == 0.0 and out["tasks"] == [] and out["thinking_budget"] is None
    assert "model_name" not in out and "llm_config" not in out and "tenant_id" not in out


def test_auto_delegation_container_defaults_and_alias():
    assert AutoDelegationConfig.from_dict({}) == AutoDelegationConfig()
    assert AutoDelegationConfig.from_dict({"auto_parallel": False}).auto_parallel is False
    # snake_case spellings of the other keys are unknown keys
    odd = AutoDelegationConfig.from_dict({"max_tasks": 9, "min_confidence": 0.1})
    assert odd.max_tasks == 4 and odd.min_confidence == 0.72
    assert encode(AutoDelegationConfig().to_dict()) == (
        '{\n  "enabled": false,\n  "autoParallel": true,\n'
        '  "minConfidence": 0.72,\n  "maxTasks": 4\n}'
    )


# --------------------------------------------------------------- aliases


def test_read_aliases():
    assert Task.from_dict({"id": "t", "description": "d", "status": "pending"}).content == "d"
    s = _session().to_dict()
    s["todos"] = s.pop("tasks") + [{"id": "t", "content": "c", "status": "skipped"}]
    loaded = SessionData.from_dict(s)
    assert loaded.tasks[0].status is TaskStatus.SKIPPED
    assert "todos" not in loaded.to_dict() and loaded.to_dict()["tasks"][0]["id"] == "t"


@pytest.mark.parametrize(
    "cls, data, key",
    [
        (Task, {"id": "t", "content": "a", "description": "b", "status": "pending"},
         "description"),
        (AutoDelegationConfig, {"autoParallel": True, "auto_parallel": False}, "auto_parallel"),
    ],
)
def test_field_given_with_its_alias_is_a_duplicate(cls, data, key):
    with pytest.raises(CorruptDataError) as info:
        cls.from_dict(data)
    assert info.value.key == key and "duplicate field" in info.value.message


def test_tasks_with_todos_is_a_duplicate():
    data = _session().to_dict()
    data["todos"] = []
    with pytest.raises(CorruptDataError) as info:
        SessionData.from_dict(data)
    assert info.value.key == "todos"


# ------------------------------------------------------------- secrets


def test_api_key_is_read_but_never_written():
    """format.md §5 item 18 and store test 16 (test_file_store_with_llm_config)."""
    data = {"provider": "openai", "model": "gpt-4o", "api_key": "secret"}
    config = LlmConfigData.from_dict(data)
    assert config.api_key == "secret"
    assert "secret" not in repr(config)
    assert config.to_dict() == {"provider": "openai", "model": "gpt-4o", "base_url": None}
    session = _session(llm_config=config)
    assert "secret" not in encode(session.to_dict())
    assert SessionData.from_dict(session.to_dict()).llm_config.api_key is None
    # it cannot be smuggled in as an unknown key either
    config.extra["api_key"] = "secret"
    with pytest.raises(InvalidDataError):
        config.to_dict()


# ---------------------------------------------------------- unknown keys


def test_unknown_keys_round_trip_after_known_keys():
    data = _session().to_dict()
    data["zzz_new"] = {"nested": [1, 2]}
    data["config"]["future_flag"] = True
    data["context_usage"]["future"] = None
    loaded = SessionData.from_dict(data)
    assert loaded.extra == {"zzz_new": {"nested": [1, 2]}}
    out = loaded.to_dict()
    assert list(out)[-1] == "zzz_new"
    assert list(out["config"])[-1] == "future_flag"
    assert encode(out) == encode(data)


def test_extra_may_not_shadow_known_keys_or_aliases():
    for key in ("id", "tasks", "todos"):
        s = _session()
        s.extra[key] = 1
        with pytest.raises(InvalidDataError) as info:
            s.to_dict()
        assert info.value.key == key
    s = _session()
    s.extra = []  # type: ignore[assignment]
    with pytest.raises(InvalidDataError):
        s.to_dict()


# ----------------------------------------------------- revision & splice


def test_revision_is_not_serialized_and_not_compared():
    a, b = _session(), _session()
    a.revision = "r1"
    assert a == b and "revision" not in a.to_dict() and "r1" not in repr(a)


def test_to_dict_with_messages_splices_raw_chunks():
    session = _session()
    chunks = [Raw(encode(m.to_dict(), level=2)) for m in session.messages]
    spliced = session._to_dict_with_messages(chunks)
    assert spliced["messages"] is chunks
    assert list(spliced) == list(session.to_dict())
    assert encode(spliced) == encode(session.to_dict())


def test_records_copy_and_pickle():
    session = SessionData.from_dict(_session(llm_config=LlmConfigData(provider="p", model="m"))
                                    .to_dict())
    assert copy.deepcopy(session) == session
    assert pickle.loads(pickle.dumps(session)) == session


# ------------------------------------------------------------ timestamps


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-05-23T10:11:12Z", "2026-05-23T10:11:12Z"),
        ("2026-05-23T10:11:12.5Z", "2026-05-23T10:11:12.500Z"),
        ("2026-05-23T10:11:12.000Z", "2026-05-23T10:11:12Z"),
        ("2026-05-23T10:11:12.1234Z", "2026-05-23T10:11:12.123400Z"),
        ("2026-05-23T10:11:12.123456789Z", "2026-05-23T10:11:12.123456789Z"),
        ("2026-05-23T10:11:12.1234567891Z", "2026-05-23T10:11:12.123456789Z"),
        ("2026-05-23T12:11:12+02:00", "2026-05-23T10:11:12Z"),
        ("2026-01-01T00:30:00-01:00", "2026-01-01T01:30:00Z"),
        ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z"),
        ("2026-05-23t10:11:12z", "2026-05-23T10:11:12Z"),
        ("2026-05-23 10:11:12Z", "2026-05-23T10:11:12Z"),
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:60Z"),
    ],
)
def test_timestamps_are_normalised_like_chrono(text, expected):
    assert normalize_timestamp(text) == expected
    record = LlmCostRecord.from_dict(
        {"model": "m", "provider": "p", "prompt_tokens": 0, "completion_tokens": 0,
         "total_tokens": 0, "timestamp": text}
    )
    assert record.timestamp == expected
    assert record.cost_usd is None and record.session_id is None


@pytest.mark.parametrize(
    "text",
    ["", "2026-05-23", "2026-05-23T10:11:12", "2026-02-30T00:00:00Z", "2026-05-23T24:00:00Z",
     "2026-05-23T10:11:12+2:00", "2026-05-23T10:11:12+24:00", "0000-01-01T00:00:00Z",
     "9999-12-31T23:30:00-01:00", "2026-05-23T10:11:12.Z", " 2026-05-23T10:11:12Z"],
)
def test_bad_timestamps(text):
    with pytest.raises(InvalidDataError):
        normalize_timestamp(text)
    with pytest.raises(CorruptDataError) as info:
        LlmCostRecord.from_dict(
            {"model": "m", "provider": "p", "prompt_tokens": 0, "completion_tokens": 0,
             "total_tokens": 0, "timestamp": text}
        )
    assert info.value.key == "timestamp"


def test_timestamp_from_datetime():
    moment = datetime(2026, 5, 23, 12, 11, 12, 500000, tzinfo=timezone(timedelta(hours=2)))
    assert timestamp_from_datetime(moment) == "2026-05-23T10:11:12.500Z"
    record = LlmCostRecord(model="m", provider="p", timestamp=moment)
    assert record.timestamp == "2026-05-23T10:11:12.500Z"
    with pytest.raises(InvalidDataError):
        timestamp_from_datetime(datetime(2026, 1, 1))
    with pytest.raises(InvalidDataError) as info:
        LlmCostRecord(model="m", provider="p", timestamp="yesterday")
    assert info.value.key == "timestamp"


# ------------------------------------------------------------- policies


def test_confirmation_policy_needs_every_key():
    """format.md §5 item 16: an older/partial object fails the load."""
    full = ConfirmationPolicy(enabled=True, yolo_lanes=["Query"]).to_dict()
    assert full == {"enabled": True, "default_timeout_ms": 30000, "timeout_action": "Reject",
                    "yolo_lanes": ["Query"]}
    for key in full:
        partial = dict(full)
        del partial[key]
        with pytest.raises(CorruptDataError) as info:
            ConfirmationPolicy.from_dict(partial)
        assert info.value.key == key
    policy = ConfirmationPolicy.from_dict(dict(full, timeout_action="AutoApprove"))
    assert policy.timeout_action is TimeoutAction.AUTO_APPROVE


def test_permission_rules_read_from_strings_written_as_objects():
    policy = PermissionPolicy.from_dict({"allow": ["Bash(cargo:*)", {"rule": "Read(*)"}]})
    assert policy.allow == [PermissionRule(rule="Bash(cargo:*)"), PermissionRule(rule="Read(*)")]
    assert policy.default_decision == "ask" and policy.enabled is True
    assert policy.to_dict() == {
        "deny": [],
        "allow": [{"rule": "Bash(cargo:*)"}, {"rule": "Read(*)"}],
        "ask": [],
        "default_decision": "ask",
        "enabled": True,
    }
    assert PermissionPolicy(allow=["Bash(cargo:*)"]).allow == [PermissionRule(rule="Bash(cargo:*)")]


def test_store_policy_fixture_round_trips():
    """store test 15 (test_file_store_with_policies), at the record level."""
    config = SessionConfig(
        confirmation_policy=ConfirmationPolicy(enabled=True),
        permission_policy=PermissionPolicy(allow=["Bash(cargo:*)"]),
        queue_config=SessionQueueConfig(),
    )
    loaded = SessionConfig.from_dict(decode(encode(config.to_dict()).encode()))
    assert loaded == config
    assert loaded.permission_policy.allow[0].rule == "Bash(cargo:*)"


def test_enum_strings_are_accepted_by_constructors():
    task = Task(id="t", content="c", status="completed", priority="low")
    assert task.status is TaskStatus.COMPLETED and task.priority is TaskPriority.LOW
    assert SessionData(id="s", state="Paused").state is SessionState.PAUSED
    with pytest.raises(InvalidDataError) as info:
        SessionData(id="s", state="Sleeping")
    assert info.value.key == "state"
