"""The rules about one session's files (no I/O of its own: it asks the operation's layout).

* **Where.** :func:`resolve` finds the files of a session id: its own name
  (``_names.file_stem``), or the lossy name a3s-code-core 3.x used for it
  (``a/b`` as ``a_b.json``) when the id inside that file proves it belongs
  to this id. The result, a :class:`SessionFiles`, is the only way the
  engine reaches a session's files.
* **What the store knows.** ``.a3s_store/meta/<stem>.json`` holds, per
  session, the revision token of the store's last write, the size, mtime
  and inode of each file that write published, and a summary for listings.
  A file whose signature matches is one the store wrote: it is parsed on
  the fast path. A record of any other shape is ignored, like a torn one.
* **Revisions.** The token of the store's last write while the session file
  is still the one it wrote; otherwise a digest of the file that is there
  (someone else, such as a3s-code, wrote it).
* **Before a write.** :func:`check_write`: the revision the caller expects,
  ``create_only``, a file at the name that holds another session
  (:class:`~a3s_store.NameCollisionError`) or cannot be read (moved into
  quarantine in the same commit), and the steps that migrate a session
  from its a3s-code lossy name.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from dataclasses import dataclass, field

from . import _codec, _json
from ._commit import Move, Put, Remove, RemoveTree
from ._components import ARTIFACTS, COMPONENTS, SESSION, Component
from ._fs import Sig
from ._layout import META, QUARANTINE, Layout
from ._names import file_stem, legacy_stem
from .errors import (
    ConflictError,
    CorruptDataError,
    InvalidDataError,
    NameCollisionError,
    UnsafePathError,
)

__all__ = ["SessionFiles", "resolve", "revision", "check_write", "migration_steps",
           "meta_record", "owner_of", "read_meta", "META_LIMIT"]

#: The largest metadata record read (they are a few hundred bytes).
META_LIMIT = 1 << 20

# The shape of a metadata record (``meta_record``); anything else is ignored
# like a torn record, so a damaged one can never break an operation.
_SUMMARY_TYPES = {"name": (str,), "state": (str,), "model": (str, type(None)),
                  "messages": (int,), "created_at": (int,), "updated_at": (int,)}
_UNSET = object()


def _meta_ok(meta: object) -> bool:
    if type(meta) is not dict or type(meta.get("id")) is not str \
            or type(meta.get("revision")) is not str or type(meta.get("files")) is not dict:
        return False
    summary = meta.get("summary")
    return summary is None or (type(summary) is dict and summary.keys() == _SUMMARY_TYPES.keys()
                               and all(type(summary[k]) in t for k, t in _SUMMARY_TYPES.items()))


def read_meta(layout: Layout, stem: str) -> dict | None:
    """The store's metadata record of ``stem``, or None (missing or damaged)."""
    data = layout.read_small(META, stem + ".json", META_LIMIT)
    if data is None:
        return None
    try:
        meta = _json.decode(data, strict=False)
    except CorruptDataError:
        return None  # a torn record after a power cut: rebuilt on the next save
    return meta if _meta_ok(meta) else None


