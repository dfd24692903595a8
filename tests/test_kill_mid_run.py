"""kill -9 in the middle of a run (issue 17): resume goes on from there, nothing is lost.

A scripted run of ``TURNS`` turns with ``auto_save=True`` runs in a forked
child that SIGKILLs itself at a chosen filesystem call (the ``_fs`` fault
hook). Kill points, at every turn: the first call of each store step (the
loop checkpoint's save, the session save after it, the checkpoint deletes at
the end; so also the moment just after the step before, which is the crash
between checkpoint and session save), each save's first rename
(mid-publish) and its first unlink (the clean-up after publishing); the
same for the saves that start and end the run. Points are named by step,
not by call number, because the number of calls varies a little from run to
run. Then a fresh process (the test) resumes the session, continues the
interrupted run and finishes the script, and the test checks:

* the resumed run starts no earlier than the last acknowledged turn, and
  from a history that contains everything the stored session held (a crash
  between checkpoint and session save resumes from the checkpoint);
* the finished session holds every turn exactly once, and the run's usage
  is counted once;
* every run but the last one is closed (``failed``, resumed as the next),
  or was left with no checkpoint by a process that is gone (``stale_runs``);
* no loop checkpoint is left for any run, once the session is saved.

A second, seeded test kills the resuming processes again and again.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
from collections import Counter

import pytest

from a3s_store import (
    AgentSession,
    FileSessionStore,
    SessionOptions,
    TokenUsage,
    resume_session,
)
from a3s_store._run_meta import note
from a3s_store._run_owner import stale_runs, this_process
from crashkit import seed_from_env
from factories import msg, texts
from faults import count_calls, hooked

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")

SID = "long-run"
TURNS = 4
TOKENS = 10




def script(turns: int = TURNS) -> list[str]:
    return [w for n in range(1, turns + 1) for w in (f"q{n}", f"a{n}")]


def drive(store, tell=lambda line: None) -> dict:
    """Start or resume the scripted run and finish it. ``tell`` hears ``r <run id>
    <turn>`` when a run starts at a turn, and ``k <turn>`` when a turn is acknowledged."""
    stored_before: list[str] = []
    if store.exists(SID):
        session = resume_session(store, SID, SessionOptions(auto_save=True))
        stored_before = texts(session.history)
        interrupted = session.interrupted_runs()
        if interrupted:
            run = session.resume_run(interrupted[-1])
        elif len(session.history) == 2 * TURNS:  # done: only the clean-up was left
            session.save()
            return {"resumed_at": TURNS, "history": texts(session.history),
                    "stored_before": stored_before}
        else:
            run = session.start_run("count")
    else:
        session = AgentSession(session_id=SID, auto_save=True, store=store)
        run = session.start_run("count")
    tell(f"r {run.run_id} {run.turn}")
    started = {"resumed_at": run.turn, "history": texts(session.history),
               "stored_before": stored_before}
    for n in range(run.turn + 1, TURNS + 1):
        run.record_usage(TokenUsage(prompt_tokens=TOKENS, total_tokens=TOKENS))
        run.checkpoint([*session.history, msg("user", f"q{n}"), msg("assistant", f"a{n}")])
        tell(f"k {n}")
    run.complete("done")
    return started


# -- the child -------------------------------------------------------------------------

STEPS = ("save_snapshot", "save_loop_checkpoint", "delete_loop_checkpoint")


@contextlib.contextmanager
def steps_heard(on_call):
    """``on_call(step, nth, call)`` hears every filesystem call with the store
    step it belongs to (the ``nth`` call of ``step``; ``("other", 0)`` outside)."""
    stack, counts = [("other", 0)], Counter()
    originals = {name: getattr(FileSessionStore, name) for name in STEPS}

    def labelled(name, method):
        def step(self, *args, **kwargs):
            counts[name] += 1
            stack.append((name, counts[name]))
            try:
                return method(self, *args, **kwargs)
            finally:
                stack.pop()
        return step

    for name, method in originals.items():
        setattr(FileSessionStore, name, labelled(name, method))
    try:
        with hooked(lambda call: on_call(*stack[-1], call)):
            yield
    finally:
        for name, method in originals.items():
            setattr(FileSessionStore, name, method)


def killed(root, should_die) -> tuple[bool, list[str]]:
    """Run :func:`drive` in a child that SIGKILLs itself at the first filesystem
    call for which ``should_die(step, nth, call)``; return (killed, what it told)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        try:
            def hook(*where):
                if should_die(*where):
                    os.kill(os.getpid(), signal.SIGKILL)

            with steps_heard(hook):
                drive(FileSessionStore(root, durable=False),
                      lambda line: os.write(w, f"{line}\n".encode()))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            os.write(w, f"e {exc!r}\n"[:500].encode())
            os._exit(1)
        os._exit(0)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(r, "rb") as pipe:
        lines = pipe.read().decode().splitlines()
    assert not [line for line in lines if line.startswith("e ")], lines
    died = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert died or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0), status
    return died, lines


