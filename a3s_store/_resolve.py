"""Which files belong to an id: the one resolution every store operation goes through.

An id may be stored under several names (``_names.candidates``: a3s-code's
name first, then names of ours), and a name proves nothing by itself:
a3s-code's names are lossy (``a/b`` and ``a_b`` share ``a_b.json``) and a
disk may ignore case (``chat.json`` is ``Chat.json``). So each candidate
is asked who holds it, from evidence:

* a session file there holds an id: the store's metadata record says so
  for that very file (same size, mtime and inode), or the id at the start of
  the file does;
* no session file, but a metadata record of an id whose side files are still
  there: side data saved alone (the name is that id's);
* nothing: the name is free.

A file holding an id that could never be stored under its name (copied or
renamed by hand) is misplaced: a load of the name's id reports it, and no
write replaces it.

:func:`resolve` returns a :class:`SessionFiles`: ``use``, the name the id's
files are at now (the newest copy when two files hold it: an older build
moved a session that a3s-code then wrote again), ``stem``, the name the next
write goes to (the first candidate that is free or holds this id, so
a3s-code's name unless another id holds it), and ``others``, the names of
stale copies (removed by the next write, and by ``delete``).
"""

from __future__ import annotations

import enum
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

from . import _codec, _json
from ._components import COMPONENTS, SESSION, Checkpoint, Component
from ._fs import Sig
from ._layout import META, Layout
from ._names import candidates, creatable, folded, own_stem
from ._v1 import read_v1
from .errors import CorruptDataError, UnsafePathError

if TYPE_CHECKING:
    from .snapshot import SessionSnapshot

#: Folder and file name of a file under the root.
Where = tuple[tuple[str, ...], str]

__all__ = ["SessionFiles", "resolve", "read_meta", "owner_of", "may_hold", "META_LIMIT",
           "written_as_is"]

#: The largest metadata record read (they are a few hundred bytes).
META_LIMIT = 1 << 20
_PLAIN_OLD = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\Z")

# The shape of a metadata record; anything else is ignored like a torn
# record, so a damaged one can never break an operation.
_SUMMARY_TYPES = {"name": (str,), "state": (str,), "model": (str, type(None)),
                  "messages": (int,), "created_at": (int,), "updated_at": (int,)}


def _meta_ok(meta: object) -> bool:
    if type(meta) is not dict or type(meta.get("id")) is not str \
            or type(meta.get("revision")) is not str or type(meta.get("files")) is not dict:
        return False
    summary = meta.get("summary")
    return summary is None or (type(summary) is dict and summary.keys() == _SUMMARY_TYPES.keys()
                               and all(type(summary[k]) in t for k, t in _SUMMARY_TYPES.items()))


def read_meta(layout: Layout, stem: str) -> dict[str, Any] | None:
    """The store's metadata record at ``stem``, or None (missing or damaged)."""
    data = layout.read_small(META, stem + ".json", META_LIMIT)
    if data is None:
        return None
    try:
        meta = _json.decode(data, strict=False)
    except CorruptDataError:
        return None  # a torn record after a power cut: rebuilt on the next save
    return cast("dict[str, Any]", meta) if _meta_ok(meta) else None


def written_as_is(session_id: str) -> bool:
    """Whether older versions of this package stored the id under its own
    text (the ids they called plain); others they stored under an escaped name."""
    return (len(session_id) <= 200 and _PLAIN_OLD.match(session_id) is not None
            and own_stem(session_id) != session_id)


def may_hold(layout: Layout, where: Callable[[str], Where], stem: str, identifier: str) -> bool:
    """Whether a file of ``identifier`` may sit at ``stem`` (``where(stem)``):
    it is one of the id's names, or the disk ignores case or normalisation and
    one of them opens this very file. Otherwise it was copied or renamed there.
    """
    names = candidates(identifier)
    if stem in names:
        return True
    here = None
    for name in names:
        if folded(name) == folded(stem):  # a case variant: does the disk fold?
            here = here or layout.stat(*where(stem))
            there = layout.stat(*where(name))
            if here is not None and there is not None and \
                    (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino):
                return True
    return False


def owner_of(layout: Layout, folder: tuple[str, ...], name: str,
             head: bytes | None = None) -> tuple[bool, str | None]:
    """(exists, id inside) of a session file; id None when unreadable."""
    try:
        if head is None:
            head = layout.peek(folder, name, 4096)
    except (CorruptDataError, UnsafePathError):
        return True, None
    if head is None:
        return False, None
    found = _codec.peek_id(head)
    if found is None:
        try:
            got = layout.read(folder, name)
            doc = _json.decode(got[0]) if got else None
        except (CorruptDataError, UnsafePathError):
            return True, None
        found = doc.get("id") if type(doc) is dict and type(doc.get("id")) is str else None
    return True, found