@dataclass(slots=True)
class SessionFiles:
    """The files of one session id in one operation (see :func:`resolve`).

    ``stem`` is the id's own file stem; ``legacy`` the a3s-code lossy stem
    its files are found under, when they are (the next write migrates them);
    ``use`` is the stem the files are at now. Signatures and the metadata
    record are read once per operation, when first asked for.
    """

    layout: Layout
    session_id: str
    stem: str
    legacy: str | None = None
    _stats: dict = field(default_factory=dict)
    _sigs: dict = field(default_factory=dict)
    _meta: object = _UNSET

    @property
    def use(self) -> str:
        return self.legacy or self.stem

    def where(self, component: Component, stem: str | None = None) -> tuple[tuple[str, ...], str]:
        """Folder and file name of ``component`` (at ``use``, or at ``stem``)."""
        return component.where(self.use if stem is None else stem)

    def path(self, component: Component) -> str:
        return self.layout.path(*self.where(component))

    def stat(self, component: Component) -> os.stat_result | None:
        """``lstat`` of a component's file, taken once per operation (None: no file)."""
        if component.name not in self._stats:
            self._stats[component.name] = self.layout.stat(*self.where(component))
            self._sigs.pop(component.name, None)
        return self._stats[component.name]

    def sig(self, component: Component) -> Sig | None:
        """The signature of a component's file now (None: no such file)."""
        if component.name not in self._sigs:
            st = self.stat(component)
            self._sigs[component.name] = None if st is None else Sig.of(st)
        return self._sigs[component.name]

    def known(self, component: Component, sig: Sig | None) -> None:
        """Record a signature learnt otherwise (a read of the file)."""
        self._sigs[component.name] = sig

    @property
    def meta(self) -> dict | None:
        """The store's record of this id (None when absent, damaged, another id's,
        or while the files are still under their a3s-code name)."""
        if self._meta is _UNSET:
            meta = None if self.legacy else read_meta(self.layout, self.stem)
            self._meta = meta if meta is not None and meta["id"] == self.session_id else None
        return self._meta  # type: ignore[return-value]

    def trusted(self, component: Component, sig: Sig) -> bool:
        """Whether a file is exactly the one this store wrote (so it can be
        parsed on the fast path: it holds no duplicate keys or lone surrogates)."""
        meta = self.meta
        return meta is not None and meta["files"].get(component.name) == list(sig)


def owner_of(layout: Layout, folder: tuple[str, ...], name: str) -> tuple[bool, str | None]:
    """(exists, id inside) of a session file; id None when unreadable."""
    try:
        head = layout.peek(folder, name, 4096)
    except CorruptDataError:
        return True, None
    if head is None:
        return False, None
    found = _codec.peek_id(head)
    if found is None:
        try:
            got = layout.read(folder, name)
            doc = _json.decode(got[0]) if got else None
        except CorruptDataError:
            return True, None
        found = doc.get("id") if type(doc) is dict and type(doc.get("id")) is str else None
    return True, found


def resolve(layout: Layout, session_id: str) -> SessionFiles:
    """The files of ``session_id``: its own name, or a3s-code's lossy name when
    the id inside that file proves it (and its own name holds nothing)."""
    stem = file_stem(session_id)
    legacy = legacy_stem(session_id)
    files = SessionFiles(layout, session_id, stem)
    if legacy is None or files.sig(SESSION) is not None:
        return files
    exists, owner = owner_of(layout, (), legacy + ".json")
    if exists and owner == session_id:
        files.legacy = legacy
        files._stats.clear()  # what counts are the files at the lossy name
        files._sigs.clear()
    return files


def revision(files: SessionFiles, data: bytes | None = None) -> str | None:
    """The current revision of a session (None when there is nothing to name).

    The token of the store's last write while the session file is the one it
    wrote (or, for side data saved alone, while there is still none); else a
    digest of the session file's signature and bytes (``data`` when the
    caller has read them already).
    """
    sig = files.sig(SESSION)
    meta = files.meta
    if meta is not None and meta["files"].get(SESSION.name) == (None if sig is None
                                                                else list(sig)):
        return meta["revision"]
    if sig is None:
        return None
    digest = hashlib.sha256(repr(tuple(sig)).encode())
    if data is None:
        try:
            got = files.layout.read(*files.where(SESSION))
        except CorruptDataError:
            got = None  # a folder, FIFO or oversized file: its signature identifies it
        data = got[0] if got is not None else b""
    digest.update(data)
    return "x" + digest.hexdigest()[:24]


