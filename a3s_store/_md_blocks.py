"""Block markdown (paragraphs, headings, fences, quotes, lists, tables) into nodes.

A line-based reader in the spirit of CommonMark and GitHub's tables, kept
to what agent transcripts use. Each block reader consumes whole lines and
hands a container's inner lines (a quote, a list item) to a fresh reader
one level deeper; past :data:`MAX_NESTING` levels, quote and list markers
are plain text, so a line of ten thousand ``>`` costs ten copies of it, not
ten thousand, and nothing recurses deeply.

An unclosed fence runs to the end of its container (of the message, at the
top): it cannot swallow anything outside the text given.

Not supported, and read as paragraphs: indented code blocks (four spaces),
raw HTML blocks, reference link definitions.

>>> parse_markdown("# Title\\n\\n- a\\n- b")  # doctest: +NORMALIZE_WHITESPACE
(Heading(level=1, children=(Text(text='Title'),)),
 ListBlock(ordered=False, start=1, tight=True,
   items=(Item(children=(Paragraph(children=(Text(text='a'),)),), checked=None),
          Item(children=(Paragraph(children=(Text(text='b'),)),), checked=None))))
"""

from __future__ import annotations

import re
from typing import cast

from ._md_inline import parse_inline
from ._md_nodes import (
    Block,
    Cells,
    CodeBlock,
    Heading,
    Item,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Table,
)

#: (the fence open: its character and length, or None; whether the last line
#: was paragraph text)
_LazyState = tuple[tuple[str, int] | None, bool]

__all__ = ["parse_markdown", "MAX_NESTING", "split_cells"]

#: How many quotes and list items may nest.
MAX_NESTING = 8

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)\Z")
_DELIM_CELL = re.compile(r":?-+:?\Z")
_TASK = re.compile(r"\[([ xX])\](?:[ \t]|\Z)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _detab(line: str) -> str:
    """Tabs in the leading blank as spaces (tab stops of 4)."""
    if "\t" not in line:
        return line
    body = line.lstrip(" \t")
    return line[:len(line) - len(body)].expandtabs(4) + body


def _fence_open(line: str) -> tuple[str, int, str] | None:
    """(fence character, length, language) when ``line`` opens a fence."""
    m = _FENCE.match(line)
    if not m:
        return None
    fence, info = m.group(1), m.group(2).strip()
    if fence[0] == "`" and "`" in info:
        return None
    return fence[0], len(fence), info.split()[0] if info else ""


def _fence_closes(line: str, char: str, length: int) -> bool:
    body = line.strip(" ")
    return _indent(line) <= 3 and len(body) >= length and body == char * len(body)


def _heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line."""
    if _indent(line) > 3:
        return None
    body = line.lstrip(" ")
    level = len(body) - len(body.lstrip("#"))
    rest = body[level:]
    if not 1 <= level <= 6 or (rest and rest[0] not in " \t"):
        return None
    rest = rest.strip(" \t")
    closed = rest.rstrip("#")
    if not closed:
        rest = ""
    elif closed != rest and closed[-1] in " \t":
        rest = closed.rstrip(" \t")
    return level, rest


def _is_rule(line: str) -> bool:
    if _indent(line) > 3:
        return False
    body = line.replace(" ", "").replace("\t", "")
    return len(body) >= 3 and body[0] in "-*_" and body == body[0] * len(body)


def _item_start(line: str) -> tuple[str, int, int] | None:
    """(kind, number, content column) when ``line`` starts a list item; kind
    is the bullet character or the ordered delimiter (``.`` or ``)``)."""
    indent = _indent(line)
    if indent > 3:
        return None
    body = line[indent:]
    if body[:1] in ("-", "+", "*"):
        kind, number, marker = body[0], 1, 1
    else:
        digits = len(body) - len(body.lstrip("0123456789"))
        if not 1 <= digits <= 9 or body[digits:digits + 1] not in (".", ")"):
            return None
        kind, number, marker = body[digits], int(body[:digits]), digits + 1
    rest = body[marker:]
    if rest.strip(" ") == "":
        return kind, number, indent + marker + 1
    if rest[0] != " ":
        return None
    spaces = _indent(rest)
    return kind, number, indent + marker + (spaces if spaces <= 4 else 1)


def split_cells(line: str) -> list[str]:
    """The cells of a table row: split at ``|`` not escaped by a backslash,
    outer pipes dropped, ``\\|`` kept for the cell to read as ``|``."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells, start, i = [], 0, 0
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        if body[i] == "|":
            cells.append(body[start:i])
            start = i + 1
        i += 1
    cells.append(body[start:])
    return [c.strip().replace("\\|", "|") for c in cells]


