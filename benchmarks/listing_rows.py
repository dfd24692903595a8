"""Listing speed in every state, against ``os.scandir`` of the same folder.

    python3 benchmarks/listing_rows.py           # 1,000 and 10,000 sessions
    python3 benchmarks/listing_rows.py --quick   # 1,000 only

``measure(quick)`` returns one dict per row (``name``, ``store_ms``,
``baseline_ms``, ``ratio``, ``target``, ``ok``, ``floor_ms``, min/max); the
other benchmark (``bench.py``) calls it. Each figure is the median of rounds
that alternate the store and its baseline, so both see the same machine.

The baseline (and physical floor) of a listing is one ``os.scandir`` of the
root keeping the ``.json`` names: what any listing must at least do to know
the folder, and what ``list()`` would cost with no index. Rows:

* ``ids steady`` / ``summaries steady``: nothing changed since the last listing.
* ``... after own save``: the store saved one session (not timed) just before.
* ``... fresh object``: a new ``FileSessionStore`` and no memory of the
  process (the freshness window is read from the cache, as in a new process).
* ``summaries fresh process``: a new interpreter lists once (timed inside it,
  after ``import``), against the same interpreter's first ``os.scandir``.
* ``summaries after foreign replace``: another program replaced one session
  file by a rename (a3s-code's way); baseline scandir plus reading that file.
* ``summaries check=True``: every file's signature compared; baseline
  scandir plus one ``stat`` per file (its floor).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from a3s_store import FileSessionStore, SessionData, _clock  # noqa: E402


def _session(i: int, messages: int = 3) -> SessionData:
    return SessionData.from_dict({
        "id": f"session-{i:05d}",
        "config": {"name": f"chat {i}", "workspace": "/ws", "system_prompt": "You help.",
                   "max_context_length": 200000, "auto_compact": False},
        "state": "Active",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "x" * 200}]}
                     for _ in range(messages)],
        "context_usage": {"used_tokens": 0, "max_tokens": 200000, "percent": 0.0, "turns": 0},
        "total_usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "model_name": "openai/gpt-4o", "tool_names": ["bash"], "thinking_enabled": False,
        "created_at": 1700000000 + i, "updated_at": 1700000100 + i})


def _timed(fn) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _scandir(root: str):
    def names():
        with os.scandir(root) as it:
            return [e.name for e in it if e.name.endswith(".json")]
    return names


def _scandir_stat(root: str):
    def stats():
        with os.scandir(root) as it:
            return [e.stat(follow_symlinks=False) for e in it if e.name.endswith(".json")]
    return stats


def _row(name: str, ours: list[float], base: list[float], target: float, **extra) -> dict:
    o, b = statistics.median(ours), statistics.median(base)
    return {"name": name, "store_ms": o, "baseline_ms": b, "ratio": o / b, "target": target,
            "ok": o / b <= target, "store_min_ms": min(ours), "store_max_ms": max(ours),
            "rounds": len(ours), **extra}


def _alternate(ours, base, rounds: int, before=None) -> tuple[list[float], list[float]]:
    o: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        if before is not None:
            before()
        b.append(_timed(base))
        o.append(_timed(ours))
    return o, b


_CHILD = """
import os, sys, time
sys.path.insert(0, {repo!r})
from a3s_store import FileSessionStore
root = sys.argv[1]
t0 = time.perf_counter()
with os.scandir(root) as it:
    [e.name for e in it if e.name.endswith(".json")]
