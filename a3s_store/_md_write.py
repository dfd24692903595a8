"""Markdown nodes written back as markdown, for the markdown export.

A message is not copied into the export as it is: it is parsed
(:func:`~._md_blocks.parse_markdown`) and written again in a canonical
form, so that its structure is the parser's and nothing in it can reach
past it. Every fence is the writer's own, longer than any run of its
character inside; a fence the message left open is closed where the
message ends. Every character of text that could start markup is
backslash-escaped (``<`` always, so no HTML tag or comment survives; ``*``,
``_``, ``[``, a ``#`` or ``-`` that starts a line...). Links keep their
target only for the schemes :func:`~._md_nodes.link_allowed` accepts;
others become their text with the target beside it, and images become
links, so a markdown viewer loads nothing.

>>> print(markdown_text("<script>alert(1)</script> *hi*"))
\\<script>alert(1)\\</script> *hi*
>>> print(markdown_text("```\\nnever closed"))
```
never closed
```
>>> inline_markdown("a | b\\nc")
'a \\\\| b c'
"""

from __future__ import annotations

import re
from typing import Any

from ._md_blocks import parse_markdown
from ._md_inline import AUTOLINK, EMAIL_AUTOLINK, ENTITY
from ._md_nodes import (
    Block,
    Break,
    Cells,
    Code,
    CodeBlock,
    Emph,
    Heading,
    Inline,
    Link,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    SoftBreak,
    Strike,
    Strong,
    Table,
    Text,
    link_allowed,
    plain_text,
)

__all__ = ["markdown_text", "write_blocks", "inline_markdown", "longest_run"]

_SPECIAL = re.compile(r"[\\`*\[\]<|~_&:\n\r]")
_LINE_START = re.compile(r"[#>+=\-]|[0-9]{1,9}[.)]")
_DELIM_CELL = re.compile(r":?-+:?\Z")
_ALIGN_ROW = {"": "---", "left": ":--", "center": ":-:", "right": "--:"}


def longest_run(text: str, char: str) -> int:
    """The length of the longest run of ``char`` in ``text``."""
    runs = re.findall(re.escape(char) + "+", text)
    return max(map(len, runs), default=0)


def _escape_char(text: str, m: re.Match[str]) -> str:
    ch, i = m.group(), m.start()
    if ch == "_":
        inside = 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
        return ch if inside else "\\_"
    if ch == "&":
        return "\\&" if ENTITY.match(text, i) else ch
    if ch == ":":  # a bare URL would become a link
        return "\\:" if text.endswith(("http", "https"), 0, i) and text.startswith("//", i + 1) \
            else ch
    if ch in "\n\r":
        return f"&#{ord(ch)};"
    return "\\" + ch


def _text(text: str) -> str:
    return _SPECIAL.sub(lambda m: _escape_char(text, m), text)


def _code_span(text: str) -> str:
    fence = "`" * (longest_run(text, "`") + 1)
    pad = text[:1] == "`" or text[-1:] == "`" or (
        text[:1] == " " and text[-1:] == " " and text.strip(" ") != "")
    return f"{fence} {text} {fence}" if pad else f"{fence}{text}{fence}"


def _destination(url: str) -> str:
    """``url`` as a link destination that reads back as itself: blanks and
    control characters as entities, ``\\ ( )`` and an entity-like ``&``
    escaped."""
    return re.sub(r"[\\()]|&(?=[#A-Za-z0-9]+;)|[\x00-\x20\x7f]",
                  lambda m: f"&#{ord(m.group())};" if m.group() <= " " or m.group() == "\x7f"
                  else "\\" + m.group(), url)


def _link(node: Link) -> str:
    text = _inline(node.children, Link)
    if not link_allowed(node.url):
        if plain_text(node.children) == node.url:
            return text
        return f"{text} ({_text(node.url)})"
    # The <...> forms only where the parser reads them back as the same link.
    if node.children == (Text(node.url),) and AUTOLINK.fullmatch(f"<{node.url}>"):
        return f"<{node.url}>"
    address = node.url[7:]
    if node.url.startswith("mailto:") and node.children == (Text(address),) \
            and EMAIL_AUTOLINK.fullmatch(f"<{address}>"):
        return f"<{address}>"
    return f"[{text}]({_destination(node.url)})"


def _delimited(mark: str, inner: str) -> str:
    """``inner`` between ``mark``s; a blank at either end (which would stop
    the mark from opening or closing) written as an entity."""
    if inner[:1] in (" ", "\t"):
        inner = f"&#{ord(inner[0])};" + inner[1:]
    if inner[-1:] in (" ", "\t"):
        inner = inner[:-1] + f"&#{ord(inner[-1])};"
    return mark + inner + mark


def _inline(nodes: tuple[Inline, ...], parent: type | None = None) -> str:
    out = []
    last = len(nodes) - 1
    node: Any  # dispatched on type(node) below, which mypy does not follow
    for i, node in enumerate(nodes):
        kind = type(node)
        if kind is Text:
            out.append(_text(node.text))
        elif kind is Code:
            out.append(_code_span(node.text))
        elif kind is Emph:
            # ``**x**`` would read as strong: an emphasis that touches the
            # delimiter of the one around it uses the other character.
            char = "_" if parent in (Emph, Strong) and i in (0, last) else "*"
            out.append(_delimited(char, _inline(node.children, Emph)))
        elif kind is Strong:
            out.append(_delimited("**", _inline(node.children, Strong)))
        elif kind is Strike:
            out.append(_delimited("~~", _inline(node.children, Strike)))
        elif kind is Link:
            out.append(_link(node))
        elif kind is Break:
            out.append("\\\n")
        elif kind is SoftBreak:
            out.append("\n")
    return "".join(out)


