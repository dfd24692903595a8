"""Helpers of the hostile-input tests: seeds, tree snapshots, I/O and hang guards."""

from __future__ import annotations

import contextlib
import os
import random
import signal

from a3s_store import _fs

#: Exceptions that must never come out of the store's API (reliability.md §2.6).
FORBIDDEN = (RecursionError, UnicodeDecodeError, UnicodeEncodeError, MemoryError, KeyError,
             TypeError, AttributeError, IndexError, OverflowError)


def seed_from_env() -> int:
    """A fresh seed per run, or the one in ``A3S_SEED`` to replay a failure."""
    given = os.environ.get("A3S_SEED")
    return int(given) if given else random.randrange(2**32)


def tree(top) -> dict[str, tuple]:
    """Every entry under ``top`` (not following links): kind, size, mtime, mode, link target."""
    out = {}
    top = os.fspath(top)
    for dirpath, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            target = os.readlink(path) if os.path.islink(path) else None
            size = st.st_size if not os.path.isdir(path) or os.path.islink(path) else 0
            out[os.path.relpath(path, top)] = (st.st_mode, size, st.st_mtime_ns, target)
    return out


def tree_outside(top, root) -> dict[str, tuple]:
    """:func:`tree` of ``top`` less everything inside ``root`` (root's own entry too)."""
    rel = os.path.relpath(os.fspath(root), os.fspath(top))
    return {k: v for k, v in tree(top).items()
            if k != rel and not k.startswith(rel + os.sep)}


class IOAttempted(BaseException):
    """Raised by :func:`no_io` at the first filesystem call (a BaseException: nothing
    in the store may catch it)."""


@contextlib.contextmanager
def no_io():
    """Fail the first filesystem call of the package made inside the block."""
    def hook(name):
        raise IOAttempted(name)

    previous = _fs.hooks.fault_hook
    _fs.hooks.fault_hook = hook
    try:
        yield
    finally:
        _fs.hooks.fault_hook = previous


class Hang(BaseException):
    """A call took longer than the guard allows."""


@contextlib.contextmanager
def hang_guard(seconds: float = 10.0):
    """Turn a call that blocks (a FIFO read, a lock wait) into a :class:`Hang`."""
    def on_alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
