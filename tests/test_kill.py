"""kill -9 of a saving process: at random moments and at every filesystem call.

See ``killer.py`` for the protocol. A process crash must never lose an
acknowledged save, in either durability mode (the page cache survives), nor
leave a mix of generations or a temporary file after recovery.
``tests/stress_kill.py`` runs the same loop 10,000 times.
"""

from __future__ import annotations

import os
import random

import pytest

from a3s_store import FileSessionStore
from crashkit import gens_of, leftovers, seed_from_env, snapshot_gen
from killer import KillLoop, calls_of_next_op, kill_at_call
from strength import FULL, count

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")

RANDOM_KILLS = count(60, 500)  # see strength.py


def test_random_kills_lose_no_acknowledged_save(tmp_path):
    seed = seed_from_env()
    loop = KillLoop(tmp_path / "store", random.Random(seed))
    while loop.figures.kills < RANDOM_KILLS:
        loop.kill_once()
    print(f"seed {seed}: {loop.figures.line()}")
    assert not loop.figures.violations, (seed, loop.figures.violations[:10])
    # The kills must hit saves in progress, or the test proves little.
    assert loop.figures.kills_mid_operation >= RANDOM_KILLS // 2, loop.figures.line()


# durable=False differs only in making no fsync; the random kills above
# alternate both modes, so the sweep of it at every call is a `slow` variant.
DURABLE_MODES = [True, pytest.param(False, marks=pytest.mark.slow)]


@pytest.mark.parametrize("durable", DURABLE_MODES)
@pytest.mark.parametrize("sid", ["k-full", "k-plain"])
def test_a_kill_at_every_call_of_a_save(tmp_path, sid, durable):
    loop = KillLoop(tmp_path / "store", random.Random(0), durable_modes=(durable,))
    # The number of calls depends on the state a kill leaves (folders made,
    # metadata current or not), so it is counted again before each kill.
    # The default run kills the full snapshot save at every other call and at
    # its last (the in-process crash sweep tries every state a crash can
    # leave, in-process); full strength at every call.
    every_call = FULL or sid == "k-plain"
    k, tried = 0, 0
    while True:
        k += 1
        n = calls_of_next_op(loop.root, sid, loop.attempted[sid] + 1, durable)
        if k > n:
            break
        if not every_call and k % 2 == 0 and k < n:
            continue
        loop.kill_once(kill_at=k, target=sid)
        tried += 1
    print(f"{sid} durable={durable}: {k - 1} calls, {tried} killed at; {loop.figures.line()}")
    assert loop.figures.kills == tried >= 20
    assert not loop.figures.violations, loop.figures.violations[:10]


@pytest.mark.parametrize("durable", DURABLE_MODES)
def test_a_kill_at_every_call_of_a_delete(tmp_path, durable):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    # The number of calls depends on the state the last kill left (recovery
    # to finish, metadata current or not), so kills go on, one call later each
    # time, until the delete runs to its end before the kill.
    k, kills, finished = 0, 0, False
    while not finished:
        k += 1
        store.save_snapshot(snapshot_gen("d", k))
        killed = kill_at_call(root, lambda st: st.delete("d"), k, durable=durable)
        kills += killed
        finished = not killed
        after = FileSessionStore(root)
        snap = after.load_snapshot("d")
        if snap is None:  # deleted: every side file too
            assert after.load_trace_events("d") is None and after.load_artifacts("d") is None, k
        else:
            assert gens_of(snap) == {k}, k
        assert leftovers(root) == [], k
    assert kills == k - 1 >= 20
    assert FileSessionStore(root).load_snapshot("d") is None  # the one run to its end


def test_the_verifier_catches_a_lost_save(tmp_path, monkeypatch):
    # A store that drops acknowledged saves must be caught: make every
    # save_snapshot a no-op in the child and look for the violation.
    loop = KillLoop(tmp_path / "store", random.Random(1))
    from a3s_store import FileSessionStore

    monkeypatch.setattr(FileSessionStore, "save_snapshot", lambda self, snap, **kw: "r")
    for _ in range(5):
        loop.kill_once(delay=0.05)
    assert any("k-full holds" in v for v in loop.figures.violations), loop.figures.violations


def test_the_verifier_catches_a_mix(tmp_path):
    from a3s_store import _codec
    from killer import observed

    store = FileSessionStore(tmp_path / "s")
    store.save_snapshot(snapshot_gen("k-full", 2))
    older = _codec.encode_list(snapshot_gen("k-full", 1).trace_events)
    (tmp_path / "s" / "traces" / "k-full.json").write_bytes(older)
    with pytest.raises(AssertionError, match="mixed generations"):
        observed(FileSessionStore(tmp_path / "s"), "k-full")
