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

Columns are measured in terminal cells, not characters: a CJK character or
an emoji takes two, a combining accent or a zero-width joiner none.

>>> display_width("日本"), display_width("e\u0301"), display_width("👍🏽"), display_width("ab")
(4, 1, 2, 2)
>>> print(table(["NAME", "N"], [["日本語", "1"], ["abc", "2"]]))
NAME    N
日本語  1
abc     2
"""

from __future__ import annotations

import re
import sys
import time
import unicodedata
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import TextIO

__all__ = ["ago", "clock", "human_size", "human_int", "safe", "table", "Progress",
           "display_width", "fit"]

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


_ZWJ, _VS16 = "\u200d", "\ufe0f"
_ZERO = {"Mn", "Me", "Cf", "Cc"}  # combining marks, format characters (ZWJ, ZWSP), controls


def _cell_widths(text: str) -> Iterator[int]:
    """The terminal width of each character of ``text`` in its context.

    Wide and fullwidth characters (``unicodedata.east_asian_width`` W or F)
    take two cells; combining marks, format characters and Hangul medial
    and final jamo none. Emoji sequences render as one glyph on current
    terminals: a character joined by ZWJ and a skin-tone modifier add
    nothing, VS16 makes a narrow symbol wide (``❤️``), and two regional
    indicators make one flag of two cells.
    """
    previous, joined, flag_half = 0, False, False
    for ch in text:
        code = ord(ch)
        if ch == _VS16:
            width = 1 if previous == 1 else 0
        elif joined or (0x1F3FB <= code <= 0x1F3FF and previous == 2):
            width = 0
        elif 0x1F1E6 <= code <= 0x1F1FF:
            width, flag_half = (0 if flag_half else 2), not flag_half
        elif unicodedata.category(ch) in _ZERO or 0x1160 <= code <= 0x11FF:
            width = 0
        else:
            width = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        joined = ch == _ZWJ
        if ch == _VS16:
            previous += width  # the symbol before it is wide now
        elif width:
            previous = width
        if not 0x1F1E6 <= code <= 0x1F1FF:
            flag_half = False
        yield width


def display_width(text: str) -> int:
    """How many terminal cells ``text`` takes on one line (control characters:
    none; callers show them with :func:`safe` first)."""
    if text.isascii() and text.isprintable():  # the common case, checked in C
        return len(text)
    return sum(_cell_widths(text))


def fit(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells, with ``…`` where it was cut."""
    if display_width(text) <= width:
        return text
    used, end = 0, 0
    for i, w in enumerate(_cell_widths(text)):
        if used + w > width - 1:
            break
        used, end = used + w, i + 1
    return text[:end] + "…"


def table(headers: list[str], rows: list[list[str]], *,
          right: AbstractSet[int] = frozenset()) -> str:
    """Columns separated by two spaces and measured in terminal cells; the
    last column is not padded."""
    lines = [headers, *rows]
    sizes = [[display_width(cell) for cell in line] for line in lines]
    widths = [max(column) for column in zip(*sizes, strict=True)]
    last = len(headers) - 1
    out = []
    for line, size in zip(lines, sizes, strict=True):
        cells = []
        for i, (cell, w) in enumerate(zip(line, size, strict=True)):
            pad = " " * (widths[i] - w)
            cells.append(pad + cell if i in right else cell if i == last else cell + pad)
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


class Progress:
    """``label 1,234/10,000`` redrawn in place on a terminal; silent otherwise.

    Writes to ``stream`` (stderr by default) only when it is a TTY, at most
    ten times a second, and erases itself when closed, so piped output never
    sees it. Call it as ``progress(done, total)``.
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
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
