"""SqlSessionStore beyond the contract: damaged rows, what a save writes, how it is opened."""

from __future__ import annotations

import builtins
import multiprocessing
import os
import sqlite3
import threading

import pytest

import factories as f
from a3s_store import (
    CorruptDataError,
    InvalidDataError,
    LockTimeoutError,
    Message,
    MissingDriverError,
    SessionSnapshot,
    SqlSessionStore,
    TextBlock,
)
from a3s_store.sql import _connect, _rows
from sqlkit import counting


def _msg(text: str) -> Message:
    return Message(role="user", content=[TextBlock(text=text)])


# -- damaged rows: a clear error naming the session, nothing changed ----------------


@pytest.mark.parametrize("damage, key, text", [
    ("UPDATE a3s_messages SET message = '{\"role\": ' WHERE position = 1", "messages[1]",
     "message row 1"),
    ("UPDATE a3s_messages SET message = '{\"role\": 5, \"content\": []}' WHERE position = 2",
     "messages[2].role", "expected"),
    ("DELETE FROM a3s_messages WHERE position = 1", "messages", "message rows"),
    ("UPDATE a3s_messages SET message = message || ', ' || message WHERE position = 0",
     "messages[0]", "message row 0"),
    ("INSERT INTO a3s_messages (session_id, position, message, file_bytes) "
     "VALUES ('s-1', 7, '{}', 2)",
     "messages", "message rows"),
    ("UPDATE a3s_sessions SET document = 'not json'", "messages", "slot"),
    ("UPDATE a3s_sessions SET document = '{' || document", None, "invalid JSON"),
    ("UPDATE a3s_sessions SET document = replace(document, '\"messages\": []', "
     "'\"messages\": null')", "messages", "slot"),
    ("UPDATE a3s_sessions SET document = replace(document, '\"s-1\"', '\"s-2\"')", "id",
     "holds session 's-2'"),
])
def test_damaged_session_rows_raise_corrupt_data_naming_the_session(target, damage, key, text):
    store = target.open()
    store.save(f.session("s-1", messages=3))
    target.sql(damage)
    before = target.sql("SELECT * FROM a3s_messages ORDER BY position")
    for reader in (store, target.open()):
        for load in (reader.load, reader.load_snapshot):
            with pytest.raises(CorruptDataError, match=text) as info:
                load("s-1")
            assert info.value.session_id == "s-1" and info.value.key == key
            assert info.value.path == reader.location
    assert target.sql("SELECT * FROM a3s_messages ORDER BY position") == before
    assert store.list() == ["s-1"]


def test_damaged_side_and_checkpoint_rows_raise_corrupt_data(target):
    store = target.open()
    store.save_trace_events("s-1", [f.trace_event()])
    store.save_loop_checkpoint("run-1", f.loop_checkpoint("run-1"))
    target.sql("UPDATE a3s_components SET document = '[{\"kind\": 1}]'")
    target.sql("UPDATE a3s_checkpoints SET document = '{'")
    with pytest.raises(CorruptDataError) as info:
        store.load_trace_events("s-1")
    assert info.value.session_id == "s-1" and info.value.key.startswith("[0]")
    with pytest.raises(CorruptDataError, match="invalid JSON"):
        store.load_loop_checkpoint("run-1")


def test_a_checkpoint_row_of_another_run_is_refused(target):
    store = target.open()
    store.save_loop_checkpoint("run-1", f.loop_checkpoint("run-1"))
    store.save_loop_checkpoint("run-2", f.loop_checkpoint("run-2"))
    target.sql("UPDATE a3s_checkpoints SET document = (SELECT document FROM a3s_checkpoints "
               "WHERE checkpoint_id = 'run-2') WHERE checkpoint_id = 'run-1'")
    with pytest.raises(CorruptDataError, match="run 'run-2'"):
        store.load_loop_checkpoint("run-1")


# -- what a save writes: the changed rows only ---------------------------------------


def _message_writes(log: list) -> tuple[int, int]:
    """(message rows inserted, message deletes) in the statements of ``log``."""
    inserted = sum(len(params) for sql, params in log
                   if sql.startswith("INSERT INTO a3s_messages"))
    deletes = sum(1 for sql, _ in log if sql.startswith("DELETE FROM a3s_messages"))
    return inserted, deletes


def test_an_append_writes_one_message_row(target):
    log: list = []
    store = target.open_with(counting(log))
    session = f.session(messages=200)
    store.save(session)
    assert _message_writes(log) == (200, 0)
    for i in range(3):
        log.clear()
        session.messages.append(_msg(f"turn {i}"))
        store.save_snapshot(SessionSnapshot(session=session)) if i else store.save(session)
        assert _message_writes(log) == (1, 0)
    log.clear()
    store.save(session)  # nothing changed: no message row is written
    assert _message_writes(log) == (0, 0)


def test_after_a_load_an_append_writes_one_row_too(target):
    target.open().save(f.session(messages=50))
    log: list = []
    store = target.open_with(counting(log))
    loaded = store.load("test-session-1")
    loaded.messages.append(_msg("more"))
    log.clear()
    store.save(loaded, expected_revision=loaded.revision)
    assert _message_writes(log) == (1, 0)
    assert target.open().load("test-session-1").messages == loaded.messages