def _table_aligns(header: str, delimiter: str) -> tuple[str, ...] | None:
    """The column alignments when ``header`` and ``delimiter`` start a table."""
    if "|" not in header or "|" not in delimiter or _indent(delimiter) > 3:
        return None
    cells = split_cells(delimiter)
    if not all(_DELIM_CELL.match(c) for c in cells) or len(cells) != len(split_cells(header)):
        return None
    return tuple({(True, True): "center", (True, False): "left", (False, True): "right"}
                 .get((c[0] == ":", c[-1] == ":"), "") for c in cells)


class _Reader:
    """The blocks of some lines (a whole text, or a container's inside)."""

    def __init__(self, lines: list[str], depth: int) -> None:
        self.lines = [_detab(line) for line in lines]
        self.depth = depth
        self.loose = False  # a blank line between two of the blocks read

    def starts_block(self, i: int, in_paragraph: bool = True) -> bool:
        """Whether line ``i`` starts a block, so that it cannot continue a
        paragraph (``in_paragraph``) or a container's last paragraph."""
        line = self.lines[i]
        if _fence_open(line) or _heading(line) or _is_rule(line):
            return True
        if self.depth < MAX_NESTING:
            if line.lstrip(" ").startswith(">") and _indent(line) <= 3:
                return True
            item = _item_start(line)
            # As in CommonMark, only a non-empty item, and an ordered one only
            # from 1, may interrupt a paragraph.
            if item and (not in_paragraph or (line[item[2]:].strip() != "" and (
                    item[0] in "-+*" or item[1] == 1))):
                return True
        return i + 1 < len(self.lines) and bool(_table_aligns(line, self.lines[i + 1]))

    def read(self) -> tuple[Block, ...]:
        out: list[Block] = []
        i, blank_before = 0, False
        while i < len(self.lines):
            if not self.lines[i].strip():
                blank_before, i = True, i + 1
                continue
            if blank_before and out:
                self.loose = True
            block, i = self.block(i)
            out.append(block)
            blank_before = False
        return tuple(out)

    def block(self, i: int) -> tuple[Block, int]:
        line = self.lines[i]
        fence = _fence_open(line)
        if fence:
            return self.code(i, *fence)
        heading = _heading(line)
        if heading:
            return Heading(heading[0], parse_inline(heading[1])), i + 1
        if _is_rule(line):
            return Rule(), i + 1
        if self.depth < MAX_NESTING:  # containers first, as in GFM
            if _indent(line) <= 3 and line.lstrip(" ").startswith(">"):
                return self.quote(i)
            item = _item_start(line)
            if item:
                return self.list(i, item[0])
        if i + 1 < len(self.lines):
            aligns = _table_aligns(line, self.lines[i + 1])
            if aligns:
                return self.table(i, aligns)
        return self.paragraph(i)

    def code(self, i: int, char: str, length: int, language: str) -> tuple[CodeBlock, int]:
        indent = _indent(self.lines[i])
        body, j = [], i + 1
        while j < len(self.lines) and not _fence_closes(self.lines[j], char, length):
            line = self.lines[j]
            body.append(line[min(indent, _indent(line)):])
            j += 1
        return CodeBlock(language, "\n".join(body)), j + 1

    def paragraph(self, i: int) -> tuple[Paragraph | Heading, int]:
        lines, j = [self.lines[i].strip(" ")], i + 1
        while j < len(self.lines) and self.lines[j].strip():
            line = self.lines[j]
            body = line.strip(" ")
            if _indent(line) <= 3 and body and body == body[0] * len(body) and body[0] in "=-":
                return Heading(1 if body[0] == "=" else 2, parse_inline("\n".join(lines))), j + 1
            if self.starts_block(j):
                break
            lines.append(line.lstrip(" "))
            j += 1
        return Paragraph(parse_inline("\n".join(lines).rstrip(" "))), j

    def table(self, i: int, aligns: tuple[str, ...]) -> tuple[Table, int]:
        width = len(aligns)

        def row(line: str) -> Cells:
            cells = (split_cells(line) + [""] * width)[:width]
            return tuple(parse_inline(c) for c in cells)

        header, j = row(self.lines[i]), i + 2
        rows: list[Cells] = []
        while j < len(self.lines) and self.lines[j].strip() and not self.starts_block(j, False):
            rows.append(row(self.lines[j]))
            j += 1
        return Table(aligns, header, tuple(rows)), j

    def quote(self, i: int) -> tuple[Quote, int]:
        inner: list[str] = []
        j = i
        state: _LazyState = (None, False)
        while j < len(self.lines):
            line = self.lines[j]
            body = line.lstrip(" ")
            if _indent(line) <= 3 and body.startswith(">"):
                line = body[2:] if body[1:2] == " " else body[1:]
            elif not (line.strip() and state[1] and not self.starts_block(j, False)):
                break  # a lazy line continues only a paragraph of the quote
            state = _lazy_state(state, line)
            inner.append(line)
            j += 1
        reader = _Reader(inner, self.depth + 1)
        return Quote(reader.read()), j

    def list(self, i: int, kind: str) -> tuple[ListBlock, int]:
        items: list[Item] = []
        # the caller saw an item start at line i, and item() returns at one or past the end
        j, tight, start = i, True, cast("tuple[str, int, int]", _item_start(self.lines[i]))[1]
        while True:
            start_j = cast("tuple[str, int, int]", _item_start(self.lines[j]))
            node, j, loose = self.item(j, start_j[2])
            items.append(node)
            tight = tight and not loose
            k = j
            while k < len(self.lines) and not self.lines[k].strip():
                k += 1
            following = _item_start(self.lines[k]) if k < len(self.lines) else None
            if not following or following[0] != kind:
                break
            tight, j = tight and k == j, k
        return ListBlock(kind not in "-+*", start, tight, tuple(items)), j

    def item(self, i: int, column: int) -> tuple[Item, int, bool]:
        """One list item from line ``i``: (the item, the next line, whether
        a blank line separates two of its blocks)."""
        first = self.lines[i][column:] if len(self.lines[i]) > column else ""
        inner, j, state = [first], i + 1, _lazy_state((None, False), first)
        while j < len(self.lines):
            line = self.lines[j]
            if not line.strip():
                inner.append("")
            elif _indent(line) >= column:
                inner.append(line[column:])
            elif state[1] and not self.starts_block(j, False):
                inner.append(line.lstrip(" "))  # a lazy continuation line
            else:
                break
            state = _lazy_state(state, inner[-1])
            j += 1
        while len(inner) > 1 and not inner[-1].strip():
            inner.pop()
            j -= 1
        checked = None
        task = _TASK.match(inner[0])
        if task:
            checked, inner[0] = task.group(1) != " ", inner[0][task.end():]
        reader = _Reader(inner, self.depth + 1)
        children = reader.read()
        return Item(children, checked), j, reader.loose


def _without_markers(line: str) -> str:
    """``line`` without the quote and list markers that open it."""
    for _ in range(MAX_NESTING + 1):
        body = line.lstrip(" ")
        if body.startswith(">"):
            line = body[1:]
            continue
        item = _item_start(body)
        if not item or _is_rule(body):
            return body
        line = body[item[2]:]
    return line.lstrip(" ")


def _lazy_state(state: _LazyState, line: str) -> _LazyState:
    """(the fence open, whether the last line was paragraph text) after
    ``line`` of a container, from the state before it. As in CommonMark, a
    lazy line may continue only paragraph text, wherever it is nested."""
    fence, _ = state
    body = _without_markers(line)
    if fence is not None:
        return (None if _fence_closes(body, *fence) else fence), False
    opened = _fence_open(body)
    if opened:
        return opened[:2], False
    return None, bool(body.strip()) and not (_heading(body) or _is_rule(body))


def parse_markdown(text: str) -> tuple[Block, ...]:
    """The block nodes of a markdown text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _Reader(lines, 0).read()