# -- the checks ---------------------------------------------------------------------------


def acknowledged(lines: list[str]) -> int:
    return max([int(line.split()[1]) for line in lines if line.startswith("k ")], default=0)


def run_ids(lines: list[str]) -> list[str]:
    return [line.split()[1] for line in lines if line.startswith("r ")]


def start_turns(lines: list[str]) -> list[int]:
    return [int(line.split()[2]) for line in lines if line.startswith("r ")]


def check_resume(started: dict, acked: int, where: str) -> None:
    assert started["resumed_at"] >= acked, (where, started, acked)
    before = started["stored_before"]
    assert started["history"][:len(before)] == before, (where, started)  # never goes back
    assert started["history"] == script(started["resumed_at"]), (where, started)


def check_finished(root, runs: list[str], where: str) -> None:
    store = FileSessionStore(root)
    snap = store.load_snapshot(SID)
    assert texts(snap.session.messages) == script(), where
    assert snap.session.total_usage.total_tokens == TOKENS * TURNS, where
    records = snap.run_records
    assert str(records[-1].snapshot.status) == "completed", where
    left = [r for r in records[:-1] if str(r.snapshot.status) != "failed"]
    gone = stale_runs(left, now_ms=0, this_host=this_process().host,
                      processes={os.getpid(): None})
    assert [s.run_id for s in gone] == [r.snapshot.id for r in left], (where, left)
    continued = {note(r.snapshot, "resumed_from") for r in records}
    for r in left:  # left by a process that died before its first checkpoint
        assert r.snapshot.id not in continued, (where, "a resumed run was not closed")
        assert store.load_loop_checkpoint(r.snapshot.id) is None, where
    for r in records[:-1]:
        if str(r.snapshot.status) == "failed":
            assert r.snapshot.error.startswith("interrupted; resumed as run"), where
    known = {r.snapshot.id for r in records} | set(runs)
    leaked = [i for i in known if store.load_loop_checkpoint(i) is not None]
    assert leaked == [], (where, leaked)


# -- the kill points ------------------------------------------------------------------------


def kill_points(root) -> list[tuple[str, int, str]]:
    """Where to kill, as (step, nth, call): the first call of every store step
    of an uninterrupted run (so also just after the step before it), its first
    rename (mid-publish) and its first unlink (the clean-up after publishing)."""
    seen: dict[tuple[str, int], set[str]] = {}
    with steps_heard(lambda step, nth, call: seen.setdefault((step, nth), set()).add(call)):
        drive(FileSessionStore(root, durable=False))
    return [(step, nth, which) for (step, nth), calls in seen.items() if step != "other"
            for which in ("first", "replace", "unlink") if which == "first" or which in calls]


def dies_at(step: str, nth: int, which: str):
    def should_die(at_step, at_nth, call):
        return (at_step, at_nth) == (step, nth) and which in ("first", call)
    return should_die


def test_a_kill_at_every_turn_of_a_run_resumes_from_there_and_loses_nothing(tmp_path):
    points = kill_points(tmp_path / "count")
    checkpoints = sum(step == "save_loop_checkpoint" and which == "first"
                      for step, _, which in points)
    assert checkpoints == TURNS and len(points) >= 6 * TURNS, points
    resumed_mid_run = 0
    for step, nth, which in points:
        where = f"killed at the {which} call of {step} #{nth}"
        root = tmp_path / f"{step}-{nth}-{which}"
        died, lines = killed(root, dies_at(step, nth, which))
        assert died, where
        started = drive(FileSessionStore(root, durable=False))  # a kill keeps the page cache
        check_resume(started, acknowledged(lines), where)
        check_finished(root, run_ids(lines), where)
        resumed_mid_run += 0 < started["resumed_at"] < TURNS
    assert resumed_mid_run >= TURNS, resumed_mid_run


def test_a_run_killed_again_and_again_finishes_with_nothing_lost(tmp_path):
    seed = seed_from_env()
    rng = random.Random(seed)
    n = len(count_calls(lambda: drive(FileSessionStore(tmp_path / "count", durable=False))))
    for round_ in range(10):
        root = tmp_path / f"round{round_}"
        acked, runs, kills = 0, [], 0
        while True:
            calls, k = [0], rng.randint(1, n)

            def at_call_k(*where):
                calls[0] += 1
                return calls[0] == k

            died, lines = killed(root, at_call_k)
            for turn in start_turns(lines):
                assert turn >= acked, f"seed {seed}: resumed at {turn} after turn {acked}"
            runs += run_ids(lines)
            acked = max(acked, acknowledged(lines))
            if not died:
                break
            kills += 1
            assert kills < 60, f"seed {seed}: the run never finished"
        where = f"seed {seed}, round {round_}, {kills} kills"
        print(where)
        check_finished(root, runs, where)
