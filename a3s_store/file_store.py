"""FileSessionStore: sessions as JSON files, in the layout of a3s-code-core 3.3/3.4.

Layout under the root (what a3s-code reads and writes)::

    <id>.json                           SessionData
    artifacts/<id>/artifacts.json       {"artifacts": [...]}
    traces/<id>.json                    [TraceEvent]
    runs/<id>.json                      [RunRecord]
    verification/<id>.json              [VerificationReport]
    subagent_tasks/<id>.json            [SubagentTaskSnapshot]
    loop_checkpoints/<run_id>.json      LoopCheckpoint
    workflow_checkpoints/<wf_id>.json   WorkflowCheckpoint

plus the store's own folder ``.a3s_store/`` (see the README's "Files on
disk"), which a3s-code ignores. ``<id>`` is the id itself for plain ids and
a name of this package's own when that one is taken by another id or cannot
be a file name (see ``_names`` and ``_resolve``).

This module is the public API only: it checks arguments, encodes and
decodes through the component table (``_components``), and makes one
engine operation per call (``_engine``), which does the locking, recovery,
name resolution and publishing.
"""

from __future__ import annotations

import builtins
import os
from typing import Any

from . import _codec, _listing
from ._components import COMPONENTS, SESSION, SIDE, Checkpoint, Component
from ._engine import Engine, Operation
from ._layout import DEFAULT_MAX_FILE_BYTES, Options
from ._message_cache import MessageCache
from ._names import check_id
from .records import SessionData
from .snapshot import SessionSnapshot, SessionSummaries
from .store import (
    ComponentMethods,
    check_page,
    check_session_type,
    check_snapshot_type,
    checked_checkpoint,
    page,
)

__all__ = ["FileSessionStore", "DEFAULT_MAX_FILE_BYTES"]


