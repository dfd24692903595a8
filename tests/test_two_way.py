"""Two-way with a3s-code 3.4: each finds what the other wrote (issue 13).

``a3s_code.A3sCode`` replays a3s-code's rules on the folder, so every test
here checks what a3s-code itself would see: this package writes a3s-code's
name for every id whose name is free, keeps a session at its a3s-code name
when it saves it again, and goes to a name of its own only when another id
holds a3s-code's name (the collision a3s-code gets wrong). Ownership is
proven from the file in every method: a lossy pair (``a/b`` and ``a_b``)
and a case pair on a disk that ignores case (``Chat`` and ``chat``) never
touch each other's files.
"""

from __future__ import annotations

import base64
import json
import os
import time

import pytest

import factories as f
from a3s_code import A3sCode, safe
from a3s_store import (
    CorruptDataError,
    FileSessionStore,
    SessionSnapshot,
    _fs,
)
from a3s_store._check import Checker
from a3s_store._names import own_stem

#: Ids a3s-code stores under names that older versions of this package did not use.
IDS = ["tenant/chat-1", "user@example.com", "a b", "a..b", "Grüße", "x" * 201,
       "会话" * 12, "会话" * 24, "x" * 250, "", ".", "CON", "-rf", "%41", "%_"]


def _snapshot(identifier: str, label: str = "mine") -> SessionSnapshot:
    session = f.session("placeholder", name=label)
    session.id = identifier
    return SessionSnapshot(
        session=session, artifacts=f.artifact_store(label),
        trace_events=[f.trace_event(label)], run_records=[f.run_record(identifier, prompt=label)],
        verification_reports=[f.verification_report(label)],
        subagent_tasks=[f.subagent_task(identifier)])


def _loop(run_id: str, label: str = "mine"):
    checkpoint = f.loop_checkpoint("placeholder", session_id=label)
    checkpoint.run_id = run_id
    return checkpoint


def _flow(workflow_id: str, steps: int = 2):
    checkpoint = f.workflow_checkpoint("placeholder", steps=steps)
    checkpoint.workflow_id = workflow_id
    return checkpoint


def _session_doc(identifier: str, name: str = "theirs") -> dict:
    doc = f.session_dict("placeholder", name=name)
    doc["id"] = identifier
    return doc


def _write_as_a3s_code(code: A3sCode, identifier: str, label: str = "theirs") -> None:
    snap = _snapshot(identifier, label)
    code.save(snap.session.to_dict())
    code.save_side("traces", identifier, [e.to_dict() for e in snap.trace_events])
    code.save_side("runs", identifier, [r.to_dict() for r in snap.run_records])
    code.save_artifacts(identifier, snap.artifacts.to_dict())
    code.save_checkpoint("loop_checkpoints", identifier, _loop(identifier, label).to_dict())
    code.save_checkpoint("workflow_checkpoints", identifier, _flow(identifier).to_dict())


def _session_files(root) -> list[str]:
    return sorted(n for n in os.listdir(root) if n.endswith(".json"))


# -- a3s-code finds what this package writes --------------------------------------


@pytest.mark.parametrize("identifier", IDS, ids=repr)
def test_a3s_code_finds_every_write_at_its_own_name(tmp_path, identifier):
    store = FileSessionStore(tmp_path / "store", durable=False)
    store.save_snapshot(_snapshot(identifier))
    store.save_loop_checkpoint(identifier, _loop(identifier))
    store.save_workflow_checkpoint(identifier, _flow(identifier, steps=3))
    code = A3sCode(tmp_path / "store")
    assert code.load(identifier)["id"] == identifier
    assert code.exists(identifier)
    assert code.load_side("traces", identifier)[0]["name"] == "mine"
    assert code.load_side("runs", identifier)[0]["snapshot"]["prompt"] == "mine"
    assert code.load_side("verification", identifier)[0]["subject"] == "mine"
    assert code.load_side("subagent_tasks", identifier)[0]["parent_session_id"] == identifier
    assert code.load_checkpoint("loop_checkpoints", identifier)["run_id"] == identifier
    assert len(code.load_checkpoint("workflow_checkpoints", identifier)["steps"]) == 3
    if identifier in ("", "."):
        # Their artifacts folder would be artifacts/ itself: kept under a name of ours.
        assert not (tmp_path / "store" / "artifacts" / "artifacts.json").exists()
    else:
        artifacts = code.load_artifacts(identifier)
        assert artifacts["artifacts"][0]["content"] == "mine", artifacts
    assert _session_files(tmp_path / "store") == [safe(identifier) + ".json"]
    assert store.list() == [identifier]


