"""The store checker behind ``verify``, ``verify --repair``, ``gc`` and ``stats``.

It reads the store the way the store does, through ``_fs`` and ``_commit``
only, and it never goes through :class:`~a3s_store.FileSessionStore`,
because opening one finishes interrupted saves, and ``verify`` must first
*report* them.

**What ``verify`` checks.** Every session file and side file parses as its
record type; the id inside a session file (and the run or workflow id inside
a checkpoint) maps to the file's name, either the store's name or a3s-code's
lossy one; the files of each session are the generation the store last wrote
(the metadata in ``.a3s_store/meta/`` records the size, mtime and inode of
each), where a difference is reported as a *note*, "changed outside
a3s_store", since a3s-code writes these files without the store; and nothing
is left of interrupted saves (``.a3s_store/tx``, ``.a3s_store/tmp``) or of
a3s-code's atomic writes (``*.json.<nanos>.<pid>.<n>.tmp``). Problems are
what makes the command fail; notes are informational.

**Locking.** Checks run in batches under the store's shared lock, so a
reader never sees a save half-applied and writers are held back for a batch,
not for a whole scan of a large store. Every fix takes the exclusive lock
and first checks that the file is still the one that was found (same size,
mtime and inode), so a file saved again in the meantime is left alone.

**Repairs.** ``--repair`` runs :func:`~a3s_store._commit.recover` (finish a
committed interrupted save, roll back an uncommitted one, sweep temporary
files), removes a3s-code's temporary files once they are older than
:data:`TEMP_GRACE_SECONDS` (a younger one may belong to a write in
progress: a3s-code does not take the store's lock), and moves a damaged
file, or one holding another id, into ``.a3s_store/quarantine/`` with one
journaled rename. Nothing is ever deleted but temporary files and the
store's own metadata cache.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from . import _codec, _commit, _fs, _json
from ._commit import INTERNAL, Layout, Move, Remove, RemoveTree
from ._names import file_stem, legacy_stem
from .errors import CorruptDataError, InvalidIdError, UnsafePathError, UnsupportedVersionError
from ._session_files import LOCK as _LOCK
from ._session_files import META as _META
from ._session_files import QUARANTINE as _QUARANTINE
from ._session_files import where as _where
from .file_store import DEFAULT_MAX_FILE_BYTES
from .records import (
    LoopCheckpoint,
    RunRecord,
    SubagentTaskSnapshot,
    TraceEvent,
    VerificationReport,
    WorkflowCheckpoint,
)

__all__ = ["Finding", "Garbage", "Scan", "Checker", "TEMP_GRACE_SECONDS", "parse_age"]

#: An a3s-code temporary file younger than this may be a write in progress.
TEMP_GRACE_SECONDS = 600

_SIDE = {
    "traces": TraceEvent,
    "runs": RunRecord,
    "verification": VerificationReport,
    "subagent_tasks": SubagentTaskSnapshot,
}
_CHECKPOINTS = {
    "loop_checkpoints": (LoopCheckpoint, "run", "run_id", "loop checkpoint of run"),
    "workflow_checkpoints": (WorkflowCheckpoint, "workflow", "workflow_id",
                             "workflow checkpoint of"),
}
# a3s-code's temporary names: <name>.json.<nanos>.<pid>[.<counter>].tmp (3.4; 3.3 had no counter)
_RUST_TMP = re.compile(r".+\.json\.\d+\.\d+(?:\.\d+)?\.tmp\Z")
_BATCH = 64


@dataclass(frozen=True, slots=True)
class Finding:
    """Something ``verify`` reports about one file.

    ``severity`` is ``problem`` (the command fails) or ``note``; ``kind`` a
    short label (``damaged``, ``id-mismatch``, ``interrupted``, ``leftover``,
    ``unsafe``, ``changed``, ``orphan``, ``newer-version``, ``metadata``);
    ``fix`` what ``--repair`` does (``recover``, ``remove``, ``quarantine``,
    ``drop-meta`` or ``""`` for nothing); ``folder``/``name`` locate the
    file under the root, ``sig`` is what it was when found.
    """

    severity: str
    kind: str
    path: str
    message: str
    fix: str = ""
    folder: tuple[str, ...] = ()
    name: str = ""
    sig: tuple | None = None


@dataclass(frozen=True, slots=True)
class Garbage:
    """Something ``gc`` would remove: a file (or an artifacts folder when
    ``tree``), why, its size, and what must still hold to remove it."""

    path: str
    reason: str
    folder: tuple[str, ...]
    name: str
    size: int
    tree: bool = False
    stem: str | None = None  # side data: removed only while this session is still gone
    sig: tuple | None = None  # checkpoints: removed only while unchanged


@dataclass(slots=True)
class Scan:
    """The result of one pass over the store."""

    findings: list[Finding] = field(default_factory=list)
    sessions: int = 0
    side_files: int = 0
    checkpoints: int = 0
    quarantined: int = 0

    @property
    def problems(self) -> list[Finding]:
        """The findings that make ``verify`` fail."""
        return [f for f in self.findings if f.severity == "problem"]

    @property
    def notes(self) -> list[Finding]:
        """The informational findings."""
        return [f for f in self.findings if f.severity == "note"]


def parse_age(text: str) -> float:
    """``30m``, ``12h``, ``7d`` or ``2w`` as seconds.

    >>> parse_age("12h"), parse_age("7d")
    (43200.0, 604800.0)
    >>> parse_age("soon")
    Traceback (most recent call last):
        ...
    ValueError: expected an age such as 30m, 12h, 7d or 2w, got 'soon'
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text or "")
    if match is None:
        raise ValueError(f"expected an age such as 30m, 12h, 7d or 2w, got {text!r}")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}[match.group(2)]
    return float(match.group(1)) * unit


