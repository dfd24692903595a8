"""The command line on every kind of store: ``copy SRC DST`` and store URLs in ``--root``.

``copy`` runs between a folder, SQLite and PostgreSQL (with
``A3S_TEST_POSTGRES_DSN``; skipped without it) and must be complete,
idempotent and resumable, show progress only on a terminal, and name every
session it could not copy. ``list``, ``show``, ``export``, ``delete`` and
``verify`` take a database URL as ``--root``; the folder-only commands
refuse one clearly. Run through ``clirun.run`` (a process each at full
strength) where the exit and the streams matter, through ``main(argv)``
where a fault or a terminal is simulated.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import sys

import pytest

import factories
from a3s_store import FileSessionStore, SessionSnapshot, SqlSessionStore, _fs
from a3s_store.cli import main
from clirun import run
from test_cli import _Stream, sample_snapshot


def url_of(t) -> str:
    """The store URL of an ``SqlTarget`` (its own schema on PostgreSQL)."""
    if t.dialect == "sqlite":
        return t.url
    glue = "&" if "?" in t.dsn else "?"
    return f"{t.dsn}{glue}options=-csearch_path%3D{t.schema}"


def folder_with(path, n: int = 3) -> FileSessionStore:
    store = FileSessionStore(path)
    for i in range(n):
        snap = sample_snapshot(f"chat-{i}", updated_at=1700000000 + i)
        store.save_snapshot(snap)
    run_id = snap.run_records[0].snapshot.id  # a run of a session: copy finds its checkpoint
    store.save_loop_checkpoint(run_id, factories.loop_checkpoint(run_id))
    return store


def files_of(root) -> dict:
    """Every file of a store folder but the store's own bookkeeping: name -> bytes."""
    out = {}
    for dirpath, _, names in os.walk(root):
        if ".a3s_store" in dirpath.split(os.sep):
            continue
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


def sigs_of(root) -> dict:
    return {name: os.stat(os.path.join(root, name)).st_ino for name in files_of(root)}


# -- copy ------------------------------------------------------------------------------


def test_copy_from_a_folder_to_a_database_and_back_gives_the_same_bytes(tmp_path, target):
    folder_with(tmp_path / "src")
    url = url_of(target)
    code, out, err = run("copy", str(tmp_path / "src"), url)
    assert (code, err) == (0, "")
    assert out.startswith("copied 3 sessions (0 already there), 1 checkpoint from ")
    code, out, _ = run("copy", url, str(tmp_path / "back"))
    assert code == 0 and "copied 3 sessions" in out
    assert files_of(tmp_path / "back") == files_of(tmp_path / "src")


def test_a_second_copy_writes_nothing(tmp_path):
    folder_with(tmp_path / "src")
    db = f"sqlite://{tmp_path}/s.db"
    assert run("copy", str(tmp_path / "src"), db)[0] == 0
    assert run("copy", db, str(tmp_path / "dst"))[0] == 0
    before = sigs_of(tmp_path / "dst")
    code, out, _ = run("copy", db, str(tmp_path / "dst"))
    assert code == 0
    assert out.startswith("copied 0 sessions (3 already there), 0 checkpoints")
    assert sigs_of(tmp_path / "dst") == before  # not one file rewritten


def test_an_interrupted_copy_says_how_to_resume_and_resuming_finishes_it(
        tmp_path, monkeypatch, capsys):
    folder_with(tmp_path / "src", n=6)
    db = SqlSessionStore.sqlite(tmp_path / "src.db")
    from a3s_store import copy_store

    copy_store(FileSessionStore(tmp_path / "src"), db)
    db.close()
    renames = []

    def disk_full_after_a_few(name: str) -> None:  # every session written is a few renames
        if name == "replace":
            renames.append(name)
            # Full from then on (a full disk stays full): a failing write of
            # a cache, such as the listing's change log, is not a failed copy.
            if len(renames) >= 8:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_fs.hooks, "fault_hook", disk_full_after_a_few)
    dst = tmp_path / "dst"
    assert main(["copy", f"sqlite://{tmp_path}/src.db", str(dst)]) == 1
    err = capsys.readouterr().err
    assert "copy stopped after" in err and "run the same command again to resume" in err
    assert "No space left" in err and str(dst) in err and ".tmp" not in err
    copied_first = {n: i for n, i in sigs_of(dst).items() if n.endswith(".json")}
    assert 0 < len([n for n in copied_first if os.sep not in n]) < 6
    monkeypatch.setattr(_fs.hooks, "fault_hook", None)
    assert main(["copy", f"sqlite://{tmp_path}/src.db", str(dst)]) == 0
    out = capsys.readouterr().out
    assert "already there" in out and not out.startswith("copied 0 ")
    assert files_of(dst) == files_of(tmp_path / "src")
    after = sigs_of(dst)
    assert all(after[n] == i for n, i in copied_first.items())  # nothing copied twice


def test_a_session_that_cannot_be_copied_is_named_with_why_and_exits_1(tmp_path):
    src = SqlSessionStore.sqlite(tmp_path / "src.db")
    src.save(factories.session("good"))
    src.save(factories.session("damaged"))
    src.close()
    conn = sqlite3.connect(tmp_path / "src.db")
    with conn:
        conn.execute("UPDATE a3s_messages SET message = '{' WHERE session_id = 'damaged'")
    conn.close()
    code, out, err = run("copy", f"sqlite://{tmp_path}/src.db", str(tmp_path / "dst"))
    assert code == 1
    assert "not copied: session 'damaged'" in err and "messages[0]" in err
    assert "copied 1 session" in out and "1 not copied" in out
    assert FileSessionStore(tmp_path / "dst").list() == ["good"]


