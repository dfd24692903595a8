"""a3s_store beside the physical floor, a plain baseline and its peers, in one run.

    python3 benchmarks/bench.py            # full run (about 5 minutes)
    python3 benchmarks/bench.py --quick    # smaller sizes, for a smoke test

Every figure is the median of repeated runs, with the store, its floor, the
baseline and the peers called in turn within each round (the order rotates),
so all see the same machine load; each ratio is against the reference named
in its row, measured in the same rounds. Durable mode (fsync) throughout.
Prints a table and writes ``benchmarks/results/latest.json``. Not collected
by pytest (speed is never asserted by tests).

Rows (N = 100, 1,000, 10,000 messages of ~500 bytes):

* ``append@N``: append one message to an N-message session held in memory
  and save it. Reference: the **layout floor**, writing the bytes the store
  wrote (temporary file, fsync, rename, fsync of the folder). Also shown: the
  baseline (``json.dumps`` of the session dict, then the same recipe) and the
  peers (``peer_rows``: JSON-lines, ``sqlite3`` WAL FULL, OpenAI
  ``SQLiteSession`` and LangGraph ``SqliteSaver`` when installed).
* ``first save after load@N``: a new store object loads the session, one
  message is appended, and the save is timed. Reference: the layout floor.
* ``load@N``: load right after the store saved it; reference ``open`` +
  ``read`` + ``json.loads`` of the same bytes. ``load@N (a3s-code file)``:
  the file was written by another program (no metadata), loaded again after
  its first load; ``first load after another program wrote@N``: each round
  the file is written anew, so the strict parser runs. ``load@N (fresh
  process)``: the first load in a new interpreter, timed inside it, against
  the same read + parse in a new interpreter.
* memory: peak traced allocation while loading the largest session, against
  the size of its file.
* ``snapshot save/load``: the session with artifacts, traces and runs;
  reference the same six files written one by one with the atomic recipe and
  read back. The save appends one message (side files unchanged, as in an
  agent turn); ``snapshot save, all files changed`` changes a side file too.
* ``import a3s_store``: ``python3 -X importtime -c "import a3s_store"`` (with
  bytecode caches, as installed packages have), median of the cumulative
  time; ``from a3s_store import FileSessionStore`` shown beside it.
* listings: ``listing_rows.measure(quick)`` when that module exists, else the
  ids and summaries of many sessions against ``os.scandir``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import peer_rows  # noqa: E402

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

try:
    import listing_rows  # the listing helper's rows (issue 14), when present
except ImportError:
    listing_rows = None

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



# -- the reference recipes ----------------------------------------------------------


def floor_write(path: str, data: bytes) -> None:
    """The layout floor: these bytes to a temporary file, fsync, rename, fsync the folder."""
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


def baseline_write(path: str, obj) -> None:
    """The baseline: json.dumps of the whole document, then the floor's recipe."""
    floor_write(path, json.dumps(obj).encode())


def baseline_read(path: str):
    with open(path, "rb") as fh:
        return json.loads(fh.read())


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


BASELINE_FILES = {"session": "{}.json", "artifacts": "artifacts/{}/artifacts.json",
                  "traces": "traces/{}.json", "runs": "runs/{}.json",
                  "verification": "verification/{}.json",
                  "subagent_tasks": "subagent_tasks/{}.json"}


# -- measuring -----------------------------------------------------------------------


def contest(contestants: dict, rounds: int, setup=None) -> dict[str, list[float]]:
    """Times (ms) of each contestant, called in turn each round (the order
    rotates); ``setup(name)``, untimed, runs before each call."""
    times: dict[str, list[float]] = {name: [] for name in contestants}
    names = list(contestants)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            if setup is not None:
                setup(name)
            gc.collect()
            t0 = time.perf_counter()
            contestants[name]()
            times[name].append((time.perf_counter() - t0) * 1000)
    return times


def summary(times: list[float]) -> dict:
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
            "runs": len(times)}


def row(name: str, ours: list[float], base: list[float], target: float | None,
        reference: str, others: dict | None = None) -> dict:
    o, b = summary(ours), summary(base)
    ratio = o["median_ms"] / b["median_ms"]
    return {"name": name, "ours": o, "baseline": b, "reference": reference, "ratio": ratio,
            "target": target, "ok": target is None or ratio <= target,
            "others": {k: statistics.median(v) for k, v in (others or {}).items()}}


def listing_row(r: dict) -> dict:
    """A row of ``listing_rows`` in this script's shape (its reference: ``os.scandir``
    names, or scandir plus a stat per file for ``check=True``)."""
    target = None if r["target"] == float("inf") else r["target"]
    ours = {"median_ms": r["store_ms"], "min_ms": r["store_min_ms"],
            "max_ms": r["store_max_ms"], "runs": r["rounds"]}
    base = {"median_ms": r["baseline_ms"], "runs": r["rounds"]}
    return {"name": r["name"], "ours": ours, "baseline": base,
            "reference": "scandir + stat" if "check=True" in r["name"] else "os.scandir names",
            "ratio": r["ratio"], "target": target, "ok": target is None or r["ok"],
            "others": {}}


