"""The one I/O layer: every filesystem call of the package goes through here.

Why one layer:

* **Fault injection.** Each system call first calls :func:`_tick` with its
  name; tests install :data:`fault_hook` to fail the k-th call with an
  ``OSError`` or to simulate a crash (an exception the store must not catch).
* **Containment.** Inside the store root, names are opened relative to an
  open folder descriptor with ``O_NOFOLLOW`` (``openat``-style), so a symlink
  planted at a folder, a file, the lock or a temporary name is never followed
  and there is no check-then-open race. The caller's root path itself is
  resolved once, as given.
* **One recipe for writes.** New files are created with ``O_CREAT|O_EXCL``,
  written whole, fsynced, then renamed over their target; the folder is
  fsynced afterwards (on POSIX). A failed write removes its temporary file
  and re-raises the original error; an exception that is not an ``Exception``
  (a simulated crash) leaves everything as a dead process would.

Windows is supported on a best-effort basis: no folder descriptors (names
are joined and checked with ``lstat`` instead), no folder fsync, exclusive
``msvcrt.locking`` for both readers and writers, and bounded retries of
``os.replace`` on sharing violations. The test suite runs on POSIX.
"""

from __future__ import annotations

import errno
import os
import stat as _stat
import sys
import time
from typing import Callable, NamedTuple

from .errors import CorruptDataError, LockTimeoutError, UnsafePathError

__all__ = [
    "Dir",
    "Sig",
    "fault_hook",
    "open_root",
    "open_dir",
    "close_dir",
    "read_file",
    "peek_file",
    "stat_entry",
    "write_new",
    "replace",
    "unlink",
    "remove_tree",
    "write_file",
    "fsync_dir",
    "list_dir",
    "stat_dir",
    "entry_stat",
    "lock",
    "unlock",
]

WINDOWS = sys.platform == "win32"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)

#: Installed by tests: called with the name of each system call before it runs.
fault_hook: Callable[[str], None] | None = None
#: Installed by tests: called after each call that changes the filesystem has
#: succeeded, with its kind and details (paths, descriptor, bytes written), so
#: a power-loss simulator can rebuild what a crash could leave. Kinds:
#: ``mkdir``/``rmdir``/``unlink`` (path), ``rename`` (src, dst), ``create``
#: (path, fd), ``write`` (fd, data), ``fsync`` (fd), ``close`` (fd),
#: ``fsync_dir`` (path, fd: the folder's path may be stale once it was moved,
#: as ``_commit`` moves a folder it removes; the descriptor never is).
observer: Callable[[str, dict], None] | None = None


def _tick(name: str) -> None:
    hook = fault_hook
    if hook is not None:
        hook(name)


def _observe(kind: str, **details) -> None:
    seen = observer
    if seen is not None:
        seen(kind, details)


class Sig(NamedTuple):
    """What identifies one version of a file: size, mtime (ns) and inode."""

    size: int
    mtime_ns: int
    ino: int

    @classmethod
    def of(cls, st: os.stat_result) -> "Sig":
        return cls(st.st_size, st.st_mtime_ns, st.st_ino)


class Dir:
    """An open folder of the store (a descriptor on POSIX, a path on Windows).

    The path is only for messages and is worked out when first asked for.
    """

    __slots__ = ("fd", "_parent", "_name", "_path")

    def __init__(self, fd: int, path: str | None, parent: "Dir | None" = None,
                 name: str = "") -> None:
        self.fd = fd
        self._path = path
        self._parent = parent
        self._name = name

    @property
    def path(self) -> str:
        if self._path is None:
            self._path = os.path.join(self._parent.path, self._name)
        return self._path

    def join(self, name: str) -> str:
        """The path of ``name`` in this folder, for messages and for Windows."""
        _check_name(self, name)
        return os.path.join(self.path, name)

    def __repr__(self) -> str:
        return f"Dir({self.path!r})"


def _check_name(d: Dir, name: str) -> None:
    """Refuse any ``name`` but one plain entry of ``d``.

    Every function here takes an entry name and checks it first, so no
    name - not even one read back from a damaged commit record - reaches
    outside its folder (``..``, ``a/b``, an absolute path, NUL).
    """
    if (type(name) is not str or not name or name in (".", "..") or "/" in name
            or "\0" in name or (WINDOWS and ("\\" in name or ":" in name))):
        raise UnsafePathError(f"refused: {name!r} is not a plain file name",
                              path=os.path.join(d.path, str(name)))


