"""Open folders of the store, and the containment rules of every name (part of ``_fs``).

Inside the store root, names are opened relative to an open folder
descriptor with ``O_NOFOLLOW`` (``openat``-style), so a symlink planted at a
folder is never followed and there is no check-then-open race; every name
is checked to be one plain entry first.
"""

from __future__ import annotations

import errno
import os
import stat as _stat
from typing import cast

from ..errors import CorruptDataError, UnsafePathError
from . import _seam
from ._seam import (
    CLOEXEC,
    DIRECTORY,
    NOFOLLOW,
    WINDOWS,
    observe,
    tick,
)

__all__ = ["Dir", "check_name", "unsafe", "open_root", "open_dir", "close_dir", "fsync_dir",
           "stat_dir", "entry_stat", "list_dir"]


class Dir:
    """An open folder of the store (a descriptor on POSIX, a path on Windows).

    The path is only for messages and is worked out when first asked for.
    """

    __slots__ = ("fd", "_parent", "_name", "_path")

    def __init__(self, fd: int, path: str | None, parent: Dir | None = None,
                 name: str = "") -> None:
        self.fd = fd
        self._path = path
        self._parent = parent
        self._name = name

    @property
    def path(self) -> str:
        if self._path is None:
            # a Dir made without its path always has a parent
            self._path = os.path.join(cast(Dir, self._parent).path, self._name)
        return self._path

    def join(self, name: str) -> str:
        """The path of ``name`` in this folder, for messages and for Windows."""
        check_name(self, name)
        return os.path.join(self.path, name)

    def __repr__(self) -> str:
        return f"Dir({self.path!r})"


def check_name(d: Dir, name: str) -> str:
    """Refuse any ``name`` but one plain entry of ``d``.

    Every function here takes an entry name and checks it first, so no
    name - not even one read back from a damaged commit record - reaches
    outside its folder (``..``, ``a/b``, an absolute path, NUL). Returns the
    name to use (on a simulated case-insensitive disk, the entry it means).
    """
    if (type(name) is not str or not name or name in (".", "..") or "/" in name
            or "\0" in name or (WINDOWS and ("\\" in name or ":" in name))):
        raise UnsafePathError(f"refused: {name!r} is not a plain file name",
                              path=os.path.join(d.path, str(name)))
    if _seam.case_insensitive and not WINDOWS:  # a simulated macOS or Windows disk
        return _seam.fold_name(os.listdir(d.fd), name)
    return name


def unsafe(path: str, what: str = "is a symlink") -> UnsafePathError:
    return UnsafePathError(f"refused: {what}; the store does not follow links", path=path)


# -- folders -----------------------------------------------------------------


def open_root(path: str, *, create: bool, mode: int = 0o700,
              durable: bool = False) -> Dir | None:
    """Open the store root (following the caller's own path as given).

    With ``create``, a missing root and its missing parents are made, as
    ``mkdir -p`` does; the root gets ``mode`` exactly (the umask would narrow
    it), the parents the default mode. With ``durable``, each new folder is
    fsynced into its parent, so the first saves into a new store survive a
    power cut (a new entry is durable only once its folder is synced).
    """
    created = _make_folders(path, mode, durable) if create else False
    if WINDOWS:
        tick("stat")
        if not os.path.isdir(path):
            return None
        return Dir(-1, path)
    tick("open")
    try:
        fd = os.open(path, os.O_RDONLY | DIRECTORY | CLOEXEC)
    except FileNotFoundError:
        return None
    if created:
        _fchmod_dir(fd, mode)
    return Dir(fd, path)


def _make_folders(path: str, mode: int, durable: bool) -> bool:
    """Make ``path`` and its missing parents; whether ``path`` itself was made."""
    missing = []
    current = path
    while True:
        tick("mkdir")
        try:
            os.mkdir(current, mode if current == path else 0o777)
        except FileExistsError:
            if current == path:
                return False
            break  # made by someone else meanwhile: the rest are ours to make
        except FileNotFoundError:
            parent = os.path.dirname(current)
            if parent == current:
                raise
            missing.append(current)
            current = parent
            continue
        _made(current, durable)
        break
    for folder in reversed(missing):
        tick("mkdir")
        try:
            os.mkdir(folder, mode if folder == path else 0o777)
        except FileExistsError:
            continue
        _made(folder, durable)
    return True


def _made(folder: str, durable: bool) -> None:
    observe("mkdir", path=folder)
    if durable and not WINDOWS:
        parent = os.path.dirname(folder) or "."
        tick("open")
        fd = os.open(parent, os.O_RDONLY | DIRECTORY | CLOEXEC)
        try:
            tick("fsync_dir")
            os.fsync(fd)
            observe("fsync_dir", path=parent, fd=fd)
        finally:
            os.close(fd)


def _fchmod_dir(fd: int, mode: int) -> None:
    """Give a folder we just made its exact mode (``mkdir`` applies the umask)."""
    tick("fchmod")
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
    name = check_name(parent, name)
    flags = os.O_RDONLY | DIRECTORY | NOFOLLOW | CLOEXEC
    created = False
    for attempt in (0, 1):
        tick("open")
        try:
            fd = os.open(name, flags, dir_fd=parent.fd)
        except FileNotFoundError:
            if not create or attempt:
                return None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                st = os.stat(name, dir_fd=parent.fd, follow_symlinks=False)
                if _stat.S_ISLNK(st.st_mode):
                    raise unsafe(parent.join(name)) from None
                raise CorruptDataError("expected a folder, found something else",
                                       path=parent.join(name)) from None
            raise
        else:
            if created:
                _fchmod_dir(fd, mode)
            return Dir(fd, None, parent, name)
        tick("mkdir")
        try:
            os.mkdir(name, mode, dir_fd=parent.fd)
        except FileExistsError:
            continue  # made by someone else meanwhile, or not a folder: see above
        observe("mkdir", path=parent.join(name))
        created = True
        if durable:
            fsync_dir(parent)
    return None  # pragma: no cover - the loop always returns


def _open_dir_by_path(parent: Dir, name: str, *, create: bool, mode: int,
                      durable: bool) -> Dir | None:  # pragma: no cover - Windows
    path = parent.join(name)
    if create:
        tick("mkdir")
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            pass
    tick("stat")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if _stat.S_ISLNK(st.st_mode) or getattr(st, "st_reparse_tag", 0) != 0:
        raise unsafe(path)
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
    tick("fsync_dir")
    os.fsync(d.fd)
    observe("fsync_dir", path=d.path, fd=d.fd)


def stat_dir(d: Dir) -> os.stat_result:
    """``fstat`` of an open folder (its mtime changes when an entry is added,
    removed or renamed)."""
    tick("fstat")
    return os.stat(d.path) if WINDOWS else os.fstat(d.fd)


def entry_stat(entry: os.DirEntry[str]) -> os.stat_result:
    """``lstat`` of a listed entry (does not follow links)."""
    tick("stat")
    return entry.stat(follow_symlinks=False)


def list_dir(d: Dir) -> list[os.DirEntry[str]]:
    """The entries of ``d`` (``DirEntry`` objects; ``is_file`` etc. do not follow links)."""
    tick("scandir")
    with os.scandir(d.path if WINDOWS else d.fd) as it:
        return list(it)
