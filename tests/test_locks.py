"""The store lock: liveness after a holder's death, timeouts, and the close() trap.

A *holder* is a process (or thread) stopped in the middle of a real
``save_snapshot``, inside the exclusive lock (its fault hook waits at the
first rename).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from a3s_store import FileSessionStore, LockTimeoutError, _fs
from crashkit import gens_of, leftovers, snapshot_gen

fcntl = pytest.importorskip("fcntl")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX locks")
ROOT_OF_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_holder(root) -> int:
    """Fork a process that stops inside the exclusive lock; return its pid once it does."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        try:
            store = FileSessionStore(root)

            def hold(name):
                if name == "replace":
                    os.write(w, b"held")
                    time.sleep(3600)

            _fs.hooks.fault_hook = hold
            store.save_snapshot(snapshot_gen("s", 2))
        finally:
            os._exit(1)
    os.close(w)
    assert os.read(r, 4) == b"held"
    os.close(r)
    return pid


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def test_a_killed_holder_frees_the_lock_within_a_second(tmp_path):
    root = tmp_path / "store"
    FileSessionStore(root).save_snapshot(snapshot_gen("s", 1))
    pid = start_holder(root)
    try:
        with pytest.raises(LockTimeoutError):  # the lock is really held
            FileSessionStore(root, lock_timeout=0.2)
    finally:
        kill(pid)
    # The kernel releases the lock with the process: a one-second timeout suffices.
    store = FileSessionStore(root, lock_timeout=1.0)
    assert gens_of(store.load_snapshot("s")) in ({1}, {2})
    assert leftovers(root) == []
    store.save_snapshot(snapshot_gen("s", 3))
    assert gens_of(store.load_snapshot("s")) == {3}


def test_a_child_forked_while_the_lock_is_held_does_not_keep_it(tmp_path):
    # Regression: a process that forked (without exec) while holding the store
    # lock left the lock held by its child after the holder was killed: the
    # child had inherited the open file description that flock belongs to.
    root = tmp_path / "store"
    FileSessionStore(root).save_snapshot(snapshot_gen("s", 1))
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the holder
        os.close(r)
        try:
            store = FileSessionStore(root)

            def fork_inside(name):
                if name == "replace":
                    child = os.fork()
                    if child == 0:  # the child of the holder just lives on
                        time.sleep(3600)
                        os._exit(0)
                    os.write(w, str(child).encode())
                    time.sleep(3600)

            _fs.hooks.fault_hook = fork_inside
            store.save_snapshot(snapshot_gen("s", 2))
        finally:
            os._exit(1)
    os.close(w)
    child = int(os.read(r, 32))
    os.close(r)
    try:
        with pytest.raises(LockTimeoutError):  # the lock is really held
            FileSessionStore(root, lock_timeout=0.2)
        kill(pid)  # the holder dies; its child lives on
        store = FileSessionStore(root, lock_timeout=1.0)  # the lock is free at once
        assert gens_of(store.load_snapshot("s")) in ({1}, {2})
    finally:
        os.kill(child, signal.SIGKILL)
        for p in (pid, child):
            try:
                os.waitpid(p, 0)
            except ChildProcessError:
                pass  # not ours to reap (the holder's child) or reaped already


@pytest.mark.parametrize("what", ["save", "load"])
def test_a_held_lock_times_out_after_the_timeout_and_not_much_later(tmp_path, what):
    root = tmp_path / "store"
    store = FileSessionStore(root, lock_timeout=1.0)
    store.save_snapshot(snapshot_gen("s", 1))
    pid = start_holder(root)
    try:
        started = time.monotonic()
        with pytest.raises(LockTimeoutError) as info:
            if what == "save":
                store.save(snapshot_gen("s", 5).session)
            else:
                store.load("s")
        waited = time.monotonic() - started
    finally:
        kill(pid)
    assert 1.0 <= waited <= 1.1, waited
    assert "1 s" in str(info.value) and str(root) in str(info.value)
    assert isinstance(info.value, TimeoutError)


# -- the POSIX close() trap -------------------------------------------------------

