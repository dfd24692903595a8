"""The open root of one store operation: its folders, its options, its reads (no policy).

A :class:`Layout` is what every layer above the I/O layer holds during one
operation: the root folder (open), the folders under it opened so far (and
those found missing, so none is probed twice), and the store's
:class:`Options`. It reads and stats; it never decides anything. The journal
(``_commit``) writes through it, the engine (``_engine``) makes one per
operation, the rules (``_session_files``) and the checker ask it questions.

Folders are tuples of names under the root: ``()`` is the root,
``("traces",)`` a category folder, ``(".a3s_store", "meta")`` ours.
"""

from __future__ import annotations

import enum
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, overload

from . import _fs
from .errors import CorruptDataError, UnsafePathError

__all__ = ["INTERNAL", "META", "QUARANTINE", "CACHE", "LOCK", "DEFAULT_MAX_FILE_BYTES",
           "Options", "Layout"]

#: The store's own folder under the root (a3s-code ignores it).
INTERNAL = ".a3s_store"
#: One small record per session: revision, file signatures, summary.
META = (INTERNAL, "meta")
#: Damaged files moved aside, never deleted.
QUARANTINE = (INTERNAL, "quarantine")
#: The listing index, written by readers too (so never with a writer's names).
CACHE = (INTERNAL, "cache")
#: The store's lock file in ``.a3s_store/`` (never renamed or deleted).
LOCK = "lock"

class _Missing(enum.Enum):
    """A folder looked for and not found, in the folder cache (or a stat not
    given); an enum so that type checkers narrow ``is _MISSING``."""

    MISSING = 0


_MISSING = _Missing.MISSING

#: Largest file the store reads or writes (the cap of newer a3s-code builds).
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Options:
    """What a store was opened with (see :class:`~a3s_store.FileSessionStore`)."""

    durable: bool = True
    file_mode: int = 0o600
    dir_mode: int = 0o700
    max_bytes: int = DEFAULT_MAX_FILE_BYTES
    lock_timeout: float = 30.0


