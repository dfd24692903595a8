"""Runs at the level of a3s-code 9 (issue 17): saves in the middle of a run, and
resumed runs that end right.

* With ``auto_save``, a run is saved when it starts and after each loop
  checkpoint (a3s-code 9's ``record_messages``), checkpoint first.
* A resumed run closes the run it continues, and the checkpoints of a chain
  of resumes are deleted once nothing can need them.
* Each run notes its owner process.
"""

from __future__ import annotations

import logging
import os
import socket

import pytest

from a3s_store import (
    AgentSession,
    CheckpointNotFoundError,
    InvalidDataError,
    SessionOptions,
    TokenUsage,
    resume_session,
)
from factories import msg, texts
from fake_stores import CountingStore, FailingStore


def resumed(store):
    """The session as a new process resumes it, with auto-save."""
    return resume_session(store, "s", SessionOptions(auto_save=True))


def turn(run, n: int) -> None:
    """One scripted turn: the loop's view of the conversation, then a checkpoint."""
    history = run.session.history
    run.checkpoint([*history, msg("user", f"q{n}"), msg("assistant", f"a{n}")])


# -- saves in the middle of a run --------------------------------------------------------


def test_with_auto_save_a_checkpoint_saves_the_history_of_the_running_turn(store):
    session = AgentSession(session_id="s", auto_save=True, store=store)
    run = session.start_run("go", run_id="run-1")
    turn(run, 1)
    stored = store.load_snapshot("s")
    checkpoint = store.load_loop_checkpoint("run-1")
    assert texts(stored.session.messages) == ["q1", "a1"] == texts(checkpoint.messages)
    assert str(stored.run_records[0].snapshot.status) == "executing"
    turn(run, 2)
    assert texts(store.load("s").messages) == ["q1", "a1", "q2", "a2"]
    assert store.load_loop_checkpoint("run-1").turn == 2


def test_with_auto_save_a_run_is_saved_before_its_first_checkpoint(store):
    session = AgentSession(session_id="s", auto_save=True, store=store)
    session.start_run("go", run_id="run-1")
    [record] = store.load_snapshot("s").run_records
    assert record.snapshot.id == "run-1" and str(record.snapshot.status) == "executing"


def test_the_checkpoint_is_saved_before_the_session():
    store = CountingStore()
    order = []
    store.inner.save_loop_checkpoint = _noting(order, store.inner.save_loop_checkpoint)
    store.inner.save_snapshot = _noting(order, store.inner.save_snapshot)
    session = AgentSession(session_id="s", auto_save=True, store=store)
    run = session.start_run("go")
    order.clear()
    turn(run, 1)
    assert order == ["save_loop_checkpoint", "save_snapshot"]


def _noting(order, method):
    def noted(*args, **kwargs):
        order.append(method.__name__)
        return method(*args, **kwargs)
    return noted


def test_without_auto_save_a_checkpoint_writes_only_the_checkpoint(store):
    session = AgentSession(session_id="s", store=store)
    session.save()
    run = session.start_run("go", run_id="run-1")
    turn(run, 1)
    assert store.load("s").messages == []
    assert texts(store.load_loop_checkpoint("run-1").messages) == ["q1", "a1"]


def test_mid_run_saves_do_not_count_the_runs_usage_twice(store):
    session = AgentSession(session_id="s", auto_save=True, store=store)
    with session.start_run("go") as run:
        run.record_usage(TokenUsage(prompt_tokens=5, total_tokens=5))
        turn(run, 1)
        turn(run, 2)
        assert store.load("s").total_usage.total_tokens == 0  # in the checkpoint until the end
    assert store.load("s").total_usage.total_tokens == 5


def test_a_failed_mid_run_save_keeps_the_checkpoint_and_is_exposed(caplog):
    store = FailingStore("save_snapshot")
    session = AgentSession(session_id="s", auto_save=True, store=store)
    with caplog.at_level(logging.WARNING, logger="a3s_store.persistence"):
        run = session.start_run("go", run_id="run-1")
        turn(run, 1)
    assert store.inner.load_loop_checkpoint("run-1").turn == 1
    assert isinstance(session.auto_save_error, OSError)


def test_record_messages_refuses_what_is_not_a_message():
    run = AgentSession(session_id="s").start_run("go")
    with pytest.raises(InvalidDataError, match=r"messages\[1\] is a dict") as info:
        run.record_messages([msg("user", "ok"), {"role": "user"}])
    assert info.value.session_id == "s"
    assert run.session.history == []


def test_a_run_notes_its_owner_process(store):
    session = AgentSession(session_id="s", auto_save=True, store=store)
    session.start_run("go")
    owner = store.load_snapshot("s").run_records[0].snapshot.extra["a3s_store"]["owner"]
    assert (owner["host"], owner["pid"]) == (socket.gethostname(), os.getpid())
    assert isinstance(owner["alive_at_ms"], int)


# -- resumed runs end right -------------------------------------------------------------------


def _killed_mid_run(store, turns: int = 2):
    """A run that saved ``turns`` turns and then its process died."""
    session = AgentSession(session_id="s", auto_save=True, store=store)
    run = session.start_run("the task", run_id="run-1")
    for n in range(1, turns + 1):
        turn(run, n)
    return resumed(store)


