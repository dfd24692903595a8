"""The store's own changes to its root folder, logged by its writers for the listing index.

A save knows exactly which files of the root it replaced or removed, so
instead of leaving the next listing to scan the folder (its mtime moved),
it appends one line to ``.a3s_store/cache/changes.log``::

    {"before": <root mtime before its first change>, "after": <root mtime after its last>,
     "rows": [[<file name>, <its index row, or null when removed>], ...],
     "ids": [[<session id>, <true: stored now, false: gone>], ...]}

A listing whose index was built against mtime ``M`` follows the entries
from the one whose ``before`` is ``M`` to the one whose ``after`` is the
root's mtime now (:func:`chain`) and applies their rows instead of scanning.
Anything else changing the root (a3s-code, a recovery, a save that did not
log) leaves a gap in the chain, and the listing scans as before: the log can
make a listing faster, never wrong. An entry is written only when ``after``
was read a freshness window (``_clock``) after it was set, so a change made
after that read moves the mtime past ``after``; a torn line is skipped (and
breaks the chain). The log is a cache: written without fsync, under the
exclusive lock, and like every file of the store never in place (the old
entries and the new one go to a temporary file renamed over it: a copy of
the store made with hard links shares nothing); a listing that folds it into
the index removes it, and a writer starts it afresh past :data:`MAX_ENTRIES`.

What it cannot see: another program changing a root file during a save,
between its first and last look at the root's mtime (the time of a durable
save: about 1 to 3 ms on this machine's ext4, measured in review); it stays
hidden from listings that apply the log until a scan: a ``check=True``
listing (what ``a3s-store list`` does) finds it.
"""

from __future__ import annotations

import time
from typing import Any

from . import _commit, _fs, _json
from ._commit import Remove
from ._layout import CACHE, Layout
from ._listing_rows import session_row
from .errors import CorruptDataError, UnsafePathError

__all__ = ["LOG_NAME", "FOLD_AFTER", "MAX_ENTRIES", "record", "read", "chain", "forget",
           "root_rows"]

LOG_NAME = "changes.log"
#: A listing folds the log into the index once it holds this many entries.
FOLD_AFTER = 64
#: A writer finding this many entries (no listing read them) starts the log
#: afresh: the next listing scans once, and a save never copies much.
MAX_ENTRIES = 256
_LIMIT = 1 << 20  # a longer log is not read
#: The longest a writer waits for its last look at the root's mtime to be a
#: window after the mtime (a durable save's folder fsync takes longer anyway).
MAX_WAIT_NS = 2_000_000


def record(layout: Layout, before: int, rows: list[Any], ids: list[Any], window: int) -> None:
    """Log one operation's changes to the root (see the module docstring);
    ``before`` is the root's mtime before its first change. Silently skipped
    where the cache cannot be written: the next listing scans instead."""
    try:
        after = _fs.stat_dir(layout.root).st_mtime_ns
        if after == before:
            return  # the root did not change (or not visibly: then the index is racy too)
        late = time.time_ns() - after
        if late <= window:
            if window - late > MAX_WAIT_NS:
                return  # a coarse clock: cheaper to let the listing scan
            time.sleep((window - late + 1) / 1e9)
        # Looked at again a window after it was set (always: the same calls
        # every time, which the fault sweeps count on): unchanged, no change
        # of anyone else's can hide in its tick.
        if _fs.stat_dir(layout.root).st_mtime_ns != after:
            return
        cache = layout.folder(CACHE, create=True, durable=False)
        if cache is None:
            return
        line = _json.encode_compact({"before": before, "after": after, "rows": rows,
                                     "ids": ids}) + b"\n"
        old = layout.read_small(CACHE, LOG_NAME, _LIMIT) or b""
        if old.count(b"\n") >= MAX_ENTRIES or not old.endswith(b"\n"):
            old = b""  # too long, or torn: its entries are not needed
        _commit.write_one(layout, CACHE, LOG_NAME, old + line, durable=False,
                          mode=layout.options.file_mode, staging=CACHE)
    except (OSError, UnsafePathError, CorruptDataError):
        pass  # a read-only cache folder, or a link in its place: listings scan


def root_rows(steps: list[Any], session_files: dict[str, Any], session_id: str | None,
              summary: dict[str, Any] | None) -> list[Any] | None:
    """The log rows of an operation's changes to the root: ``steps`` (journal
    steps), ``session_files`` (root file name -> signature of the session file
    it published). None when one of them cannot be described (a move into the
    root, a session file whose summary is not known): the listing scans."""
    out: list[Any] = []
    for step in steps:
        if isinstance(step, Remove) and step.folder == ():
            out.append([step.name, None])
        elif step.folder == () or getattr(step, "to_folder", None) == ():
            return None
    for name, sig in session_files.items():
        if summary is None or session_id is None:
            return None
        out.append([name, session_row(name, session_id, summary, sig)])
    return out


def read(layout: Layout) -> list[dict[str, Any]]:
    """The log's whole entries, in order ([] when there is none or it is too long)."""
    try:
        data = layout.read_small(CACHE, LOG_NAME, _LIMIT)
    except (UnsafePathError, CorruptDataError):
        return []
    if not data:
        return []
    entries: list[dict[str, Any]] = []
    for line in data.split(b"\n"):
        try:
            entry = _json.decode(line, strict=False) if line else None
        except CorruptDataError:
            entry = None  # torn by a crash: its gap breaks any chain through it
        if type(entry) is dict and _entry_ok(entry):
            entries.append(entry)
    return entries


def _entry_ok(entry: object) -> bool:
    if type(entry) is not dict or type(entry.get("before")) is not int \
            or type(entry.get("after")) is not int:
        return False
    rows, ids = entry.get("rows"), entry.get("ids")
    return (type(rows) is list and type(ids) is list
            and all(type(r) is list and len(r) == 2 and type(r[0]) is str for r in rows)
            and all(type(i) is list and len(i) == 2 and type(i[0]) is str
                    and type(i[1]) is bool for i in ids))


def chain(entries: list[dict[str, Any]], start: int,
          root_mtime: int) -> list[dict[str, Any]] | None:
    """The entries that lead from mtime ``start`` to ``root_mtime``, in order
    ([] when they are equal), or None when the log does not lead there."""
    if start == root_mtime:
        return []
    by_start = {entry["before"]: entry for entry in entries}
    out: list[dict[str, Any]] = []
    at = start
    while at != root_mtime:
        entry = by_start.get(at)
        if entry is None or len(out) > len(entries):
            return None
        out.append(entry)
        at = entry["after"]
    return out


def forget(layout: Layout) -> None:
    """Remove the log (its entries are in the index now); a missing one is fine."""
    try:
        cache = layout.folder(CACHE)
        if cache is not None:
            _fs.unlink(cache, LOG_NAME)
    except (OSError, UnsafePathError, CorruptDataError):
        pass