def use_lockf(target) -> None:
    """Make ``target`` (the _fs module, or a monkeypatch of it) lock with lockf."""
    def try_lockf(fd, exclusive):
        try:
            fcntl.lockf(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    target.setattr(_fs._lock, "_try_lock", try_lockf)
    target.setattr(_fs._lock, "_release", lambda fd: fcntl.lockf(fd, fcntl.LOCK_UN))


_PROBE = textwrap.dedent("""
    import sys
    sys.path[:0] = [{package!r}, {tests!r}]
    from a3s_store import FileSessionStore, LockTimeoutError, _fs
    if {lockf!r}:
        import test_locks
        test_locks.use_lockf(type("Set", (), {{"setattr": staticmethod(setattr)}}))
    try:
        FileSessionStore({root!r}, lock_timeout=0.3).load("s")
    except LockTimeoutError:
        sys.exit(0)  # still excluded
    sys.exit(3)  # got in while a writer held the lock
""")


def exclusion_after_unrelated_closes(root, lockf: bool = False) -> dict:
    """Stop a writer thread inside the exclusive lock, then open and close the
    lock file and a data file from another thread; report whether another
    thread and another process are still kept out."""
    store = FileSessionStore(root)
    store.save_snapshot(snapshot_gen("s", 1))
    held, release = threading.Event(), threading.Event()
    writer = None

    def hook(name):
        if name == "replace" and threading.current_thread() is writer:
            held.set()
            release.wait(30)

    writer = threading.Thread(target=lambda: store.save_snapshot(snapshot_gen("s", 2)))
    previous, _fs.hooks.fault_hook = _fs.hooks.fault_hook, hook
    try:
        writer.start()
        assert held.wait(30)
        lock_path = os.path.join(root, ".a3s_store", "lock")
        for path in (lock_path, os.path.join(root, "s.json")):
            with open(path, "rb"):
                pass
            os.close(os.open(path, os.O_RDONLY))
        try:
            FileSessionStore(root, lock_timeout=0.3).load("s")
            thread_kept_out = False
        except LockTimeoutError:
            thread_kept_out = True
        probe = subprocess.run(
            [sys.executable, "-c", _PROBE.format(package=ROOT_OF_PACKAGE, root=str(root),
                                                 tests=os.path.dirname(__file__), lockf=lockf)],
            timeout=60)
        process_kept_out = probe.returncode == 0
        assert probe.returncode in (0, 3)
    finally:
        release.set()
        writer.join(30)
        _fs.hooks.fault_hook = previous
    final = gens_of(FileSessionStore(root).load_snapshot("s"))
    return {"thread": thread_kept_out, "process": process_kept_out, "final": final}


def test_closing_the_lock_file_elsewhere_keeps_the_writer_exclusive(tmp_path):
    assert exclusion_after_unrelated_closes(tmp_path / "store") == {
        "thread": True, "process": True, "final": {2}}


def test_the_close_trap_test_catches_lockf(tmp_path, monkeypatch):
    # With POSIX record locks (lockf) the same test must see exclusion fail:
    # threads of one process do not exclude each other, and any close() of
    # the lock file drops the process's lock.
    use_lockf(monkeypatch)
    got = exclusion_after_unrelated_closes(tmp_path / "store", lockf=True)
    assert got["thread"] is False and got["process"] is False, got


# -- fairness: readers cannot keep a writer out -------------------------------------


def _loop_reads(root, stop) -> None:  # pragma: no cover - runs in a child
    try:
        store = FileSessionStore(root)
        while not stop.is_set():
            store.load_snapshot("s")
    finally:
        os._exit(0)


def test_a_stream_of_readers_does_not_starve_a_writer(tmp_path):
    # Six processes that keep the shared lock taken between them used to hold
    # a writer off until its timeout (17 of 20 saves timed out at 2 s).
    import multiprocessing

    root = str(tmp_path / "store")
    FileSessionStore(root).save_snapshot(snapshot_gen("s", 1))
    ctx = multiprocessing.get_context("fork")
    stop = ctx.Event()
    readers = [ctx.Process(target=_loop_reads, args=(root, stop)) for _ in range(6)]
    for p in readers:
        p.start()
    try:
        time.sleep(0.3)  # the readers are busy
        writer = FileSessionStore(root, lock_timeout=2.0)
        timeouts = 0
        for gen in range(2, 12):
            try:
                writer.save_snapshot(snapshot_gen("s", gen))
            except LockTimeoutError:
                timeouts += 1
    finally:
        stop.set()
        for p in readers:
            p.join(30)
    assert timeouts == 0
    assert gens_of(FileSessionStore(root).load_snapshot("s")) == {11}
    assert os.path.isfile(os.path.join(root, ".a3s_store", "lock.gate"))  # it was needed


def test_a_link_at_the_gate_is_refused_not_followed(tmp_path):
    from a3s_store import UnsafePathError

    root = tmp_path / "store"
    FileSessionStore(root).save_snapshot(snapshot_gen("s", 1))
    outside = tmp_path / "outside"
    outside.write_bytes(b"not the store's")
    os.symlink(outside, root / ".a3s_store" / "lock.gate")
    FileSessionStore(root).load("s")  # the gate is open: nobody opens it
    os.truncate(root / ".a3s_store" / "lock", 1)  # a waiter closed the gate: it is used
    with pytest.raises(UnsafePathError):
        FileSessionStore(root).load("s")
    assert outside.read_bytes() == b"not the store's"
