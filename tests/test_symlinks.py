"""Symlinks inside the store are never followed, for reads or writes (reliability.md §2.4).

A link planted at any name the store uses - a category folder, a session or
side file, an artifact folder, the lock, the store's own folder and its
sub-folders, a temporary name - pointing outside the root (at a file, a
folder, or nothing yet) leaves its target unchanged byte for byte. The
store refuses with :class:`UnsafePathError` naming the link, except where
not following is itself the answer: ``list()`` skips a linked session file
and ``delete`` removes the link itself (as ``rm`` would), never its target.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest

import factories as f
from a3s_store import (
    CorruptDataError,
    FileSessionStore,
    SessionSnapshot,
    UnsafePathError,
    _commit,
    _fs,
)
from crashkit import leftovers
from hostile import tree

INTERNAL = ".a3s_store"
CATEGORIES = ("artifacts", "traces", "runs", "verification", "subagent_tasks",
              "loop_checkpoints", "workflow_checkpoints")


def _fingerprint(top) -> dict:
    """Names, kinds, sizes, mtimes, link targets and file contents under ``top``."""
    out = tree(top)
    for rel in list(out):
        path = os.path.join(top, rel)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as fh:
                out[rel] = out[rel] + (hashlib.sha256(fh.read()).hexdigest(),)
    return out


@pytest.fixture
def site(tmp_path):
    """A store with sessions, and an outside folder the links point into."""
    root = tmp_path / "store"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.json").write_bytes(b'{"id": "s", "precious": true}')
    (outside / "dir").mkdir()
    (outside / "dir" / "artifacts.json").write_bytes(b'{"artifacts": []}')
    (outside / "dir" / "s.json").write_bytes(b"[]")
    (outside / "dir" / "lock").write_bytes(b"lock bytes")
    store = FileSessionStore(root, durable=False)
    store.save_snapshot(SessionSnapshot(session=f.session("other"), trace_events=[
        f.trace_event()], artifacts=f.artifact_store("x")))
    store.save_loop_checkpoint("other-run", f.loop_checkpoint("other-run"))
    store.save_workflow_checkpoint("other-wf", f.workflow_checkpoint("other-wf"))
    return store, root, outside


def _plant(link, target) -> None:
    if os.path.lexists(link):
        if os.path.isdir(link) and not os.path.islink(link):
            import shutil

            shutil.rmtree(link)
        else:
            os.unlink(link)
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(target, link)


def _refused(call, link) -> None:
    with pytest.raises(UnsafePathError) as info:
        call()
    assert info.value.path == os.fspath(link), str(info.value)
    assert os.fspath(link) in str(info.value)


TARGETS = ["file", "dir", "dangling"]


def _target(outside, kind):
    return {"file": outside / "victim.json", "dir": outside / "dir",
            "dangling": outside / "not-yet"}[kind]


# -- session and side files ------------------------------------------------------


@pytest.mark.parametrize("kind", TARGETS)
def test_a_linked_session_file_is_never_followed(site, kind):
    store, root, outside = site
    link = root / "s.json"
    _plant(link, _target(outside, kind))
    before = _fingerprint(outside)
    _refused(lambda: store.load("s"), link)
    _refused(lambda: store.load_snapshot("s"), link)
    _refused(lambda: store.save(f.session("s")), link)
    _refused(lambda: store.save_snapshot(SessionSnapshot(session=f.session("s"))), link)
    _refused(lambda: store.save_trace_events("s", [f.trace_event()]), link)
    assert store.list() == ["other"]
    assert [s.id for s in store.list_summaries()] == ["other"]
    assert _fingerprint(outside) == before
    store.delete("s")  # removes the link, not what it points to
    assert not os.path.lexists(link)
    assert _fingerprint(outside) == before
    assert store.load("other").id == "other"


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("component", ["traces", "runs", "verification", "subagent_tasks"])
def test_a_linked_side_file_is_never_followed_nor_replaced(site, component, kind):
    store, root, outside = site
    store.save(f.session("s"))
    link = root / component / "s.json"
    _plant(link, _target(outside, kind))
    before = _fingerprint(outside)
    load = getattr(store, {"traces": "load_trace_events", "runs": "load_run_records",
                           "verification": "load_verification_reports",
                           "subagent_tasks": "load_subagent_tasks"}[component])
    save = getattr(store, {"traces": "save_trace_events", "runs": "save_run_records",
                           "verification": "save_verification_reports",
                           "subagent_tasks": "save_subagent_tasks"}[component])
    _refused(lambda: load("s"), link)
    _refused(lambda: store.load_snapshot("s"), link)
    _refused(lambda: save("s", []), link)  # regression: the link was silently replaced
    _refused(lambda: store.save_snapshot(SessionSnapshot(session=f.session("s"))), link)
    assert os.path.islink(link)
    assert _fingerprint(outside) == before
    store.delete("s")
    assert not os.path.lexists(link) and _fingerprint(outside) == before
    assert store.list() == ["other"]


@pytest.mark.parametrize("kind", TARGETS)
def test_a_linked_artifact_folder_or_manifest_is_never_followed(site, kind):
    store, root, outside = site
    store.save(f.session("s"))
    link = root / "artifacts" / "s"
    _plant(link, _target(outside, kind))
    before = _fingerprint(outside)
    _refused(lambda: store.load_artifacts("s"), link)
    _refused(lambda: store.save_artifacts("s", f.artifact_store("new")), link)
    _refused(lambda: store.load_snapshot("s"), link)
    _refused(lambda: store.save_snapshot(SessionSnapshot(session=f.session("s"))), link)
    assert _fingerprint(outside) == before
    # Regression: delete renamed the link into tx/ after the commit point and
    # then refused to remove it, leaving every later operation failing.
    store.delete("s")
    assert not os.path.lexists(link) and _fingerprint(outside) == before
    assert store.list() == ["other"] and leftovers(root) == []

    manifest = root / "artifacts" / "t" / "artifacts.json"
    store.save_artifacts("t", f.artifact_store("t"))
    _plant(manifest, _target(outside, kind))
    _refused(lambda: store.load_artifacts("t"), manifest)
    _refused(lambda: store.save_artifacts("t", f.artifact_store("new")), manifest)
    assert _fingerprint(outside) == before


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("folder", ["loop_checkpoints", "workflow_checkpoints"])
def test_a_linked_checkpoint_is_never_followed_nor_replaced(site, folder, kind):
    store, root, outside = site
    link = root / folder / "k.json"
    _plant(link, _target(outside, kind))
    before = _fingerprint(outside)
    if folder == "loop_checkpoints":
        _refused(lambda: store.load_loop_checkpoint("k"), link)
        _refused(lambda: store.save_loop_checkpoint("k", f.loop_checkpoint("k")), link)
        store.delete_loop_checkpoint("k")
    else:
        _refused(lambda: store.load_workflow_checkpoint("k"), link)
        _refused(lambda: store.save_workflow_checkpoint("k", f.workflow_checkpoint("k")), link)
        store.delete_workflow_checkpoint("k")
    assert not os.path.lexists(link) and _fingerprint(outside) == before


# -- folders ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dir", "dangling"])
@pytest.mark.parametrize("category", CATEGORIES)
def test_a_linked_category_folder_is_never_followed(site, category, kind):
    store, root, outside = site
    link = root / category
    _plant(link, _target(outside, kind))
    before = _fingerprint(outside)
    calls = {
        "artifacts": [lambda: store.load_artifacts("other"),
                      lambda: store.save_artifacts("s", f.artifact_store())],
        "traces": [lambda: store.load_trace_events("other"),
                   lambda: store.save_trace_events("s", [])],
        "runs": [lambda: store.load_run_records("other"),
                 lambda: store.save_run_records("s", [])],
        "verification": [lambda: store.load_verification_reports("other"),
                         lambda: store.save_verification_reports("s", [])],
        "subagent_tasks": [lambda: store.load_subagent_tasks("other"),
                           lambda: store.save_subagent_tasks("s", [])],
        "loop_checkpoints": [lambda: store.load_loop_checkpoint("other-run"),
                             lambda: store.save_loop_checkpoint("r", f.loop_checkpoint("r")),
                             lambda: store.delete_loop_checkpoint("other-run")],
        "workflow_checkpoints": [
            lambda: store.load_workflow_checkpoint("other-wf"),
            lambda: store.save_workflow_checkpoint("w", f.workflow_checkpoint("w")),
            lambda: store.delete_workflow_checkpoint("other-wf")],
    }[category]
    if category not in ("loop_checkpoints", "workflow_checkpoints"):
        calls += [lambda: store.load_snapshot("other"), lambda: store.delete("other"),
                  lambda: store.save_snapshot(SessionSnapshot(session=f.session("s")))]
    for call in calls:
        _refused(call, link)
    _refused(store.health_check, link)
    assert store.list() == ["other"]
    assert _fingerprint(outside) == before


@pytest.mark.parametrize("kind", ["dir", "dangling"])
@pytest.mark.parametrize("sub", ["", "meta", "lock"])
def test_a_linked_internal_folder_or_lock_refuses_every_operation(site, sub, kind):
    store, root, outside = site
    link = root / INTERNAL / sub if sub else root / INTERNAL
    target = _target(outside, kind)
    if sub == "lock" and kind == "dir":
        target = outside / "dir" / "lock"  # a file: the CVE-2025-68146 truncation target
    _plant(link, target)
    before = _fingerprint(outside)
    calls = [lambda: store.save(f.session("s")), lambda: store.save_snapshot(
        SessionSnapshot(session=f.session("s"))), lambda: store.load("other")]
    if sub != "meta":  # meta is read and written per session, not by every operation
        calls += [store.list, lambda: store.exists("other"),
                  lambda: store.load_loop_checkpoint("other-run"),
                  lambda: FileSessionStore(root)]
    for call in calls:
        _refused(call, link)
    assert _fingerprint(outside) == before


@pytest.mark.parametrize("kind", ["dir", "dangling"])
@pytest.mark.parametrize("sub", ["tx", "tmp"])
def test_a_link_at_an_old_journal_folder_is_never_followed_nor_in_the_way(site, sub, kind):
    # Older versions kept their journal in .a3s_store/tx and tmp; a link there
    # is neither recovered through nor a reason to stop (or to lock everyone out).
    store, root, outside = site
    link = root / INTERNAL / sub
    _plant(link, _target(outside, kind))
    before = _fingerprint(outside)
    store.save_snapshot(SessionSnapshot(session=f.session("s"), trace_events=[f.trace_event()]))
    assert store.load_snapshot("s").trace_events == [f.trace_event()]
    assert FileSessionStore(root).list() == ["other", "s"]
    assert _fingerprint(outside) == before and os.path.islink(link)


@pytest.mark.parametrize("kind", ["dir", "dangling"])
def test_a_linked_quarantine_folder_is_never_written(site, kind):
    store, root, outside = site
    link = root / INTERNAL / "quarantine"
    _plant(link, _target(outside, kind))
    (root / "s.json").write_bytes(b"{torn")
    before = _fingerprint(outside)
    _refused(lambda: store.save(f.session("s")), link)
    assert (root / "s.json").read_bytes() == b"{torn"
    assert _fingerprint(outside) == before


# -- temporary names -------------------------------------------------------------


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("operation", ["single-file save", "multi-file save"])
def test_a_link_planted_at_the_next_temporary_name_is_never_written_through(
        site, monkeypatch, operation, kind):
    store, root, outside = site
    target = _target(outside, kind)
    monkeypatch.setattr(_commit, "_new_txid", lambda: "0-0-00000000")
    folder, name = ((root / INTERNAL, "0-0-00000000.tmp") if operation == "single-file save"
                    else (root / INTERNAL, "0-0-00000000.0"))
    link = folder / name

    def plant(_call):
        # Re-plant after recovery sweeps it, so the link is there when the write comes.
        if folder.is_dir() and not os.path.lexists(link):
            os.symlink(target, link)

    before = _fingerprint(outside)
    monkeypatch.setattr(_fs.hooks, "fault_hook", plant)
    if operation == "single-file save":
        _refused(lambda: store.save_loop_checkpoint("r", f.loop_checkpoint("r")), link)
    else:
        _refused(lambda: store.save_snapshot(SessionSnapshot(session=f.session("s"))), link)
    monkeypatch.setattr(_fs.hooks, "fault_hook", None)
    assert _fingerprint(outside) == before
    assert store.load("s") is None and store.load_loop_checkpoint("r") is None
    assert not os.path.lexists(link)  # swept by recovery, which removes links unfollowed
    assert store.list() == ["other"]
    assert _fingerprint(outside) == before


def test_write_new_refuses_a_link_at_its_name_and_creates_nothing(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside / "created", tmp_path / "link")
    d = _fs.open_root(os.fspath(tmp_path), create=False)
    try:
        with pytest.raises(UnsafePathError) as info:
            _fs.write_new(d, "link", b"data")
        assert info.value.path == os.fspath(tmp_path / "link")
    finally:
        _fs.close_dir(d)
    assert os.listdir(outside) == []


# -- hard links: rewrites never write in place --------------------------------------


def test_a_hard_linked_file_outside_is_never_changed_by_a_rewrite(site):
    store, root, outside = site
    for rel in ("other.json", "traces/other.json", "loop_checkpoints/other-run.json"):
        os.link(root / rel, outside / rel.replace("/", "_"))
    before = _fingerprint(outside)
    store.save(f.session("other", messages=5))
    store.save_trace_events("other", [])
    store.save_loop_checkpoint("other-run", f.loop_checkpoint("other-run", session_id="z"))
    store.delete("other")
    assert _fingerprint(outside) == before


# -- things that are not links: folders and special files where files belong -------


def test_a_folder_where_a_side_file_belongs_is_refused_before_the_commit_point(site):
    # Regression: the rename onto the folder failed after the commit point, and
    # every later operation retried it and failed.
    store, root, _ = site
    (root / "traces" / "s.json").mkdir()
    with pytest.raises(CorruptDataError) as info:
        store.save_snapshot(SessionSnapshot(session=f.session("s")))
    assert info.value.path == os.fspath(root / "traces" / "s.json")
    with pytest.raises(CorruptDataError):
        store.save_trace_events("s", [])
    with pytest.raises(CorruptDataError):
        store.delete("s")
    assert store.list() == ["other"] and leftovers(root) == []
    assert (root / "traces" / "s.json").is_dir()


def test_a_fifo_at_the_lock_is_refused_without_hanging(site):
    store, root, _ = site
    lock = root / INTERNAL / "lock"
    os.unlink(lock)
    os.mkfifo(lock)
    from hostile import hang_guard

    with hang_guard(10), pytest.raises((UnsafePathError, CorruptDataError)) as info:
        store.list()
    assert info.value.path == os.fspath(lock)


def test_a_link_at_the_lossy_a3s_code_name_is_refused_not_followed(site):
    # a3s-code stores "a/b" as a_b.json; a link there is never taken for it.
    store, root, outside = site
    (outside / "ab.json").write_text(json.dumps(f.session_dict("a/b")))
    link = root / "a_b.json"
    os.symlink(outside / "ab.json", link)
    before = _fingerprint(outside)
    _refused(lambda: store.load("a/b"), link)
    _refused(lambda: store.save(f.session("a/b")), link)
    assert store.list() == ["other"]
    assert _fingerprint(outside) == before and os.path.islink(link)


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("name", ["cache", "cache/index.json", "cache/ids.json",
                                  "meta/other.json"])
def test_a_linked_cache_or_metadata_file_is_never_followed_nor_written(site, name, kind):
    store, root, outside = site
    link = root / INTERNAL / name
    _plant(link, _target(outside, kind))
    os.utime(root, ns=(1, 1))  # the listing index is stale: it must be rewritten
    before = _fingerprint(outside)
    for call in (store.list, store.list_summaries, lambda: store.load("other"),
                 lambda: store.save(f.session("other")), lambda: store.delete("new")):
        try:
            call()
        except UnsafePathError as exc:
            assert exc.path == os.fspath(link)
    assert _fingerprint(outside) == before
