"""What differs between SQLite and PostgreSQL: statements, transactions, errors.

The store writes its SQL once, with ``?`` placeholders and ``{id}`` for the
type of an id column; a :class:`Dialect` turns it into the text its driver
takes (``%s`` for psycopg), opens transactions the way its engine wants
them, and sorts driver exceptions into what the store does with them:

* ``"retry"``: a serialization failure or a deadlock; the transaction is
  run again (a bounded number of times);
* ``"busy"``: the database stayed locked past the busy timeout
  (:class:`~a3s_store.LockTimeoutError`);
* ``"lost"``: the connection broke (:class:`~a3s_store.ConnectionLostError`);
* None: anything else, which propagates as the driver raised it.

>>> SQLITE.sql("SELECT id FROM a3s_sessions WHERE id = ?")
'SELECT id FROM a3s_sessions WHERE id = ?'
>>> POSTGRESQL.sql("SELECT id FROM a3s_sessions WHERE id = ?")
'SELECT id FROM a3s_sessions WHERE id = %s'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = ["Dialect", "POSTGRESQL", "SQLITE", "dialect_of"]

#: SQLSTATE codes worth running the transaction again for.
_PG_RETRY = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
#: SQLSTATE codes of a connection the server ended (shutdown, crash, termination).
_PG_LOST = frozenset({"57P01", "57P02", "57P03"})


@dataclass(frozen=True)
class Dialect:
    """The engine-specific pieces of the SQL store."""

    name: str
    id_type: str
    table_suffix: str
    lock_row: str
    read_begin: str
    read_begin_implicit: str | None
    write_begin: str
    lock_schema: str
    table_exists: str
    health: str

    def sql(self, text: str) -> str:
        """``text`` in this driver's placeholder style, with ``{id}`` filled in."""
        return _render(self, text)

    def begin(self, conn: object, cursor: Any, *, write: bool) -> None:
        """Open a transaction: explicit on an autocommit connection, else by setting
        the transaction the driver has implicitly begun."""
        if self.name == "sqlite" or getattr(conn, "autocommit", False):
            cursor.execute(self.write_begin if write else self.read_begin)
        elif not write and self.read_begin_implicit:
            cursor.execute(self.read_begin_implicit)

    def classify(self, exc: BaseException, conn: object) -> str | None:
        """``"retry"``, ``"busy"``, ``"lost"`` or None (see the module docstring)."""
        if self.name == "sqlite":
            return _classify_sqlite(exc)
        return _classify_postgres(exc, conn)


def _classify_sqlite(exc: BaseException) -> str | None:
    kind = type(exc).__name__
    text = str(exc).lower()
    if kind == "OperationalError" and ("database is locked" in text
                                       or "database table is locked" in text):
        return "busy"
    if kind == "ProgrammingError" and "closed" in text:
        return "lost"
    return None


def _classify_postgres(exc: BaseException, conn: object) -> str | None:
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if state in _PG_RETRY:
        return "retry"
    if state == "55P03":  # lock_not_available (a lock_timeout set by the caller)
        return "busy"
    if state in _PG_LOST or (state or "").startswith("08"):
        return "lost"
    if type(exc).__name__ in ("OperationalError", "InterfaceError") and (
            getattr(conn, "broken", False) or getattr(conn, "closed", False)):
        return "lost"
    return None


@cache
def _render(dialect: Dialect, text: str) -> str:
    text = text.replace("{id}", dialect.id_type).replace("{table}", dialect.table_suffix)
    return text.replace("?", "%s") if dialect.name == "postgresql" else text


SQLITE = Dialect(
    name="sqlite",
    id_type="TEXT",
    # Messages are read by (session, position): keep them clustered that way.
    table_suffix=" WITHOUT ROWID",
    lock_row="",  # BEGIN IMMEDIATE already holds the database's write lock
    read_begin="BEGIN DEFERRED",
    read_begin_implicit=None,
    write_begin="BEGIN IMMEDIATE",
    lock_schema="",  # the write lock of BEGIN IMMEDIATE
    table_exists="SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
    health="SELECT count(*) FROM a3s_schema_version",
)

POSTGRESQL = Dialect(
    name="postgresql",
    # Byte order, so ORDER BY id is the order of Python's sorted().
    id_type='TEXT COLLATE "C"',
    table_suffix="",
    lock_row=" FOR UPDATE",
    # One snapshot for every statement of a read (a load reads several tables).
    read_begin="BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    read_begin_implicit="SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    write_begin="BEGIN",
    # Per schema, so stores side by side on one server do not wait for each other.
    lock_schema="SELECT pg_advisory_xact_lock(hashtext('a3s_store'), hashtext(current_schema()))",
    table_exists="SELECT 1 WHERE to_regclass(?) IS NOT NULL",
    # A transaction id: refused by a read-only server (a standby).
    health="SELECT count(*), txid_current() FROM a3s_schema_version",
)


def dialect_of(conn: object) -> Dialect:
    """The dialect of a DB-API connection, from its driver's module.

    :raises ValueError: a driver the store does not know (pass ``dialect=``).
    """
    module = type(conn).__module__.split(".")[0]
    if module in ("sqlite3", "_sqlite3"):
        return SQLITE
    if module in ("psycopg", "psycopg2", "psycopg_c", "psycopg_binary"):
        return POSTGRESQL
    raise ValueError(f"cannot tell the SQL dialect of a {type(conn).__module__}."
                     f"{type(conn).__name__} connection; pass dialect='sqlite' or "
                     "'postgresql'")
