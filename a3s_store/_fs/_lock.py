"""The store lock and its fairness gate (part of ``_fs``)."""

from __future__ import annotations

import errno
import os
import stat as _stat
import sys
import time
from collections.abc import Callable
from typing import Literal, overload

from ..errors import LockTimeoutError
from ._dirs import Dir, unsafe
from ._files import _open_file
from ._seam import (
    NONBLOCK,
    WINDOWS,
    observe,
    tick,
)

__all__ = ["GATE_AFTER", "GATE_SUFFIX", "WAIT_NOTICE_AFTER", "lock", "lock_holders",
           "set_wait_notice", "unlock"]

# (WINDOWS, spelled out so that type checkers know the platform's modules)
if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int, exclusive: bool) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _release(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int, exclusive: bool) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)

#: The descriptors of the store locks (and gates) this process holds now. A
#: child forked (without exec) while one is held would keep the open file, and
#: with it the lock, alive after the holder died; the child closes its copies
#: at once (closing a copy does not release the parent's lock).
_HELD: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


#: Whoever waits this long for the store lock closes the gate: those who come
#: after wait until it has had its turn. Without it, readers that keep the
#: shared lock taken between them can hold a writer off until its timeout
#: (6 looping reader processes timed a 2 s writer out 17 times in 20), and
#: writers back to back can do the same to a reader.
GATE_AFTER = 0.05
GATE_SUFFIX = ".gate"


@overload
def _open_lock_file(d: Dir, name: str, mode: int, *, create: Literal[True] = True) -> int: ...
@overload
def _open_lock_file(d: Dir, name: str, mode: int, *, create: bool) -> int | None: ...


def _open_lock_file(d: Dir, name: str, mode: int, *, create: bool = True) -> int | None:
    """Open a lock file of the store (None when missing and not ``create``).

    One call when the file exists (the common case): an open without
    ``O_CREAT``; a new file is made with ``O_CREAT|O_EXCL`` and its exact
    mode. ``O_NONBLOCK`` keeps a FIFO planted there from hanging the open,
    and a folder cannot be opened for writing; a read-only lock file (a
    store shared read-only) is opened read-only, for shared use.
    """
    for _attempt in range(3):
        tick("open")
        try:
            try:
                return _open_file(d, name, os.O_RDWR | NONBLOCK)
            except OSError as exc:  # not ours to write, or a read-only mount
                if exc.errno not in _READ_ONLY:
                    raise
                return _open_file(d, name, os.O_RDONLY | NONBLOCK)
        except IsADirectoryError:
            raise unsafe(d.join(name), "not a regular file") from None
        except FileNotFoundError:
            if not create:
                return None
        tick("open")
        try:
            fd = _open_file(d, name, os.O_RDWR | os.O_CREAT | os.O_EXCL | NONBLOCK, mode)
        except FileExistsError:
            continue  # made by another process meanwhile: open that one
        observe("create", path=d.join(name), fd=fd)
        try:
            if not WINDOWS:
                tick("fchmod")
                os.fchmod(fd, mode)  # exact mode, whatever the umask
        except BaseException:
            os.close(fd)
            raise
        return fd
    raise unsafe(d.join(name), "keeps appearing and vanishing")  # pragma: no cover


#: How long a lock is waited for before the wait notice (if any) is given.
WAIT_NOTICE_AFTER = 1.0
_wait_notice: Callable[[str, list[int]], None] | None = None


def set_wait_notice(notice: Callable[[str, list[int]], None] | None) -> None:
    """Install (or with None, remove) what is told, once per lock taken, that
    the store lock has been waited for :data:`WAIT_NOTICE_AFTER` seconds:
    ``notice(lock path, pids holding it where known)``. The command line uses
    it to say what it waits for instead of hanging silently."""
    global _wait_notice
    _wait_notice = notice


def lock_holders(fd: int) -> list[int]:
    """The processes holding a lock on the file open as ``fd``, as Linux's
    ``/proc/locks`` lists them; [] where that is not known."""
    try:
        tick("fstat")
        st = os.fstat(fd)
        tick("open")
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    inode = f":{st.st_ino}"
    pids = set()
    for line in lines:
        fields = line.split()
        if "->" in fields:  # a waiter, not a holder
            continue
        if len(fields) >= 6 and fields[5].endswith(inode) and fields[4].isdigit():
            pids.add(int(fields[4]))
    return sorted(pids - {os.getpid()})


def _wait_lock(fd: int, exclusive: bool, deadline: float, path: str, timeout: float,
               starving: Callable[[], None] | None = None) -> None:
    """Take a lock on ``fd``, polling until ``deadline``; ``starving()`` is called
    on every retry (a writer closes the gate from there)."""
    _HELD.add(fd)  # before trying: a fork between the lock and this line is covered
    try:
        _wait_lock_held(fd, exclusive, deadline, path, timeout, starving)
    except BaseException:
        _HELD.discard(fd)
        raise