t1 = time.perf_counter()
FileSessionStore(root).list_summaries()
t2 = time.perf_counter()
print((t2 - t1) * 1000, (t1 - t0) * 1000)
"""


def _fresh_process(root: str, rounds: int) -> tuple[list[float], list[float]]:
    o, b = [], []
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-c", _CHILD.format(repo=os.path.join(HERE, "..")),
                              root], capture_output=True, text=True, check=True).stdout
        ours, base = map(float, out.split())
        o.append(ours)
        b.append(base)
    return o, b


def _measure_one(tmp: str, count: int, rounds: int) -> list[dict]:
    root = os.path.join(tmp, f"list-{count}")
    store = FileSessionStore(root, durable=False)  # set-up only
    for i in range(count):
        store.save(_session(i))
    store.list_summaries()
    store.list()
    names = _scandir(root)
    rows: list[dict] = []
    label = f"({count:,})"
    floor = statistics.median(_timed(names) for _ in range(rounds))

    o, b = _alternate(store.list, names, rounds)
    rows.append(_row(f"ids steady {label}", o, b, 1.5, floor_ms=floor))
    o, b = _alternate(store.list_summaries, names, rounds)
    rows.append(_row(f"summaries steady {label}", o, b, 3.0, floor_ms=floor))

    saved = iter(range(10**6))
    durable = FileSessionStore(root)  # the saves a user makes are durable

    def save_one():
        durable.save(_session(next(saved) % count, messages=4))

    o, b = _alternate(store.list, names, rounds, before=save_one)
    rows.append(_row(f"ids after own save {label}", o, b, 1.5, floor_ms=floor))
    o, b = _alternate(store.list_summaries, names, rounds, before=save_one)
    rows.append(_row(f"summaries after own save {label}", o, b, 3.0, floor_ms=floor))

    def fresh_ids():
        _clock._known.clear()
        FileSessionStore(root).list()

    def fresh_summaries():
        _clock._known.clear()
        FileSessionStore(root).list_summaries()

    o, b = _alternate(fresh_ids, names, rounds)
    rows.append(_row(f"ids fresh object {label}", o, b, 1.5, floor_ms=floor))
    o, b = _alternate(fresh_summaries, names, rounds)
    rows.append(_row(f"summaries fresh object {label}", o, b, 3.0, floor_ms=floor))
    o, b = _fresh_process(root, max(3, rounds // 2))
    rows.append(_row(f"summaries fresh process {label}", o, b, 3.0))

    victim = os.path.join(root, "session-00001.json")
    spare = os.path.join(tmp, f"spare-{count}.json")
    replaced = iter(range(10**6))

    def foreign_replace():
        shutil.copyfile(victim, spare)
        with open(spare, "r+b") as fh:  # a different size, as a new message would give
            fh.seek(0, os.SEEK_END)
            fh.write(b" " * (1 + next(replaced) % 7))
        os.replace(spare, victim)

    def names_and_read():
        names()
        with open(victim, "rb") as fh:
            fh.read()

    o, b = _alternate(store.list_summaries, names_and_read, rounds, before=foreign_replace)
    rows.append(_row(f"summaries after foreign replace {label}", o, b, 3.0,
                     floor_ms=floor, scandir_stat_ms=statistics.median(
                         _timed(_scandir_stat(root)) for _ in range(rounds))))
    o, b = _alternate(lambda: store.list_summaries(check=True), _scandir_stat(root), rounds)
    rows.append(_row(f"summaries check=True {label}", o, b, float("inf"), floor_ms=floor))
    return rows


def measure(quick: bool) -> list[dict]:
    """Every row at 1,000 sessions (and 10,000 unless ``quick``)."""
    tmp = tempfile.mkdtemp(prefix="a3s-listing-", dir=os.environ.get("BENCH_TMP"))
    try:
        rows = []
        for count in ([1000] if quick else [1000, 10_000]):
            rows += _measure_one(tmp, count, 9 if quick else 15)
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    rows = measure(quick)
    print(f"{'listing':42} {'store ms':>9} {'baseline ms':>12} {'ratio':>6}  target")
    for r in rows:
        target = "-" if r["target"] == float("inf") else f"<= {r['target']:g}"
        mark = "" if r["ok"] else "  MISSED"
        print(f"{r['name']:42} {r['store_ms']:9.2f} {r['baseline_ms']:12.2f} "
              f"{r['ratio']:6.2f}  {target}{mark}")
    if "--json" in sys.argv[1:]:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
