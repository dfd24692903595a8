"""The commands of ``a3s-store`` (``cli`` parses and dispatches).

Every command is a :class:`Command`: its options and its handler, side by
side in ``_inspect`` (list, show, export, stats, demo), ``_maintain``
(delete, verify, gc; ``_verify_db`` for verify on a database) or
``_transfer`` (copy). A handler takes the parsed arguments, the store
folder (or URL) and the output streams, writes its result to ``out`` (what a script
reads) and anything else (progress, confirmations) to ``err`` only when
that is a terminal, and returns the exit code: 0 success, 1 a failure or a
problem found, 2 bad usage or a store folder that is missing or unreadable.
Commands reach the store through its API only.
"""

from __future__ import annotations

from ._common import Command, CommandError, is_url, os_error_text, resolve_store, tty, user_path
from ._inspect import DEMO, EXPORT, LIST, SHOW, STATS
from ._maintain import DELETE, GC, VERIFY
from ._transfer import COPY

__all__ = ["COMMANDS", "Command", "CommandError", "is_url", "os_error_text", "resolve_store",
           "tty", "user_path"]

#: Every command, in the order ``--help`` lists them.
COMMANDS: dict[str, Command] = {c.name: c for c in (LIST, SHOW, EXPORT, DELETE, VERIFY, GC,
                                                     STATS, COPY, DEMO)}
