"""Broken connections and retried transactions.

* A connection that broke between calls (a server restart, an idle
  timeout) is replaced silently: nothing of the call had been sent.
* A connection that breaks inside a call raises ConnectionLostError, saying
  whether the commit was under way; nothing acknowledged is lost, and the
  next call works on a new connection.
* Serialization failures and deadlocks run the transaction again, a bounded
  number of times; a row created by a concurrent writer too.
"""

from __future__ import annotations

import sqlite3

import pytest

import factories as f
from a3s_store import ConflictError, ConnectionLostError, SessionSnapshot, SqlSessionStore
from a3s_store.sql import _link
from sqlkit import faulty


def break_connection(target, conn) -> None:
    """End ``conn`` from outside, as a server restart or a network cut would."""
    if target.dialect == "sqlite":
        conn.close()
        return
    pid = conn.info.backend_pid
    target.sql("SELECT pg_terminate_backend(?)", (pid,))


def test_a_connection_broken_between_calls_is_replaced(target):
    store = target.open()
    store.save(f.session(messages=3))
    for _ in range(2):
        break_connection(target, store._link._conn)
        assert len(store.load("test-session-1").messages) == 3
    break_connection(target, store._link._conn)
    store.save(f.session(messages=4))
    assert len(target.open().load("test-session-1").messages) == 4


class BreakAt:
    """A fault that breaks the connection just before the first statement starting
    with ``prefix`` (``"COMMIT"`` for the commit)."""

    def __init__(self, target, prefix: str) -> None:
        self.target, self.prefix, self.armed = target, prefix, False

    def __call__(self, sql, params, conn) -> None:
        if self.armed and sql.startswith(self.prefix):
            self.armed = False
            if self.target.dialect == "sqlite" and sql == "COMMIT":
                # Closing an SQLite connection whose statements are still referenced
                # defers the close (and keeps its lock): raise what a closed one raises.
                raise ProgrammingError("Cannot operate on a closed database.")
            break_connection(self.target, conn)


class ProgrammingError(Exception):
    """Stands for sqlite3.ProgrammingError (the classification goes by name and text)."""


@pytest.mark.parametrize("prefix, may_have_committed", [
    ("SELECT revision", False), ("UPDATE a3s_sessions", False),
    ("INSERT INTO a3s_messages", False), ("COMMIT", True)])
def test_a_connection_broken_inside_a_save_raises_and_loses_nothing_acknowledged(
        target, prefix, may_have_committed):
    fault = BreakAt(target, prefix)
    store = target.open_with(faulty(fault))
    acknowledged = f.session(messages=3)
    store.save_snapshot(SessionSnapshot(session=acknowledged, trace_events=[f.trace_event()]))
    fault.armed = True
    attempt = f.session(messages=5, name="attempt")
    with pytest.raises(ConnectionLostError) as info:
        store.save(attempt)
    assert info.value.may_have_committed is may_have_committed
    assert info.value.session_id == "test-session-1"
    text = str(info.value)
    assert ("may or may not" in text) if may_have_committed else ("nothing was written" in text)
    stored = target.open().load_snapshot("test-session-1")
    assert stored.session in (acknowledged, attempt)
    if not may_have_committed:
        assert stored.session == acknowledged
    assert stored.trace_events == [f.trace_event()]
    # The next call opens a new connection.
    store.save(attempt)
    assert target.open().load("test-session-1") == attempt


def test_a_broken_connection_that_was_passed_in_is_not_replaced(tmp_path):
    conn = sqlite3.connect(tmp_path / "s.db", check_same_thread=False)
    store = SqlSessionStore(conn)
    store.save(f.session())
    conn.close()
    for _ in range(2):
        with pytest.raises(ConnectionLostError, match="broke"):
            store.load("test-session-1")


class FakeSerializationFailure(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"injected {sqlstate}")
        self.sqlstate = sqlstate


