"""The command line: ``python -m a3s_store`` or ``a3s-store``.

The store folder comes from ``--root`` (before or after the command), else
the ``A3S_STORE_ROOT`` environment variable, else :data:`DEFAULT_ROOT`
(``~/.a3s/sessions``); ``list``, ``show``, ``export``, ``delete`` and
``verify`` also take a store URL there (``sqlite:///path.db``,
``postgresql://...``), and ``copy SRC DST`` takes two. This module only parses and
dispatches; each command (its options and its handler) lives in ``_commands``. Errors are
one line on stderr, never a traceback:
exit code 2 for bad usage and a store folder that is missing or unreadable,
1 for any other failure (an unknown id, a damaged file, problems found by
``verify``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TextIO, cast

from . import __version__, _fs
from ._commands import COMMANDS, CommandError, is_url, os_error_text, resolve_store, tty, user_path
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
    """The store to use: ``--root``, ``A3S_STORE_ROOT``, or the default; a
    folder as an absolute path, a store URL as it is.

    :raises ValueError: a URL of an unknown scheme.
    """
    return resolve_store(root or os.environ.get("A3S_STORE_ROOT") or DEFAULT_ROOT)


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
    for command in COMMANDS.values():
        p = sub.add_parser(command.name, parents=[common], help=command.summary,
                           description=command.description or command.summary)
        command.options(p)
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
    command = COMMANDS[args.command]
    try:
        root = resolve_root(args.root)
    except ValueError as exc:
        return _fail(f"--root: {exc}", 2)
    if command.needs_root and not command.any_store and is_url(root):
        return _fail(f"{command.name} works on a store folder only, not on {root.split(':')[0]} "
                     "URLs (copy the store into a folder first: a3s-store copy URL DIR)", 2)
    if sys.stdout is None and getattr(args, "output", None) in (None, "-"):
        # Started with stdout closed (`>&-`): nothing could be printed, so do nothing.
        return _fail("standard output is closed: nothing was done", 2)
    for stream in (sys.stdout, sys.stderr):  # never fail on a character the console lacks
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    # (a _Discard does all a command asks of a text stream)
    err = sys.stderr if sys.stderr is not None else cast(TextIO, _Discard())
    _fs.set_wait_notice(_lock_notice(err))
    try:
        code = command.run(args, root, sys.stdout, err)
        if sys.stdout is not None:
            sys.stdout.flush()  # here, so a reader gone (| head -1) is a BrokenPipeError below
        return code
    except CommandError as exc:
        return _fail(exc.message, exc.code)
    except A3SStoreError as exc:
        return _fail(str(exc), 1)
    except BrokenPipeError:
        sys.stdout = None  # the reader left (| head): stop quietly, no flush error at exit
        return 0
    except OSError as exc:
        return _fail(os_error_text(exc, user_path(exc, root), f"{command.name}:"), 1)
    except KeyboardInterrupt:
        return 130
    finally:
        _fs.set_wait_notice(None)


class _Discard:
    """Where messages go when stderr is closed (``2>&-``)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def _lock_notice(err: TextIO) -> Callable[[str, list[int]], None] | None:
    """What to say on a terminal when the store lock is slow to come (nothing on a pipe)."""
    if not tty(err):
        return None

    def notice(path: str, holders: list[int]) -> None:
        who = f" (held by process {', '.join(map(str, holders))})" if holders else ""
        err.write(f"waiting for the store lock {path}{who}; another a3s-store or program "
                  "is using the store...\n")
        err.flush()

    return notice
