"""Contract cases: snapshots (a session with all its components, as one
generation) and revisions (optimistic concurrency)."""

from __future__ import annotations

from ..errors import ConflictError, InvalidDataError
from ..records import ArtifactStore
from ..snapshot import SessionSnapshot
from . import samples as s
from ._registry import Reopen, Store, case, raises


def _full_snapshot(sid: str = "test-session-1") -> SessionSnapshot:
    return SessionSnapshot(
        session=s.session(sid),
        artifacts=s.artifact_store("a", "b"),
        trace_events=[s.trace_event()],
        run_records=[s.run_record(sid)],
        verification_reports=[s.verification_report()],
        subagent_tasks=[s.subagent_task(sid)],
    )


@case
def snapshot_round_trip(store: Store) -> None:
    """A snapshot loads equal, with the revision its save returned."""
    snap = _full_snapshot()
    revision = store.save_snapshot(snap)
    loaded = store.load_snapshot("test-session-1")
    assert loaded == snap
    assert loaded.revision == revision
    assert store.load("test-session-1").revision == revision
    assert store.load_trace_events("test-session-1") == snap.trace_events


@case
def snapshot_replaces_every_component(store: Store) -> None:
    """A snapshot's empty components replace saved ones."""
    sid = "test-session-1"
    store.save_snapshot(SessionSnapshot(session=s.session(sid), trace_events=[s.trace_event()],
                                        run_records=[s.run_record(sid)]))
    store.save_snapshot(SessionSnapshot(session=s.session(sid)))
    loaded = store.load_snapshot(sid)
    assert loaded.trace_events == [] and loaded.run_records == []
    assert len(loaded.artifacts) == 0
    assert store.load_trace_events(sid) == []


@case
def load_snapshot_of_unknown_session_is_none(store: Store) -> None:
    """No session, no snapshot."""
    assert store.load_snapshot("nope") is None


@case
def snapshot_of_a_session_saved_alone_has_empty_components(store: Store) -> None:
    """Components never saved come back empty in a snapshot."""
    store.save(s.session())
    snap = store.load_snapshot("test-session-1")
    assert snap.trace_events == [] and len(snap.artifacts) == 0 and snap.run_records == []


@case
def snapshot_artifacts_beyond_default_limits_survive(store: Store) -> None:
    """Every artifact is kept, beyond the default limits of an ArtifactStore."""
    sid = "big"
    artifacts = ArtifactStore(max_artifacts=300)
    template = s.artifact_store("x").artifacts()[0]
    for i in range(257):
        artifacts.put(type(template).from_dict({**template.to_dict(), "artifact_uri": f"u-{i}",
                                                "artifact_id": f"a-{i}"}))
    store.save_snapshot(SessionSnapshot(session=s.session(sid), artifacts=artifacts))
    assert len(store.load_snapshot(sid).artifacts) == 257
    assert len(store.load_artifacts(sid)) == 257


@case
def a_refused_snapshot_writes_nothing(store: Store) -> None:
    """A snapshot with a bad component leaves the stored generation as it was."""
    store.save_snapshot(_full_snapshot())
    bad = _full_snapshot()
    bad.session.config.name = "new"
    bad.trace_events = ["not a trace event"]  # type: ignore[list-item]  # deliberately wrong: refused
    with raises(InvalidDataError):
        store.save_snapshot(bad)
    assert store.load_snapshot("test-session-1") == _full_snapshot()


# -- revisions -----------------------------------------------------------------------


@case
def revision_changes_on_every_save_and_is_not_a_timestamp(store: Store) -> None:
    """Every save, of the session or a component, gives a new revision."""
    r1 = store.save(s.session())
    r2 = store.save(s.session())
    assert r1 != r2
    assert store.load("test-session-1").revision == r2
    store.save_trace_events("test-session-1", [s.trace_event()])
    assert store.load("test-session-1").revision not in (r1, r2)


@case
def stale_revision_is_a_conflict_and_writes_nothing(store: Store) -> None:
    """A save with an old revision raises ConflictError and writes nothing."""
    r1 = store.save(s.session())
    store.save(s.session(messages=3))
    with raises(ConflictError):
        store.save(s.session(messages=5), expected_revision=r1)
    with raises(ConflictError):
        store.save_snapshot(SessionSnapshot(session=s.session(messages=5)),
                            expected_revision=r1)
    assert len(store.load("test-session-1").messages) == 3


@case
def matching_revision_saves(store: Store) -> None:
    """A save with the current revision goes through."""
    store.save(s.session())
    loaded = store.load("test-session-1")
    new = store.save(s.session(messages=4), expected_revision=loaded.revision)
    snap = store.load_snapshot("test-session-1")
    assert snap.revision == new
    store.save_snapshot(SessionSnapshot(session=s.session(messages=6)),
                        expected_revision=snap.revision)
    assert len(store.load("test-session-1").messages) == 6


@case
def create_only_refuses_an_existing_session(store: Store) -> None:
    """``create_only`` saves only a session that does not exist yet."""
    store.save(s.session(), create_only=True)
    with raises(ConflictError, match="exists"):
        store.save(s.session(messages=9), create_only=True)
    with raises(ConflictError):
        store.save_snapshot(SessionSnapshot(session=s.session(messages=9)), create_only=True)
    assert len(store.load("test-session-1").messages) == 2


@case
def revision_is_not_reused_after_delete(store: Store) -> None:
    """A revision from before a delete never matches again."""
    r1 = store.save(s.session())
    store.delete("test-session-1")
    r2 = store.save(s.session())
    assert r1 != r2
    with raises(ConflictError):
        store.save(s.session(), expected_revision=r1)


@case
def a_revision_read_by_another_store_detects_a_later_save(store: Store, reopen: Reopen) -> None:
    """Two store objects on the same data: the second writer with a stale revision loses."""
    store.save(s.session())
    other = reopen()
    seen = other.load("test-session-1").revision
    store.save(s.session(messages=3))
    with raises(ConflictError):
        other.save(s.session(messages=7), expected_revision=seen)
    assert len(other.load("test-session-1").messages) == 3
