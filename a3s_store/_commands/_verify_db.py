"""``verify`` on a database URL (``sqlite:///path.db``, ``postgresql://...``).

A database keeps no files to check one by one: ``verify`` there proves the
database answers and its schema is current and writable (the store's
``health_check``), then loads every session with its side data and every
checkpoint it can list, and reports each that does not load (a damaged
row) as a problem. ``--repair`` and ``--adopt`` are about files, so they
are refused with a message saying so.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from .._term import Progress, safe
from ..errors import A3SStoreError
from ..store import SessionStore
from ._common import CommandError, open_store, where, write_json

__all__ = ["verify_database"]


def verify_database(args: argparse.Namespace, root: str, out: TextIO, err: TextIO) -> int:
    """Health check, then every session and checkpoint loaded; exit 1 on a problem."""
    if args.repair or args.adopt:
        raise CommandError("verify --repair and --adopt work on a store folder; on a database "
                           "verify checks that it answers and that every session and "
                           "checkpoint loads", 2)
    problems: list[tuple[str, str]] = []  # (what, why)
    progress = Progress("checking", err)
    try:
        with open_store(root) as store:
            name = where(store)
            sessions, checkpoints = _check(store, problems, progress)
    finally:
        progress.close()
    if args.json:
        write_json(out, {"root": name, "sessions": sessions, "side_files": 0,
                         "checkpoints": checkpoints, "quarantined": 0, "repairs": [],
                         "adopted": [],
                         "findings": [{"severity": "problem", "kind": "damaged", "path": what,
                                       "message": why} for what, why in problems]})
        return 1 if problems else 0
    for what, why in problems:
        out.write(f"problem  damaged       {safe(what)}: {safe(why)}\n")
    verdict = f"{len(problems):,} problem{'s' * (len(problems) != 1)}" if problems else "ok"
    out.write(f"checked {sessions:,} session{'s' * (sessions != 1)} with their side data, "
              f"{checkpoints:,} checkpoint{'s' * (checkpoints != 1)} in {safe(name)} "
              f"(the database answers, every record loads): {verdict}\n")
    return 1 if problems else 0


def _check(store: SessionStore, problems: list[tuple[str, str]], progress: Progress
           ) -> tuple[int, int]:
    try:
        store.health_check()
    except A3SStoreError:
        raise
    except Exception as exc:  # the driver's error: a read-only file, a missing table
        raise CommandError(f"{where(store)} fails its health check: {type(exc).__name__}: "
                           f"{exc}") from None
    ids = store.list()
    kinds = [(label, getattr(store, f"list_{kind}_checkpoints", None),
              getattr(store, f"load_{kind}_checkpoint"))
             for kind, label in (("loop", "loop checkpoint"), ("workflow", "workflow checkpoint"))]
    keys = [(label, key, load) for label, lister, load in kinds if callable(lister)
            for key in lister()]
    total = len(ids) + len(keys)
    for done, session_id in enumerate(ids, 1):
        _load(problems, f"session {session_id!r}", store.load_snapshot, session_id)
        progress(done, total)
    for done, (label, key, load) in enumerate(keys, len(ids) + 1):
        _load(problems, f"{label} {key!r}", load, key)
        progress(done, total)
    return len(ids), len(keys)


def _load(problems: list[tuple[str, str]], what: str, load: Callable[[str], object],
          key: str) -> None:
    try:
        load(key)
    except A3SStoreError as exc:
        problems.append((what, str(exc)))
