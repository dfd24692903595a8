"""SessionSnapshot as a3s-code 5's SessionSnapshotV1 envelope, and forking a snapshot.

The envelope keys and rules are those of evolution.md §1.1; the fork is its
``fork_for_session`` (6.0) and ``snapshot_fork_rebinds_every_top_level_session_owner``.
"""

from __future__ import annotations

import copy

import pytest

import factories as f
from a3s_store import (
    CorruptDataError,
    FileSessionStore,
    InvalidDataError,
    InvalidIdError,
    SessionSnapshot,
    UnsupportedVersionError,
)
from a3s_store._json import decode, encode_bytes

KEYS = ["schema_version", "session", "artifacts", "retained_artifact_uris", "trace_events",
        "run_records", "verification_reports", "subagent_tasks"]


def full_snapshot(session_id: str = "test-session-1") -> SessionSnapshot:
    snap = SessionSnapshot(session=f.session(session_id), artifacts=f.artifact_store("out"),
                           trace_events=[f.trace_event()],
                           run_records=[f.run_record(session_id, events=2)],
                           verification_reports=[f.verification_report()],
                           subagent_tasks=[f.subagent_task(session_id)])
    snap.artifacts.extra["retained_uris"] = ["a3s://artifacts/art-0"]
    return snap


# -- to_dict / from_dict ---------------------------------------------------------------


def test_the_envelope_has_the_keys_of_session_snapshot_v1_in_order():
    d = full_snapshot().to_dict()
    assert list(d) == KEYS
    assert d["schema_version"] == 1
    assert d["session"] == f.session().to_dict()
    assert [a["artifact_uri"] for a in d["artifacts"]] == ["a3s://artifacts/art-0"]
    assert d["retained_artifact_uris"] == ["a3s://artifacts/art-0"]
    assert d["run_records"][0]["snapshot"]["session_id"] == "test-session-1"
    assert [len(d[k]) for k in KEYS[4:]] == [1, 1, 1, 1]


def test_an_envelope_round_trips_through_json():
    snap = full_snapshot()
    text = encode_bytes(snap.to_dict())
    assert SessionSnapshot.from_dict(decode(text)) == snap


def test_missing_lists_read_as_empty():
    snap = SessionSnapshot.from_dict({"schema_version": 1, "session": f.session_dict("s")})
    assert snap == SessionSnapshot(session=f.session("s"))
    assert snap.artifacts.extra == {} and snap.extra == {}


def test_unknown_keys_are_kept_and_written_back_after_the_known_ones():
    d = full_snapshot().to_dict()
    d["session_review"] = {"verdict": "ok", "future": [1, 2]}
    d["run_records"][0]["snapshot"]["owner_hint"] = "kept too"
    snap = SessionSnapshot.from_dict(d)
    assert snap.extra == {"session_review": {"verdict": "ok", "future": [1, 2]}}
    again = snap.to_dict()
    assert list(again) == [*KEYS, "session_review"]
    assert again == d


@pytest.mark.parametrize("version, error, message", [
    (2, UnsupportedVersionError, "newer than the supported version 1"),
    (0, CorruptDataError, "not loadable"),
    ("1", CorruptDataError, "expected an integer, found a string"),
    (True, CorruptDataError, "expected an integer, found a boolean"),
])
def test_schema_version_must_be_exactly_one(version, error, message):
    d = {"schema_version": version, "session": f.session_dict("s")}
    with pytest.raises(error, match=message) as info:
        SessionSnapshot.from_dict(d)
    assert info.value.key == "schema_version"
    if error is CorruptDataError:
        assert not isinstance(info.value, UnsupportedVersionError)


def _with(key, value):
    d = full_snapshot().to_dict()
    d[key] = value
    return d


@pytest.mark.parametrize("doc, key", [
    ([], None),
    ({"session": f.session_dict("s")}, "schema_version"),
    ({"schema_version": 1}, "session"),
    (_with("session", {"id": "s"}), "session.config"),
    (_with("trace_events", [f.trace_event().to_dict(), {"kind": 7}]), "trace_events[1]"),
    (_with("run_records", {"not": "a list"}), "run_records"),
    (_with("artifacts", [{"artifact_id": "a"}]), "artifacts[0]"),
    (_with("retained_artifact_uris", ["ok", 3]), "retained_artifact_uris[1]"),
    (_with("retained_artifact_uris", None), "retained_artifact_uris"),
    (_with("subagent_tasks", [{**f.subagent_task().to_dict(), "started_ms": -1}]),
     "subagent_tasks[0].started_ms"),
])
def test_bad_envelopes_are_corrupt_data_naming_the_key_path(doc, key):
    with pytest.raises(CorruptDataError) as info:
        SessionSnapshot.from_dict(doc)
    assert info.value.key == key or (key and info.value.key.startswith(key + ".")), \
        info.value.key