#: a3s-code writes through a temporary name ~40 bytes longer than the file's, so
#: it cannot write an id of 250 bytes (it reads one that this package wrote).
WRITTEN_BY_A3S_CODE = [i for i in IDS if len(safe(i).encode()) <= 200]


@pytest.mark.parametrize("identifier", WRITTEN_BY_A3S_CODE, ids=repr)
def test_a_session_a3s_code_wrote_is_read_and_saved_where_it_is(tmp_path, identifier):
    root = tmp_path / "store"
    code = A3sCode(root)
    _write_as_a3s_code(code, identifier)
    store = FileSessionStore(root, durable=False)
    assert store.list() == [identifier]
    assert [s.id for s in store.list_summaries()] == [identifier]
    snap = store.load_snapshot(identifier)
    assert snap.session.config.name == "theirs"
    assert snap.trace_events[0].name == "theirs"
    assert store.load_loop_checkpoint(identifier).session_id == "theirs"
    snap.session.config.name = "updated"
    store.save(snap.session)
    store.save_trace_events(identifier, [f.trace_event("updated")])
    store.save_loop_checkpoint(identifier, _loop(identifier, "updated"))
    # Never moved: a3s-code reads the update where it wrote the session.
    assert code.load(identifier)["config"]["name"] == "updated"
    assert code.load_side("traces", identifier)[0]["name"] == "updated"
    assert code.load_checkpoint("loop_checkpoints", identifier)["session_id"] == "updated"
    assert _session_files(root) == [safe(identifier) + ".json"]
    assert sorted(os.listdir(root / "loop_checkpoints")) == [safe(identifier) + ".json"]
    # And a3s-code writes again: this package reads that.
    code.save(_session_doc(identifier, "theirs again"))
    assert store.load(identifier).config.name == "theirs again"


@pytest.mark.parametrize("identifier", ["", "."], ids=repr)
def test_repair_leaves_the_sessions_of_the_ids_empty_and_dot_alone(tmp_path, identifier):
    root = tmp_path / "store"
    code = A3sCode(root)
    code.save(_session_doc(identifier))
    with Checker(str(root)) as checker:
        assert [x for x in checker.scan().findings if x.severity == "problem"] == []
        checker.repair()
    assert code.load(identifier)["id"] == identifier
    assert FileSessionStore(root).list() == [identifier]


# -- ownership in every method ------------------------------------------------------

#: (holder, other): a3s-code stores ``holder`` at a name that is also ``other``'s
#: a3s-code name (lossy), or that a disk ignoring case opens for ``other`` too.
PAIRS = {"lossy": ("a/b", "a_b", False), "case": ("Chat", "chat", True)}


@pytest.fixture(params=sorted(PAIRS))
def pair(request, monkeypatch, tmp_path):
    holder, other, folding = PAIRS[request.param]
    root = tmp_path / "store"
    _write_as_a3s_code(A3sCode(root), holder)
    monkeypatch.setattr(_fs.hooks, "case_insensitive", folding)
    return root, holder, other


def _holder_unchanged(root, holder) -> None:
    code = A3sCode(root)
    assert code.load(holder)["id"] == holder
    assert code.load(holder)["config"]["name"] == "theirs"
    assert code.load_side("traces", holder)[0]["name"] == "theirs"
    assert code.load_side("runs", holder)[0]["snapshot"]["prompt"] == "theirs"
    assert code.load_artifacts(holder)["artifacts"][0]["content"] == "theirs"
    assert code.load_checkpoint("loop_checkpoints", holder)["run_id"] == holder
    assert code.load_checkpoint("workflow_checkpoints", holder)["workflow_id"] == holder


