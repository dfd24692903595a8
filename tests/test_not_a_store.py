"""Folders that are not stores: nothing is created, moved or changed in them.

A user points a command at the wrong folder (a project with a
``package.json`` and a broken ``tsconfig.json``), or reads an a3s-code
folder the store never wrote to. Read-only commands and read methods must
leave such a folder exactly as it was (no ``.a3s_store/``), ``verify
--repair`` must refuse a folder that is not a store, and in any folder a
file that is not a session is never moved.
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib

import pytest

import factories
from a3s_store import FileSessionStore
from a3s_store._check import Checker
from a3s_store.cli import main

PROJECT = {
    "package.json": b'{"name": "web", "version": "1.0.0"}\n',
    "schema.json": b'{"id": "http://example.com/schema#", "type": "object"}\n',
    "tsconfig.json": b'{broken\n',
    "notes.json": b'[1, 2, 3]\n',
}


def tree(root: pathlib.Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for a folder)."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = pathlib.Path(p).read_bytes()
    return out


@pytest.fixture
def project(tmp_path: pathlib.Path) -> pathlib.Path:
    for name, data in PROJECT.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.ts").write_bytes(b"export {}\n")
    return tmp_path


def cli(root: pathlib.Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--root", str(root), *argv])
    return code, out.getvalue(), err.getvalue()


def a3s_code_folder(root: pathlib.Path, *ids: str) -> None:
    """Sessions as a3s-code writes them (no ``.a3s_store`` folder)."""
    root.mkdir(exist_ok=True)
    for session_id in ids:
        FileSessionStore(root / ".." / "scratch").save(factories.session(session_id))
        src = root / ".." / "scratch" / f"{session_id}.json"
        (root / f"{session_id}.json").write_bytes(src.read_bytes())


@pytest.mark.parametrize("argv", [["list"], ["list", "--json"], ["stats"], ["verify"],
                                  ["show", "chat-1"], ["export", "chat-1"]])
def test_read_only_commands_leave_a_project_folder_as_it_was(project, argv):
    before = tree(project)
    cli(project, *argv)
    assert tree(project) == before


def test_repair_refuses_a_folder_that_is_not_a_store(project):
    before = tree(project)
    code, out, err = cli(project, "verify", "--repair")
    assert code == 2
    assert str(project) in err and "not a session store" in err
    assert "nothing was changed" in err
    assert tree(project) == before


def test_verify_names_a_folder_that_is_not_a_store(project):
    code, out, err = cli(project, "verify")
    assert code == 2
    assert str(project) in err and "not a session store" in err


def test_reading_methods_create_nothing(project):
    before = tree(project)
    store = FileSessionStore(project, create=False)
    assert store.list() == []
    assert store.list_summaries() == []
    assert not store.exists("chat-1")
    assert store.load("chat-1") is None
    assert store.load_snapshot("chat-1") is None
    assert tree(project) == before


def test_reading_an_a3s_code_folder_creates_nothing(tmp_path):
    root = tmp_path / "sessions"
    a3s_code_folder(root, "chat-1", "chat-2")
    before = tree(root)
    store = FileSessionStore(root)
    assert store.list() == ["chat-1", "chat-2"]
    assert [s.id for s in store.list_summaries()] == ["chat-1", "chat-2"]
    assert store.load("chat-1").id == "chat-1"
    for argv in (["list"], ["stats"], ["verify"], ["show", "chat-1"]):
        cli(root, *argv)
    assert tree(root) == before


def test_the_first_save_still_makes_the_store_folder(tmp_path):
    root = tmp_path / "sessions"
    a3s_code_folder(root, "chat-1")
    store = FileSessionStore(root)
    store.save(factories.session("chat-2"))
    assert (root / ".a3s_store").is_dir()
    assert store.list() == ["chat-1", "chat-2"]


def test_repair_in_a_store_never_moves_a_file_that_is_not_a_session(tmp_path):
    store = FileSessionStore(tmp_path)
    store.save(factories.session("chat-1"))
    for name, data in PROJECT.items():
        (tmp_path / name).write_bytes(data)
    torn = (tmp_path / "chat-1.json").read_bytes()[:40]
    (tmp_path / "chat-2.json").write_bytes(torn)
    with Checker(str(tmp_path)) as checker:
        scan = checker.scan()
        actions = checker.repair()
    moved = {os.path.basename(path) for path, what in actions if "moved" in what}
    assert moved == {"chat-2.json"}
    for name, data in PROJECT.items():
        assert (tmp_path / name).read_bytes() == data
    notes = {os.path.basename(f.path) for f in scan.findings if f.kind == "not-a-session"}
    assert notes == set(PROJECT)
    assert all(f.severity == "note" for f in scan.findings if f.kind == "not-a-session")


def test_repair_works_in_an_a3s_code_folder(tmp_path):
    root = tmp_path / "sessions"
    a3s_code_folder(root, "chat-1", "chat-2")
    (root / "chat-2.json").write_bytes((root / "chat-2.json").read_bytes()[:30])
    code, out, err = cli(root, "verify", "--repair")
    assert code == 0, err
    assert "chat-2.json: damaged: moved to" in out
    assert FileSessionStore(root).list() == ["chat-1"]


@pytest.mark.parametrize("data,session_like", [
    (b"", True),
    (b"  \n", True),
    (b"{", True),
    (b'{\n  "i', True),
    (b'{\n  "id": "chat-1",\n  "config": {', True),
    (b'{"id": 3, "messages": []}', False),
    (b'{"id": "chat-1", "messages": []}', True),
    (b'{"id": "http://example.com/schema#", "type": "object"}', False),
    (b'{"name": "web"}', False),
    (b"[1, 2]", False),
    (b"{broken", False),
    (b"\xff\xfe", False),
])
def test_what_looks_like_a_session(data, session_like):
    from a3s_store._shape import looks_like_session
    assert looks_like_session(data) is session_like


def test_gc_refuses_a_project_folder_and_never_removes_its_artifacts(project):
    (project / "artifacts" / "build").mkdir(parents=True)
    (project / "artifacts" / "build" / "app.js").write_bytes(b"x")
    before = tree(project)
    code, out, err = cli(project, "gc", "--yes")
    assert code == 2 and "not a session store" in err
    assert tree(project) == before


def test_gc_in_a_store_leaves_an_artifacts_folder_holding_other_files(tmp_path):
    store = FileSessionStore(tmp_path)
    store.save(factories.session("chat-1"))
    (tmp_path / "artifacts" / "build").mkdir(parents=True)
    (tmp_path / "artifacts" / "build" / "app.js").write_bytes(b"x")
    code, out, err = cli(tmp_path, "gc", "--yes")
    assert code == 0, err
    assert (tmp_path / "artifacts" / "build" / "app.js").read_bytes() == b"x"


def test_a_first_save_during_an_unlocked_read_never_mixes_generations(tmp_path, monkeypatch):
    """Found in review: a reader of a folder without .a3s_store reads without a
    lock; the store's first save there, published between the reader's session
    file and its side files, made load_snapshot return a mix of both."""
    import shutil
    import threading

    from a3s_store import SessionSnapshot, _engine
    from a3s_store._components import SESSION

    root = tmp_path / "sessions"
    FileSessionStore(root).save_snapshot(SessionSnapshot(
        session=factories.session("s1", messages=2), trace_events=[factories.trace_event()]))
    shutil.rmtree(root / ".a3s_store")  # a folder the store has not written to yet
    paused, go_on = threading.Event(), threading.Event()
    real = _engine.Operation.load

    def load(self, files, component, **kw):
        value = real(self, files, component, **kw)
        if component is SESSION and threading.current_thread().name == "reader":
            paused.set()
            go_on.wait(10)
        return value

    monkeypatch.setattr(_engine.Operation, "load", load)
    got = {}
    reader = threading.Thread(name="reader", target=lambda: got.setdefault(
        "snap", FileSessionStore(root).load_snapshot("s1")))
    reader.start()
    assert paused.wait(10)
    new = SessionSnapshot(session=factories.session("s1", messages=4), trace_events=[])
    FileSessionStore(root).save_snapshot(new)  # the first save: it makes .a3s_store
    go_on.set()
    reader.join(10)
    snap = got["snap"]
    assert (len(snap.session.messages), len(snap.trace_events)) == (4, 0)
