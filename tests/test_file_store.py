"""FileSessionStore specifics: the a3s-code layout, bytes, names, and the write recipe."""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest

import factories as f
from a3s_store import (
    CorruptDataError,
    FileSessionStore,
    InvalidDataError,
    SessionSnapshot,
    _fs,
)
from crashkit import leftovers

INTERNAL = ".a3s_store"


def _rust_file(root, name: str, doc: dict) -> bytes:
    """Write a file the way a3s-code does (pretty JSON, no trailing newline)."""
    from a3s_store import _json

    data = _json.encode_bytes(doc)
    path = os.path.join(root, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    return data


def _entries(root) -> set[str]:
    return set(os.listdir(root)) - {INTERNAL}


def _temp_files(root) -> list[str]:
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".tmp") or ".tmp." in name:
                found.append(os.path.join(dirpath, name))
    found += [os.path.join(root, n) for n in leftovers(root)]
    return found


def test_layout_is_the_rust_layout(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    sid = "s-1"
    store.save_snapshot(SessionSnapshot(
        session=f.session(sid), artifacts=f.artifact_store(), trace_events=[f.trace_event()],
        run_records=[f.run_record(sid)], verification_reports=[f.verification_report()],
        subagent_tasks=[f.subagent_task(sid)]))
    store.save_loop_checkpoint("run-1", f.loop_checkpoint("run-1", sid))
    store.save_workflow_checkpoint("wf-1", f.workflow_checkpoint("wf-1"))
    for rel in ("s-1.json", "artifacts/s-1/artifacts.json", "traces/s-1.json", "runs/s-1.json",
                "verification/s-1.json", "subagent_tasks/s-1.json",
                "loop_checkpoints/run-1.json", "workflow_checkpoints/wf-1.json"):
        assert (root / rel).is_file(), rel
    assert _entries(root) == {"s-1.json", "artifacts", "traces", "runs", "verification",
                              "subagent_tasks", "loop_checkpoints", "workflow_checkpoints"}
    assert _temp_files(root) == []


def test_category_folders_are_created_lazily(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    store.save(f.session())
    assert _entries(root) == {"test-session-1.json"}


def test_path_traversal_prevention(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    before = sorted(os.listdir(tmp_path))
    store.save(f.session("../../../etc/passwd"))
    assert sorted(os.listdir(tmp_path)) == before
    assert len(_entries(root)) == 1
    assert store.load("../../../etc/passwd").id == "../../../etc/passwd"


def test_bytes_are_those_a3s_code_writes(tmp_path):
    root = tmp_path / "store"
    doc = f.session_dict("rust-1")
    rust_bytes = _rust_file(root, "rust-1.json", f.SessionData.from_dict(doc).to_dict())
    store = FileSessionStore(root)
    session = store.load("rust-1")
    store.save(session)
    assert (root / "rust-1.json").read_bytes() == rust_bytes
    assert not rust_bytes.endswith(b"\n") and b'\n  "id": "rust-1"' in rust_bytes


def test_a_directory_written_by_a3s_code_opens_as_it_is(tmp_path):
    root = tmp_path / "store"
    _rust_file(root, "plain.json", f.session_dict("plain"))
    _rust_file(root, "foo_bar_baz.json", f.session_dict("foo\\bar\\baz"))
    _rust_file(root, "foo_bar_baz_qux.json", f.session_dict("foo/bar\\baz..qux"))
    _rust_file(root, "traces/plain.json", [f.trace_event().to_dict()])
    _rust_file(root, "traces/foo_bar_baz.json", [f.trace_event("legacy").to_dict()])
    (root / "notes.json").write_text('{"not": "a session"}')
    (root / "x.json.1700000000.42.0.tmp").write_text("{")
    store = FileSessionStore(root)
    assert store.list() == ["foo/bar\\baz..qux", "foo\\bar\\baz", "plain"]
    assert store.load("foo\\bar\\baz").id == "foo\\bar\\baz"
    assert store.load("foo/bar\\baz..qux").id == "foo/bar\\baz..qux"
    assert store.load_trace_events("foo\\bar\\baz")[0].name == "legacy"
    assert store.load_trace_events("plain")[0].name == "bash"
    # The lossy Rust name proves nothing: another id mapping to it gets nothing.
    assert store.load("foo/bar/baz") is None
    assert not store.exists("foo/bar/baz")
    with pytest.raises(CorruptDataError, match="notes.json"):
        store.load("notes")  # listed as no session, but the name is taken by a bad file


def test_a_session_of_a3s_code_stays_at_its_name_on_save(tmp_path):
    # a3s-code stores "a/b" at a_b.json; a save keeps it there, so a3s-code
    # finds the update, and "a_b" itself goes to a name of ours.
    root = tmp_path / "store"
    _rust_file(root, "a_b.json", f.session_dict("a/b"))
    _rust_file(root, "traces/a_b.json", [f.trace_event("legacy").to_dict()])
    store = FileSessionStore(root)
    session = store.load("a/b")
    session.config.name = "updated"
    store.save(session)
    assert json.loads((root / "a_b.json").read_bytes())["config"]["name"] == "updated"
    assert store.load_trace_events("a/b")[0].name == "legacy"
    store.save(f.session("a_b"))
    assert (root / "%a_b.json").exists()
    assert store.list() == ["a/b", "a_b"]
    assert store.load("a_b").id == "a_b" and store.load("a/b").config.name == "updated"


@pytest.mark.parametrize("folding", [False, True], ids=["case-sensitive", "case-insensitive"])
def test_a_file_holding_another_session_is_never_overwritten(tmp_path, folding, monkeypatch):
    # The file for "abc" holds "ABC": on a disk that folds case, "ABC"'s own
    # file (a3s-code wrote it as ABC.json); elsewhere a copy by hand. Either
    # way a save of "abc" goes to a name of its own and the file is kept.
    from a3s_store import _fs

    root = tmp_path / "store"
    original = _rust_file(root, "abc.json", f.session_dict("ABC"))
    monkeypatch.setattr(_fs.hooks, "case_insensitive", folding)
    store = FileSessionStore(root)
    if folding:
        assert store.load("abc") is None and store.load("ABC").id == "ABC"
    else:
        with pytest.raises(CorruptDataError, match="holds session 'ABC'"):
            store.load("abc")
    store.save(f.session("abc"))
    assert (root / "abc.json").read_bytes() == original
    assert store.load("abc").id == "abc"
    assert store.list() == (["ABC", "abc"] if folding else ["abc"])


def test_a_file_copied_under_the_name_of_another_id_is_reported_and_kept(tmp_path):
    # No id of the file's could be stored at chat-1.json: a copy by hand.
    root = tmp_path / "store"
    original = _rust_file(root, "chat-1.json", f.session_dict("other"))
    store = FileSessionStore(root)
    with pytest.raises(CorruptDataError, match="holds session 'other'") as info:
        store.load("chat-1")
    assert info.value.path == str(root / "chat-1.json")
    store.save(f.session("chat-1"))
    assert (root / "chat-1.json").read_bytes() == original
    assert store.load("chat-1").id == "chat-1"


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"id": "test-id", "config": {'])
def test_damaged_session_file_is_an_error_and_is_kept(tmp_path, content):
    root = tmp_path / "store"
    os.makedirs(root)
    (root / "test-id.json").write_bytes(content)
    store = FileSessionStore(root)
    with pytest.raises(CorruptDataError) as info:
        store.load("test-id")
    assert info.value.path.endswith("test-id.json")
    assert (root / "test-id.json").read_bytes() == content
    # Listed as a damaged session when its first bytes name the id (never
    # hidden); a file with no sign of being a session is left to verify.
    named = content.startswith(b'{"id": "test-id"')
    assert store.list() == (["test-id"] if named else [])
    assert [s.problem is not None for s in store.list_summaries()] == ([True] if named else [])


def test_saving_over_a_damaged_file_moves_it_to_quarantine(tmp_path):
    root = tmp_path / "store"
    os.makedirs(root)
    (root / "test-session-1.json").write_bytes(b"{torn")
    store = FileSessionStore(root)
    store.save(f.session())
    assert store.load("test-session-1").config.name == "Test Session"
    kept = os.listdir(root / INTERNAL / "quarantine")
    assert len(kept) == 1 and (root / INTERNAL / "quarantine" / kept[0]).read_bytes() == b"{torn"


def test_health_check_fails_when_the_folder_is_gone(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    store.health_check()
    os.rename(root, tmp_path / "moved")
    with pytest.raises(OSError):
        store.health_check()


def test_concurrent_saves_of_one_session_all_succeed(tmp_path):
    store = FileSessionStore(tmp_path / "store")
    errors = []

    def worker(n):
        try:
            FileSessionStore(tmp_path / "store").save(f.session(messages=n))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(1, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert 1 <= len(store.load("test-session-1").messages) <= 5
    assert _temp_files(tmp_path / "store") == []


def test_checkpoint_writes_leave_no_temporary_files(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    store.save_loop_checkpoint("run-z", f.loop_checkpoint("run-z"))
    store.save_workflow_checkpoint("wf-z", f.workflow_checkpoint("wf-z"))
    assert os.listdir(root / "loop_checkpoints") == ["run-z.json"]
    assert os.listdir(root / "workflow_checkpoints") == ["wf-z.json"]
    assert _temp_files(root) == []


def test_files_are_private_and_rewrites_keep_their_mode(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    store.save_snapshot(SessionSnapshot(session=f.session(), trace_events=[f.trace_event()]))
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, d)).st_mode) == 0o700, d
        for name in files:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, name)).st_mode) == 0o600, name
    os.chmod(root / "test-session-1.json", 0o640)
    store.save(f.session(messages=3))
    assert stat.S_IMODE(os.stat(root / "test-session-1.json").st_mode) == 0o640
    shared = FileSessionStore(tmp_path / "shared", file_mode=0o644, dir_mode=0o755)
    shared.save_trace_events("s", [f.trace_event()])
    assert stat.S_IMODE(os.stat(tmp_path / "shared" / "traces" / "s.json").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "shared" / "traces").st_mode) == 0o755


def test_size_limit_refuses_big_saves_before_writing_and_big_files_on_read(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root, max_file_bytes=2000)
    store.save(f.session(messages=2))
    before = (root / "test-session-1.json").read_bytes()
    with pytest.raises(InvalidDataError, match="byte limit"):
        store.save(f.session(messages=100))
    assert (root / "test-session-1.json").read_bytes() == before
    with open(root / "test-session-1.json", "r+b") as fh:
        fh.truncate(10 * 1024**3)  # sparse: checked by size, never read
    with pytest.raises(CorruptDataError, match="byte limit"):
        store.load("test-session-1")


def test_a_failed_rename_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    store.save(f.session(messages=2))

    def fail_replace(name):
        if name == "replace":
            raise OSError(5, "injected I/O error")

    monkeypatch.setattr(_fs.hooks, "fault_hook", fail_replace)
    with pytest.raises(OSError, match="injected"):
        store.save(f.session(messages=7))
    monkeypatch.setattr(_fs.hooks, "fault_hook", None)
    assert len(store.load("test-session-1").messages) == 2
    assert _temp_files(root) == []


def test_durable_writes_fsync_the_file_before_the_rename_and_the_folder_after(tmp_path,
                                                                               monkeypatch):
    store = FileSessionStore(tmp_path / "store")
    calls = []
    monkeypatch.setattr(_fs.hooks, "fault_hook", calls.append)
    store.save(f.session())
    monkeypatch.setattr(_fs.hooks, "fault_hook", None)
    first_replace = calls.index("replace")
    assert "fsync" in calls[:first_replace]
    assert calls[first_replace + 1] == "fsync_dir"

    calls.clear()
    fast = FileSessionStore(tmp_path / "fast", durable=False)
    monkeypatch.setattr(_fs.hooks, "fault_hook", calls.append)
    fast.save(f.session())
    monkeypatch.setattr(_fs.hooks, "fault_hook", None)
    assert "fsync" not in calls and "fsync_dir" not in calls


def test_store_accepts_str_and_pathlike_roots(tmp_path):
    a = FileSessionStore(str(tmp_path / "a"))
    b = FileSessionStore(tmp_path / "b")
    assert a.root.endswith("a") and b.root.endswith("b")
    assert "FileSessionStore(" in repr(a)


def test_saves_reuse_encodings_but_never_write_a_message_changed_in_place(tmp_path):
    from a3s_store import (
        ImageBlock,
        ImageSource,
        Message,
        TextBlock,
        ToolResultBlock,
        ToolUseBlock,
        UnknownBlock,
    )

    root = tmp_path / "store"
    store = FileSessionStore(root)
    session = f.session(messages=0)
    use = ToolUseBlock(id="t1", name="bash", input={"command": "ls", "n": 1})
    image = ImageBlock(source=ImageSource(source_type="base64", media_type="image/png",
                                          data="AAAA"))
    result = ToolResultBlock(tool_use_id="t1", content=[TextBlock(text="out"), image])
    unknown = UnknownBlock(data={"type": "thinking", "thinking": "hmm"})
    session.messages.extend([
        Message(role="user", content=[TextBlock(text="hi")]),
        Message(role="assistant", content=[use, unknown]),
        Message(role="user", content=[result]),
    ])
    store.save(session)
    changes = [
        lambda: use.input.__setitem__("n", 2),
        lambda: use.input.__setitem__("n", 2.0),  # equal in Python, not in JSON
        lambda: use.input.__setitem__("n", True),
        lambda: session.messages[0].extra.__setitem__("transcript_text", "new key"),
        lambda: unknown.data.__setitem__("thinking", "changed"),
        lambda: image.source.extra.__setitem__("detail", "high"),
        lambda: result.content[0].extra.__setitem__("cache", True),
        lambda: session.messages.append(Message(role="user", content=[TextBlock(text="x")])),
    ]
    for change in changes:
        change()
        store.save(session)
        fresh = FileSessionStore(root).load(session.id)  # a new store: nothing cached
        assert fresh.messages == session.messages
        assert [m.to_dict() for m in fresh.messages] == [m.to_dict() for m in session.messages]
    assert (root / "test-session-1.json").read_bytes() == _json_bytes(session)


def _json_bytes(session) -> bytes:
    from a3s_store import _json

    return _json.encode_bytes(session.to_dict())


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_leaves_the_garbage_collector_as_it_was(tmp_path, enabled):
    import gc

    root = tmp_path / "store"
    store = FileSessionStore(root)
    store.save_snapshot(SessionSnapshot(session=f.session(messages=300),
                                        trace_events=[f.trace_event()]))
    (root / "broken.json").write_text('{"id": "broken"')
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        store.load_snapshot("test-session-1")
        with pytest.raises(CorruptDataError):
            store.load("broken")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_loading_leaves_objects_the_program_froze_frozen(tmp_path):
    # A load moves what it built to the oldest generation through
    # gc.freeze()/unfreeze(); a program that froze objects itself (a server
    # before it forks) must keep them frozen.
    import gc

    store = FileSessionStore(tmp_path / "store")
    store.save(f.session(messages=50))
    kept = [{"frozen": i} for i in range(100)]
    gc.freeze()
    try:
        store.load("test-session-1")
        assert gc.get_freeze_count() >= len(kept)  # (unfreeze() would make it 0)
    finally:
        gc.unfreeze()
    del kept


def test_the_empty_id_is_a_session_like_any_other(tmp_path):
    # a3s-code stored "" as ".json", which its list() could not see (format.md §5.2).
    store = FileSessionStore(tmp_path / "store")
    store.save(f.session(""))
    assert store.list() == [""] and store.load("").id == ""
    store.delete("")
    assert store.list() == []


def test_a_permission_error_is_not_taken_for_a_missing_session(tmp_path, monkeypatch):
    # Rust's Path::exists() says "no" when it cannot look (format.md §5.10).
    store = FileSessionStore(tmp_path / "store")
    store.save(f.session())

    def deny(name):
        if name == "stat":
            raise PermissionError(13, "injected: permission denied")

    monkeypatch.setattr(_fs.hooks, "fault_hook", deny)
    with pytest.raises(PermissionError):
        store.exists("test-session-1")


def test_a_session_deleted_between_list_and_load_is_none_not_an_error(tmp_path):
    store = FileSessionStore(tmp_path / "store")
    store.save(f.session())
    ids = store.list()
    FileSessionStore(tmp_path / "store").delete(ids[0])
    assert store.load(ids[0]) is None
    store.delete(ids[0])  # and deleting again is fine


def test_health_check_refuses_a_symlinked_category_folder(tmp_path):
    from a3s_store import UnsafePathError

    root = tmp_path / "store"
    store = FileSessionStore(root)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "traces")
    with pytest.raises(UnsafePathError, match="traces"):
        store.health_check()


