"""The one I/O layer: every filesystem call of the package goes through here.

Why one layer:

* **Fault injection.** Each system call first calls :func:`_tick` with its
  name; tests install :data:`fault_hook` to fail the k-th call with an
  ``OSError`` or to simulate a crash (an exception the store must not catch).
* **Containment.** Inside the store root, names are opened relative to an
  open folder descriptor with ``O_NOFOLLOW`` (``openat``-style), so a symlink
  planted at a folder, a file, the lock or a temporary name is never followed
  and there is no check-then-open race. The caller's root path itself is
  resolved once, as given.
* **One recipe for writes.** New files are created with ``O_CREAT|O_EXCL``,
  written whole, fsynced, then renamed over their target; the folder is
  fsynced afterwards (on POSIX). A failed write removes its temporary file
  and re-raises the original error; an exception that is not an ``Exception``
  (a simulated crash) leaves everything as a dead process would.

The package: ``_dirs`` (open folders and containment), ``_files`` (reading
and writing files inside the store, and the one export written outside it),
``_lock`` (the store lock and its fairness gate). This module holds the two
test hooks and what every part shares.

Windows is supported on a best-effort basis: no folder descriptors (names
are joined and checked with ``lstat`` instead), no folder fsync, exclusive
``msvcrt.locking`` for both readers and writers, and bounded retries of
``os.replace`` on sharing violations. The test suite runs on POSIX.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, NamedTuple

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
#: ``fsync_dir`` (path).
observer: Callable[[str, dict], None] | None = None


def tick(name: str) -> None:
    hook = fault_hook
    if hook is not None:
        hook(name)


def observe(kind: str, **details) -> None:
    seen = observer
    if seen is not None:
        seen(kind, details)


class Sig(NamedTuple):
    """What identifies one version of a file: size, mtime (ns) and inode."""

    size: int
    mtime_ns: int
    ino: int

    @classmethod
    def of(cls, st: os.stat_result) -> "Sig":
        return cls(st.st_size, st.st_mtime_ns, st.st_ino)



#: How many times a rename refused by Windows (a file open elsewhere) is tried,
#: and the first pause (doubled each time): 6 attempts over 0.155 s.
REPLACE_ATTEMPTS = 6
REPLACE_PAUSE = 0.005

# The parts import the names above, so they come after them.
from ._dirs import (  # noqa: E402
    Dir,
    close_dir,
    entry_stat,
    fsync_dir,
    list_dir,
    open_dir,
    open_root,
    stat_dir,
)
from ._files import (  # noqa: E402
    peek_file,
    read_file,
    read_small,
    remove_tree,
    replace,
    stat_entry,
    unlink,
    write_file,
    write_new,
)
from ._lock import GATE_AFTER, GATE_SUFFIX, lock, unlock  # noqa: E402

__all__ = [
    "Dir",
    "GATE_AFTER",
    "GATE_SUFFIX",
    "REPLACE_ATTEMPTS",
    "REPLACE_PAUSE",
    "Sig",
    "WINDOWS",
    "close_dir",
    "entry_stat",
    "fault_hook",
    "fsync_dir",
    "list_dir",
    "lock",
    "observer",
    "open_dir",
    "open_root",
    "peek_file",
    "read_file",
    "read_small",
    "remove_tree",
    "replace",
    "stat_dir",
    "stat_entry",
    "unlink",
    "write_file",
    "write_new",
]
