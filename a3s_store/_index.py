"""The listing index: every session's id and summary, without reading every file.

``.a3s_store/index.json`` holds one row per JSON file in the root: its name,
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
fsync under the shared lock (atomic rename of a uniquely named file), so
concurrent readers may both rewrite it; either result is correct.
"""

from __future__ import annotations

import time

from . import _fs, _json
from .errors import CorruptDataError

__all__ = ["RACY_NS", "INDEX_NAME", "IDS_NAME", "Row", "load_rows", "load_ids",
           "rows_are_fresh", "encode_rows", "encode_ids", "needs_rewrite"]

#: An index built less than this long after the folder changed is re-checked.
RACY_NS = 2_000_000_000
INDEX_NAME = "index.json"
#: The sorted ids alone, so that ``list()`` reads a small file.
IDS_NAME = "ids.json"
_VERSION = 1

# A row: [file name, id or None, name, state, model, messages, created_at,
#         updated_at, size, mtime_ns, ino]
Row = list


def _load(internal: _fs.Dir | None, name: str, key: str, max_bytes: int):
    if internal is None:
        return None
    try:
        got = _fs.read_file(internal, name, max_bytes)
        if got is None:
            return None
        doc = _json.decode(got[0], strict=False)
    except CorruptDataError:
        return None
    if (type(doc) is not dict or doc.get("version") != _VERSION
            or type(doc.get(key)) is not list or type(doc.get("root_mtime_ns")) is not int
            or type(doc.get("built_ns")) is not int):
        return None
    return doc["root_mtime_ns"], doc["built_ns"], doc[key]


def load_rows(internal: _fs.Dir | None, max_bytes: int) -> tuple[int, int, list[Row]] | None:
    """(root mtime it was built for, build time, rows), or None when unusable."""
    index = _load(internal, INDEX_NAME, "rows", max_bytes)
    if index is None or not all(type(r) is list and len(r) == 11 for r in index[2]):
        return None
    return index


def load_ids(internal: _fs.Dir | None, max_bytes: int) -> tuple[int, int, list[str]] | None:
    """(root mtime, build time, sorted ids), or None when unusable."""
    index = _load(internal, IDS_NAME, "ids", max_bytes)
    if index is None or not all(type(i) is str for i in index[2]):
        return None
    return index


def rows_are_fresh(index: tuple[int, int, list[Row]] | None, root_mtime_ns: int) -> bool:
    """Whether the index may be used without scanning the folder."""
    return (index is not None and index[0] == root_mtime_ns
            and index[1] - root_mtime_ns > RACY_NS)


def encode_rows(root_mtime_ns: int, rows: list[Row]) -> bytes:
    """The index file for ``rows``, built now against ``root_mtime_ns``."""
    return _json.encode_compact({"version": _VERSION, "root_mtime_ns": root_mtime_ns,
                                 "built_ns": time.time_ns(), "rows": rows})


def encode_ids(root_mtime_ns: int, ids: list[str]) -> bytes:
    """The ids file for ``ids``, built now against ``root_mtime_ns``."""
    return _json.encode_compact({"version": _VERSION, "root_mtime_ns": root_mtime_ns,
                                 "built_ns": time.time_ns(), "ids": ids})


def needs_rewrite(index, root_mtime_ns: int, rows: list[Row]) -> bool:
    """Whether to write the index back: it changed, or it can now be trusted."""
    if index is None or index[2] != rows or index[0] != root_mtime_ns:
        return True
    return not rows_are_fresh(index, root_mtime_ns) and \
        time.time_ns() - root_mtime_ns > RACY_NS