class FileSessionStore(ComponentMethods):
    """Sessions stored as JSON files under ``root``, readable by a3s-code 3.3/3.4.

    :param root: the store folder; created (with parents) when missing,
        unless ``create=False``, when it must exist (``FileNotFoundError``).
    :param durable: fsync files and folders at every step (the default).
        With ``durable=False`` no fsync is made: a crash of the *process*
        still never leaves a torn or mixed session, but after an OS crash or
        power cut the most recent saves may be lost or left half-applied.
    :param lock_timeout: seconds to wait for another process's lock before
        :class:`~a3s_store.LockTimeoutError`.
    :param max_file_bytes: the largest file read or written (256 MiB).
    :param file_mode: mode of new files (``0o600``: sessions may hold
        secrets); a rewritten file keeps the mode it had.
    :param dir_mode: mode of new folders (``0o700``).

    Opening the store finishes or rolls back saves interrupted by a crash and
    removes temporary files left by dead writers.

    >>> import tempfile
    >>> from . import FileSessionStore, SessionData
    >>> root = tempfile.mkdtemp()
    >>> store = FileSessionStore(root)
    >>> revision = store.save(SessionData(id="tenant/s-1"))
    >>> store.list(), store.load("tenant/s-1").id
    (['tenant/s-1'], 'tenant/s-1')
    >>> store.load("unknown") is None
    True
    """

    def __init__(self, root: str | os.PathLike[str], /, *, durable: bool = True,
                 lock_timeout: float = 30.0, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 file_mode: int = 0o600, dir_mode: int = 0o700, create: bool = True) -> None:
        self.root = os.path.abspath(os.fspath(root))
        if type(max_file_bytes) is not int or max_file_bytes < 1:
            raise ValueError(f"max_file_bytes must be a positive int, not {max_file_bytes!r}")
        self._engine = Engine(self.root, Options(
            durable=bool(durable), file_mode=file_mode, dir_mode=dir_mode,
            max_bytes=max_file_bytes, lock_timeout=float(lock_timeout)))
        self._messages = MessageCache()
        if create:
            self._engine.create_root()
        with self._engine.operation(exclusive=False):
            pass  # recovers interrupted saves, if any

    @property
    def durable(self) -> bool:
        """Whether every step is fsynced."""
        return self._engine.options.durable

    @property
    def lock_timeout(self) -> float:
        """Seconds to wait for the store lock."""
        return self._engine.options.lock_timeout

    @property
    def max_file_bytes(self) -> int:
        """The largest file read or written."""
        return self._engine.options.max_bytes

    @property
    def file_mode(self) -> int:
        """The mode of new files."""
        return self._engine.options.file_mode

    @property
    def dir_mode(self) -> int:
        """The mode of new folders."""
        return self._engine.options.dir_mode

    def __repr__(self) -> str:
        return f"FileSessionStore({self.root!r}, durable={self.durable})"

    def _repr_html_(self) -> str:
        """A table of the sessions (notebooks call this to show the store)."""
        from ._render_listing import render_store_html
        return render_store_html(self)

    # -- sessions ---------------------------------------------------------------

    def save(self, session: SessionData, /, *, expected_revision: str | None = None,
             create_only: bool = False) -> str:
        """Save (replace) a session; return its new revision.

        Only the session file is written, as a3s-code does; side files stay.
        :raises ConflictError: ``expected_revision`` is stale, or
            ``create_only`` and the session exists.
        :raises NameCollisionError: the file name holds another session.
        :raises InvalidDataError: the session cannot be written (nothing is).
        """
        session = check_session_type(session)
        check_id(session.id)
        data = self._engine.check_size(SESSION.encode(session, cache=self._messages),
                                       session.id)
        with self._engine.operation(exclusive=True) as op:
            return op.write(op.session(session.id), {SESSION.name: data},
                            expected_revision=expected_revision, create_only=create_only,
                            summary=_codec.summary_of(session))

    def load(self, session_id: str, /) -> SessionData | None:
        """The session, or None when it was never saved (or was deleted).

        :raises CorruptDataError: the file exists but cannot be read as this
            session (the file is left untouched).
        """
        check_id(session_id)  # refuse a bad id before any I/O
        with self._engine.operation(exclusive=False) as op:
            session: SessionData | None = op.load(op.session(session_id, reading=True),
                                                  SESSION, seed=self._messages.seed)
            return session

    def exists(self, session_id: str, /) -> bool:
        """Whether a session file is stored for this id (it is not parsed)."""
        check_id(session_id)
        with self._engine.operation(exclusive=False) as op:
            files = op.session(session_id)
            stem = files.use if files.use is not None else files.problem
            return stem is not None and files.stat(SESSION, stem) is not None

    def delete(self, session_id: str, /) -> None:
        """Remove the session and its side files, all at once; unknown ids are fine.

        Loop and workflow checkpoints are keyed by run and workflow ids and are
        left (as in a3s-code); ``a3s-store gc`` removes orphaned ones.
        """
        check_id(session_id)
        self._messages.forget(session_id)
        with self._engine.operation(exclusive=True) as op:
            op.delete(op.session(session_id))

    def list(self) -> builtins.list[str]:
        """The ids of every stored session, sorted (real ids, not file names).

        A damaged session file is listed (its summary says what is wrong);
        other files in the root that are not sessions (a stray ``notes.json``,
        a temporary file) are skipped; ``verify`` reports them.
        Served from the listing index when the folder has not changed.
        """
        with self._engine.operation(exclusive=False) as op:
            return _listing.ids(op.layout)

    def list_summaries(self, *, limit: int | None = None, after: str | None = None,
                       check: bool = False) -> SessionSummaries:
        """A :class:`~a3s_store.SessionSummary` of every session, sorted by id.

        ``after`` (the last id of the previous page) and ``limit`` give one
        page. Served from the listing index (see ``_index``): no session file
        is read unless it changed since the last listing, and a session
        written or changed by a3s-code is parsed once, so the listing stays
        current. A session file that cannot be read is listed with its
        ``problem`` set, never left out.

        What the index cannot see is a file rewritten *in place* (same inode,
        no rename: a3s-code and this store never do that, an editor or a
        damaged disk may), since that leaves the folder as it was. ``check``
        compares every file's size, mtime and inode with its row first (one
        ``stat`` per file) and reads those that changed; ``verify`` and the
        CLI's ``list`` do that too.
        """
        check_page(limit, after)
        with self._engine.operation(exclusive=False) as op:
            return SessionSummaries(page(_listing.summaries(op.layout, check=check), limit,
                                         after))

    # -- snapshots --------------------------------------------------------------

    def save_snapshot(self, snapshot: SessionSnapshot, /, *,
                      expected_revision: str | None = None, create_only: bool = False) -> str:
        """Save a session and all its components as one generation; return the revision.

        All six files are published together: after an error or a crash at
        any point, the store holds the previous generation or this one,
        never a mix. Raises like :meth:`save`.
        """
        snapshot = check_snapshot_type(snapshot)
        session = snapshot.session
        sid = session.id
        check_id(sid)
        docs = {c.name: self._engine.check_size(
            c.encode(getattr(snapshot, c.attr), session_id=sid, cache=self._messages), sid)
            for c in COMPONENTS}
        with self._engine.operation(exclusive=True) as op:
            return op.write(op.session(sid), docs, expected_revision=expected_revision,
                            create_only=create_only, summary=_codec.summary_of(session),
                            replace_all=True)

    def load_snapshot(self, session_id: str, /) -> SessionSnapshot | None:
        """The session and all its components from one generation, or None.

        Components that were never saved come back empty.
        """
        check_id(session_id)
        with self._engine.operation(exclusive=False) as op:
            snap = self._read_snapshot(op, session_id)
            if not op.became_a_store():
                return snap
        # A first save in this folder ran during the unlocked read: read again,
        # under the lock its writer made, so the files are of one generation.
        with self._engine.operation(exclusive=False) as op:
            return self._read_snapshot(op, session_id)

    def _read_snapshot(self, op: Operation, session_id: str) -> SessionSnapshot | None:
        files = op.session(session_id, reading=True)
        session: SessionData | None = op.load(files, SESSION, seed=self._messages.seed)
        if session is None:
            return None
        parts: dict[str, Any] = {}
        for component in SIDE:
            value = op.load(files, component)
            parts[component.attr] = component.empty() if value is None else value
        snap = SessionSnapshot(session=session, **parts)
        snap.revision = session.revision
        return snap

    # -- the primitives of ComponentMethods ----------------------------------------

    def _save_component(self, component: Component, session_id: str, value: Any) -> None:
        data = self._engine.check_size(component.encode(value, session_id=session_id),
                                       session_id)
        with self._engine.operation(exclusive=True) as op:
            op.write(op.session(session_id), {component.name: data})

    def _load_component(self, component: Component, session_id: str) -> Any:
        with self._engine.operation(exclusive=False) as op:
            return op.load(op.session(session_id), component)

    def _save_checkpoint(self, kind: Checkpoint, key: str, checkpoint: Any) -> None:
        data = self._engine.check_size(kind.encode(checkpoint), None)
        with self._engine.operation(exclusive=True) as op:
            op.write_checkpoint(kind, key, data)

    def _load_checkpoint(self, kind: Checkpoint, key: str) -> Any:
        with self._engine.operation(exclusive=False) as op:
            checkpoint = op.read_checkpoint(kind, key)
            if checkpoint is None:
                return None
            return checked_checkpoint(kind, key, checkpoint, op.checkpoint_path(kind, key))

    def _delete_checkpoint(self, kind: Checkpoint, key: str) -> None:
        with self._engine.operation(exclusive=True) as op:
            op.delete_checkpoint(kind, key)

    # -- diagnostics --------------------------------------------------------------

    def health_check(self) -> None:
        """Prove the store is usable: the root and every existing category
        folder are real folders, and a file can be written, synced and removed.

        :raises OSError: the root is missing or not writable.
        :raises UnsafePathError: a category folder is a symlink.
        """
        with self._engine.operation(exclusive=True) as op:
            op.health_check()

    def backend_name(self) -> str:
        """``"file"``."""
        return "file"
