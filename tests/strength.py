"""How hard the sweeps, fuzz runs and storms push: a sample by default, all with ``A3S_FULL=1``.

The default run (``python3 -m pytest -q``) keeps a bounded, seeded sample of
every exhaustive sweep, random run and kill or thread storm, so that each
behaviour is still checked once, in about two and a half minutes on 2
cores. ``A3S_FULL=1`` raises every count to its full strength and runs the
tests marked ``slow`` (which the default run skips); CI runs both. A sample
is drawn from the test's seed, which the test prints on failure;
``A3S_SEED=<n>`` replays it.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

FULL = os.environ.get("A3S_FULL", "") not in ("", "0")


def count(sample: int, full: int) -> int:
    """``full`` under ``A3S_FULL=1``, else ``sample``."""
    return full if FULL else sample


def sample(items: Sequence[T], size: int, seed: int) -> list[T]:
    """Every item under ``A3S_FULL=1``; else the first, the last and
    ``size - 2`` more drawn with ``seed``, in their order."""
    if FULL or len(items) <= size:
        return list(items)
    middle = random.Random(seed).sample(range(1, len(items) - 1), max(size - 2, 0))
    return [items[i] for i in sorted({0, len(items) - 1, *middle})]
