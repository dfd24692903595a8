"""Publishing several files at once: an intent journal with one commit point.

a3s-code reads fixed names (``<root>/<id>.json``, ``traces/<id>.json``...),
so a generation cannot be switched with one pointer. Instead, like SQLite's
super-journal, a :class:`Transaction` that touches several files:

1. writes every new file into ``.a3s_store/`` as ``<txid>.<n>`` and fsyncs it;
2. writes the commit record ``<txid>.commit`` (the list of renames and
   removals, with each new file's size and SHA-256), fsyncs it, and fsyncs
   ``.a3s_store``, so the record is durable before any published file
   changes;
3. renames each new file over its target (making missing folders first)
   and removes what the transaction removes, then fsyncs every folder it
   changed. **The first of these changes is the commit point** (the point
   of no return): before it nothing a reader sees has changed, after it the
   transaction is finished, by this process or by recovery;
4. removes the commit record and fsyncs ``.a3s_store``, so a stale record
   can never come back after a power cut and be applied again.

Recovery (``_recovery``, run under the exclusive lock whenever an operation
finds a journal file in ``.a3s_store``) rolls a transaction forward once any of its
changes is visible (its steps are idempotent), and rolls it back by deleting
its files otherwise: so a transaction that fails or dies before its first
rename leaves the old generation, even when the cleanup itself failed. No
folder is made before the commit point, so a rolled-back save leaves no
empty folder (an empty ``artifacts/<id>/`` would read as an empty artifact
store). :func:`write_one` replaces a single file with a temporary file
``<txid>.tmp`` and a plain rename, atomic by itself (into an existing
folder; a write that needs a new folder goes through a transaction).

Journal files are named ``<txid>.<suffix>`` (:func:`is_journal_name`), so
one listing of ``.a3s_store`` tells whether recovery is needed. Older
versions of this package kept them in ``.a3s_store/tx`` and
``.a3s_store/tmp``; recovery finishes those too, then removes the folders.
Only this module knows these names.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

from . import _fs, _json
from ._layout import INTERNAL, Layout
from .errors import CorruptDataError

__all__ = ["Put", "Remove", "Move", "RemoveTree", "Transaction", "write_one", "remove_one",
           "probe", "apply", "is_journal_name", "journal_id", "temp_name", "LEGACY_FOLDERS"]

#: Where older versions kept journal files (still recovered, then removed).
LEGACY_FOLDERS = ("tx", "tmp")
_JOURNAL_NAME = re.compile(r"([0-9a-f]+-[0-9]+-[0-9a-f]{8})\.")


def is_journal_name(name: str) -> bool:
    """Whether ``name`` (an entry of ``.a3s_store``) is a journal file of this module."""
    return _JOURNAL_NAME.match(name) is not None


def journal_id(name: str) -> str | None:
    """The transaction id a journal file belongs to, or None."""
    match = _JOURNAL_NAME.match(name)
    return None if match is None else match.group(1)


@dataclass(frozen=True, slots=True)
class Put:
    """Write ``data`` as ``folder/name`` (``folder`` is a tuple of names under the root)."""

    folder: tuple[str, ...]
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Remove:
    """Remove the file ``folder/name`` if it exists."""

    folder: tuple[str, ...]
    name: str


@dataclass(frozen=True, slots=True)
class Move:
    """Rename ``folder/name`` (a file or folder) to ``to_folder/to_name``, if it exists."""

    folder: tuple[str, ...]
    name: str
    to_folder: tuple[str, ...]
    to_name: str


@dataclass(frozen=True, slots=True)
class RemoveTree:
    """Remove the folder ``folder/name`` and everything in it, if it exists."""

    folder: tuple[str, ...]
    name: str


#: One step of a transaction.
Step = Put | Remove | Move | RemoveTree


def _new_txid() -> str:
    return f"{time.time_ns():x}-{os.getpid()}-{secrets.token_hex(4)}"


def temp_name() -> str:
    """A unique temporary file name (one left in the cache folder by a reader
    that died is swept by the next index write, as ``_listing`` does)."""
    return _new_txid() + ".tmp"


def _journal_dir(layout: Layout) -> _fs.Dir:
    d = layout.folder((INTERNAL,), create=True)
    assert d is not None  # create=True returns a folder or raises
    return d


def write_one(layout: Layout, folder: tuple[str, ...], name: str, data: bytes, *,
              durable: bool | None = None, mode: int | None = None,
              staging: tuple[str, ...] = (INTERNAL,)) -> _fs.Sig:
    """Atomically replace one file: temporary file, fsync, rename, fsync the folder.

    ``durable=False`` (for caches such as metadata) skips both fsyncs
    whatever the store's setting: the rename is still atomic, and a lost or
    torn cache file is rebuilt. ``mode`` skips the mode check (the caller
    knows the file is a regular one of the store's). A file whose folder does
    not exist yet goes through a :class:`Transaction`, which makes the folder
    only after its commit point. ``staging`` is where the temporary file is
    made: readers writing a cache under the shared lock make theirs in the
    cache folder, so that no one takes them for a dead writer's.
    """
    durable = layout.durable if durable is None else durable
    target = layout.folder(folder)
    if target is None:
        with Transaction(layout) as tx:
            sig = tx.put(folder, name, data)
            tx.commit()
        return sig
    tmp_dir = layout.folder(staging, create=True)
    assert tmp_dir is not None  # create=True returns a folder or raises
    if mode is None:
        mode = layout.mode_for(folder, name)
    tmp_name = temp_name()
    sig = _fs.write_new(tmp_dir, tmp_name, data, mode=mode, durable=durable)
    try:
        _fs.replace(tmp_dir, tmp_name, target, name)
    except Exception:
        try:
            _fs.unlink(tmp_dir, tmp_name)
        except Exception:
            pass  # swept by recovery
        raise
    if durable:
        _fs.fsync_dir(target)
    return sig


def probe(layout: Layout) -> None:
    """Write, sync and remove a small file in ``.a3s_store`` (a health check)."""
    staging = _journal_dir(layout)
    name = _new_txid() + ".probe"
    _fs.write_new(staging, name, b"ok", durable=layout.durable)
    _fs.unlink(staging, name)


def remove_one(layout: Layout, folder: tuple[str, ...], name: str) -> bool:
    """Remove one file (atomic by itself) and fsync its folder; False when absent."""
    d = layout.folder(folder)
    if d is None or not _fs.unlink(d, name):
        return False
    if layout.durable:
        _fs.fsync_dir(d)
    return True


class Transaction:
    """Changes published together at one commit point (see the module docstring).

    Use as a context manager: add steps (:meth:`put` stages its file at
    once and returns its signature, which a rename keeps), then
    :meth:`commit`. Leaving the block without committing, or with an
    exception before the commit point, removes what was staged. The caller
    holds the exclusive store lock.
    """

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.txid = _new_txid()
        self._record: list[dict[str, Any]] = []
        self._staged: list[str] = []
        self._freed: set[tuple[tuple[str, ...], str]] = set()  # moved or removed earlier
        self._record_name: str | None = None
        self._done = False

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._done and (exc_type is None or issubclass(exc_type, Exception)):
            self._abandon()  # not a simulated crash: clean up like a live process

    def add(self, step: Step) -> _fs.Sig | None:
        """Add a :class:`Put`, :class:`Remove`, :class:`Move` or :class:`RemoveTree`."""
        if isinstance(step, Put):
            return self.put(step.folder, step.name, step.data)
        n = len(self._record)
        if isinstance(step, Remove):
            self._check_removable(step)
            self._freed.add((step.folder, step.name))
            self._record.append({"op": "remove", "folder": list(step.folder), "name": step.name})
        elif isinstance(step, Move):
            self._freed.add((step.folder, step.name))
            self.layout.folder(step.to_folder, create=True)
            self._record.append({"op": "move", "folder": list(step.folder), "name": step.name,
                                 "to_folder": list(step.to_folder), "to_name": step.to_name})
        elif isinstance(step, RemoveTree):
            self._record.append({"op": "remove_tree", "folder": list(step.folder),
                                 "name": step.name, "trash": f"{self.txid}.{n}.trash"})
        else:
            raise TypeError(f"not a journal step: {step!r}")
        return None

    def put(self, folder: tuple[str, ...], name: str, data: bytes) -> _fs.Sig:
        """Stage ``data`` as the new ``folder/name``; return the staged file's signature."""
        layout = self.layout
        # Folders are made after the commit point (by _apply), never here.
        target = layout.folder(folder)
        mode = layout.options.file_mode
        if target is not None:
            mode = layout.mode_for(folder, name, freed=(folder, name) in self._freed)
        src = f"{self.txid}.{len(self._record)}"
        sig = _fs.write_new(_journal_dir(layout), src, data, mode=mode, durable=layout.durable)
        self._staged.append(src)
        step = {"op": "put", "folder": list(folder), "name": name, "src": src,
                "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if target is None:
            step["new_folder"] = True  # its existence shows _apply has begun
        self._record.append(step)
        return sig

    def _check_removable(self, step: Remove) -> None:
        """Refuse, before the commit point, a removal that would fail after it (a folder)."""
        st = self.layout.stat(step.folder, step.name)
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise CorruptDataError("expected a file, found a folder; nothing was changed",
                                   path=self.layout.path(step.folder, step.name))

    def commit(self) -> None:
        """Write the commit record, make it durable, and apply every step.

        Two barriers: the staged files' names are made durable before the
        record is written (else a power cut could keep the record and lose a
        staged name; recovery tells that from a finished rename by the
        target's size and SHA-256, so this one is a second line of defence,
        and the power-loss sweep finds no loss without it), and the record is
        made durable before the first step.
        """
        layout = self.layout
        staging = _journal_dir(layout)
        if layout.durable and self._staged:
            _fs.fsync_dir(staging)  # barrier: the staged names before the record
        commit_name = f"{self.txid}.commit"
        self._record_name = commit_name
        _fs.write_new(staging, commit_name,
                      _json.encode_bytes({"version": 2, "txid": self.txid, "ops": self._record}),
                      durable=layout.durable)
        if layout.durable:
            _fs.fsync_dir(staging)  # the record is durable: the steps may begin
        self._done = True
        apply(layout, staging, self.txid, self._record)

    def _abandon(self) -> None:
        """Remove what was staged (nothing was published).

        The commit record goes first, and its removal is made durable before
        any staged file goes: a record left with some of its staged files
        gone would look, to recovery, like a transaction under way. If the
        record cannot be removed, the staged files stay, so that recovery
        finds the transaction whole, proves nothing of it ran, and rolls it
        back.
        """
        self._done = True
        # None only when nothing was staged (unlink is then never called)
        staging = cast(_fs.Dir, self.layout.folder((INTERNAL,)))
        try:
            if self._record_name is not None:
                _fs.unlink(staging, self._record_name)
                if self.layout.durable:
                    _fs.fsync_dir(staging)
        except Exception:
            return  # recovery rolls the whole transaction back
        for name in self._staged:
            try:
                _fs.unlink(staging, name)
            except Exception:
                pass  # swept by recovery (no commit record means roll back)


def apply(layout: Layout, staging: _fs.Dir, txid: str, record: list[dict[str, Any]]) -> None:
    """Carry out every step of a committed record (idempotent), then drop the record."""
    touched: dict[tuple[str, ...], _fs.Dir] = {}
    trash: list[str] = []
    for step in record:
        parts = tuple(step["folder"])
        target: _fs.Dir | None
        if step["op"] == "put":
            target = layout.folder(parts, create=True)
            try:
                _fs.replace(staging, step["src"], target, step["name"])
            except FileNotFoundError:
                if _fs.stat_entry(staging, step["src"]) is not None:
                    raise
                continue  # applied before a crash
            touched[parts] = target
        else:
            target = layout.folder(parts)
            if target is None:
                continue
            if step["op"] == "remove":
                if _fs.unlink(target, step["name"]):
                    touched[parts] = target
            elif step["op"] == "move":
                if _fs.stat_entry(target, step["name"]) is not None:
                    to_parts = tuple(step["to_folder"])
                    dest = layout.folder(to_parts, create=True)
                    _fs.replace(target, step["name"], dest, step["to_name"])
                    touched[parts] = target
                    touched[to_parts] = dest
                    _moved_away(layout, touched, parts + (step["name"],))
            elif _fs.stat_entry(target, step["name"]) is not None:
                # Move the folder aside in one rename, then delete it at leisure.
                _fs.replace(target, step["name"], staging, step["trash"])
                _moved_away(layout, touched, parts + (step["name"],))
                touched[parts] = target
                # The trash's name too must be durable before the record goes,
                # whichever folder a rename's durability follows.
                touched[(INTERNAL,)] = staging
                trash.append(step["trash"])
            elif _fs.stat_entry(staging, step["trash"]) is not None:
                trash.append(step["trash"])
    if layout.durable:
        for d in touched.values():
            _fs.fsync_dir(d)
    for name in trash:
        _fs.remove_tree(staging, name)
    _fs.unlink(staging, f"{txid}.commit")
    if layout.durable:
        _fs.fsync_dir(staging)


def _moved_away(layout: Layout, touched: dict[tuple[str, ...], _fs.Dir],
                parts: tuple[str, ...]) -> None:
    """A folder was renamed away: its cached descriptor (and those under it)
    are closed, and it is no longer one of the folders to fsync."""
    layout.forget(parts)
    for key in [k for k in touched if k[:len(parts)] == parts]:
        del touched[key]
