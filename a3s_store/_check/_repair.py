"""``verify --repair``: fix what can be fixed, never deleting anything but temporary files.

Interrupted saves are finished or rolled back first (that may mend files a
check would otherwise report), then the store is scanned and each problem
with a fix is fixed under the exclusive lock, after checking that the file
is still the one that was found (same size, mtime and inode), so a file
saved again meanwhile is left alone. a3s-code's temporary files are removed
once older than :data:`TEMP_GRACE_SECONDS` (a younger one may belong to a
write in progress: a3s-code does not take the store's lock); a damaged file,
or one holding another id, is moved into ``.a3s_store/quarantine/`` with one
journaled rename.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING

from .. import _commit, _recovery
from .._components import ARTIFACTS
from .._layout import INTERNAL, QUARANTINE
from ._findings import TEMP_GRACE_SECONDS, Finding
from ._verify import scan

if TYPE_CHECKING:
    from . import Checker

__all__ = ["repair"]


def repair(checker: Checker, *, now: float | None = None) -> list[tuple[str, str]]:
    """Fix what can be fixed; return (path, what was done) per action."""
    now = time.time() if now is None else now
    actions: list[tuple[str, str]] = []
    with checker.view(exclusive=True) as view:
        for line in _recovery.recover(view.layout, retry_blocked=True):
            actions.append((view.path((INTERNAL,)), line))
    for finding in scan(checker).findings:
        if finding.fix == "remove":
            actions.extend(_remove_temp(checker, finding, now))
        elif finding.fix == "quarantine":
            actions.extend(_quarantine(checker, finding))
        elif finding.fix == "drop-meta":
            with checker.view(exclusive=True) as view:
                if view.unlink(finding.folder, finding.name):
                    actions.append((finding.path, "removed unreadable metadata"))
    return actions


def _remove_temp(checker: Checker, finding: Finding, now: float) -> list[tuple[str, str]]:
    if finding.sig is None:
        return []  # gone already
    if now - finding.sig[1] / 1e9 < TEMP_GRACE_SECONDS:
        return [(finding.path, f"left: younger than {TEMP_GRACE_SECONDS // 60} minutes, it "
                               "may belong to a write in progress")]
    with checker.view(exclusive=True) as view:
        if view.sig(finding.folder, finding.name) != finding.sig:
            return [(finding.path, "left: it changed while being checked")]
        view.unlink(finding.folder, finding.name)
    return [(finding.path, "removed temporary file")]


def _quarantine(checker: Checker, finding: Finding) -> list[tuple[str, str]]:
    folder, name = finding.folder, finding.name
    stem = folder[1] if folder[:1] == ARTIFACTS.folder else name[:-5]
    to_folder = QUARANTINE + (folder[:1] if folder else ())
    to_name = f"{stem}.{secrets.token_hex(4)}.json"
    if finding.sig is None:
        return []  # gone already
    with checker.view(exclusive=True) as view:
        if view.sig(folder, name) != finding.sig:
            return [(finding.path, "left: it changed while being checked")]
        with _commit.Transaction(view.layout) as tx:
            tx.add(_commit.Move(folder, name, to_folder, to_name))
            tx.commit()
        where = view.path(to_folder, to_name)
    return [(finding.path, f"{finding.kind}: moved to {where}")]
