"""Opening the two shipped engines: an SQLite file and a PostgreSQL server.

SQLite connections are made in autocommit mode (the store opens every
transaction itself), in WAL mode with ``synchronous=FULL``: a commit that
returned is on disk, readers never block the writer, and a crashed writer
leaves nothing half-applied. A new database file is created 0600 (sessions
may hold secrets); SQLite gives its ``-wal`` and ``-shm`` files the same
mode.

psycopg 3 is imported only when a PostgreSQL store is opened; without it
:class:`~a3s_store.MissingDriverError` names the package to install.
"""

from __future__ import annotations

import importlib
import os
import re
import time
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .. import _fs
from ..errors import MissingDriverError

if TYPE_CHECKING:
    import sqlite3

    from ._link import Connection

__all__ = ["import_psycopg", "postgres_connector", "redacted", "sqlite_connector"]

_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def _create_private(path: str, file_mode: int) -> None:
    """Create an empty database file with ``file_mode`` unless it exists."""
    folder, name = os.path.split(path)
    d = _fs.open_root(folder or ".", create=True)
    if d is None:  # removed again between being made and being opened
        raise FileNotFoundError(2, "folder of the database does not exist", folder)
    try:
        if _fs.stat_entry(d, name) is None:
            try:
                _fs.write_new(d, name, b"", mode=file_mode)
            except FileExistsError:
                pass  # another process made it first
    finally:
        _fs.close_dir(d)


def sqlite_connector(path: str, *, busy_timeout: float, synchronous: str, file_mode: int
                     ) -> Callable[[], sqlite3.Connection]:
    """A function opening ``path`` as the store wants it (see the module docstring)."""
    synchronous = synchronous.upper()
    if synchronous not in _SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}")

    def connect() -> sqlite3.Connection:
        import sqlite3  # here, so that importing the package does not load it

        _create_private(path, file_mode)
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None,
                               check_same_thread=False)
        try:
            _wal_mode(conn, busy_timeout)
            conn.execute(f"PRAGMA synchronous={synchronous}")
        except BaseException:
            conn.close()
            raise
        return conn

    return connect


def _wal_mode(conn: sqlite3.Connection, busy_timeout: float) -> None:
    """Put the database in WAL mode (kept in the file: only its first opener
    changes it). SQLite answers "database is locked" at once, without waiting
    for its busy timeout, when several processes switch a new database at the
    same moment, so the switch is retried here until ``busy_timeout``."""
    import sqlite3

    deadline = time.monotonic() + busy_timeout
    pause = 0.001
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() != "wal":
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() == "wal":
                return
            if time.monotonic() + pause > deadline:  # another opener holds it still
                raise sqlite3.OperationalError(f"cannot put the database in WAL mode ({mode})")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def import_psycopg() -> ModuleType:
    """The psycopg 3 module; :class:`MissingDriverError` when it is not installed."""
    try:
        return importlib.import_module("psycopg")
    except ImportError as exc:
        raise MissingDriverError(
            "a PostgreSQL store needs psycopg 3, which is not installed: "
            "pip install 'psycopg[binary]'") from exc


def postgres_connector(dsn: str, **options: Any) -> Callable[[], Connection]:
    """A function opening an autocommit psycopg connection to ``dsn``."""
    psycopg = import_psycopg()

    def connect() -> Connection:
        return psycopg.connect(dsn, autocommit=True, **options)

    return connect


_URL_PASSWORD = re.compile(r"(://[^/@:]*):[^/@]*@")
_KEY_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def redacted(dsn: str) -> str:
    """``dsn`` without its password, for messages.

    >>> redacted("postgresql://app:s3cret@db.example/sessions")
    'postgresql://app@db.example/sessions'
    >>> redacted("host=db password='a b' dbname=x")
    'host=db password=*** dbname=x'
    """
    dsn = _URL_PASSWORD.sub(r"\1@", dsn)
    dsn = re.sub(r"([?&]password=)[^&]*", r"\1***", dsn)
    return _KEY_PASSWORD.sub(r"\1***", dsn)
