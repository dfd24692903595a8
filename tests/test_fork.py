"""Forking a live session into a new one (issue 17): "try another branch from here"."""

from __future__ import annotations

import pytest

import factories as f
from a3s_store import (
    AgentConfig,
    AgentSession,
    ConflictError,
    InvalidDataError,
    TokenUsage,
    resume_session,
)
from factories import msg, texts


def main_session(store) -> AgentSession:
    session = AgentSession(session_id="main", model="openai/gpt-4o", api_key="sk-x",
                           config=AgentConfig(system_prompt="be brief", tool_names=["bash"]),
                           workspace="/ws/main", store=store)
    session.history += [msg("user", "q1"), msg("assistant", "a1")]
    session.run_records.append(f.run_record("main"))
    session.subagent_tasks.append(f.subagent_task("main"))
    session.artifacts = f.artifact_store("out")
    session.record_usage(TokenUsage(prompt_tokens=7, total_tokens=7))
    session.save()
    return session


def test_a_fork_is_a_new_saved_session_and_the_source_is_untouched(store):
    main = main_session(store)
    before = store.load_snapshot("main")
    branch = main.fork("main-b", workspace="/ws/b")
    assert store.load_snapshot("main") == before
    assert store.load_snapshot("main").revision == before.revision
    saved = store.load_snapshot("main-b")
    assert saved.session.id == "main-b" and saved.session.config.workspace == "/ws/b"
    assert texts(saved.session.messages) == ["q1", "a1"]
    assert [r.snapshot.session_id for r in saved.run_records] == ["main-b"]
    assert [t.parent_session_id for t in saved.subagent_tasks] == ["main-b"]
    assert len(saved.artifacts) == 1
    assert saved.session.total_usage.total_tokens == 7
    assert (branch.session_id, branch.workspace, branch.model, branch.api_key) == \
        ("main-b", "/ws/b", "openai/gpt-4o", "sk-x")
    assert branch.config == main.config and branch.config is not main.config
    assert branch.persistence.baseline.revision == saved.revision


def test_both_branches_go_on_on_their_own(store):
    main = main_session(store)
    branch = main.fork("main-b")
    branch.history.append(msg("user", "try b"))
    branch.save()  # no conflict: it continues its own saved generation
    main.history.append(msg("user", "try a"))
    main.save()
    assert texts(store.load("main").messages) == ["q1", "a1", "try a"]
    assert texts(store.load("main-b").messages) == ["q1", "a1", "try b"]
    assert resume_session(store, "main-b").workspace == "/ws/main"


def test_a_fork_takes_the_live_state_not_only_what_was_saved(store):
    main = main_session(store)
    main.history.append(msg("user", "unsaved"))
    main.fork("main-b")
    assert texts(store.load("main-b").messages)[-1] == "unsaved"
    assert texts(store.load("main").messages)[-1] == "a1"


def test_a_fork_never_replaces_a_session(store):
    main = main_session(store)
    store.save(f.session("taken"))
    with pytest.raises(ConflictError):
        main.fork("taken")
    assert store.load("taken").config.name == "Test Session"


def test_a_fork_needs_a_store_and_a_new_id(store):
    with pytest.raises(InvalidDataError, match="no store"):
        AgentSession(session_id="s").fork("t")
    with pytest.raises(InvalidDataError, match="id of its own"):
        main_session(store).fork("main")