def test_copy_shows_progress_on_a_terminal_only(tmp_path, monkeypatch, capsys):
    folder_with(tmp_path / "src")
    tty = _Stream(tty=True)
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["copy", str(tmp_path / "src"), f"sqlite://{tmp_path}/a.db"]) == 0
    assert "\rcopying 3/3" in tty.text and tty.text.endswith("\r")  # drawn, then erased
    piped = _Stream(tty=False)
    monkeypatch.setattr(sys, "stderr", piped)
    assert main(["copy", str(tmp_path / "src"), f"sqlite://{tmp_path}/b.db"]) == 0
    assert piped.text == ""
    assert capsys.readouterr().out.count("copied 3 sessions") == 2


def test_copy_from_a_store_that_is_not_there_creates_nothing(tmp_path):
    code, out, err = run("copy", str(tmp_path / "nowhere"), f"sqlite://{tmp_path}/x.db")
    assert (code, out) == (2, "") and str(tmp_path / "nowhere") in err
    code, _, err = run("copy", f"sqlite://{tmp_path}/none.db", str(tmp_path / "x"))
    assert code == 2 and "database file does not exist" in err
    assert os.listdir(tmp_path) == []


# -- store URLs in --root ----------------------------------------------------------------


@pytest.fixture
def database(tmp_path, target):
    """A database store holding chat-1 and chat-2; its URL."""
    store = target.open()
    store.save_snapshot(sample_snapshot("chat-1", updated_at=1700000100))
    store.save_snapshot(sample_snapshot("chat-2", updated_at=1700009999, name="Second"))
    return url_of(target)


def test_list_show_export_and_delete_take_a_database_url(database, tmp_path):
    code, out, _ = run("--root", database, "list")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["chat-2",
                                                                                "chat-1"]
    code, out, _ = run("list", "--root", database, "--json")
    assert [r["id"] for r in json.loads(out)] == ["chat-2", "chat-1"]
    code, out, _ = run("--root", database, "show", "chat-1")
    assert code == 0 and out.startswith("session 'chat-1'  Test Session\n")
    code, _, _ = run("--root", database, "export", "chat-2", "-o", str(tmp_path / "c.html"))
    assert code == 0 and "Second" in (tmp_path / "c.html").read_text()
    code, _, err = run("--root", database, "show", "nope")
    assert code == 1 and "no session 'nope' in " in err
    assert run("--root", database, "delete", "chat-1")[0] == 0
    assert "chat-1" not in run("--root", database, "list")[1]


def test_a_database_url_from_the_environment_is_taken_too(database):
    code, out, _ = run("list", env_root=database)
    assert code == 0 and "chat-2" in out


def test_verify_on_a_database_checks_that_every_record_loads(database, target):
    code, out, _ = run("--root", database, "verify")
    assert code == 0
    assert out.endswith("(the database answers, every record loads): ok\n")
    assert out.startswith("checked 2 sessions with their side data, 0 checkpoints in ")
    target.sql("UPDATE a3s_messages SET message = '{' WHERE session_id = 'chat-2' "
               "AND position = 1")
    code, out, _ = run("--root", database, "verify")
    assert code == 1
    assert "problem  damaged       session 'chat-2': " in out and "messages[1]" in out
    doc = json.loads(run("--root", database, "verify", "--json")[1])
    assert [f["path"] for f in doc["findings"]] == ["session 'chat-2'"]
    for flag in ("--repair", "--adopt"):
        code, out, err = run("--root", database, "verify", flag)
        assert (code, out) == (2, "") and "work on a store folder" in err


@pytest.mark.parametrize("command", ["gc", "stats"])
def test_folder_only_commands_refuse_a_database_url_clearly(database, command):
    code, out, err = run("--root", database, command)
    assert (code, out) == (2, "")
    assert f"{command} works on a store folder only" in err and err.count("\n") == 1


def test_a_missing_sqlite_file_is_exit_code_2_and_is_not_created(tmp_path):
    code, out, err = run("--root", f"sqlite://{tmp_path}/none.db", "list")
    assert (code, out) == (2, "")
    assert str(tmp_path / "none.db") in err and "does not exist" in err
    assert os.listdir(tmp_path) == []


def test_an_unknown_url_scheme_is_a_usage_error(tmp_path):
    code, out, err = run("--root", "mysql://db/sessions", "list")
    assert (code, out) == (2, "") and "unknown store URL scheme 'mysql'" in err


def test_a_file_url_is_a_folder(tmp_path):
    folder_with(tmp_path / "s", n=1)
    code, out, _ = run("--root", f"file://{tmp_path}/s", "list")
    assert code == 0 and "chat-0" in out


def test_copy_into_a_snapshot_keeps_side_data(tmp_path):
    # The CLI copy goes through copy_store: every component arrives.
    folder_with(tmp_path / "src", n=1)
    assert run("copy", str(tmp_path / "src"), f"sqlite://{tmp_path}/s.db")[0] == 0
    with SqlSessionStore.sqlite(tmp_path / "s.db") as store:
        snap = store.load_snapshot("chat-0")
    assert isinstance(snap, SessionSnapshot)
    assert snap.trace_events and snap.run_records and snap.subagent_tasks
