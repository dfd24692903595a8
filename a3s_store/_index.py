"""The listing index: every session's id and summary, without reading every file.

``.a3s_store/cache/index.json`` holds one row per JSON file in the root: its name,
size, mtime and inode, the session id inside it (None for a file that is not
a session) and the summary a listing shows. It is a cache, never the truth:

* **Fast path.** Session files are only ever replaced by a rename, by this
  store and by a3s-code alike, and a rename changes the root folder's mtime.
  So when the root's mtime is the one the index was built against, the rows
  are current and a listing reads one small file instead of the folder.
  As git does for its index ("racily clean" entries), an index built less
  than a freshness window after the folder last changed is not trusted,
  since a change within the same timestamp tick would not show; the window
  is measured on the store's file system (``_clock``) and kept in the file.
* **The store's own saves** log what they changed (``_changes``): a listing
  after them applies those rows instead of scanning.
* **Refresh.** Otherwise the folder is scanned and each file's size, mtime
  and inode compared with its row; only new or changed files are looked at
  (through the store's per-session metadata when it matches, by parsing the
  file otherwise), and the index is rewritten, only if it changed.
* **In place.** A file rewritten in place (same inode, no rename) does not
  move the folder's mtime: only a listing with ``check=True`` (which
  compares every file's signature) or a scan sees it.

A lost, torn or foreign index is simply rebuilt. The index is written without
fsync under the shared lock (atomic rename of a uniquely named file made in
the cache folder itself, so a reader's file is never taken for a dead
writer's), so concurrent readers may both rewrite it; either result is
correct.
"""

from __future__ import annotations

import array
import itertools
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from . import _json
from ._clock import DEFAULT_WINDOW_NS
from ._layout import CACHE, Layout
from .errors import CorruptDataError, UnsafePathError

__all__ = ["RACY_NS", "INDEX_NAME", "IDS_NAME", "Cached", "COLUMNS", "load_columns",
           "load_rows", "load_ids", "encode_rows", "encode_ids", "row_ok"]

#: The longest the freshness window can be (scripts that must see an index
#: trusted wait this long after the last change).
RACY_NS = DEFAULT_WINDOW_NS
INDEX_NAME = "index.json"
#: The sorted ids alone, so that ``list()`` reads a small file.
IDS_NAME = "ids.json"
# 2: the index is stored by columns (about twice as fast to read); 3: the
# problem column, the freshness window in the file.
_VERSION = 3

# A row: [file name, id or None, name, state, model, messages, created_at,
#         updated_at, size, problem, mtime_ns, ino]; row[1:10] are the fields
# of a SessionSummary. The file holds the rows as 12 columns, rows with an id
# first (sorted by id), then the other files.
COLUMNS = 12


class Cached(NamedTuple):
    """A listing cache file as read: what it was built for, and its data."""

    root_mtime_ns: int
    built_ns: int
    window_ns: int
    data: list[Any]

    @property
    def trusted(self) -> bool:
        """Built a freshness window after the mtime it was built for, so that
        any later change moved the mtime."""
        return self.built_ns - self.root_mtime_ns > self.window_ns


#: The cache files this process parsed last, by path: (their bytes, what they
#: held). A file read again with the very same bytes is not parsed again
#: (comparing bytes costs a fraction of parsing them); the data is shared,
#: so callers never change it.
_parsed: dict[str, tuple[bytes, Cached]] = {}
_PARSED_MAX = 8


def _load(layout: Layout, name: str, key: str,
          valid: Callable[[Any], bool]) -> Cached | None:
    """The cache file ``name`` whose ``key`` holds data that ``valid(data)``
    accepts, or None."""
    try:
        data = layout.read_small(CACHE, name, layout.options.max_bytes)
    except (UnsafePathError, CorruptDataError):
        return None  # a link or a file where the cache folder should be: never used
    if data is None:
        return None
    path = layout.path(CACHE, name)
    known = _parsed.get(path)
    if known is not None and known[0] == data:
        return known[1]
    try:
        doc = _json.decode(data, strict=False)
    except CorruptDataError:
        return None
    if (type(doc) is not dict or doc.get("version") != _VERSION
            or type(doc.get(key)) is not list or type(doc.get("root_mtime_ns")) is not int
            or type(doc.get("built_ns")) is not int or type(doc.get("window_ns")) is not int
            or not valid(doc[key])):
        return None
    cached = Cached(doc["root_mtime_ns"], doc["built_ns"], doc["window_ns"], doc[key])
    if len(_parsed) >= _PARSED_MAX:
        _parsed.clear()  # (one call: safe with threads)
    _parsed[path] = (data, cached)
    return cached


