"""``gc``: old checkpoints and the data of sessions that are gone, listed, then removed.

Checkpoints count as old by their ``checkpoint_ms``; side data and metadata
count as orphaned when no session file has their stem (and none is in
quarantine, where it is kept for whoever restores it). :func:`collect`
removes what is still garbage in one journaled commit: an item whose session
came back, or that changed, is kept.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .. import _commit
from .._components import ARTIFACTS, CHECKPOINTS
from .._layout import META
from ._findings import Finding, Garbage
from ._verify import BATCH, check_checkpoint

if TYPE_CHECKING:
    from . import Checker

__all__ = ["garbage", "collect"]

_KINDS = {kind.folder: kind for kind in CHECKPOINTS}


def garbage(checker: Checker, *, older_than: float, now: float | None = None) -> list[Garbage]:
    """What ``gc`` would remove: checkpoints older than ``older_than`` seconds
    and the data of sessions that are gone."""
    now = time.time() if now is None else now
    cutoff_ms = (now - older_than) * 1000
    found: list[Garbage] = []
    ignored: list[Finding] = []
    gone = "a session that is gone"
    with checker.view(exclusive=False) as view:
        inv = view.inventory(ignored)
        present = {name[:-5] for name in inv.sessions}
        for stem in sorted(inv.artifact_dirs - present - inv.quarantined):
            folder = (*ARTIFACTS.folder, stem)
            found.append(Garbage(view.path(folder), f"artifacts of {stem}.json, {gone}",
                                 ARTIFACTS.folder, stem, view.sizes(folder)[1], tree=True,
                                 stem=stem))
        for stem, files in sorted(inv.side.items()):
            if stem in present or stem in inv.quarantined:
                continue
            for folder, name in files:
                if folder[:1] != ARTIFACTS.folder:
                    sig = view.sig(folder, name)
                    found.append(Garbage(view.path(folder, name),
                                         f"side data of {stem}.json, {gone}", folder, name,
                                         sig[0] if sig else 0, stem=stem))
        kept = present | inv.quarantined
        for entry in view.entries(META):
            stem = entry.name[:-5]
            if entry.name.endswith(".json") and stem not in kept:
                sig = view.sig(META, entry.name)
                found.append(Garbage(view.path(META, entry.name), "metadata of a session "
                                     "that is gone", META, entry.name, sig[0] if sig else 0,
                                     stem=stem))
    for i in range(0, len(inv.checkpoints), BATCH):
        with checker.view(exclusive=False) as view:
            for folder, name in inv.checkpoints[i:i + BATCH]:
                checked = check_checkpoint(view, folder, name, ignored)
                if checked is None:
                    continue  # damaged or newer: verify reports it, gc leaves it
                cp, sig = checked
                if cp.checkpoint_ms < cutoff_ms:
                    kind = _KINDS[folder]
                    days = (now * 1000 - cp.checkpoint_ms) / 86400000
                    owner = getattr(cp, kind.key_field)
                    found.append(Garbage(view.path(folder, name),
                                         f"{kind.label} of {kind.id_kind} {owner!r}, "
                                         f"{days:.1f} days old", folder, name, sig[0], sig=sig))
    return found


def collect(checker: Checker, items: list[Garbage]) -> list[Garbage]:
    """Remove ``items`` in one journaled commit; return those removed (an item
    whose session came back, or that changed, is kept)."""
    with checker.view(exclusive=True) as view:
        keep = []
        for g in items:
            if g.stem is not None and view.sig((), g.stem + ".json") is not None:
                continue  # the session was saved again
            if g.sig is not None and view.sig(g.folder, g.name) != g.sig:
                continue
            keep.append(g)
        if keep:
            with _commit.Transaction(view.layout) as tx:
                for g in keep:
                    tx.add(_commit.RemoveTree(g.folder, g.name) if g.tree
                           else _commit.Remove(g.folder, g.name))
                tx.commit()
    return keep
