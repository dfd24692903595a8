"""One store operation: open the root, lock, recover, reach a session's files, publish.

Every method of :class:`~a3s_store.FileSessionStore` is one
``with engine.operation(exclusive=...) as op:`` block. The operation

1. opens the root folder (it must exist) and the store's own folder
   ``.a3s_store``: a writer makes it when missing; a reader never does (a
   folder the store has not written to, an a3s-code folder or the wrong
   folder, stays as it was) and reads without a lock when it is missing:
   there is no journal to recover and every file is published by rename;
2. takes the store lock, shared or exclusive (:func:`_fs.lock`);
3. lists ``.a3s_store`` once: if a journal file is there (a writer died),
   it takes the lock exclusively and runs recovery (``_recovery.recover``);
4. hands out :class:`Operation`, whose methods are the only way the store
   reaches a session's files (:meth:`Operation.session` resolves an id
   through ``_session_files.resolve``) or a checkpoint's
   (:meth:`Operation.checkpoint`), reads them with the trust the metadata
   gives, and publishes: one file by rename, or several files, with the
   session's new metadata record, as one journal transaction.

Layers, bottom up: ``_fs`` (system calls) < ``_layout`` (the open root of
one operation) < ``_commit`` (the journal) < ``_session_files`` (rules) <
this module < ``file_store`` (the public API).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from . import _changes, _clock, _commit, _fs, _recovery
from ._components import CATEGORY_FOLDERS, COMPONENTS, SESSION, Checkpoint, Component
from ._layout import INTERNAL, LOCK, META, Layout, Options
from ._names import own_stem
from ._resolve import CheckpointFiles, SessionFiles, resolve, resolve_checkpoint
from ._session_files import check_write, meta_record, meta_step, remove_steps, revision
from ._v1 import V1_SESSIONS, v1_name
from ._verified import is_verified, record_verified
from .errors import A3SStoreError, CorruptDataError, InvalidDataError, NameCollisionError
from .records import SessionData

__all__ = ["Engine", "Operation"]



class Engine:
    """The root and options of one store, and the way into it (:meth:`operation`)."""

    __slots__ = ("root", "options")

    def __init__(self, root: str, options: Options) -> None:
        self.root = root
        self.options = options

    def check_size(self, data: bytes, session_id: str | None) -> bytes:
        """``data``, unless it is above the store's byte limit (checked before any I/O)."""
        limit = self.options.max_bytes
        if len(data) > limit:
            raise InvalidDataError(
                f"document of {len(data)} bytes exceeds the byte limit of {limit}; "
                "nothing was written", session_id=session_id)
        return data

    def create_root(self) -> None:
        """Make the root folder (and its parents) when missing."""
        d = _fs.open_root(self.root, create=True, mode=self.options.dir_mode,
                          durable=self.options.durable)
        _fs.close_dir(d)

    @contextmanager
    def operation(self, *, exclusive: bool, recover: bool = True) -> Iterator[Operation]:
        """Open, lock and recover (see the module docstring); yield the operation.

        ``recover=False`` is for ``verify``, which reports an interrupted save
        before anything finishes it.
        """
        root = _fs.open_root(self.root, create=False)
        if root is None:
            raise FileNotFoundError(errno.ENOENT, "store folder does not exist", self.root)
        layout = Layout(root, self.options)
        fd = None
        try:
            internal = self._internal(layout, exclusive)
            blocked: list[dict[str, Any]] = []
            if internal is not None:
                fd = self._lock(internal, exclusive)
                entries = _fs.list_dir(internal)
                if recover and _recovery.pending(entries):
                    if not exclusive:  # recovery needs the store to itself
                        _fs.unlock(fd)
                        fd = None
                        fd = self._lock(internal, True)
                    _recovery.recover(layout)
                    entries = _fs.list_dir(internal)
                stuck = _recovery.blocked_ids(entries)
                if stuck:
                    blocked = _recovery.read_blocked(layout, stuck)
            yield Operation(layout, exclusive, blocked, locked=fd is not None)
        finally:
            if fd is not None:
                _fs.unlock(fd)
            layout.close()
            _fs.close_dir(root)

    def _internal(self, layout: Layout, exclusive: bool) -> _fs.Dir | None:
        if not exclusive:
            return layout.folder((INTERNAL,))
        return layout.folder((INTERNAL,), create=True)

    def _lock(self, internal: _fs.Dir, exclusive: bool) -> int:
        return _fs.lock(internal, LOCK, exclusive=exclusive,
                        timeout=self.options.lock_timeout, mode=self.options.file_mode)


