"""The commands that look into a store: ``list``, ``show``, ``export``, ``stats``, ``demo``.

Each command is its options and its handler, side by side.
"""

from __future__ import annotations

import argparse
import time
from typing import TextIO

from .._check import Checker
from .._export import FORMATS, SUFFIXES, export_bytes, format_of, write_export
from .._render_text import render_show, snapshot_dict
from .._term import ago, clock, human_int, human_size, safe, table
from ..demo import run_demo
from ..file_store import FileSessionStore
from ..snapshot import SessionSnapshot
from ._common import (
    Command,
    CommandError,
    cut,
    open_store,
    os_error_text,
    resolve_id,
    tty,
    where,
    write_json,
)

__all__ = ["LIST", "SHOW", "EXPORT", "STATS", "DEMO"]


# -- list --------------------------------------------------------------------------


def _list_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print a JSON array (for scripts, jq)")
    p.add_argument("-n", "--limit", type=_count, metavar="N", help="only the N newest")
    p.add_argument("--no-check", dest="check", action="store_false",
                   help="trust the listing index for files that were not replaced (skips "
                        "one stat per file; a file rewritten in place then shows as it was)")


def _count(text: str) -> int:
    """A number of rows: 0 or more (argparse shows the message as a usage error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of sessions, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _list(args: argparse.Namespace, root: str, out: TextIO, err: TextIO) -> int:
    """A table of the sessions, newest first (``--json``: an array); a damaged
    session is listed as DAMAGED (``problem`` in JSON), never left out."""
    with open_store(root) as store:
        # A folder's listing compares every file with its index (an in-place
        # edit shows); the other backends have no index to distrust.
        summaries = store.list_summaries(check=args.check) \
            if isinstance(store, FileSessionStore) else store.list_summaries()
    if not summaries and not args.json:
        if tty(out):  # a person is looking: say so; a pipe gets nothing
            out.write(f"no sessions in {safe(where(store))}\n")
        return 0
    summaries.sort(key=lambda s: (s.updated_at, s.id), reverse=True)
    if args.limit is not None:
        summaries = summaries[: args.limit]
    if args.json:
        write_json(out, [s.to_dict() for s in summaries])
        return 0
    now = time.time()
    rows = [[safe(s.id), cut(safe(s.name), 32), "DAMAGED" if s.problem else safe(s.state),
             cut(safe(s.model or "-"), 28), human_int(s.messages), ago(s.updated_at, now=now),
             human_size(s.size_bytes)] for s in summaries]
    out.write(table(["ID", "NAME", "STATE", "MODEL", "MESSAGES", "UPDATED", "SIZE"], rows,
                    right={4, 6}) + "\n")
    damaged = [s for s in summaries if s.problem]
    if damaged:
        out.write(f"\n{len(damaged)} damaged (a3s-store verify {safe(root)} says more):\n")
        out.writelines(f"  {safe(s.id)}: {safe(s.problem)}\n" for s in damaged)
    return 0


LIST = Command("list", "list the sessions, newest first",
               "List the sessions: id, name, state, model, messages, last update and size of "
               "the session file, newest first.", _list_options, _list, any_store=True)


# -- show / export -----------------------------------------------------------------


def _load(root: str, wanted: str) -> SessionSnapshot:
    with open_store(root) as store:
        session_id = resolve_id(store, wanted)
        snap = store.load_snapshot(session_id)
    if snap is None:  # deleted in between
        raise CommandError(f"no session {session_id!r} in {where(store)}")
    return snap


def _show_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", help="session id (or a unique start of one)")
    p.add_argument("--full", action="store_true",
                   help="print long tool inputs, results and reasoning whole, and each "
                        "run's timeline and checks")


def _show(args: argparse.Namespace, root: str, out: TextIO, err: TextIO) -> int:
    """The transcript and the side data of one session."""
    snap = _load(root, args.id)
    out.write(render_show(snapshot_dict(snap), full=args.full) + "\n")
    return 0


SHOW = Command("show", "print the transcript of a session",
               "Print a session: its facts, usage and cost, every message (text, reasoning, "
               "tool calls and results), then its artifacts, traces, runs, verification "
               "reports and subagent tasks. ID may be the start of an id, when only one "
               "session id begins with it.", _show_options, _show, any_store=True)


def _export_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", help="session id (or a unique start of one)")
    p.add_argument("--format", "-f", choices=list(FORMATS),
                   help="output format (default: from the suffix of FILE: .json, .md, .html, "
                        ".txt; json on stdout)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE (atomically, mode 0600 when new) instead of stdout")


def _export(args: argparse.Namespace, root: str, out: TextIO, err: TextIO) -> int:
    """JSON, markdown, HTML or text, to stdout or atomically to a file (its
    format from its suffix unless ``--format`` says it)."""
    to_stdout = args.output in (None, "-")
    fmt = args.format or ("json" if to_stdout else format_of(args.output))
    if fmt is None:
        raise CommandError(f"cannot tell the format of {args.output!r} from its suffix (known: "
                           f"{', '.join(SUFFIXES)}): give --format {'|'.join(FORMATS)}", 2)
    snap = _load(root, args.id)
    data = export_bytes(snap, fmt)
    if to_stdout:
        out.flush()
        out.buffer.write(data)
        out.buffer.flush()
        return 0
    try:
        write_export(args.output, data)
    except OSError as exc:
        raise CommandError(os_error_text(exc, args.output, "cannot write the export")) from None
    if tty(err):
        err.write(f"exported {safe(repr(snap.session.id))} to {safe(args.output)} "
                  f"({human_size(len(data))})\n")
    return 0


EXPORT = Command("export", "write a session as JSON, markdown, HTML or text",
                 "Export a session with all its side data. HTML is one self-contained file "
                 "(no scripts, no external assets) in which session content is always "
                 "escaped; JSON is a single document for scripts.", _export_options, _export,
                 any_store=True)


# -- stats -------------------------------------------------------------------------


def _stats_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def _stats(args: argparse.Namespace, root: str, out: TextIO, err: TextIO) -> int:
    """Sessions, messages, oldest and newest, files and bytes per category."""
    with open_store(root) as store:
        summaries = store.list_summaries()
    with Checker(root) as checker:
        usage = checker.usage()
    oldest = min(summaries, key=lambda s: (s.created_at, s.id), default=None)
    newest = max(summaries, key=lambda s: (s.updated_at, s.id), default=None)
    messages = sum(s.messages for s in summaries)
    if args.json:
        write_json(out, {
            "root": root, "sessions": len(summaries), "messages": messages,
            "oldest": None if oldest is None else {"id": oldest.id,
                                                   "created_at": oldest.created_at},
            "newest": None if newest is None else {"id": newest.id,
                                                   "updated_at": newest.updated_at},
            "categories": {k: {"files": f, "bytes": b} for k, (f, b) in usage.items()}})
        return 0
    lines = [f"store     {safe(root)}",
             f"sessions  {len(summaries):,}",
             f"messages  {messages:,}"]
    if oldest is not None and newest is not None:
        lines.append(f"oldest    {safe(repr(oldest.id))}, created {clock(oldest.created_at)}")
        lines.append(f"newest    {safe(repr(newest.id))}, updated {clock(newest.updated_at)} "
                     f"({ago(newest.updated_at)})")
    rows = [[k, human_int(f), human_size(b)] for k, (f, b) in usage.items()]
    rows.append(["total", human_int(sum(f for f, _ in usage.values())),
                 human_size(sum(b for _, b in usage.values()))])
    out.write("\n".join(lines) + "\n\n" + table(["CATEGORY", "FILES", "SIZE"], rows,
                                                 right={1, 2}) + "\n")
    return 0


STATS = Command("stats", "count sessions, messages and bytes",
                "Sessions, messages, the oldest and newest session, and files and bytes per "
                "category.", _stats_options, _stats)


# -- demo --------------------------------------------------------------------------


def _demo_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--id", default="demo-session", help="id of the sample session")


def _demo(args: argparse.Namespace, root: str, out: TextIO, err: TextIO) -> int:
    """Save a sample session into the store folder (made when missing) and print it."""
    out.write(run_demo(root, args.id) + "\n")
    return 0


DEMO = Command("demo", "save a sample session, load it back and print it", "",
               _demo_options, _demo, needs_root=False)
