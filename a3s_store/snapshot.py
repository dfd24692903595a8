"""The values a store hands back: a whole generation (:class:`SessionSnapshot`),
a listing row (:class:`SessionSummary`) and a listing (:class:`SessionSummaries`).

Their reprs and notebook views (``_repr_html_``: a transcript, a table) come
from the renderers, imported when first used (so that importing the package
does not load them). A snapshot's JSON shape is a3s-code 5's
``SessionSnapshotV1`` envelope (``_envelope``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ._envelope import envelope_from_dict, envelope_to_dict
from ._identity import check_generation
from .errors import InvalidDataError, InvalidIdError
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
    memory store). ``problem`` is None for a session that reads well; for a
    session file that is damaged it says what is wrong (the other fields are
    then the last ones known, or blank), so a listing shows it, never hides it.

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
    problem: str | None = None

    @classmethod
    def of(cls, session: SessionData, size_bytes: int = 0) -> SessionSummary:
        """The summary of a loaded session."""
        state = session.state
        return cls(session.id, session.config.name, getattr(state, "value", state),
                   session.model_name, len(session.messages), session.created_at,
                   session.updated_at, size_bytes)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (for JSON output)."""
        return self._asdict()

    def _repr_html_(self) -> str:
        """A table of one row (notebooks call this to show the summary)."""
        from ._render_listing import summary_html
        return summary_html(self)


class SessionSummaries(list[SessionSummary]):
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
    is not part of the data (it does not take part in ``==``). ``extra``
    holds the envelope keys this version does not know (:meth:`from_dict`
    keeps them, :meth:`to_dict` writes them back); the stores save the
    components, not the envelope, so they do not keep ``extra``.

    >>> from . import SessionSnapshot, SessionData
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
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    revision: str | None = field(default=None, compare=False, repr=False)

    @property
    def session_id(self) -> str:
        """The id of the session this snapshot holds."""
        return self.session.id

    def to_dict(self) -> dict[str, Any]:
        """The ``SessionSnapshotV1`` envelope: ``schema_version`` 1, ``session``,
        ``artifacts``, ``retained_artifact_uris`` (kept in the artifact
        manifest's ``retained_uris``), ``trace_events``, ``run_records``,
        ``verification_reports``, ``subagent_tasks``, then ``extra``.

        >>> from . import SessionData
        >>> d = SessionSnapshot(session=SessionData(id="s-1")).to_dict()
        >>> list(d)[:4], d["schema_version"], d["run_records"]
        (['schema_version', 'session', 'artifacts', 'retained_artifact_uris'], 1, [])

        :raises InvalidDataError: a value that cannot be written; ``key`` is
            its path in the envelope (``run_records[0].snapshot.id``).
        """
        return envelope_to_dict(self)

    @classmethod
    def from_dict(cls, data: Any) -> SessionSnapshot:
        """Read a ``SessionSnapshotV1`` envelope (missing lists read as empty).

        >>> from . import SessionData, UnsupportedVersionError
        >>> d = {"schema_version": 1, "session": SessionData(id="s-1").to_dict()}
        >>> SessionSnapshot.from_dict(d).session.id
        's-1'
        >>> try:
        ...     SessionSnapshot.from_dict({**d, "schema_version": 2})  # doctest: +ELLIPSIS
        ... except UnsupportedVersionError as error:
        ...     print(error)
        schema_version: snapshot schema version 2 is ...

        :raises UnsupportedVersionError: ``schema_version`` above 1.
        :raises CorruptDataError: not a version-1 envelope; ``key`` is the
            path of the bad value (``trace_events[3].kind``).
        """
        return envelope_from_dict(cls, data)

    def fork_for_session(self, new_id: str, workspace: str | None = None) -> SessionSnapshot:
        """A copy of this generation as session ``new_id`` (this one is untouched).

        What the session owned is rebound to the new id: the session's
        ``id``, every run's ``session_id`` and the ``parent_session_id`` of
        its subagent tasks (legacy empty parents stay empty). ``workspace``,
        when given, replaces the configured workspace. The copy has no
        revision (it was never saved) and is checked like a loaded
        generation, so a run or task of a third session fails here, as it
        would on resume. Cost records keep the session that paid for them.

        >>> from . import SessionData
        >>> fork = SessionSnapshot(session=SessionData(id="s-1")).fork_for_session("s-2", "/b")
        >>> fork.session.id, fork.session.config.workspace
        ('s-2', '/b')

        :raises InvalidIdError: ``new_id`` is not a string.
        :raises InvalidDataError: ``new_id`` is this session's own id, a bad
            ``workspace``, or a generation that does not check.
        """
        source = self.session.id
        if not isinstance(new_id, str):
            raise InvalidIdError(f"session id must be a str, not {type(new_id).__name__}",
                                 session_id=new_id)
        if new_id == source:
            raise InvalidDataError("a fork needs an id of its own", session_id=new_id)
        if workspace is not None and not isinstance(workspace, str):
            raise InvalidDataError(f"workspace must be a str, not {type(workspace).__name__}",
                                   session_id=new_id)
        fork = copy.deepcopy(self)
        fork.revision = fork.session.revision = None
        fork.session.id = new_id
        if workspace is not None:
            fork.session.config.workspace = workspace
        for record in fork.run_records:
            if record.snapshot.session_id == source:
                record.snapshot.session_id = new_id
        for task in fork.subagent_tasks:
            if task.parent_session_id == source:
                task.parent_session_id = new_id
        check_generation(new_id, new_id, fork.run_records, fork.subagent_tasks,
                         error=InvalidDataError)
        return fork

    def __repr__(self) -> str:
        # Counts, not contents: a snapshot may hold thousands of messages.
        from ._render_text import snapshot_repr
        return snapshot_repr(self)

    def _repr_html_(self) -> str:
        """A compact, escaped transcript (notebooks call this to show the snapshot)."""
        from ._render_html import render_notebook
        return render_notebook(self)