def _wait_lock_held(fd: int, exclusive: bool, deadline: float, path: str, timeout: float,
                    starving: Callable[[], None] | None = None) -> None:
    tick("lock")
    if _try_lock(fd, exclusive):
        return
    pause = 0.0005
    notice_at = time.monotonic() + WAIT_NOTICE_AFTER
    while True:
        if _wait_notice is not None and time.monotonic() >= notice_at:
            notice_at = float("inf")  # once per wait
            _wait_notice(path, lock_holders(fd))
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
        if starving is not None:
            starving()
        tick("lock")
        if _try_lock(fd, exclusive):
            return
        if time.monotonic() >= deadline:
            raise LockTimeoutError(f"could not take the store lock within {timeout:g} s",
                                   path=path)


class _Gate:
    """The fairness gate of one lock attempt (see :func:`lock`).

    The gate is a second lock file (``<lock>.gate``); whoever has waited
    :data:`GATE_AFTER` seconds holds it exclusively until it has the store
    lock, and marks the store's lock file meanwhile (its size is 1), so a
    newcomer, who looks at the lock file anyway, knows to wait at the gate;
    when the gate is open (size 0) newcomers pass without opening it.
    """

    __slots__ = ("d", "name", "lock_fd", "mode", "deadline", "path", "timeout", "started",
                 "held")

    def __init__(self, d: Dir, name: str, lock_fd: int, mode: int, deadline: float,
                 path: str, timeout: float, started: float) -> None:
        self.d, self.name, self.lock_fd, self.mode = d, name, lock_fd, mode
        self.deadline, self.path, self.timeout, self.started = deadline, path, timeout, started
        self.held: int | None = None  # our descriptor of the gate, while we hold it closed

    def pass_through(self) -> None:
        """Wait until whoever closed the gate has had its turn."""
        g = _open_lock_file(self.d, self.name + GATE_SUFFIX, self.mode, create=False)
        if g is None:
            return
        try:
            tick("lock")
            if _try_lock(g, False):
                # Nobody holds the gate closed, so the mark is stale (its closer
                # died); clear it while no closer can mark (we hold it shared).
                _mark(self.lock_fd, 0)
            else:
                _wait_lock(g, False, self.deadline, self.path, self.timeout)
        except BaseException:
            os.close(g)
            raise
        unlock(g)

    def close_if_starving(self) -> None:
        """Called on every retry: close the gate once we have waited long enough."""
        if self.held is not None or time.monotonic() - self.started < GATE_AFTER:
            return
        try:
            g = _open_lock_file(self.d, self.name + GATE_SUFFIX, self.mode)
        except OSError:
            self.held = -1  # cannot be made (a read-only store): wait without it
            return
        try:
            _wait_lock(g, True, self.deadline, self.path, self.timeout)
        except BaseException:
            os.close(g)
            raise
        self.held = g
        _mark(self.lock_fd, 1)

    def reopen(self) -> None:
        """Let the newcomers in again (after our turn came, or we gave up)."""
        if self.held is not None and self.held >= 0:
            _mark(self.lock_fd, 0)
            unlock(self.held)
        self.held = None


def _mark(lock_fd: int, size: int) -> None:
    """Set the gate mark (the lock file's size); a read-only lock file cannot
    carry it, and then newcomers simply do not wait at the gate."""
    try:
        tick("ftruncate")
        os.ftruncate(lock_fd, size)
    except OSError:
        pass


def lock(d: Dir, name: str, *, exclusive: bool, timeout: float, mode: int = 0o600) -> int:
    """Take the store lock on the file ``name`` in ``d``; return its descriptor.

    The lock file is opened without ``O_TRUNC`` and without following links,
    and is never renamed or deleted, so every process locks the same inode.
    A new lock file gets ``mode`` exactly; anything but a regular file there
    (a FIFO, a folder) is :class:`UnsafePathError`, and is opened with
    ``O_NONBLOCK`` so it cannot hang the open.
    ``flock`` belongs to the open file description: an unrelated ``close()``
    elsewhere in the process cannot drop it, and two threads exclude each
    other. Raises :class:`LockTimeoutError` after ``timeout`` seconds.

    No one waits for ever while others come and go: whoever still waits after
    :data:`GATE_AFTER` seconds closes the gate (see :class:`_Gate`) until it
    has the store lock, and newcomers wait at a closed gate before trying
    the store lock. Those holding the lock finish, newcomers wait at the
    gate, the one who waited goes. Three calls when nobody waits: open,
    fstat, flock.
    """
    started = time.monotonic()
    deadline = started + timeout
    path = d.join(name)
    fd = _open_lock_file(d, name, mode)
    gate = _Gate(d, name, fd, mode, deadline, path, timeout, started)
    try:
        tick("fstat")
        st = os.fstat(fd)
        if not _stat.S_ISREG(st.st_mode):
            raise unsafe(path, "not a regular file")
        if st.st_size:  # someone closed the gate: let it have its turn first
            gate.pass_through()
        _wait_lock(fd, exclusive, deadline, path, timeout, gate.close_if_starving)
    except BaseException:
        gate.reopen()
        os.close(fd)
        raise
    gate.reopen()
    return fd


def unlock(fd: int) -> None:
    """Release a lock taken by :func:`lock` and close its descriptor."""
    try:
        _release(fd)
    finally:
        _HELD.discard(fd)
        os.close(fd)
        observe("close", fd=fd)