def _unsafe(path: str, what: str = "is a symlink") -> UnsafePathError:
    return UnsafePathError(f"refused: {what}; the store does not follow links", path=path)


# -- folders -----------------------------------------------------------------


def open_root(path: str, *, create: bool, mode: int = 0o700) -> Dir | None:
    """Open the store root (following the caller's own path as given).

    A root made here gets ``mode`` exactly (the umask would narrow it);
    missing parents are made with the default mode, as ``mkdir -p`` does.
    """
    created = False
    if create:
        _tick("mkdir")
        try:
            os.mkdir(path, mode)
            created = True
        except FileExistsError:
            pass
        except FileNotFoundError:
            os.makedirs(path, mode=mode, exist_ok=True)
            created = True
        if created:
            _observe("mkdir", path=path)
    if WINDOWS:
        _tick("stat")
        if not os.path.isdir(path):
            return None
        return Dir(-1, path)
    _tick("open")
    try:
        fd = os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except FileNotFoundError:
        return None
    if created:
        _fchmod_dir(fd, mode)
    return Dir(fd, path)


def _fchmod_dir(fd: int, mode: int) -> None:
    """Give a folder we just made its exact mode (``mkdir`` applies the umask)."""
    _tick("fchmod")
    try:
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise


def open_dir(parent: Dir, name: str, *, create: bool = False, mode: int = 0o700,
             durable: bool = True) -> Dir | None:
    """Open the sub-folder ``name`` of ``parent`` without following a link.

    With ``create``, make it when missing (and fsync ``parent`` so the new
    entry survives a power cut). Returns None when missing and not created.
    """
    if WINDOWS:
        return _open_dir_by_path(parent, name, create=create, mode=mode, durable=durable)
    _check_name(parent, name)
    flags = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
    created = False
    for attempt in (0, 1):
        _tick("open")
        try:
            fd = os.open(name, flags, dir_fd=parent.fd)
        except FileNotFoundError:
            if not create or attempt:
                return None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                st = os.stat(name, dir_fd=parent.fd, follow_symlinks=False)
                if _stat.S_ISLNK(st.st_mode):
                    raise _unsafe(parent.join(name)) from None
                raise CorruptDataError("expected a folder, found something else",
                                       path=parent.join(name)) from None
            raise
        else:
            if created:
                _fchmod_dir(fd, mode)
            return Dir(fd, None, parent, name)
        _tick("mkdir")
        try:
            os.mkdir(name, mode, dir_fd=parent.fd)
        except FileExistsError:
            continue  # made by someone else meanwhile, or not a folder: see above
        _observe("mkdir", path=parent.join(name))
        created = True
        if durable:
            fsync_dir(parent)
    return None  # pragma: no cover - the loop always returns


def _open_dir_by_path(parent: Dir, name: str, *, create: bool, mode: int,
                      durable: bool) -> Dir | None:  # pragma: no cover - Windows
    path = parent.join(name)
    if create:
        _tick("mkdir")
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            pass
    _tick("stat")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if _stat.S_ISLNK(st.st_mode) or getattr(st, "st_reparse_tag", 0):
        raise _unsafe(path)
    if not _stat.S_ISDIR(st.st_mode):
        raise CorruptDataError("expected a folder, found a file", path=path)
    return Dir(-1, path)


def close_dir(d: Dir | None) -> None:
    if d is not None and d.fd >= 0:
        os.close(d.fd)
        d.fd = -1


def fsync_dir(d: Dir) -> None:
    """Make the entries of ``d`` durable (a no-op where folders cannot be synced)."""
    if WINDOWS:
        return
    _tick("fsync_dir")
    os.fsync(d.fd)
    _observe("fsync_dir", path=d.path, fd=d.fd)


def stat_dir(d: Dir) -> os.stat_result:
    """``fstat`` of an open folder (its mtime changes when an entry is added,
    removed or renamed)."""
    _tick("fstat")
    return os.stat(d.path) if WINDOWS else os.fstat(d.fd)


def entry_stat(entry: os.DirEntry) -> os.stat_result:
    """``lstat`` of a listed entry (does not follow links)."""
    _tick("stat")
    return entry.stat(follow_symlinks=False)


def list_dir(d: Dir) -> list[os.DirEntry]:
    """The entries of ``d`` (``DirEntry`` objects; ``is_file`` etc. do not follow links)."""
    _tick("scandir")
    with os.scandir(d.path if WINDOWS else d.fd) as it:
        return list(it)


# -- files -------------------------------------------------------------------


