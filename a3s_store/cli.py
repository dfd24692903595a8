"""The command line: ``python -m a3s_store`` or ``a3s-store``.

The store folder comes from ``--root``, else the ``A3S_STORE_ROOT``
environment variable, else :data:`DEFAULT_ROOT` (``~/.a3s/sessions``).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .demo import run_demo
from .errors import A3SStoreError

__all__ = ["DEFAULT_ROOT", "main", "resolve_root"]

#: The folder used when neither ``--root`` nor ``A3S_STORE_ROOT`` is given.
DEFAULT_ROOT = os.path.join("~", ".a3s", "sessions")


def resolve_root(root: str | None) -> str:
    """The store folder to use: ``--root``, ``A3S_STORE_ROOT``, or the default."""
    chosen = root or os.environ.get("A3S_STORE_ROOT") or DEFAULT_ROOT
    return os.path.abspath(os.path.expanduser(chosen))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="a3s-store", description="Look into and operate an a3s session store.")
    parser.add_argument("--version", action="version", version=f"a3s_store {__version__}")
    parser.add_argument("--root", help="store folder (default: $A3S_STORE_ROOT or "
                        f"{DEFAULT_ROOT})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="save a sample session, load it back and print it")
    demo.add_argument("--id", default="demo-session", help="id of the sample session")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    root = resolve_root(args.root)
    try:
        if args.command == "demo":
            print(run_demo(root, args.id))
            return 0
    except (A3SStoreError, OSError) as exc:
        print(f"a3s-store: error: {exc}", file=sys.stderr)
        return 2
    return 2
