"""MemorySessionStore: the same contract as the file store, kept in a dict.

For tests, doctests and short-lived scripts. Everything saved is copied in
and everything loaded is copied out through the same encoder and decoder as
the file store (the component table), so the memory store accepts and
refuses exactly what the file store does, and a session's components live
in one entry that a snapshot replaces whole. Not shared between processes;
safe to share between threads.
"""

from __future__ import annotations

import builtins
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from ._components import COMPONENTS, SESSION, SIDE, Checkpoint, Component
from ._names import check_id
from .errors import ConflictError
from .records import SessionData
from .snapshot import SessionSnapshot, SessionSummaries, SessionSummary
from .store import (
    ComponentMethods,
    check_page,
    check_session_type,
    check_snapshot_type,
    checked_checkpoint,
)

__all__ = ["MemorySessionStore"]


@dataclass(slots=True)
class _Entry:
    """Every component of one session (encoded), replaced together by a snapshot."""

    docs: dict[str, bytes] = field(default_factory=dict)
    counter: int = 0
    revision: str | None = None

    def bump(self) -> str:
        self.counter += 1
        self.revision = f"{self.counter}-{secrets.token_hex(6)}"
        return self.revision


def _decoded(component: Component, data: bytes) -> Any:
    # The bytes are the store's own: the fast parser is enough.
    return component.decode(data, strict=False, path=None)


class MemorySessionStore(ComponentMethods):
    """A :class:`~a3s_store.SessionStore` in memory, with copy-in/copy-out semantics.

    >>> from . import MemorySessionStore, SessionData
    >>> store = MemorySessionStore()
    >>> session = SessionData(id="s-1")
    >>> _ = store.save(session)
    >>> session.config.name = "changed after saving"
    >>> store.load("s-1").config.name
    ''
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._checkpoints: dict[tuple[str, str], bytes] = {}  # (kind, key) -> bytes
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"MemorySessionStore(<{len(self._entries)} entries>)"

    def _repr_html_(self) -> str:
        """A table of the sessions (notebooks call this to show the store)."""
        from ._render_listing import render_store_html
        return render_store_html(self)

    def _check(self, entry: _Entry | None, session_id: str, expected_revision: str | None,
               create_only: bool) -> None:
        exists = entry is not None and SESSION.name in entry.docs
        if create_only and exists:
            raise ConflictError("session already exists (create_only)", session_id=session_id)
        current = entry.revision if entry is not None else None
        if expected_revision is not None and expected_revision != current:
            raise ConflictError(
                f"stale revision: expected {expected_revision!r}, the store has {current!r}; "
                "nothing was written", session_id=session_id)

    def _session(self, entry: _Entry | None) -> SessionData | None:
        if entry is None or SESSION.name not in entry.docs:
            return None
        session: SessionData = _decoded(SESSION, entry.docs[SESSION.name])
        session.revision = entry.revision
        return session

    # -- sessions ---------------------------------------------------------------

    def save(self, session: SessionData, /, *, expected_revision: str | None = None,
             create_only: bool = False) -> str:
        """Save (replace) a session; return its new revision (see FileSessionStore.save)."""
        session = check_session_type(session)
        check_id(session.id)
        data = SESSION.encode(session)
        with self._lock:
            entry = self._entries.get(session.id)
            self._check(entry, session.id, expected_revision, create_only)
            entry = self._entries.setdefault(session.id, _Entry())
            entry.docs[SESSION.name] = data
            return entry.bump()

    def load(self, session_id: str, /) -> SessionData | None:
        """A copy of the session, or None."""
        check_id(session_id)
        with self._lock:
            return self._session(self._entries.get(session_id))

    def delete(self, session_id: str, /) -> None:
        """Remove the session and its components; unknown ids are fine."""
        check_id(session_id)
        with self._lock:
            self._entries.pop(session_id, None)

    def exists(self, session_id: str, /) -> bool:
        """Whether a session is stored under this id."""
        check_id(session_id)
        with self._lock:
            entry = self._entries.get(session_id)
            return entry is not None and SESSION.name in entry.docs

    def list_summaries(self, *, limit: int | None = None,
                       after: str | None = None) -> SessionSummaries:
        """A :class:`~a3s_store.SessionSummary` of every session, sorted by id
        (one page with ``after`` and ``limit``, as for the file store)."""
        check_page(limit, after)
        with self._lock:
            ids = [i for i in sorted(self._entries) if after is None or i > after]
            summaries: builtins.list[SessionSummary] = []
            for session_id in ids:
                if limit is not None and len(summaries) >= limit:
                    break
                session = self._session(self._entries[session_id])
                if session is not None:
                    summaries.append(SessionSummary.of(session))
            return SessionSummaries(summaries)

    def list(self) -> builtins.list[str]:
        """The ids of the stored sessions, sorted."""
        with self._lock:
            return sorted(k for k, e in self._entries.items() if SESSION.name in e.docs)

    # -- snapshots --------------------------------------------------------------

    def save_snapshot(self, snapshot: SessionSnapshot, /, *,
                      expected_revision: str | None = None, create_only: bool = False) -> str:
        """Replace a session and every component in one step; return the revision."""
        snapshot = check_snapshot_type(snapshot)
        sid = snapshot.session.id
        check_id(sid)
        new = _Entry(docs={c.name: c.encode(getattr(snapshot, c.attr), session_id=sid)
                           for c in COMPONENTS})
        with self._lock:
            entry = self._entries.get(sid)
            self._check(entry, sid, expected_revision, create_only)
            if entry is not None:
                new.counter = entry.counter
            self._entries[sid] = new
            return new.bump()

    def load_snapshot(self, session_id: str, /) -> SessionSnapshot | None:
        """Copies of the session and all its components, or None."""
        check_id(session_id)
        with self._lock:
            entry = self._entries.get(session_id)
            session = self._session(entry)
            if session is None or entry is None:  # no entry, no session
                return None
            parts = {c.attr: _decoded(c, entry.docs[c.name]) if c.name in entry.docs
                     else c.empty() for c in SIDE}
        snap = SessionSnapshot(session=session, **parts)
        snap.revision = session.revision
        return snap

    # -- the primitives of ComponentMethods ---------------------------------------

    def _save_component(self, component: Component, session_id: str, value: Any) -> None:
        data = component.encode(value, session_id=session_id)
        with self._lock:
            entry = self._entries.setdefault(session_id, _Entry())
            entry.docs[component.name] = data
            entry.bump()

    def _load_component(self, component: Component, session_id: str) -> Any:
        with self._lock:
            entry = self._entries.get(session_id)
            data = None if entry is None else entry.docs.get(component.name)
        return None if data is None else _decoded(component, data)

    def _save_checkpoint(self, kind: Checkpoint, key: str, checkpoint: Any) -> None:
        data = kind.encode(checkpoint)
        with self._lock:
            self._checkpoints[(kind.name, key)] = data

    def _load_checkpoint(self, kind: Checkpoint, key: str) -> Any:
        with self._lock:
            data = self._checkpoints.get((kind.name, key))
        if data is None:
            return None
        return checked_checkpoint(kind, key, kind.decode(data, strict=False, path=None))

    def _delete_checkpoint(self, kind: Checkpoint, key: str) -> None:
        with self._lock:
            self._checkpoints.pop((kind.name, key), None)

    def health_check(self) -> None:
        """Always fine: memory is reachable."""

    def backend_name(self) -> str:
        """``"memory"``."""
        return "memory"
