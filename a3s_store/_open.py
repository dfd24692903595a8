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

import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .file_store import FileSessionStore
from .memory_store import MemorySessionStore

if TYPE_CHECKING:
    from .sql import SqlSessionStore

__all__ = ["open_store"]

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")
_SQLITE_OPTIONS = {"synchronous": str, "busy_timeout": float}


def open_store(target: str | os.PathLike[str]
               ) -> FileSessionStore | MemorySessionStore | SqlSessionStore:
    """The store that ``target`` names (see the table above).

    :raises ValueError: an unknown scheme, or an SQLite URL that names no file.
    :raises MissingDriverError: a PostgreSQL URL without psycopg installed.
    """
    if isinstance(target, os.PathLike):
        return FileSessionStore(target)
    if not isinstance(target, str):
        raise TypeError(f"expected a path or a store URL, not {type(target).__name__}")
    match = _SCHEME.match(target)
    scheme = match.group(1).lower() if match else ""
    if scheme in ("postgresql", "postgres"):
        from .sql import SqlSessionStore

        return SqlSessionStore.postgres(target)
    if scheme == "sqlite":
        return _open_sqlite(target)
    if scheme == "memory":
        return MemorySessionStore()
    if scheme == "file":
        return FileSessionStore(unquote(urlsplit(target).path))
    if "://" in target:
        raise ValueError(f"unknown store URL scheme {target.split(':', 1)[0]!r}: use a folder "
                         "path, sqlite:///path.db or postgresql://...")
    return FileSessionStore(target)


def _open_sqlite(url: str) -> SqlSessionStore:
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
    return SqlSessionStore.sqlite(path, **options)
