"""The files of one session under an open store root, and what the store knows of them.

A :class:`StoreLayout` is the open root of one operation (a
:class:`~a3s_store._commit.Layout`) plus the questions every operation asks
about a session's files: where each component lives (:func:`where`), the
store's metadata record for it (``.a3s_store/meta/<stem>.json``: the revision
token, the size/mtime/inode of every file of the generation the store last
wrote, and a summary for listings), the current revision, and which session a
file belongs to (a3s-code's lossy names prove nothing by themselves).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass

from . import _codec, _commit, _fs, _json
from ._commit import INTERNAL, Layout
from ._names import file_stem, legacy_stem
from .errors import CorruptDataError, InvalidIdError
from .records import RunRecord, SubagentTaskSnapshot, TraceEvent, VerificationReport

__all__ = ["COMPONENTS", "SIDE", "LOCK", "META", "QUARANTINE", "StoreLayout", "where"]

#: The store's lock file in ``.a3s_store/`` (never renamed or deleted).
LOCK = "lock"
META = (INTERNAL, "meta")
QUARANTINE = (INTERNAL, "quarantine")
#: The per-session side files: record type and folder, in the order a save writes them.
SIDE = {
    "traces": (TraceEvent, ("traces",)),
    "runs": (RunRecord, ("runs",)),
    "verification": (VerificationReport, ("verification",)),
    "subagent_tasks": (SubagentTaskSnapshot, ("subagent_tasks",)),
}
COMPONENTS = ("session", "artifacts", "traces", "runs", "verification", "subagent_tasks")

# The shape of a metadata record (``write_meta``); anything else is ignored
# like a torn record, so a damaged one can never break an operation.
_SUMMARY_TYPES = {"name": (str,), "state": (str,), "model": (str, type(None)),
                  "messages": (int,), "created_at": (int,), "updated_at": (int,)}


def _meta_ok(meta: object) -> bool:
    if type(meta) is not dict or type(meta.get("id")) is not str \
            or type(meta.get("revision")) is not str or type(meta.get("files")) is not dict:
        return False
    summary = meta.get("summary")
    return summary is None or (type(summary) is dict and summary.keys() == _SUMMARY_TYPES.keys()
                               and all(type(summary[k]) in t for k, t in _SUMMARY_TYPES.items()))


def _removes(op, folder: tuple[str, ...], name: str) -> bool:
    """Whether a commit step removes (or moves away) ``folder/name``."""
    if isinstance(op, (_commit.Remove, _commit.Move)):
        return op.folder == folder and op.name == name
    if isinstance(op, _commit.RemoveTree):
        return folder[:len(op.folder) + 1] == (*op.folder, op.name)
    return False


def where(component: str, stem: str) -> tuple[tuple[str, ...], str]:
    """Folder and file name of one component of the session stored as ``stem``."""
    if component == "session":
        return (), stem + ".json"
    if component == "artifacts":
        return ("artifacts", stem), "artifacts.json"
    return SIDE[component][1], stem + ".json"


@dataclass(slots=True)
class StoreLayout(Layout):
    """The open root of one store operation, with the store's size limit."""

    max_bytes: int = 256 * 1024 * 1024

    def path(self, folder: tuple[str, ...], name: str) -> str:
        """The path of ``folder/name``, for messages."""
        return os.path.join(self.root.path, *folder, name)

    def read(self, folder: tuple[str, ...], name: str) -> tuple[bytes, _fs.Sig] | None:
        d = self.folder(folder, create=False)
        if d is None:
            return None
        return _fs.read_file(d, name, self.max_bytes)

    def stat(self, folder: tuple[str, ...], name: str):
        d = self.folder(folder, create=False)
        return None if d is None else _fs.stat_entry(d, name)

    def sigs(self, stem: str) -> dict[str, list]:
        """Size, mtime and inode of each file of the session stored as ``stem``."""
        out = {}
        for component in COMPONENTS:
            st = self.stat(*where(component, stem))
            if st is not None:
                out[component] = list(_fs.Sig.of(st))
        return out

    def meta(self, stem: str) -> dict | None:
        """The store's metadata record of ``stem``, or None (missing or damaged)."""
        try:
            got = self.read(META, stem + ".json")
            if got is None:
                return None
            meta = _json.decode(got[0], strict=False)
        except CorruptDataError:
            return None  # a torn record after a power cut: rebuilt on next save
        return meta if _meta_ok(meta) else None

    def trusted(self, stem: str, component: str, sig: _fs.Sig, meta: dict | None) -> bool:
        """Whether a file is exactly the one this store wrote (so it can be parsed
        on the fast path: it holds no duplicate keys or lone surrogates)."""
        if meta is None:
            meta = self.meta(stem)
        return meta is not None and (meta.get("files") or {}).get(component) == list(sig)

    def revision(self, stem: str, session_id: str, meta: dict | None,
                 sigs: dict) -> str | None:
        """The current revision of a session: the token of our last write, when
        the files are still exactly the ones we wrote; otherwise a digest of
        what is there (someone else, such as a3s-code, changed them)."""
        if not sigs:
            return None
        if meta is not None and meta.get("id") == session_id and meta.get("files") == sigs:
            return meta.get("revision")
        digest = hashlib.sha256(repr(sorted(sigs.items())).encode())
        try:
            got = self.read(*where("session", stem)) if "session" in sigs else None
        except CorruptDataError:
            got = None  # a folder, FIFO or oversized file: its sizes and times identify it
        if got is not None:
            digest.update(got[0])
        return "x" + digest.hexdigest()[:24]

    def _meta_record(self, stem: str, session_id: str, meta: dict | None,
                     summary: dict | None, files: dict) -> tuple[bytes, str]:
        counter = (meta or {}).get("counter", 0)
        counter = counter + 1 if type(counter) is int else 1
        revision = f"{counter}-{secrets.token_hex(6)}"
        if summary is None and meta is not None and meta.get("id") == session_id:
            summary = meta.get("summary")
        record = {"id": session_id, "revision": revision, "counter": counter,
                  "files": files, "summary": summary}
        return _json.encode_bytes(record), revision

    def write_meta(self, stem: str, session_id: str, meta: dict | None,
                   summary: dict | None) -> str:
        """Record the generation now on disk under a new revision; return it.

        Used after a single-file write. Not fsynced: a lost or torn record
        only makes the next load take the slow path and see a new revision;
        it never hides data.
        """
        data, revision = self._meta_record(stem, session_id, meta, summary, self.sigs(stem))
        _commit.write_one(self, META, stem + ".json", data, durable=False)
        return revision

    def commit_with_meta(self, ops: list, stem: str, session_id: str, meta: dict | None,
                         summary: dict | None) -> str:
        """Commit ``ops`` with the session's new metadata record in the same
        commit, so that recovery, which may finish the commit, leaves the
        record describing exactly the files it published. Returns the revision."""
        revision = []

        def finish(staged: dict) -> list:
            files = self.sigs(stem)
            for component in COMPONENTS:
                folder, name = where(component, stem)
                if (folder, name) in staged:
                    files[component] = list(staged[(folder, name)])
                elif any(_removes(op, folder, name) for op in ops):
                    files.pop(component, None)
            data, new = self._meta_record(stem, session_id, meta, summary, files)
            revision.append(new)
            return [_commit.Put(META, stem + ".json", data)]

        _commit.commit(self, ops, finish=finish)
        return revision[0]

    def owner(self, folder: tuple[str, ...], name: str) -> tuple[bool, str | None]:
        """(exists, id inside) of a session file; id None when unreadable."""
        d = self.folder(folder, create=False)
        if d is None:
            return False, None
        try:
            head = _fs.peek_file(d, name, 4096)
        except CorruptDataError:
            return True, None
        if head is None:
            return False, None
        found = _codec.peek_id(head)
        if found is None:
            try:
                got = _fs.read_file(d, name, self.max_bytes)
                doc = _json.decode(got[0]) if got else None
            except CorruptDataError:
                return True, None
            found = doc.get("id") if type(doc) is dict and type(doc.get("id")) is str else None
        return True, found

    def resolve(self, session_id: str) -> tuple[str, str | None]:
        """(stem, legacy stem in use or None) for a session id.

        A session that a3s-code stored under its lossy name (``a/b`` as
        ``a_b.json``) is found there only when the id inside proves it.
        """
        stem = file_stem(session_id)
        legacy = legacy_stem(session_id)
        if legacy is None or self.stat((), stem + ".json") is not None:
            return stem, None
        exists, owner = self.owner((), legacy + ".json")
        if exists and owner == session_id:
            return stem, legacy
        return stem, None

    def primary_missing(self, session_id: str) -> bool:
        """Whether the session file under the id's own name is absent."""
        try:
            stem = file_stem(session_id)
        except InvalidIdError:
            return False
        return self.stat((), stem + ".json") is None
