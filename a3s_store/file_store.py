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

plus the store's own folder ``.a3s_store/`` (``lock``, ``tx/`` and ``tmp/``
for saves in progress, ``meta/`` with one small record per session: its
revision, the size/mtime/inode of each of its files, and a summary for
listings; ``quarantine/`` for damaged files moved aside). a3s-code ignores
that folder. ``<id>`` is the id itself for plain ids and an escaped name
otherwise (see ``_names``).
"""

from __future__ import annotations

import errno
import os
import secrets
from contextlib import contextmanager

from . import _codec, _commit, _fs, _listing
from ._commit import INTERNAL, Move, Put, Remove, RemoveTree
from ._names import file_stem
from ._session_files import COMPONENTS, LOCK, META, QUARANTINE, SIDE, StoreLayout, where
from .errors import (
    ConflictError,
    CorruptDataError,
    InvalidDataError,
    NameCollisionError,
)
from .records import ArtifactStore, LoopCheckpoint, SessionData, WorkflowCheckpoint
from .store import (
    SessionSnapshot,
    SessionSummary,
    check_loop_checkpoint_key,
    check_session_type,
    check_snapshot_type,
    check_workflow_checkpoint_key,
    checked_loop_checkpoint,
    checked_workflow_checkpoint,
)

__all__ = ["FileSessionStore", "DEFAULT_MAX_FILE_BYTES"]

#: Largest file the store reads or writes (the cap of newer a3s-code builds).
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024



def _without_put(ops: list, folder: tuple[str, ...], name: str) -> list:
    """``ops`` less a migration copy of the file the caller is about to write."""
    return [op for op in ops if not (isinstance(op, Put) and op.folder == folder
                                      and op.name == name)]


class FileSessionStore:
    """Sessions stored as JSON files under ``root``, readable by a3s-code 3.3/3.4.

    :param root: the store folder; created (with parents) when missing.
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
    >>> from a3s_store import FileSessionStore, SessionData
    >>> root = tempfile.mkdtemp()
    >>> store = FileSessionStore(root)
    >>> revision = store.save(SessionData(id="tenant/s-1"))
    >>> store.list(), store.load("tenant/s-1").id
    (['tenant/s-1'], 'tenant/s-1')
    >>> store.load("unknown") is None
    True
    """

    def __init__(self, root: str | os.PathLike, /, *, durable: bool = True,
                 lock_timeout: float = 30.0, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 file_mode: int = 0o600, dir_mode: int = 0o700) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.durable = bool(durable)
        self.lock_timeout = float(lock_timeout)
        if type(max_file_bytes) is not int or max_file_bytes < 1:
            raise ValueError(f"max_file_bytes must be a positive int, not {max_file_bytes!r}")
        self.max_file_bytes = max_file_bytes
        self.file_mode = file_mode
        self.dir_mode = dir_mode
        self._messages = _codec.MessageCache()
        d = _fs.open_root(self.root, create=True, mode=dir_mode)
        _fs.close_dir(d)
        with self._op(exclusive=False):
            pass  # recovers interrupted saves, if any

    def _path(self, folder: tuple[str, ...], name: str) -> str:
        return os.path.join(self.root, *folder, name)

    def __repr__(self) -> str:
        return f"FileSessionStore({self.root!r}, durable={self.durable})"

    # -- plumbing ---------------------------------------------------------------

    @contextmanager
    def _op(self, *, exclusive: bool):
        """Open the root, take the store lock, finish interrupted saves."""
        root = _fs.open_root(self.root, create=False)
        if root is None:
            raise FileNotFoundError(2, "store folder does not exist", self.root)
        layout = StoreLayout(root, durable=self.durable, file_mode=self.file_mode,
                             dir_mode=self.dir_mode, max_bytes=self.max_file_bytes)
        fd = None
        try:
            try:
                internal = layout.folder((INTERNAL,), create=True)
            except OSError as exc:
                if exclusive or exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise
                # A read-only store: take the lock if our folder is there.
                internal = layout.folder((INTERNAL,), create=False)
            if internal is not None:
                fd = _fs.lock(internal, LOCK, exclusive=exclusive, timeout=self.lock_timeout,
                              mode=self.file_mode)
                if _commit.pending(layout):
                    if not exclusive:
                        _fs.unlock(fd)
                        fd = None
                        fd = _fs.lock(internal, LOCK, exclusive=True, timeout=self.lock_timeout,
                                      mode=self.file_mode)
                    _commit.recover(layout)
            yield layout
        finally:
            if fd is not None:
                _fs.unlock(fd)
            layout.close()
            _fs.close_dir(root)

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
        stem = file_stem(session.id)
        data = self._checked_size(_codec.encode_session(session, self._messages), session.id)
        with self._op(exclusive=True) as layout:
            stem, legacy = layout.resolve(session.id)
            meta, ops = self._prepare_write(layout, session.id, stem, legacy,
                                            expected_revision, create_only)
            folder, name = where("session", stem)
            ops = _without_put(ops, folder, name)
            summary = _codec.summary_of(session)
            if ops:
                return layout.commit_with_meta(ops + [Put(folder, name, data)], stem,
                                               session.id, meta, summary)
            _commit.write_one(layout, folder, name, data)
            return layout.write_meta(stem, session.id, meta, summary)

    def _checked_size(self, data: bytes, session_id) -> bytes:
        if len(data) > self.max_file_bytes:
            raise InvalidDataError(
                f"document of {len(data)} bytes exceeds the byte limit of "
                f"{self.max_file_bytes}; nothing was written", session_id=session_id)
        return data

    def _prepare_write(self, layout: StoreLayout, session_id: str, stem: str, legacy: str | None,
                       expected_revision: str | None, create_only: bool,
                       writes_session: bool = True):
        """Checks every write makes under the lock; returns (meta, extra ops).

        Extra ops move a damaged session file aside (into ``quarantine``)
        and migrate a session from its a3s-code lossy name, in the same
        commit as the write.
        """
        meta = layout.meta(stem)
        sigs = layout.sigs(stem)
        ops: list = []
        if legacy is not None:
            ops = self._migration_ops(layout, stem, legacy, session_id)
            sigs = layout.sigs(legacy)
        elif writes_session and "session" in sigs and not (meta and meta.get("id") == session_id
                                        and meta.get("files", {}).get("session")
                                        == sigs["session"]):
            _, owner = layout.owner((), stem + ".json")
            if owner is None:
                ops.append(Move((), stem + ".json", QUARANTINE,
                                f"{stem}.{secrets.token_hex(4)}.json"))
            elif owner != session_id:
                raise NameCollisionError(
                    f"the file for this id holds session {owner!r}; the filesystem cannot keep "
                    "both (a case-insensitive disk?). Nothing was written",
                    session_id=session_id, path=self._path((), stem + ".json"))
        current = layout.revision(legacy or stem, session_id,
                                 meta if legacy is None else None, sigs)
        if create_only and "session" in sigs:
            raise ConflictError("session already exists (create_only)", session_id=session_id,
                                path=self._path((), (legacy or stem) + ".json"))
        if expected_revision is not None and expected_revision != current:
            raise ConflictError(
                f"stale revision: expected {expected_revision!r}, the store has {current!r}; "
                "nothing was written", session_id=session_id)
        return meta, ops

    def _migration_ops(self, layout: StoreLayout, stem: str, legacy: str, session_id: str) -> list:
        ops: list = []
        for component in COMPONENTS:
            folder, name = where(component, legacy)
            got = layout.read(folder, name)
            if got is not None:
                new_folder, new_name = where(component, stem)
                data = got[0]
                if component == "session":
                    data = self._rewritten_session(data, self._path(folder, name), session_id)
                ops.append(Put(new_folder, new_name, data))
                ops.append(Remove(folder, name))
        if layout.stat(("artifacts",), legacy) is not None:
            # Only what exists: recovery rolls back a save whose steps all prove
            # they have not run, and removing a missing folder proves nothing.
            ops.append(RemoveTree(("artifacts",), legacy))
        return ops

    def _rewritten_session(self, data: bytes, path: str, session_id: str) -> bytes:
        """The session file as the store writes it (an ``api_key`` in a
        hand-edited file is dropped, never copied); the bytes as they are
        when they cannot be read, so nothing is lost."""
        try:
            return self._checked_size(_codec.encode_session(
                _codec.decode_session(data, strict=True, path=path, session_id=session_id)),
                session_id)
        except (CorruptDataError, InvalidDataError):
            return data

    def load(self, session_id: str, /) -> SessionData | None:
        """The session, or None when it was never saved (or was deleted).

        :raises CorruptDataError: the file exists but cannot be read as this
            session (the file is left untouched).
        """
        file_stem(session_id)  # refuse a bad id before any I/O
        with self._op(exclusive=False) as layout:
            return self._load_session(layout, session_id)

    def _load_session(self, layout: StoreLayout, session_id: str) -> SessionData | None:
        return self._load_session_and_meta(layout, session_id)[0]

    def _load_session_and_meta(self, layout: StoreLayout, session_id: str):
        """(session or None, the stem its files use, the store's metadata or {})."""
        stem, legacy = layout.resolve(session_id)
        use = legacy or stem
        folder, name = where("session", use)
        got = layout.read(folder, name)
        if got is None:
            return None, use, {}
        data, sig = got
        meta = None if legacy else layout.meta(stem)
        trusted = (meta is not None and meta.get("id") == session_id
                   and (meta.get("files") or {}).get("session") == list(sig))
        path = self._path(folder, name)
        session = _codec.decode_session(data, strict=not trusted, path=path,
                                        session_id=session_id)
        if session.id != session_id:
            raise CorruptDataError(f"file holds session {session.id!r}", key="id", path=path,
                                   session_id=session_id)
        sigs = layout.sigs(use)
        session.revision = layout.revision(use, session_id, meta, sigs)
        return session, use, meta or {}

    def exists(self, session_id: str, /) -> bool:
        """Whether a session file is stored for this id (it is not parsed)."""
        file_stem(session_id)  # a bad id is refused before any I/O
        with self._op(exclusive=False) as layout:
            stem, legacy = layout.resolve(session_id)
            st = layout.stat((), (legacy or stem) + ".json")
            return st is not None

    def delete(self, session_id: str, /) -> None:
        """Remove the session and its side files, all at once; unknown ids are fine.

        Loop and workflow checkpoints are keyed by run and workflow ids and are
        left (as in a3s-code); ``a3s-store gc`` removes orphaned ones.
        """
        file_stem(session_id)
        self._messages.forget(session_id)
        with self._op(exclusive=True) as layout:
            stem, legacy = layout.resolve(session_id)
            ops: list = []
            for use in filter(None, (stem, legacy)):
                for component in COMPONENTS:
                    folder, name = where(component, use)
                    if component == "artifacts":
                        if layout.stat(("artifacts",), use) is not None:
                            ops.append(RemoveTree(("artifacts",), use))
                    elif layout.stat(folder, name) is not None:
                        ops.append(Remove(folder, name))
            if layout.stat(META, stem + ".json") is not None:
                ops.append(Remove(META, stem + ".json"))
            if ops:
                _commit.commit(layout, ops)

    def list(self) -> list[str]:
        """The ids of every stored session, sorted (real ids, not file names).

        Files in the root that are not sessions (a stray ``notes.json``, a
        damaged file, a temporary file) are skipped; ``verify`` reports them.
        Served from the listing index when the folder has not changed.
        """
        with self._op(exclusive=False) as layout:
            return _listing.ids(layout)

    def list_summaries(self) -> list[SessionSummary]:
        """A :class:`~a3s_store.SessionSummary` of every session, sorted by id.

        Served from the listing index (see ``_index``): no session file is
        read unless it changed since the last listing, and a session written
        or changed by a3s-code is parsed once, so the listing stays current.
        """
        with self._op(exclusive=False) as layout:
            return _listing.summaries(layout)

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
        stem = file_stem(sid)
        docs = {
            "session": _codec.encode_session(session, self._messages),
            "artifacts": _codec.encode_artifacts(snapshot.artifacts, session_id=sid),
            "traces": _codec.encode_list(snapshot.trace_events, session_id=sid),
            "runs": _codec.encode_list(snapshot.run_records, session_id=sid),
            "verification": _codec.encode_list(snapshot.verification_reports, session_id=sid),
            "subagent_tasks": _codec.encode_list(snapshot.subagent_tasks, session_id=sid),
        }
        for data in docs.values():
            self._checked_size(data, sid)
        with self._op(exclusive=True) as layout:
            stem, legacy = layout.resolve(sid)
            meta, ops = self._prepare_write(layout, sid, stem, legacy, expected_revision,
                                            create_only)
            ops = [op for op in ops if not isinstance(op, Put)]  # every component is rewritten
            ops += [Put(*where(component, stem), data) for component, data in docs.items()]
            return layout.commit_with_meta(ops, stem, sid, meta, _codec.summary_of(session))

    def load_snapshot(self, session_id: str, /) -> SessionSnapshot | None:
        """The session and all its components from one generation, or None.

        Components that were never saved come back empty.
        """
        file_stem(session_id)
        with self._op(exclusive=False) as layout:
            session, use, meta = self._load_session_and_meta(layout, session_id)
            if session is None:
                return None
            artifacts = self._load_artifacts(layout, use, session_id, meta)
            snap = SessionSnapshot(
                session=session,
                artifacts=artifacts if artifacts is not None else ArtifactStore(),
                trace_events=self._load_side(layout, "traces", use, session_id, meta) or [],
                run_records=self._load_side(layout, "runs", use, session_id, meta) or [],
                verification_reports=self._load_side(layout, "verification", use, session_id,
                                                     meta) or [],
                subagent_tasks=self._load_side(layout, "subagent_tasks", use, session_id,
                                               meta) or [],
            )
            snap.revision = session.revision
            return snap

    # -- side data --------------------------------------------------------------

    def _save_component(self, session_id: str, component: str, data: bytes) -> None:
        self._checked_size(data, session_id)
        with self._op(exclusive=True) as layout:
            stem, legacy = layout.resolve(session_id)
            meta, ops = self._prepare_write(layout, session_id, stem, legacy, None, False,
                                            writes_session=False)
            folder, name = where(component, stem)
            ops = _without_put(ops, folder, name)
            if ops:
                layout.commit_with_meta(ops + [Put(folder, name, data)], stem, session_id,
                                        meta, None)
            else:
                _commit.write_one(layout, folder, name, data)
                layout.write_meta(stem, session_id, meta, None)

    def _load_component(self, session_id: str, loader):
        file_stem(session_id)
        with self._op(exclusive=False) as layout:
            stem, legacy = layout.resolve(session_id)
            return loader(layout, legacy or stem)

    def _load_side(self, layout: StoreLayout, component: str, stem: str, session_id: str,
                   meta: dict | None = None):
        cls = SIDE[component][0]
        folder, name = where(component, stem)
        got = layout.read(folder, name)
        if got is None:
            return None
        strict = not layout.trusted(stem, component, got[1], meta)
        return _codec.decode_list(got[0], cls, strict=strict, path=self._path(folder, name),
                                  session_id=session_id)

    def _load_artifacts(self, layout: StoreLayout, stem: str, session_id: str,
                        meta: dict | None = None):
        if layout.stat(("artifacts",), stem) is None:
            return None
        folder, name = where("artifacts", stem)
        got = layout.read(folder, name)
        if got is None:
            return ArtifactStore()
        strict = not layout.trusted(stem, "artifacts", got[1], meta)
        return _codec.decode_artifacts(got[0], strict=strict, path=self._path(folder, name),
                                       session_id=session_id)

    def save_artifacts(self, session_id: str, artifacts: ArtifactStore, /) -> None:
        """Save the tool-artifact store of a session (its manifest file)."""
        file_stem(session_id)
        self._save_component(session_id, "artifacts",
                             _codec.encode_artifacts(artifacts, session_id=session_id))

    def load_artifacts(self, session_id: str, /) -> ArtifactStore | None:
        """The artifacts of a session (every one of them, whatever the default limits)."""
        return self._load_component(
            session_id, lambda layout, stem: self._load_artifacts(layout, stem, session_id))

    def _side_pair(component: str, what: str):
        def save(self, session_id, items, /):
            file_stem(session_id)
            self._save_component(session_id, component,
                                 _codec.encode_list(items, session_id=session_id))

        def load(self, session_id, /):
            return self._load_component(
                session_id,
                lambda layout, stem: self._load_side(layout, component, stem, session_id))

        save.__doc__ = f"Save (replace) the {what} of a session."
        load.__doc__ = f"The {what} of a session, or None when never saved."
        return save, load

    save_trace_events, load_trace_events = _side_pair("traces", "trace events")
    save_run_records, load_run_records = _side_pair("runs", "run records")
    save_verification_reports, load_verification_reports = _side_pair(
        "verification", "verification reports")
    save_subagent_tasks, load_subagent_tasks = _side_pair("subagent_tasks",
                                                          "subagent task snapshots")
    del _side_pair

    # -- checkpoints ------------------------------------------------------------

    def _save_checkpoint(self, folder: str, key: str, kind: str, record) -> None:
        stem = file_stem(key, kind)
        data = self._checked_size(_codec.encode_record(record), None)
        with self._op(exclusive=True) as layout:
            _commit.write_one(layout, (folder,), stem + ".json", data)

    def _load_checkpoint(self, folder: str, key: str, kind: str, cls):
        stem = file_stem(key, kind)
        with self._op(exclusive=False) as layout:
            got = layout.read((folder,), stem + ".json")
            if got is None:
                return None
            return _codec.decode_record(got[0], cls, strict=True,
                                        path=self._path((folder,), stem + ".json"))

    def _delete_checkpoint(self, folder: str, key: str, kind: str) -> None:
        stem = file_stem(key, kind)
        with self._op(exclusive=True) as layout:
            d = layout.folder((folder,), create=False)
            if d is not None and _fs.unlink(d, stem + ".json") and layout.durable:
                _fs.fsync_dir(d)

    def save_loop_checkpoint(self, run_id: str, checkpoint: LoopCheckpoint, /) -> None:
        """Save (overwrite) the latest loop checkpoint of a run."""
        file_stem(run_id, "run")  # InvalidIdError first: the key check would hide why
        check_loop_checkpoint_key(run_id, checkpoint)
        self._save_checkpoint("loop_checkpoints", run_id, "run", checkpoint)

    def load_loop_checkpoint(self, run_id: str, /) -> LoopCheckpoint | None:
        """The loop checkpoint of a run, or None.

        :raises UnsupportedVersionError: written by a newer schema version.
        :raises CorruptDataError: unreadable, or it belongs to another run.
        """
        cp = self._load_checkpoint("loop_checkpoints", run_id, "run", LoopCheckpoint)
        if cp is None:
            return None
        return checked_loop_checkpoint(run_id, cp, self._path(
            ("loop_checkpoints",), file_stem(run_id, "run") + ".json"))

    def delete_loop_checkpoint(self, run_id: str, /) -> None:
        """Remove the loop checkpoint of a run; a missing one is fine."""
        self._delete_checkpoint("loop_checkpoints", run_id, "run")

    def save_workflow_checkpoint(self, workflow_id: str, checkpoint: WorkflowCheckpoint, /
                                 ) -> None:
        """Save (overwrite) the checkpoint of a workflow."""
        file_stem(workflow_id, "workflow")  # InvalidIdError first, as for loop checkpoints
        check_workflow_checkpoint_key(workflow_id, checkpoint)
        self._save_checkpoint("workflow_checkpoints", workflow_id, "workflow", checkpoint)

    def load_workflow_checkpoint(self, workflow_id: str, /) -> WorkflowCheckpoint | None:
        """The checkpoint of a workflow, or None (errors as for loop checkpoints)."""
        cp = self._load_checkpoint("workflow_checkpoints", workflow_id, "workflow",
                                   WorkflowCheckpoint)
        if cp is None:
            return None
        return checked_workflow_checkpoint(workflow_id, cp, self._path(
            ("workflow_checkpoints",), file_stem(workflow_id, "workflow") + ".json"))

    def delete_workflow_checkpoint(self, workflow_id: str, /) -> None:
        """Remove the checkpoint of a workflow; a missing one is fine."""
        self._delete_checkpoint("workflow_checkpoints", workflow_id, "workflow")

    # -- diagnostics --------------------------------------------------------------

    def health_check(self) -> None:
        """Prove the store is usable: the root and every existing category
        folder are real folders, and a file can be written, synced and removed.

        :raises OSError: the root is missing or not writable.
        :raises UnsafePathError: a category folder is a symlink.
        """
        with self._op(exclusive=True) as layout:
            for folder in ("artifacts", "traces", "runs", "verification", "subagent_tasks",
                           "loop_checkpoints", "workflow_checkpoints"):
                layout.folder((folder,), create=False)
            _commit.write_one(layout, (INTERNAL, "tmp"), "health-check", b"ok")
            d = layout.folder((INTERNAL, "tmp"), create=False)
            _fs.unlink(d, "health-check")

    def backend_name(self) -> str:
        """``"file"``."""
        return "file"
