"""Resume a saved session: load it, check it, restore it into a live session.

:func:`resume_session` is the one call most code needs: it loads a
session's whole generation in one ``load_snapshot`` call, checks it belongs
to the id asked for and is consistent (see ``_identity``; a backend is not
trusted to enforce identity), fills the options the caller left out from it,
and returns a restored :class:`~a3s_store.AgentSession`.
:func:`load_session_data` and :func:`restore_persisted_session_state` are
the two steps, for code that builds its own session object.

>>> from a3s_store import AgentSession, MemorySessionStore, SessionOptions
>>> store = MemorySessionStore()
>>> _ = AgentSession(session_id="s-1", model="openai/gpt-4o", store=store).save()
>>> live = resume_session(store, "s-1", SessionOptions(api_key="sk-..."))
>>> live.session_id, live.model, live.store is store
('s-1', 'openai/gpt-4o', True)
>>> resume_session(store, "nope")
Traceback (most recent call last):
    ...
a3s_store.errors.SessionNotFoundError: session not found (session 'nope')
"""

from __future__ import annotations

from ._components import ARTIFACTS
from ._identity import check_generation
from .agent_session import AgentSession, PersistableSession
from .errors import ConflictError, CorruptDataError, InvalidDataError, SessionNotFoundError
from .persistence import SessionPersistence, _retained_trace_events
from .records import ArtifactStore, SessionData
from .session_options import SessionOptions, apply_persisted_runtime_options
from .snapshot import SessionSnapshot
from .store import SessionStore

__all__ = ["load_session_data", "restore_persisted_session_state", "resume_session"]


def load_session_data(store: SessionStore, session_id: str) -> SessionData:
    """The saved :class:`~a3s_store.SessionData` of ``session_id``.

    :raises SessionNotFoundError: nothing is saved under that id.
    :raises CorruptDataError: the store returned another session's data, or
        data it cannot read.
    """
    data = store.load(session_id)
    if data is None:
        raise SessionNotFoundError("session not found", session_id=session_id)
    check_generation(session_id, data.id, [], [])
    return data


def _generation(store: SessionStore, data: SessionData | SessionSnapshot,
                session_id: str) -> SessionSnapshot:
    """The whole generation to restore: ``data`` itself, or its components
    loaded from ``store`` (and checked to be the same generation)."""
    if isinstance(data, SessionSnapshot):
        return data
    if not isinstance(data, SessionData):
        raise InvalidDataError(f"expected a SessionData or SessionSnapshot, "
                               f"got {type(data).__name__}", session_id=session_id)
    check_generation(session_id, data.id, [], [])
    loaded = store.load_snapshot(data.id)
    if loaded is None:
        raise SessionNotFoundError("session not found (deleted while resuming?)",
                                   session_id=data.id)
    check_generation(data.id, loaded.session.id, [], [])
    if None not in (data.revision, loaded.revision) and data.revision != loaded.revision:
        raise ConflictError(f"the session was saved again (revision {loaded.revision!r}) "
                            f"after revision {data.revision!r} was loaded; load it again",
                            session_id=data.id)
    return SessionSnapshot(session=data, artifacts=loaded.artifacts,
                           trace_events=loaded.trace_events, run_records=loaded.run_records,
                           verification_reports=loaded.verification_reports,
                           subagent_tasks=loaded.subagent_tasks)


def _restored_artifacts(live: ArtifactStore, saved: ArtifactStore) -> ArtifactStore:
    """A new store of the saved artifacts, with the live limits raised to what it holds.

    The saved artifacts all come back: a session saved with more than the
    default 256 items or 16 MiB is not truncated (3.4 evicted the oldest).
    """
    if not isinstance(saved, ArtifactStore):
        raise CorruptDataError(f"artifacts: expected an ArtifactStore, got "
                               f"{type(saved).__name__}", key=ARTIFACTS.attr)
    restored = ArtifactStore(max_artifacts=max(live.max_artifacts, len(saved)),
                             max_bytes=max(live.max_bytes, saved.total_bytes),
                             extra=dict(saved.extra))
    for artifact in saved.artifacts():
        restored.put(artifact)
    return restored


def _persistence_of(session: PersistableSession) -> SessionPersistence:
    own = getattr(session, "persistence", None)
    if isinstance(own, SessionPersistence) and own.session is session:
        return own
    return SessionPersistence(session)


def restore_persisted_session_state(session: PersistableSession, store: SessionStore,
                                    data: SessionData | SessionSnapshot) -> SessionPersistence:
    """Put a saved generation into a live session; return its persistence context.

    ``data`` is a :class:`~a3s_store.SessionSnapshot` (restored as it is) or
    a :class:`~a3s_store.SessionData` from :func:`load_session_data` (its
    components are loaded from ``store``, and must be the same generation).

    Everything is checked first and the live session is left untouched when
    a check fails. Then every component is *replaced*, alike: history,
    artifacts (limits raised to what the snapshot holds), trace events (the
    newest ``session.trace_retention``), run records, verification reports,
    subagent tasks. The returned context (the session's own ``persistence``
    when it has one) holds the restored generation as its baseline, so the
    next save keeps what the live session does not own.

    :raises CorruptDataError: the data is another session's, or holds runs of
        another session, duplicate run ids, event sequences that do not
        increase, an ``event_count`` behind its events, or a subagent task of
        another parent.
    :raises SessionNotFoundError: the session is not (or no longer) stored.
    :raises ConflictError: the store holds a newer generation than ``data``.
    """
    sid = session.session_id
    snapshot = _generation(store, data, sid)
    check_generation(sid, snapshot.session.id, snapshot.run_records, snapshot.subagent_tasks)
    artifacts = _restored_artifacts(session.artifacts, snapshot.artifacts)
    traces = _retained_trace_events(snapshot.trace_events, session.trace_retention)
    persistence = _persistence_of(session)
    # Nothing below can fail: the session changes all at once or not at all.
    session.history = list(snapshot.session.messages)
    session.artifacts = artifacts
    session.trace_events = traces
    session.run_records = list(snapshot.run_records)
    session.verification_reports = list(snapshot.verification_reports)
    session.subagent_tasks = list(snapshot.subagent_tasks)
    persistence._adopt(snapshot.session)
    return persistence


def resume_session(store: SessionStore, session_id: str,
                   options: SessionOptions | None = None) -> AgentSession:
    """A live :class:`~a3s_store.AgentSession` restored from the store.

    One ``load_snapshot`` call; the data is checked before anything is built
    (as :func:`restore_persisted_session_state` documents), the options the
    caller left out are filled from it (:func:`apply_persisted_runtime_options`),
    and the session is built with ``store`` as its store and restored. Pass
    ``api_key``/``base_url`` in ``options`` again: they are never saved.

    :raises SessionNotFoundError: nothing is saved under ``session_id``.
    :raises CorruptDataError: the store returned another session's data or an
        inconsistent one.
    """
    snapshot = store.load_snapshot(session_id)
    if snapshot is None:
        raise SessionNotFoundError("session not found", session_id=session_id)
    data = snapshot.session
    check_generation(session_id, data.id, snapshot.run_records, snapshot.subagent_tasks)
    options = apply_persisted_runtime_options(options or SessionOptions(), data)
    session = AgentSession.from_options(options, store=store)
    restore_persisted_session_state(session, store, snapshot)
    return session
