"""The tree of a markdown text: what the parser (:mod:`._md_blocks`,
:mod:`._md_inline`) builds and the two writers (:mod:`._md_html`,
:mod:`._md_write`) walk.

One tree feeds both writers so that the HTML export and the markdown
export agree on what a message says: where its code is, which of its links
are links. Nodes are frozen dataclasses; children are tuples.

The one policy decision about content lives here too, :func:`link_allowed`:
only ``http``, ``https`` and ``mailto`` targets become links.

>>> link_allowed("https://example.com"), link_allowed(" JavaScript:alert(1)")
(True, False)
>>> plain_text((Text("a "), Strong((Text("b"),)), SoftBreak()))
'a b\\n'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Text", "Code", "Emph", "Strong", "Strike", "Link", "Break", "SoftBreak",
    "Paragraph", "Heading", "CodeBlock", "Quote", "Item", "ListBlock", "Table", "Rule",
    "link_allowed", "plain_text", "Inline", "Block", "Cells",
]

_ALLOWED_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True, slots=True)
class _Children:
    """A node that is only its children (equal only to a node of its own class)."""

    children: tuple[Any, ...]  # inline nodes (Emph, Strong, Strike, Paragraph) or blocks (Quote)


# -- inline ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text (backslash escapes and entities already resolved)."""

    text: str


@dataclass(frozen=True, slots=True)
class Code:
    """An inline code span."""

    text: str


class Emph(_Children):
    """``*emphasis*``."""

    __slots__ = ()


class Strong(_Children):
    """``**strong emphasis**``."""

    __slots__ = ()


class Strike(_Children):
    """``~~struck out~~``."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Link:
    """A link as written: the writers ask :func:`link_allowed` whether it
    becomes one. Images are links too (``image: `` before their text), so
    nothing is ever loaded."""

    url: str
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Break:
    """A hard line break (two spaces or a backslash at the end of a line)."""


@dataclass(frozen=True, slots=True)
class SoftBreak:
    """A line break inside a paragraph."""


# -- blocks -----------------------------------------------------------------------


class Paragraph(_Children):
    """A paragraph of inline nodes."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of level 1 to 6."""

    level: int
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced code block: its language (the first word of the info
    string, may be empty) and its text."""

    language: str
    text: str


class Quote(_Children):
    """A block quote of blocks."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Item:
    """A list item: its blocks, and ``checked`` (True or False) for a task item."""

    children: tuple[Block, ...]
    checked: bool | None = None


@dataclass(frozen=True, slots=True)
class ListBlock:
    """A bullet list, or an ordered one counting from ``start``. A tight
    list shows its items' paragraphs without spacing."""

    ordered: bool
    start: int
    tight: bool
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table: ``aligns`` per column (``""``, ``"left"``, ``"center"``,
    ``"right"``), the header cells and the rows, each cell inline nodes."""

    aligns: tuple[str, ...]  # "left", "center", "right" or ""
    header: Cells
    rows: tuple[Cells, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """A thematic break (``---``)."""


# -- shared decisions -----------------------------------------------------------------


#: The nodes of a line of text.
Inline = Text | Code | Emph | Strong | Strike | Link | Break | SoftBreak
#: The nodes of a document.
Block = Paragraph | Heading | CodeBlock | Quote | ListBlock | Table | Rule
#: Either (emphasis holds inline nodes, a quote blocks).
Node = Inline | Block
#: A table row: the inline nodes of each cell.
Cells = tuple[tuple[Inline, ...], ...]


def link_allowed(url: str) -> bool:
    """Whether ``url`` may become a link: its scheme is http, https or mailto.

    Anything else (``javascript:``, ``data:``, ``file:``, relative paths,
    which lead nowhere in an exported file) is shown as text. The scheme is
    read the way a browser reads it (case-insensitive, surrounding blanks
    ignored); a tab or newline inside it makes it no scheme at all.
    """
    scheme, colon, _ = url.strip(" \t\n\r\f\x00").partition(":")
    return bool(colon) and scheme.lower() in _ALLOWED_SCHEMES


def plain_text(nodes: tuple[Inline, ...]) -> str:
    """The text of inline nodes without their markup (breaks as newlines)."""
    out: list[str] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, (Text, Code)):
            out.append(node.text)
        elif isinstance(node, (Break, SoftBreak)):
            out.append("\n")
        else:
            stack.extend(reversed(node.children))
    return "".join(out)
