"""The conversation as HTML: one ``<article>`` per message, for the export and
the notebook view alike.

Text and reasoning are markdown (:mod:`._md_html`); tool calls, results and
blocks of unknown type are collapsible cards (``<details>``, so no script)
holding their text in ``<pre>``. Every value from the session is escaped;
the only classes are the writer's own (a role or a status becomes a class
only when it is a known one). Images are inlined only as ``data:`` URIs of
raster types whose payload is plain base64: never SVG, never a URL, so
nothing is fetched and nothing can run.

>>> part = Part("image", "image (image/svg+xml)", media_type="image/svg+xml", data="PHN2Zz4=")
>>> "<img" in part_html(part, limit=None, max_image=None)
False
"""

from __future__ import annotations

import re

from ._md_html import esc, markdown_html
from ._transcript import Part, Turn, one_line_json, shorten

__all__ = ["turn_html", "part_html", "clip", "RASTER"]

#: The image types that may be inlined (SVG is a document that can carry script).
RASTER = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_ROLES = {"user", "assistant", "tool", "system"}  # the roles that get their own style
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*\Z")


def clip(text: str, limit: int | None) -> tuple[str, str]:
    """(``text`` cut at ``limit`` characters, the note of what was cut as
    escaped HTML, or ``""``)."""
    if limit is None or len(text) <= limit:
        return text, ""
    head, cut = shorten(text, max_lines=10 ** 9, max_chars=limit)
    return head, f'<span class="muted"> [... {esc(cut)}]</span>'


def _pre(text: str, limit: int | None) -> str:
    head, note = clip(text, limit)
    return f"<pre>{esc(head)}{note}</pre>"


def _markdown(text: str, limit: int | None, cls: str = "md") -> str:
    head, note = clip(text, limit)
    return f'<div class="{cls}">{markdown_html(head)}{note}</div>'


def _image(part: Part, max_image: int | None) -> str:
    label = f'<div class="image muted">[{esc(part.text)}]</div>'
    if part.media_type not in RASTER or not part.data or _BASE64.match(part.data) is None:
        return label
    if max_image is not None and len(part.data) > max_image:
        return label
    src = f"data:{part.media_type};base64,{''.join(part.data.split())}"
    return f'<div class="image"><img alt="{esc(part.text)}" src="{esc(src)}"></div>'


def _tool_call(part: Part, limit: int | None) -> str:
    preview, cut = shorten(one_line_json(part.text), max_lines=1, max_chars=90)
    return (f'<details class="card tool-call"><summary>&#9881; <code>{esc(part.name)}</code> '
            f'<code class="muted">{esc(preview)}{"..." if cut else ""}</code> '
            f'<span class="n">{esc(part.ref)}</span></summary>{_pre(part.text, limit)}</details>')


def _tool_result(part: Part, limit: int | None) -> str:
    lines = part.text.count("\n") + 1 if part.text else 0
    cls = "card tool-result error" if part.error else "card tool-result"
    flag = ' <span class="error">&#10007; error</span>' if part.error else ""
    return (f'<details class="{cls}"><summary>&#8627; Result of <code>{esc(part.name or "?")}'
            f'</code> <span class="muted">{lines:,} line{"s" * (lines != 1)}</span>{flag} '
            f'<span class="n">{esc(part.ref)}</span></summary>{_pre(part.text, limit)}</details>')


def part_html(part: Part, *, limit: int | None, max_image: int | None) -> str:
    """One part of a message; texts cut at ``limit`` characters, images of
    more than ``max_image`` base64 characters described instead of shown."""
    if part.kind == "text":
        return _markdown(part.text, limit)
    if part.kind == "reasoning":
        return (f'<details class="reasoning"><summary>Thought process</summary>'
                f"{_markdown(part.text, limit)}</details>")
    if part.kind == "tool_call":
        return _tool_call(part, limit)
    if part.kind == "tool_result":
        return _tool_result(part, limit)
    if part.kind == "image":
        return _image(part, max_image)
    return (f'<details class="card unknown"><summary>Block of unknown type '
            f"<code>{esc(part.name)}</code></summary>{_pre(part.text, limit)}</details>")


def turn_html(turn: Turn, *, limit: int | None = None, max_image: int | None = None) -> str:
    """One message as an ``<article>``: who spoke (tool results follow the
    call's message without a header of their own), then its parts."""
    body = "".join(part_html(p, limit=limit, max_image=max_image) for p in turn.parts)
    role = turn.role if turn.role in _ROLES else "other"
    if role == "tool":
        return f'<article class="msg tool" id="m{turn.index}">{body}</article>'
    initial = esc(turn.role[:1].upper() or "?")
    return (f'<article class="msg {role}" id="m{turn.index}"><div class="who">'
            f'<span class="avatar">{initial}</span><span>{esc(turn.role)} '
            f'<a class="n" href="#m{turn.index}">#{turn.index}</a></span></div>'
            f'<div class="body">{body}</div></article>')
