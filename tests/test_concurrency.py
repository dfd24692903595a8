"""Several processes and threads on one store: isolation and no lost updates.

* **Mixed workload**: 8 processes (then 8 threads sharing one store object)
  x 500 operations (50 in the default run, see ``strength.py``):
  save_snapshot, save, load, load_snapshot, list, delete, on 5 shared ids
  and one private id each. Every load must be a complete generation that
  some writer wrote (one generation marker across all of a
  snapshot's files), a worker must read back its own last write of its
  private id, and no exception may escape but the documented
  ``LockTimeoutError`` (with a 30 s timeout, none is expected).
* **Read-modify-write counter**: each worker increments a counter kept in a
  session, with ``expected_revision`` and a retry on ``ConflictError``; the
  end value must be exactly workers x increments (0 lost updates).

Seeded (``A3S_SEED`` replays); a failure prints the seed.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import traceback

import pytest

from a3s_store import ConflictError, FileSessionStore, LockTimeoutError
from crashkit import gens_of, seed_from_env, snapshot_gen
from strength import count

WORKERS = 8
OPS = count(50, 500)
SNAPSHOT_IDS = ("h0", "h1", "h2")  # written with save_snapshot
SESSION_IDS = ("h3", "h4")  # written with save (session file only)
INCREMENTS = 25

_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                           reason="needs the fork start method")


def workload(store: FileSessionStore, w: int, seed: int, ops: int, barrier) -> dict:
    """One worker's share; returns what it wrote, what it read, what went wrong."""
    rng = random.Random(f"{seed}-{w}")
    private = f"p{w}"
    written: dict[str, list[int]] = {}
    reads: list[tuple[str, object]] = []
    problems: list[str] = []
    documented = 0
    mine = None  # the generation of the private id, None when absent
    barrier.wait()
    for i in range(ops):
        gen = (w + 1) * 100_000 + i
        sid = private if rng.random() < 0.25 else rng.choice(SNAPSHOT_IDS + SESSION_IDS)
        pick = rng.random()
        try:
            if pick < 0.35:  # write
                if sid in SESSION_IDS:
                    store.save(snapshot_gen(sid, gen).session)
                else:
                    store.save_snapshot(snapshot_gen(sid, gen))
                written.setdefault(sid, []).append(gen)
                if sid == private:
                    mine = gen
            elif pick < 0.45:
                store.delete(sid)
                if sid == private:
                    mine = None
            elif pick < 0.65:
                session = store.load(sid)
                reads.append((sid, None if session is None else sorted(gens_of(session))))
            elif pick < 0.9:
                snap = store.load_snapshot(sid)
                reads.append((sid, None if snap is None else sorted(gens_of(snap))))
            else:
                listed = store.list()
                if (private in listed) != (mine is not None):
                    problems.append(f"op {i}: list() {'has' if private in listed else 'lacks'} "
                                    f"{private} (own last write: {mine})")
                continue
            if sid == private and pick >= 0.45:
                got = reads[-1][1]
                if got != (None if mine is None else [mine]):
                    problems.append(f"op {i}: read {got} of {private}, own last write {mine}")
        except LockTimeoutError:
            documented += 1
        except Exception:  # noqa: BLE001 - every other exception is a violation
            problems.append(f"op {i} on {sid}: {traceback.format_exc(limit=4)}")
    return {"written": written, "reads": reads, "problems": problems,
            "documented": documented}


def check(results: list[dict], seed: int) -> tuple[int, int]:
    """Every read is one generation some worker wrote; returns (operations, reads)."""
    written: dict[str, set[int]] = {}
    for r in results:
        for sid, gens in r["written"].items():
            written.setdefault(sid, set()).update(gens)
    problems = [p for r in results for p in r["problems"]]
    reads = 0
    for r in results:
        for sid, gens in r["reads"]:
            reads += 1
            if gens is not None and (len(gens) != 1 or gens[0] not in written.get(sid, ())):
                problems.append(f"partial or unknown generation of {sid}: {gens}")
    assert not problems, f"seed {seed}: {len(problems)} problems: {problems[:5]}"
    return sum(len(g) for r in results for g in r["written"].values()), reads


