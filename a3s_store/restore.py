"""Restore a saved generation into a live session, after checking it (the two
steps :func:`~a3s_store.resume_session` is made of, for code that builds its
own session object).

:func:`load_session_data` loads and checks a session's data;
:func:`restore_persisted_session_state` checks a whole generation (see
``_identity``: a backend is not trusted to enforce identity) and then
replaces every component of the live session with it, all at once.

>>> from . import AgentSession, MemorySessionStore, Message, TextBlock
>>> store = MemorySessionStore()
>>> saved = AgentSession(session_id="s-1", store=store)
>>> saved.history.append(Message(role="user", content=[TextBlock(text="Hi")]))
>>> _ = saved.save()
>>> live = AgentSession(session_id="s-1", store=store)
>>> _ = restore_persisted_session_state(live, store, load_session_data(store, "s-1"))
>>> [m.content[0].text for m in live.history]
['Hi']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._components import ARTIFACTS
from ._helper_common import retained_trace_events
from ._identity import check_generation
from .errors import ConflictError, CorruptDataError, InvalidDataError, SessionNotFoundError
from .persistence import SessionPersistence
from .records import ArtifactStore, SessionData
from .snapshot import SessionSnapshot
from .store import SessionStore

if TYPE_CHECKING:
    from .persistable import PersistableSession

__all__ = ["load_session_data", "restore_persisted_session_state"]


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
    traces = retained_trace_events(snapshot.trace_events, session.trace_retention)
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
