"""copy_store between any two stores, and open_store from URLs.

Copies are complete (every session with every component and the
checkpoints that can be found), idempotent (a second copy writes nothing),
resumable (a copy stopped halfway and run again ends like an uninterrupted
one) and report progress. Run on memory, file and SQLite stores, and
PostgreSQL with ``A3S_TEST_POSTGRES_DSN``.
"""

from __future__ import annotations

import os

import pytest

import factories as f
from a3s_store import (
    CorruptDataError,
    FileSessionStore,
    MemorySessionStore,
    SessionSnapshot,
    SqlSessionStore,
    copy_store,
    open_store,
)
from a3s_store.testing.backends import BUILTIN_BACKENDS
from fake_stores import CountingStore

BACKENDS = {b.name: b for b in BUILTIN_BACKENDS}


def _fill(store, n: int = 4) -> None:
    for i in range(n):
        sid = f"tenant/s-{i}"
        store.save_snapshot(SessionSnapshot(
            session=f.session(sid, messages=i + 1), artifacts=f.artifact_store(f"a{i}"),
            trace_events=[f.trace_event(f"t{i}")],
            run_records=[f.run_record(sid, run_id=f"run-{i}")],
            verification_reports=[f.verification_report()],
            subagent_tasks=[f.subagent_task(sid)]))
        store.save_loop_checkpoint(f"run-{i}", f.loop_checkpoint(f"run-{i}", session_id=sid))
    store.save_loop_checkpoint("orphan-run", f.loop_checkpoint("orphan-run"))
    store.save_workflow_checkpoint("wf-1", f.workflow_checkpoint("wf-1"))


def _contents(store) -> dict:
    out = {sid: store.load_snapshot(sid) for sid in store.list()}
    out["checkpoints"] = [store.load_loop_checkpoint(f"run-{i}") for i in range(4)]
    return out


@pytest.fixture(params=[("sqlite", "file"), ("file", "sqlite"), ("memory", "sqlite"),
                        ("postgresql", "file"), ("sqlite", "postgresql")],
                ids=lambda pair: f"{pair[0]}-to-{pair[1]}")
def pair(request, tmp_path):
    opened = []
    for side, name in zip(("src", "dst"), request.param):
        backend = BACKENDS[name]
        reason = backend.unavailable()
        if reason:
            pytest.skip(reason)
        folder = tmp_path / side
        folder.mkdir()
        opened.append(backend.open(str(folder)))
    yield opened[0], opened[1]
    for instance in opened:
        instance.close()


def test_a_copy_holds_every_session_component_and_run_checkpoint(pair):
    src, dst = pair[0].store, pair[1].store
    _fill(src)
    seen = []
    result = copy_store(src, dst, progress=lambda done, total, sid: seen.append((done, total)))
    assert (result.copied, result.unchanged, result.failed) == (4, 0, {})
    assert seen == [(i, 4) for i in range(1, 5)]
    assert _contents(dst) == _contents(src)
    assert result.checkpoints >= 4


def test_checkpoints_a_source_can_list_are_all_copied(tmp_path):
    src = SqlSessionStore.sqlite(tmp_path / "s.db")
    dst = MemorySessionStore()
    _fill(src)
    copy_store(src, dst)
    assert dst.load_loop_checkpoint("orphan-run") == src.load_loop_checkpoint("orphan-run")
    assert dst.load_workflow_checkpoint("wf-1") == src.load_workflow_checkpoint("wf-1")
    src.close()


def test_a_second_copy_writes_nothing(pair):
    src, dst = pair[0].store, pair[1].store
    _fill(src)
    copy_store(src, dst)
    counting = CountingStore(dst)
    result = copy_store(src, counting)
    assert (result.copied, result.unchanged, result.checkpoints) == (0, 4, 0)
    assert not counting.writes()


def test_a_copy_overwrites_what_differs_and_leaves_other_sessions(pair):
    src, dst = pair[0].store, pair[1].store
    _fill(src)
    copy_store(src, dst)
    src.save(f.session("tenant/s-1", messages=9))
    dst.save(f.session("only-in-dst"))
    result = copy_store(src, dst)
    assert (result.copied, result.unchanged) == (1, 3)
    assert len(dst.load("tenant/s-1").messages) == 9
    assert dst.exists("only-in-dst")


