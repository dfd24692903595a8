"""SqlSessionStore: the SessionStore contract on an SQL database (SQLite, PostgreSQL).

The tables are described in ``_schema``; how rows become the file store's
bytes in ``_rows``; which rows a save writes in ``_mirror``; transactions,
retries and broken connections in ``_link``.
"""

from __future__ import annotations

import builtins  # the class has a list() method
import os
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from .. import _codec
from .._codec import _gc_paused
from .._components import CHECKPOINTS, SIDE, Checkpoint, Component
from .._names import check_id
from ..errors import InvalidDataError
from ..file_store import DEFAULT_MAX_FILE_BYTES
from ..records import SessionData
from ..snapshot import SessionSnapshot, SessionSummaries, SessionSummary
from ..store import (
    check_checkpoint,
    check_page,
    check_session_type,
    check_snapshot_type,
    checked_checkpoint,
)
from . import _sessions, _side
from ._connect import postgres_connector, redacted, sqlite_connector
from ._dialects import POSTGRESQL, SQLITE, dialect_of
from ._link import Connection, Link, Tx
from ._mirror import Mirror, MirrorCache, plan_rows
from ._rows import head_text, key, load_session

__all__ = ["SqlSessionStore"]

_DIALECTS = {"sqlite": SQLITE, "postgresql": POSTGRESQL}

if TYPE_CHECKING:
    from ._generated import GeneratedMethods as _Generated
    from ._generated import KeyCheck, LoadCheck, T
else:
    _Generated = object  # the generated methods are made below, at import


def _check_arguments(connection: Connection, connect: Callable[[], Connection] | None,
                     dialect: str | None, max_file_bytes: int) -> None:
    if connection is None and connect is None:
        raise ValueError("pass a connection or connect=<function returning one>")
    if connection is not None and connect is not None:
        raise ValueError("pass a connection or a connect function, not both")
    if connect is not None and not callable(connect):
        raise TypeError("connect must be a function of no arguments")
    if dialect is not None and dialect not in _DIALECTS:
        raise ValueError(f"dialect must be 'sqlite' or 'postgresql', not {dialect!r}")
    if type(max_file_bytes) is not int or max_file_bytes < 1:
        raise ValueError(f"max_file_bytes must be a positive int, not {max_file_bytes!r}")


