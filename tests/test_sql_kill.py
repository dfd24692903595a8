"""kill -9 of a process writing to an SQL store loses no acknowledged save.

A child process saves generation after generation of one session (the
same marker in the session and every component), telling the parent
before each save starts and after it returns. The parent kills it with
SIGKILL, then opens the database: it must hold one whole generation, the
last acknowledged one or the one in progress, never older and never a mix.

* at random moments (most of them inside a save's transaction);
* at each statement of a save in turn, the commit included (the child
  kills itself just before the statement runs).

Run on SQLite (also ``PRAGMA integrity_check`` after) and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

import pytest

from a3s_store import Message, TextBlock
from crashkit import gens_of, seed_from_env, snapshot_gen
from sqlkit import faulty

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")

RANDOM_KILLS = 40
SID = "killed"


def _snapshot(gen: int):
    snap = snapshot_gen(SID, gen)
    # A longer history makes each transaction longer, so that kills land inside it.
    snap.session.messages += [Message(role="user", content=[TextBlock(text=f"{gen}-{i}" * 40)])
                              for i in range(gen % 7 * 20)]
    return snap


def _writer(target, first: int, conn, kill_at: int | None) -> None:
    statements = [None]  # counted from the start of a save (opening the store runs some)

    def maybe_die(sql, params, raw):
        if statements[0] is None:
            return
        statements[0] += 1
        if statements[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    store = target.open_with(faulty(maybe_die)) if kill_at else target.open()
    gen = first
    while True:
        conn.send(("start", gen))
        statements[0] = 0
        store.save_snapshot(_snapshot(gen))
        conn.send(("done", gen))
        if kill_at is not None:
            return  # one save, killed at statement kill_at or not at all
        gen += 1


def _kill_once(target, first: int, delay: float | None, kill_at: int | None = None):
    """Run a writer from generation ``first``; kill it; return (acknowledged, started)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_writer, args=(target, first, child, kill_at))
    proc.start()
    acknowledged, started = first - 1, None
    deadline = time.monotonic() + (delay if delay is not None else 60)
    while proc.is_alive() or parent.poll():
        if delay is not None and time.monotonic() >= deadline:
            break
        if parent.poll(0.001):
            try:
                what, gen = parent.recv()
            except EOFError:
                break
            if what == "done":
                acknowledged = gen
            else:
                started = gen
    proc.kill()
    proc.join(30)
    while parent.poll():
        what, gen = parent.recv()
        acknowledged, started = (gen, started) if what == "done" else (acknowledged, gen)
    return acknowledged, started


def _settled(target) -> None:
    """Wait until the killed writer's transaction is over. PostgreSQL ends it
    when it notices the closed socket, and a COMMIT it had received already
    still lands: found by CI (seed 1323237828), where a save the test had seen
    as not stored was committed after the check. A SHARE lock on the tables
    waits for every transaction that writes them."""
    if target.dialect == "postgresql":
        target.sql("BEGIN; LOCK TABLE a3s_sessions, a3s_messages, a3s_components "
                   "IN SHARE MODE; COMMIT")


def _stored_generation(target) -> int | None:
    _settled(target)
    store = target.open()
    try:
        snap = store.load_snapshot(SID)
    finally:
        store.close()
    if snap is None:
        return None
    gens = gens_of(snap)
    assert len(gens) == 1, f"mixed generations {sorted(gens)}"
    return gens.pop()


def _check_integrity(target) -> None:
    if target.dialect == "sqlite":
        assert target.sql("PRAGMA integrity_check") == [("ok",)]


def test_random_kills_lose_no_acknowledged_save(target):
    seed = seed_from_env()
    rng = random.Random(seed)
    target.open().close()
    acknowledged, mid_save = None, 0  # None: no save acknowledged yet, nothing stored
    for kill in range(RANDOM_KILLS):
        first = (kill + 1) * 1000
        acked, started = _kill_once(target, first, rng.uniform(0.005, 0.08))
        stored = _stored_generation(target)
        expected = {acked if acked >= first else acknowledged, started}
        assert stored in expected, (seed, kill, stored, acked, started)
        mid_save += started is not None and started > acked
        acknowledged = stored
    _check_integrity(target)
    print(f"seed {seed}: {RANDOM_KILLS} kills, {mid_save} inside a save")
    assert mid_save >= RANDOM_KILLS // 3, (seed, mid_save)


def test_a_kill_at_each_statement_of_a_save(target):
    store = target.open()
    store.save_snapshot(_snapshot(1))
    store.close()
    previous, k = 1, 0
    while True:
        k += 1
        first = previous + 1
        acked, started = _kill_once(target, first, None, kill_at=k)
        stored = _stored_generation(target)
        if acked >= first:  # the save completed before statement k: all were run
            assert stored == acked
            break
        assert started == first
        assert stored == previous, (k, stored, previous)
    _check_integrity(target)
    print(f"{target.dialect}: killed at each of {k - 1} statements")
    # BEGIN, the session row read and write, the trim, the message rows, the
    # components and the commit: a kill before each left the last save whole.
    assert k >= 6, k
