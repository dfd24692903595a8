"""Listing a store's sessions through the listing index (see ``_index``).

:func:`rows` returns one row per JSON file in the root, from the first of
these that can vouch for the root as it is now:

1. the index, built against the root's current mtime (one small file read);
2. the index plus the changes the store's own saves logged since
   (``_changes``): their rows are applied, no folder is read;
3. a scan: every file's signature is compared with its row, and only new or
   changed files are looked at (``_listing_rows``).

``check=True`` always scans, which also notices a file rewritten in place.
The index and the ids file are written back only when what they hold
changed (or they become trustworthy, once the freshness window passed).
"""

from __future__ import annotations

import bisect
import functools
import gc
import time
from collections.abc import Iterable
from typing import Any

from . import _changes, _clock, _commit, _fs, _index
from ._commit import is_journal_name
from ._layout import CACHE, INTERNAL, Layout
from ._listing_rows import finish, row_of
from ._v1 import list_v1, read_v1
from .errors import CorruptDataError, UnsafePathError
from .snapshot import SessionSummary

__all__ = ["ids", "ids_of", "rows", "summaries", "CACHE_TEMP_GRACE_NS"]

_new_summary = functools.partial(tuple.__new__, SessionSummary)
_UNREAD = object()


def ids_of(index_rows: list[Any]) -> list[str]:
    """The sorted, distinct session ids of index rows."""
    return sorted({row[1] for row in index_rows if row[1] is not None})


def ids(layout: Layout) -> list[str]:
    """The sorted ids of the store's sessions, from the small ids file when it
    (with the changes logged since) can vouch for the root."""
    root_mtime = _fs.stat_dir(layout.root).st_mtime_ns
    cached = _index.load_ids(layout)
    found = None
    if cached is not None and cached.trusted:
        if cached.root_mtime_ns == root_mtime:
            found = list(cached.data)  # shared with the next listing: the caller's copy
        else:
            steps = _changes.chain(_changes.read(layout), cached.root_mtime_ns, root_mtime)
            if steps is not None:
                found = _apply_ids(cached.data, steps)
    if found is None:
        found = ids_of(rows(layout))
    envelopes = list_v1(layout)
    if not envelopes:
        return found
    return sorted(set(found).union(identifier for identifier, _ in envelopes))


def _apply_ids(known: list[str], steps: list[dict[str, Any]]) -> list[str]:
    present = set(known)
    for entry in steps:
        for identifier, stored in entry["ids"]:
            if stored:
                present.add(identifier)
            else:
                present.discard(identifier)
    return sorted(present)


def summaries(layout: Layout, *, check: bool = False) -> list[SessionSummary]:
    """A summary of every session, sorted by id; straight from the index's
    columns when it (with the changes logged since) can vouch for the root:
    no file but the index and the log is read. A damaged session is listed
    with its ``problem``."""
    index = _index.load_columns(layout)
    found = entries = None
    if not check and index is not None and index.trusted:
        root_mtime = _fs.stat_dir(layout.root).st_mtime_ns
        if index.root_mtime_ns == root_mtime:
            found = list(_summaries_of_index(index))
        else:
            entries = _changes.read(layout)
            steps = _changes.chain(entries, index.root_mtime_ns, root_mtime)
            if steps is not None and len(entries) < _changes.FOLD_AFTER:
                found = _patched(index, steps)
    if found is None:
        found = _summaries_of(rows(layout, check=check, log=entries,
                                   index=None if index is None else _index.as_rows(index)))
    envelopes = list_v1(layout)
    return _with_envelopes(layout, found, envelopes) if envelopes else found


#: The summaries made last from an index this process parsed (``_index`` hands
#: out the same object for the same bytes): (that index, its summaries), one
#: tuple[Any, ...] so that threads always see a matching pair.
_last_made: tuple[Any, ...] = (None, [])


def _summaries_of_index(index: _index.Cached) -> list[SessionSummary]:
    """The summaries of an index's sessions (shared: copy before changing)."""
    global _last_made
    made_from, made = _last_made
    if made_from is not index:
        made = _from_columns(index.data)
        _last_made = (index, made)
    return made  # type: ignore[no-any-return]  # (the tuple's parts are typed by use)


