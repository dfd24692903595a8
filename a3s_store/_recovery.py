"""Recovery: finish or roll back the transactions that writers left behind.

Run under the exclusive lock whenever an operation finds a journal file in
``.a3s_store`` (:func:`pending`), and by ``verify --repair``. A committed
transaction is rolled forward once any of its changes is visible (its steps
are idempotent), and rolled back by deleting its files otherwise; files of
transactions that never committed, and temporary files, are swept. A
record is acted on only when it is exactly of the shape ``_commit`` writes,
so a damaged or planted one can never reach outside the root. Idempotent:
a crash during recovery is finished by the next recovery.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any, cast

from . import _fs, _json
from ._commit import LEGACY_FOLDERS, apply, is_journal_name, journal_id
from ._layout import INTERNAL, QUARANTINE, Layout
from .errors import CorruptDataError, UnsafePathError

__all__ = ["pending", "recover", "will_finish", "blocked_ids", "read_blocked", "OBSTACLES",
           "BLOCKED", "JOURNAL_QUARANTINE"]

#: A commit record's steps, as decoded (``_valid_ops`` checked their shape).
JournalRecord = list[dict[str, Any]]

#: Where ``verify --repair`` sets aside a transaction that cannot be finished.
JOURNAL_QUARANTINE = (*QUARANTINE, "journal")


#: Errors that mean a committed transaction cannot be finished as the folder
#: stands (a link or a file where a folder must be, a folder where a file must
#: go): retrying fails the same way, and every operation would fail with it.
OBSTACLES = (UnsafePathError, CorruptDataError, NotADirectoryError, IsADirectoryError)
#: The suffix of the marker that says a transaction is blocked, and why.
BLOCKED = ".blocked"


def blocked_ids(entries: list[os.DirEntry[str]]) -> set[str]:
    """The transactions of ``.a3s_store`` that recovery found blocked."""
    return {cast(str, journal_id(e.name)) for e in entries  # a journal name has an id
            if e.name.endswith(BLOCKED) and is_journal_name(e.name)}


def pending(entries: list[os.DirEntry[str]]) -> bool:
    """Whether the entries of ``.a3s_store`` hold something for recovery: a
    journal file (of a transaction not found blocked), or a journal folder of
    an older version."""
    blocked = blocked_ids(entries)
    for entry in entries:
        name = entry.name
        txid = journal_id(name)
        if txid is not None and txid not in blocked:
            return True
        if name in LEGACY_FOLDERS and entry.is_dir(follow_symlinks=False):
            return True  # a link there is not ours: never followed, never waited for
    return False


def recover(layout: Layout, *, retry_blocked: bool = False) -> list[str]:
    """Finish or roll back interrupted transactions and sweep temporary files.

    The caller holds the exclusive lock, so nothing here belongs to a live
    writer. Idempotent; a crash in the middle is finished by the next call.
    A committed transaction that cannot be finished (see :data:`OBSTACLES`)
    is left where it is with a marker naming what blocks it, so that every
    other session stays usable; ``retry_blocked`` (``verify --repair``)
    tries it again and sets it aside into the quarantine if it still cannot
    be finished. Returns a line per action, for logs and ``verify``.
    """
    internal = layout.folder((INTERNAL,))
    if internal is None:
        return []
    actions: list[str] = []
    for legacy in LEGACY_FOLDERS:  # an older version's journal folders
        try:
            sub = layout.folder((INTERNAL, legacy))
        except (UnsafePathError, CorruptDataError):
            continue  # a link or a file: not a folder of ours, left alone
        if sub is not None:
            actions += _recover_in(layout, sub, f"{INTERNAL}/{legacy}", every_name=True,
                                   retry_blocked=retry_blocked)
            empty = not _fs.list_dir(sub)
            layout.forget((INTERNAL, legacy))
            if empty:  # so that later operations need not look into it
                _fs.remove_tree(internal, legacy)
    actions += _recover_in(layout, internal, INTERNAL, every_name=False,
                           retry_blocked=retry_blocked)
    return actions


def _recover_in(layout: Layout, staging: _fs.Dir, shown: str, *, every_name: bool,
                retry_blocked: bool) -> list[str]:
    """Recover the journal files in ``staging`` (every entry in a legacy folder;
    only journal names in ``.a3s_store`` itself)."""
    actions: list[str] = []
    entries = [e for e in _fs.list_dir(staging) if every_name or is_journal_name(e.name)]
    blocked = set() if retry_blocked else blocked_ids(entries)
    rolled_back = False
    for name in sorted(e.name for e in entries):
        txid = name[: -len(".commit")]
        if not name.endswith(".commit") or txid in blocked:
            continue
        record, why = _decide(layout, staging, txid)
        if record is None:  # remove_tree: a folder or link planted at the name goes too
            _fs.remove_tree(staging, name)
            rolled_back = True
            actions.append(f"rolled back interrupted save {txid}{why}")
            continue
        try:
            apply(layout, staging, txid, record)
        except OBSTACLES as exc:
            blocked.add(txid)
            actions.append(_blocked(layout, staging, txid, record, exc, retry_blocked))
            continue
        actions.append(f"finished interrupted save {txid}")
    if rolled_back and layout.durable:
        # The records' removal is durable before their staged files go: a
        # record that came back without them would look like a save under way.
        _fs.fsync_dir(staging)
    for entry in _fs.list_dir(staging):  # files of uncommitted transactions, temporary files
        if not (every_name or is_journal_name(entry.name)) or journal_id(entry.name) in blocked:
            continue
        if entry.is_dir(follow_symlinks=False):
            _fs.remove_tree(staging, entry.name)
        else:
            _fs.unlink(staging, entry.name)
        actions.append(f"removed leftover {shown}/{entry.name}")
    if actions and layout.durable:
        _fs.fsync_dir(staging)
    return actions


def _blocked(layout: Layout, staging: _fs.Dir, txid: str, record: JournalRecord, exc: Exception,
             set_aside: bool) -> str:
    """Mark a transaction that cannot be finished (or set it aside); the log line."""
    where = getattr(exc, "path", None) or getattr(exc, "filename", None) or ""
    reason = getattr(exc, "message", None) or getattr(exc, "strerror", None) or str(exc)
    if set_aside:
        to = layout.folder(JOURNAL_QUARANTINE, create=True)
        for entry in _fs.list_dir(staging):
            if journal_id(entry.name) == txid:
                _fs.replace(staging, entry.name, to, entry.name)
        return (f"set aside interrupted save {txid}, which cannot be finished ({reason}: "
                f"{where}), into {layout.path(JOURNAL_QUARANTINE)}")
    marker = {"version": 1, "txid": txid, "reason": reason, "path": str(where),
              "targets": [[*step["folder"], step["name"]] for step in record]}
    name = txid + BLOCKED
    _fs.unlink(staging, name)
    _fs.write_new(staging, name, _json.encode_bytes(marker), durable=False)
    return (f"left interrupted save {txid}: it cannot be finished ({reason}: {where}); "
            "verify --repair finishes it once that is fixed, or sets it aside")


def read_blocked(layout: Layout, txids: set[str]) -> list[dict[str, Any]]:
    """The markers of blocked transactions (each with its ``targets``, as
    tuples of names under the root); a damaged marker counts as blocking
    nothing in particular."""
    out = []
    for txid in sorted(txids):
        data = layout.read_small((INTERNAL,), txid + BLOCKED, 1 << 20)
        marker: Any  # decoded JSON, checked below
        try:
            marker = _json.decode(data) if data is not None else None
        except CorruptDataError:
            marker = None
        if type(marker) is not dict or type(marker.get("targets")) is not list:
            marker = {"txid": txid, "reason": "unreadable marker", "path": "", "targets": []}
        marker["targets"] = {tuple(t) for t in marker["targets"]
                             if type(t) is list and all(type(p) is str for p in t)}
        marker["marker"] = layout.path((INTERNAL,), txid + BLOCKED)
        out.append(marker)
    return out


def _decide(layout: Layout, staging: _fs.Dir, txid: str) -> tuple[JournalRecord | None, str]:
    """(the record to finish, or None to roll back; why, for the log)."""
    record = _read_record(staging, txid)
    if record is None or not _staged_intact(staging, record):
        return None, ""
    if _untouched(layout, staging, record):
        return None, " (nothing published)"
    return record, ""


def will_finish(layout: Layout, txid: str) -> bool:
    """Whether :func:`recover` will finish the interrupted transaction ``txid``
    (True) or roll it back (False). Reads only; for reports made before recovery."""
    for parts in ((INTERNAL,), *((INTERNAL, legacy) for legacy in LEGACY_FOLDERS)):
        staging = layout.folder(parts)
        if staging is not None and _fs.stat_entry(staging, f"{txid}.commit") is not None:
            return _decide(layout, staging, txid)[0] is not None
    return False


def _read_record(staging: _fs.Dir, txid: str) -> JournalRecord | None:
    try:
        got = _fs.read_file(staging, f"{txid}.commit", 64 << 20)
        if got is None:
            return None
        doc = _json.decode(got[0])
    except (CorruptDataError, UnsafePathError):
        return None  # a torn record: the save never reached its commit point
    if type(doc) is not dict or doc.get("version") not in (1, 2) \
            or not _valid_ops(doc.get("ops")):
        return None  # torn, or not one this module wrote: never acted on
    ops: JournalRecord = doc["ops"]  # checked by _valid_ops
    return ops


# What a commit record holds for each kind of step: key -> check of its value.
_STEP_KEYS: dict[object, dict[str, str]] = {  # looked up with any decoded "op"
    "put": {"folder": "folder", "name": "name", "src": "name", "size": "size",
            "sha256": "sha256"},
    "remove": {"folder": "folder", "name": "name"},
    "move": {"folder": "folder", "name": "name", "to_folder": "folder", "to_name": "name"},
    "remove_tree": {"folder": "folder", "name": "name", "trash": "name"},
}


def _plain_name(value: object) -> bool:
    return (type(value) is str and value not in ("", ".", "..") and "/" not in value
            and "\\" not in value and "\0" not in value)


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "folder": lambda v: type(v) is list and all(_plain_name(p) for p in v),
    "name": _plain_name,
    "size": lambda v: type(v) is int and v >= 0,
    "sha256": lambda v: type(v) is str and len(v) == 64,
    "flag": lambda v: v is True,
}


def _valid_ops(ops: object) -> bool:
    """Whether ``ops`` is a list of steps exactly as :class:`Transaction` writes them.

    A record is acted on only then: a damaged or planted record naming
    ``..`` or a path with separators would otherwise remove or replace
    files outside the store's root.
    """
    if type(ops) is not list:
        return False
    for step in ops:
        if type(step) is not dict:
            return False
        keys = _STEP_KEYS.get(step.get("op"))
        if step.get("op") == "put" and "new_folder" in step:
            if step["new_folder"] is not True:
                return False
            keys = {**_STEP_KEYS["put"], "new_folder": "flag"}
        if keys is None or step.keys() != keys.keys() | {"op"}:
            return False
        if not all(_CHECKS[kind](step[key]) for key, kind in keys.items()):
            return False
    return True


def _untouched(layout: Layout, staging: _fs.Dir, record: JournalRecord) -> bool:
    """Whether no step of a committed record has taken effect yet.

    Proof for each step that it has not run: a new file is still staged
    (and its new folder, if it needed one, does not exist); a file or folder
    to remove or move is still there (and a folder's trash name is not).
    A staged file that is gone counts as renamed only on evidence: its
    target holds the recorded size and SHA-256 (absence alone proves
    nothing: a power cut may have lost the staged name itself). A removal
    of something already gone counts as begun, so the transaction is
    finished: rolling forward is always safe, rolling back only when nothing
    can have changed.
    """
    for step in record:
        kind = step.get("op")
        folder = layout.folder(tuple(step["folder"]))
        if kind == "put":
            if _fs.stat_entry(staging, step["src"]) is None and _holds(folder, step):
                return False
            if step.get("new_folder") and folder is not None:
                return False
        elif kind in ("remove", "move", "remove_tree"):
            if folder is None or _fs.stat_entry(folder, step["name"]) is None:
                return False
            if kind == "remove_tree" and _fs.stat_entry(staging, step["trash"]) is not None:
                return False
        else:
            return False
    return True


def _staged_intact(staging: _fs.Dir, record: JournalRecord) -> bool:
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
            got = _fs.read_file(staging, step["src"], max(step["size"], 0) + 1)
        except (CorruptDataError, UnsafePathError):  # not a file this module staged
            return False
        if got is None:
            continue
        data = got[0]
        if len(data) != step["size"] or hashlib.sha256(data).hexdigest() != step["sha256"]:
            return False
    return True


def _holds(folder: _fs.Dir | None, step: dict[str, Any]) -> bool:
    """Whether ``folder/name`` holds exactly the bytes a put step staged."""
    if folder is None:
        return False
    try:
        got = _fs.read_file(folder, step["name"], step["size"] + 1)
    except (CorruptDataError, UnsafePathError):
        return False
    return got is not None and len(got[0]) == step["size"] \
        and hashlib.sha256(got[0]).hexdigest() == step["sha256"]