def test_reads_of_the_other_id_never_see_the_holders_files(pair):
    root, holder, other = pair
    store = FileSessionStore(root)
    assert not store.exists(other)
    assert store.load(other) is None and store.load_snapshot(other) is None
    for load in (store.load_trace_events, store.load_run_records, store.load_artifacts,
                 store.load_verification_reports, store.load_subagent_tasks,
                 store.load_loop_checkpoint, store.load_workflow_checkpoint):
        assert load(other) is None, load.__name__
    assert store.list() == [holder]
    assert store.load(holder).id == holder


def test_writes_and_deletes_of_the_other_id_never_touch_the_holders_files(pair):
    root, holder, other = pair
    store = FileSessionStore(root)
    store.delete(other)
    store.delete_loop_checkpoint(other)
    store.delete_workflow_checkpoint(other)
    _holder_unchanged(root, holder)
    # Side data first (the order that made the old metadata adopt the file) ...
    store.save_trace_events(other, [f.trace_event("other's")])
    store.save_artifacts(other, f.artifact_store("other's"))
    store.save_loop_checkpoint(other, _loop(other, "other's"))
    store.save_workflow_checkpoint(other, _flow(other, steps=5))
    _holder_unchanged(root, holder)
    # ... then the session itself: accepted, at a name of its own.
    store.save(f.session(other, name="other's"))
    store.save_snapshot(_snapshot(other, "other's"))
    _holder_unchanged(root, holder)
    assert store.list() == sorted([holder, other])
    assert store.load(other).config.name == "other's"
    assert store.load_trace_events(other)[0].name == "other's"
    assert store.load_loop_checkpoint(other).session_id == "other's"
    assert len(store.load_workflow_checkpoint(other).steps) == 5
    assert store.load(holder).config.name == "theirs"
    store.delete(other)
    store.delete_loop_checkpoint(other)
    store.delete_workflow_checkpoint(other)
    _holder_unchanged(root, holder)
    assert store.list() == [holder]


def test_the_holder_keeps_its_name_and_the_other_id_gets_one_of_ours(pair):
    root, holder, other = pair
    store = FileSessionStore(root)
    store.save(f.session(other))
    assert _session_files(root) == sorted([safe(holder) + ".json", own_stem(other) + ".json"])


def test_an_unrelated_save_does_not_adopt_a_side_file_a3s_code_wrote(tmp_path):
    # Regression: the metadata recorded every side file as the store's own,
    # so the next load took the fast parser and accepted a duplicate key.
    root = tmp_path / "store"
    code = A3sCode(root)
    code.save(_session_doc("s"))
    os.makedirs(root / "traces")
    event = json.dumps(f.trace_event("a").to_dict())
    (root / "traces" / "s.json").write_text(f'[{event[:-1]}, "name": "dup"}}]')
    store = FileSessionStore(root)
    with pytest.raises(CorruptDataError, match="duplicate"):
        store.load_trace_events("s")
    store.save(store.load("s"))
    with pytest.raises(CorruptDataError, match="duplicate"):
        store.load_trace_events("s")
    with pytest.raises(CorruptDataError, match="duplicate"):
        store.load_snapshot("s")


def test_a_side_save_beside_a_session_a3s_code_wrote_gives_a_new_revision(tmp_path):
    # Regression: the revision came from the session file alone when the store
    # had not written it, so a side save left it unchanged.
    root = tmp_path / "store"
    A3sCode(root).save(_session_doc("s"))
    store = FileSessionStore(root)
    before = store.load("s").revision
    store.save_trace_events("s", [f.trace_event()])
    after = store.load("s").revision
    assert after != before
    store.save(store.load("s"), expected_revision=after)


# -- two copies of one id -------------------------------------------------------------