def _postgres_only(target) -> None:
    if target.dialect != "postgresql":
        pytest.skip("SQLite has no serialization failures: BEGIN IMMEDIATE serializes writers")


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_serialization_failures_and_deadlocks_are_retried(target, sqlstate, monkeypatch):
    _postgres_only(target)
    monkeypatch.setattr(_link, "_PAUSE", 0.0001)
    seen = []

    def fail_twice(sql, params, conn):
        if sql.startswith("UPDATE a3s_sessions"):
            seen.append(sql)
            if len(seen) <= 2:
                raise FakeSerializationFailure(sqlstate)

    store = target.open_with(faulty(fail_twice))
    store.save(f.session())
    store.save(f.session(messages=4))
    assert len(seen) == 3
    assert len(target.open().load("test-session-1").messages) == 4


def test_retries_are_bounded(target, monkeypatch):
    _postgres_only(target)
    monkeypatch.setattr(_link, "_PAUSE", 0.0001)
    attempts = []

    def always(sql, params, conn):
        if sql.startswith("UPDATE a3s_sessions"):
            attempts.append(1)
            raise FakeSerializationFailure("40001")

    store = target.open_with(faulty(always))
    store.save(f.session())  # a first save inserts; no update yet
    with pytest.raises(ConflictError, match=f"after {_link.MAX_ATTEMPTS} attempts"):
        store.save(f.session(messages=4))
    assert len(attempts) == _link.MAX_ATTEMPTS
    assert len(target.open().load("test-session-1").messages) == 2


def test_a_session_created_by_another_writer_meanwhile_is_saved_over_not_lost(target):
    _postgres_only(target)
    other = target.open()
    armed = [True]

    def create_first(sql, params, conn):
        if armed[0] and sql.startswith("INSERT INTO a3s_sessions"):
            armed[0] = False
            other.save(f.session(messages=1, name="other"))

    store = target.open_with(faulty(create_first))
    revision = store.save(f.session(messages=3))
    loaded = target.open().load("test-session-1")
    assert loaded.revision == revision and len(loaded.messages) == 3
    with pytest.raises(ConflictError, match="exists"):
        target.open_with(faulty(lambda *a: None)).save(f.session(), create_only=True)


class Interrupt(BaseException):
    """Stands for KeyboardInterrupt (not an Exception), without stopping pytest."""


def test_an_interrupted_call_leaves_no_transaction_open(target):
    armed = [False]

    def interrupt(sql, params, conn):
        if armed[0] and sql.startswith("INSERT INTO a3s_messages"):
            armed[0] = False
            raise Interrupt

    store = target.open_with(faulty(interrupt))
    store.save(f.session("first"))
    armed[0] = True
    with pytest.raises(Interrupt):
        store.save(f.session("second", messages=3))
    store.save(f.session("third", messages=1))
    assert target.open().list() == ["first", "third"]


class _SwitchingConnection:
    """A connection whose switch to WAL mode is refused ``refusals`` times with
    SQLite's immediate "database is locked" (several processes switching a
    new database at once: SQLite does not wait for its busy timeout there)."""

    def __init__(self, refusals: int, error: str = "database is locked") -> None:
        self.refusals, self.error, self.mode, self.tries = refusals, error, "delete", 0

    def execute(self, sql: str):
        import sqlite3

        if sql == "PRAGMA journal_mode=WAL":
            self.tries += 1
            if self.tries <= self.refusals:
                raise sqlite3.OperationalError(self.error)
            self.mode = "wal"
        return self

    def fetchone(self):
        return (self.mode,)


def test_a_refused_switch_to_wal_mode_is_retried_until_the_busy_timeout():
    import sqlite3

    from a3s_store.sql._connect import _wal_mode

    conn = _SwitchingConnection(refusals=3)
    _wal_mode(conn, busy_timeout=5.0)
    assert conn.mode == "wal" and conn.tries == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _wal_mode(_SwitchingConnection(refusals=10**9), busy_timeout=0.05)
    other = _SwitchingConnection(refusals=1, error="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _wal_mode(other, busy_timeout=5.0)
    assert other.tries == 1  # only a lock is waited out
