"""The values a store hands back: a whole generation (:class:`SessionSnapshot`),
a listing row (:class:`SessionSummary`) and a listing (:class:`SessionSummaries`).

Their reprs and notebook views (``_repr_html_``: a transcript, a table) come
from the renderers, imported when first used (so that importing the package
does not load them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .records import (
    ArtifactStore,
    RunRecord,
    SessionData,
    SubagentTaskSnapshot,
    TraceEvent,
    VerificationReport,
)

__all__ = ["SessionSnapshot", "SessionSummary", "SessionSummaries"]


class SessionSummary(NamedTuple):
    """What a listing shows of one session, without loading its messages.

    A named tuple (listings build thousands of them): fields are read by
    name, ``to_dict()`` gives a JSON-ready dict. ``state`` is the state's name
    (``"Active"``...), ``model`` may be None, times are epoch seconds as in
    the session file, ``size_bytes`` is the size of the session file (0 for a
    memory store).

    >>> s = SessionSummary("s-1", "Chat", "Active", None, 2, 1700000000, 1700000100, 512)
    >>> s.messages, s.to_dict()["updated_at"]
    (2, 1700000100)
    """

    id: str
    name: str
    state: str
    model: str | None
    messages: int
    created_at: int
    updated_at: int
    size_bytes: int = 0

    @classmethod
    def of(cls, session: SessionData, size_bytes: int = 0) -> "SessionSummary":
        """The summary of a loaded session."""
        state = session.state
        return cls(session.id, session.config.name, getattr(state, "value", state),
                   session.model_name, len(session.messages), session.created_at,
                   session.updated_at, size_bytes)

    def to_dict(self) -> dict:
        """The fields as a dict (for JSON output)."""
        return self._asdict()

    def _repr_html_(self) -> str:
        """A table of one row (notebooks call this to show the summary)."""
        from ._render_listing import summary_html
        return summary_html(self)


class SessionSummaries(list):
    """The list ``list_summaries()`` returns: a plain list of
    :class:`SessionSummary`, which a notebook shows as a table instead of a
    long line of tuples. Sorting keeps the type; slicing gives a plain list.

    >>> rows = SessionSummaries([SessionSummary("s-1", "Chat", "Active", None, 2, 0, 0)])
    >>> rows[0].id, "<table" in rows._repr_html_()
    ('s-1', True)
    """

    __slots__ = ()

    def _repr_html_(self) -> str:
        """The summaries as a table, in the list's order."""
        from ._render_listing import summaries_html
        return summaries_html(self)


@dataclass(slots=True, kw_only=True)
class SessionSnapshot:
    """A session and every per-session component, saved and loaded as one generation.

    Components default to empty. ``revision`` is set by ``load_snapshot`` and
    is not part of the data (it does not take part in ``==``).

    >>> from a3s_store import SessionSnapshot, SessionData
    >>> snap = SessionSnapshot(session=SessionData(id="s-1"))
    >>> (snap.session.id, len(snap.artifacts), snap.trace_events, snap.revision)
    ('s-1', 0, [], None)
    """

    session: SessionData
    artifacts: ArtifactStore = field(default_factory=ArtifactStore)
    trace_events: list[TraceEvent] = field(default_factory=list)
    run_records: list[RunRecord] = field(default_factory=list)
    verification_reports: list[VerificationReport] = field(default_factory=list)
    subagent_tasks: list[SubagentTaskSnapshot] = field(default_factory=list)
    revision: str | None = field(default=None, compare=False, repr=False)

    @property
    def session_id(self) -> str:
        """The id of the session this snapshot holds."""
        return self.session.id

    def __repr__(self) -> str:
        # Counts, not contents: a snapshot may hold thousands of messages.
        from ._render_text import snapshot_repr
        return snapshot_repr(self)

    def _repr_html_(self) -> str:
        """A compact, escaped transcript (notebooks call this to show the snapshot)."""
        from ._render_html import render_notebook
        return render_notebook(self)
