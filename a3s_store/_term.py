"""Terminal formatting for the command line: human times and sizes, safe text,
tables and a progress line.

Session content is untrusted: a name or a tool output may hold escape
sequences that would repaint or retitle the user's terminal. :func:`safe`
shows every control character as a visible escape (``\\x1b``) instead.

>>> human_size(0), human_size(1536), human_size(5 * 1024 ** 3)
('0 B', '1.5 KiB', '5.0 GiB')
>>> ago(1_000_000 - 90, now=1_000_000), ago(1_000_000 - 3 * 86400, now=1_000_000)
('1 min ago', '3 days ago')
>>> safe("name\\x1b[2J")
'name\\\\x1b[2J'
>>> print(table(["ID", "N"], [["a", "1"], ["bb", "22"]], right={1}))
ID   N
a    1
bb  22
"""

from __future__ import annotations

import re
import sys
import time

__all__ = ["ago", "clock", "human_size", "human_int", "safe", "table", "Progress"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def safe(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with control characters shown as ``\\xNN`` (tabs and, when
    asked, newlines are kept), so printing it cannot drive the terminal."""
    text = str(text)
    if text.isprintable():  # the common case, checked in C
        return text
    pattern = _CONTROL if keep_newlines else _CONTROL_ALL
    return pattern.sub(lambda m: "\\x%02x" % ord(m.group()) if ord(m.group()) < 256
                       else "\\u%04x" % ord(m.group()), text)


def human_size(n: int) -> str:
    """Bytes as ``512 B``, ``1.5 KiB``, ``3.2 MiB``..."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def human_int(n: int) -> str:
    """An integer with thousands separators: ``1,204``."""
    return f"{n:,}"


def ago(ts: float | int | None, *, now: float | None = None) -> str:
    """An epoch time in seconds as ``3 h ago``, or a date beyond 30 days."""
    if not ts:
        return "-"
    now = time.time() if now is None else now
    delta = now - ts
    if delta < 0:
        return clock(ts)  # in the future: a clock skew, say exactly when
    if delta < 45:
        return "just now"
    for limit, size, unit in ((3600, 60, "min"), (86400, 3600, "h"), (30 * 86400, 86400, "day")):
        if delta < limit:
            count = max(1, int(delta // size))
            if unit == "day":
                return "yesterday" if count == 1 else f"{count} days ago"
            return f"{count} {unit} ago"
    return time.strftime("%Y-%m-%d", time.localtime(ts))


def clock(ts: float | int | None) -> str:
    """An epoch time in seconds as a local ``YYYY-MM-DD HH:MM:SS``."""
    if not ts:
        return "-"
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
    except (OverflowError, OSError, ValueError):
        return f"@{ts}"  # out of the platform's range: show the raw number


def table(headers: list[str], rows: list[list[str]], *, right: set[int] = frozenset()) -> str:
    """Columns separated by two spaces; the last column is not padded."""
    widths = [max(map(len, column)) for column in zip(headers, *rows)]
    last = len(headers) - 1
    fmt = "  ".join("{:>%d}" % w if i in right else "{}" if i == last else "{:<%d}" % w
                    for i, w in enumerate(widths))
    return "\n".join(fmt.format(*row).rstrip() for row in [headers, *rows])


class Progress:
    """``label 1,234/10,000`` redrawn in place on a terminal; silent otherwise.

    Writes to ``stream`` (stderr by default) only when it is a TTY, at most
    ten times a second, and erases itself when closed, so piped output never
    sees it. Call it as ``progress(done, total)``.
    """

    def __init__(self, label: str, stream=None) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.active = bool(isatty and isatty())
        self.label = label
        self._last = 0.0
        self._width = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.active:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and done < total:
            return
        self._last = now
        text = f"{self.label} {done:,}/{total:,}"
        self._width = max(self._width, len(text))
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()

    def close(self) -> None:
        """Erase the line (if anything was drawn)."""
        if self.active and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
