"""Listing ids and summaries through the listing index: fast, and never stale."""

from __future__ import annotations

import os

import pytest

import factories as f
from a3s_store import FileSessionStore, _clock, _fs, _json

INTERNAL = ".a3s_store"


@pytest.fixture
def trusting(monkeypatch):
    """Trust an index at once (in real use it is trusted a measured freshness
    window after the last change)."""
    monkeypatch.setattr(_clock, "window_ns", lambda layout, dev: -1)


def _write_like_a3s_code(root, name: str, doc: dict) -> None:
    tmp = os.path.join(root, name + ".123.456.0.tmp")
    with open(tmp, "wb") as fh:
        fh.write(_json.encode_bytes(doc))
    os.replace(tmp, os.path.join(root, name))


def _opens(store, method) -> list[str]:
    calls = []
    _fs.hooks.fault_hook = calls.append
    try:
        method()
    finally:
        _fs.hooks.fault_hook = None
    return calls


def test_summaries_show_what_each_session_holds(tmp_path):
    store = FileSessionStore(tmp_path / "s")
    store.save(f.session("b", messages=3, name="Bee"))
    store.save(f.session("a/x", messages=1, name="Ay"))
    got = store.list_summaries()
    assert [(s.id, s.name, s.state, s.messages, s.updated_at) for s in got] == [
        ("a/x", "Ay", "Active", 1, 1700000100), ("b", "Bee", "Active", 3, 1700000100)]
    assert all(s.size_bytes == os.path.getsize(tmp_path / "s" / (
        "b.json" if s.id == "b" else "a_x.json")) for s in got)


def test_listing_follows_every_save_and_delete(tmp_path, trusting):
    store = FileSessionStore(tmp_path / "s")
    for i in range(5):
        store.save(f.session(f"s{i}"))
    assert store.list() == [f"s{i}" for i in range(5)]
    store.delete("s2")
    store.save(f.session("s9", messages=7))
    assert store.list() == ["s0", "s1", "s3", "s4", "s9"]
    assert [s.messages for s in store.list_summaries()][-1] == 7


def test_fast_path_makes_the_same_calls_whatever_the_number_of_sessions(tmp_path, trusting):
    calls = {}
    for count in (3, 60):
        store = FileSessionStore(tmp_path / f"s{count}")
        for i in range(count):
            store.save(f.session(f"s{i}"))
        store.list()  # builds the index
        calls[count] = _opens(store, store.list_summaries)
        assert len(store.list_summaries()) == count
    assert calls[3] == calls[60]  # no session file, no per-session stat: one index read


def test_changes_made_by_a3s_code_show_in_the_next_listing(tmp_path, trusting):
    root = tmp_path / "s"
    store = FileSessionStore(root)
    store.save(f.session("mine", messages=2))
    store.list_summaries()
    _write_like_a3s_code(root, "rust-1.json", f.session_dict("rust-1", messages=4))
    _write_like_a3s_code(root, "mine.json", f.session_dict("mine", messages=6, name="edited"))
    got = {s.id: (s.name, s.messages) for s in store.list_summaries()}
    assert got == {"mine": ("edited", 6), "rust-1": ("Test Session", 4)}


def test_non_sessions_and_damaged_files_are_skipped_not_fatal(tmp_path):
    root = tmp_path / "s"
    store = FileSessionStore(root)
    store.save(f.session("good"))
    (root / "notes.json").write_text('{"not": "a session"}')
    (root / "broken.json").write_text("{")
    (root / "other.json").write_bytes(_json.encode_bytes(f.session_dict("not-other")))
    assert store.list() == ["good"]
    assert [s.id for s in store.list_summaries()] == ["good"]


def test_a_damaged_or_foreign_index_is_rebuilt(tmp_path, trusting):
    root = tmp_path / "s"
    store = FileSessionStore(root)
    store.save(f.session("a"))
    store.list()
    for garbage in (b"{", b"[]", b'{"version": 99}', b"\x00\xff"):
        (root / INTERNAL / "cache" / "index.json").write_bytes(garbage)
        assert store.list() == ["a"]


def test_a_recent_index_is_not_trusted(tmp_path, monkeypatch):
    root = tmp_path / "s"
    store = FileSessionStore(root)
    store.save(f.session("a"))
    store.list()
    # Same root mtime, but built within the racy window: a change in the same
    # timestamp tick would not show, so the folder is scanned again.
    calls = _opens(store, store.list)
    assert "scandir" in calls


def test_a_lost_ids_file_is_written_again(tmp_path, trusting):
    root = tmp_path / "s"
    store = FileSessionStore(root)
    store.save(f.session("a"))
    store.list()
    (root / INTERNAL / "cache" / "ids.json").unlink()
    assert store.list() == ["a"]
    assert (root / INTERNAL / "cache" / "ids.json").exists()
    calls = _opens(store, store.list)
    assert calls.count("scandir") == _opens(store, store.list).count("scandir")


def test_a_reader_that_dies_writing_the_index_leaves_nothing_like_a_writers_leftover(
        tmp_path):
    # Readers write the index under the shared lock: their temporary file lives
    # in the cache folder, so it never looks like a dead writer's journal file
    # (no recovery is started for it, verify stays clean), and a later index
    # write removes it once it is old enough to belong to a reader that died.
    from a3s_store import _listing
    from a3s_store._check import Checker
    from crashkit import cache_leftovers, leftovers
    from faults import SimulatedCrash

    root = tmp_path / "s"
    store = FileSessionStore(root)
    store.save(f.session("a"))

    def die_while_writing(name):
        if name == "write":
            raise SimulatedCrash("a reader dies while writing the index")

    _fs.hooks.fault_hook = die_while_writing
    try:
        with pytest.raises(SimulatedCrash):
            store.list()
    finally:
        _fs.hooks.fault_hook = None
    [dead] = cache_leftovers(root)
    assert leftovers(root) == []
    with Checker(str(root)) as checker:
        assert checker.scan().problems == []
    # A change the store did not log: the next listing scans and rewrites the index.
    _write_like_a3s_code(root, "b.json", f.session_dict("b"))
    assert store.list() == ["a", "b"] and cache_leftovers(root) == [dead]  # too young
    old = (root / INTERNAL / "cache" / dead).stat().st_mtime_ns - _listing.CACHE_TEMP_GRACE_NS
    os.utime(root / INTERNAL / "cache" / dead, ns=(old, old))
    _write_like_a3s_code(root, "c.json", f.session_dict("c"))
    assert store.list() == ["a", "b", "c"] and cache_leftovers(root) == []
