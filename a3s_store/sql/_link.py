"""The SQL store's connection and its transactions (one per store call).

A store holds one DB-API connection: the one it was given, or one it opens
from its connect function on first use (and again after the old one broke,
or in a child process after ``fork``, where the parent's connection must
not be used). Every store call is one transaction, run by :meth:`Link.run`:

* serialization failures and deadlocks run the transaction again, up to
  :data:`MAX_ATTEMPTS` times, after a short random pause;
* a connection that broke raises :class:`~a3s_store.ConnectionLostError`,
  saying whether the break came during the commit (outcome unknown) or
  before (nothing written). Only a connection found broken by the very first
  statement of a call, before anything was sent, is replaced silently: that
  is a server restart or an idle timeout, not a lost write;
* a database still locked after its busy timeout raises
  :class:`~a3s_store.LockTimeoutError`.

Calls from several threads are serialized by a lock (the connection is
used by one at a time).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..errors import ConflictError, ConnectionLostError, LockTimeoutError
from . import _schema
from ._schema import check_version, ensure_schema, schema_version

if TYPE_CHECKING:
    from ._dialects import Dialect

#: A DB-API 2 connection or cursor (sqlite3, psycopg...): no static type covers them all.
Connection = Any
Cursor = Any
T = TypeVar("T")

__all__ = ["Link", "MAX_ATTEMPTS", "Retry", "Tx"]

#: Runs of one transaction, at most, when the engine asks for a retry.
MAX_ATTEMPTS = 8
_PAUSE = 0.002  # first pause (seconds), doubled each retry, at most 0.2 s

# Connections inherited through fork: kept referenced so that they are never
# closed here. Closing would end the parent's session on the shared socket;
# psycopg and sqlite3 guard against that themselves, other drivers may not.
_INHERITED: list[Connection] = []


class Retry(Exception):
    """Raised by a transaction body to be run again (a row it read has changed)."""


class Tx:
    """One open transaction: run statements written with ``?`` placeholders."""

    __slots__ = ("dialect", "cursor", "where")

    def __init__(self, dialect: Dialect, cursor: Cursor, where: str) -> None:
        self.dialect = dialect
        self.cursor = cursor
        self.where = where

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        self.cursor.execute(self.dialect.sql(sql), params)
        changed: int = self.cursor.rowcount
        return changed

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a statement once per parameter row."""
        self.cursor.executemany(self.dialect.sql(sql), rows)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a query, or None."""
        self.cursor.execute(self.dialect.sql(sql), params)
        return self.cursor.fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query."""
        self.cursor.execute(self.dialect.sql(sql), params)
        found: list[Any] = self.cursor.fetchall()
        return found