def test_writing_names_the_key_path_of_a_bad_value():
    snap = full_snapshot()
    snap.run_records[0].snapshot.event_count = -1
    with pytest.raises(InvalidDataError) as info:
        snap.to_dict()
    assert info.value.key == "run_records[0].snapshot.event_count"
    snap = full_snapshot()
    snap.extra["trace_events"] = []
    with pytest.raises(InvalidDataError, match="known key"):
        snap.to_dict()


def test_a_manifest_key_the_envelope_cannot_hold_is_an_error_not_a_loss():
    snap = full_snapshot()
    snap.artifacts.extra["gc_epoch"] = 3
    with pytest.raises(InvalidDataError) as info:
        snap.to_dict()
    assert info.value.key == "artifacts.extra.gc_epoch"


def test_retained_artifact_uris_survive_a_store(tmp_path):
    d = full_snapshot("kept").to_dict()
    d["retained_artifact_uris"] = ["a3s://artifacts/art-0", "a3s://artifacts/gone"]
    store = FileSessionStore(tmp_path / "s")
    store.save_snapshot(SessionSnapshot.from_dict(d))
    assert store.load_snapshot("kept").to_dict() == d


# -- fork_for_session --------------------------------------------------------------------


def test_a_fork_rebinds_every_top_level_session_owner():
    source = full_snapshot("src")
    source.subagent_tasks.append(f.subagent_task("", task_id="legacy"))
    source.revision = "r-1"
    before = copy.deepcopy(source)
    fork = source.fork_for_session("branch", workspace="/tmp/branch")
    assert fork.session.id == "branch" and fork.revision is None
    assert fork.session.config.workspace == "/tmp/branch"
    assert [r.snapshot.session_id for r in fork.run_records] == ["branch"]
    assert [t.parent_session_id for t in fork.subagent_tasks] == ["branch", ""]
    assert fork.session.messages == source.session.messages
    assert source == before and source.revision == "r-1"  # the source is untouched
    fork.session.messages.clear()
    fork.artifacts.put(copy.deepcopy(source.artifacts.artifacts()[0]))
    fork.trace_events.clear()
    assert source == before  # and shares nothing with the fork


def test_a_fork_keeps_the_workspace_unless_told():
    fork = full_snapshot("src").fork_for_session("other")
    assert fork.session.config.workspace == "/tmp/ws"


@pytest.mark.parametrize("new_id, error", [
    (7, InvalidIdError),
    ("src", InvalidDataError),
])
def test_a_fork_needs_a_new_string_id(new_id, error):
    with pytest.raises(error):
        full_snapshot("src").fork_for_session(new_id)


def test_a_fork_is_validated_again():
    source = full_snapshot("src")
    source.run_records.append(f.run_record("third-session", run_id="run-2"))
    with pytest.raises(InvalidDataError, match="belongs to session 'third-session'") as info:
        source.fork_for_session("branch")
    assert info.value.session_id == "branch"
    source = full_snapshot("src")
    source.subagent_tasks.append(f.subagent_task("third-session", task_id="t-2"))
    with pytest.raises(InvalidDataError, match="parent session 'third-session'"):
        source.fork_for_session("branch")


def _side_sigs(root) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in root.rglob("*.json") if p.parent != root and ".a3s_store" not in p.parts}


def test_a_snapshot_save_leaves_side_files_that_hold_their_bytes_already(tmp_path):
    from faults import count_calls

    root = tmp_path / "s"
    store = FileSessionStore(root)
    snap = SessionSnapshot(session=f.session(messages=3), artifacts=f.artifact_store("a"),
                           trace_events=[f.trace_event()],
                           verification_reports=[f.verification_report()])
    store.save_snapshot(snap)
    before = _side_sigs(root)
    assert len(before) >= 3
    snap.session.messages.append(f.msg("user", "more"))
    calls = count_calls(lambda: store.save_snapshot(snap))
    assert _side_sigs(root) == before  # not rewritten
    assert calls.count("fsync") + calls.count("fsync_dir") <= 2  # the session file's
    assert store.load_snapshot(snap.session.id).session.messages == snap.session.messages
    # A changed side file is written; one another program rewrote is replaced.
    snap.trace_events.append(f.trace_event())
    store.save_snapshot(snap)
    traces = [k for k, v in _side_sigs(root).items() if v != before[k]]
    assert traces == [k for k in before if k.startswith("traces")]
    (path,) = [root / k for k in before if k.startswith("verification")]
    path.write_bytes(path.read_bytes())  # the same bytes, written by someone else
    theirs = path.stat().st_ino
    store.save_snapshot(snap)
    assert path.stat().st_ino != theirs  # the store's own copy (renamed into place)
    assert store.load_snapshot(snap.session.id).verification_reports == \
        snap.verification_reports
