"""What each command of ``a3s-store`` does (``cli`` parses and dispatches).

Every command takes the parsed arguments, the store folder and the output
streams, writes its result to ``out`` (what a script reads) and anything
else (progress, confirmations) to ``err`` only when that is a terminal, and
returns the exit code: 0 success, 1 a failure or a problem found, 2 bad
usage or a store folder that is missing or unreadable.
"""

from __future__ import annotations

import time

from . import _fs, _json
from ._check import Checker, parse_age
from ._render_html import render_document
from ._render_text import render_markdown, render_show, snapshot_dict
from ._term import Progress, ago, clock, human_int, human_size, safe, table
from .errors import A3SStoreError
from .file_store import FileSessionStore

__all__ = ["CommandError", "check_root", "COMMANDS"]

_EXPORT_SCHEMA = "a3s_store.export.v1"


class CommandError(A3SStoreError):
    """A command that cannot do what was asked; ``code`` is its exit code."""

    def __init__(self, message: str, code: int = 1, **kw) -> None:
        super().__init__(message, **kw)
        self.code = code


def check_root(root: str) -> None:
    """Refuse a store folder that is missing or unreadable (exit code 2)."""
    try:
        d = _fs.open_root(root, create=False)
        if d is not None:
            try:
                _fs.list_dir(d)
            finally:
                _fs.close_dir(d)
    except NotADirectoryError:
        raise CommandError(f"{root} is not a folder", 2) from None
    except OSError as exc:
        raise CommandError(f"cannot read the store folder {root}: {exc.strerror}", 2) from None
    if d is None:
        raise CommandError(f"no store at {root}: the folder does not exist "
                           "(set --root or A3S_STORE_ROOT)", 2)