def check_write(files: SessionFiles, expected_revision: str | None, create_only: bool, *,
                writes_session: bool = True, max_bytes: int) -> list:
    """The checks every write makes under the lock; returns extra journal steps.

    Extra steps move a damaged session file aside (into quarantine) and
    migrate a session from its a3s-code lossy name, in the same commit as the
    write. :raises ConflictError: a stale ``expected_revision``, or
    ``create_only`` on an existing session. :raises NameCollisionError: the
    file at the name holds another session.
    """
    layout = files.layout
    steps: list = []
    st = files.stat(SESSION)
    if st is not None and stat.S_ISLNK(st.st_mode):  # whatever is written, never beside a link
        raise UnsafePathError("refused: is a symlink; the store does not follow links",
                              path=files.path(SESSION), session_id=files.session_id)
    sig = files.sig(SESSION)
    if files.legacy is not None:
        steps = migration_steps(files, max_bytes=max_bytes)
    elif writes_session and sig is not None and not files.trusted(SESSION, sig):
        folder, name = files.where(SESSION)
        _, owner = owner_of(layout, folder, name)
        if owner is None:
            steps.append(Move(folder, name, QUARANTINE,
                              f"{files.stem}.{secrets.token_hex(4)}.json"))
        elif owner != files.session_id:
            raise NameCollisionError(
                f"the file for this id holds session {owner!r}; the filesystem cannot keep "
                "both (a case-insensitive disk?). Nothing was written",
                session_id=files.session_id, path=layout.path(folder, name))
    if create_only and sig is not None:
        raise ConflictError("session already exists (create_only)", session_id=files.session_id,
                            path=files.path(SESSION))
    if expected_revision is not None:
        current = revision(files)
        if expected_revision != current:
            raise ConflictError(
                f"stale revision: expected {expected_revision!r}, the store has {current!r}; "
                "nothing was written", session_id=files.session_id)
    return steps


def migration_steps(files: SessionFiles, *, max_bytes: int) -> list:
    """Steps that move every file of a session from its lossy name to its own."""
    layout = files.layout
    steps: list = []
    for component in COMPONENTS:
        folder, name = files.where(component)
        got = layout.read(folder, name)
        if got is not None:
            data = got[0]
            if component is SESSION:
                data = _rewritten_session(data, layout.path(folder, name), files.session_id,
                                          max_bytes)
            steps.append(Put(*files.where(component, files.stem), data))
            steps.append(Remove(folder, name))
    if layout.stat(ARTIFACTS.folder, files.legacy) is not None:
        # Only what exists: recovery rolls back a save whose steps all prove
        # they have not run, and removing a missing folder proves nothing.
        steps.append(RemoveTree(ARTIFACTS.folder, files.legacy))
    return steps


def _rewritten_session(data: bytes, path: str, session_id: str, max_bytes: int) -> bytes:
    """The session file as the store writes it (an ``api_key`` in a hand-edited
    file is dropped, never copied); the bytes as they are when they cannot be
    read, so nothing is lost."""
    try:
        out = _codec.encode_session(
            _codec.decode_session(data, strict=True, path=path, session_id=session_id))
    except (CorruptDataError, InvalidDataError):
        return data
    return data if len(out) > max_bytes else out


def meta_record(files: SessionFiles, written: dict[str, Sig | None],
                summary: dict | None) -> tuple[bytes, str]:
    """The new metadata record after a write, and the new revision.

    ``written`` maps each component the write published to its new
    signature (None: the write removed it). The other components keep what
    the previous record said of them: only files this store wrote are ever
    recorded as its own. ``summary`` None keeps the previous summary.
    """
    meta = files.meta
    counter = (meta or {}).get("counter", 0)
    counter = counter + 1 if type(counter) is int else 1
    revision_token = f"{counter}-{secrets.token_hex(6)}"
    recorded = dict(meta["files"]) if meta is not None else {}
    for name, sig in written.items():
        if sig is None:
            recorded.pop(name, None)
        else:
            recorded[name] = list(sig)
    if summary is None and meta is not None:
        summary = meta.get("summary")
    record = {"id": files.session_id, "revision": revision_token, "counter": counter,
              "files": recorded, "summary": summary}
    return _json.encode_bytes(record), revision_token


def meta_step(files: SessionFiles, data: bytes) -> Put:
    """The journal step that publishes a session's new metadata record."""
    return Put(META, files.stem + ".json", data)
