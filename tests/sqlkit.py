"""Shared tools of the SQL store's tests (not a test module).

:func:`target` is a fixture giving a fresh database of each dialect: an
SQLite file, or a PostgreSQL schema of its own on the server named by
``A3S_TEST_POSTGRES_DSN`` (skipped without it). A :class:`SqlTarget` opens
stores on it, and raw connections to read or damage its rows.
:class:`CountingConnection` wraps a DB-API connection and records every
statement; :class:`FaultyConnection` raises chosen errors at chosen
statements.
"""

from __future__ import annotations

import os
import secrets
import sqlite3

import pytest

from a3s_store import SqlSessionStore
from a3s_store.testing.backends import POSTGRES_DSN_VARIABLE, POSTGRESQL

DIALECTS = ("sqlite", "postgresql")


class SqlTarget:
    """One fresh database of one dialect."""

    def __init__(self, dialect: str, tmp_path) -> None:
        self.dialect = dialect
        self._stores: list = []
        if dialect == "sqlite":
            self.path = str(tmp_path / "sessions.db")
            self.url = "sqlite://" + self.path
        else:
            import psycopg

            self.psycopg = psycopg
            self.dsn = os.environ[POSTGRES_DSN_VARIABLE]
            self.schema = "a3s_test_" + secrets.token_hex(6)
            self.options = f"-c search_path={self.schema}"
            with psycopg.connect(self.dsn, autocommit=True) as admin:
                admin.execute(f"CREATE SCHEMA {self.schema}")

    def connect(self):
        """A new raw connection to the database (autocommit)."""
        if self.dialect == "sqlite":
            return sqlite3.connect(self.path, isolation_level=None, timeout=30)
        return self.psycopg.connect(self.dsn, autocommit=True, options=self.options)

    def open(self, **kwargs) -> SqlSessionStore:
        """A store on the database (closed at the end of the test)."""
        if self.dialect == "sqlite":
            store = SqlSessionStore.sqlite(self.path, **kwargs)
        else:
            store = SqlSessionStore.postgres(self.dsn, options=self.options, **kwargs)
        self._stores.append(store)
        return store

    def open_with(self, wrap, **kwargs) -> SqlSessionStore:
        """A store whose connections are ``wrap(raw connection)``."""
        store = SqlSessionStore(connect=lambda: wrap(self._store_connection()),
                                dialect=self.dialect, **kwargs)
        self._stores.append(store)
        return store

    def _store_connection(self):
        if self.dialect == "sqlite":
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            return conn
        return self.psycopg.connect(self.dsn, autocommit=True, options=self.options)

    def sql(self, text: str, params=()) -> list:
        """Run one statement on a raw connection; its rows (for a query)."""
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(text.replace("?", "%s") if self.dialect != "sqlite" else text, params)
            return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def close(self) -> None:
        for store in self._stores:
            store.close()
        if self.dialect == "postgresql":
            with self.psycopg.connect(self.dsn, autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA {self.schema} CASCADE")


def skip_unavailable(dialect: str) -> None:
    if dialect == "postgresql":
        reason = POSTGRESQL.unavailable()
        if reason:
            pytest.skip(reason)


@pytest.fixture(params=DIALECTS)
def target(request, tmp_path):
    skip_unavailable(request.param)
    t = SqlTarget(request.param, tmp_path)
    yield t
    t.close()


class _Proxy:
    """A DB-API connection whose cursors report each statement to ``hook``."""

    def __init__(self, conn, hook) -> None:
        self._conn = conn
        self._hook = hook

    def cursor(self):
        return _Cursor(self._conn.cursor(), self._hook)

    def commit(self):
        self._hook("COMMIT", None)
        return self._conn.commit()

    def __getattr__(self, name):
        return getattr(self._conn, name)


class _Cursor:
    def __init__(self, cursor, hook) -> None:
        self._cursor = cursor
        self._hook = hook

    def execute(self, sql, params=()):
        self._hook(sql, params)
        return self._cursor.execute(sql, params)

    def executemany(self, sql, rows):
        rows = list(rows)
        self._hook(sql, rows)
        return self._cursor.executemany(sql, rows)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class CountingConnection(_Proxy):
    """Records (statement, parameters) of everything run; ``COMMIT`` for commits."""

    def __init__(self, conn, log: list) -> None:
        super().__init__(conn, lambda sql, params: log.append((sql, params)))


def counting(log: list):
    """A wrapper for :meth:`SqlTarget.open_with` that logs into ``log``."""
    return lambda conn: CountingConnection(conn, log)


def faulty(fault):
    """A wrapper whose hook is ``fault(sql, params, conn)`` (it may raise)."""
    def wrap(conn):
        return _Proxy(conn, lambda sql, params: fault(sql, params, conn))
    return wrap