def _guard_blanks(text: str) -> str:
    """Blanks at either end of ``text`` (which a reader drops) as entities."""
    body = text.strip(" \t")
    if len(body) == len(text):
        return text
    lead = len(text) - len(text.lstrip(" \t"))
    return ("".join(f"&#{ord(ch)};" for ch in text[:lead]) + body
            + "".join(f"&#{ord(ch)};" for ch in text[lead + len(body):]))


def _guard_line(line: str) -> str:
    """A line of text that cannot start a block: a leading ``#``, ``>``,
    ``-``, ``+``, ``=`` or ``1.`` (all from text) is escaped, and blanks at
    either end are entities."""
    line = _guard_blanks(line)
    m = _LINE_START.match(line)
    if not m:
        return line
    start = m.group()
    if start[0].isdigit():
        return start[:-1] + "\\" + line[len(start) - 1:]
    return "\\" + line


def _paragraph(children: tuple[Inline, ...]) -> list[str]:
    return [_guard_line(line) for line in _inline(children).split("\n")]


def _heading(node: Heading) -> list[str]:
    if any(isinstance(c, SoftBreak) for c in node.children) and node.level <= 2:
        return _paragraph(node.children) + ["===" if node.level == 1 else "---"]
    text = _guard_blanks(_inline(node.children).replace("\n", " "))
    if text.endswith("#"):
        text = text[:-1] + "\\#"
    return [("#" * node.level + " " + text).rstrip(" ")]


def _code_block(node: CodeBlock) -> list[str]:
    char = "~" if "`" in node.language else "`"
    fence = char * max(3, longest_run(node.text, char) + 1)
    body = node.text.split("\n") if node.text else []
    gap = " " if node.language[:1] == char else ""  # ``~~~ ~x``: the language is ``~x``
    return [fence + gap + node.language, *body, fence]


def _table(node: Table) -> list[str]:
    def row(cells: Cells) -> str:
        texts = [re.sub(r"(?<!\\)\|", r"\\|", _guard_blanks(_inline(c))) for c in cells]
        if all(_DELIM_CELL.match(t) for t in texts):
            texts[0] = "\\" + texts[0]  # a row like ``| --- |`` would start a new table
        return "| " + " | ".join(texts) + " |"

    delimiter = "| " + " | ".join(_ALIGN_ROW[a] for a in node.aligns) + " |"
    return [row(node.header), delimiter, *(row(r) for r in node.rows)]


def _list(node: ListBlock, bullet: str, delimiter: str, depth: int) -> list[str]:
    out: list[str] = []
    for k, item in enumerate(node.items):
        number = min(node.start + k, 999_999_999)
        marker = f"{number}{delimiter}" if node.ordered else bullet
        if item.checked is not None:
            marker += " [x]" if item.checked else " [ ]"
        lines = _lines(item.children, tight=node.tight, depth=depth + 1)
        if k and not node.tight:
            out.append("")
        pad = " " * (len(marker.split(" ")[0]) + 1)
        out.append((marker + " " + lines[0]).rstrip(" ") if lines else marker)
        out += [pad + line if line else "" for line in lines[1:]]
    return out


def _lines(blocks: tuple[Block, ...], *, tight: bool = False, depth: int = 0) -> list[str]:
    out: list[str] = []
    previous, previous_marker = None, 0  # adjacent lists alternate markers, or they would join
    node: Any  # dispatched on type(node) below, which mypy does not follow
    for node in blocks:
        if out and not tight:
            out.append("")
        kind = type(node)
        if kind is Paragraph:
            out += _paragraph(node.children)
        elif kind is Heading:
            out += _heading(node)
        elif kind is CodeBlock:
            out += _code_block(node)
        elif kind is Quote:
            out += [f"> {line}" if line else ">"
                    for line in _lines(node.children, depth=depth + 1) or [""]]
        elif kind is ListBlock:
            alternate = isinstance(previous, ListBlock) and previous.ordered == node.ordered \
                and previous_marker == 0
            previous_marker = 1 if alternate else 0
            # A nested list's bullet differs from its parent's: ``- - -`` is a rule.
            bullet = ("*" if alternate else "+") if depth % 2 else ("*" if alternate else "-")
            out += _list(node, bullet, ")" if alternate else ".", depth)
        elif kind is Table:
            out += _table(node)
        elif kind is Rule:
            out.append("___")  # not ``---``: after a paragraph that is a heading
        previous = node
    return out


def write_blocks(blocks: tuple[Block, ...]) -> str:
    """Block nodes as canonical markdown."""
    return "\n".join(_lines(blocks))


def markdown_text(text: str) -> str:
    """A message's markdown rewritten so that it cannot reach past itself."""
    return write_blocks(parse_markdown(text))


def inline_markdown(text: object) -> str:
    """A plain value (a name, an id, a status) as markdown text on one line:
    every markup character escaped."""
    return _text(str(text).replace("\r", " ").replace("\n", " "))