def _two_copies(root) -> A3sCode:
    """An older build moved "a/b" to its escaped name; a3s-code then wrote a_b.json again."""
    old = FileSessionStore(root)
    code = A3sCode(root)
    os.makedirs(root, exist_ok=True)
    old_doc = _session_doc("a/b", "moved by an older build")
    (root / "%a%2Fb.json").write_text(json.dumps(old_doc, indent=2))
    os.makedirs(root / "traces", exist_ok=True)
    (root / "traces" / "%a%2Fb.json").write_text(json.dumps([f.trace_event("old").to_dict()]))
    past = time.time() - 3600
    os.utime(root / "%a%2Fb.json", (past, past))
    code.save(_session_doc("a/b", "written again by a3s-code"))
    code.save_side("traces", "a/b", [f.trace_event("live").to_dict()])
    del old
    return code


def test_of_two_copies_load_takes_the_newer_and_a_save_keeps_a3s_codes_name(tmp_path):
    root = tmp_path / "store"
    code = _two_copies(root)
    store = FileSessionStore(root)
    assert store.load("a/b").config.name == "written again by a3s-code"
    assert store.list() == ["a/b"]
    session = store.load("a/b")
    session.config.name = "saved"
    store.save(session)
    assert code.load("a/b")["config"]["name"] == "saved"
    assert not (root / "%a%2Fb.json").exists()  # the stale copy goes with the save
    assert store.load_trace_events("a/b")[0].name == "live"


def test_of_two_copies_verify_reports_both_and_delete_removes_both(tmp_path):
    root = tmp_path / "store"
    code = _two_copies(root)
    with Checker(str(root)) as checker:
        reported = " ".join(x.path for x in checker.scan().findings)
    assert "%a%2Fb.json" in reported
    FileSessionStore(root).delete("a/b")
    assert code.load("a/b") is None
    assert not (root / "%a%2Fb.json").exists()
    assert FileSessionStore(root).load("a/b") is None
    assert not (root / "traces" / "a_b.json").exists()


def test_gc_never_removes_the_side_data_of_a_live_session(tmp_path):
    root = tmp_path / "store"
    _two_copies(root)
    with Checker(str(root)) as checker:
        garbage = checker.garbage(older_than=0, now=time.time() + 10 ** 6)
        checker.collect(garbage)
    assert (root / "traces" / "a_b.json").exists()
    assert FileSessionStore(root).load_trace_events("a/b")[0].name == "live"


def test_a_move_to_a3s_codes_name_leaves_the_other_files_of_the_artifacts_folder(tmp_path):
    # An older build's folder of "a/b" holds a file besides the manifest: the
    # manifest moves to a3s-code's name, the other file stays where it was.
    root = tmp_path / "store"
    old = root / "artifacts" / "%a%2Fb"
    os.makedirs(old)
    (root / "%a%2Fb.json").write_text(json.dumps(_session_doc("a/b"), indent=2))
    (old / "artifacts.json").write_text(json.dumps(f.artifact_store("kept").to_dict()))
    (old / "notes.bin").write_bytes(b"a3s-code's own")
    store = FileSessionStore(root)
    store.save(store.load("a/b"))
    assert (root / "a_b.json").exists() and not (root / "%a%2Fb.json").exists()
    assert (old / "notes.bin").read_bytes() == b"a3s-code's own"
    assert A3sCode(root).load_artifacts("a/b")["artifacts"][0]["content"] == "kept"


def test_a_file_of_a3s_code_at_our_escaped_name_sends_us_to_the_hashed_name(tmp_path):
    # a3s-code stores the id "%_" at %_.json, which is the escaped name of "_";
    # and "/" holds _.json. "_" gets its hashed name; nobody's file is touched.
    root = tmp_path / "store"
    code = A3sCode(root)
    code.save(_session_doc("/"))
    code.save(_session_doc("%_"))
    store = FileSessionStore(root)
    store.save(f.session("_", name="mine"))
    assert code.load("/")["id"] == "/" and code.load("%_")["id"] == "%_"
    assert store.load("_").config.name == "mine"
    assert store.list() == ["%_", "/", "_"]
    assert len(_session_files(root)) == 3


def test_generated_ids_saved_in_turn_with_a3s_code_never_lose_a_session(tmp_path):
    # Regression (seeds 168313044, 1037148751 of test_hostile_ids): "/" held
    # _.json and "%_" took %_.json (a3s-code's name for it, and the escaped
    # name of "_"), and "_" had no name left: now it has its hashed name.
    store = FileSessionStore(tmp_path / "store", durable=False)
    for identifier in ("/", "%_", "_"):
        store.save(f.session(identifier))
    assert store.list() == ["%_", "/", "_"]
    for identifier in ("/", "%_", "_"):
        assert store.load(identifier).id == identifier