@dataclass(slots=True)
class SessionFiles:
    """The files of one id in one operation (see the module docstring)."""

    layout: Layout
    session_id: str
    stem: str | None  # where the next write goes (None: every name is another id's)
    use: str | None = None  # where the files are now (None: nothing holds this id)
    others: list[str] = field(default_factory=list)  # stale copies
    taken_by: str | None = None  # the id holding the first name, when it is not free
    damaged: bool = False  # the write target holds a session file nobody can read
    problem: str | None = None  # a file a load must report (damaged, misplaced) if no copy
    # keyed by (stem, component name); a stem None when no name is this id's
    _stats: dict[tuple[str | None, str], os.stat_result | None] = field(default_factory=dict)
    _sigs: dict[tuple[str | None, str], Sig | None] = field(default_factory=dict)
    _metas: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    _data: tuple[Any, ...] | None = None  # (stem, bytes, Sig) of a session file read whole,
    # or (stem, error) when that read failed
    # a3s-code 5's envelope of this id (see ``v1``), once looked for
    _v1: tuple[SessionSnapshot, tuple[int, ...]] | None = None
    _v1_read: bool = False

    def read_whole(self, stem: str | None) -> tuple[bytes, Sig] | None:
        """(bytes, Sig) of the session file at ``stem`` when resolving read it;
        raises the error that read met."""
        data = self._data
        if data is None or data[0] != stem:
            return None
        if isinstance(data[1], CorruptDataError):
            raise data[1]
        return cast("tuple[bytes, Sig]", data[1:])

    @property
    def read_stem(self) -> str | None:
        """Where reads look: the files of this id, or the name it would be written to
        (a3s-code reads side files at its name with or without a session file);
        None when every name holds another id (so nothing of this one is read)."""
        return self.use if self.use is not None else self.stem

    def where(self, component: Component, stem: str | None = None) -> tuple[tuple[str, ...], str]:
        """Folder and file name of ``component`` (at ``read_stem``, or at ``stem``)."""
        # callers ask only where a name exists (``has``)
        return component.where(cast(str, self.read_stem if stem is None else stem))

    def has(self, component: Component, stem: str | None = None) -> bool:
        """Whether ``component`` can have a file at that name (not when every name
        of this id holds another's: then nothing of it is read or written)."""
        return (self.read_stem if stem is None else stem) is not None

    def path(self, component: Component) -> str:
        return self.layout.path(*self.where(component))

    def stat(self, component: Component, stem: str | None = None) -> os.stat_result | None:
        """``lstat`` of a component's file, taken once per operation (None: no file)."""
        stem = self.read_stem if stem is None else stem
        key = (stem, component.name)
        if key not in self._stats:
            self._stats[key] = (self.layout.stat(*component.where(cast(str, stem)))
                                if self.has(component, stem) else None)
        return self._stats[key]

    def sig(self, component: Component, stem: str | None = None) -> Sig | None:
        """The signature of a component's file now (None: no such file)."""
        stem = self.read_stem if stem is None else stem
        key = (stem, component.name)
        if key not in self._sigs:
            st = self.stat(component, stem)
            self._sigs[key] = None if st is None else Sig.of(st)
        return self._sigs[key]

    def known(self, component: Component, sig: Sig | None, stem: str | None = None) -> None:
        """Record a signature learnt otherwise (a read of the file)."""
        self._sigs[(self.read_stem if stem is None else stem, component.name)] = sig

    def meta_at(self, stem: str | None) -> dict[str, Any] | None:
        """The store's record at ``stem``, when it is this id's."""
        if stem is None:
            return None
        if stem not in self._metas:
            meta = read_meta(self.layout, stem)
            self._metas[stem] = meta if meta is not None and meta["id"] == self.session_id \
                else None
        return self._metas[stem]

    @property
    def meta(self) -> dict[str, Any] | None:
        """The store's record of this id where its files are now."""
        return self.meta_at(self.read_stem)

    @property
    def v1(self) -> tuple[SessionSnapshot, tuple[int, ...]] | None:
        """(snapshot, signature) of this id's a3s-code 5 envelope, when the 3.4
        layout holds nothing of it (``_v1``: read-only)."""
        if not self._v1_read:
            self._v1_read = True
            self._v1 = read_v1(self.layout, self.session_id) if self.use is None else None
        return self._v1

    def trusted(self, component: Component, sig: Sig) -> bool:
        """Whether a file is exactly the one this store wrote (so it can be
        parsed on the fast path: it holds no duplicate keys or lone surrogates)."""
        meta = self.meta
        return meta is not None and meta["files"].get(component.name) == list(sig)


def resolve(layout: Layout, session_id: str, *, reading: bool = False) -> SessionFiles:
    """Who holds each name of ``session_id`` (see the module docstring).

    ``reading``: the caller is about to read the session file, so the first
    candidate is read whole rather than peeked (the bytes are kept for it).
    """
    files = SessionFiles(layout, session_id, None)
    owned: list[str] = []  # the names holding this id
    for number, stem in enumerate(candidates(session_id)):
        holder = _holder(files, stem, reading and number == 0)
        if holder is _MINE:
            owned.append(stem)
            if files.stem is None:
                files.stem = stem
            if number == 0 and written_as_is(session_id):
                break  # no older version wrote this id anywhere else
        elif holder is _FREE or holder is _UNREADABLE:
            if files.stem is None and creatable(stem):
                files.stem = stem
                files.damaged = holder is _UNREADABLE
            if holder is _UNREADABLE and files.problem is None:
                files.problem = stem  # a load must say the file is damaged, not None
        elif not may_hold(layout, SESSION.where, stem, holder):
            if files.problem is None:
                files.problem = stem  # misplaced (copied or renamed): a load must say so
        elif number == 0:
            files.taken_by = holder
    if owned:
        if len(owned) > 1:  # the newest copy first
            owned.sort(key=lambda stem: _mtime(files, stem), reverse=True)
        files.use, files.others = owned[0], owned[1:]
        if files.damaged:  # a copy of ours elsewhere: leave the damaged file alone
            files.stem, files.damaged = files.use, False
    return files


