"""Whether a process runs, and since when (part of ``_fs``: ``/proc`` is read here).

``verify`` asks this about the owners noted in unfinished run records, to
tell a run left executing by a process that is gone.
"""

from __future__ import annotations

import os

from ._seam import CLOEXEC, tick

__all__ = ["process_running", "process_start_ms"]


def process_running(pid: int) -> bool:
    """Whether a process with this pid exists (it may belong to another user)."""
    if type(pid) is not int or pid <= 0:
        return False
    tick("kill")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, and is someone else's
    except OSError:
        return False
    return True


def _read_proc(path: str, limit: int = 65536) -> bytes | None:
    tick("open")
    try:
        fd = os.open(path, os.O_RDONLY | CLOEXEC)
    except OSError:
        return None
    try:
        tick("read")
        return os.read(fd, limit)
    finally:
        os.close(fd)


def process_start_ms(pid: int) -> int | None:
    """When the process ``pid`` started, in epoch ms (Linux ``/proc``); None elsewhere
    or when it cannot be told."""
    stat = _read_proc(f"/proc/{int(pid)}/stat")
    boot = _read_proc("/proc/stat")
    if stat is None or boot is None:
        return None
    try:
        fields = stat[stat.rindex(b")") + 2:].split()  # the name may hold spaces
        ticks = int(fields[19])  # field 22 of the line: the start time in clock ticks
        btime = next(int(line.split()[1]) for line in boot.splitlines()
                     if line.startswith(b"btime "))
        hz = os.sysconf("SC_CLK_TCK")
    except (ValueError, IndexError, StopIteration, OSError):
        return None
    return (btime * 1000) + ticks * 1000 // hz