def test_edits_rewrite_from_the_first_changed_message(target):
    log: list = []
    store = target.open_with(counting(log))
    session = f.session(messages=40)
    store.save(session)
    log.clear()
    session.messages[30] = _msg("replaced")
    store.save(session)
    assert _message_writes(log) == (10, 1)
    log.clear()
    del session.messages[35:]
    store.save(session)
    assert _message_writes(log) == (0, 1)
    log.clear()
    session.messages[3].extra["changed"] = "in place"
    store.save(session)
    assert _message_writes(log) == (35, 1)  # a change inside a message: all rows again
    assert target.open().load("test-session-1").messages == session.messages


def test_values_the_fingerprint_cannot_take_make_every_save_write_all_rows(target):
    from a3s_store import ToolUseBlock
    from a3s_store._json import F32

    log: list = []
    store = target.open_with(counting(log))
    session = f.session(messages=5)
    use = ToolUseBlock(id="t", name="n", input={"weight": F32(0.25)})
    session.messages.append(Message(role="assistant", content=[use]))
    store.save(session)
    log.clear()
    session.messages.append(_msg("next"))
    store.save(session)
    assert _message_writes(log) == (7, 1)  # every row again: slower, never stale
    use.input["weight"] = F32(0.5)
    store.save(session)
    got = target.open().load("test-session-1").messages[5].content[0].input
    assert got == {"weight": 0.5}


def test_a_save_after_another_writer_changed_the_rows_writes_them_all(target):
    log: list = []
    store = target.open_with(counting(log))
    session = f.session(messages=20)
    store.save(session)
    target.open().save(f.session(messages=25, name="other"))
    log.clear()
    session.messages.append(_msg("mine"))
    store.save(session)
    assert _message_writes(log) == (21, 1)
    assert target.open().load("test-session-1").messages == session.messages


def test_side_data_saves_write_no_message_row(target):
    log: list = []
    store = target.open_with(counting(log))
    store.save(f.session(messages=30))
    log.clear()
    store.save_trace_events("test-session-1", [f.trace_event()])
    store.save_run_records("test-session-1", [f.run_record()])
    assert _message_writes(log) == (0, 0)


# -- opening ---------------------------------------------------------------------------


def test_a_connection_passed_in_is_used_and_left_open(tmp_path):
    conn = sqlite3.connect(tmp_path / "s.db")  # the module's default transaction mode
    store = SqlSessionStore(conn)
    store.save(f.session())
    store.close()
    assert conn.execute("SELECT count(*) FROM a3s_sessions").fetchone() == (1,)
    assert SqlSessionStore(conn).load("test-session-1") is not None
    assert not conn.in_transaction
    conn.close()


@pytest.mark.parametrize("args, kwargs, error, text", [
    ((), {}, ValueError, "connection or connect"),
    ((sqlite3.connect(":memory:"),), {"connect": lambda: None}, ValueError, "not both"),
    ((), {"connect": "not callable"}, TypeError, "function"),
    ((sqlite3.connect(":memory:"),), {"dialect": "mysql"}, ValueError, "dialect"),
    ((object(),), {}, ValueError, "dialect="),
    ((sqlite3.connect(":memory:"),), {"max_file_bytes": 0}, ValueError, "max_file_bytes"),
])
def test_bad_arguments_are_refused(args, kwargs, error, text):
    with pytest.raises(error, match=text):
        SqlSessionStore(*args, **kwargs)


