"""Profile the slowest operation of the benchmark: loading a 10,000-message session.

    python3 benchmarks/profile_load.py [N]

Builds the same session as ``bench.py`` (N messages, default 10,000), saves it
to a temporary store, then runs ``cProfile`` over five loads and prints the
functions that take the most cumulative time.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import bench  # noqa: E402

from a3s_store import FileSessionStore, SessionData  # noqa: E402


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    store = FileSessionStore(tempfile.mkdtemp(prefix="a3s-profile-"))
    store.save(SessionData.from_dict(bench.session_dict("s", n, random.Random(7))))
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        store.load("s")
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
