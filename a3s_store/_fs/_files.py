"""Reading and writing files of the store, and the one export outside it (part of ``_fs``).

One recipe for writes: new files are created with ``O_CREAT|O_EXCL``,
written whole, fsynced, then renamed over their target; the folder is
fsynced afterwards (on POSIX). A failed write removes its temporary file and
re-raises the original error; an exception that is not an ``Exception`` (a
simulated crash) leaves everything as a dead process would.
"""

from __future__ import annotations

import errno
import os
import stat as _stat
import time

from ..errors import CorruptDataError, UnsafePathError
from . import _seam as _tunables
from ._dirs import Dir, check_name, close_dir, fsync_dir, list_dir, open_dir, open_root, unsafe
from ._seam import (
    BINARY,
    CLOEXEC,
    NOFOLLOW,
    NONBLOCK,
    WINDOWS,
    Sig,
    observe,
    tick,
)

__all__ = ["read_file", "read_small", "peek_file", "stat_entry", "write_new", "replace",
           "unlink", "remove_tree", "write_file"]


def _open_file(d: Dir, name: str, flags: int, mode: int = 0o600) -> int:
    if WINDOWS:
        path = d.join(name)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            pass
        else:
            if _stat.S_ISLNK(st.st_mode) or getattr(st, "st_reparse_tag", 0) != 0:
                raise unsafe(path)
        return os.open(path, flags | BINARY, mode)
    name = check_name(d, name)
    try:
        return os.open(name, flags | NOFOLLOW | CLOEXEC, mode, dir_fd=d.fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise unsafe(d.join(name)) from None
        if exc.errno == errno.EEXIST and _is_link(d, name):
            # O_CREAT|O_EXCL reports a link (even a dangling one) as EEXIST;
            # nothing was created at its target, and the caller learns why.
            raise unsafe(d.join(name)) from None
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
    tick("open")
    try:
        fd = _open_file(d, name, os.O_RDONLY | NONBLOCK)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise CorruptDataError("expected a file, found a folder", path=d.join(name)) from None
    try:
        tick("fstat")
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
            tick("read")
            chunk = os.read(fd, want)
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise CorruptDataError(
                    f"file grew past the byte limit of {limit} while being read",
                    path=d.join(name)
                )
            if len(chunk) < want:
                break  # a short read of a regular file is its end: no read to confirm it
            want = 65536  # it grew while being read: read on, up to the limit
        return b"".join(chunks), Sig.of(st)
    finally:
        os.close(fd)


def read_small(d: Dir, name: str, limit: int) -> bytes | None:
    """The whole of a small file of the store's own (a cache or metadata
    record) in one read, or None when it is missing, not a regular file or
    larger than ``limit``: such a record is rebuilt, never trusted.

    Two calls (open, read) where :func:`read_file` makes four: it needs no
    size check up front, because it never reads more than ``limit + 1``.
    """
    tick("open")
    try:
        fd = _open_file(d, name, os.O_RDONLY | NONBLOCK)
    except (FileNotFoundError, IsADirectoryError, UnsafePathError):
        return None
    try:
        tick("read")
        data = os.read(fd, limit + 1)
    except (IsADirectoryError, BlockingIOError):
        return None  # a folder or FIFO in its place: not a record of ours
    finally:
        os.close(fd)
    return data if len(data) <= limit else None


def peek_file(d: Dir, name: str, nbytes: int) -> bytes | None:
    """The first ``nbytes`` of a regular file, or None when it does not exist."""
    path = d.join(name)
    tick("open")
    try:
        fd = _open_file(d, name, os.O_RDONLY | NONBLOCK)
    except (FileNotFoundError, IsADirectoryError):
        return None
    try:
        tick("fstat")
        if not _stat.S_ISREG(os.fstat(fd).st_mode):
            raise CorruptDataError("expected a file, found something else", path=path)
        tick("read")
        return os.read(fd, nbytes)
    finally:
        os.close(fd)


def stat_entry(d: Dir, name: str) -> os.stat_result | None:
    """``lstat`` of ``name`` in ``d``; None when missing."""
    name = check_name(d, name)
    tick("stat")
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
    tick("open")
    fd = _open_file(d, name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    observe("create", path=d.join(name), fd=fd)
    try:
        if not WINDOWS:
            tick("fchmod")
            os.fchmod(fd, mode)  # exact mode, whatever the umask
        view = memoryview(data)
        while view:
            tick("write")
            written = os.write(fd, view)
            if _tunables.observer is not None:  # copy the bytes only for a listener
                observe("write", fd=fd, data=bytes(view[:written]))
            view = view[written:]
        if durable:
            tick("fsync")
            os.fsync(fd)
            observe("fsync", fd=fd)
        tick("fstat")
        sig = Sig.of(os.fstat(fd))
    except Exception:
        os.close(fd)
        observe("close", fd=fd)
        try:
            unlink(d, name)
        except Exception:
            pass  # left for recovery, which sweeps temporary names
        raise
    os.close(fd)
    observe("close", fd=fd)
    return sig


#: Windows refusals that mean "a program holds the file open": access denied (5),
#: sharing violation (32), lock violation (33). Readers, antivirus scanners and
#: indexers cause them for a moment; they are retried, nothing else is.
_WIN_RETRY_ERRORS = (5, 32, 33)


def replace(src_dir: Dir, src: str, dst_dir: Dir, dst: str) -> None:
    """Atomically rename ``src`` over ``dst`` (a link at ``dst`` is replaced, not followed).

    A Windows refusal because a file is open elsewhere (``PermissionError``
    with ``winerror`` 5, 32 or 33) is retried ``_fs.REPLACE_ATTEMPTS`` times
    with doubling pauses; past that budget a ``PermissionError`` naming the
    target is raised and nothing was renamed. Every other error is raised at
    once. The loop is the same on every platform so that tests can inject
    such refusals on POSIX through ``_fs.hooks.fault_hook``.
    """
    src = check_name(src_dir, src)
    dst = check_name(dst_dir, dst)
    attempts = _tunables.REPLACE_ATTEMPTS  # read at each call: tests shorten them
    pause = _tunables.REPLACE_PAUSE
    for attempt in range(1, attempts + 1):
        try:
            tick("replace")
            if WINDOWS:
                os.replace(src_dir.join(src), dst_dir.join(dst))
            else:
                os.replace(src, dst, src_dir_fd=src_dir.fd, dst_dir_fd=dst_dir.fd)
            observe("rename", src=src_dir.join(src), dst=dst_dir.join(dst))
            return
        except PermissionError as exc:
            winerror = getattr(exc, "winerror", None)
            if winerror not in _WIN_RETRY_ERRORS:
                raise
            if attempt == attempts:
                err = PermissionError(
                    exc.errno, f"the file is still in use by another program after "
                    f"{attempts} attempts to replace it ({exc.strerror}); "
                    "nothing was replaced", dst_dir.join(dst))
                err.winerror = winerror  # type: ignore[attr-defined]  # a Windows-only attribute
                raise err from exc
        time.sleep(pause)
        pause *= 2


def unlink(d: Dir, name: str) -> bool:
    """Remove the file (or link) ``name``; False when it was not there."""
    name = check_name(d, name)
    tick("unlink")
    try:
        if WINDOWS:
            os.unlink(d.join(name))
        else:
            os.unlink(name, dir_fd=d.fd)
    except FileNotFoundError:
        return False
    observe("unlink", path=d.join(name))
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
        tick("rmdir")
        try:
            if WINDOWS:
                os.rmdir(d.join(current))
            else:
                os.rmdir(current, dir_fd=d.fd)
        except FileNotFoundError:
            continue
        observe("rmdir", path=d.join(current))
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
