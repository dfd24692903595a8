"""Listing a store's sessions through the listing index (see ``_index``).

:func:`rows` returns one row per JSON file in the root, refreshed when the
folder changed: unchanged files keep their row, new or changed ones are
looked up (through the store's metadata when it matches the file, by parsing
the file otherwise).
"""

from __future__ import annotations

import functools
import time
from typing import cast

from . import _codec, _commit, _fs, _index
from ._commit import is_journal_name
from ._components import SESSION
from ._index import Row
from ._layout import CACHE, INTERNAL, Layout
from ._resolve import may_hold, read_meta
from ._v1 import list_v1, read_v1
from .errors import CorruptDataError, UnsafePathError
from .snapshot import SessionSummary

__all__ = ["ids", "ids_of", "rows", "summaries"]

_new_summary = functools.partial(tuple.__new__, SessionSummary)


def ids_of(index_rows: list[Row]) -> list[str]:
    """The sorted, distinct session ids of index rows."""
    return sorted({row[1] for row in index_rows if row[1] is not None})


def ids(layout: Layout) -> list[str]:
    """The sorted ids of the store's sessions, from the small ids file when fresh."""
    cached = _index.load_ids(layout)
    if cached is not None and _index.rows_are_fresh(cached, _fs.stat_dir(layout.root).st_mtime_ns):
        found = cached[2]
    else:
        found = ids_of(rows(layout, ids_stale=True))
    envelopes = list_v1(layout)
    if not envelopes:
        return found
    return sorted(set(found).union(identifier for identifier, _ in envelopes))


def summaries(layout: Layout) -> list[SessionSummary]:
    """A summary of every session, sorted by id; straight from the index's
    columns when it is fresh (no file but the index is read)."""
    index = _index.load_columns(layout)
    if index is not None and _index.rows_are_fresh(index, _fs.stat_dir(layout.root).st_mtime_ns):
        columns = index[2]
        count = len(columns[1]) - columns[1].count(None)  # sessions come first
        # tuple.__new__ through C-level map/zip: a named tuple's own __new__
        # is a Python function, and this runs 10,000 times per listing.
        found = list(map(_new_summary, zip(*(col[:count] for col in columns[1:9]))))
    else:
        make = SessionSummary._make
        found = [make(r[1:9]) for r in rows(layout) if r[1] is not None]
    envelopes = list_v1(layout)
    return _with_envelopes(layout, found, envelopes) if envelopes else found


def _with_envelopes(layout: Layout, found: list[SessionSummary],
                    envelopes: list[tuple[str, str]]) -> list[SessionSummary]:
    """The summaries plus those of sessions only a3s-code 5's envelopes hold
    (an envelope that cannot be read is left to ``load`` and ``verify``)."""
    known = {summary.id for summary in found}
    for identifier, _ in envelopes:
        if identifier in known:
            continue  # the 3.4 layout holds it: this package reads that one
        try:
            got = read_v1(layout, identifier)
        except CorruptDataError:
            continue
        if got is not None:
            found.append(SessionSummary.of(got[0].session, size_bytes=got[1][0]))
    found.sort(key=lambda summary: summary.id)
    return found


def rows(layout: Layout, *, ids_stale: bool = False) -> list[Row]:
    """The listing index rows, refreshed if the folder changed.

    ``ids_stale``: the ids file needs writing even if the rows are current.
    """
    root_mtime = _fs.stat_dir(layout.root).st_mtime_ns
    index = _index.load_rows(layout)
    if index is not None and _index.rows_are_fresh(index, root_mtime) and not ids_stale:
        return index[2]
    old = {row[0]: row for row in index[2]} if index else {}
    entries = [e for e in _fs.list_dir(layout.root)
               if e.name.endswith(".json") and e.is_file(follow_symlinks=False)]
    out: list[Row] = []
    for entry in entries:
        sig = list(_fs.Sig.of(_fs.entry_stat(entry)))
        row = old.get(entry.name)
        if row is None or row[8:] != sig:
            row = _row_of(layout, entry.name, sig)
        out.append(row)
    newest: dict[str, Row] = {}  # of two files holding one id, the newer is listed
    for row in out:
        if row[1] is not None:
            other = newest.get(row[1])
            if other is None or other[9] < row[9]:
                if other is not None:
                    other[1] = None
                newest[row[1]] = row
            else:
                row[1] = None
    out.sort(key=lambda r: (r[1] is None, r[1] or "", r[0]))
    if _index.needs_rewrite(index, root_mtime, out) or ids_stale:
        _write_index(layout, root_mtime, out)
    return out


def _write_index(layout: Layout, root_mtime: int, rows: list[Row]) -> None:
    """Write the listing index (a cache: no fsync) where the store is writable.

    Readers write it too, under the shared lock, so its temporary files live
    in the cache folder, never beside a writer's journal files; one left by a
    reader that died is removed here once it is :data:`CACHE_TEMP_GRACE_NS`
    old (writing the index takes milliseconds).
    """
    try:
        if layout.folder((INTERNAL,)) is None:
            return  # not a store yet: a reader never makes its folder
        if layout.folder(CACHE, create=True, durable=False) is None:
            return
        _sweep_dead_readers(layout)
        for name, data in ((_index.INDEX_NAME, _index.encode_rows(root_mtime, rows)),
                           (_index.IDS_NAME, _index.encode_ids(root_mtime, ids_of(rows)))):
            _commit.write_one(layout, CACHE, name, data, durable=False, staging=CACHE)
    except (OSError, UnsafePathError, CorruptDataError):
        pass  # a read-only store (or a link in our folder) lists all the same, more slowly


def _row_of(layout: Layout, name: str, sig: list[int]) -> Row:
    """The index row of one root file: its session id and summary, or id None."""
    stem = name[:-5]
    blank = [name, None, "", "", None, 0, 0, 0] + sig
    meta = read_meta(layout, stem)
    if meta is not None and (meta.get("files") or {}).get("session") == sig \
            and type(meta.get("summary")) is dict \
            and may_hold(layout, SESSION.where, stem, meta["id"]):
        sm = meta["summary"]
        return [name, meta.get("id"), sm.get("name"), sm.get("state"), sm.get("model"),
                sm.get("messages"), sm.get("created_at"), sm.get("updated_at")] + sig
    try:
        got = layout.read((), name)
        if got is None:
            return blank
        session = _codec.decode_session(got[0], strict=True, path=layout.path((), name))
    except (CorruptDataError, UnsafePathError):
        return blank  # not a session: skipped here, reported by verify
    if not may_hold(layout, SESSION.where, stem, session.id):
        return blank  # a copy under a name that is not the id's: verify reports it
    sm = _codec.summary_of(session)
    return [name, session.id, sm["name"], sm["state"], sm["model"], sm["messages"],
            sm["created_at"], sm["updated_at"]] + sig


#: A temporary file in the cache folder older than this belongs to a reader that died.
CACHE_TEMP_GRACE_NS = 60 * 1_000_000_000


def _sweep_dead_readers(layout: Layout) -> None:
    now = time.time_ns()
    for entry in layout.entries(CACHE):
        if (is_journal_name(entry.name) and entry.is_file(follow_symlinks=False)
                and now - _fs.entry_stat(entry).st_mtime_ns > CACHE_TEMP_GRACE_NS):
            _fs.unlink(cast(_fs.Dir, layout.folder(CACHE)), entry.name)  # listed: not None
