"""The listing index: every session's id and summary, without reading every file.

``.a3s_store/cache/index.json`` holds one row per JSON file in the root: its name,
size, mtime and inode, the session id inside it (None for a file that is not
a session) and the summary a listing shows. It is a cache, never the truth:

* **Fast path.** Session files are only ever replaced by a rename, by this
  store and by a3s-code alike, and a rename changes the root folder's mtime.
  So when the root's mtime is the one the index was built against, the rows
  are current and a listing reads one small file instead of the folder.
  As git does for its index ("racily clean" entries), an index built less
  than :data:`RACY_NS` after the folder last changed is not trusted, since a
  change within the same timestamp tick would not show.
* **Refresh.** Otherwise the folder is scanned and each file's size, mtime
  and inode compared with its row; only new or changed files are looked at
  (through the store's per-session metadata when it matches, by parsing the
  file otherwise), and the index is rewritten.

A lost, torn or foreign index is simply rebuilt. The index is written without
fsync under the shared lock (atomic rename of a uniquely named file made in
the cache folder itself, so a reader's file is never taken for a dead
writer's), so concurrent readers may both rewrite it; either result is
correct.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from typing import Any

from . import _json
from ._layout import CACHE, Layout
from .errors import CorruptDataError, UnsafePathError

__all__ = ["RACY_NS", "INDEX_NAME", "IDS_NAME", "Row", "load_columns", "load_rows",
           "load_ids", "rows_are_fresh", "encode_rows", "encode_ids", "needs_rewrite"]

#: An index built less than this long after the folder changed is re-checked.
RACY_NS = 2_000_000_000
INDEX_NAME = "index.json"
#: The sorted ids alone, so that ``list()`` reads a small file.
IDS_NAME = "ids.json"
_VERSION = 2  # 2: the index is stored by columns (about twice as fast to read)

# A row: [file name, id or None, name, state, model, messages, created_at,
#         updated_at, size, mtime_ns, ino]. The file holds the rows as 11
# columns, rows with an id first (sorted by id), then the other files.
Row = list[Any]


def _load(layout: Layout, name: str, key: str) -> tuple[int, int, list[Any]] | None:
    try:
        data = layout.read_small(CACHE, name, layout.options.max_bytes)
    except (UnsafePathError, CorruptDataError):
        return None  # a link or a file where the cache folder should be: never used
    if data is None:
        return None
    try:
        doc = _json.decode(data, strict=False)
    except CorruptDataError:
        return None
    if (type(doc) is not dict or doc.get("version") != _VERSION
            or type(doc.get(key)) is not list or type(doc.get("root_mtime_ns")) is not int
            or type(doc.get("built_ns")) is not int):
        return None
    return doc["root_mtime_ns"], doc["built_ns"], doc[key]


_NONE = type(None)
# The type of each field of a row; a damaged index whose rows differ is
# rebuilt, never used (a row is served as a summary, its name used as a key).
_ROW_TYPES: tuple[set[type], ...] = ({str}, {str, _NONE}, {str}, {str}, {str, _NONE}, {int},
                                     {int}, {int}, {int}, {int}, {int})


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
    if len(columns) != 11 or set(map(type, columns)) != {list} \
            or len(set(map(len, columns))) != 1:
        return False
    if not all([set(map(type, col)) <= t for col, t in zip(columns, _ROW_TYPES)]):
        return False
    return (all(map(str.endswith, columns[0], itertools.repeat(".json")))
            and _are_ids([i for i in columns[1] if i is not None]))


def load_columns(layout: Layout) -> tuple[int, int, list[Any]] | None:
    """(root mtime it was built for, build time, the 11 columns), or None when
    unusable (missing, damaged, of another version or with fields of the
    wrong type: a damaged index is rebuilt, never used)."""
    index = _load(layout, INDEX_NAME, "columns")
    if index is None or not _columns_ok(index[2]):
        return None
    return index


def load_rows(layout: Layout) -> tuple[int, int, list[Row]] | None:
    """(root mtime it was built for, build time, rows), or None when unusable."""
    index = load_columns(layout)
    if index is None:
        return None
    return index[0], index[1], [list(row) for row in zip(*index[2])]


def load_ids(layout: Layout) -> tuple[int, int, list[str]] | None:
    """(root mtime, build time, sorted ids), or None when unusable."""
    index = _load(layout, IDS_NAME, "ids")
    if index is None or not _are_ids(index[2]):
        return None
    return index


def rows_are_fresh(index: tuple[int, int, object] | None, root_mtime_ns: int) -> bool:
    """Whether the index may be used without scanning the folder."""
    return (index is not None and index[0] == root_mtime_ns
            and index[1] - root_mtime_ns > RACY_NS)


def encode_rows(root_mtime_ns: int, rows: list[Row]) -> bytes:
    """The index file for ``rows``, built now against ``root_mtime_ns``."""
    columns = [list(col) for col in zip(*rows)] if rows else [[] for _ in range(11)]
    return _json.encode_compact({"version": _VERSION, "root_mtime_ns": root_mtime_ns,
                                 "built_ns": time.time_ns(), "columns": columns})


def encode_ids(root_mtime_ns: int, ids: list[str]) -> bytes:
    """The ids file for ``ids``, built now against ``root_mtime_ns``."""
    return _json.encode_compact({"version": _VERSION, "root_mtime_ns": root_mtime_ns,
                                 "built_ns": time.time_ns(), "ids": ids})


def needs_rewrite(index: tuple[int, int, list[Row]] | None, root_mtime_ns: int,
                  rows: list[Row]) -> bool:
    """Whether to write the index back: it changed, or it can now be trusted."""
    if index is None or index[2] != rows or index[0] != root_mtime_ns:
        return True
    return not rows_are_fresh(index, root_mtime_ns) and \
        time.time_ns() - root_mtime_ns > RACY_NS
