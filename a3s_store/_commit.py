"""Publishing several files at once: an intent journal with one commit point.

a3s-code reads fixed names (``<root>/<id>.json``, ``traces/<id>.json``...),
so a generation cannot be switched with one pointer. Instead, like SQLite's
super-journal, a save that touches several files:

1. writes every new file into ``.a3s_store/tx/`` as ``<txid>.<n>`` and
   fsyncs it;
2. writes the commit record ``<txid>.commit`` (the list of renames and
   removals, with each new file's size and SHA-256), fsyncs it, and fsyncs
   the ``tx`` folder. **This is the commit point**: from here on the save
   is finished, by this process or by recovery;
3. renames each new file over its target and removes what the save
   removes, then fsyncs every folder it changed;
4. removes the commit record and fsyncs the ``tx`` folder, so a stale
   record can never come back after a power cut and be applied again.

Recovery (run under the exclusive lock on open and whenever an operation
finds something in ``tx/``) rolls a committed transaction forward (its steps
are idempotent) and rolls an uncommitted one back by deleting its files.
Single-file writes use the same temporary folder (``.a3s_store/tmp``) and a
plain rename, which is atomic by itself. Only this module and ``_fs`` know
these names.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass, field

from . import _fs, _json
from .errors import CorruptDataError

__all__ = ["INTERNAL", "Put", "Remove", "Move", "RemoveTree", "Layout", "commit", "write_one", "recover",
           "pending"]

INTERNAL = ".a3s_store"
_TX = "tx"
_TMP = "tmp"


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


@dataclass(slots=True)
class Layout:
    """The open root of one operation and the options of its store."""

    root: _fs.Dir
    durable: bool = True
    file_mode: int = 0o600
    dir_mode: int = 0o700
    _dirs: dict = field(default_factory=dict)

    def folder(self, parts: tuple[str, ...], *, create: bool) -> _fs.Dir | None:
        """Open (and cache for this operation) the folder ``parts`` under the root."""
        if not parts:
            return self.root
        cached = self._dirs.get(parts)
        if cached is not None:
            return cached
        parent = self.folder(parts[:-1], create=create)
        if parent is None:
            return None
        opened = _fs.open_dir(parent, parts[-1], create=create, mode=self.dir_mode,
                              durable=self.durable)
        if opened is not None:
            self._dirs[parts] = opened
        return opened

    def close(self) -> None:
        for d in self._dirs.values():
            _fs.close_dir(d)
        self._dirs.clear()

    def mode_for(self, folder: _fs.Dir, name: str) -> int:
        """Keep the mode of a file being rewritten; new files get the store's mode."""
        st = _fs.stat_entry(folder, name)
        if st is not None and st.st_nlink >= 1 and (st.st_mode & 0o170000) == 0o100000:
            return st.st_mode & 0o777
        return self.file_mode


def _new_txid() -> str:
    return f"{time.time_ns():x}-{os.getpid()}-{secrets.token_hex(4)}"


def write_one(layout: Layout, folder: tuple[str, ...], name: str, data: bytes, *,
              durable: bool | None = None) -> _fs.Sig:
    """Atomically replace one file: temporary file, fsync, rename, fsync the folder.

    ``durable=False`` (for caches such as metadata and the listing index)
    skips both fsyncs whatever the store's setting: the rename is still
    atomic, and a lost or torn cache file is rebuilt.
    """
    durable = layout.durable if durable is None else durable
    target = layout.folder(folder, create=True)
    tmp = layout.folder((INTERNAL, _TMP), create=True)
    mode = layout.mode_for(target, name)
    tmp_name = _new_txid() + ".tmp"
    sig = _fs.write_new(tmp, tmp_name, data, mode=mode, durable=durable)
    try:
        _fs.replace(tmp, tmp_name, target, name)
    except Exception:
        try:
            _fs.unlink(tmp, tmp_name)
        except Exception:
            pass  # swept by recovery
        raise
    if durable:
        _fs.fsync_dir(target)
    return sig


def commit(layout: Layout, ops: list) -> dict[tuple[tuple[str, ...], str], _fs.Sig]:
    """Apply ``ops`` (Put/Remove/RemoveTree) all together or not at all.

    Returns the :class:`~a3s_store._fs.Sig` of every file written. The caller
    holds the exclusive store lock.
    """
    txdir = layout.folder((INTERNAL, _TX), create=True)
    txid = _new_txid()
    record = []
    sigs = {}
    staged = []
    try:
        for n, op in enumerate(ops):
            if isinstance(op, Put):
                target = layout.folder(op.folder, create=True)
                src = f"{txid}.{n}"
                sigs[(op.folder, op.name)] = _fs.write_new(
                    txdir, src, op.data, mode=layout.mode_for(target, op.name),
                    durable=layout.durable)
                staged.append(src)
                record.append({"op": "put", "folder": list(op.folder), "name": op.name,
                               "src": src, "size": len(op.data),
                               "sha256": hashlib.sha256(op.data).hexdigest()})
            elif isinstance(op, Remove):
                record.append({"op": "remove", "folder": list(op.folder), "name": op.name})
            elif isinstance(op, Move):
                layout.folder(op.to_folder, create=True)
                record.append({"op": "move", "folder": list(op.folder), "name": op.name,
                               "to_folder": list(op.to_folder), "to_name": op.to_name})
            else:
                record.append({"op": "remove_tree", "folder": list(op.folder), "name": op.name,
                               "trash": f"{txid}.{n}.trash"})
        commit_name = f"{txid}.commit"
        _fs.write_new(txdir, commit_name,
                      _json.encode_bytes({"version": 1, "txid": txid, "ops": record}),
                      durable=layout.durable)
        staged.append(commit_name)
        if layout.durable:
            _fs.fsync_dir(txdir)  # the commit point
    except Exception:
        for name in staged:  # not committed: roll back what was staged
            try:
                _fs.unlink(txdir, name)
            except Exception:
                pass  # swept by recovery (no commit record means roll back)
        raise
    _apply(layout, txdir, txid, record)
    return sigs


