"""Fault injection through the one I/O layer (a3s_store._fs.hooks.fault_hook).

For an operation that makes N filesystem calls, :func:`each_fault` yields,
for every k in 1..N and every mode, an installed hook that fails call k:

* ``transient``: an ``OSError`` (EIO) at call k only;
* ``persistent``: an ``OSError`` at call k and every call after it;
* ``crash``: :class:`SimulatedCrash` at call k, a ``BaseException`` the
  store must not catch (as if the process died there; the test then drops
  the store object and reopens the folder, which runs recovery).
"""

from __future__ import annotations

import contextlib
import errno

from a3s_store import _fs

MODES = ("transient", "persistent", "crash")


class SimulatedCrash(BaseException):
    """The process 'dies' at this call."""


class CallCounter:
    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, name: str) -> None:
        self.calls.append(name)


class Fault:
    def __init__(self, k: int, mode: str):
        self.k, self.mode, self.n, self.fired = k, mode, 0, 0

    def __call__(self, name: str) -> None:
        self.n += 1
        if self.n == self.k or (self.mode == "persistent" and self.n > self.k):
            self.fired += 1
            if self.mode == "crash":
                raise SimulatedCrash(f"crash at call {self.n} ({name})")
            raise OSError(errno.EIO, f"injected fault at call {self.n} ({name})")


@contextlib.contextmanager
def hooked(hook):
    previous = _fs.hooks.fault_hook
    _fs.hooks.fault_hook = hook
    try:
        yield hook
    finally:
        _fs.hooks.fault_hook = previous


def count_calls(operation) -> list[str]:
    """Run ``operation`` once with a counting hook; return the call names."""
    counter = CallCounter()
    with hooked(counter):
        operation()
    return counter.calls


def run_faulted(operation, k: int, mode: str):
    """Run ``operation`` with call ``k`` failing in ``mode``.

    Returns "ok", "error" (an Exception came out) or "crash"; any other
    outcome (e.g. a crash swallowed, an unexpected BaseException) propagates.
    """
    fault = Fault(k, mode)
    with hooked(fault):
        try:
            operation()
        except SimulatedCrash:
            return "crash"
        except Exception:  # noqa: BLE001 - the documented errors are checked by callers
            return "error"
    return "ok"