# -- a3s-code 5 folders -----------------------------------------------------------------


def _envelope(root, identifier: str, name: str = "from a3s-code 5") -> None:
    folder = root / "v1" / "sessions"
    os.makedirs(folder, exist_ok=True)
    snap = _snapshot(identifier, name)
    encoded = base64.urlsafe_b64encode(identifier.encode()).rstrip(b"=").decode()
    (folder / f"id_{encoded}.json").write_text(json.dumps(snap.to_dict(), indent=2))


def test_a_folder_of_a3s_code_5_is_read(tmp_path):
    root = tmp_path / "store"
    _envelope(root, "tenant/v5")
    _envelope(root, "both")
    A3sCode(root).save(_session_doc("both", "3.4 layout"))
    store = FileSessionStore(root)
    assert store.list() == ["both", "tenant/v5"]
    summaries = {s.id: s for s in store.list_summaries()}
    assert summaries["tenant/v5"].name == "from a3s-code 5"
    assert summaries["both"].name == "3.4 layout"
    snap = store.load_snapshot("tenant/v5")
    assert snap.session.config.name == "from a3s-code 5"
    assert snap.trace_events[0].name == "from a3s-code 5"
    assert store.load_trace_events("tenant/v5")[0].name == "from a3s-code 5"
    # A save writes the 3.4 layout, read from then on; a delete removes both.
    snap.session.config.name = "saved here"
    store.save_snapshot(snap)
    assert A3sCode(root).load("tenant/v5")["config"]["name"] == "saved here"
    assert store.load("tenant/v5").config.name == "saved here"
    store.delete("tenant/v5")
    assert store.load("tenant/v5") is None and store.list() == ["both"]


# -- the README's tables, row by row ---------------------------------------------------


