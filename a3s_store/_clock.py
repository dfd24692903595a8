"""How soon a folder's mtime can be trusted to show the next change: the
listing index's freshness window, measured on the store's own file system.

A listing trusts its index while the root folder's mtime is the one the index
was built against. That holds only once the build finished a timestamp tick
after that mtime: a change in the same tick leaves the mtime as it was (git's
"racily clean" entries). How long a tick is depends on the file system and
the kernel (fine-grained on recent Linux, a jiffy on older ones, 2 s on FAT),
and a file's timestamp may lag the wall clock by up to a tick. So the window
is measured, once per file system: a probe file is made and removed in the
cache folder until the folder's mtime has moved a few times, and the window
is twice the larger of the smallest step seen and the median lag of a
timestamp behind the clock, at least :data:`MIN_WINDOW_NS`. The figure is
kept in ``cache/clock.json`` (keyed by the device) and in memory, so a fresh
process does not measure again. Where nothing can be written (a read-only
store) or the mtime never moves, the window is :data:`DEFAULT_WINDOW_NS`.
"""

from __future__ import annotations

import time

from . import _commit, _fs, _json
from ._layout import CACHE, INTERNAL, Layout
from .errors import CorruptDataError, UnsafePathError

__all__ = ["window_ns", "measure_ns", "DEFAULT_WINDOW_NS", "MIN_WINDOW_NS", "CLOCK_NAME"]

#: The window where it cannot be measured: the coarsest common tick (FAT's 2 s).
DEFAULT_WINDOW_NS = 2_000_000_000
#: The smallest window used, whatever the measurement says (0.1 ms).
MIN_WINDOW_NS = 100_000
CLOCK_NAME = "clock.json"
_STEPS = 4  # mtime moves to observe
_BUDGET_NS = 200_000_000  # give up measuring after this long (a 2 s tick)
_known: dict[int, int] = {}  # st_dev -> window, for this process


def window_ns(layout: Layout, root_dev: int) -> int:
    """The freshness window of the file system holding the store (``root_dev``:
    the root folder's ``st_dev``): remembered, read from the cache, or measured."""
    known = _known.get(root_dev)
    if known is not None:
        return known
    window = _read(layout, root_dev)
    if window is None:
        window = _measure_and_keep(layout, root_dev)
        if window is None:
            return DEFAULT_WINDOW_NS  # measured again next time (the error may pass)
    _known[root_dev] = window
    return window


def _read(layout: Layout, root_dev: int) -> int | None:
    try:
        data = layout.read_small(CACHE, CLOCK_NAME, 4096)
        doc = _json.decode(data, strict=False) if data is not None else None
    except (CorruptDataError, UnsafePathError):
        return None
    if type(doc) is not dict or doc.get("dev") != root_dev:
        return None
    window = doc.get("window_ns")
    if type(window) is not int or not MIN_WINDOW_NS <= window <= DEFAULT_WINDOW_NS:
        return None
    return window


def _measure_and_keep(layout: Layout, root_dev: int) -> int | None:
    """The measured window, also written to the cache; None when it could not
    be measured or kept (a read-only store, a failing disk)."""
    try:
        if layout.folder((INTERNAL,)) is None:
            return None  # not a store yet: nothing is made in it
        cache = layout.folder(CACHE, create=True, durable=False)
        if cache is None:
            return None
        window = measure_ns(cache)
        doc = {"dev": root_dev, "window_ns": window}
        _commit.write_one(layout, CACHE, CLOCK_NAME, _json.encode_compact(doc),
                          durable=False, staging=CACHE)
    except (OSError, UnsafePathError, CorruptDataError):
        return None  # read-only: listings just re-check more often
    return window


def measure_ns(folder: _fs.Dir) -> int:
    """Measure the window in ``folder`` (see the module docstring)."""
    probe = _commit.temp_name()
    last = _fs.stat_dir(folder).st_mtime_ns
    steps: list[int] = []
    lags: list[int] = []
    start = time.time_ns()
    while len(steps) < _STEPS and time.time_ns() - start < _BUDGET_NS:
        _fs.write_new(folder, probe, b"", durable=False)
        _fs.unlink(folder, probe)
        mtime = _fs.stat_dir(folder).st_mtime_ns
        lags.append(time.time_ns() - mtime)
        if mtime != last:
            steps.append(mtime - last)
            last = mtime
    if len(steps) < _STEPS:
        return DEFAULT_WINDOW_NS
    # The median lag: a timestamp taken from a coarse clock lags it by less
    # than a tick, which the smallest step bounds; the largest lag seen is
    # mostly this process being preempted before it read the clock.
    lag = sorted(lags)[len(lags) // 2]
    return min(DEFAULT_WINDOW_NS, max(MIN_WINDOW_NS, 2 * max(min(steps), lag)))
