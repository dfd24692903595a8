"""a3s_store beside a minimal standard-library baseline, measured in one run.

Every figure is a ratio to the baseline measured on the same machine at the
same moment, and each time is the median of repeated runs (with min-max).
Durable mode (fsync) is what is measured, for the store and the baseline.

    python3 benchmarks/bench.py            # full run (about 2-4 minutes)
    python3 benchmarks/bench.py --quick    # smaller sizes, for a smoke test

Prints a table and writes ``benchmarks/results/latest.json``. Not collected
by pytest (speed is never asserted by tests).

Rows and their baselines:

* ``save@N``: append one message to an N-message session held in memory and
  save it durably; baseline ``json.dumps`` of the session dict, temporary
  file, fsync, ``os.replace``, fsync of the folder.
* ``load@N``: load it; baseline ``open`` + ``json.loads``.
* ``snapshot save/load``: the session with artifacts, traces and runs;
  baseline the same six files written one by one with the atomic recipe above
  and read back.
* ``list ids``: the ids of all sessions; baseline ``os.scandir`` of the folder.
* ``list summaries``: id, name, state, model, message count, created, updated
  and size of every session; baseline the same ``os.scandir`` id listing.
* ``save + list summaries``: a listing right after a save (the folder is
  scanned again); shown for information, no target.
* memory: peak traced allocation while loading the largest session, against
  the size of its file.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from a3s_store import (  # noqa: E402
    ArtifactStore,
    FileSessionStore,
    Message,
    RunRecord,
    SessionData,
    SessionSnapshot,
    TraceEvent,
    _index,  # noqa: E402
)

WORDS = ("agent tool result file read write session store the a of to in is that for it "
         "with as on be at by this from or an are was but not have all can has more when "
         "will one about which out up what their there if some into its only new").split()


def text(rng: random.Random, size: int) -> str:
    out, n = [], 0
    while n < size:
        w = rng.choice(WORDS)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


def make_message_dict(rng: random.Random, i: int) -> dict:
    """A realistic message: ~500 bytes of text, a tool call with JSON input, or its result."""
    kind = i % 3
    if kind == 0:
        return {"role": "user", "content": [{"type": "text", "text": text(rng, 500)}]}
    if kind == 1:
        return {"role": "assistant", "reasoning_content": text(rng, 120), "content": [
            {"type": "text", "text": text(rng, 200)},
            {"type": "tool_use", "id": f"call-{i}", "name": "bash",
             "input": {"command": f"grep -rn {rng.choice(WORDS)} src/", "timeout_ms": 30000,
                       "env": {"LANG": "C"}}}]}
    return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"call-{i - 1}",
                                         "content": text(rng, 500), "is_error": False}]}


def session_dict(session_id: str, n: int, rng: random.Random) -> dict:
    return {
        "id": session_id,
        "config": {"name": f"bench {session_id}", "workspace": "/ws", "system_prompt": "You help.",
                   "max_context_length": 200000, "auto_compact": False},
        "state": "Active",
        "messages": [make_message_dict(rng, i) for i in range(n)],
        "context_usage": {"used_tokens": 0, "max_tokens": 200000, "percent": 0.0, "turns": 0},
        "total_usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "model_name": "openai/gpt-4o",
        "tool_names": ["bash", "read"],
        "thinking_enabled": False,
        "created_at": 1700000000,
        "updated_at": 1700000000,
    }


def side_dicts(session_id: str, rng: random.Random) -> dict:
    arts = [{"artifact_id": f"a{i}", "artifact_uri": f"a3s://artifacts/a{i}", "tool_name": "bash",
             "content": text(rng, 2000), "original_bytes": 2000, "shown_bytes": 2000}
            for i in range(20)]
    traces = [{"schema": "a3s.trace_event.v1", "kind": "tool_execution", "name": "bash",
               "success": True, "exit_code": 0, "duration_ms": 5, "output_bytes": 100}
              for _ in range(50)]
    runs = [{"snapshot": {"id": f"run-{r}", "session_id": session_id, "status": "completed",
                          "prompt": text(rng, 100), "created_at_ms": 1, "updated_at_ms": 2,
                          "event_count": 20},
             "events": [{"sequence": s, "timestamp_ms": s,
                         "event": {"type": "text_delta", "text": text(rng, 40)}}
                        for s in range(20)]}
            for r in range(5)]
    return {"artifacts": {"artifacts": arts}, "traces": traces, "runs": runs,
            "verification": [], "subagent_tasks": []}


# -- the baseline: the standard library, the obvious way ----------------------------


def baseline_write(path: str, obj) -> None:
    data = json.dumps(obj).encode()
    folder = os.path.dirname(path)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def baseline_read(path: str):
    with open(path, "rb") as fh:
        return json.loads(fh.read())


BASELINE_FILES = {"session": "{}.json", "artifacts": "artifacts/{}/artifacts.json",
                  "traces": "traces/{}.json", "runs": "runs/{}.json",
                  "verification": "verification/{}.json",
                  "subagent_tasks": "subagent_tasks/{}.json"}


# -- measuring -----------------------------------------------------------------------


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def summary(times: list[float]) -> dict:
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
            "runs": len(times)}


def row(name: str, ours: list[float], base: list[float], target: float) -> dict:
    o, b = summary(ours), summary(base)
    ratio = o["median_ms"] / b["median_ms"]
    return {"name": name, "ours": o, "baseline": b, "ratio": ratio, "target": target,
            "ok": ratio <= target}


def bench_save_load(tmp: str, sizes, rows: list, results: dict) -> None:
    rng = random.Random(7)
    for n in sizes:
        repeat = 5 if n >= 10_000 else 15
        sd = session_dict(f"s{n}", n, rng)
        # The store: the session object stays in memory, as in an agent loop.
        store = FileSessionStore(os.path.join(tmp, f"store-{n}"))
        session = SessionData.from_dict(sd)
        store.save(session)
        extra = [Message.from_dict(make_message_dict(rng, n + i)) for i in range(repeat + 2)]
        it = iter(extra)

        def ours_save():
            session.messages.append(next(it))
            store.save(session)

        # The baseline: the dict stays in memory; every save re-encodes it whole.
        base_dir = os.path.join(tmp, f"base-{n}")
        os.makedirs(base_dir)
        base_path = os.path.join(base_dir, f"s{n}.json")
        baseline_write(base_path, sd)
        extra_d = [make_message_dict(rng, n + i) for i in range(repeat + 2)]
        itb = iter(extra_d)

        def base_save():
            sd["messages"].append(next(itb))
            baseline_write(base_path, sd)

        ours_save()  # warm-up (the first save after a load encodes every message once)
        base_save()
        b, o = [], []
        for _ in range(repeat):  # interleaved, so both see the same machine load
            b += timed(base_save, 1)
            o += timed(ours_save, 1)
        rows.append(row(f"save@{n}", o, b, 1.0 if n >= 1000 else 2.0))

        sid = session.id
        b, o = [], []
        for _ in range(3 if n >= 10_000 else 7):
            b += timed(lambda: baseline_read(base_path), 1)
            o += timed(lambda: store.load(sid), 1)
        rows.append(row(f"load@{n}", o, b, 1.5 if n >= 1000 else float("inf")))

        if n == max(sizes):
            size = os.path.getsize(os.path.join(store.root, f"{sid}.json"))
            gc.collect()
            tracemalloc.start()
            store.load(sid)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            results["memory"] = {"file_bytes": size, "peak_bytes": peak, "ratio": peak / size,
                                 "target": 4.0, "ok": peak / size <= 4.0}


def bench_snapshot(tmp: str, n: int, rows: list) -> None:
    rng = random.Random(11)
    sid = f"snap{n}"
    sd = session_dict(sid, n, rng)
    side = side_dicts(sid, rng)
    store = FileSessionStore(os.path.join(tmp, "snap-store"))
    snap = SessionSnapshot(
        session=SessionData.from_dict(sd),
        artifacts=ArtifactStore.from_dict(side["artifacts"]),
        trace_events=[TraceEvent.from_dict(t) for t in side["traces"]],
        run_records=[RunRecord.from_dict(r) for r in side["runs"]],
    )
    base_root = os.path.join(tmp, "snap-base")
    docs = {"session": sd, **side}

    def base_save():
        for key, pattern in BASELINE_FILES.items():
            path = os.path.join(base_root, pattern.format(sid))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            baseline_write(path, docs[key])

    def base_load():
        return {key: baseline_read(os.path.join(base_root, pattern.format(sid)))
                for key, pattern in BASELINE_FILES.items()}

    store.save_snapshot(snap)
    base_save()
    b, o = [], []
    for _ in range(9):
        b += timed(base_save, 1)
        o += timed(lambda: store.save_snapshot(snap), 1)
    rows.append(row(f"snapshot save@{n}", o, b, 1.5))
    b, o = [], []
    for _ in range(9):
        b += timed(base_load, 1)
        o += timed(lambda: store.load_snapshot(sid), 1)
    rows.append(row(f"snapshot load@{n}", o, b, 1.5))


def bench_list(tmp: str, count: int, rows: list) -> None:
    rng = random.Random(3)
    root = os.path.join(tmp, "list-store")
    store = FileSessionStore(root, durable=False)  # set-up only; listing does not write
    for i in range(count):
        store.save(SessionData.from_dict(session_dict(f"session-{i:05d}", 2 + i % 5, rng)))

    def base_ids():
        with os.scandir(root) as it:
            return [e.name[:-5] for e in it if e.name.endswith(".json")]

    # The listing index is trusted only once the folder has been still for
    # _index.RACY_NS (2 s), as git does with "racily clean" entries; wait for
    # it, then let one listing rebuild the index.
    time.sleep(_index.RACY_NS / 1e9 + 0.1)
    store.list()
    b, o = [], []
    for _ in range(7):
        b += timed(base_ids, 1)
        o += timed(store.list, 1)
    rows.append(row(f"list ids ({count})", o, b, 1.5))
    store.list_summaries()
    b, o = [], []
    for _ in range(7):
        b += timed(base_ids, 1)
        o += timed(store.list_summaries, 1)
    rows.append(row(f"list summaries ({count})", o, b, 3.0))
    # After a change the folder is scanned and the changed files looked at.
    n = iter(range(100))

    def save_then_list():
        store.save(SessionData.from_dict(session_dict(f"session-{next(n):05d}", 3, rng)))
        store.list_summaries()

    b, o = [], []
    for _ in range(5):
        b += timed(base_ids, 1)
        o += timed(save_then_list, 1)
    rows.append(row(f"save + list summaries ({count})", o, b, float("inf")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results",
                                                      "latest.json"))
    args = parser.parse_args()
    sizes = [10, 100, 1000] if args.quick else [10, 100, 1000, 10_000]
    list_count = 1000 if args.quick else 10_000
    rows: list = []
    results: dict = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "rows": rows,
    }
    tmp = tempfile.mkdtemp(prefix="a3s-bench-", dir=os.environ.get("BENCH_TMP"))
    try:
        bench_save_load(tmp, sizes, rows, results)
        bench_snapshot(tmp, 1000, rows)
        bench_list(tmp, list_count, rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'operation':34} {'a3s_store ms':>22} {'baseline ms':>22} {'ratio':>7} target")
    for r in rows:
        o, b = r["ours"], r["baseline"]
        target = "-" if r["target"] == float("inf") else f"<= {r['target']:g}"
        mark = "" if r["ok"] else "  MISSED"
        print(f"{r['name']:34} {o['median_ms']:8.2f} ({o['min_ms']:.2f}-{o['max_ms']:.2f})"
              f" {b['median_ms']:8.2f} ({b['min_ms']:.2f}-{b['max_ms']:.2f})"
              f" {r['ratio']:7.2f} {target}{mark}")
    mem = results.get("memory")
    if mem:
        print(f"memory: peak {mem['peak_bytes'] / 1e6:.1f} MB to load a "
              f"{mem['file_bytes'] / 1e6:.1f} MB session = {mem['ratio']:.2f}x file size "
              f"(target <= 4){'' if mem['ok'] else '  MISSED'}")
    for r in rows:
        if r["target"] == float("inf"):
            r["target"] = None
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=2)
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
