"""The commands that change a store: ``delete``, ``verify [--repair] [--adopt]``, ``gc``.

Each command is its options and its handler, side by side.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from .._check import Scan, parse_age
from .._term import Progress, human_size, safe
from ._common import Command, CommandError, is_url, open_checker, open_store, where, write_json
from ._verify_db import verify_database

__all__ = ["DELETE", "VERIFY", "GC"]


# -- delete ------------------------------------------------------------------------


def _delete_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", help="the session id")


def _delete(args: argparse.Namespace, root: str, out: TextIO, err: TextIO) -> int:
    """The session and its side files (the whole id, no prefix)."""
    with open_store(root) as store:
        if not store.exists(args.id):
            raise CommandError(f"no session {args.id!r} in {where(store)} (delete takes the "
                               "whole id)")
        store.delete(args.id)
    out.write(f"deleted session {safe(repr(args.id))} and its side files\n")
    return 0


DELETE = Command("delete", "delete a session and its side files",
                 "Delete a session and its side files, all at once. Takes the whole id. Loop "
                 "and workflow checkpoints are keyed by run, not by session: gc removes old "
                 "ones.", _delete_options, _delete, any_store=True)


# -- verify --------------------------------------------------------------------------


def _verify_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repair", action="store_true",
                   help="finish or roll back interrupted saves, remove leftover temporary "
                        "files, move damaged files into .a3s_store/quarantine/ (never "
                        "deleted)")
    p.add_argument("--adopt", action="store_true",
                   help="accept files changed outside a3s_store (a store restored with cp -a, "
                        "a3s-code's writes) as the store's own, so their notes stop; only "
                        "files that parse are adopted, damage is still reported")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only, not notes")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")


def _verify(args: argparse.Namespace, root: str, out: TextIO, err: TextIO) -> int:
    """Every finding with its path; exit 1 on a problem."""
    if is_url(root):
        return verify_database(args, root, out, err)
    progress = Progress("checking", err)
    actions, adopted = [], []
    try:
        doing = ("verify --repair" if args.repair else "verify --adopt" if args.adopt
                 else "verify")
        with open_checker(root, doing=doing, progress=progress) as checker:
            if args.repair:
                actions = checker.repair()
            if args.adopt:
                adopted = checker.adopt()
            scan = checker.scan()
    finally:
        progress.close()
    shown = sorted((f for f in scan.findings if not (args.quiet and f.severity == "note")),
                   key=lambda f: (f.severity != "problem", f.path))
    if args.json:
        write_json(out, {"root": root, "sessions": scan.sessions, "side_files": scan.side_files,
                         "checkpoints": scan.checkpoints, "quarantined": scan.quarantined,
                         "repairs": [{"path": p, "action": a} for p, a in actions],
                         "adopted": [{"path": p, "action": a} for p, a in adopted],
                         "findings": [{"severity": f.severity, "kind": f.kind, "path": f.path,
                                       "message": f.message} for f in shown]})
        return 1 if scan.problems else 0
    for verb, done in (("repair", actions), ("adopt", adopted)):
        for path, action in done:
            out.write(f"{verb:<8} {safe(path)}: {safe(action)}\n")
    for f in shown:
        out.write(f"{f.severity:<8} {f.kind:<13} {safe(f.path)}: {safe(f.message)}\n")
    out.write(_verify_summary(scan, root, args.repair) + "\n")
    return 1 if scan.problems else 0


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def _verify_summary(scan: Scan, root: str, repaired: bool) -> str:
    problems, notes = len(scan.problems), len(scan.notes)
    summary = (f"checked {_plural(scan.sessions, 'session')}, "
               f"{_plural(scan.side_files, 'side file')}, "
               f"{_plural(scan.checkpoints, 'checkpoint')} in {safe(root)}: ")
    if problems:
        summary += _plural(problems, "problem")
        if not repaired and any(f.fix for f in scan.problems):
            summary += " (verify --repair fixes what it can)"
    else:
        summary += "ok"
    if notes:
        summary += f", {_plural(notes, 'note')}"
    if scan.quarantined:
        summary += f"; {_plural(scan.quarantined, 'file')} in quarantine"
    return summary


VERIFY = Command("verify", "check every file of the store",
                 "Check every session, side file and checkpoint: it parses, its id matches "
                 "its file name, the files of a session are the generation a3s_store last "
                 "wrote (else a note: changed outside a3s_store, e.g. by a3s-code), and no "
                 "interrupted save or temporary file is left. Exits 1 when a problem is "
                 "found. On a database URL it checks that the database answers and that "
                 "every session and checkpoint loads.", _verify_options, _verify,
                 any_store=True)


# -- gc ------------------------------------------------------------------------------


def _gc_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--older-than", default="7d", metavar="AGE",
                   help="checkpoint age such as 30m, 12h, 7d, 2w (default: 7d)")
    p.add_argument("--yes", action="store_true", help="remove them (otherwise only list)")


def _gc(args: argparse.Namespace, root: str, out: TextIO, err: TextIO) -> int:
    """List old checkpoints and orphaned data; remove them with ``--yes``."""
    try:
        older_than = parse_age(args.older_than)
    except ValueError as exc:
        raise CommandError(f"--older-than: {exc}", 2) from None
    with open_checker(root, doing="gc") as checker:
        items = checker.garbage(older_than=older_than)
        if args.yes and items:
            items = checker.collect(items)
    verb = "removed" if args.yes else "would remove"
    for g in items:
        out.write(f"{verb}  {safe(g.path)}  ({safe(g.reason)}, {human_size(g.size)})\n")
    total = human_size(sum(g.size for g in items))
    if not items:
        out.write(f"nothing to remove (checkpoints older than {args.older_than}, "
                  "data of deleted sessions)\n")
    elif args.yes:
        out.write(f"removed {len(items):,} item{'s' * (len(items) != 1)}, {total}\n")
    else:
        out.write(f"{len(items):,} item{'s' * (len(items) != 1)}, {total}; "
                  "run again with --yes to remove them\n")
    return 0


GC = Command("gc", "remove old checkpoints and data of deleted sessions",
             "List loop and workflow checkpoints older than --older-than (by their "
             "checkpoint time) and side data whose session is gone; remove them with "
             "--yes, all at once.", _gc_options, _gc)