class Layout:
    """The open root of one operation, its folders and its options."""

    __slots__ = ("root", "options", "_dirs")

    def __init__(self, root: _fs.Dir, options: Options) -> None:
        self.root = root
        self.options = options
        self._dirs: dict[tuple[str, ...], _fs.Dir | _Missing] = {}

    @property
    def durable(self) -> bool:
        return self.options.durable

    def path(self, folder: tuple[str, ...], name: str = "") -> str:
        """The full path of ``folder/name``, for messages."""
        return os.path.join(self.root.path, *folder, *([name] if name else []))

    # -- folders ------------------------------------------------------------------

    @overload
    def folder(self, parts: tuple[str, ...], *, create: Literal[True],
               durable: bool | None = None) -> _fs.Dir: ...
    @overload
    def folder(self, parts: tuple[str, ...], *, create: bool = False,
               durable: bool | None = None) -> _fs.Dir | None: ...

    def folder(self, parts: tuple[str, ...], *, create: bool = False,
               durable: bool | None = None) -> _fs.Dir | None:
        """The folder ``parts`` (opened once per operation); None when missing.

        With ``create``, missing folders are made (and fsynced into their
        parent in durable mode, unless ``durable=False``: a cache's folder).
        A folder found missing is remembered, so an operation never probes
        it twice unless it creates it.
        """
        if not parts:
            return self.root
        cached = self._dirs.get(parts)
        if cached is not None and (cached is not _MISSING or not create):
            return None if cached is _MISSING else cached
        durable = self.options.durable if durable is None else durable
        parent = self.folder(parts[:-1], create=create, durable=durable)
        if parent is None:
            self._dirs[parts] = _MISSING
            return None
        opened = _fs.open_dir(parent, parts[-1], create=create, mode=self.options.dir_mode,
                              durable=durable)
        self._dirs[parts] = _MISSING if opened is None else opened
        return opened

    @contextmanager
    def opened(self, parts: tuple[str, ...]) -> Iterator[_fs.Dir | None]:
        """The folder ``parts`` for a moment (None when missing).

        Folders of one level (the category folders, ours) are cached as by
        :meth:`folder`; a deeper one (``artifacts/<stem>``) is closed after
        use, so a walk over many sessions never runs out of descriptors.
        """
        if len(parts) <= 1 or parts[0] == INTERNAL:
            yield self.folder(parts)
            return
        d = self.folder(parts[:1])
        opened = []
        try:
            for name in parts[1:]:
                d = None if d is None else _fs.open_dir(d, name)
                if d is not None:
                    opened.append(d)
            yield d
        finally:
            for o in opened:
                _fs.close_dir(o)

    def forget(self, parts: tuple[str, ...]) -> None:
        """Drop ``parts`` and the folders under it from the cache (it was moved
        or removed, or may have been made by a step that failed)."""
        for key in [k for k in self._dirs if k[:len(parts)] == parts]:
            d = self._dirs.pop(key)
            if d is not _MISSING:
                _fs.close_dir(d)

    def close(self) -> None:
        """Close every folder opened by this operation (the root is the caller's)."""
        for d in self._dirs.values():
            if d is not _MISSING:
                _fs.close_dir(d)
        self._dirs.clear()

    # -- reads ----------------------------------------------------------------------

    def stat(self, folder: tuple[str, ...], name: str) -> os.stat_result | None:
        """``lstat`` of ``folder/name``; None when it (or its folder) is missing."""
        d = self.folder(folder)
        return None if d is None else _fs.stat_entry(d, name)

    def read(self, folder: tuple[str, ...], name: str) -> tuple[bytes, _fs.Sig] | None:
        """A whole file and its signature, within the store's size limit; None when missing.

        :raises CorruptDataError: not a regular file, or above the limit.
        :raises UnsafePathError: a link.
        """
        d = self.folder(folder)
        return None if d is None else _fs.read_file(d, name, self.options.max_bytes)

    def read_small(self, folder: tuple[str, ...], name: str, limit: int) -> bytes | None:
        """A small record of the store's own, or None (missing, odd, too big).

        :raises UnsafePathError: a link where its folder should be.
        """
        d = self.folder(folder)
        return None if d is None else _fs.read_small(d, name, limit)

    def peek(self, folder: tuple[str, ...], name: str, nbytes: int) -> bytes | None:
        """The first ``nbytes`` of a regular file; None when missing."""
        d = self.folder(folder)
        return None if d is None else _fs.peek_file(d, name, nbytes)

    def entries(self, folder: tuple[str, ...]) -> list[os.DirEntry[str]]:
        """The entries of a folder (``os.DirEntry``); [] when it is missing."""
        d = self.folder(folder)
        return [] if d is None else _fs.list_dir(d)

    def mode_for(self, folder: tuple[str, ...], name: str, *, freed: bool = False,
                 st: os.stat_result | None | _Missing = _MISSING) -> int:
        """The mode a file written at ``folder/name`` gets: the mode of the file
        it replaces, or the store's mode for a new one.

        Checked before anything is staged: a link at the name is
        :class:`UnsafePathError` (a rename would silently replace it), and a
        folder or special file is :class:`CorruptDataError` (a rename onto a
        folder fails, and must not fail after a commit point), unless
        ``freed``, when an earlier step of the same commit moves it away.
        ``st`` is the entry's ``lstat`` when the caller has it (None: missing).
        """
        if st is _MISSING:
            st = self.stat(folder, name)
        if st is None:
            return self.options.file_mode
        if stat.S_ISREG(st.st_mode):
            return st.st_mode & 0o777
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePathError("refused: is a symlink; the store does not write through links",
                                  path=self.path(folder, name))
        if not freed:
            raise CorruptDataError("expected a file, found a folder or special file",
                                   path=self.path(folder, name))
        return self.options.file_mode