def _tty(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _write_json(out, value) -> None:
    out.write(_json.encode_bytes(value).decode("utf-8") + "\n")


def _resolve_id(store: FileSessionStore, wanted: str) -> str:
    """``wanted`` when it is stored, else the one stored id it begins (as git
    takes a unique prefix of a commit id)."""
    if store.exists(wanted):
        return wanted
    matches = [i for i in store.list() if i.startswith(wanted)] if wanted else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(repr(m) for m in matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise CommandError(f"{wanted!r} is the start of {len(matches)} session ids: {shown}")
    raise CommandError(f"no session {wanted!r} in {store.root}")


# -- list ------------------------------------------------------------------------


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_list(args, root: str, out, err) -> int:
    """``list``: a table of the sessions, newest first (``--json``: an array)."""
    check_root(root)
    summaries = FileSessionStore(root).list_summaries()
    summaries.sort(key=lambda s: (s.updated_at, s.id), reverse=True)
    if args.limit is not None:
        summaries = summaries[: args.limit]
    if args.json:
        _write_json(out, [s.to_dict() for s in summaries])
        return 0
    if not summaries:
        if _tty(err):
            err.write(f"no sessions in {root}\n")
        return 0
    now = time.time()
    rows = [[safe(s.id), _cut(safe(s.name), 32), safe(s.state), _cut(safe(s.model or "-"), 28),
             human_int(s.messages), ago(s.updated_at, now=now), human_size(s.size_bytes)]
            for s in summaries]
    out.write(table(["ID", "NAME", "STATE", "MODEL", "MESSAGES", "UPDATED", "SIZE"], rows,
                    right={4, 6}) + "\n")
    return 0


# -- show / export -------------------------------------------------------------------


def _load(root: str, wanted: str):
    check_root(root)
    store = FileSessionStore(root)
    session_id = _resolve_id(store, wanted)
    snap = store.load_snapshot(session_id)
    if snap is None:  # deleted in between
        raise CommandError(f"no session {session_id!r} in {root}")
    return snap


def cmd_show(args, root: str, out, err) -> int:
    """``show ID``: the transcript and the side data of one session."""
    snap = _load(root, args.id)
    out.write(render_show(snapshot_dict(snap), full=args.full) + "\n")
    return 0


def export_bytes(snap, fmt: str) -> bytes:
    """The export of a snapshot in ``json``, ``markdown`` or ``html``."""
    data = snapshot_dict(snap)
    if fmt == "json":
        doc = {"schema": _EXPORT_SCHEMA, "id": snap.session.id, **data}
        return _json.encode_bytes(doc) + b"\n"
    if fmt == "markdown":
        return render_markdown(data).encode("utf-8")
    return render_document(data).encode("utf-8")


def cmd_export(args, root: str, out, err) -> int:
    """``export ID``: JSON, markdown or HTML, to stdout or atomically to a file."""
    snap = _load(root, args.id)
    data = export_bytes(snap, args.format)
    if args.output in (None, "-"):
        out.flush()
        out.buffer.write(data)
        out.buffer.flush()
        return 0
    _fs.write_file(args.output, data)
    if _tty(err):
        err.write(f"exported {safe(repr(snap.session.id))} to {safe(args.output)} "
                  f"({human_size(len(data))})\n")
    return 0


# -- delete ----------------------------------------------------------------------------


def cmd_delete(args, root: str, out, err) -> int:
    """``delete ID``: the session and its side files (the whole id, no prefix)."""
    check_root(root)
    store = FileSessionStore(root)
    if not store.exists(args.id):
        raise CommandError(f"no session {args.id!r} in {root} (delete takes the whole id)")
    store.delete(args.id)
    out.write(f"deleted session {safe(repr(args.id))} and its side files\n")
    return 0


# -- verify ------------------------------------------------------------------------------


def cmd_verify(args, root: str, out, err) -> int:
    """``verify [--repair]``: every finding with its path; exit 1 on a problem."""
    check_root(root)
    progress = Progress("checking", err)
    actions = []
    try:
        with Checker(root, progress=progress) as checker:
            if args.repair:
                actions = checker.repair()
            scan = checker.scan()
    finally:
        progress.close()
    shown = sorted((f for f in scan.findings if not (args.quiet and f.severity == "note")),
                   key=lambda f: (f.severity != "problem", f.path))
    if args.json:
        _write_json(out, {"root": root, "sessions": scan.sessions, "side_files": scan.side_files,
                          "checkpoints": scan.checkpoints, "quarantined": scan.quarantined,
                          "repairs": [{"path": p, "action": a} for p, a in actions],
                          "findings": [{"severity": f.severity, "kind": f.kind, "path": f.path,
                                        "message": f.message} for f in shown]})
        return 1 if scan.problems else 0
    for path, action in actions:
        out.write(f"repair   {safe(path)}: {safe(action)}\n")
    for f in shown:
        out.write(f"{f.severity:<8} {f.kind:<13} {safe(f.path)}: {safe(f.message)}\n")
    problems, notes = len(scan.problems), len(scan.notes)
    summary = (f"checked {scan.sessions:,} session{'s' * (scan.sessions != 1)}, "
               f"{scan.side_files:,} side file{'s' * (scan.side_files != 1)}, "
               f"{scan.checkpoints:,} checkpoint{'s' * (scan.checkpoints != 1)} in {safe(root)}: ")
    if problems:
        summary += f"{problems:,} problem{'s' * (problems != 1)}"
        if not args.repair and any(f.fix for f in scan.problems):
            summary += " (verify --repair fixes what it can)"
    else:
        summary += "ok"
    if notes:
        summary += f", {notes:,} note{'s' * (notes != 1)}"
    if scan.quarantined:
        summary += f"; {scan.quarantined:,} file{'s' * (scan.quarantined != 1)} in quarantine"
    out.write(summary + "\n")
    return 1 if problems else 0


# -- gc ----------------------------------------------------------------------------------


def cmd_gc(args, root: str, out, err) -> int:
    """``gc``: list old checkpoints and orphaned data; remove them with ``--yes``."""
    try:
        older_than = parse_age(args.older_than)
    except ValueError as exc:
        raise CommandError(f"--older-than: {exc}", 2) from None
    check_root(root)
    with Checker(root) as checker:
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


# -- stats -------------------------------------------------------------------------------


def cmd_stats(args, root: str, out, err) -> int:
    """``stats``: sessions, messages, oldest and newest, files and bytes per category."""
    check_root(root)
    summaries = FileSessionStore(root).list_summaries()
    with Checker(root) as checker:
        usage = checker.usage()
    oldest = min(summaries, key=lambda s: (s.created_at, s.id), default=None)
    newest = max(summaries, key=lambda s: (s.updated_at, s.id), default=None)
    messages = sum(s.messages for s in summaries)
    if args.json:
        _write_json(out, {
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
    if oldest is not None:
        lines.append(f"oldest    {safe(repr(oldest.id))}, created {clock(oldest.created_at)}")
        lines.append(f"newest    {safe(repr(newest.id))}, updated {clock(newest.updated_at)} "
                     f"({ago(newest.updated_at)})")
    rows = [[k, human_int(f), human_size(b)] for k, (f, b) in usage.items()]
    rows.append(["total", human_int(sum(f for f, _ in usage.values())),
                 human_size(sum(b for _, b in usage.values()))])
    out.write("\n".join(lines) + "\n\n" + table(["CATEGORY", "FILES", "SIZE"], rows,
                                                 right={1, 2}) + "\n")
    return 0


COMMANDS = {
    "list": cmd_list,
    "show": cmd_show,
    "export": cmd_export,
    "delete": cmd_delete,
    "verify": cmd_verify,
    "gc": cmd_gc,
    "stats": cmd_stats,
}