class StopAfter(CountingStore):
    """A target that fails (a full disk) after ``n`` snapshot saves."""

    def __init__(self, inner, n: int):
        super().__init__(inner)
        self.left = n

    def save_snapshot(self, snapshot, **kwargs):
        if self.left == 0:
            raise OSError(28, "No space left on device")
        self.left -= 1
        return self.inner.save_snapshot(snapshot, **kwargs)


def test_a_stopped_copy_resumes(pair):
    src, dst = pair[0].store, pair[1].store
    _fill(src)
    with pytest.raises(OSError):
        copy_store(src, StopAfter(dst, 2))
    assert len(dst.list()) == 2
    result = copy_store(src, dst)
    assert (result.copied, result.unchanged) == (2, 2)
    assert _contents(dst) == _contents(src)


def test_a_damaged_session_is_reported_and_the_rest_copied(tmp_path):
    import sqlite3

    src = SqlSessionStore.sqlite(tmp_path / "src.db")
    _fill(src)
    src.save(f.session("damaged"))
    conn = sqlite3.connect(tmp_path / "src.db")
    with conn:
        conn.execute("UPDATE a3s_messages SET message = '{' WHERE session_id = 'damaged'")
    conn.close()
    dst = MemorySessionStore()
    result = copy_store(src, dst)
    assert list(result.failed) == ["damaged"]
    assert isinstance(result.failed["damaged"], CorruptDataError)
    assert result.copied == 4 and dst.list() == sorted(f"tenant/s-{i}" for i in range(4))
    src.close()


# -- open_store -----------------------------------------------------------------------


def test_open_store_takes_paths_and_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert isinstance(open_store(tmp_path / "folder"), FileSessionStore)
    assert isinstance(open_store(str(tmp_path / "folder2")), FileSessionStore)
    assert open_store("file://" + str(tmp_path / "folder3")).root == str(tmp_path / "folder3")
    assert isinstance(open_store("memory:"), MemorySessionStore)
    assert isinstance(open_store("with:colon"), FileSessionStore)  # a folder name
    with open_store(f"sqlite://{tmp_path}/abs.db") as store:
        assert store.backend_name() == "sqlite"
    with open_store("sqlite:rel.db?synchronous=NORMAL&busy_timeout=2") as store:
        assert store._link._conn.execute("PRAGMA synchronous").fetchone() == (1,)
    assert (tmp_path / "rel.db").exists() and (tmp_path / "abs.db").exists()
    with open_store(f"sqlite://{tmp_path}/sp%20ace.db"):
        pass
    assert (tmp_path / "sp ace.db").exists()


@pytest.mark.parametrize("url, text", [
    ("mysql://db/x", "unknown store URL scheme 'mysql'"),
    ("sqlite://host/x.db", "no host"),
    ("sqlite:", "names no database file"),
    ("sqlite:x.db?journal=off", "unknown option 'journal'"),
])
def test_open_store_refuses_what_it_cannot_open(url, text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=text):
        open_store(url)
    assert os.listdir(tmp_path) == []


def test_open_store_opens_postgresql_urls(tmp_path):
    from sqlkit import SqlTarget, skip_unavailable

    skip_unavailable("postgresql")
    target = SqlTarget("postgresql", tmp_path)
    try:
        glue = "&" if "?" in target.dsn else "?"
        url = f"{target.dsn}{glue}options=-csearch_path%3D{target.schema}"
        with open_store(url) as store:
            assert store.backend_name() == "postgresql"
            store.save(f.session())
        assert target.open().list() == ["test-session-1"]
    finally:
        target.close()


def test_open_store_refuses_what_is_not_a_path():
    with pytest.raises(TypeError, match="path or a store URL"):
        open_store(42)


@pytest.mark.parametrize("url", ["folder", "memory:", "sqlite"])
def test_every_store_open_store_gives_works_in_a_with_block(tmp_path, url):
    from a3s_store import SessionSummaries

    location = {"folder": str(tmp_path / "sessions"),
                "sqlite": f"sqlite:///{tmp_path / 'store.db'}"}.get(url, url)
    with open_store(location) as store:
        store.save(f.session("chat-1"))
        summaries = store.list_summaries()
        assert [s.id for s in summaries] == ["chat-1"]
        assert isinstance(summaries, SessionSummaries)  # a table in a notebook
        assert "<table" in summaries._repr_html_()