def _apply(layout: Layout, txdir: _fs.Dir, txid: str, record: list) -> None:
    touched: dict[tuple[str, ...], _fs.Dir] = {}
    trash = []
    for step in record:
        parts = tuple(step["folder"])
        if step["op"] == "put":
            target = layout.folder(parts, create=True)
            try:
                _fs.replace(txdir, step["src"], target, step["name"])
            except FileNotFoundError:
                if _fs.stat_entry(txdir, step["src"]) is not None:
                    raise
                continue  # applied before a crash
            touched[parts] = target
        else:
            target = layout.folder(parts, create=False)
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
            elif _fs.stat_entry(target, step["name"]) is not None:
                # Move the folder aside in one rename, then delete it at leisure.
                _fs.replace(target, step["name"], txdir, step["trash"])
                touched[parts] = target
                trash.append(step["trash"])
            elif _fs.stat_entry(txdir, step["trash"]) is not None:
                trash.append(step["trash"])
    if layout.durable:
        for d in touched.values():
            _fs.fsync_dir(d)
    for name in trash:
        _fs.remove_tree(txdir, name)
    _fs.unlink(txdir, f"{txid}.commit")
    if layout.durable:
        _fs.fsync_dir(txdir)


def pending(layout: Layout) -> bool:
    """True when an interrupted save or a temporary file waits for recovery."""
    for sub in (_TX, _TMP):
        d = layout.folder((INTERNAL, sub), create=False)
        if d is not None and _fs.list_dir(d):
            return True
    return False


def recover(layout: Layout) -> list[str]:
    """Finish or roll back interrupted saves and sweep temporary files.

    The caller holds the exclusive lock, so nothing here belongs to a live
    writer. Idempotent; a crash in the middle is finished by the next call.
    Returns a line per action, for logs and ``verify``.
    """
    actions: list[str] = []
    txdir = layout.folder((INTERNAL, _TX), create=False)
    if txdir is not None:
        names = sorted(e.name for e in _fs.list_dir(txdir))
        committed = [n[: -len(".commit")] for n in names if n.endswith(".commit")]
        for txid in committed:
            record = _read_record(txdir, txid)
            if record is not None and _staged_intact(txdir, record):
                _apply(layout, txdir, txid, record)
                actions.append(f"finished interrupted save {txid}")
            else:
                _fs.unlink(txdir, f"{txid}.commit")
                actions.append(f"rolled back interrupted save {txid}")
        for entry in _fs.list_dir(txdir):  # files of uncommitted transactions
            if entry.is_dir(follow_symlinks=False):
                _fs.remove_tree(txdir, entry.name)
            else:
                _fs.unlink(txdir, entry.name)
            actions.append(f"removed leftover {INTERNAL}/{_TX}/{entry.name}")
        if actions and layout.durable:
            _fs.fsync_dir(txdir)
    tmp = layout.folder((INTERNAL, _TMP), create=False)
    if tmp is not None:
        for entry in _fs.list_dir(tmp):
            if entry.is_dir(follow_symlinks=False):
                _fs.remove_tree(tmp, entry.name)
            else:
                _fs.unlink(tmp, entry.name)
            actions.append(f"removed leftover {INTERNAL}/{_TMP}/{entry.name}")
    return actions


def _read_record(txdir: _fs.Dir, txid: str) -> list | None:
    got = _fs.read_file(txdir, f"{txid}.commit", 64 << 20)
    if got is None:
        return None
    try:
        doc = _json.decode(got[0])
        ops = doc["ops"]
        if doc.get("version") != 1 or not isinstance(ops, list):
            return None
        return ops
    except (CorruptDataError, KeyError, TypeError):
        return None  # a torn record: the save never reached its commit point


def _staged_intact(txdir: _fs.Dir, record: list) -> bool:
    """Whether every new file of a committed record is still staged and whole.

    A staged file that is gone has been renamed into place already (renames
    start only after the commit point made every staged entry durable). A
    staged file that is present but damaged means the record must not be
    applied: the transaction is rolled back, and the old generation stays.
    """
    for step in record:
        if step.get("op") != "put":
            continue
        try:
            got = _fs.read_file(txdir, step["src"], max(step["size"], 0) + 1)
        except CorruptDataError:
            return False
        if got is None:
            continue
        data = got[0]
        if len(data) != step["size"] or hashlib.sha256(data).hexdigest() != step["sha256"]:
            return False
    return True