_NONE = type(None)
# The type of each field of a row; a damaged index whose rows differ is
# rebuilt, never used (a row is served as a summary, its name used as a key).
_ROW_TYPES: tuple[set[type], ...] = (
    {str}, {str, _NONE}, {str}, {str}, {str, _NONE}, {int}, {int}, {int},
    {int}, {str, _NONE}, {int}, {int})


def row_ok(row: object) -> bool:
    """Whether ``row`` has the fields of a row, each of its type (a row read
    from the change log is checked as the index's columns are)."""
    return (type(row) is list and len(row) == COLUMNS
            and all(type(v) in t for v, t in zip(row, _ROW_TYPES, strict=True))
            and row[0].endswith(".json") and (row[1] is None or _are_ids([row[1]])))


def _are_ids(values: Iterable[Any]) -> bool:
    """Whether every value is a str that can name a file (the index is read
    without the surrogate check); column-wise and at C speed for ASCII ids."""
    values = list(values)
    if not set(map(type, values)) <= {str}:
        return False
    if all(map(str.isascii, values)):
        return True
    for value in values:
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def _columns_ok(columns: list[Any]) -> bool:
    if len(columns) != COLUMNS or set(map(type, columns)) != {list} \
            or len(set(map(len, columns))) != 1:
        return False
    if not all(_column_ok(col, types) for col, types in zip(columns, _ROW_TYPES, strict=True)):
        return False
    return (all(map(str.endswith, columns[0], itertools.repeat(".json")))
            and _are_ids([i for i in columns[1] if i is not None]))


def _column_ok(col: list[Any], types: set[type]) -> bool:
    """Whether every value of ``col`` is of ``types``, at C speed (a bool
    passes for an int, which it is: harmless in a count or a time)."""
    if _NONE in types:
        col = [v for v in col if v is not None]
    try:
        if int in types:
            array.array("q", col)  # refuses floats, strings, None, big ints
        else:
            "".join(col)  # refuses anything but str
    except (TypeError, OverflowError):
        return False
    return True


def load_columns(layout: Layout) -> Cached | None:
    """The index with its 12 columns as data, or None when unusable (missing,
    damaged, of another version or with fields of the wrong type: a damaged
    index is rebuilt, never used)."""
    return _load(layout, INDEX_NAME, "columns", _columns_ok)


def load_rows(layout: Layout) -> Cached | None:
    """The index with its rows as data, or None when unusable."""
    index = load_columns(layout)
    if index is None:
        return None
    return as_rows(index)


def as_rows(index: Cached) -> Cached:
    """The index with its columns turned into rows."""
    return index._replace(data=[list(row) for row in zip(*index.data)])


def load_ids(layout: Layout) -> Cached | None:
    """The ids file with the sorted ids as data, or None when unusable."""
    return _load(layout, IDS_NAME, "ids", _are_ids)


def encode_rows(root_mtime_ns: int, window_ns: int, rows: list[list[Any]],
                built_ns: int) -> bytes:
    """The index file for ``rows``, current as of ``built_ns`` (taken before the
    folder was read) against ``root_mtime_ns``."""
    columns = [list(col) for col in zip(*rows)] if rows else [[] for _ in range(COLUMNS)]
    return _json.encode_compact({"version": _VERSION, "root_mtime_ns": root_mtime_ns,
                                 "built_ns": built_ns, "window_ns": window_ns,
                                 "columns": columns})


def encode_ids(root_mtime_ns: int, window_ns: int, ids: list[str], built_ns: int) -> bytes:
    """The ids file for ``ids``, current as of ``built_ns`` against ``root_mtime_ns``."""
    return _json.encode_compact({"version": _VERSION, "root_mtime_ns": root_mtime_ns,
                                 "built_ns": built_ns, "window_ns": window_ns,
                                 "ids": ids})
