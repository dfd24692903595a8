"""Runs and loop checkpoints: deleted when a run ends in-process, picked up after a crash.

Ports of format.md §4.D 61-62 and the later checkpoint-ownership tests
(evolution.md §1.13), plus the leak of §5 item 11 closed.
"""

from __future__ import annotations

import logging

import pytest

import factories as f
from a3s_store import (
    AgentSession,
    CheckpointNotFoundError,
    CorruptDataError,
    InvalidDataError,
    TokenUsage,
    resume_session,
)
from factories import msg
from fake_stores import FailingStore, KeyIgnoringStore


def ending(name):
    return {
        "complete": lambda run: run.complete("done"),
        "fail": lambda run: run.fail("tool crashed"),
        "cancel": lambda run: run.cancel(),
    }[name]


@pytest.mark.parametrize("how, status", [("complete", "completed"), ("fail", "failed"),
                                         ("cancel", "cancelled")])
def test_a_run_that_ends_in_process_clears_its_loop_checkpoint(store, how, status):
    session = AgentSession(session_id="s", store=store)
    run = session.start_run("do it", run_id="run-1")
    session.history.append(msg("user", "do it"))
    run.checkpoint()
    assert store.load_loop_checkpoint("run-1").turn == 1
    ending(how)(run)
    assert store.load_loop_checkpoint("run-1") is None
    assert str(session.run_records[0].snapshot.status) == status


@pytest.mark.parametrize("raised, status", [(None, "completed"), (ValueError, "failed"),
                                            (KeyboardInterrupt, "cancelled")])
def test_leaving_the_run_block_ends_the_run(store, raised, status):
    session = AgentSession(session_id="s", store=store)
    with pytest.raises(raised) if raised else _nothing():
        with session.start_run("go", run_id="run-1") as run:
            run.checkpoint()
            if raised:
                raise raised("boom")
    assert str(run.status) == status
    assert store.load_loop_checkpoint("run-1") is None
    if raised is ValueError:
        assert run.record.snapshot.error == "ValueError: boom"


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_run_ends_once():
    run = AgentSession(session_id="s").start_run("go")
    run.complete()
    with pytest.raises(InvalidDataError, match="already ended"):
        run.fail("late")
    assert str(run.status) == "completed"


def test_ending_a_run_never_raises_when_the_checkpoint_cannot_be_deleted(caplog):
    session = AgentSession(session_id="s", store=FailingStore("delete_loop_checkpoint"))
    run = session.start_run("go", run_id="run-1")
    with caplog.at_level(logging.WARNING, logger="a3s_store.persistence"):
        run.complete()
    assert "run-1" in caplog.text


def test_run_events_are_numbered_and_counted():
    session = AgentSession(session_id="s")
    run = session.start_run("go")
    for i in range(3):
        run.add_event({"type": "text_delta", "text": str(i)})
    assert [e.sequence for e in run.record.events] == [0, 1, 2]
    assert run.record.snapshot.event_count == 3
    assert session.run_records == [run.record]


def test_a_finished_run_is_saved_with_its_usage_when_auto_save_is_on(store):
    session = AgentSession(session_id="s", auto_save=True, store=store)
    with session.start_run("go", run_id="run-1") as run:
        run.record_usage(TokenUsage(prompt_tokens=100, completion_tokens=20, total_tokens=120),
                         tool_calls=2)
        session.history.append(msg("assistant", "answer"))
        result = run.complete("answer")
    assert (result.text, result.tool_calls_count) == ("answer", 2)
    data = store.load_snapshot("s")
    assert data.session.total_usage.total_tokens == 120
    assert str(data.run_records[0].snapshot.status) == "completed"
    with session.start_run("again") as run:
        run.record_usage(TokenUsage(prompt_tokens=1, completion_tokens=1, total_tokens=2))
    assert store.load("s").total_usage.total_tokens == 122  # accumulates across runs


# -- resuming a run -------------------------------------------------------------------------


def _crashed_run(store):
    """A session whose run saved a checkpoint and then died (no in-process end)."""
    session = AgentSession(session_id="test-session-1", store=store)
    session.history.append(msg("user", "start"))
    session.save()
    store.save_loop_checkpoint("run-x", f.loop_checkpoint("run-x"))
    return resume_session(store, "test-session-1")


def test_resume_run_picks_up_from_persisted_checkpoint(store):
    session = _crashed_run(store)
    run = session.resume_run("run-x")
    assert run.run_id != "run-x" and run.resumed_from == "run-x"
    assert [m.content[0].text for m in session.history] == ["hi"]  # the checkpoint's
    assert (run.turn, run.tool_calls_count) == (2, 3)
    run.record_usage(TokenUsage(prompt_tokens=10, completion_tokens=0, total_tokens=10),
                     tool_calls=1)
    assert (run.usage.prompt_tokens, run.usage.completion_tokens) == (1010, 2)
    assert run.tool_calls_count == 4
    run.checkpoint()
    assert store.load_loop_checkpoint(run.run_id).turn == 3
    assert store.load_loop_checkpoint("run-x") is not None  # kept while the resume runs
    run.complete()
    assert store.load_loop_checkpoint(run.run_id) is None
    assert store.load_loop_checkpoint("run-x") is None  # and no leak once it ended


def test_resume_run_without_a_checkpoint(store):
    session = AgentSession(session_id="s", store=store)
    with pytest.raises(CheckpointNotFoundError, match="run-none") as info:
        session.resume_run("run-none")
    assert isinstance(info.value, KeyError)
    with pytest.raises(CheckpointNotFoundError):
        AgentSession(session_id="s").resume_run("run-none")  # no store


@pytest.mark.parametrize("served, message", [
    (f.loop_checkpoint("run-x", session_id="another-session"), "belongs to session"),
    (f.loop_checkpoint("run-other"), "is run 'run-other'"),
])
def test_resume_run_rejects_checkpoint_owned_by_another_session_or_run(served, message):
    store = KeyIgnoringStore()
    store.serve_checkpoint(served)
    session = AgentSession(session_id="test-session-1", store=store)
    session.history.append(msg("user", "live"))
    with pytest.raises(CorruptDataError, match=message):
        session.resume_run("run-x")
    assert [m.content[0].text for m in session.history] == ["live"]
    assert session.run_records == []