class Operation:
    """One locked, recovered view of the store (see :class:`Engine`)."""

    __slots__ = ("layout", "exclusive", "blocked", "locked")

    def __init__(self, layout: Layout, exclusive: bool,
                 blocked: list[dict[str, Any]] | None = None, *, locked: bool = True) -> None:
        self.layout = layout
        self.exclusive = exclusive
        #: False for a read in a folder without ``.a3s_store`` (no lock to take).
        self.locked = locked
        #: Interrupted transactions recovery could not finish (``_recovery``):
        #: the files they name are refused, everything else works.
        self.blocked = blocked or []

    def became_a_store(self) -> bool:
        """Whether a writer made ``.a3s_store`` during this unlocked read: its
        first save may have been published between two of the read's files."""
        return not self.locked and _fs.stat_entry(self.layout.root, INTERNAL) is not None

    @property
    def options(self) -> Options:
        return self.layout.options

    # -- where things are ---------------------------------------------------------

    def session(self, session_id: str, *, reading: bool = False) -> SessionFiles:
        """The files of a session (the one resolution every method goes through,
        ``_resolve``); ``reading`` when the session file is about to be loaded.

        :raises CorruptDataError: an interrupted save of these files could
            not be finished (its generation would show half applied).
        """
        files = resolve(self.layout, session_id, reading=reading)
        if self.blocked:
            for stem in {files.read_stem, files.stem, *files.others} - {None}:
                for component in COMPONENTS:
                    if files.has(component, stem):  # None was taken out above
                        self._refuse_blocked(component.where(cast(str, stem)), session_id)
        return files

    def checkpoint(self, kind: Checkpoint, key: str) -> CheckpointFiles:
        """Where the checkpoint of ``kind`` stored under ``key`` is, and goes."""
        found = resolve_checkpoint(self.layout, kind, key)
        if self.blocked:
            for where in filter(None, (found.read, found.write, *found.others)):
                self._refuse_blocked(where, None)
        return found

    def _refuse_blocked(self, where: tuple[tuple[str, ...], str],
                        session_id: str | None) -> None:
        target = (*where[0], where[1])
        for marker in self.blocked:
            if target in marker["targets"] or where[0] in marker["targets"]:
                raise CorruptDataError(
                    f"an interrupted save of this could not be finished "
                    f"({marker['reason']}: {marker['path']}); fix that and run "
                    "a3s-store verify --repair, which finishes the save, or sets it aside",
                    path=marker["marker"], session_id=session_id)

    # -- reading ------------------------------------------------------------------

    def load(self, files: SessionFiles, component: Component, *,
             seed: Callable[[SessionData, bytes], None] | None = None) -> Any:
        """A component of a session, decoded (None when never saved).

        The fast parser is used only for a file the store wrote itself (its
        signature is in the metadata; ``seed(value, data)`` is then called
        for the session, whose bytes are the store's encoding of it) or one
        the strict parser accepted before with the same signature
        (``_verified``). Artifacts: a folder without a manifest is an empty
        store, as in a3s-code.
        """
        layout = self.layout
        if files.use is None and files.v1 is not None:  # only a3s-code 5 holds it
            snapshot, _ = files.v1
            if component is SESSION:
                snapshot.session.revision = revision(files)
                return snapshot.session
            return getattr(snapshot, component.attr)
        if component is SESSION and files.use is None and files.problem is None:
            return None
        if not files.has(component):
            return None
        # No copy holds the id but a file at one of its names cannot be read, or
        # holds another id: the read below reports it (a load never hides it).
        folder, name = files.where(component, files.problem if component is SESSION
                                   and files.use is None else None)
        if component.per_session_folder and layout.folder(folder) is None:
            return None
        got = (files.read_whole(files.read_stem if files.use is not None else files.problem)
               if component is SESSION else None) or layout.read(folder, name)
        if got is None:
            files.known(component, None)
            return component.empty() if component.per_session_folder else None
        data, sig = got
        files.known(component, sig)
        trusted = files.trusted(component, sig)
        checked = trusted or is_verified(layout, folder, name, sig)
        value = component.decode(data, strict=not checked,
                                 path=layout.path(folder, name), session_id=files.session_id)
        if not checked:
            record_verified(layout, folder, name, sig)  # the strict parse accepted it
        if component is SESSION:
            if value.id != files.session_id:
                raise CorruptDataError(f"file holds session {value.id!r}", key="id",
                                       path=layout.path(folder, name),
                                       session_id=files.session_id)
            value.revision = revision(files, data)
            if trusted and seed is not None:
                seed(value, data)
        return value

    def read_checkpoint(self, kind: Checkpoint, key: str) -> Any:
        """The checkpoint stored under ``key`` (None when there is none), unchecked."""
        where = self.checkpoint(kind, key).read
        if where is None:
            return None
        got = self.layout.read(*where)
        if got is None:
            return None
        return kind.decode(got[0], strict=True, path=self.layout.path(*where))

    def checkpoint_path(self, kind: Checkpoint, key: str) -> str:
        """The path of the checkpoint stored under ``key``, for messages."""
        found = self.checkpoint(kind, key)
        where = found.read or found.write or kind.where(own_stem(key))
        return self.layout.path(*where)

    # -- writing ------------------------------------------------------------------

    def write(self, files: SessionFiles, docs: dict[str, bytes], *,
              expected_revision: str | None = None, create_only: bool = False,
              summary: dict[str, Any] | None = None, replace_all: bool = False) -> str:
        """Publish the given components of a session (name -> bytes); return the revision.

        Checks first (``_session_files.check_write``); then, when the write is
        the session file alone, one rename followed by the metadata record (a
        cache: written without fsync; if it is lost, the session file's new
        signature still shows a new revision); otherwise one journal
        transaction carrying the metadata record too (a side file alone does
        not change the session file, so its new revision must be published
        with it). ``replace_all`` (a snapshot) means the
        components not in ``docs`` are not carried over by a migration, and
        side files that hold their new bytes already are not written again.
        """
        before = _fs.stat_dir(self.layout.root)
        steps = check_write(files, expected_revision, create_only,
                            writes_session=SESSION.name in docs,
                            max_bytes=self.options.max_bytes)
        if replace_all:
            steps = [s for s in steps if not isinstance(s, _commit.Put)]
        stem = cast(str, files.stem)  # check_write refused None
        puts = {c.where(stem): (c, docs[c.name]) for c in COMPONENTS
                if c.name in docs and files.has(c, stem)}
        steps = [s for s in steps if not (isinstance(s, _commit.Put)
                                          and (s.folder, s.name) in puts)]
        if replace_all:  # a snapshot: side files already holding their bytes stay
            puts = {where: put for where, put in puts.items()
                    if not self._holds(files, *put)}
        if steps or len(puts) > 1 or SESSION.name not in docs or files.read_stem != stem:
            token, written = self._commit(files, steps, puts, summary)
        else:
            ((folder, name), (component, data)), = puts.items()
            mode = self.layout.mode_for(folder, name, st=files.stat(component, stem))
            sig = _commit.write_one(self.layout, folder, name, data, mode=mode)
            written = {component.name: sig}
            record, token = meta_record(files, written, summary)
            self._write_meta(files, record)
        at_root = {SESSION.where(stem)[1]: written[SESSION.name]} \
            if written.get(SESSION.name) is not None else {}
        self._log(before, _changes.root_rows(steps, at_root, files.session_id, summary),
                  [[files.session_id, True]] if at_root else [])
        return token

    def _log(self, before: os.stat_result, rows: list[Any] | None, ids: list[Any]) -> None:
        """Tell later listings what this operation changed in the root (``_changes``);
        ``before``: the root's status before the operation's first change."""
        if rows is None:
            return
        try:
            window = _clock.window_ns(self.layout, before.st_dev)
            _changes.record(self.layout, before.st_mtime_ns, rows, ids, window)
        except (OSError, A3SStoreError):
            return  # the save is published; without its entry a listing scans

    def _holds(self, files: SessionFiles, component: Component, data: bytes) -> bool:
        """Whether a side file is the one this store wrote and holds ``data``
        already (a snapshot save then leaves it: no write, no fsync)."""
        stem = files.stem
        if component is SESSION or stem is None or files.read_stem != stem:
            return False
        sig = files.sig(component, stem)
        if sig is None or sig.size != len(data) or not files.trusted(component, sig):
            return False
        got = self.layout.read(*component.where(stem))
        return got is not None and got[1] == sig and got[0] == data

    def _commit(self, files: SessionFiles, steps: list[_commit.Step],
                puts: dict[tuple[tuple[str, ...], str], tuple[Component, bytes]],
                summary: dict[str, Any] | None) -> tuple[str, dict[str, _fs.Sig | None]]:
        written: dict[str, _fs.Sig | None] = {}
        with _commit.Transaction(self.layout) as tx:
            for step in steps:
                sig = tx.add(step)
                component = _component_at(files, step.folder, step.name)
                if component is not None:
                    written[component.name] = sig  # None for a step that removes it
            for (folder, name), (component, data) in puts.items():
                written[component.name] = tx.put(folder, name, data)
            record, token = meta_record(files, written, summary)
            tx.add(meta_step(files, record))
            tx.commit()
        return token, written

    def _write_meta(self, files: SessionFiles, record: bytes) -> None:
        """Record a single-file write. Not fsynced: a lost or torn record only
        makes the next load take the slow path and see a new revision; it
        never hides data."""
        self.layout.folder(META, create=True)
        _commit.write_one(self.layout, META, cast(str, files.stem) + ".json", record,
                          durable=False)

    def write_checkpoint(self, kind: Checkpoint, key: str, data: bytes) -> None:
        """Replace the checkpoint stored under ``key`` (one file, one rename), at
        a3s-code's name unless another run's checkpoint holds it."""
        found = self.checkpoint(kind, key)
        if found.write is None:
            raise NameCollisionError(
                f"every name this {kind.id_kind} id can be stored under holds another "
                f"{kind.label} (the first holds {found.taken_by!r}); nothing was written",
                path=self.layout.path(*kind.where(own_stem(key))))
        _commit.write_one(self.layout, *found.write, data)
        for where in [found.read, *found.others]:  # copies under another name go
            if where is not None and where != found.write:
                _commit.remove_one(self.layout, *where)

    def delete_checkpoint(self, kind: Checkpoint, key: str) -> None:
        """Remove the checkpoint stored under ``key`` (every copy); a missing one is fine."""
        found = self.checkpoint(kind, key)
        for where in filter(None, (found.read, *found.others)):
            if self.layout.stat(*where) is not None:
                _commit.remove_one(self.layout, *where)

    def delete(self, files: SessionFiles) -> None:
        """Remove every file of a session (every copy of it) and its metadata."""
        before = _fs.stat_dir(self.layout.root)
        steps: list[_commit.Step] = []
        for stem in dict.fromkeys([files.read_stem, *files.others]):
            if stem is None:
                continue
            steps += remove_steps(files, stem, whole=True)
        envelope = v1_name(files.session_id)
        if envelope is not None and self.layout.stat(V1_SESSIONS, envelope) is not None:
            steps.append(_commit.Remove(V1_SESSIONS, envelope))  # else it would come back
        if steps:
            with _commit.Transaction(self.layout) as tx:
                for step in steps:
                    tx.add(step)
                tx.commit()
            self._log(before, _changes.root_rows(steps, {}, None, None),
                      [[files.session_id, False]])

    def health_check(self) -> None:
        """Every category folder that exists is a real folder, and a file can be
        written, synced and removed in the store's own folder."""
        for folder in CATEGORY_FOLDERS:
            self.layout.folder((folder,))
        _commit.probe(self.layout)


def _component_at(files: SessionFiles, folder: tuple[str, ...], name: str) -> Component | None:
    """The component of this session whose file is ``folder/name`` (at its own stem),
    or None (a quarantine move, a migration's removal of the lossy name)."""
    stem = cast(str, files.stem)  # called for writes, which check_write let through
    for component in COMPONENTS:
        if component.where(stem) == (folder, name):
            return component
        if component.per_session_folder and (*folder, name) == component.where(stem)[0]:
            return component
    return None
