"""The command line: ``python -m a3s_store`` or ``a3s-store``.

The store folder comes from ``--root`` (before or after the command), else
the ``A3S_STORE_ROOT`` environment variable, else :data:`DEFAULT_ROOT`
(``~/.a3s/sessions``). This module only parses and dispatches; each command
lives in ``_commands``. Errors are one line on stderr, never a traceback:
exit code 2 for bad usage and a store folder that is missing or unreadable,
1 for any other failure (an unknown id, a damaged file, problems found by
``verify``).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from ._commands import COMMANDS, CommandError
from .demo import run_demo
from .errors import A3SStoreError

__all__ = ["DEFAULT_ROOT", "main", "resolve_root"]

#: The folder used when neither ``--root`` nor ``A3S_STORE_ROOT`` is given.
DEFAULT_ROOT = os.path.join("~", ".a3s", "sessions")

_EPILOG = """examples:
  a3s-store list                          sessions, newest first
  a3s-store show chat-1                   the transcript of one session
  a3s-store export chat-1 --format html -o chat-1.html
  a3s-store verify --repair               check every file, fix what can be fixed
  a3s-store gc --older-than 7d --yes      drop old checkpoints and orphaned data
"""


def resolve_root(root: str | None) -> str:
    """The store folder to use: ``--root``, ``A3S_STORE_ROOT``, or the default."""
    chosen = root or os.environ.get("A3S_STORE_ROOT") or DEFAULT_ROOT
    return os.path.abspath(os.path.expanduser(chosen))


def _parser() -> argparse.ArgumentParser:
    root_help = f"store folder (default: $A3S_STORE_ROOT or {DEFAULT_ROOT})"
    parser = argparse.ArgumentParser(
        prog="a3s-store", description="Look into and operate an a3s session store.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"a3s_store {__version__}")
    parser.add_argument("--root", help=root_help)
    # --root is taken after the command too; SUPPRESS keeps it from undoing an earlier one.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=argparse.SUPPRESS, help=root_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str, description: str = "") -> argparse.ArgumentParser:
        """A sub-command that also takes ``--root``."""
        return sub.add_parser(name, parents=[common], help=summary,
                              description=description or summary)

    p = command("list", "list the sessions, newest first",
                "List the sessions: id, name, state, model, messages, last update and size "
                "of the session file, newest first.")
    p.add_argument("--json", action="store_true", help="print a JSON array (for scripts, jq)")
    p.add_argument("-n", "--limit", type=int, metavar="N", help="only the N newest")

    p = command("show", "print the transcript of a session",
                "Print a session: its facts, usage and cost, every message (text, reasoning, "
                "tool calls and results), then its artifacts, traces, runs, verification "
                "reports and subagent tasks. ID may be the start of an id, when only one "
                "session id begins with it.")
    p.add_argument("id", metavar="ID", help="session id (or a unique start of one)")
    p.add_argument("--full", action="store_true",
                   help="print long tool inputs, results and reasoning whole, and each "
                        "run's timeline and checks")

    p = command("export", "write a session as JSON, markdown or HTML",
                "Export a session with all its side data. HTML is one self-contained file "
                "(no scripts, no external assets) in which session content is always "
                "escaped; JSON is a single document for scripts.")
    p.add_argument("id", metavar="ID", help="session id (or a unique start of one)")
    p.add_argument("--format", "-f", choices=["json", "markdown", "html"], default="json",
                   help="output format (default: json)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE (atomically, mode 0600 when new) instead of stdout")

    p = command("delete", "delete a session and its side files",
                "Delete a session and its side files, all at once. Takes the whole id. Loop "
                "and workflow checkpoints are keyed by run, not by session: gc removes old "
                "ones.")
    p.add_argument("id", metavar="ID", help="the session id")

    p = command("verify", "check every file of the store",
                "Check every session, side file and checkpoint: it parses, its id matches "
                "its file name, the files of a session are the generation a3s_store last "
                "wrote (else a note: changed outside a3s_store, e.g. by a3s-code), and no "
                "interrupted save or temporary file is left. Exits 1 when a problem is "
                "found.")
    p.add_argument("--repair", action="store_true",
                   help="finish or roll back interrupted saves, remove leftover temporary "
                        "files, move damaged files into .a3s_store/quarantine/ (never "
                        "deleted)")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only, not notes")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")

    p = command("gc", "remove old checkpoints and data of deleted sessions",
                "List loop and workflow checkpoints older than --older-than (by their "
                "checkpoint time) and side data whose session is gone; remove them with "
                "--yes, all at once.")
    p.add_argument("--older-than", default="7d", metavar="AGE",
                   help="checkpoint age such as 30m, 12h, 7d, 2w (default: 7d)")
    p.add_argument("--yes", action="store_true", help="remove them (otherwise only list)")

    p = command("stats", "count sessions, messages and bytes",
                "Sessions, messages, the oldest and newest session, and files and bytes "
                "per category.")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("demo", "save a sample session, load it back and print it")
    p.add_argument("--id", default="demo-session", help="id of the sample session")
    return parser


def _fail(message: str, code: int) -> int:
    print(f"a3s-store: error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    root = resolve_root(args.root)
    for stream in (sys.stdout, sys.stderr):  # never fail on a character the console lacks
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        if args.command == "demo":
            print(run_demo(root, args.id))
            return 0
        return COMMANDS[args.command](args, root, sys.stdout, sys.stderr)
    except CommandError as exc:
        return _fail(exc.message, exc.code)
    except A3SStoreError as exc:
        return _fail(str(exc), 1)
    except BrokenPipeError:
        sys.stdout = None  # the reader left (| head): stop quietly, no flush error at exit
        return 0
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        return _fail(f"{exc.strerror or exc}{where}", 1)
    except KeyboardInterrupt:
        return 130
