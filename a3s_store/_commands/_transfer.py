"""The command that moves sessions between stores: ``copy SRC DST``.

Its options and its handler, side by side. Both ends are a folder or a
store URL (``sqlite:///path.db``, ``postgresql://...``); the copy itself is
:func:`~a3s_store.copy_store`, so it is resumable and idempotent: run again
after an interruption, it copies what is missing and rewrites nothing.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from .._copy import copy_store
from .._term import Progress, safe
from ..errors import A3SStoreError
from ._common import (
    Command,
    CommandError,
    open_store,
    os_error_text,
    resolve_store,
    user_path,
    where,
)

__all__ = ["COPY"]


def _copy_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", metavar="SRC", help="the store to copy from (a folder or a URL)")
    p.add_argument("dst", metavar="DST",
                   help="the store to copy into (made when missing: a folder or a URL)")


def _target(text: str) -> str:
    try:
        return resolve_store(text)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None


def _copy(args: argparse.Namespace, root: str, out: TextIO, err: TextIO) -> int:
    """Copy every session of SRC with its side data into DST; one line per failure."""
    src, dst = _target(args.src), _target(args.dst)
    progress = Progress("copying", err)
    done = [0]

    def step(count: int, total: int, session_id: str) -> None:
        done[0] = count
        progress(count, total)

    with open_store(src) as source, open_store(dst, create=True) as target:
        try:
            result = copy_store(source, target, progress=step)
        except (OSError, A3SStoreError) as exc:  # a broken connection, a full disk
            why = os_error_text(exc, user_path(exc, dst), "writing") \
                if isinstance(exc, OSError) else str(exc)
            raise CommandError(f"copy stopped after {done[0]:,} sessions: {why}; run the "
                               "same command again to resume") from None
        finally:
            progress.close()
        names = where(source), where(target)
    for what, error in sorted(result.failed.items()):  # (exc: the except clause's above)
        label = what if what.startswith(("loop ", "workflow ")) else f"session {what!r}"
        err.write(f"a3s-store: not copied: {safe(label)}: {safe(error)}\n")
    summary = (f"copied {result.copied:,} session{'s' * (result.copied != 1)} "
               f"({result.unchanged:,} already there), {result.checkpoints:,} "
               f"checkpoint{'s' * (result.checkpoints != 1)} from {safe(names[0])} to "
               f"{safe(names[1])}")
    if result.failed:
        summary += f"; {len(result.failed):,} not copied (see above)"
    out.write(summary + "\n")
    return 1 if result.failed else 0


COPY = Command("copy", "copy every session into another store (folder, SQLite, PostgreSQL)",
               "Copy every session of SRC with all its side data and the checkpoints it can "
               "find into DST: each a store folder, sqlite:///path.db or postgresql://... "
               "(DST is made when missing). Sessions DST already holds exactly are left "
               "alone, so running it again after an interruption finishes the job and a "
               "second run writes nothing. Exits 1 when a session could not be copied "
               "(each is named, with why).", _copy_options, _copy, needs_root=False)