class Link:
    """The connection of one store, and the transaction runner.

    With ``connect``, the store owns its connections (``connection`` is then
    the first one, already open); without, ``connection`` is the caller's.
    """

    def __init__(self, dialect: Dialect, *, where: str,
                 connect: Callable[[], Connection] | None = None,
                 connection: Connection = None,
                 migrations: Sequence[_schema.Migration] | None = None) -> None:
        if connect is None and connection is None:
            raise ValueError("a Link needs a connection or a connect function")
        self.dialect = dialect
        self.where = where
        self._connect = connect
        self._conn = connection
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._migrations = _schema.MIGRATIONS if migrations is None else migrations
        self._schema_ready = False

    def close(self) -> None:
        """Close the connection the store opened (one it was given stays open)."""
        with self._lock:
            if self._connect is not None and self._conn is not None:
                conn, self._conn = self._conn, None
                if self._pid == os.getpid():
                    _quietly(conn.close)
                else:  # the parent's, inherited through fork: never freed here
                    _INHERITED.append(conn)

    def _connection(self) -> tuple[Connection, bool]:
        """(connection, whether it was opened just now)."""
        if self._pid != os.getpid():
            if self._connect is None:
                raise ConnectionLostError(
                    "the store's connection was opened in another process (before a fork); "
                    "give each process its own store", path=self.where)
            if self._conn is not None:
                _INHERITED.append(self._conn)
                self._conn = None
            self._pid = os.getpid()
        if self._conn is not None:
            return self._conn, False
        # only a store with a connect function ever drops its connection
        self._conn = cast("Callable[[], Connection]", self._connect)()
        return self._conn, True

    def _drop(self) -> None:
        """Let a broken connection go (a connection the caller gave stays: it is theirs)."""
        if self._connect is not None:
            conn, self._conn = self._conn, None
            if conn is not None:
                # Roll back first: SQLite defers closing a connection whose statements
                # are still referenced (say, from a traceback), keeping its locks.
                _quietly(conn.rollback)
                _quietly(conn.close)

    def run(self, body: Callable[[Tx], T], *, write: bool, session_id: str | None = None) -> T:
        """Run ``body(tx)`` in one transaction and commit; return what it returns."""
        with self._lock:
            if not self._schema_ready:
                self._prepare_schema()
            return self._run(body, write, session_id)

    def _run(self, body: Callable[[Tx], T], write: bool, session_id: str | None) -> T:
        for attempt in range(MAX_ATTEMPTS):
            conn, fresh = self._connection()
            step = ["begin"]
            try:
                return self._attempt(conn, body, write, step)
            except Exception as exc:
                error = self._failed(exc, conn, step[0], fresh, attempt, session_id)
                if error is None:
                    continue  # run the transaction again
                if error is exc:
                    raise
                raise error from exc
            except BaseException:  # KeyboardInterrupt and the like: leave no transaction open
                _quietly(conn.rollback)
                raise
        raise ConnectionLostError("the connection kept breaking; nothing was written",
                                  session_id=session_id, path=self.where)

    def _attempt(self, conn: Connection, body: Callable[[Tx], T], write: bool,
                 step: list[str]) -> T:
        """One run of the transaction; ``step[0]`` says how far it got."""
        cursor = conn.cursor()
        self.dialect.begin(conn, cursor, write=write)
        step[0] = "body"
        result = body(Tx(self.dialect, cursor, self.where))
        step[0] = "commit"
        conn.commit()
        return result

    def _failed(self, exc: Exception, conn: Connection, step: str, fresh: bool, attempt: int,
                session_id: str | None) -> Exception | None:
        """What a failed attempt comes to: None to run it again, else the error to raise."""
        kind = "retry" if isinstance(exc, Retry) else self.dialect.classify(exc, conn)
        if kind != "lost":
            _quietly(conn.rollback)
        if kind == "retry" and attempt + 1 < MAX_ATTEMPTS:
            time.sleep(random.uniform(0, min(0.2, _PAUSE * 2 ** attempt)))
            return None
        if kind == "lost":
            self._drop()
            if step == "begin" and not fresh and self._connect is not None:
                return None  # found broken before anything was sent: reconnect
            return self._lost(step, session_id)
        if kind == "busy":
            return LockTimeoutError("the database stayed locked past the busy timeout; "
                                    "nothing was written", session_id=session_id,
                                    path=self.where)
        if kind == "retry":
            return ConflictError(f"gave up after {MAX_ATTEMPTS} attempts: concurrent "
                                 "transactions kept conflicting; nothing was written",
                                 session_id=session_id, path=self.where)
        return exc

    def _lost(self, step: str, session_id: str | None) -> ConnectionLostError:
        if step == "commit":
            return ConnectionLostError(
                "the database connection broke during the commit: the operation may or may "
                "not have been stored (load to see)", may_have_committed=True,
                session_id=session_id, path=self.where)
        return ConnectionLostError("the database connection broke; nothing was written",
                                   session_id=session_id, path=self.where)

    def _prepare_schema(self) -> None:
        """Check the schema once per store; migrate (under the schema lock) if behind."""
        version = self._run(schema_version, False, None)
        if not check_version(version, self.where, self._migrations):
            self._run(lambda tx: ensure_schema(tx, self._migrations), True, None)
        self._schema_ready = True


def _quietly(call: Callable[[], object]) -> None:
    try:
        call()
    except Exception:  # the connection is being abandoned; its error says nothing new
        pass
