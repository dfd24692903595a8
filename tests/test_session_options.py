"""Runtime options from a saved session (caller values win) and the model helpers.

Ports of a3s-code 3.4's inline tests (format.md §4.B 41-43), and the settings
3.4 saved but forgot to restore (§5 item 22).
"""

from __future__ import annotations

import dataclasses

import pytest

from a3s_store import (
    AutoDelegationConfig,
    ConfirmationPolicy,
    InvalidDataError,
    PermissionPolicy,
    PlanningMode,
    SessionConfig,
    SessionData,
    SessionOptions,
    SessionQueueConfig,
    apply_persisted_runtime_options,
    model_config_data,
    persisted_model_name,
    persisted_model_ref,
)


def test_persisted_runtime_options_prefer_llm_config():
    data = SessionData(id="session-1", model_name="anthropic/old",
                       llm_config=model_config_data("openai/gpt-4o"))
    options = apply_persisted_runtime_options(SessionOptions(), data)
    assert options.session_id == "session-1"
    assert options.model == "openai/gpt-4o"


def test_persisted_runtime_options_fall_back_to_model_name():
    data = SessionData(id="session-1", model_name="openai/gpt-4o")
    assert apply_persisted_runtime_options(SessionOptions(), data).model == "openai/gpt-4o"


def test_a_model_saved_without_provider_is_still_restored():
    data = SessionData(id="s", model_name="gpt-4o")
    assert persisted_model_ref(data) is None  # as in Rust
    assert apply_persisted_runtime_options(SessionOptions(), data).model == "gpt-4o"


def test_no_model_saved_gives_no_model():
    assert apply_persisted_runtime_options(SessionOptions(), SessionData(id="s")).model is None


def test_model_config_never_persists_secret_material():
    config = model_config_data("openai/gpt-4o")
    assert (config.provider, config.model) == ("openai", "gpt-4o")
    assert config.api_key is None and config.base_url is None
    assert "api_key" not in config.to_dict() and config.to_dict()["base_url"] is None


@pytest.mark.parametrize("name, expected", [
    ("openai/gpt-4o", ("openai", "gpt-4o")),
    ("openrouter/meta-llama/llama-3-70b", ("openrouter", "meta-llama/llama-3-70b")),
    ("gpt-4o", None),
    ("", None),
    (None, None),
])
def test_model_config_data_splits_at_the_first_slash(name, expected):
    config = model_config_data(name)
    assert (None if config is None else (config.provider, config.model)) == expected


@pytest.mark.parametrize("name, expected", [
    ("", None), ("unknown", None), (None, None), ("openai/gpt-4o", "openai/gpt-4o"),
    ("Unknown", "Unknown"),
])
def test_persisted_model_name_drops_empty_and_unknown(name, expected):
    assert persisted_model_name(name) == expected


def _full_data() -> SessionData:
    return SessionData(
        id="s-1", model_name="openai/gpt-4o", tool_names=["bash"],
        tenant_id="t", principal="p", agent_template_id="a", correlation_id="c",
        config=SessionConfig(
            workspace="/ws", system_prompt="saved prompt", max_context_length=64000,
            auto_compact=True, auto_compact_threshold=0.5,
            queue_config=SessionQueueConfig(), confirmation_policy=ConfirmationPolicy(),
            permission_policy=PermissionPolicy(), max_parallel_tasks=3,
            auto_delegation=AutoDelegationConfig(), planning_mode=PlanningMode.ENABLED,
            goal_tracking=True))


def test_every_persisted_setting_is_restored_when_the_caller_gave_none():
    options = apply_persisted_runtime_options(SessionOptions(), _full_data())
    config = _full_data().config
    assert options == SessionOptions(
        session_id="s-1", workspace="/ws", model="openai/gpt-4o",
        system_prompt="saved prompt", max_context_tokens=64000, auto_compact=True,
        auto_compact_threshold=0.5, queue_config=config.queue_config,
        confirmation_policy=config.confirmation_policy,
        permission_policy=config.permission_policy, max_parallel_tasks=3,
        auto_delegation=config.auto_delegation, planning_mode=PlanningMode.ENABLED,
        goal_tracking=True, tool_names=["bash"], tenant_id="t", principal="p",
        agent_template_id="a", correlation_id="c")


CALLER = SessionOptions(
    workspace="/mine", model="anthropic/claude", system_prompt="mine",
    max_context_tokens=1000, auto_compact=False, auto_compact_threshold=0.9,
    queue_config=SessionQueueConfig(enable_metrics=True),
    confirmation_policy=ConfirmationPolicy(enabled=True),
    permission_policy=PermissionPolicy.from_dict({"allow": ["Read(*)"]}),
    max_parallel_tasks=1, auto_delegation=AutoDelegationConfig(enabled=True),
    planning_mode=PlanningMode.DISABLED, goal_tracking=False, tool_names=[],
    tenant_id="T", principal="P", agent_template_id="A", correlation_id="C")


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(SessionOptions)
                                  if getattr(CALLER, f.name) is not None])
def test_caller_values_win(name):
    options = apply_persisted_runtime_options(CALLER, _full_data())
    assert getattr(options, name) == getattr(CALLER, name)


def test_falsy_caller_values_still_win():
    options = apply_persisted_runtime_options(
        SessionOptions(goal_tracking=False, auto_compact=False, tool_names=[]), _full_data())
    assert (options.goal_tracking, options.auto_compact, options.tool_names) == (False, False, [])


def test_the_session_id_is_always_the_saved_one():
    options = apply_persisted_runtime_options(SessionOptions(session_id="x"), _full_data())
    assert options.session_id == "s-1"


def test_the_callers_options_are_not_changed():
    mine = SessionOptions(model="m/x")
    apply_persisted_runtime_options(mine, _full_data())
    assert mine == SessionOptions(model="m/x")


def test_secrets_and_runtime_settings_are_not_restored():
    options = apply_persisted_runtime_options(SessionOptions(), _full_data())
    assert (options.api_key, options.base_url, options.auto_save,
            options.trace_retention) == (None, None, None, None)


def test_options_must_be_session_options():
    with pytest.raises(InvalidDataError):
        apply_persisted_runtime_options({"model": "x"}, _full_data())
