"""Markdown nodes as HTML, for the export and the notebook view.

Every piece of text goes through :func:`esc`; the only markup is the
writer's own, from a fixed set of elements (no ``script``, no ``img``, no
``style``). The one attribute that carries content is a link's ``href``,
written only for the schemes :func:`~._md_nodes.link_allowed` accepts;
other links show their text with the target beside it as text. Headings
start at ``<h3>`` so a message's ``# Title`` sits below the page's own.
A soft line break is a ``<br>``: in a chat a new line is meant as one.

>>> markdown_html("**hi** <b>x</b>")
'<p><strong>hi</strong> &lt;b&gt;x&lt;/b&gt;</p>'
>>> markdown_html("[run](javascript:alert(1))")
'<p>run<span class="md-refused"> (javascript:alert(1))</span></p>'
>>> markdown_html("```py\\nprint(1)\\n```")
'<div class="md-code"><div class="md-lang">py</div><pre><code>print(1)</code></pre></div>'
"""

from __future__ import annotations

import html
from typing import Any

from ._md_blocks import parse_markdown
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

__all__ = ["esc", "markdown_html", "blocks_html", "inline_html"]

_WRAP = {Emph: "em", Strong: "strong", Strike: "del"}
_ALIGN = {"left": ' style="text-align:left"', "center": ' style="text-align:center"',
          "right": ' style="text-align:right"'}


def esc(value: object) -> str:
    """``value`` as text that cannot become markup (quotes escaped too)."""
    return html.escape(value if isinstance(value, str) else str(value), quote=True)


def inline_html(nodes: tuple[Inline, ...]) -> str:
    """Inline nodes as HTML."""
    out = []
    node: Any  # dispatched on type(node) below, which mypy does not follow
    for node in nodes:
        kind = type(node)
        if kind is Text:
            out.append(esc(node.text))
        elif kind is Code:
            out.append(f"<code>{esc(node.text)}</code>")
        elif kind in _WRAP:
            tag = _WRAP[kind]
            out.append(f"<{tag}>{inline_html(node.children)}</{tag}>")
        elif kind is Link:
            out.append(_link(node))
        elif kind in (Break, SoftBreak):
            out.append("<br>")
    return "".join(out)


def _link(node: Link) -> str:
    text = inline_html(node.children)
    if link_allowed(node.url):
        return (f'<a href="{esc(node.url.strip())}" rel="noopener noreferrer nofollow" '
                f'target="_blank">{text}</a>')
    if plain_text(node.children) == node.url:
        return f'<span class="md-refused">{text}</span>'
    return f'{text}<span class="md-refused"> ({esc(node.url)})</span>'


def _code_block(node: CodeBlock) -> str:
    language = node.language[:40] or "text"
    return (f'<div class="md-code"><div class="md-lang">{esc(language)}</div>'
            f"<pre><code>{esc(node.text)}</code></pre></div>")


def _table(node: Table) -> str:
    def row(cells: Cells, tag: str) -> str:
        return "<tr>" + "".join(f"<{tag}{_ALIGN.get(a, '')}>{inline_html(c)}</{tag}>"
                                for a, c in zip(node.aligns, cells, strict=True)) + "</tr>"

    body = "".join(row(r, "td") for r in node.rows)
    return (f'<div class="md-table"><table><thead>{row(node.header, "th")}</thead>'
            f"<tbody>{body}</tbody></table></div>")


def _list(node: ListBlock) -> str:
    items = []
    for item in node.items:
        box = ""
        if item.checked is not None:
            box = f'<span class="md-task">{"&#9745;" if item.checked else "&#9744;"}</span> '
        items.append(f"<li>{box}{blocks_html(item.children, tight=node.tight)}</li>")
    if not node.ordered:
        return f"<ul>{''.join(items)}</ul>"
    start = f' start="{node.start}"' if node.start != 1 else ""
    return f"<ol{start}>{''.join(items)}</ol>"


def blocks_html(blocks: tuple[Block, ...], *, tight: bool = False) -> str:
    """Block nodes as HTML; in a tight list item, paragraphs without ``<p>``."""
    out = []
    node: Any  # dispatched on type(node) below, which mypy does not follow
    for node in blocks:
        kind = type(node)
        if kind is Paragraph:
            body = inline_html(node.children)
            out.append(body if tight else f"<p>{body}</p>")
        elif kind is Heading:
            level = min(node.level + 2, 6)
            out.append(f"<h{level}>{inline_html(node.children)}</h{level}>")
        elif kind is CodeBlock:
            out.append(_code_block(node))
        elif kind is Quote:
            out.append(f"<blockquote>{blocks_html(node.children)}</blockquote>")
        elif kind is ListBlock:
            out.append(_list(node))
        elif kind is Table:
            out.append(_table(node))
        elif kind is Rule:
            out.append("<hr>")
    return "".join(out)


def markdown_html(text: str) -> str:
    """A markdown text as safe HTML."""
    return blocks_html(parse_markdown(text))
