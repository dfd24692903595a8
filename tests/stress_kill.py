"""10,000 kill -9 of a saving process (outside the default test run).

    python3 tests/stress_kill.py --kills 10000 --seed 1

Runs the loop of ``killer.py`` (random kill moments, both durability
modes) and prints the figures; exits 1 on any violation. Not named
``test_*``, so pytest does not run it (its doctest collection only
imports it).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [here, os.path.dirname(here)]
    from killer import KillLoop

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--root", default=None, help="store folder (default: a temp folder)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    root = args.root or os.path.join(tempfile.mkdtemp(prefix="a3s-kill-"), "store")
    started = time.monotonic()
    loop = KillLoop(root, random.Random(seed))
    while loop.figures.kills < args.kills:
        loop.kill_once()
        if loop.figures.kills % 1000 == 0:
            print(f"  {loop.figures.line()} ({time.monotonic() - started:.0f} s)", flush=True)
    print(f"seed {seed}: {loop.figures.line()} in {time.monotonic() - started:.1f} s "
          f"(store {root}, one operation ~{loop.op_seconds * 1000:.1f} ms)")
    for violation in loop.figures.violations[:20]:
        print("  " + violation)
    return 1 if loop.figures.violations else 0


if __name__ == "__main__":
    sys.exit(main())