def _from_columns(columns: list[Any]) -> list[SessionSummary]:
    count = len(columns[1]) - columns[1].count(None)  # sessions come first
    return _made(zip(*(col[:count] for col in columns[1:10])))


def _summaries_of(index_rows: list[Any]) -> list[SessionSummary]:
    return _made(row[1:10] for row in index_rows if row[1] is not None)


def _made(fields: Iterable[Any]) -> list[SessionSummary]:
    """A summary of each tuple of fields, through C-level ``map`` and
    ``tuple.__new__`` (a named tuple's own ``__new__`` is a Python function,
    and this runs 10,000 times per listing). The collector is paused
    meanwhile: the new tuples cannot form cycles, and its passes over them
    took half the time."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return list(map(_new_summary, fields))
    finally:
        if paused:
            gc.enable()


def _patched(index: _index.Cached, steps: list[dict[str, Any]]) -> list[SessionSummary] | None:
    """The summaries of the index's columns with the logged rows applied in
    place (a few list edits), or None for a change that needs the whole rows
    (a file that hid another copy of its id, a file that was not a session)."""
    columns = index.data
    found = list(_summaries_of_index(index))
    count = len(found)
    if count != len(columns[0]):
        return None  # files without an id: a removal may uncover a hidden copy
    ids = columns[1][:count]  # sorted: the sessions come first, by id
    holder = dict(zip(columns[0], ids))
    for entry in steps:
        for name, row in entry["rows"]:
            old = holder.pop(name, None)
            if old is not None:
                at = bisect.bisect_left(ids, old)
                del ids[at], found[at]
            if row is None:
                continue
            if not _index.row_ok(row) or row[0] != name or row[1] is None:
                return None
            at = bisect.bisect_left(ids, row[1])
            if at < len(ids) and ids[at] == row[1]:
                return None  # another file holds this id too: the newer one is listed
            ids.insert(at, row[1])
            found.insert(at, _new_summary(row[1:10]))
            holder[name] = row[1]
    return found


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


def rows(layout: Layout, *, check: bool = False,
         index: _index.Cached | None | object = _UNREAD,
         log: list[dict[str, Any]] | None = None) -> list[Any]:
    """The listing index rows, current for the root (see the module docstring).

    ``index``: the index as :func:`_index.load_rows` gives it, when already read;
    ``log``: the change log, when already read (if the root changed since, it
    cannot chain to the root's mtime now, and the folder is scanned).
    """
    # The rows are vouched for as of this moment, before anything is read: a
    # change after it moves the root's mtime once the window has passed.
    seen_ns = time.time_ns()
    root_mtime = _fs.stat_dir(layout.root).st_mtime_ns
    if not isinstance(index, _index.Cached):
        index = _index.load_rows(layout) if index is _UNREAD else None
    if not check and index is not None and index.trusted:
        if index.root_mtime_ns == root_mtime:
            _keep_ids(layout, root_mtime, index, seen_ns)
            return list(index.data)
        entries = _changes.read(layout) if log is None else log
        steps = _changes.chain(entries, index.root_mtime_ns, root_mtime)
        applied = None if steps is None else _apply_rows(index.data, steps)
        if applied is not None:
            if len(entries) >= _changes.FOLD_AFTER:
                _write_index(layout, root_mtime, applied, seen_ns)
            return applied
    out = _scan(layout, index)
    if _stale(layout, index, root_mtime, out, seen_ns):
        _write_index(layout, root_mtime, out, seen_ns)
    else:
        _keep_ids(layout, root_mtime, index, seen_ns)
    return out


def _scan(layout: Layout, index: _index.Cached | None) -> list[Any]:
    """Every JSON file of the root, each compared with its row by signature."""
    old = {row[0]: row for row in index.data} if index is not None else {}
    out = []
    for entry in _fs.list_dir(layout.root):
        name = entry.name
        if not name.endswith(".json") or not entry.is_file(follow_symlinks=False):
            continue
        st = _fs.entry_stat(entry)
        row = old.get(name)
        # A row without an id is looked at again: the newer copy that hid it may be gone.
        if row is None or row[1] is None or row[8] != st.st_size \
                or row[10] != st.st_mtime_ns or row[11] != st.st_ino:
            row = row_of(layout, name, (st.st_size, st.st_mtime_ns, st.st_ino), row)
        out.append(row)
    return finish(out)


def _apply_rows(known: list[Any], steps: list[dict[str, Any]]) -> list[Any] | None:
    """The rows after the logged changes, or None when they cannot be applied
    alone (a removal where an older copy may have been hidden by the removed one)."""
    by_name = {row[0]: row for row in known}
    hidden = any(row[1] is None for row in known)
    for entry in steps:
        for name, row in entry["rows"]:
            if row is None:
                if hidden:
                    return None
                by_name.pop(name, None)
            elif _index.row_ok(row) and row[0] == name:
                by_name[name] = row
            else:
                return None  # not a row this version writes
    return finish(list(by_name.values()))


def _window(layout: Layout) -> int:
    return _clock.window_ns(layout, _fs.stat_dir(layout.root).st_dev)


def _stale(layout: Layout, cached: _index.Cached | None, root_mtime: int,
           data: list[Any], seen_ns: int) -> bool:
    """Whether a cache file must be written: it holds other data, or was built
    for another mtime, or it can be trusted now (the window passed) and is not."""
    if cached is None or cached.data != data or cached.root_mtime_ns != root_mtime:
        return True
    return not cached.trusted and seen_ns - root_mtime > _window(layout)


def _keep_ids(layout: Layout, root_mtime: int, index: _index.Cached | None,
              seen_ns: int) -> None:
    """Write the ids file when it does not hold what the index does."""
    known = ids_of(index.data) if index is not None else []
    if _stale(layout, _index.load_ids(layout), root_mtime, known, seen_ns):
        _write_index(layout, root_mtime, index.data if index is not None else [], seen_ns,
                     ids_only=True)


def _write_index(layout: Layout, root_mtime: int, rows: list[Any], seen_ns: int, *,
                 ids_only: bool = False) -> None:
    """Write the listing index and the ids file (caches: no fsync) where the
    store is writable, and drop the change log they now include.

    Readers write them too, under the shared lock, so their temporary files
    live in the cache folder, never beside a writer's journal files; one left
    by a reader that died is removed here once it is :data:`CACHE_TEMP_GRACE_NS`
    old (writing the index takes milliseconds).
    """
    try:
        if layout.folder((INTERNAL,)) is None:
            return  # not a store yet: a reader never makes its folder
        if layout.folder(CACHE, create=True, durable=False) is None:
            return
        window = _window(layout)
        _sweep_dead_readers(layout)
        files = [(_index.IDS_NAME,
                  _index.encode_ids(root_mtime, window, ids_of(rows), seen_ns))]
        if not ids_only:
            files.insert(0, (_index.INDEX_NAME,
                             _index.encode_rows(root_mtime, window, rows, seen_ns)))
        for name, data in files:
            _commit.write_one(layout, CACHE, name, data, durable=False, staging=CACHE)
        if not ids_only:
            _changes.forget(layout)
    except (OSError, UnsafePathError, CorruptDataError):
        pass  # a read-only store (or a link in our folder) lists all the same, more slowly


#: A temporary file in the cache folder older than this belongs to a reader that died.
CACHE_TEMP_GRACE_NS = 60 * 1_000_000_000


def _sweep_dead_readers(layout: Layout) -> None:
    now = time.time_ns()
    for entry in layout.entries(CACHE):
        if is_journal_name(entry.name) and entry.is_file(follow_symlinks=False):
            cache = layout.folder(CACHE)
            if cache is not None and now - _fs.entry_stat(entry).st_mtime_ns > CACHE_TEMP_GRACE_NS:
                _fs.unlink(cache, entry.name)