def _open_file(d: Dir, name: str, flags: int, mode: int = 0o600) -> int:
    if WINDOWS:
        path = d.join(name)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            pass
        else:
            if _stat.S_ISLNK(st.st_mode) or getattr(st, "st_reparse_tag", 0):
                raise _unsafe(path)
        return os.open(path, flags | _BINARY, mode)
    _check_name(d, name)
    try:
        return os.open(name, flags | _NOFOLLOW | _CLOEXEC, mode, dir_fd=d.fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _unsafe(d.join(name)) from None
        if exc.errno == errno.EEXIST and _is_link(d, name):
            # O_CREAT|O_EXCL reports a link (even a dangling one) as EEXIST;
            # nothing was created at its target, and the caller learns why.
            raise _unsafe(d.join(name)) from None
        raise


def _is_link(d: Dir, name: str) -> bool:
    try:
        return _stat.S_ISLNK(os.stat(name, dir_fd=d.fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def read_file(d: Dir, name: str, limit: int) -> tuple[bytes, Sig] | None:
    """Read the regular file ``name`` whole; None when it does not exist.

    The size is checked with ``fstat`` before reading and again while
    reading, so neither a huge (or sparse) file nor one that grows during
    the read is ever loaded past ``limit``. A folder, FIFO or device where a
    file should be is :class:`CorruptDataError`; a symlink is
    :class:`UnsafePathError`. Opening uses ``O_NONBLOCK`` so a FIFO never hangs.
    """
    _tick("open")
    try:
        fd = _open_file(d, name, os.O_RDONLY | _NONBLOCK)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise CorruptDataError("expected a file, found a folder", path=d.join(name)) from None
    try:
        _tick("fstat")
        st = os.fstat(fd)
        if not _stat.S_ISREG(st.st_mode):
            kind = "a folder" if _stat.S_ISDIR(st.st_mode) else "a special file"
            raise CorruptDataError(f"expected a file, found {kind}", path=d.join(name))
        if st.st_size > limit:
            raise CorruptDataError(
                f"file of {st.st_size} bytes exceeds the byte limit of {limit}",
                path=d.join(name)
            )
        chunks = []
        total = 0
        want = st.st_size + 1
        while True:
            _tick("read")
            chunk = os.read(fd, max(want, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise CorruptDataError(
                    f"file grew past the byte limit of {limit} while being read",
                    path=d.join(name)
                )
            want = 65536
        return b"".join(chunks), Sig.of(st)
    finally:
        os.close(fd)


def peek_file(d: Dir, name: str, nbytes: int) -> bytes | None:
    """The first ``nbytes`` of a regular file, or None when it does not exist."""
    path = d.join(name)
    _tick("open")
    try:
        fd = _open_file(d, name, os.O_RDONLY | _NONBLOCK)
    except (FileNotFoundError, IsADirectoryError):
        return None
    try:
        _tick("fstat")
        if not _stat.S_ISREG(os.fstat(fd).st_mode):
            raise CorruptDataError("expected a file, found something else", path=path)
        _tick("read")
        return os.read(fd, nbytes)
    finally:
        os.close(fd)


def stat_entry(d: Dir, name: str) -> os.stat_result | None:
    """``lstat`` of ``name`` in ``d``; None when missing."""
    _check_name(d, name)
    _tick("stat")
    try:
        if WINDOWS:
            return os.lstat(d.join(name))
        return os.stat(name, dir_fd=d.fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def write_new(d: Dir, name: str, data: bytes, *, mode: int = 0o600, durable: bool = True) -> Sig:
    """Create ``name`` (which must not exist), write ``data``, fsync, close.

    On an error the partial file is removed and the original error re-raised.
    Returns the new file's :class:`Sig` (kept by a later rename).
    """
    _tick("open")
    fd = _open_file(d, name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    _observe("create", path=d.join(name), fd=fd)
    try:
        if not WINDOWS:
            _tick("fchmod")
            os.fchmod(fd, mode)  # exact mode, whatever the umask
        view = memoryview(data)
        while view:
            _tick("write")
            written = os.write(fd, view)
            if observer is not None:
                _observe("write", fd=fd, data=bytes(view[:written]))
            view = view[written:]
        if durable:
            _tick("fsync")
            os.fsync(fd)
            _observe("fsync", fd=fd)
        _tick("fstat")
        sig = Sig.of(os.fstat(fd))
    except Exception:
        os.close(fd)
        _observe("close", fd=fd)
        try:
            unlink(d, name)
        except Exception:
            pass  # left for recovery, which sweeps temporary names
        raise
    os.close(fd)
    _observe("close", fd=fd)
    return sig


#: Windows refusals that mean "a program holds the file open": access denied (5),
#: sharing violation (32), lock violation (33). Readers, antivirus scanners and
#: indexers cause them for a moment; they are retried, nothing else is.
_WIN_RETRY_ERRORS = (5, 32, 33)
#: How many times a refused rename is tried, and the first pause (doubled each
#: time): 6 attempts over 0.155 s.
REPLACE_ATTEMPTS = 6
REPLACE_PAUSE = 0.005


def replace(src_dir: Dir, src: str, dst_dir: Dir, dst: str) -> None:
    """Atomically rename ``src`` over ``dst`` (a link at ``dst`` is replaced, not followed).

    A Windows refusal because a file is open elsewhere (``PermissionError``
    with ``winerror`` 5, 32 or 33) is retried :data:`REPLACE_ATTEMPTS` times
    with doubling pauses; past that budget a ``PermissionError`` naming the
    target is raised and nothing was renamed. Every other error is raised at
    once. The loop is the same on every platform so that tests can inject
    such refusals on POSIX through :data:`fault_hook`.
    """
    _check_name(src_dir, src)
    _check_name(dst_dir, dst)
    pause = REPLACE_PAUSE
    for attempt in range(1, REPLACE_ATTEMPTS + 1):
        try:
            _tick("replace")
            if WINDOWS:
                os.replace(src_dir.join(src), dst_dir.join(dst))
            else:
                os.replace(src, dst, src_dir_fd=src_dir.fd, dst_dir_fd=dst_dir.fd)
            _observe("rename", src=src_dir.join(src), dst=dst_dir.join(dst))
            return
        except PermissionError as exc:
            winerror = getattr(exc, "winerror", None)
            if winerror not in _WIN_RETRY_ERRORS:
                raise
            if attempt == REPLACE_ATTEMPTS:
                err = PermissionError(
                    exc.errno, f"the file is still in use by another program after "
                    f"{REPLACE_ATTEMPTS} attempts to replace it ({exc.strerror}); "
                    "nothing was replaced", dst_dir.join(dst))
                err.winerror = winerror
                raise err from exc
        time.sleep(pause)
        pause *= 2


def unlink(d: Dir, name: str) -> bool:
    """Remove the file (or link) ``name``; False when it was not there."""
    _check_name(d, name)
    _tick("unlink")
    try:
        if WINDOWS:
            os.unlink(d.join(name))
        else:
            os.unlink(name, dir_fd=d.fd)
    except FileNotFoundError:
        return False
    _observe("unlink", path=d.join(name))
    return True


def remove_tree(d: Dir, name: str) -> bool:
    """Remove the folder ``name`` and everything in it, never following links.

    A link (or a file) at ``name`` itself is removed as it is: its target is
    never touched, and a removal that a commit record promised always ends.
    No recursion and two open folders at most, however deep the tree: each
    sub-folder is first renamed up into ``d`` (``name.1.rm``, ``name.2.rm``...)
    and emptied from there. ``d`` is a folder of the store's own (``tx/``,
    ``tmp/``) whose leftovers recovery sweeps, so a crash midway loses
    nothing that was meant to stay.
    """
    pending = [name]
    moved = 0
    removed = False
    while pending:
        current = pending.pop()
        try:
            sub = open_dir(d, current)
        except (UnsafePathError, CorruptDataError):
            removed |= unlink(d, current)
            continue
        if sub is None:
            continue
        try:
            for entry in list_dir(sub):
                if entry.is_dir(follow_symlinks=False):
                    piece = None
                    while piece is None or stat_entry(d, piece) is not None:
                        moved += 1
                        piece = f"{name[:64]}.{moved}.rm"
                    replace(sub, entry.name, d, piece)
                    pending.append(piece)
                else:
                    unlink(sub, entry.name)
        finally:
            close_dir(sub)
        _tick("rmdir")
        try:
            if WINDOWS:
                os.rmdir(d.join(current))
            else:
                os.rmdir(current, dir_fd=d.fd)
        except FileNotFoundError:
            continue
        _observe("rmdir", path=d.join(current))
        removed = True
    return removed


def write_file(path: str, data: bytes, *, mode: int = 0o600) -> None:
    """Atomically write ``data`` as the file ``path`` outside any store (an export).

    A temporary file beside it, fsync, rename, fsync the folder: a reader of
    ``path`` sees the old file or the new one, never a torn one. A file that
    exists keeps its mode; a new one gets ``mode``. The folder must exist.
    """
    folder, name = os.path.split(os.path.abspath(path))
    d = open_root(folder, create=False)
    if d is None:
        raise FileNotFoundError(errno.ENOENT, "folder does not exist", folder)
    try:
        st = stat_entry(d, name)
        if st is not None and _stat.S_ISREG(st.st_mode):
            mode = st.st_mode & 0o777
        tmp = f".{name[:100]}.{os.getpid()}.{time.time_ns():x}.tmp"
        write_new(d, tmp, data, mode=mode)
        try:
            replace(d, tmp, d, name)
        except Exception:
            unlink(d, tmp)
            raise
        fsync_dir(d)
    finally:
        close_dir(d)


# -- locks -------------------------------------------------------------------

if WINDOWS:  # pragma: no cover - exercised on Windows only
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


#: Whoever waits this long for the store lock closes the gate: those who come
#: after wait until it has had its turn. Without it, readers that keep the
#: shared lock taken between them can hold a writer off until its timeout
#: (6 looping reader processes timed a 2 s writer out 17 times in 20), and
#: writers back to back can do the same to a reader.
GATE_AFTER = 0.05
GATE_SUFFIX = ".gate"


def _open_lock_file(d: Dir, name: str, mode: int, *, create: bool = True) -> int | None:
    """Open a lock file of the store (None when missing and not ``create``)."""
    _tick("open")
    try:
        if not create:
            raise FileExistsError
        fd = _open_file(d, name, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NONBLOCK, mode)
    except (FileExistsError, PermissionError):
        try:
            try:
                fd = _open_file(d, name, os.O_RDWR | _NONBLOCK)
            except PermissionError:
                fd = _open_file(d, name, os.O_RDONLY | _NONBLOCK)  # read-only: shared use
        except FileNotFoundError:
            if create:
                raise
            return None
        except IsADirectoryError:
            raise _unsafe(d.join(name), "not a regular file") from None
    else:
        _observe("create", path=d.join(name), fd=fd)
        if not WINDOWS:
            _tick("fchmod")
            os.fchmod(fd, mode)  # exact mode, whatever the umask
    try:
        _tick("fstat")
        if not _stat.S_ISREG(os.fstat(fd).st_mode):
            raise _unsafe(d.join(name), "not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _wait_lock(fd: int, exclusive: bool, deadline: float, path: str, timeout: float,
               starving=None) -> None:
    """Take a lock on ``fd``, polling until ``deadline``; ``starving()`` is called
    on every retry (a writer closes the gate from there)."""
    _tick("lock")
    if _try_lock(fd, exclusive):
        return
    pause = 0.0005
    while True:
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
        if starving is not None:
            starving()
        _tick("lock")
        if _try_lock(fd, exclusive):
            return
        if time.monotonic() >= deadline:
            raise LockTimeoutError(f"could not take the store lock within {timeout:g} s",
                                   path=path)


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
    :data:`GATE_AFTER` seconds takes a second lock, the gate (``name`` +
    ``.gate``, made then), exclusively until it has the store lock, and
    everyone passes the gate (takes and drops it, shared) before trying the
    store lock. Those holding the lock finish, newcomers wait at the gate,
    the one who waited goes.
    """
    started = time.monotonic()
    deadline = started + timeout
    path = d.join(name)
    fd = _open_lock_file(d, name, mode)
    gate: list[int] = []

    def close_the_gate() -> None:
        if gate or time.monotonic() - started < GATE_AFTER:
            return
        try:
            g = _open_lock_file(d, name + GATE_SUFFIX, mode)
        except OSError:
            gate.append(-1)  # cannot be made (a read-only store): wait without it
            return
        try:
            _wait_lock(g, True, deadline, path, timeout)
        except BaseException:
            os.close(g)
            raise
        gate.append(g)

    try:
        g = _open_lock_file(d, name + GATE_SUFFIX, mode, create=False)
        if g is not None:  # someone had to wait once: pass the gate
            try:
                _wait_lock(g, False, deadline, path, timeout)
            except BaseException:
                os.close(g)
                raise
            unlock(g)
        _wait_lock(fd, exclusive, deadline, path, timeout, close_the_gate)
    except BaseException:
        os.close(fd)
        raise
    finally:
        if gate and gate[0] >= 0:
            unlock(gate[0])
    return fd


def unlock(fd: int) -> None:
    try:
        _release(fd)
    finally:
        os.close(fd)
        _observe("close", fd=fd)
