"""``verify --adopt``: accept the files of a session as they are as the store's own.

A store restored from a backup or copied with ``cp -a`` holds the same
bytes under new inodes, so every file looks "changed outside a3s_store"
to ``verify`` for ever. Adopting a session rewrites its metadata record to
name the files there now, so the notes stop. It never hides damage: only a
session whose session file parses as a session of the id it records is
adopted, and of its side files only those that parse; a damaged one keeps
its old record (and ``verify`` still reports it as a problem). The
session's revision stays what loads return now, so a caller holding it
may still save, and one holding an older revision still gets a conflict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _codec, _commit, _json
from .._components import SESSION, SIDE
from .._layout import META
from .._session_files import revision
from ..errors import CorruptDataError, UnsafePathError
from ._verify import check_side, scan
from ._view import View

if TYPE_CHECKING:
    from . import Checker

__all__ = ["adopt"]


def adopt(checker: Checker) -> list[tuple[str, str]]:
    """Adopt every session that ``verify`` notes as changed outside the store;
    (session file path, what was done) per session."""
    stems = sorted({f.name[:-5] for f in scan(checker).findings if f.fix == "adopt"})
    actions = []
    for stem in stems:
        with checker.view(exclusive=True) as view:
            actions.append((view.path((), stem + ".json"), _adopt_stem(view, stem)))
    return actions


def _adopt_stem(view: View, stem: str) -> str:
    try:
        got = view.layout.read((), stem + ".json")
        if got is None:
            return "left: its session file is gone"
        session = SESSION.decode(got[0], strict=True, path=None)
    except (CorruptDataError, UnsafePathError) as exc:
        return f"left: its session file does not parse ({exc.message})"
    files = view.op.session(session.id, reading=True)
    meta = files.meta
    if files.use != stem or meta is None or meta["id"] != session.id:
        return "left: it is not where the store keeps this session"
    recorded = dict(meta["files"])
    recorded[SESSION.name] = list(got[1])
    damaged = []
    for component in SIDE:
        folder, name = component.where(stem)
        if view.sig(folder, name) is None:
            recorded.pop(component.name, None)  # removed: no longer the store's
            continue
        sig = check_side(view, folder, name, [])
        if sig is None:
            damaged.append(view.path(folder, name))  # keeps its old record
        else:
            recorded[component.name] = list(sig)
    record = {"id": session.id, "revision": revision(files, got[0]),
              "counter": meta.get("counter", 0), "files": recorded,
              "summary": _codec.summary_of(session)}
    _commit.write_one(view.layout, META, stem + ".json", _json.encode_bytes(record),
                      durable=False)
    if damaged:
        return f"adopted, except the damaged {', '.join(damaged)}"
    return "adopted its files as they are"
