"""What every part of the I/O layer shares: the two test hooks and the open flags.

Tests install the hooks on this module (``_fs.hooks``): ``fault_hook`` is
called with the name of each system call before it runs, ``observer`` after
each call that changed the filesystem. The parts call :func:`tick` and
:func:`observe`, which read them at each call.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Callable, Collection
from typing import Any, NamedTuple

WINDOWS = sys.platform == "win32"
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
DIRECTORY = getattr(os, "O_DIRECTORY", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)
BINARY = getattr(os, "O_BINARY", 0)

#: Installed by tests: called with the name of each system call before it runs.
fault_hook: Callable[[str], None] | None = None
#: Installed by tests: called after each call that changes the filesystem has
#: succeeded, with its kind and details (paths, descriptor, bytes written), so
#: a power-loss simulator can rebuild what a crash could leave. Kinds:
#: ``mkdir``/``rmdir``/``unlink`` (path), ``rename`` (src, dst), ``create``
#: (path, fd), ``write`` (fd, data), ``fsync`` (fd), ``close`` (fd),
#: ``fsync_dir`` (path, fd: the folder's path may be stale once it was moved,
#: as ``_commit`` moves a folder it removes; the descriptor never is).
observer: Callable[[str, dict[str, Any]], None] | None = None


def tick(name: str) -> None:
    hook = fault_hook
    if hook is not None:
        hook(name)


def observe(kind: str, **details: Any) -> None:
    seen = observer
    if seen is not None:
        seen(kind, details)


class Sig(NamedTuple):
    """What identifies one version of a file: size, mtime (ns) and inode."""

    size: int
    mtime_ns: int
    ino: int

    @classmethod
    def of(cls, st: os.stat_result) -> Sig:
        return cls(st.st_size, st.st_mtime_ns, st.st_ino)



#: How many times a rename refused by Windows (a file open elsewhere) is tried,
#: and the first pause (doubled each time): 6 attempts over 0.155 s. Read at
#: each call, so tests can shorten them here.
REPLACE_ATTEMPTS = 6
REPLACE_PAUSE = 0.005

#: Installed by tests: when true, names are matched case-insensitively (and
#: regardless of Unicode normalisation) against the entries of their folder,
#: and an existing entry keeps its spelling, as on macOS (APFS) or Windows
#: (NTFS): a simulation of such a disk on Linux.
case_insensitive: bool = False


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def fold_name(names: Collection[str], name: str) -> str:
    """The entry of ``names`` (a folder's entries) that ``name`` means on a
    case-insensitive disk; ``name`` itself when there is none."""
    wanted = _folded(name)
    for existing in names:
        if existing == name:
            return name
    for existing in names:
        if _folded(existing) == wanted:
            return existing
    return name