def test_a_backend_missing_methods_is_not_a_session_store():
    # The Rust trait's defaults silently dropped data (format.md §5.29); the
    # protocol has none, so a partial backend is visibly incomplete.
    from a3s_store import MemorySessionStore, SessionStore

    class OnlySessions:
        def save(self, session): ...
        def load(self, session_id): ...
        def delete(self, session_id): ...
        def list(self): ...
        def exists(self, session_id): ...

    assert not isinstance(OnlySessions(), SessionStore)
    assert isinstance(MemorySessionStore(), SessionStore)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "256", None])
def test_max_file_bytes_must_be_a_positive_int(tmp_path, bad):
    with pytest.raises(ValueError, match="max_file_bytes"):
        FileSessionStore(tmp_path / "store", max_file_bytes=bad)


def test_a_save_finished_by_recovery_leaves_metadata_that_matches_its_files(tmp_path):
    # The metadata record is part of the commit: after recovery finishes a
    # save, the revision is the store's own token (not a digest of files
    # "changed outside"), and loads take the fast path again.
    import faults

    snap = SessionSnapshot(session=f.session(messages=5), trace_events=[f.trace_event()])
    stores = {}
    for name in ("probe", "store"):  # the same history in two folders
        stores[name] = FileSessionStore(tmp_path / name)
        stores[name].save_snapshot(SessionSnapshot(session=f.session(messages=2)))
    calls = faults.count_calls(lambda: stores["probe"].save_snapshot(snap))
    after_first_rename = calls.index("replace") + 2  # past the commit point
    assert faults.run_faulted(lambda: stores["store"].save_snapshot(snap), after_first_rename,
                              "crash") == "crash"
    root = tmp_path / "store"
    reopened = FileSessionStore(root)  # recovery finishes the committed save
    loaded = reopened.load_snapshot("test-session-1")
    assert len(loaded.session.messages) == 5
    assert not loaded.revision.startswith("x"), loaded.revision