def _rows_of(table_heading: str) -> list[str]:
    """The first column of the README table whose header starts with ``table_heading``."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    start = text.index(f"| {table_heading} |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append(re.match(r"\| (.*?) \|", line).group(1))
    return rows


def _ours_new(root, code):
    FileSessionStore(root).save_snapshot(_snapshot("tenant/chat-1"))
    assert code.load("tenant/chat-1")["config"]["name"] == "mine"
    assert code.load_side("traces", "tenant/chat-1")[0]["name"] == "mine"
    assert code.load_artifacts("tenant/chat-1")["artifacts"][0]["content"] == "mine"


def _ours_resave(root, code):
    code.save(_session_doc("tenant/chat-7"))
    store = FileSessionStore(root)
    session = store.load("tenant/chat-7")
    session.config.name = "updated"
    store.save(session)
    assert code.load("tenant/chat-7")["config"]["name"] == "updated"
    assert _session_files(root) == ["tenant_chat-7.json"]


def _ours_side(root, code):
    code.save(_session_doc("a b"))
    FileSessionStore(root).save_run_records("a b", [f.run_record("a b", prompt="side")])
    assert code.load_side("runs", "a b")[0]["snapshot"]["prompt"] == "side"


def _ours_checkpoints(root, code):
    store = FileSessionStore(root)
    store.save_loop_checkpoint("run/1", _loop("run/1"))
    store.save_workflow_checkpoint("wf..1", _flow("wf..1", steps=4))
    assert code.load_checkpoint("loop_checkpoints", "run/1")["run_id"] == "run/1"
    assert len(code.load_checkpoint("workflow_checkpoints", "wf..1")["steps"]) == 4


def _ours_collision(root, code):
    code.save(_session_doc("a/b"))
    FileSessionStore(root).save(f.session("a_b", name="mine"))
    assert code.load("a/b")["id"] == "a/b" and code.load("a_b")["id"] == "a/b"
    assert (root / "%a_b.json").exists()


def _ours_delete(root, code):
    store = FileSessionStore(root)
    store.save_snapshot(_snapshot("tenant/chat-1"))
    store.save_loop_checkpoint("tenant/chat-1", _loop("tenant/chat-1"))
    store.delete("tenant/chat-1")
    assert not code.exists("tenant/chat-1") and code.load_artifacts("tenant/chat-1") is None
    assert all(code.load_side(folder, "tenant/chat-1") is None for folder in
               ("traces", "runs", "verification", "subagent_tasks"))
    assert code.load_checkpoint("loop_checkpoints", "tenant/chat-1") is not None


def _ours_delete_checkpoints(root, code):
    code.save_checkpoint("loop_checkpoints", "run/1", _loop("run/1").to_dict())
    code.save_checkpoint("workflow_checkpoints", "wf/1", _flow("wf/1").to_dict())
    store = FileSessionStore(root)
    store.delete_loop_checkpoint("run/1")
    store.delete_workflow_checkpoint("wf/1")
    assert code.load_checkpoint("loop_checkpoints", "run/1") is None
    assert code.load_checkpoint("workflow_checkpoints", "wf/1") is None


def _ours_old_name(root, code):
    os.makedirs(root)
    (root / "%tenant%2Fchat-1.json").write_text(json.dumps(_session_doc("tenant/chat-1")))
    store = FileSessionStore(root)
    store.save(store.load("tenant/chat-1"))
    assert code.load("tenant/chat-1")["id"] == "tenant/chat-1"
    assert _session_files(root) == ["tenant_chat-1.json"]


def _theirs_save(root, code):
    code.save(_session_doc("tenant/chat-1"))
    store = FileSessionStore(root)
    assert store.load("tenant/chat-1").id == "tenant/chat-1"
    assert store.list() == ["tenant/chat-1"]
    assert [s.id for s in store.list_summaries()] == ["tenant/chat-1"]


def _theirs_overwrite(root, code):
    code.save(_session_doc("a/b"))
    code.save(_session_doc("a_b"))
    store = FileSessionStore(root)
    assert store.list() == ["a_b"] and store.load("a/b") is None


def _theirs_delete(root, code):
    store = FileSessionStore(root)
    store.save_snapshot(_snapshot("tenant/chat-1"))
    code.delete("tenant/chat-1")
    assert store.load("tenant/chat-1") is None and store.list() == []
    assert store.load_trace_events("tenant/chat-1") is None


def _theirs_side(root, code):
    store = FileSessionStore(root)
    store.save(f.session("s"))
    event = json.dumps(f.trace_event("a").to_dict())
    code.save_side("traces", "s", [])
    (root / "traces" / "s.json").write_text(f'[{event[:-1]}, "name": "dup"}}]')
    store.save(store.load("s"))
    with pytest.raises(CorruptDataError, match="duplicate"):
        store.load_trace_events("s")


OURS = {
    "`save` or `save_snapshot` of a new id": _ours_new,
    "`save` of a session a3s-code wrote": _ours_resave,
    "a side save (`save_trace_events`, ...)": _ours_side,
    "`save_loop_checkpoint`, `save_workflow_checkpoint`": _ours_checkpoints,
    "`save` of `a_b` while `a/b` holds `a_b.json`": _ours_collision,
    "`delete`": _ours_delete,
    "`delete_loop_checkpoint`, `delete_workflow_checkpoint`": _ours_delete_checkpoints,
    "`save` of a session stored under an older version's escaped name": _ours_old_name,
}
THEIRS = {
    "`save`": _theirs_save,
    "`save` of `a_b` over the file of `a/b`": _theirs_overwrite,
    "`delete`": _theirs_delete,
    "a side file written": _theirs_side,
}


def test_the_readme_tables_have_a_check_for_each_row():
    assert _rows_of("this package does") == list(OURS)
    assert _rows_of("a3s-code 3.4 does") == list(THEIRS)


@pytest.mark.parametrize("row", [("ours", r) for r in OURS] + [("theirs", r) for r in THEIRS],
                         ids=lambda r: f"{r[0]}: {r[1]}")
def test_each_row_of_the_readme_tables_holds(tmp_path, row):
    side, label = row
    root = tmp_path / "store"
    (OURS if side == "ours" else THEIRS)[label](root, A3sCode(root))