class SqlSessionStore(_Generated):
    """A :class:`~a3s_store.SessionStore` on a DB-API 2 connection (SQLite or PostgreSQL).

    :param connection: a connection to use (the caller keeps it and closes
        it; it must not be inside a transaction of the caller's when a store
        method is called). Or, instead:
    :param connect: a function of no arguments returning a new connection;
        the store opens one now, and again after a break or a fork.
    :param dialect: ``"sqlite"`` or ``"postgresql"``; found from the
        connection's driver when omitted.
    :param location: how errors name the database (a URL without password).
    :param max_file_bytes: the largest session file or side file the store
        writes (the file store's limit, so every session can be exported).

    The tables live in the connection's current schema and are made (or
    migrated) on first use. Usually opened through :meth:`sqlite` or
    :meth:`postgres`:

    >>> import os, tempfile
    >>> from .. import SqlSessionStore, SessionData
    >>> path = os.path.join(tempfile.mkdtemp(), "sessions.db")
    >>> with SqlSessionStore.sqlite(path) as store:
    ...     revision = store.save(SessionData(id="tenant/s-1"))
    ...     store.list(), store.load("tenant/s-1").revision == revision
    (['tenant/s-1'], True)
    """

    def __init__(self, connection: Connection = None, /, *,
                 connect: Callable[[], Connection] | None = None, dialect: str | None = None,
                 location: str | None = None,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        _check_arguments(connection, connect, dialect, max_file_bytes)
        self.max_file_bytes = max_file_bytes
        self._mirrors = MirrorCache()
        if connect is not None:
            connection = connect()
        try:
            self._dialect = _DIALECTS[dialect] if dialect else dialect_of(connection)
            self.location = location or f"{self._dialect.name} database"
            self._link = Link(self._dialect, where=self.location, connect=connect,
                              connection=connection)
            self._link.run(lambda tx: None, write=False)  # makes or checks the tables
        except BaseException:
            if connect is not None:  # opened here: closed here
                connection.close()
            raise

    @classmethod
    def sqlite(cls, path: str | os.PathLike[str], /, *, busy_timeout: float = 30.0,
               synchronous: str = "FULL", file_mode: int = 0o600) -> SqlSessionStore:
        """A store in the SQLite database file ``path`` (made 0600 when missing).

        WAL mode, ``synchronous=FULL`` (a save that returned survives a power
        cut), writers wait up to ``busy_timeout`` seconds for each other.
        ``synchronous="NORMAL"`` gives up the durability of the last commits
        on power loss (never their atomicity) for speed.
        """
        path = os.path.abspath(os.fspath(path))
        connect = sqlite_connector(path, busy_timeout=busy_timeout, synchronous=synchronous,
                                   file_mode=file_mode)
        return cls(connect=connect, dialect="sqlite", location=f"sqlite://{path}")

    @classmethod
    def postgres(cls, dsn: str, /, **connect_options: Any) -> SqlSessionStore:
        """A store on the PostgreSQL server at ``dsn`` (a libpq URL or key=value
        string), in the first schema of its ``search_path``.

        Imports psycopg 3 now: :class:`~a3s_store.MissingDriverError` names the
        package to install when it is missing. ``connect_options`` go to
        ``psycopg.connect``.
        """
        connect = postgres_connector(dsn, **connect_options)
        return cls(connect=connect, dialect="postgresql", location=redacted(dsn))

    def close(self) -> None:
        """Close the connection the store opened (a connection it was given stays open)."""
        self._link.close()

    def __enter__(self) -> SqlSessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqlSessionStore({self.location!r})"

    def _run(self, body: Callable[[Tx], T], *, write: bool,
             session_id: str | None = None) -> T:
        return self._link.run(body, write=write, session_id=session_id)

    def _checked_size(self, size: int, session_id: str | None) -> None:
        if size > self.max_file_bytes:
            raise InvalidDataError(
                f"document of {size} bytes exceeds the byte limit of {self.max_file_bytes}; "
                "nothing was written", session_id=session_id)

    # -- sessions -----------------------------------------------------------------

    def save(self, session: SessionData, /, *, expected_revision: str | None = None,
             create_only: bool = False) -> str:
        """Save (replace) a session; return its new revision.

        Writes only the message rows that differ from what the database holds
        (an appended message is one row); side data stays.
        :raises ConflictError: ``expected_revision`` is stale, or ``create_only``
            and the session exists; nothing is written.
        :raises InvalidDataError: the session cannot be written (nothing is).
        """
        session = check_session_type(session)
        return self._save(session, expected_revision, create_only, None)

    def _save(self, session: SessionData, expected_revision: str | None, create_only: bool,
              components: dict[str, str] | None) -> str:
        sid = session.id
        check_id(sid)
        head = head_text(session)
        mirror = self._mirrors.get(sid)
        try:
            plan = plan_rows(list(session.messages), mirror)
        except InvalidDataError as exc:
            raise exc.located(session_id=sid)
        write = _sessions.SessionWrite(sid, head, _codec.summary_of(session), plan,
                                       expected_revision, create_only, components,
                                       self.max_file_bytes)
        revision, used = self._run(
            lambda tx: _sessions.write_session(tx, write, _side.write_components),
            write=True, session_id=sid)
        self._mirrors.put(sid, used.mirror(mirror))
        return revision

    def load(self, session_id: str, /) -> SessionData | None:
        """The session, or None when it was never saved (or was deleted).

        :raises CorruptDataError: its rows cannot be read as this session.
        """
        check_id(session_id)
        with _gc_paused():  # rows, records and mirror: none in a cycle, a collection is waste
            got = self._run(lambda tx: _sessions.read_session(tx, key(session_id)),
                            write=False, session_id=session_id)
            return None if got is None else self._session_of(session_id, *got)

    def _session_of(self, session_id: str, row: Any, message_rows: list[Any]) -> SessionData:
        revision, head, token, count = row
        texts = _sessions.message_texts(session_id, count, message_rows, self.location)
        session = load_session(head, texts, session_id=session_id, where=self.location)
        session.revision = revision
        self._mirrors.put(session_id, Mirror.of(token, list(session.messages)))
        return session

    def exists(self, session_id: str, /) -> bool:
        """Whether a session is stored under this id (its rows are not read)."""
        check_id(session_id)
        row = self._run(lambda tx: _sessions.read_state(tx, key(session_id), lock=False),
                        write=False, session_id=session_id)
        return row is not None and bool(row[1])

    def delete(self, session_id: str, /) -> None:
        """Remove the session, its messages and its side data, in one transaction;
        unknown ids are fine. Checkpoints (keyed by run and workflow) stay."""
        check_id(session_id)
        self._mirrors.forget(session_id)
        self._run(lambda tx: _sessions.delete_session(tx, key(session_id)), write=True,
                  session_id=session_id)

    def list(self) -> list[str]:
        """The ids of every stored session, sorted."""
        return self._run(_sessions.list_ids, write=False)

    def list_summaries(self, *, limit: int | None = None,
                       after: str | None = None) -> SessionSummaries:
        """A :class:`~a3s_store.SessionSummary` of each session, sorted by id,
        from the summary columns (no document is read).

        :param limit: at most this many (all when None).
        :param after: only ids after this one (the last id of the previous page).
        """
        check_page(limit, after)
        rows = self._run(lambda tx: _sessions.list_summaries(tx, limit, after), write=False)
        # problem None: rows come whole
        return SessionSummaries(SessionSummary(*row) for row in rows)

    # -- snapshots ----------------------------------------------------------------

    def save_snapshot(self, snapshot: SessionSnapshot, /, *,
                      expected_revision: str | None = None, create_only: bool = False) -> str:
        """Save a session and every component in one transaction; return the revision.

        Raises like :meth:`save`; a reader sees all of it or none of it.
        """
        snapshot = check_snapshot_type(snapshot)
        sid = snapshot.session.id
        check_id(sid)
        documents = {c.name: self._encoded(c, getattr(snapshot, c.attr), sid) for c in SIDE}
        return self._save(snapshot.session, expected_revision, create_only, documents)

    def _encoded(self, component: Component, value: Any, session_id: str) -> str:
        if not component.many and not isinstance(value, component.record):
            raise InvalidDataError(f"expected an {component.record.__name__}, got "
                                   f"{type(value).__name__}", session_id=session_id)
        data = component.encode(value, session_id=session_id)
        self._checked_size(len(data), session_id)
        return data.decode("utf-8")

    def load_snapshot(self, session_id: str, /) -> SessionSnapshot | None:
        """The session and all its components from one transaction, or None."""
        check_id(session_id)

        def read(tx: Tx) -> tuple[tuple[Any, list[Any]], dict[str, str]] | None:
            got = _sessions.read_session(tx, key(session_id))
            return None if got is None else (got, _side.read_components(tx, key(session_id)))

        with _gc_paused():  # as in load
            got = self._run(read, write=False, session_id=session_id)
            if got is None:
                return None
            session = self._session_of(session_id, *got[0])
        parts: dict[str, Any] = {}
        for component in SIDE:
            value = self._decoded(component, got[1].get(component.name), session_id)
            parts[component.attr] = component.empty() if value is None else value
        snap = SessionSnapshot(session=session, **parts)
        snap.revision = session.revision
        return snap

    def _decoded(self, component: Component, text: str | None, session_id: str) -> Any:
        if text is None:
            return None
        return component.decode(text.encode("utf-8"), strict=False, path=self.location,
                                session_id=session_id)

    # -- side data ----------------------------------------------------------------

    def _save_component(self, component: Component, session_id: str, value: Any) -> None:
        check_id(session_id)
        text = self._encoded(component, value, session_id)
        self._run(lambda tx: _side.write_component(tx, session_id, component.name, text),
                  write=True, session_id=session_id)

    def _load_component(self, component: Component, session_id: str) -> Any:
        check_id(session_id)
        text = self._run(lambda tx: _side.read_component(tx, session_id, component.name),
                         write=False, session_id=session_id)
        return self._decoded(component, text, session_id)

    # -- checkpoints --------------------------------------------------------------

    def _put_checkpoint(self, kind: Checkpoint, key_check: KeyCheck, checkpoint_id: str,
                        checkpoint: Any) -> None:
        check_id(checkpoint_id, kind.id_kind)  # InvalidIdError first: the key check hides why
        key_check(checkpoint_id, checkpoint)
        data = kind.encode(checkpoint)
        self._checked_size(len(data), None)
        self._run(lambda tx: _side.write_checkpoint(tx, kind.name, checkpoint_id,
                                                    data.decode("utf-8")), write=True)

    def _get_checkpoint(self, kind: Checkpoint, checked: LoadCheck, checkpoint_id: str) -> Any:
        check_id(checkpoint_id, kind.id_kind)
        text = self._run(lambda tx: _side.read_checkpoint(tx, kind.name, checkpoint_id),
                         write=False)
        if text is None:
            return None
        record = kind.decode(text.encode("utf-8"), strict=False, path=self.location)
        return checked(checkpoint_id, record, self.location)

    def _delete_checkpoint(self, kind: Checkpoint, checkpoint_id: str) -> None:
        check_id(checkpoint_id, kind.id_kind)
        self._run(lambda tx: _side.delete_checkpoint(tx, kind.name, checkpoint_id), write=True)

    def _list_checkpoints(self, kind: Checkpoint) -> builtins.list[str]:
        return self._run(lambda tx: _side.list_checkpoints(tx, kind.name), write=False)

    # -- diagnostics --------------------------------------------------------------

    def health_check(self) -> None:
        """Prove the database is reachable, its schema current and writable:
        raises the driver's error (or :class:`~a3s_store.ConnectionLostError`)
        when not."""
        self._run(lambda tx: tx.one(self._dialect.health), write=True)

    def backend_name(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._dialect.name


def _side_methods(component: Component) -> tuple[Callable[..., None], Callable[..., Any]]:
    def save(self: SqlSessionStore, session_id: str, value: Any, /) -> None:
        self._save_component(component, session_id, value)

    def load(self: SqlSessionStore, session_id: str, /) -> Any:
        return self._load_component(component, session_id)

    save.__doc__ = f"Save (replace) the {component.label} of a session."
    load.__doc__ = f"The {component.label} of a session, or None when never saved."
    return save, load


def _checkpoint_methods(kind: Checkpoint, key_check: KeyCheck, checked: LoadCheck
                        ) -> tuple[Callable[..., Any], ...]:
    def save(self: SqlSessionStore, checkpoint_id: str, checkpoint: Any, /) -> None:
        self._put_checkpoint(kind, key_check, checkpoint_id, checkpoint)

    def load(self: SqlSessionStore, checkpoint_id: str, /) -> Any:
        return self._get_checkpoint(kind, checked, checkpoint_id)

    def delete(self: SqlSessionStore, checkpoint_id: str, /) -> None:
        self._delete_checkpoint(kind, checkpoint_id)

    def list_ids(self: SqlSessionStore) -> builtins.list[str]:
        return self._list_checkpoints(kind)

    what = f"the {kind.label} of a {kind.id_kind}"
    save.__doc__ = f"Save (overwrite) {what}."
    load.__doc__ = f"{what[0].upper()}{what[1:]}, or None (after the version and key checks)."
    delete.__doc__ = f"Remove {what}; a missing one is fine."
    list_ids.__doc__ = f"The {kind.id_kind} ids that have a {kind.label}, sorted."
    return save, load, delete, list_ids


def _install_methods() -> None:
    for component in SIDE:
        save, load = _side_methods(component)
        for name, method in ((f"save_{component.method}", save),
                             (f"load_{component.method}", load)):
            method.__name__ = method.__qualname__ = name
            setattr(SqlSessionStore, name, method)
    for kind in CHECKPOINTS:
        methods = _checkpoint_methods(kind, partial(check_checkpoint, kind),
                                      partial(checked_checkpoint, kind))
        names = (f"save_{kind.method}", f"load_{kind.method}", f"delete_{kind.method}",
                 f"list_{kind.method}s")
        for name, method in zip(names, methods):
            method.__name__ = method.__qualname__ = name
            setattr(SqlSessionStore, name, method)


_install_methods()
