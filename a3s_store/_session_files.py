"""The rules that act on one session's files (no I/O of their own: they ask the layout).

* **Revisions.** The token of the store's last write while the session file
  is still the one it wrote; otherwise a digest of the file that is there
  (someone else, such as a3s-code, wrote it).
* **Before a write.** :func:`check_write`: a name to write to (else
  :class:`~a3s_store.NameCollisionError`), no link at it, the revision the
  caller expects, ``create_only``; and the steps that go in the same commit:
  a damaged session file at the name moved into quarantine, the files of a
  session found under another of its names moved to the name written (its
  a3s-code name, when that is free), stale copies removed.
* **The metadata record** ``.a3s_store/meta/<name>.json``: the revision of
  the store's last write, the size, mtime and inode of each file that write
  published (only those: a file another program wrote is never recorded as
  the store's), and a summary for listings.
"""

from __future__ import annotations

import hashlib
import secrets
import stat
from typing import Any, cast

from . import _codec, _json
from ._commit import Move, Put, Remove, RemoveTree, Step
from ._components import ARTIFACTS, COMPONENTS, SESSION
from ._fs import Sig
from ._layout import META, QUARANTINE
from ._names import MAX_NAME_BYTES, candidates
from ._resolve import SessionFiles
from .errors import (
    ConflictError,
    CorruptDataError,
    InvalidDataError,
    NameCollisionError,
    UnsafePathError,
)

__all__ = ["revision", "check_write", "move_steps", "remove_steps", "meta_record", "meta_step",
           "quarantine_name"]


def revision(files: SessionFiles, data: bytes | None = None) -> str | None:
    """The current revision of a session (None when there is nothing to name).

    The token of the store's last write while the session file is the one it
    wrote (or, for side data saved alone, while there is still none); else a
    digest of the session file's signature and bytes (``data`` when the
    caller has read them already) and of the token, so that side data saved
    beside a session file a3s-code wrote gives a new revision too.
    """
    if files.use is None and files.v1 is not None:  # only a3s-code 5's envelope
        return "v1" + hashlib.sha256(repr(files.v1[1]).encode()).hexdigest()[:24]
    sig = files.sig(SESSION) if files.use is not None else None
    meta = files.meta
    if meta is not None and meta["files"].get(SESSION.name) == (None if sig is None
                                                                else list(sig)):
        token: str = meta["revision"]  # _resolve checked it is a str
        return token
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
    if meta is not None:
        digest.update(meta["revision"].encode())
    return "x" + digest.hexdigest()[:24]


def check_write(files: SessionFiles, expected_revision: str | None, create_only: bool, *,
                writes_session: bool = True, max_bytes: int) -> list[Step]:
    """The checks every write makes under the lock; returns extra journal steps.

    :raises NameCollisionError: every name of this id holds another session.
    :raises UnsafePathError: a link at the session file's name.
    :raises ConflictError: a stale ``expected_revision``, or ``create_only``
        on an existing session.
    """
    layout = files.layout
    if files.stem is None:
        raise NameCollisionError(
            f"every name this id can be stored under holds another session (the first "
            f"one holds {files.taken_by!r}); nothing was written", session_id=files.session_id,
            path=layout.path(*SESSION.where(candidates(files.session_id)[0])))
    for stem in {files.stem, files.read_stem}:
        st = files.stat(SESSION, stem)
        if st is not None and stat.S_ISLNK(st.st_mode):  # never written beside a link
            raise UnsafePathError("refused: is a symlink; the store does not follow links",
                                  path=layout.path(*SESSION.where(cast(str, stem))),
                                  session_id=files.session_id)
    exists = files.use is not None and files.sig(SESSION, files.use) is not None
    if create_only and (exists or (files.use is None and files.v1 is not None)):
        raise ConflictError("session already exists (create_only)", session_id=files.session_id,
                            path=files.path(SESSION))
    if expected_revision is not None:
        current = revision(files)
        if expected_revision != current:
            raise ConflictError(
                f"stale revision: expected {expected_revision!r}, the store has {current!r}; "
                "nothing was written", session_id=files.session_id)
    steps: list[Step] = []
    if files.damaged and writes_session:
        folder, name = SESSION.where(files.stem)
        steps.append(Move(folder, name, QUARANTINE, quarantine_name(files.stem)))
    if files.use is not None and files.use != files.stem and not files.damaged:
        steps += move_steps(files, files.use, max_bytes=max_bytes)
    for stem in files.others:
        steps += remove_steps(files, stem)
    return steps


def quarantine_name(stem: str) -> str:
    """A fresh name in the quarantine for a file of ``stem`` (within a name's bytes)."""
    token = secrets.token_hex(4)
    if len(stem.encode("utf-8")) + 10 > MAX_NAME_BYTES:
        stem = "%H" + hashlib.sha256(stem.encode("utf-8")).hexdigest()[:40]
    return f"{stem}.{token}.json"


def move_steps(files: SessionFiles, source: str, *, max_bytes: int) -> list[Step]:
    """Steps that move every file of a session from ``source`` to ``files.stem``."""
    layout = files.layout
    steps: list[Step] = []
    for component in COMPONENTS:
        if not files.has(component, source) or not files.has(component, files.stem):
            continue
        folder, name = component.where(source)
        got = layout.read(folder, name)
        if got is not None:
            data = got[0]
            if component is SESSION:
                data = _rewritten_session(data, layout.path(folder, name), files.session_id,
                                          max_bytes)
            steps.append(Put(*component.where(cast(str, files.stem)), data))  # checked
    return steps + remove_steps(files, source)


def remove_steps(files: SessionFiles, stem: str, *, whole: bool = False) -> list[Step]:
    """Steps that remove the files of a session at ``stem``, and its metadata.

    ``whole`` (a delete): the artifacts folder goes with all it holds, as in
    a3s-code. Otherwise (a copy left behind by a move) only what the store
    knows: a folder holding files besides the manifest loses the manifest.
    """
    layout = files.layout
    steps: list[Step] = []
    for component in COMPONENTS:
        if not files.has(component, stem):
            continue
        folder, name = component.where(stem)
        if component is ARTIFACTS and whole:
            if layout.stat(folder[:-1], folder[-1]) is not None:
                steps.append(RemoveTree(folder[:-1], folder[-1]))
        elif component is ARTIFACTS:
            entries = {e.name for e in layout.entries(folder)} if \
                layout.stat(folder[:-1], folder[-1]) is not None else set()
            if entries and entries <= {name}:
                steps.append(RemoveTree(folder[:-1], folder[-1]))
            elif name in entries:
                steps.append(Remove(folder, name))
            elif not entries and layout.stat(folder[:-1], folder[-1]) is not None:
                steps.append(RemoveTree(folder[:-1], folder[-1]))
        elif files.stat(component, stem) is not None:
            steps.append(Remove(folder, name))
    if layout.stat(META, stem + ".json") is not None:
        steps.append(Remove(META, stem + ".json"))
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
                summary: dict[str, Any] | None) -> tuple[bytes, str]:
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
    return Put(META, f"{files.stem}.json", data)
