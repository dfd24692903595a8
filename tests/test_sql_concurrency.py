"""Many processes on one SQL database: no lost update, no mixed generation.

* **Counter**: 8 processes x 500 read-modify-write increments (60 in the
  default run, see ``strength.py``) of one session, each saved with
  ``expected_revision`` and retried on ConflictError: the end value is
  exactly 8 x increments, and the history each increment appended (trimmed
  to its last 8 messages) is the last 8 saved.
* **Readers and writers**: writers save whole generations (the same marker
  in the session and every component); readers must only ever load one
  generation at a time, never older than one they saw before.

Run on SQLite and on PostgreSQL (when ``A3S_TEST_POSTGRES_DSN`` is set).
Seeded (``A3S_SEED`` replays); a failure prints the seed.
"""

from __future__ import annotations

import multiprocessing
import random
import traceback

import pytest

import factories as f
from a3s_store import ConflictError, Message, TextBlock
from crashkit import gens_of, seed_from_env, snapshot_gen
from strength import count

pytestmark = [pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                 reason="needs the fork start method")]

WORKERS = 8
INCREMENTS = count(60, 500)
KEEP = 8
START = 1_000_000


def _increment(target, worker: int, barrier, results) -> None:
    try:
        store = target.open()
        conflicts = 0
        barrier.wait()
        for _i in range(INCREMENTS):
            while True:
                session = store.load("counter")
                session.updated_at += 1
                session.messages.append(Message(role="user", content=[
                    TextBlock(text=f"{session.updated_at - START}")]))
                del session.messages[:-KEEP]
                try:
                    store.save(session, expected_revision=session.revision)
                    break
                except ConflictError:
                    conflicts += 1
        results.put((worker, conflicts, None))
    except BaseException:  # reported to the parent
        results.put((worker, 0, traceback.format_exc()))


def _run(ctx, fn, args_of, count: int) -> list:
    barrier, results = ctx.Barrier(count), ctx.Queue()
    procs = [ctx.Process(target=fn, args=(*args_of(w), barrier, results)) for w in range(count)]
    for p in procs:
        p.start()
    out = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(60)
    return out


def test_revision_checked_increments_lose_no_update(target):
    store = target.open()
    store.save(f.session("counter", messages=0, updated_at=START))
    ctx = multiprocessing.get_context("fork")
    out = _run(ctx, _increment, lambda w: (target, w), WORKERS)
    problems = [tb for _, _, tb in out if tb]
    assert not problems, problems[0]
    final = target.open().load("counter")
    total = WORKERS * INCREMENTS
    assert final.updated_at - START == total
    assert [m.content[0].text for m in final.messages] == [
        str(n) for n in range(total - KEEP + 1, total + 1)]
    print(f"{target.dialect}: {sum(c for _, c, _ in out)} conflicts retried")


IDS = ("g0", "g1", "g2")


def _write_generations(target, worker: int, seed: int, barrier, results) -> None:
    try:
        rng = random.Random(f"{seed}-w{worker}")
        store = target.open()
        barrier.wait()
        for i in range(count(40, 150)):
            store.save_snapshot(snapshot_gen(rng.choice(IDS), (worker + 1) * 10_000 + i))
        results.put((worker, None))
    except BaseException:  # reported to the parent
        results.put((worker, traceback.format_exc()))


def _read_generations(target, worker: int, seed: int, barrier, results) -> None:
    try:
        rng = random.Random(f"{seed}-r{worker}")
        store = target.open()
        last: dict = {}
        barrier.wait()
        for _ in range(count(80, 300)):
            sid = rng.choice(IDS)
            snap = store.load_snapshot(sid)
            if snap is None:
                continue
            gens = gens_of(snap)
            assert len(gens) == 1, f"{sid}: mixed generations {sorted(gens)}"
            (gen,) = gens
            writer, seq = divmod(gen, 10_000)
            assert seq >= last.get((sid, writer), -1), f"{sid}: went back in time"
            last[(sid, writer)] = seq
        results.put((worker, None))
    except BaseException:  # reported to the parent
        results.put((worker, traceback.format_exc()))


def _reader_or_writer(target, worker: int, seed: int, barrier, results) -> None:
    if worker % 2:
        _read_generations(target, worker, seed, barrier, results)
    else:
        _write_generations(target, worker, seed, barrier, results)


def test_readers_only_ever_see_whole_generations(target):
    seed = seed_from_env()
    target.open()
    ctx = multiprocessing.get_context("fork")
    out = _run(ctx, _reader_or_writer, lambda w: (target, w, seed), WORKERS)
    problems = [tb for _, tb in out if tb]
    assert not problems, (seed, problems[0])
