"""A session as a markdown document (``export --format markdown``).

The document is built as markdown nodes and written by one writer
(:mod:`._md_write`), so its structure is the writer's alone. A message's
text is parsed and written again in canonical form rather than copied:
its HTML comes out as text (``\\<script>``), its unclosed fence is closed
where the message ends, its links to anything but http(s) and mailto lose
their target. Tool inputs, results and long values sit in fences longer
than any backtick run inside them. Names, ids and statuses are escaped
text wherever they stand (headings, lists, table cells).

>>> from types import SimpleNamespace
>>> doc = render_markdown({"session": {"id": "s", "messages": [
...     {"role": "user", "content": [{"type": "text", "text": "```\\nopen fence"}]},
...     {"role": "assistant", "content": [{"type": "text", "text": "<b>hi</b>"}]}]},
...     "artifacts": [], "trace_events": [], "run_records": [], "verification_reports": [],
...     "subagent_tasks": []})
>>> print(doc[doc.index("### 0."):doc.index("## Other")].strip())
### 0. user
<BLANKLINE>
```
open fence
```
<BLANKLINE>
### 1. assistant
<BLANKLINE>
\\<b>hi\\</b>
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ._components import ARTIFACTS, SUBAGENT_TASKS, TRACES
from ._md_blocks import parse_markdown
from ._md_nodes import (
    Block,
    Cells,
    Code,
    CodeBlock,
    Emph,
    Heading,
    Inline,
    Item,
    ListBlock,
    Paragraph,
    Quote,
    Strong,
    Table,
    Text,
)
from ._md_write import write_blocks
from ._term import clock
from ._transcript import Part, shorten, timeline, turns, usage_line

__all__ = ["render_markdown"]


def _para(*nodes: str | Inline) -> Paragraph:
    return Paragraph(tuple(Text(n) if isinstance(n, str) else n for n in nodes))


def _heading(level: int, text: object) -> Heading:
    return Heading(level, (Text(str(text)),))


def _cells(values: Iterable[object]) -> Cells:
    return tuple((Text(str(v)),) if v not in (None, "") else () for v in values)


def _table(header: list[str], rows: list[list[object]]) -> Table:
    return Table(("",) * len(header), _cells(header), tuple(_cells(r) for r in rows))


def _demoted(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """A message's blocks with its headings moved below the turn's own (h4 on)."""
    out: list[Block] = []
    for node in blocks:
        if isinstance(node, Heading):
            node = Heading(min(node.level + 3, 6), node.children)
        elif isinstance(node, Quote):
            node = Quote(_demoted(node.children))
        elif isinstance(node, ListBlock):
            node = ListBlock(node.ordered, node.start, node.tight, tuple(
                Item(_demoted(i.children), i.checked) for i in node.items))
        out.append(node)
    return tuple(out)


def _message(text: str) -> tuple[Block, ...]:
    return _demoted(parse_markdown(text))


def _part(part: Part) -> list[Block]:
    if part.kind == "text":
        return list(_message(part.text))
    if part.kind == "reasoning":
        return [Quote((_para(Emph((Text("Reasoning"),))), *_message(part.text)))]
    if part.kind == "tool_call":
        return [_para(Strong((Text("Tool call"),)), " ", Code(part.name or "?"),
                      f" ({part.ref})"), CodeBlock("json", part.text)]
    if part.kind == "tool_result":
        error = " (error)" if part.error else ""
        return [_para(Strong((Text("Tool result"),)), " ", Code(part.name or "?"),
                      f" ({part.ref}){error}"), CodeBlock("", part.text)]
    label = part.text if part.kind == "image" else part.name
    return [_para(Emph((Text(f"[{label}]"),)))]


def _facts(s: dict[str, Any]) -> ListBlock:
    config = s["config"] if isinstance(s.get("config"), dict) else {}
    state = s.get("state")
    facts = [("id", s.get("id")), ("state", getattr(state, "value", state)),
             ("model", s.get("model_name")), ("created", clock(s.get("created_at"))),
             ("updated", clock(s.get("updated_at"))), ("usage", usage_line(s)),
             ("workspace", config.get("workspace"))]
    return ListBlock(False, 1, True, tuple(
        Item((_para(Strong((Text(k),)), f": {v}"),)) for k, v in facts if v not in (None, "")))


def _runs(runs: list[dict[str, Any]]) -> list[Block]:
    out: list[Block] = [_heading(2, "Runs")]
    for run in runs:
        r = run["snapshot"] if isinstance(run.get("snapshot"), dict) else {}
        out.append(_heading(3, f"Run {r.get('id')} ({r.get('status')})"))
        out.append(_table(["time", "event", "summary"], [
            [f"+{e.offset_ms / 1000:.3f} s", e.type,
             shorten(e.summary, max_lines=1, max_chars=120)[0]] for e in timeline(run)]))
    return out


def _verification(reports: list[dict[str, Any]]) -> list[Block]:
    out: list[Block] = [_heading(2, "Verification")]
    for r in reports:
        out.append(_heading(3, f"{r.get('subject')}: {r.get('status')}"))
        out.append(_table(["check", "kind", "status", "required", "description"], [
            [c.get("id"), c.get("kind"), c.get("status"), "yes" if c.get("required") else "no",
             c.get("description")] for c in r.get("checks") or () if isinstance(c, dict)]))
    return out


def render_markdown(snap: dict[str, Any]) -> str:
    """The whole session (see ``snapshot_dict``) as a markdown document."""
    s = snap["session"]
    config = s["config"] if isinstance(s.get("config"), dict) else {}
    blocks: list[Block] = [_heading(1, config.get("name") or s.get("id")), _facts(s),
                    _heading(2, "Transcript")]
    for turn in turns(s.get("messages") or []):
        blocks.append(_heading(3, f"{turn.index}. {turn.role}"))
        for part in turn.parts:
            blocks += _part(part)
    if snap["run_records"]:
        blocks += _runs(snap["run_records"])
    if snap["verification_reports"]:
        blocks += _verification(snap["verification_reports"])
    extras = [(k, len(snap[k])) for k in (ARTIFACTS.attr, TRACES.attr, SUBAGENT_TASKS.attr)]
    blocks += [_heading(2, "Other data"), ListBlock(False, 1, True, tuple(
        Item((_para(f"{k.replace('_', ' ')}: {n:,}"),)) for k, n in extras)),
        _para(Emph((Text(f"Exported by a3s_store on {time.strftime('%Y-%m-%d %H:%M:%S')}."),)))]
    return write_blocks(tuple(blocks)) + "\n"