def message_dicts(rng: random.Random, start: int, count: int) -> list[dict]:
    return [make_message_dict(rng, start + i) for i in range(count)]


# -- saves ---------------------------------------------------------------------------


def bench_append(tmp: str, n: int, rounds: int, rows: list) -> None:
    rng = random.Random(7)
    sd = session_dict(f"s{n}", n, rng)
    store = FileSessionStore(os.path.join(tmp, f"store-{n}"))
    session = SessionData.from_dict(sd)
    store.save(session)
    store_file = os.path.join(store.root, f"s{n}.json")
    floor_path = os.path.join(tmp, f"floor-{n}", "s.json")
    os.makedirs(os.path.dirname(floor_path))
    base_path = os.path.join(tmp, f"base-{n}", "s.json")
    os.makedirs(os.path.dirname(base_path))
    new = message_dicts(rng, n, rounds + 2)
    ours_new = iter([Message.from_dict(m) for m in new])
    base_new = iter(new)
    peers = {}
    for cls in peer_rows.peers():
        folder = os.path.join(tmp, f"{cls.__name__}-{n}")
        os.makedirs(folder)
        peers[cls.name] = (cls(folder, sd["messages"]), iter(new))
    latest = [read_bytes(store_file)]

    def ours():
        session.messages.append(next(ours_new))
        store.save(session)

    def base():
        sd["messages"].append(next(base_new))
        baseline_write(base_path, sd)

    def setup(name):
        if name == "floor":
            latest[0] = read_bytes(store_file)  # the bytes the store's last save wrote

    contestants = {"a3s_store": ours, "floor": lambda: floor_write(floor_path, latest[0]),
                   "baseline": base}
    for name, (peer, feed) in peers.items():
        contestants[name] = (lambda p=peer, it=feed: p.append(next(it)))
    ours()  # warm-up: the first save of this store object
    times = contest(contestants, rounds, setup)
    others = {k: v for k, v in times.items() if k not in ("a3s_store", "floor")}
    rows.append(row(f"append@{n:,}", times["a3s_store"], times["floor"], 1.1, "layout floor",
                    others))
    load_peers = {name: (lambda p=peer: p.load()) for name, (peer, _) in peers.items()}
    load_times = contest(load_peers, max(3, rounds // 3)) if load_peers else {}
    RESULTS.setdefault("peer_loads", {})[str(n)] = {
        k: statistics.median(v) for k, v in load_times.items()}


def bench_first_save(tmp: str, n: int, rounds: int, rows: list) -> None:
    rng = random.Random(8)
    root = os.path.join(tmp, f"first-{n}")
    FileSessionStore(root).save(SessionData.from_dict(session_dict("s", n, rng)))
    store_file = os.path.join(root, "s.json")
    floor_path = os.path.join(tmp, f"first-floor-{n}", "s.json")
    os.makedirs(os.path.dirname(floor_path))
    held: dict = {}
    extra = iter([Message.from_dict(m) for m in message_dicts(rng, n, rounds + 2)])

    def setup(name):
        if name == "a3s_store":  # a new store object (a new agent run) loads the session
            held["store"] = FileSessionStore(root)
            held["session"] = held["store"].load("s")
            held["session"].messages.append(next(extra))
        else:
            held["bytes"] = read_bytes(store_file)

    times = contest({"a3s_store": lambda: held["store"].save(held["session"]),
                     "floor": lambda: floor_write(floor_path, held["bytes"])}, rounds, setup)
    rows.append(row(f"first save after load@{n:,}", times["a3s_store"], times["floor"], 1.1,
                    "layout floor"))


# -- loads ---------------------------------------------------------------------------


def bench_load(tmp: str, n: int, rounds: int, rows: list) -> None:
    rng = random.Random(9)
    sd = session_dict("s", n, rng)
    store = FileSessionStore(os.path.join(tmp, f"load-{n}"))
    store.save(SessionData.from_dict(sd))
    path = os.path.join(store.root, "s.json")
    times = contest({"a3s_store": lambda: store.load("s"),
                     "floor": lambda: baseline_read(path)}, rounds)
    rows.append(row(f"load@{n:,}", times["a3s_store"], times["floor"], 1.3,
                    "read + json.loads"))
    # The same bytes written by another program (no metadata record of them), in
    # a folder the store has saved to too (a reader never makes a store's folder).
    other = FileSessionStore(os.path.join(tmp, f"other-{n}"))
    other.save(SessionData.from_dict(session_dict("x", 1, rng)))
    other_path = os.path.join(other.root, "s.json")
    data = read_bytes(path)

    def rewrite(name):
        if name == "a3s_store":
            with open(other_path, "wb") as fh:
                fh.write(data)

    with open(other_path, "wb") as fh:
        fh.write(data)
    other.load("s")
    times = contest({"a3s_store": lambda: other.load("s"),
                     "floor": lambda: baseline_read(other_path)}, rounds)
    rows.append(row(f"load@{n:,} (a3s-code file)", times["a3s_store"], times["floor"], 1.6,
                    "read + json.loads"))
    times = contest({"a3s_store": lambda: other.load("s"),
                     "floor": lambda: baseline_read(other_path)}, max(3, rounds // 2), rewrite)
    rows.append(row(f"first load after another program wrote@{n:,}", times["a3s_store"],
                    times["floor"], None, "read + json.loads"))
    times = contest({"a3s_store": lambda: _fresh_process(
        f"from a3s_store import FileSessionStore\nstore = FileSessionStore({store.root!r})\n"
        "t0 = time.perf_counter()\nstore.load('s')"),
        "floor": lambda: _fresh_process(
        f"import json\nt0 = time.perf_counter()\njson.loads(open({path!r}, 'rb').read())")},
        max(3, rounds // 2))
    rows.append(row(f"load@{n:,} (fresh process)", FRESH.pop("a3s_store"), FRESH.pop("floor"),
                    1.3, "read + json.loads in a new process"))
    if n == max(SIZES):
        gc.collect()
        tracemalloc.start()
        store.load("s")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = os.path.getsize(path)
        RESULTS["memory"] = {"file_bytes": size, "peak_bytes": peak, "ratio": peak / size,
                             "target": 3.0, "ok": peak / size <= 3.0}


FRESH: dict[str, list[float]] = {}


def _fresh_process(body: str) -> None:
    """Run ``body`` in a new interpreter; keep the time it reports (from ``t0``)."""
    code = (f"import sys, time\nsys.path.insert(0, {ROOT!r})\n{body}\n"
            "print((time.perf_counter() - t0) * 1000)")
    out = subprocess.run([sys.executable, "-c", code], env=CHILD_ENV, capture_output=True,
                         text=True, check=True).stdout
    who = "a3s_store" if "a3s_store" in body else "floor"
    FRESH.setdefault(who, []).append(float(out.split()[-1]))


# -- snapshots -----------------------------------------------------------------------


def bench_snapshot(tmp: str, n: int, rounds: int, rows: list) -> None:
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
    new = message_dicts(rng, n, 3 * rounds + 2)
    ours_new = iter([Message.from_dict(m) for m in new])
    base_new = iter(new)

    def base_save():
        docs["session"]["messages"].append(next(base_new))
        for key, pattern in BASELINE_FILES.items():
            path = os.path.join(base_root, pattern.format(sid))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            baseline_write(path, docs[key])

    def base_load():
        return {key: baseline_read(os.path.join(base_root, pattern.format(sid)))
                for key, pattern in BASELINE_FILES.items()}

    def ours_save(change_side: bool = False):
        snap.session.messages.append(next(ours_new))
        if change_side:
            snap.trace_events.append(TraceEvent.from_dict(side["traces"][0]))
        store.save_snapshot(snap)

    store.save_snapshot(snap)
    base_save()
    times = contest({"a3s_store": ours_save, "baseline": base_save}, rounds)
    rows.append(row(f"snapshot save@{n:,}", times["a3s_store"], times["baseline"], 1.3,
                    "baseline recipe, 6 files"))
    times = contest({"a3s_store": lambda: ours_save(True), "baseline": base_save}, rounds)
    rows.append(row(f"snapshot save@{n:,}, all files changed", times["a3s_store"],
                    times["baseline"], None, "baseline recipe, 6 files"))
    times = contest({"a3s_store": lambda: store.load_snapshot(sid), "baseline": base_load},
                    rounds)
    rows.append(row(f"snapshot load@{n:,}", times["a3s_store"], times["baseline"], 1.3,
                    "baseline recipe, 6 files"))


# -- import time ---------------------------------------------------------------------


def bench_import(rounds: int, rows: list) -> None:
    def importtime(statement: str) -> float:
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", statement],
                             cwd=ROOT, env=CHILD_ENV, capture_output=True, text=True,
                             check=True).stderr
        # Top-level lines only (no indent before the name): a name imported on
        # first use is imported after the package, at the top level too.
        return sum(int(m.group(1)) for m in re.finditer(
            r"^import time:\s+\d+ \|\s+(\d+) \| a3s_store\S*$", err, re.M)) / 1000

    importtime("import a3s_store.file_store, a3s_store.cli")  # bytecode caches written
    package = [importtime("import a3s_store") for _ in range(rounds)]
    store = [importtime("from a3s_store import FileSessionStore") for _ in range(rounds)]
    RESULTS["import"] = {"import a3s_store": summary(package),
                         "from a3s_store import FileSessionStore": summary(store),
                         "target_ms": 50.0, "ok": statistics.median(package) <= 50.0}


# -- listings ------------------------------------------------------------------------


def bench_list(tmp: str, count: int, rows: list) -> None:
    """The listing rows until ``listing_rows`` brings its own."""

    rng = random.Random(3)
    root = os.path.join(tmp, "list-store")
    store = FileSessionStore(root, durable=False)  # set-up only; listing does not write
    for i in range(count):
        store.save(SessionData.from_dict(session_dict(f"session-{i:05d}", 2 + i % 5, rng)))

    def scandir_ids():
        with os.scandir(root) as it:
            return [e.name[:-5] for e in it if e.name.endswith(".json")]

    # The listing index is trusted once the folder has been still for a while
    # (as git does with "racily clean" entries); wait, then let one listing
    # rebuild the index.
    time.sleep(getattr(_index, "RACY_NS", 2_000_000_000) / 1e9 + 0.1)
    store.list()
    store.list_summaries()
    for name, listing, target in (("list ids", store.list, 1.5),
                                  ("list summaries", store.list_summaries, 3.0)):
        times = contest({"a3s_store": listing, "floor": scandir_ids}, 7)
        rows.append(row(f"{name} ({count:,})", times["a3s_store"], times["floor"], target,
                        "os.scandir"))
    n = iter(range(100))

    def save_then_list():
        store.save(SessionData.from_dict(session_dict(f"session-{next(n):05d}", 3, rng)))
        store.list_summaries()

    times = contest({"a3s_store": save_then_list, "floor": scandir_ids}, 5)
    rows.append(row(f"save + list summaries ({count:,})", times["a3s_store"], times["floor"],
                    None, "os.scandir"))


# -- the run -------------------------------------------------------------------------

SIZES: list[int] = []
RESULTS: dict = {}
#: Children write bytecode caches (in a private folder), as an installed package has them.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def print_table(rows: list) -> None:
    print(f"{'operation':44} {'a3s_store ms':>10} {'reference ms':>12} {'ratio':>6} "
          f"{'target':>7}  reference; others (ms)")
    for r in rows:
        target = "-" if r["target"] is None else f"<= {r['target']:g}"
        mark = "" if r["ok"] else "  MISSED"
        others = ", ".join(f"{k} {v:.2f}" for k, v in r.get("others", {}).items())
        print(f"{r['name']:44} {r['ours']['median_ms']:10.2f} {r['baseline']['median_ms']:12.2f}"
              f" {r['ratio']:6.2f} {target:>7}{mark}  {r.get('reference', 'baseline')}"
              + (f"; {others}" if others else ""))
    mem = RESULTS.get("memory")
    if mem:
        print(f"memory: peak {mem['peak_bytes'] / 1e6:.1f} MB to load a "
              f"{mem['file_bytes'] / 1e6:.1f} MB session = {mem['ratio']:.2f}x file size "
              f"(target <= 3){'' if mem['ok'] else '  MISSED'}")
    imp = RESULTS.get("import")
    if imp:
        print(f"import a3s_store: {imp['import a3s_store']['median_ms']:.2f} ms (target <= 50)"
              f"{'' if imp['ok'] else '  MISSED'}; from a3s_store import FileSessionStore: "
              f"{imp['from a3s_store import FileSessionStore']['median_ms']:.1f} ms")
    if peer_rows.missing():
        print("peers not installed (skipped):", ", ".join(peer_rows.missing()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    args = parser.parse_args()
    SIZES[:] = [100, 1000] if args.quick else [100, 1000, 10_000]
    rows: list = []
    RESULTS.update({
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "command": " ".join(["python3", "benchmarks/bench.py", *sys.argv[1:]]),
        "rows": rows, "peers_missing": peer_rows.missing(),
    })
    tmp = tempfile.mkdtemp(prefix="a3s-bench-", dir=os.environ.get("BENCH_TMP"))
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
    try:
        bench_import(5 if args.quick else 9, rows)
        for n in SIZES:
            rounds = 7 if n >= 10_000 else 15
            bench_append(tmp, n, rounds, rows)
            bench_first_save(tmp, n, 5 if n >= 10_000 else 9, rows)
            bench_load(tmp, n, 5 if n >= 10_000 else 9, rows)
        bench_snapshot(tmp, 1000, 9, rows)
        if listing_rows is not None:
            rows.extend(listing_row(r) for r in listing_rows.measure(args.quick))
        else:
            bench_list(tmp, 1000 if args.quick else 10_000, rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(rows)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(RESULTS, fh, indent=2)
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
