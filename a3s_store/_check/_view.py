"""The store as the checker sees it during one batch: reads, findings and the inventory."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import cast

from .. import _fs
from .._components import CHECKPOINTS, SIDE
from .._engine import Operation
from .._layout import INTERNAL, QUARANTINE
from .._shape import is_session_document
from ..errors import CorruptDataError, UnsafePathError
from ._findings import RUST_TMP, Finding, quarantined_stem

Folder = tuple[str, ...]
#: (size, mtime_ns, inode) of a file
FileSig = tuple[int, ...]

__all__ = ["Inventory", "View"]


@dataclass(slots=True)
class Inventory:
    """The names the checker works through, found in one pass over the folders."""

    sessions: list[str] = field(default_factory=list)  # session file names in the root
    side: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)  # by stem
    artifact_dirs: set[str] = field(default_factory=set)
    checkpoints: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    quarantined: set[str] = field(default_factory=set)  # stems with a file in quarantine


class View:
    """One engine operation (without recovery) with the checker's helpers.

    Reads go through the operation's layout; a problem met while reading
    becomes a :class:`Finding` instead of an exception.
    """

    __slots__ = ("op", "layout")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.layout = op.layout

    def path(self, folder: tuple[str, ...], name: str = "") -> str:
        return self.layout.path(folder, name)

    def entries(self, folder: Folder, findings: list[Finding] | None = None
                ) -> list[os.DirEntry[str]]:
        """The entries of a folder; [] when missing. A link or a file where the
        folder should be is a problem (when ``findings`` collects them)."""
        try:
            with self.layout.opened(folder) as d:
                return [] if d is None else _fs.list_dir(d)
        except (UnsafePathError, CorruptDataError) as exc:
            if findings is not None:
                findings.append(Finding("problem", "unsafe", self.path(folder), exc.message))
            return []

    def sig(self, folder: Folder, name: str) -> FileSig | None:
        """(size, mtime_ns, inode) of a file, or None when it is not there."""
        try:
            with self.layout.opened(folder) as d:
                st = None if d is None else _fs.stat_entry(d, name)
        except (UnsafePathError, CorruptDataError):
            return None
        return None if st is None else tuple(_fs.Sig.of(st))

    def read(self, folder: Folder, name: str, findings: list[Finding]
             ) -> tuple[bytes, FileSig] | None:
        """The bytes and sig of a file, or None (a finding says why)."""
        try:
            with self.layout.opened(folder) as d:
                got = None if d is None else _fs.read_file(d, name,
                                                           self.layout.options.max_bytes)
        except UnsafePathError as exc:
            findings.append(Finding("problem", "unsafe", self.path(folder, name), exc.message))
            return None
        except CorruptDataError as exc:
            findings.append(self.damaged(folder, name, exc.message))
            return None
        return None if got is None else (got[0], tuple(got[1]))

    def is_store(self) -> bool:
        """Whether the root is a store: it has the store's own folder, a root
        ``*.json`` file that parses as a session, or nothing at all yet.

        A project folder (a ``package.json``, a broken ``tsconfig.json``) is
        not: the checker must not repair or clean it.
        """
        entries = self.entries(())
        if not entries or self.layout.folder((INTERNAL,)) is not None:
            return True
        for entry in entries:
            if entry.name.endswith(".json") and entry.is_file(follow_symlinks=False):
                got = self.read((), entry.name, [])
                if got is not None and is_session_document(got[0]):
                    return True
        return False

    def unlink(self, folder: tuple[str, ...], name: str) -> bool:
        with self.layout.opened(folder) as d:
            return d is not None and _fs.unlink(d, name)

    def damaged(self, folder: Folder, name: str, message: str,
                sig: FileSig | None = None) -> Finding:
        return Finding("problem", "damaged", self.path(folder, name), message, "quarantine",
                       folder, name, sig or self.sig(folder, name))

    def leftover(self, folder: Folder, name: str, why: str) -> Finding:
        return Finding("problem", "leftover", self.path(folder, name), f"temporary file {why}",
                       "remove", folder, name, self.sig(folder, name))

    def sizes(self, folder: tuple[str, ...]) -> tuple[int, int]:
        """(files, bytes) under ``folder``, recursively, links not followed."""
        files = size = 0
        subfolders = []
        try:
            with self.layout.opened(folder) as d:
                for entry in [] if d is None else _fs.list_dir(d):
                    if entry.is_dir(follow_symlinks=False):
                        subfolders.append(entry.name)
                    elif entry.is_file(follow_symlinks=False):
                        st = _fs.stat_entry(cast(_fs.Dir, d), entry.name)  # listed: not None
                        if st is not None:
                            files, size = files + 1, size + st.st_size
        except (UnsafePathError, CorruptDataError):
            return 0, 0  # verify reports it
        for name in subfolders:  # after closing this one: descriptors stay few
            f, s = self.sizes(folder + (name,))
            files, size = files + f, size + s
        return files, size

    # -- inventory ----------------------------------------------------------------

    def inventory(self, findings: list[Finding]) -> Inventory:
        """Names of the session files, the side files by stem, the checkpoints,
        the quarantined stems; leftovers and links go to ``findings``."""
        inv = Inventory()
        for entry in self.entries(()):
            name = entry.name
            if RUST_TMP.match(name) or (name == ".health_check" and entry.is_file(
                    follow_symlinks=False)):
                findings.append(self.leftover((), name, "left by an interrupted a3s-code write"))
            elif name.endswith(".json"):
                if entry.is_file(follow_symlinks=False):
                    inv.sessions.append(name)
                else:
                    what = "a link" if entry.is_symlink() else "not a regular file"
                    findings.append(Finding("problem", "unsafe", self.path((), name),
                                            f"{what} where a session file should be"))
        for component in SIDE:
            if component.per_session_folder:
                self._artifact_dirs(component.folder, component.file_name, inv, findings)
                continue
            for entry in self.entries(component.folder, findings):
                self._side_entry(component.folder, entry, inv, findings, entry.name[:-5])
        for kind in CHECKPOINTS:
            for entry in self.entries(kind.folder, findings):
                if RUST_TMP.match(entry.name):
                    findings.append(self.leftover(kind.folder, entry.name,
                                                  "left by an interrupted a3s-code write"))
                elif entry.name.endswith(".json") and entry.is_file(follow_symlinks=False):
                    inv.checkpoints.append((kind.folder, entry.name))
        inv.quarantined = {s for s in (quarantined_stem(e.name)
                                       for e in self.entries(QUARANTINE)) if s}
        return inv

    def _artifact_dirs(self, folder: Folder, file_name: str, inv: Inventory,
                       findings: list[Finding]) -> None:
        for entry in self.entries(folder, findings):
            if not entry.is_dir(follow_symlinks=False):
                if entry.is_symlink():
                    findings.append(Finding("problem", "unsafe", self.path(folder, entry.name),
                                            "a link where an artifacts folder should be"))
                continue
            foreign = False  # a file that is not the manifest: the folder is not ours alone
            for sub in self.entries((*folder, entry.name), findings):
                if sub.name == file_name or RUST_TMP.match(sub.name):
                    self._side_entry((*folder, entry.name), sub, inv, findings, entry.name)
                else:
                    foreign = True
            if not foreign:
                inv.artifact_dirs.add(entry.name)

    def _side_entry(self, folder: Folder, entry: os.DirEntry[str], inv: Inventory,
                    findings: list[Finding], stem: str) -> None:
        name = entry.name
        if RUST_TMP.match(name):
            findings.append(self.leftover(folder, name, "left by an interrupted a3s-code write"))
        elif name.endswith(".json"):
            if entry.is_file(follow_symlinks=False):
                inv.side.setdefault(stem, []).append((folder, name))
            elif entry.is_symlink():
                findings.append(Finding("problem", "unsafe", self.path(folder, name),
                                        "a link where a side file should be"))