class _Holder(enum.Enum):
    """Who holds a name, when it is not another id (that id, a str, then)."""

    MINE = 1
    FREE = 2
    UNREADABLE = 3


_MINE: Final = _Holder.MINE
_FREE: Final = _Holder.FREE
_UNREADABLE: Final = _Holder.UNREADABLE


def _holder(files: SessionFiles, stem: str, read_whole: bool) -> _Holder | str:
    """Who holds ``stem``: ``_MINE``, ``_FREE``, ``_UNREADABLE`` or another id.

    With ``read_whole`` the session file is read at once (the caller loads it:
    its signature comes with the read, no stat is needed).
    """
    layout = files.layout
    folder, name = SESSION.where(stem)
    head = None
    if read_whole:
        try:
            got = layout.read(folder, name)  # a link raises UnsafePathError: never read
        except CorruptDataError as exc:
            files._data = (stem, exc)  # the load raises it (a second read could differ)
            return _UNREADABLE
        sig = None if got is None else got[1]
        if got is not None:
            files._data, head = (stem, *got), got[0][:4096]
            files._sigs[(stem, SESSION.name)] = sig
    else:
        st = files.stat(SESSION, stem)
        if st is not None and not stat.S_ISREG(st.st_mode):
            return _UNREADABLE
        sig = None if st is None else Sig.of(st)
    if sig is None:
        meta = read_meta(layout, stem)
        if meta is None or not _claims_files(files, stem, meta):
            return _FREE
        files._metas[stem] = meta if meta["id"] == files.session_id else None
        return _MINE if meta["id"] == files.session_id else meta["id"]
    meta = files.meta_at(stem)
    if meta is not None and meta["files"].get(SESSION.name) == list(sig):
        return _MINE
    exists, owner = owner_of(layout, folder, name, head)
    if not exists:
        return _FREE
    if owner is None:
        return _UNREADABLE
    return _MINE if owner == files.session_id else owner


def _claims_files(files: SessionFiles, stem: str, meta: dict[str, Any]) -> bool:
    """Whether a metadata record at a name without a session file still names
    side files that are there (side data saved alone), or is a stale leftover."""
    for component in COMPONENTS[1:]:
        if component.name in meta["files"] and files.stat(component, stem) is not None:
            return True
    return False


def _mtime(files: SessionFiles, stem: str) -> int:
    st = files.stat(SESSION, stem)
    return st.st_mtime_ns if st is not None else -1


@dataclass(slots=True)
class CheckpointFiles:
    """Where the checkpoint of one run (or workflow) id is: ``read`` (None: there is
    none), ``write`` (None: every name holds another id's), ``others`` (copies)."""

    read: tuple[tuple[str, ...], str] | None
    write: tuple[tuple[str, ...], str] | None
    others: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    taken_by: str | None = None


def resolve_checkpoint(layout: Layout, kind: Checkpoint, key: str) -> CheckpointFiles:
    """The names of ``key``'s checkpoint, by the id held in each file (``kind.key_field``)."""
    found = CheckpointFiles(None, None)
    for number, stem in enumerate(candidates(key)):
        where = kind.where(stem)
        holder = _checkpoint_holder(layout, where, kind.key_field, key)
        if holder is _MINE:
            if found.read is None:
                found.read = where
            else:
                found.others.append(where)
            if found.write is None:
                found.write = where
        elif holder is _FREE or holder is _UNREADABLE:
            if found.write is None and creatable(stem):
                found.write = where
            if holder is _UNREADABLE and found.read is None:
                found.read = where  # a load must say it is damaged
        elif not may_hold(layout, kind.where, stem, holder):
            if found.read is None:
                found.read = where  # misplaced (copied or renamed): a load must say so
        elif number == 0:
            found.taken_by = holder
    return found


def _checkpoint_holder(layout: Layout, where: Where, key_field: str,
                       key: str) -> _Holder | str:
    try:
        head = layout.peek(where[0], where[1], 4096)
    except (CorruptDataError, UnsafePathError):
        return _UNREADABLE
    if head is None:
        return _FREE
    held = _codec.peek_key(head, key_field)
    if held is None:
        try:
            got = layout.read(*where)
            doc = _json.decode(got[0]) if got else None
        except (CorruptDataError, UnsafePathError):
            return _UNREADABLE
        held = doc.get(key_field) if type(doc) is dict else None
        if type(held) is not str:
            return _UNREADABLE
    return _MINE if held == key else held
