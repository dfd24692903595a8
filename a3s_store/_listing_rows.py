"""One listing index row per root file (see ``_index`` for the row's fields).

A file is looked at through the store's metadata when the record names that
very file (same size, mtime and inode), by parsing it otherwise. A file that
cannot be read as a session but is known to be one (the store's metadata
record for its name holds an id it may be stored under, the previous row
listed it, or its first bytes name such an id) is a *damaged session*: its
row keeps the id and the last summary known, and says what is wrong in the
``problem`` column, so that a listing shows it as damaged instead of hiding
it. Any other file that is not a session (``notes.json``) gets id None and
is left to ``verify``.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from . import _codec
from ._components import SESSION
from ._layout import Layout
from ._resolve import may_hold, read_meta
from .errors import CorruptDataError, UnsafePathError

#: A file's size, mtime (ns) and inode.
Sig = tuple[int, int, int]

__all__ = ["row_of", "session_row", "finish"]

_FIELDS = ("name", "state", "model", "messages", "created_at", "updated_at")


def session_row(name: str, session_id: str, summary: dict[str, Any], sig: Sig,
                problem: str | None = None) -> list[Any]:
    """The row of root file ``name`` holding ``session_id`` (``summary``: the
    dict ``_codec.summary_of`` makes; ``sig``: size, mtime, inode)."""
    size, mtime, ino = sig
    return [name, session_id, *(summary[k] for k in _FIELDS), size, problem, mtime, ino]


def _blank(name: str, sig: Sig) -> list[Any]:
    return [name, None, "", "", None, 0, 0, 0, sig[0], None, sig[1], sig[2]]


def row_of(layout: Layout, name: str, sig: Sig, old: list[Any] | None) -> list[Any]:
    """The index row of root file ``name`` whose signature is ``sig`` (size,
    mtime, inode); ``old`` is its previous row (None when it is new to the index)."""
    stem = name[:-5]
    meta = read_meta(layout, stem)
    if meta is not None and not may_hold(layout, SESSION.where, stem, meta["id"]):
        meta = None
    if meta is not None and meta["files"].get("session") == list(sig) \
            and type(meta.get("summary")) is dict:
        return session_row(name, meta["id"], meta["summary"], sig)
    head = b""
    try:
        got = layout.read((), name)
        if got is None:
            return _blank(name, sig)
        head = got[0][:4096]
        session = _codec.decode_session(got[0], strict=True, path=layout.path((), name))
    except (CorruptDataError, UnsafePathError) as exc:
        return _damaged(layout, name, sig, old, meta, head, exc)
    if not may_hold(layout, SESSION.where, stem, session.id):
        return _blank(name, sig)  # a copy under a name that is not the id's: verify reports it
    return session_row(name, session.id, _codec.summary_of(session), sig)


def _damaged(layout: Layout, name: str, sig: Sig, old: list[Any] | None,
             meta: dict[str, Any] | None,
             head: bytes, exc: Exception) -> list[Any]:
    """The row of a file that cannot be read as a session: a damaged session's
    when something shows it is one, a blank row otherwise."""
    key = getattr(exc, "key", None)
    problem = "damaged: " + (f"{key}: " if key else "") + getattr(exc, "message", str(exc))
    if meta is not None:
        summary = meta.get("summary")
        if type(summary) is dict:
            return session_row(name, meta["id"], summary, sig, problem)
        return session_row(name, meta["id"], _unknown(), sig, problem)
    if old is not None and old[1] is not None:
        return [name, *old[1:8], sig[0], problem, sig[1], sig[2]]
    found = _codec.peek_id(head) if head else None
    if found is not None and may_hold(layout, SESSION.where, name[:-5], found):
        return session_row(name, found, _unknown(), sig, problem)
    return _blank(name, sig)  # not a session as far as anything shows: verify reports it


def _unknown() -> dict[str, Any]:
    return {"name": "", "state": "", "model": None, "messages": 0, "created_at": 0,
            "updated_at": 0}


def finish(rows: list[Any]) -> list[Any]:
    """``rows`` with each id listed once (of two files holding one id, the
    newer; the other's id is set to None in the returned rows only) and
    sorted: sessions by id, then the other files by name."""
    newest: dict[str, int] = {}
    out = list(rows)
    for i, row in enumerate(out):
        if row[1] is None:
            continue
        j = newest.get(row[1])
        if j is None:
            newest[row[1]] = i
            continue
        older, newer = (j, i) if out[j][10] < row[10] else (i, j)
        out[older] = [out[older][0], None, *out[older][2:]]
        newest[row[1]] = newer
    sessions = [row for row in out if row[1] is not None]
    sessions.sort(key=itemgetter(1))  # each id once now
    others = [row for row in out if row[1] is None]
    others.sort(key=itemgetter(0))
    return sessions + others
