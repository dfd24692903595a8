"""Wall time of the ``a3s-store`` commands on a large store, run as users run them.

Builds a store of N sessions (20 messages, a trace file and a run record
each) in a temporary folder, then times each command in a fresh
``python -m a3s_store`` process (median and min-max of repeated runs,
Python start-up included). Not collected by pytest.

    python3 benchmarks/cli_bench.py              # 10,000 sessions
    python3 benchmarks/cli_bench.py --sessions 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests"))

import factories  # noqa: E402
from a3s_store import FileSessionStore, SessionSnapshot  # noqa: E402

COMMANDS = [
    ["list"],
    ["list", "--json"],
    ["show", "s-00042"],
    ["export", "s-00042", "--format", "html"],
    ["stats"],
    ["gc"],
    ["verify"],
]


def build(root: str, n: int) -> float:
    store = FileSessionStore(root, durable=False)
    start = time.perf_counter()
    for i in range(n):
        session = factories.session(f"s-{i:05d}", messages=20, updated_at=1700000000 + i)
        store.save_snapshot(SessionSnapshot(
            session=session, trace_events=[factories.trace_event()],
            run_records=[factories.run_record(session.id, events=5)]))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="a3s-cli-bench-")
    root = os.path.join(tmp, "store")
    try:
        built = build(root, args.sessions)
        print(f"{args.sessions:,} sessions built in {built:.1f} s (durable=False)")
        env = {**os.environ, "PYTHONPATH": REPO, "A3S_STORE_ROOT": root}
        baseline = [sys.executable, "-c", "import a3s_store"]
        rows = [("python -c 'import a3s_store' (start-up)", baseline)]
        rows += [("a3s-store " + " ".join(c), [sys.executable, "-m", "a3s_store", *c])
                 for c in COMMANDS]
        print(f"{'command':<48} {'median':>8}  {'min-max':>15}")
        for label, cmd in rows:
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
                times.append(time.perf_counter() - start)
                if proc.returncode != 0:
                    raise SystemExit(f"{label}: exit {proc.returncode}: {proc.stderr.decode()}")
            print(f"{label:<48} {statistics.median(times):>7.2f}s  "
                  f"{min(times):>6.2f}-{max(times):.2f}s")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
