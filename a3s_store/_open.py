"""``open_store``: a store from a folder path or a store URL.

=================================  =========================================
``/path/to/folder`` (any path)     :class:`~a3s_store.FileSessionStore`
``file:///path/to/folder``         the same
``sqlite:///abs/path.db``          :meth:`SqlSessionStore.sqlite` (absolute)
``sqlite:relative/path.db``        the same, relative to the working folder
``postgresql://user@host/db``      :meth:`SqlSessionStore.postgres` (also
                                   ``postgres://``; any libpq URL)
``memory:``                        :class:`~a3s_store.MemorySessionStore`
=================================  =========================================

An SQLite URL may set ``?synchronous=NORMAL`` and ``?busy_timeout=5`` (seconds).
A text that does not start with a known scheme is a folder path, unless it
has ``://`` (an unknown scheme is refused rather than taken for a folder).
With ``create=False`` a folder or SQLite file that does not exist is
``FileNotFoundError`` (nothing is made): for tools that only read.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> open_store(folder).backend_name(), open_store("memory:").backend_name()
('file', 'memory')
>>> with open_store("sqlite://" + os.path.join(folder, "s.db")) as store:
...     store.backend_name()
'sqlite'
>>> open_store("mysql://db/sessions")
Traceback (most recent call last):
    ...
ValueError: unknown store URL scheme 'mysql': use a folder path, sqlite:///path.db or postgresql://...
"""

from __future__ import annotations

import errno
import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import _fs
from .file_store import FileSessionStore
from .memory_store import MemorySessionStore

if TYPE_CHECKING:
    from .sql import SqlSessionStore

__all__ = ["open_store", "backend_of", "folder_of"]

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")
_SQLITE_OPTIONS = {"synchronous": str, "busy_timeout": float}


def backend_of(target: str) -> str:
    """Which kind of store ``target`` names: ``"file"``, ``"sqlite"``,
    ``"postgresql"`` or ``"memory"`` (:raises ValueError: an unknown scheme).

    >>> backend_of("/tmp/sessions"), backend_of("sqlite:///tmp/s.db"), backend_of("postgres://db")
    ('file', 'sqlite', 'postgresql')
    """
    match = _SCHEME.match(target)
    scheme = match.group(1).lower() if match else ""
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    if scheme in ("sqlite", "memory"):
        return scheme
    if scheme != "file" and "://" in target:
        raise ValueError(f"unknown store URL scheme {target.split(':', 1)[0]!r}: use a folder "
                         "path, sqlite:///path.db or postgresql://...")
    return "file"


def folder_of(target: str) -> str:
    """The folder path a ``"file"`` target names (``file://`` taken off)."""
    if _SCHEME.match(target) and target[:5].lower() == "file:":
        return unquote(urlsplit(target).path)
    return target


def open_store(target: str | os.PathLike[str], *, create: bool = True
               ) -> FileSessionStore | MemorySessionStore | SqlSessionStore:
    """The store that ``target`` names (see the table above).

    :raises ValueError: an unknown scheme, or an SQLite URL that names no file.
    :raises MissingDriverError: a PostgreSQL URL without psycopg installed.
    :raises FileNotFoundError: ``create=False`` and no such folder or SQLite file.
    """
    if isinstance(target, os.PathLike):
        return FileSessionStore(target, create=create)
    if not isinstance(target, str):
        raise TypeError(f"expected a path or a store URL, not {type(target).__name__}")
    backend = backend_of(target)
    if backend == "postgresql":
        from .sql import SqlSessionStore

        return SqlSessionStore.postgres(target)
    if backend == "sqlite":
        return _open_sqlite(target, create)
    if backend == "memory":
        return MemorySessionStore()
    return FileSessionStore(folder_of(target), create=create)


def _open_sqlite(url: str, create: bool) -> SqlSessionStore:
    from .sql import SqlSessionStore

    parts = urlsplit(url)
    if parts.netloc:
        raise ValueError(f"{url!r}: an SQLite URL is sqlite:///absolute/path or "
                         "sqlite:relative/path (no host)")
    path = unquote(parts.path)
    if not path:
        raise ValueError(f"{url!r} names no database file")
    options: dict[str, Any] = {}
    for name, values in parse_qs(parts.query, strict_parsing=bool(parts.query)).items():
        if name not in _SQLITE_OPTIONS:
            raise ValueError(f"{url!r}: unknown option {name!r} (known: "
                             f"{', '.join(_SQLITE_OPTIONS)})")
        options[name] = _SQLITE_OPTIONS[name](values[-1])
    if not create:
        _must_exist(path)
    return SqlSessionStore.sqlite(path, **options)


def _must_exist(path: str) -> None:
    folder, name = os.path.split(os.path.abspath(path))
    d = _fs.open_root(folder, create=False)
    try:
        found = d is not None and _fs.stat_entry(d, name) is not None
    finally:
        if d is not None:
            _fs.close_dir(d)
    if not found:
        raise FileNotFoundError(errno.ENOENT, "database file does not exist", path)