def test_a_resumed_run_closes_the_run_it_continues(store):
    session = _killed_mid_run(store)
    assert session.interrupted_runs() == ["run-1"]
    run = session.resume_run("run-1")
    old = session.run_records[0].snapshot
    assert str(old.status) == "failed"
    assert old.error == f"interrupted; resumed as run {run.run_id!r}"
    assert old.updated_at_ms == run.record.snapshot.created_at_ms
    assert old.extra["a3s_store"]["resumed_as"] == run.run_id
    assert run.record.snapshot.extra["a3s_store"]["resumed_from"] == "run-1"
    assert run.record.snapshot.prompt == "the task" and run.turn == 2
    stored = {r.snapshot.id: str(r.snapshot.status) for r in store.load_snapshot("s").run_records}
    assert stored == {"run-1": "failed", run.run_id: "executing"}  # saved at once
    assert session.interrupted_runs() == [run.run_id]
    run.complete("done")
    assert session.interrupted_runs() == []


def test_a_resume_that_dies_before_its_first_checkpoint_is_resumed_from_the_same_place(store):
    session = _killed_mid_run(store)
    second = session.resume_run("run-1")  # ...and dies at once
    session = resumed(store)
    assert session.interrupted_runs() == [second.run_id]
    third = session.resume_run(second.run_id)
    assert (third.turn, texts(session.history)) == (2, ["q1", "a1", "q2", "a2"])
    turn(third, 3)
    assert store.load_loop_checkpoint("run-1") is None  # replaced by third's own
    third.complete()
    for run_id in ("run-1", second.run_id, third.run_id):
        assert store.load_loop_checkpoint(run_id) is None
    statuses = [str(r.snapshot.status) for r in store.load_snapshot("s").run_records]
    assert statuses == ["failed", "failed", "completed"]


def test_a_chain_of_resumes_leaves_no_checkpoint_behind(store):
    session = _killed_mid_run(store, turns=1)
    ids = ["run-1"]
    for n in range(2, 6):  # four more kills, each after one more turn
        run = session.resume_run(ids[-1])
        ids.append(run.run_id)
        turn(run, n)
        session = resumed(store)
        assert session.interrupted_runs() == [run.run_id]
        assert [store.load_loop_checkpoint(i) is not None for i in ids] == \
            [False] * (len(ids) - 1) + [True]
    run = session.resume_run(ids[-1])
    run.complete()
    assert all(store.load_loop_checkpoint(i) is None for i in [*ids, run.run_id])
    assert texts(store.load("s").messages) == [w for n in range(1, 6) for w in (f"q{n}", f"a{n}")]


def test_without_auto_save_ending_a_resumed_run_deletes_every_checkpoint_of_the_chain(store):
    session = AgentSession(session_id="s", store=store)
    first = session.start_run("go", run_id="run-1")
    turn(first, 1)
    session.save()
    session = resume_session(store, "s")
    second = session.resume_run("run-1")
    turn(second, 2)
    session.save()
    session = resume_session(store, "s")
    third = session.resume_run(second.run_id)
    third.complete()
    assert [store.load_loop_checkpoint(i) for i in ("run-1", second.run_id)] == [None, None]


def test_when_the_final_save_fails_the_checkpoint_stays_until_a_save_succeeds(store):
    session = _killed_mid_run(store)
    run = session.resume_run("run-1")
    session.store = FailingStore("save_snapshot")  # the disk fills up
    session.store.inner = store
    run.complete()
    assert store.load_loop_checkpoint("run-1") is not None  # still resumable
    session.store = store
    session.save()
    assert store.load_loop_checkpoint("run-1") is None


def test_resume_run_of_a_run_without_any_checkpoint(store):
    session = AgentSession(session_id="s", auto_save=True, store=store)
    session.start_run("go", run_id="run-1")
    session = resumed(store)
    assert session.interrupted_runs() == []
    with pytest.raises(CheckpointNotFoundError, match="run-1"):
        session.resume_run("run-1")
    assert str(session.run_records[0].snapshot.status) == "executing"  # untouched


def test_a_checkpoint_that_could_not_be_deleted_is_deleted_after_the_next_save(store, caplog):
    session = _killed_mid_run(store)
    run = session.resume_run("run-1")
    turn(run, 3)
    failing = FailingStore("delete_loop_checkpoint")
    failing.inner = store
    session.store = failing
    with caplog.at_level(logging.WARNING, logger="a3s_store.persistence"):
        run.complete()
    assert store.load_loop_checkpoint(run.run_id) is not None
    assert "could not delete the loop checkpoint of run" in caplog.text
    session.store = store
    session.save()
    assert store.load_loop_checkpoint(run.run_id) is None
    notes = store.load_snapshot("s").run_records[-1].snapshot.extra["a3s_store"]
    assert notes["release"]["loop"] == [run.run_id, "run-1"]  # noted in that generation...
    session.save()
    notes = store.load_snapshot("s").run_records[-1].snapshot.extra["a3s_store"]
    assert "release" not in notes  # ...and dropped once done
