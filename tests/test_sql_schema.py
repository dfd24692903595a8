"""The SQL store's tables: made on first use, versioned, migrated once under a lock."""

from __future__ import annotations

import multiprocessing

import pytest

import factories as f
from a3s_store import SqlSessionStore, UnsupportedVersionError
from a3s_store.sql import _schema

TABLES = {"a3s_schema_version", "a3s_sessions", "a3s_messages", "a3s_components",
          "a3s_checkpoints"}


def tables(target) -> set[str]:
    if target.dialect == "sqlite":
        rows = target.sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = target.sql("SELECT table_name FROM information_schema.tables "
                          "WHERE table_schema = ?", (target.schema,))
    return {r[0] for r in rows}


def test_opening_makes_the_tables_and_records_each_migration_once(target):
    assert tables(target) == set()
    target.open()
    target.open().save(f.session())
    assert tables(target) == TABLES
    assert target.sql("SELECT version, description FROM a3s_schema_version") == [
        (v, d) for v, d, _ in _schema.MIGRATIONS]


def test_a_session_is_a_row_with_summary_columns_and_a_row_per_message(target):
    target.open().save(f.session("s-1", messages=3, name="Chat"))
    (row,) = target.sql("SELECT id, message_count, name, state, model, created_at, "
                        "updated_at FROM a3s_sessions")
    assert row == ("s-1", 3, "Chat", "Active", None, 1700000000, 1700000100)
    assert [r[0] for r in target.sql("SELECT position FROM a3s_messages ORDER BY position")] \
        == [0, 1, 2]


def test_a_database_of_a_newer_schema_is_refused(target):
    target.open()
    target.sql("INSERT INTO a3s_schema_version (version, description) VALUES (?, ?)",
               (_schema.SCHEMA_VERSION + 1, "from the future"))
    with pytest.raises(UnsupportedVersionError, match="newer") as info:
        target.open()
    assert info.value.path  # names the database


def test_a_new_migration_runs_once_on_an_older_database(target, monkeypatch):
    target.open().save(f.session())
    v2 = (_schema.SCHEMA_VERSION + 1, "an index for the test",
          ("CREATE INDEX a3s_test_index ON a3s_sessions (updated_at)",))
    monkeypatch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS + (v2,))
    for _ in range(3):
        assert target.open().load("test-session-1") is not None
    versions = [r[0] for r in target.sql("SELECT version FROM a3s_schema_version "
                                         "ORDER BY version")]
    assert versions == [m[0] for m in _schema.MIGRATIONS]


def _open_and_save(target, barrier, worker: int, results) -> None:
    try:
        barrier.wait()
        store = target.open()
        store.save(f.session(f"w{worker}"))
        results.put((worker, None))
    except BaseException as exc:  # reported to the parent
        results.put((worker, repr(exc)))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="needs the fork start method")
def test_processes_opening_a_new_database_at_once_migrate_it_once(target):
    ctx = multiprocessing.get_context("fork")
    workers = 8
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_open_and_save, args=(target, barrier, w, results))
             for w in range(workers)]
    for p in procs:
        p.start()
    outcomes = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
    assert outcomes == {w: None for w in range(workers)}
    assert [r[0] for r in target.sql("SELECT version FROM a3s_schema_version")] == [
        v for v, _, _ in _schema.MIGRATIONS]
    assert sorted(target.open().list()) == [f"w{w}" for w in range(workers)]


def test_postgresql_stores_in_two_schemas_are_apart(tmp_path):
    from sqlkit import SqlTarget, skip_unavailable

    skip_unavailable("postgresql")
    a, b = SqlTarget("postgresql", tmp_path), SqlTarget("postgresql", tmp_path)
    try:
        a.open().save(f.session("only-in-a"))
        b.open().save(f.session("only-in-b"))
        assert a.open().list() == ["only-in-a"] and b.open().list() == ["only-in-b"]
    finally:
        a.close()
        b.close()


def test_sqlite_files_are_private_and_in_wal_mode_with_full_sync(tmp_path):
    import os
    import stat

    path = tmp_path / "sessions.db"
    store = SqlSessionStore.sqlite(path)
    store.save(f.session())
    for suffix in ("", "-wal", "-shm"):
        assert stat.S_IMODE(os.stat(f"{path}{suffix}").st_mode) == 0o600, suffix
    conn = store._link._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()
