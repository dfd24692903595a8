"""Publishing several files at once: an intent journal with one commit point.

a3s-code reads fixed names (``<root>/<id>.json``, ``traces/<id>.json``...),
so a generation cannot be switched with one pointer. Instead, like SQLite's
super-journal, a save that touches several files:

1. writes every new file into ``.a3s_store/tx/`` as ``<txid>.<n>`` and
   fsyncs it;
2. writes the commit record ``<txid>.commit`` (the list of renames and
   removals, with each new file's size and SHA-256), fsyncs it, and fsyncs
   the ``tx`` folder, so the record is durable before any published file
   changes;
3. renames each new file over its target (making missing folders first)
   and removes what the save removes, then fsyncs every folder it changed.
   **The first of these changes is the commit point** (the point of no
   return): before it nothing a reader sees has changed, after it the save
   is finished, by this process or by recovery;
4. removes the commit record and fsyncs the ``tx`` folder, so a stale
   record can never come back after a power cut and be applied again.

Recovery (run under the exclusive lock on open and whenever an operation
finds something in ``tx/``) rolls a transaction forward once any of its
changes is visible (its steps are idempotent), and rolls it back by
deleting its files otherwise: so a save that fails or dies before its first
rename (a failed fsync of the record, a rename refused on Windows) leaves
the old generation, even when the cleanup itself failed. No folder is made
before the commit point, so a rolled-back save leaves no empty folder (an
empty ``artifacts/<id>/`` would read as an empty artifact store). Single-file
writes use the same temporary folder (``.a3s_store/tmp``) and a plain
rename, which is atomic by itself (into an existing folder; a write that
needs a new folder goes through the journal). Only this module and ``_fs``
know these names.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import time
from dataclasses import dataclass, field

from . import _fs, _json
from .errors import CorruptDataError, UnsafePathError

__all__ = ["INTERNAL", "Put", "Remove", "Move", "RemoveTree", "Layout", "commit", "write_one", "recover",
           "pending", "will_finish"]

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

    def mode_for(self, folder: _fs.Dir, name: str, *, freed: bool = False) -> int:
        """Keep the mode of a file being rewritten; new files get the store's mode.

        Checked here, before anything is staged: a link at the name is
        :class:`UnsafePathError` (a rename would silently replace it), and a
        folder or special file is :class:`CorruptDataError` (a rename onto a
        folder fails, and must not fail after the commit point) - unless
        ``freed``, when an earlier step of the same commit moves it away.
        """
        st = _fs.stat_entry(folder, name)
        if st is None:
            return self.file_mode
        if stat.S_ISREG(st.st_mode):
            return st.st_mode & 0o777
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePathError("refused: is a symlink; the store does not write through links",
                                  path=folder.join(name))
        if not freed:
            raise CorruptDataError("expected a file, found a folder or special file",
                                   path=folder.join(name))
        return self.file_mode


def _new_txid() -> str:
    return f"{time.time_ns():x}-{os.getpid()}-{secrets.token_hex(4)}"


def write_one(layout: Layout, folder: tuple[str, ...], name: str, data: bytes, *,
              durable: bool | None = None) -> _fs.Sig:
    """Atomically replace one file: temporary file, fsync, rename, fsync the folder.

    ``durable=False`` (for caches such as metadata and the listing index)
    skips both fsyncs whatever the store's setting: the rename is still
    atomic, and a lost or torn cache file is rebuilt. A file whose folder
    does not exist yet goes through :func:`commit`, which makes the folder
    only after its commit point.
    """
    durable = layout.durable if durable is None else durable
    target = layout.folder(folder, create=False)
    if target is None:
        return commit(layout, [Put(folder, name, data)])[(folder, name)]
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


def commit(layout: Layout, ops: list, *, finish=None) -> dict[tuple[tuple[str, ...], str], _fs.Sig]:
    """Apply ``ops`` (Put/Remove/Move/RemoveTree) all together or not at all.

    ``finish``, when given, is called with the :class:`~a3s_store._fs.Sig`
    of every staged file (keyed by ``(folder, name)``) and returns more Puts
    for the same commit: the store's metadata record, which names those
    files, is published with them. Returns the sigs of every file written.
    The caller holds the exclusive store lock.
    """
    txdir = layout.folder((INTERNAL, _TX), create=True)
    txid = _new_txid()
    record = []
    sigs = {}
    staged = []
    freed = set()  # names an earlier step moves or removes

    def stage(n: int, op) -> None:
        if isinstance(op, Put):
            # Folders are made by _apply, after the commit point, never here.
            target = layout.folder(op.folder, create=False)
            mode = layout.file_mode
            src = f"{txid}.{n}"
            if target is not None:
                mode = layout.mode_for(target, op.name, freed=(op.folder, op.name) in freed)
            sigs[(op.folder, op.name)] = _fs.write_new(txdir, src, op.data, mode=mode,
                                                       durable=layout.durable)
            staged.append(src)
            step = {"op": "put", "folder": list(op.folder), "name": op.name, "src": src,
                    "size": len(op.data), "sha256": hashlib.sha256(op.data).hexdigest()}
            if target is None:
                step["new_folder"] = True  # its existence shows _apply has begun
            record.append(step)
        elif isinstance(op, Remove):
            _check_removable(layout, op)
            freed.add((op.folder, op.name))
            record.append({"op": "remove", "folder": list(op.folder), "name": op.name})
        elif isinstance(op, Move):
            freed.add((op.folder, op.name))
            layout.folder(op.to_folder, create=True)
            record.append({"op": "move", "folder": list(op.folder), "name": op.name,
                           "to_folder": list(op.to_folder), "to_name": op.to_name})
        else:
            record.append({"op": "remove_tree", "folder": list(op.folder), "name": op.name,
                           "trash": f"{txid}.{n}.trash"})

    try:
        for n, op in enumerate(ops):
            stage(n, op)
        if finish is not None:
            for n, op in enumerate(finish(dict(sigs)), start=len(ops)):
                stage(n, op)
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


def _check_removable(layout: Layout, op: Remove) -> None:
    """Refuse, before the commit point, a removal that would fail after it (a folder)."""
    folder = layout.folder(op.folder, create=False)
    st = None if folder is None else _fs.stat_entry(folder, op.name)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise CorruptDataError("expected a file, found a folder; nothing was changed",
                               path=folder.join(op.name))


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
            record, why = _decide(layout, txdir, txid)
            if record is not None:
                _apply(layout, txdir, txid, record)
                actions.append(f"finished interrupted save {txid}")
            else:  # remove_tree: a folder or link planted at the name goes too
                _fs.remove_tree(txdir, f"{txid}.commit")
                actions.append(f"rolled back interrupted save {txid}{why}")
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


def _decide(layout: Layout, txdir: _fs.Dir, txid: str) -> tuple[list | None, str]:
    """(the record to finish, or None to roll back; why, for the log)."""
    record = _read_record(txdir, txid)
    if record is None or not _staged_intact(txdir, record):
        return None, ""
    if _untouched(layout, txdir, record):
        return None, " (nothing published)"
    return record, ""


def will_finish(layout: Layout, txid: str) -> bool:
    """Whether :func:`recover` will finish the interrupted save ``txid`` (True)
    or roll it back (False). Reads only; for reports made before recovery."""
    txdir = layout.folder((INTERNAL, _TX), create=False)
    return txdir is not None and _decide(layout, txdir, txid)[0] is not None


def _read_record(txdir: _fs.Dir, txid: str) -> list | None:
    try:
        got = _fs.read_file(txdir, f"{txid}.commit", 64 << 20)
        if got is None:
            return None
        doc = _json.decode(got[0])
    except (CorruptDataError, UnsafePathError):
        return None  # a torn record: the save never reached its commit point
    if type(doc) is not dict or doc.get("version") != 1 or not _valid_ops(doc.get("ops")):
        return None  # torn, or not one this module wrote: never acted on
    return doc["ops"]


# What commit() writes for each kind of step: key -> check of its value.
_STEP_KEYS = {
    "put": {"folder": "folder", "name": "name", "src": "name", "size": "size",
            "sha256": "sha256"},
    "remove": {"folder": "folder", "name": "name"},
    "move": {"folder": "folder", "name": "name", "to_folder": "folder", "to_name": "name"},
    "remove_tree": {"folder": "folder", "name": "name", "trash": "name"},
}


def _plain_name(value: object) -> bool:
    return (type(value) is str and value not in ("", ".", "..") and "/" not in value
            and "\\" not in value and "\0" not in value)


def _valid_ops(ops: object) -> bool:
    """Whether ``ops`` is a list of steps exactly as :func:`commit` writes them.

    A record is acted on only then: a damaged or planted record naming
    ``..`` or a path with separators would otherwise remove or replace
    files outside the store's root.
    """
    if type(ops) is not list:
        return False
    checks = {
        "folder": lambda v: type(v) is list and all(_plain_name(p) for p in v),
        "name": _plain_name,
        "size": lambda v: type(v) is int and v >= 0,
        "sha256": lambda v: type(v) is str and len(v) == 64,
        "flag": lambda v: v is True,
    }
    for step in ops:
        if type(step) is not dict:
            return False
        keys = _STEP_KEYS.get(step.get("op"))
        if step.get("op") == "put" and "new_folder" in step:
            if step["new_folder"] is not True:
                return False
            keys = {**keys, "new_folder": "flag"}
        if keys is None or step.keys() != keys.keys() | {"op"}:
            return False
        if not all(checks[kind](step[key]) for key, kind in keys.items()):
            return False
    return True


def _untouched(layout: Layout, txdir: _fs.Dir, record: list) -> bool:
    """Whether no step of a committed record has taken effect yet.

    Proof for each step that it has not run: a new file is still staged
    (and its new folder, if it needed one, does not exist); a file or folder
    to remove or move is still there (and a folder's trash name is not).
    A step that proves nothing (removing something already gone) counts as
    begun, so the save is finished: rolling forward is always safe, rolling
    back only when nothing can have changed.
    """
    for step in record:
        kind = step.get("op")
        folder = layout.folder(tuple(step["folder"]), create=False)
        if kind == "put":
            if _fs.stat_entry(txdir, step["src"]) is None:
                return False
            if step.get("new_folder") and folder is not None:
                return False
        elif kind in ("remove", "move", "remove_tree"):
            if folder is None or _fs.stat_entry(folder, step["name"]) is None:
                return False
            if kind == "remove_tree" and _fs.stat_entry(txdir, step["trash"]) is not None:
                return False
        else:
            return False
    return True


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
        except (CorruptDataError, UnsafePathError):  # not a file this module staged
            return False
        if got is None:
            continue
        data = got[0]
        if len(data) != step["size"] or hashlib.sha256(data).hexdigest() != step["sha256"]:
            return False
    return True
