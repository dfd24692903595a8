"""The one I/O layer: every filesystem call of the package goes through here.

Why one layer:

* **Fault injection.** Each system call first calls ``_seam.tick`` with its
  name; tests install ``_fs.hooks.fault_hook`` to fail the k-th call with an
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
``_lock`` (the store lock and its fairness gate), ``_procs`` (whether a
process runs, for ``verify``), ``_seam`` (the two test hooks, as
``_fs.hooks``, and what every part shares).

Windows is supported on a best-effort basis: no folder descriptors (names
are joined and checked with ``lstat`` instead), no folder fsync, exclusive
``msvcrt.locking`` for both readers and writers, and bounded retries of
``os.replace`` on sharing violations. The test suite runs on POSIX.
"""

from __future__ import annotations

from . import _seam as hooks
from ._dirs import (
    Dir,
    close_dir,
    entry_stat,
    fsync_dir,
    list_dir,
    open_dir,
    open_root,
    stat_dir,
)
from ._files import (
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
from ._lock import GATE_AFTER, GATE_SUFFIX, lock, set_wait_notice, unlock
from ._procs import process_running, process_start_ms
from ._seam import WINDOWS, Sig

__all__ = [
    "Dir",
    "GATE_AFTER",
    "GATE_SUFFIX",
    "Sig",
    "WINDOWS",
    "close_dir",
    "entry_stat",
    "fsync_dir",
    "hooks",
    "list_dir",
    "lock",
    "open_dir",
    "open_root",
    "peek_file",
    "process_running",
    "process_start_ms",
    "read_file",
    "read_small",
    "remove_tree",
    "replace",
    "set_wait_notice",
    "stat_dir",
    "stat_entry",
    "unlink",
    "unlock",
    "write_file",
    "write_new",
]