def test_without_psycopg_a_postgres_store_names_the_package(monkeypatch):
    real_import = builtins.__import__

    def no_psycopg(name, *args, **kwargs):
        if name.split(".")[0] == "psycopg":
            raise ImportError("No module named 'psycopg'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "psycopg", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    monkeypatch.setattr(_connect.importlib, "import_module", lambda name: no_psycopg(name))
    with pytest.raises(MissingDriverError, match=r"pip install 'psycopg\[binary\]'") as info:
        SqlSessionStore.postgres("postgresql://nowhere/db")
    assert isinstance(info.value, ImportError)


def test_importing_the_package_loads_no_driver():
    import subprocess
    import sys

    code = ("import sys, a3s_store; print(sorted(m for m in ('sqlite3', 'psycopg', "
            "'_sqlite3') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.stdout.strip() == "[]", done.stderr


def test_the_location_never_shows_a_password():
    assert _connect.redacted("postgresql://u:pw@h:5/d?sslmode=require") == \
        "postgresql://u@h:5/d?sslmode=require"
    assert "pw" not in _connect.redacted("postgresql://h/d?password=pw&x=1")
    assert "pw" not in _connect.redacted("host=h password=pw")


def test_a_document_over_the_size_limit_is_refused(target, tmp_path):
    store = SqlSessionStore.sqlite(tmp_path / "small.db", ) if target.dialect == "sqlite" \
        else target.open()
    store.max_file_bytes = 2000
    with pytest.raises(InvalidDataError, match="byte limit"):
        store.save(f.session(messages=30))
    with pytest.raises(InvalidDataError, match="byte limit"):
        store.save_trace_events("x", [f.trace_event()] * 20)
    assert store.load("test-session-1") is None and store.load_trace_events("x") is None
    store.close()


def test_a_database_locked_past_the_busy_timeout_is_a_lock_timeout(tmp_path):
    path = tmp_path / "s.db"
    store = SqlSessionStore.sqlite(path, busy_timeout=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(LockTimeoutError, match="locked") as info:
            store.save(f.session())
        assert info.value.session_id == "test-session-1"
        assert store.load("test-session-1") is None  # readers are not blocked (WAL)
    finally:
        holder.execute("ROLLBACK")
    store.save(f.session())


def test_threads_can_share_a_store(target):
    store = target.open()
    errors: list = []

    def work(t: int) -> None:
        try:
            session = f.session(f"t{t}", messages=0)
            for i in range(25):
                session.messages.append(_msg(f"{t}-{i}"))
                store.save(session)
                assert len(store.load(f"t{t}").messages) == i + 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert store.list() == [f"t{t}" for t in range(8)]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="needs the fork start method")
def test_a_store_opened_before_a_fork_works_in_the_child(target):
    store = target.open()
    store.save(f.session("parent"))

    def work():
        store.save(f.session("child"))
        return store.list()

    assert _in_a_child(work) == ["child", "parent"]
    assert store.list() == ["child", "parent"]  # the parent's connection still works


def _in_a_child(work):
    """What ``work()`` returns in a forked child process (or the repr of what it raised)."""
    def child(queue):
        try:
            queue.put(work())
        except BaseException as exc:  # reported to the parent
            queue.put(repr(exc))

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    try:
        return queue.get(timeout=60)
    finally:
        proc.join(60)


def test_keys_keep_ids_apart_and_in_order():
    ids = ["", "\x00", "\x00\x00", "\x01", "\x01\x00", "\x01\x01", "\x02", "a\x00", "a"]
    keys = [_rows.key(i) for i in ids]
    assert len(set(keys)) == len(ids)
    assert sorted(keys) == [_rows.key(i) for i in sorted(ids)]
    assert [_rows.unkey(k) for k in keys] == ids
    assert all("\x00" not in k for k in keys)


def test_an_agent_session_saved_every_turn_writes_one_row_a_turn(target):
    from a3s_store import AgentSession, resume_session

    log: list = []
    session = AgentSession(session_id="agent", model="openai/gpt-4o",
                           store=target.open_with(counting(log)))
    for turn in range(4):
        session.history.append(_msg(f"turn {turn}"))
        log.clear()
        session.save()
        assert _message_writes(log) == (1, 0)
    resumed = resume_session(target.open_with(counting(log)), "agent")
    resumed.history.append(_msg("after resume"))
    log.clear()
    resumed.save()
    assert _message_writes(log) == (1, 0)
    assert len(target.open().load("agent").messages) == 5


def test_a_psycopg_connection_in_its_default_mode_works(target):
    if target.dialect != "postgresql":
        pytest.skip("psycopg only")
    conn = target.psycopg.connect(target.dsn, options=target.options)  # not autocommit
    try:
        store = SqlSessionStore(conn)
        assert store.backend_name() == "postgresql"
        store.save(f.session(messages=2))
        session = store.load("test-session-1")
        session.messages.append(_msg("more"))
        store.save(session, expected_revision=session.revision)
        assert conn.info.transaction_status == 0  # idle: nothing left open
        assert len(target.open().load("test-session-1").messages) == 3
    finally:
        conn.close()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="needs the fork start method")
def test_a_connection_passed_in_is_refused_in_a_forked_child(tmp_path):
    conn = sqlite3.connect(tmp_path / "s.db", check_same_thread=False)
    store = SqlSessionStore(conn)
    store.save(f.session())
    got = _in_a_child(lambda: store.load("test-session-1") and "used the parent's connection")
    assert "ConnectionLostError" in got
    assert store.load("test-session-1") is not None
    conn.close()


def test_a_connection_opened_for_a_store_that_cannot_open_is_closed(tmp_path):
    opened = []

    def connect():
        opened.append(sqlite3.connect(tmp_path / "s.db"))
        return opened[-1]

    with pytest.raises(ValueError, match="max_file_bytes"):
        SqlSessionStore(connect=connect, max_file_bytes=-1)
    assert opened == []  # refused before connecting
    sqlite3.connect(tmp_path / "s.db").execute("CREATE TABLE a3s_schema_version (version INT, "
                                               "description TEXT)").connection.commit()
    sqlite3.connect(tmp_path / "s.db").execute(
        "INSERT INTO a3s_schema_version VALUES (99, 'future')").connection.commit()
    with pytest.raises(Exception, match="newer"):
        SqlSessionStore(connect=connect)
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[-1].execute("SELECT 1")


def test_closing_a_store_in_a_forked_child_leaves_the_parent_s_connection(target):
    store = target.open()
    store.save(f.session("parent"))
    connection = store._link._conn
    assert _in_a_child(lambda: store.close() or "closed") == "closed"
    assert store.list() == ["parent"]
    assert store._link._conn is connection  # not broken, so not replaced