def _process_worker(root, w, seed, ops, barrier, queue):
    try:
        queue.put(workload(FileSessionStore(root), w, seed, ops, barrier))
    except BaseException:  # noqa: BLE001
        queue.put({"written": {}, "reads": [], "documented": 0,
                   "problems": [traceback.format_exc()]})


def _run_processes(target, args_of, n: int) -> list:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    barrier = ctx.Barrier(n)
    procs = [ctx.Process(target=target, args=(*args_of(w), barrier, queue)) for w in range(n)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def _run_threads(target, args_of, n: int) -> list:
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def run(w):
        try:
            out = target(*args_of(w), barrier)
        except BaseException:  # noqa: BLE001
            out = {"written": {}, "reads": [], "documented": 0,
                   "problems": [traceback.format_exc()]}
        with lock:
            results.append(out)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
        assert not t.is_alive(), "a worker thread hangs"
    return results


@_fork
def test_processes_never_see_a_partial_generation(tmp_path):
    seed = seed_from_env()
    root = str(tmp_path / "store")
    FileSessionStore(root)
    results = _run_processes(_process_worker, lambda w: (root, w, seed, OPS), WORKERS)
    writes, reads = check(results, seed)
    print(f"processes: {WORKERS} x {OPS} operations ({writes} writes, {reads} reads), "
          f"{sum(r['documented'] for r in results)} lock timeouts, 0 violations (seed {seed})")


def test_threads_never_see_a_partial_generation(tmp_path):
    seed = seed_from_env()
    store = FileSessionStore(tmp_path / "store")  # one object shared by every thread
    results = _run_threads(workload, lambda w: (store, w, seed, OPS), WORKERS)
    writes, reads = check(results, seed)
    print(f"threads: {WORKERS} x {OPS} operations ({writes} writes, {reads} reads), "
          f"{sum(r['documented'] for r in results)} lock timeouts, 0 violations (seed {seed})")


def count_up(store: FileSessionStore, w: int, increments: int, barrier) -> int:
    """Add ``increments`` to the counter (``updated_at`` of session ``counter``) with
    read-modify-write and expected_revision; returns the conflicts met."""
    conflicts = 0
    barrier.wait()
    for _ in range(increments):
        while True:
            try:
                if w % 2:
                    session = store.load("counter")
                    session.updated_at += 1
                    store.save(session, expected_revision=session.revision)
                else:
                    snap = store.load_snapshot("counter")
                    snap.session.updated_at += 1
                    store.save_snapshot(snap, expected_revision=snap.revision)
                break
            except ConflictError:
                conflicts += 1
    return conflicts


def _process_counter(root, w, increments, barrier, queue):
    try:
        queue.put(count_up(FileSessionStore(root), w, increments, barrier))
    except BaseException:  # noqa: BLE001
        queue.put(traceback.format_exc())


def _start_counter(root) -> FileSessionStore:
    store = FileSessionStore(root)
    store.save(snapshot_gen("counter", 0).session, create_only=True)
    assert store.load("counter").updated_at == 0
    return store


@_fork
def test_processes_lose_no_update(tmp_path):
    root = str(tmp_path / "store")
    store = _start_counter(root)
    conflicts = _run_processes(_process_counter, lambda w: (root, w, INCREMENTS), WORKERS)
    assert all(type(c) is int for c in conflicts), conflicts
    assert store.load("counter").updated_at == WORKERS * INCREMENTS
    print(f"processes: {WORKERS} x {INCREMENTS} increments, {sum(conflicts)} conflicts retried, "
          "0 lost updates")


def test_threads_lose_no_update(tmp_path):
    store = _start_counter(tmp_path / "store")
    conflicts = _run_threads(count_up, lambda w: (store, w, INCREMENTS), WORKERS)
    assert all(type(c) is int for c in conflicts), conflicts
    assert store.load("counter").updated_at == WORKERS * INCREMENTS
    print(f"threads: {WORKERS} x {INCREMENTS} increments, {sum(conflicts)} conflicts retried, "
          "0 lost updates")


def test_the_counter_check_can_fail(tmp_path):
    # Without expected_revision two interleaved read-modify-writes lose one
    # increment (last writer wins): the end-value check would see it.
    store = _start_counter(tmp_path / "store")
    other = FileSessionStore(tmp_path / "store")
    a, b = store.load("counter"), other.load("counter")
    a.updated_at += 1
    b.updated_at += 1
    store.save(a)
    other.save(b)
    assert store.load("counter").updated_at == 1  # two increments, one lost
    b.updated_at += 1
    with pytest.raises(ConflictError):  # with the revision, the second one refuses
        other.save(b, expected_revision=b.revision)


def _reader(root, n, barrier, queue):
    try:
        store = FileSessionStore(root)
        barrier.wait()
        seen = []
        for i in range(n):
            snap = store.load_snapshot(SNAPSHOT_IDS[i % len(SNAPSHOT_IDS)])
            seen.append(None if snap is None else tuple(sorted(gens_of(snap))))
        queue.put(("reader", seen))
    except BaseException:  # noqa: BLE001
        queue.put(("error", traceback.format_exc()))


def _writer(root, w, stop, barrier, queue):
    try:
        store = FileSessionStore(root)
        barrier.wait()
        gens = []
        i = 0
        while not stop.is_set():
            gen = (w + 1) * 1_000_000 + i
            store.save_snapshot(snapshot_gen(SNAPSHOT_IDS[i % len(SNAPSHOT_IDS)], gen))
            gens.append(gen)
            i += 1
        queue.put(("writer", gens))
    except BaseException:  # noqa: BLE001
        queue.put(("error", traceback.format_exc()))


@_fork
def test_reads_during_writes_are_all_whole(tmp_path):
    readers, writers, per_reader = 6, 2, count(150, 1700)  # 10,200 reads at full strength
    root = str(tmp_path / "store")
    first = FileSessionStore(root)
    for sid in SNAPSHOT_IDS:  # so that every read has a generation to check
        first.save_snapshot(snapshot_gen(sid, 1))
    ctx = multiprocessing.get_context("fork")
    queue, stop, barrier = ctx.Queue(), ctx.Event(), ctx.Barrier(readers + writers)
    procs = [ctx.Process(target=_reader, args=(root, per_reader, barrier, queue))
             for _ in range(readers)]
    procs += [ctx.Process(target=_writer, args=(root, w, stop, barrier, queue))
              for w in range(writers)]
    for p in procs:
        p.start()
    got = [queue.get(timeout=300) for _ in range(readers)]
    stop.set()
    got += [queue.get(timeout=300) for _ in range(writers)]
    for p in procs:
        p.join(timeout=60)
    errors = [text for kind, text in got if kind == "error"]
    assert not errors, errors[0]
    written = {1} | {g for kind, gens in got if kind == "writer" for g in gens}
    reads = [r for kind, seen in got if kind == "reader" for r in seen]
    bad = [r for r in reads if r is None or len(r) != 1 or r[0] not in written]
    assert len(reads) == readers * per_reader and not bad, (len(reads), bad[:5])
    assert len(written) > 10  # the writers were not starved meanwhile
    print(f"{len(reads)} reads during {len(written) - 1} snapshot saves: 0 partial")


def test_the_partial_read_check_can_fail():
    mixed = {"written": {"h0": [1, 2]}, "reads": [("h0", [1, 2])], "problems": [],
             "documented": 0}
    unknown = {"written": {"h0": [1]}, "reads": [("h0", [3])], "problems": [], "documented": 0}
    for result in (mixed, unknown):
        with pytest.raises(AssertionError, match="partial or unknown"):
            check([result], 0)