def _matches(stem: str, identifier: object, kind: str) -> bool:
    """Whether ``identifier`` is stored under ``stem`` (the store's name or a3s-code's)."""
    if not isinstance(identifier, str):
        return False
    try:
        if file_stem(identifier, kind) == stem:
            return True
    except InvalidIdError:
        pass
    return legacy_stem(identifier) == stem


def _quarantined_stem(name: str) -> str | None:
    """The stem of a quarantined file ``<stem>.<token>.json``."""
    if not name.endswith(".json"):
        return None
    head = name[:-5].rsplit(".", 1)
    return head[0] if len(head) == 2 else None


class Checker:
    """One open store root, checked, repaired or cleaned.

    Use as a context manager; it holds the root folder open (not the lock).
    :raises FileNotFoundError: the root does not exist.
    """

    def __init__(self, root: str, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 lock_timeout: float = 30.0,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.root = root
        self.max_file_bytes = max_file_bytes
        self.lock_timeout = lock_timeout
        self.progress = progress
        self.layout: Layout | None = None
        self._internal: _fs.Dir | None = None

    def __enter__(self) -> "Checker":
        d = _fs.open_root(self.root, create=False)
        if d is None:
            raise FileNotFoundError(errno.ENOENT, "store folder does not exist", self.root)
        self.layout = Layout(d)
        try:
            self._internal = self.layout.folder((INTERNAL,), create=True)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                self.close()
                raise
            self._internal = self.layout.folder((INTERNAL,), create=False)  # read-only store
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the root and every folder held open."""
        if self.layout is not None:
            self.layout.close()
            _fs.close_dir(self.layout.root)
            self.layout = None

    # -- plumbing ----------------------------------------------------------------

    @contextmanager
    def locked(self, *, exclusive: bool):
        """Hold the store lock (nothing to hold in a read-only store without one)."""
        if self._internal is None:
            yield
            return
        fd = _fs.lock(self._internal, _LOCK, exclusive=exclusive, timeout=self.lock_timeout)
        try:
            yield
        finally:
            _fs.unlock(fd)

    def path(self, folder: tuple[str, ...], name: str = "") -> str:
        """The full path of ``folder/name`` under the root."""
        return os.path.join(self.root, *folder, *([name] if name else []))

    @contextmanager
    def _opened(self, folder: tuple[str, ...]):
        """The open folder, or None when it is missing.

        Category folders and ours stay open (the layout caches them) for the
        whole run; a folder per session (``artifacts/<id>``) is closed after
        use, so a store of many sessions never runs out of descriptors.
        """
        if len(folder) <= 1 or folder[0] == INTERNAL:
            yield self.layout.folder(folder, create=False)
            return
        d = self.layout.folder(folder[:1], create=False)
        opened = []
        try:
            for name in folder[1:]:
                d = None if d is None else _fs.open_dir(d, name)
                if d is not None:
                    opened.append(d)
            yield d
        finally:
            for o in opened:
                _fs.close_dir(o)

    def _entries(self, folder: tuple[str, ...], findings: list | None = None) -> list:
        """The entries of a folder; [] when missing. A link or a file where the
        folder should be is a problem (when ``findings`` collects them)."""
        try:
            with self._opened(folder) as d:
                return [] if d is None else _fs.list_dir(d)
        except (UnsafePathError, CorruptDataError) as exc:
            if findings is not None:
                findings.append(Finding("problem", "unsafe", self.path(folder), exc.message))
            return []

    def _sig(self, folder: tuple[str, ...], name: str) -> tuple | None:
        """(size, mtime_ns, inode) of a file, or None when it is not there."""
        try:
            with self._opened(folder) as d:
                st = None if d is None else _fs.stat_entry(d, name)
        except (UnsafePathError, CorruptDataError):
            return None
        return None if st is None else tuple(_fs.Sig.of(st))

    def _unlink(self, folder: tuple[str, ...], name: str) -> bool:
        with self._opened(folder) as d:
            return d is not None and _fs.unlink(d, name)

    def _step(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    # -- inventory ----------------------------------------------------------------

    def _inventory(self, findings: list[Finding]):
        """Names of the session files, the side files by stem, the checkpoints,
        the quarantined stems; leftovers and links go to ``findings``."""
        sessions: list[str] = []
        for entry in self._entries(()):
            name = entry.name
            if _RUST_TMP.match(name) or (name == ".health_check" and entry.is_file(
                    follow_symlinks=False)):
                findings.append(self._leftover((), name, "left by an interrupted a3s-code write"))
            elif name.endswith(".json"):
                if entry.is_file(follow_symlinks=False):
                    sessions.append(name)
                else:
                    what = "a link" if entry.is_symlink() else "not a regular file"
                    findings.append(Finding("problem", "unsafe", self.path((), name),
                                            f"{what} where a session file should be"))
        side: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for folder in _SIDE:
            for entry in self._entries((folder,), findings):
                self._side_entry((folder,), entry, side, findings, entry.name[:-5])
        artifact_dirs = set()
        for entry in self._entries(("artifacts",), findings):
            if not entry.is_dir(follow_symlinks=False):
                if entry.is_symlink():
                    findings.append(Finding("problem", "unsafe", self.path(("artifacts",),
                                                                           entry.name),
                                            "a link where an artifacts folder should be"))
                continue
            artifact_dirs.add(entry.name)
            for sub in self._entries(("artifacts", entry.name), findings):
                if sub.name == "artifacts.json" or _RUST_TMP.match(sub.name):
                    self._side_entry(("artifacts", entry.name), sub, side, findings, entry.name)
        checkpoints = []
        for folder in _CHECKPOINTS:
            for entry in self._entries((folder,), findings):
                if _RUST_TMP.match(entry.name):
                    findings.append(self._leftover((folder,), entry.name,
                                                   "left by an interrupted a3s-code write"))
                elif entry.name.endswith(".json") and entry.is_file(follow_symlinks=False):
                    checkpoints.append((folder, entry.name))
        quarantined = {s for s in (_quarantined_stem(e.name)
                                   for e in self._entries(_QUARANTINE)) if s}
        return sessions, side, artifact_dirs, checkpoints, quarantined

    def _side_entry(self, folder, entry, side, findings, stem) -> None:
        name = entry.name
        if _RUST_TMP.match(name):
            findings.append(self._leftover(folder, name, "left by an interrupted a3s-code write"))
        elif name.endswith(".json"):
            if entry.is_file(follow_symlinks=False):
                side.setdefault(stem, []).append((folder, name))
            elif entry.is_symlink():
                findings.append(Finding("problem", "unsafe", self.path(folder, name),
                                        "a link where a side file should be"))

    def _leftover(self, folder, name, why) -> Finding:
        return Finding("problem", "leftover", self.path(folder, name), f"temporary file {why}",
                       "remove", folder, name, self._sig(folder, name))

    def _journal(self, findings: list[Finding]) -> None:
        """Interrupted saves and temporary files of the store's own writers."""
        txs: dict[str, list[str]] = {}
        for entry in self._entries((INTERNAL, "tx")):
            txs.setdefault(entry.name.split(".", 1)[0], []).append(entry.name)
        for txid, names in sorted(txs.items()):
            committed = f"{txid}.commit" in names
            if not committed:
                what = "not committed; --repair rolls it back"
            elif _commit.will_finish(self.layout, txid):
                what = "committed; --repair finishes it"
            else:  # stopped before its first rename, or its staged files are damaged
                what = "committed, not started or damaged; --repair rolls it back"
            first = f"{txid}.commit" if committed else sorted(names)[0]
            findings.append(Finding("problem", "interrupted", self.path((INTERNAL, "tx"), first),
                                    f"interrupted save ({what})", "recover"))
        for entry in self._entries((INTERNAL, "tmp")):
            findings.append(Finding("problem", "leftover", self.path((INTERNAL, "tmp"),
                                                                     entry.name),
                                    "temporary file of an interrupted write", "recover"))

    # -- checks --------------------------------------------------------------------

    def _read(self, folder, name, findings) -> tuple[bytes, tuple] | None:
        """The bytes and sig of a file, or None (a finding says why)."""
        try:
            with self._opened(folder) as d:
                got = None if d is None else _fs.read_file(d, name, self.max_file_bytes)
        except UnsafePathError as exc:
            findings.append(Finding("problem", "unsafe", self.path(folder, name), exc.message))
            return None
        except CorruptDataError as exc:
            findings.append(self._damaged(folder, name, exc.message))
            return None
        return None if got is None else (got[0], tuple(got[1]))

    def _damaged(self, folder, name, message, sig=None) -> Finding:
        return Finding("problem", "damaged", self.path(folder, name), message, "quarantine",
                       folder, name, sig or self._sig(folder, name))

    @staticmethod
    def _why(exc: CorruptDataError) -> str:
        return f"{exc.key}: {exc.message}" if exc.key else exc.message

    def _check_session(self, name: str, findings: list[Finding]) -> tuple | None:
        """Check ``<root>/name``; return (session id, sig) when it is sound."""
        got = self._read((), name, findings)
        if got is None:
            return None
        data, sig = got
        try:
            session = _codec.decode_session(data, strict=True, path=None)
        except CorruptDataError as exc:
            findings.append(self._damaged((), name, self._why(exc), sig))
            return None
        if not _matches(name[:-5], session.id, "session"):
            findings.append(Finding("problem", "id-mismatch", self.path((), name),
                                    f"holds session {session.id!r}, whose file name is not this "
                                    "one", "quarantine", (), name, sig))
            return None
        return session.id, sig

    def _check_side(self, folder, name, findings) -> tuple | None:
        got = self._read(folder, name, findings)
        if got is None:
            return None
        data, sig = got
        try:
            if folder[0] == "artifacts":
                _codec.decode_artifacts(data, strict=True, path=None)
            else:
                _codec.decode_list(data, _SIDE[folder[0]], strict=True, path=None)
        except CorruptDataError as exc:
            findings.append(self._damaged(folder, name, self._why(exc), sig))
            return None
        return sig

    def _check_meta(self, stem: str, session_id: str, sigs: dict, reported: set,
                    findings) -> None:
        """Compare the files of a session with the generation the store last wrote."""
        try:
            with self._opened(_META) as meta_dir:
                got = None if meta_dir is None else _fs.read_file(meta_dir, stem + ".json",
                                                                  1 << 20)
            meta = _json.decode(got[0], strict=False) if got else None
        except (CorruptDataError, UnsafePathError):
            findings.append(Finding("note", "metadata", self.path(_META, stem + ".json"),
                                    "unreadable metadata (rebuilt by the next save; --repair "
                                    "removes it)", "drop-meta", _META, stem + ".json"))
            return
        if type(meta) is not dict or meta.get("id") != session_id:
            return  # never saved by a3s_store (or saved under its a3s-code name)
        recorded = meta.get("files") if type(meta.get("files")) is dict else {}
        for component in sorted((set(recorded) | set(sigs)) - reported):
            where = sigs.get(component)
            if where is None:
                folder, name = _where(component, stem)
                findings.append(Finding("note", "changed", self.path(folder, name),
                                        "removed outside a3s_store since its last save"))
                continue
            folder, name, sig = where
            before = recorded.get(component)
            if before is None:
                findings.append(Finding("note", "changed", self.path(folder, name),
                                        "written outside a3s_store since its last save"))
            elif list(sig) != before:
                findings.append(Finding("note", "changed", self.path(folder, name),
                                        "changed outside a3s_store since its last save"))

    def _check_stem(self, stem: str, session_name: str | None, side_files, quarantined,
                    scan: Scan) -> None:
        findings = scan.findings
        sound = None
        if session_name is not None:
            scan.sessions += 1
            sound = self._check_session(session_name, findings)
        sigs = {}  # component -> (folder, name, sig) of the sound files
        reported = set()  # components already reported as problems
        if sound is not None:
            sigs["session"] = ((), session_name, sound[1])
        for folder, name in side_files:
            scan.side_files += 1
            sig = self._check_side(folder, name, findings)
            component = "artifacts" if folder[0] == "artifacts" else folder[0]
            if sig is not None:
                sigs[component] = (folder, name, sig)
            else:
                reported.add(component)
            if session_name is None:
                where = ("its session file is in quarantine; kept" if stem in quarantined else
                         "its session is gone (gc removes it)")
                findings.append(Finding("note", "orphan", self.path(folder, name),
                                        f"side data of session file {stem}.json: {where}"))
        if sound is not None:
            self._check_meta(stem, sound[0], sigs, reported, findings)

    def _check_checkpoint(self, folder: str, name: str, findings) -> tuple | None:
        """Check a checkpoint; return (record, sig) when it is sound."""
        cls, kind, key, what = _CHECKPOINTS[folder]
        got = self._read((folder,), name, findings)
        if got is None:
            return None
        data, sig = got
        try:
            cp = _codec.decode_record(data, cls, strict=True, path=None)
            cp.ensure_loadable()
        except UnsupportedVersionError as exc:
            findings.append(Finding("note", "newer-version", self.path((folder,), name),
                                    f"{exc.message}; left as it is"))
            return None
        except CorruptDataError as exc:
            findings.append(self._damaged((folder,), name, self._why(exc), sig))
            return None
        owner = getattr(cp, key)
        if not _matches(name[:-5], owner, kind):
            findings.append(Finding("problem", "id-mismatch", self.path((folder,), name),
                                    f"holds the {what} {owner!r}, whose file name is not this one",
                                    "quarantine", (folder,), name, sig))
            return None
        return cp, sig

    # -- verify --------------------------------------------------------------------

    def scan(self) -> Scan:
        """Check everything (see the module docstring); nothing is changed."""
        scan = Scan()
        with self.locked(exclusive=False):
            self._journal(scan.findings)
            sessions, side, _, checkpoints, quarantined = self._inventory(scan.findings)
        scan.quarantined = self._sizes(_QUARANTINE)[0]
        by_stem = {name[:-5]: name for name in sessions}
        stems = sorted(set(by_stem) | set(side))
        total = len(stems) + len(checkpoints)
        done = 0
        for i in range(0, len(stems), _BATCH):
            with self.locked(exclusive=False):
                for stem in stems[i:i + _BATCH]:
                    self._check_stem(stem, by_stem.get(stem), side.get(stem, ()), quarantined,
                                     scan)
            done += len(stems[i:i + _BATCH])
            self._step(done, total)
        for i in range(0, len(checkpoints), _BATCH):
            with self.locked(exclusive=False):
                for folder, name in checkpoints[i:i + _BATCH]:
                    scan.checkpoints += 1
                    self._check_checkpoint(folder, name, scan.findings)
            done += len(checkpoints[i:i + _BATCH])
            self._step(done, total)
        return scan

    # -- repair --------------------------------------------------------------------

    def repair(self, *, now: float | None = None) -> list[tuple[str, str]]:
        """Fix what can be fixed; return (path, what was done) per action.

        Interrupted saves are finished or rolled back first (that may mend
        files a check would otherwise report), then the store is scanned and
        each problem with a fix is fixed under the exclusive lock.
        """
        now = time.time() if now is None else now
        actions: list[tuple[str, str]] = []
        with self.locked(exclusive=True):
            for line in _commit.recover(self.layout):
                actions.append((self.path((INTERNAL,)), line))
        for finding in self.scan().findings:
            if finding.fix == "remove":
                actions.extend(self._remove_temp(finding, now))
            elif finding.fix == "quarantine":
                actions.extend(self._quarantine(finding))
            elif finding.fix == "drop-meta":
                with self.locked(exclusive=True):
                    if self._unlink(finding.folder, finding.name):
                        actions.append((finding.path, "removed unreadable metadata"))
        return actions

    def _remove_temp(self, finding: Finding, now: float) -> list[tuple[str, str]]:
        if finding.sig is None:
            return []  # gone already
        if now - finding.sig[1] / 1e9 < TEMP_GRACE_SECONDS:
            return [(finding.path, f"left: younger than {TEMP_GRACE_SECONDS // 60} minutes, it "
                                   "may belong to a write in progress")]
        with self.locked(exclusive=True):
            if self._sig(finding.folder, finding.name) != finding.sig:
                return [(finding.path, "left: it changed while being checked")]
            self._unlink(finding.folder, finding.name)
        return [(finding.path, "removed temporary file")]

    def _quarantine(self, finding: Finding) -> list[tuple[str, str]]:
        folder, name = finding.folder, finding.name
        stem = folder[1] if folder[:1] == ("artifacts",) else name[:-5]
        to_folder = _QUARANTINE + (folder[:1] if folder else ())
        to_name = f"{stem}.{secrets.token_hex(4)}.json"
        if finding.sig is None:
            return []  # gone already
        with self.locked(exclusive=True):
            if self._sig(folder, name) != finding.sig:
                return [(finding.path, "left: it changed while being checked")]
            _commit.commit(self.layout, [Move(folder, name, to_folder, to_name)])
        return [(finding.path, f"{finding.kind}: moved to {self.path(to_folder, to_name)}")]

    # -- gc ------------------------------------------------------------------------

    def garbage(self, *, older_than: float, now: float | None = None) -> list[Garbage]:
        """What ``gc`` would remove: checkpoints older than ``older_than``
        seconds (by ``checkpoint_ms``) and data of sessions that are gone."""
        now = time.time() if now is None else now
        cutoff_ms = (now - older_than) * 1000
        found: list[Garbage] = []
        ignored: list[Finding] = []
        with self.locked(exclusive=False):
            sessions, side, artifact_dirs, checkpoints, quarantined = self._inventory(ignored)
            present = {name[:-5] for name in sessions}
            gone = "a session that is gone"
            for stem in sorted(artifact_dirs - present - quarantined):
                folder = ("artifacts", stem)
                found.append(Garbage(self.path(folder), f"artifacts of {stem}.json, {gone}",
                                     ("artifacts",), stem, self._sizes(folder)[1], tree=True,
                                     stem=stem))
            for stem, files in sorted(side.items()):
                if stem in present or stem in quarantined:
                    continue
                for folder, name in files:
                    if folder[0] != "artifacts":
                        sig = self._sig(folder, name)
                        found.append(Garbage(self.path(folder, name),
                                             f"side data of {stem}.json, {gone}", folder, name,
                                             sig[0] if sig else 0, stem=stem))
            kept = present | quarantined
            for entry in self._entries(_META):
                stem = entry.name[:-5]
                if entry.name.endswith(".json") and stem not in kept:
                    sig = self._sig(_META, entry.name)
                    found.append(Garbage(self.path(_META, entry.name), "metadata of a session "
                                         "that is gone", _META, entry.name, sig[0] if sig else 0,
                                         stem=stem))
        for i in range(0, len(checkpoints), _BATCH):
            with self.locked(exclusive=False):
                for folder, name in checkpoints[i:i + _BATCH]:
                    checked = self._check_checkpoint(folder, name, ignored)
                    if checked is None:
                        continue  # damaged or newer: verify reports it, gc leaves it
                    cp, sig = checked
                    if cp.checkpoint_ms < cutoff_ms:
                        days = (now * 1000 - cp.checkpoint_ms) / 86400000
                        owner = getattr(cp, _CHECKPOINTS[folder][2])
                        found.append(Garbage(self.path((folder,), name),
                                             f"{_CHECKPOINTS[folder][3]} {owner!r}, "
                                             f"{days:.1f} days old", (folder,), name, sig[0],
                                             sig=sig))
        return found

    def collect(self, items: list[Garbage]) -> list[Garbage]:
        """Remove ``items`` in one journaled commit; return those removed
        (an item whose session came back, or that changed, is kept)."""
        with self.locked(exclusive=True):
            keep = []
            for g in items:
                if g.stem is not None and self._sig((), g.stem + ".json") is not None:
                    continue  # the session was saved again
                if g.sig is not None and self._sig(g.folder, g.name) != g.sig:
                    continue
                keep.append(g)
            ops = [RemoveTree(g.folder, g.name) if g.tree else Remove(g.folder, g.name)
                   for g in keep]
            if ops:
                _commit.commit(self.layout, ops)
        return keep

    # -- stats ---------------------------------------------------------------------

    def _sizes(self, folder: tuple[str, ...]) -> tuple[int, int]:
        """(files, bytes) under ``folder``, recursively, links not followed."""
        files = size = 0
        subfolders = []
        try:
            with self._opened(folder) as d:
                for entry in [] if d is None else _fs.list_dir(d):
                    if entry.is_dir(follow_symlinks=False):
                        subfolders.append(entry.name)
                    elif entry.is_file(follow_symlinks=False):
                        st = _fs.stat_entry(d, entry.name)
                        if st is not None:
                            files, size = files + 1, size + st.st_size
        except (UnsafePathError, CorruptDataError):
            return 0, 0  # verify reports it
        for name in subfolders:  # after closing this one: descriptors stay few
            f, s = self._sizes(folder + (name,))
            files, size = files + f, size + s
        return files, size

    def usage(self) -> dict[str, tuple[int, int]]:
        """(files, bytes) per category: ``sessions``, each side folder, the
        two checkpoint folders, and the store's own ``.a3s_store``."""
        out = {}
        with self.locked(exclusive=False):
            files = size = 0
            for entry in self._entries(()):
                if entry.name.endswith(".json") and entry.is_file(follow_symlinks=False):
                    sig = self._sig((), entry.name)
                    if sig is not None:
                        files, size = files + 1, size + sig[0]
            out["sessions"] = (files, size)
            for folder in ("artifacts", *_SIDE, *_CHECKPOINTS, INTERNAL):
                out[folder] = self._sizes((folder,))
        return out

