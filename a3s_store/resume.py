"""Resume a saved session: load it, check it, restore it into a live session.

:func:`resume_session` is the one call most code needs: it loads a
session's whole generation in one ``load_snapshot`` call, checks it belongs
to the id asked for and is consistent (see ``_identity``; a backend is not
trusted to enforce identity), fills the options the caller left out from it,
and returns a restored :class:`~a3s_store.AgentSession`.
Its two steps, :func:`~a3s_store.load_session_data` and
:func:`~a3s_store.restore_persisted_session_state`, live in ``restore.py``,
for code that builds its own session object.

>>> from . import AgentSession, MemorySessionStore, SessionOptions
>>> store = MemorySessionStore()
>>> _ = AgentSession(session_id="s-1", model="openai/gpt-4o", store=store).save()
>>> live = resume_session(store, "s-1", SessionOptions(api_key="sk-..."))
>>> live.session_id, live.model, live.store is store
('s-1', 'openai/gpt-4o', True)
>>> try:
...     resume_session(store, "nope")
... except SessionNotFoundError as error:
...     print(error)
session not found (session 'nope')
"""

from __future__ import annotations

from ._identity import check_generation
from .agent_session import AgentSession
from .errors import SessionNotFoundError
from .restore import restore_persisted_session_state
from .session_options import SessionOptions, apply_persisted_runtime_options
from .store import SessionStore

__all__ = ["resume_session"]


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
