"""What a session says, read from its JSON shapes, for the three renderers.

``show`` (terminal text), the markdown export and the HTML export (and the
notebook's ``_repr_html_``) all present the same things: the conversation
as turns of parts (text, reasoning, tool calls, tool results, images), a
header of facts about the session, and each run as a timeline. This module
works that out once, from the ``to_dict()`` shapes of format.md §2, so the
renderers only format. It reads dicts, not record attributes: the shapes
are fixed by the Rust crate, and unknown blocks or event types degrade to a
generic part instead of failing.

>>> msgs = [
...     {"role": "assistant", "content": [
...         {"type": "tool_use", "id": "t1", "name": "bash", "input": {"cmd": "ls"}}]},
...     {"role": "user", "content": [
...         {"type": "tool_result", "tool_use_id": "t1", "content": "a\\nb", "is_error": None}]},
... ]
>>> for t in turns(msgs):
...     print(t.role, [(p.kind, p.name, p.text) for p in t.parts])
assistant [('tool_call', 'bash', '{\\n  "cmd": "ls"\\n}')]
tool [('tool_result', 'bash', 'a\\nb')]
>>> shorten("x" * 10, max_chars=4)
('xxxx', '6 more characters')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import _json

__all__ = ["Part", "Turn", "Entry", "turns", "tool_names", "shorten", "one_line_json",
           "pretty_json", "result_text", "usage_line", "timeline", "SHORT_LINES", "SHORT_CHARS"]

#: How much of a long tool input, tool result or reasoning ``show`` prints.
SHORT_LINES = 12
SHORT_CHARS = 1200


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a turn.

    ``kind`` is ``text``, ``reasoning``, ``tool_call``, ``tool_result``,
    ``image`` or ``unknown``; ``text`` is what to show (tool input as indented JSON,
    result text, an image's description); ``name`` the tool, ``ref`` the
    tool-use id, ``error`` whether a result is an error. ``media_type`` and
    ``data`` carry an image's base64 payload for the HTML export.
    """

    kind: str
    text: str
    name: str = ""
    ref: str = ""
    error: bool = False
    media_type: str = ""
    data: str = ""


@dataclass(frozen=True, slots=True)
class Turn:
    """One message: its position, who spoke (``tool`` for a message made only
    of tool results) and its parts."""

    index: int
    role: str
    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a run's timeline: milliseconds since the run started,
    the event type, a one-line summary and the longer detail (may be empty).
    ``count`` > 1 when consecutive deltas were merged into one entry."""

    offset_ms: int
    type: str
    summary: str
    detail: str = ""
    count: int = 1


def pretty_json(value: object) -> str:
    """``value`` as indented JSON (the store's own format)."""
    return _json.encode_bytes(value).decode("utf-8")


def one_line_json(pretty: str) -> str:
    """Indented JSON (from :func:`pretty_json`) on one line, for short tool inputs.

    Every line break of the indented form is structural (strings keep
    theirs escaped), so joining the lines is safe.

    >>> one_line_json(pretty_json({"a": [1, 2], "b": {}}))
    '{"a": [1, 2], "b": {}}'
    """
    lines = [line.strip() for line in pretty.split("\n")]
    out: list[str] = []
    for line in lines:
        if out and not (out[-1].endswith(("{", "[")) or line.startswith(("}", "]"))):
            out.append(" ")
        out.append(line)
    return "".join(out)


def shorten(text: str, *, max_lines: int = SHORT_LINES, max_chars: int = SHORT_CHARS
            ) -> tuple[str, str]:
    """(the head of ``text``, what was cut as words) - the second is ``""``
    when nothing was cut."""
    lines = text.split("\n")
    if len(lines) > max_lines:
        head = "\n".join(lines[:max_lines])
        if len(head) <= max_chars:
            cut = len(lines) - max_lines
            return head, f"{cut:,} more line{'s' * (cut != 1)}"
    if len(text) > max_chars:
        cut = len(text) - max_chars
        return text[:max_chars], f"{cut:,} more character{'s' * (cut != 1)}"
    return text, ""


def _str(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def result_text(content: object) -> tuple[str, list[Part]]:
    """The text of a tool result's ``content`` (a string or a list of text and
    image items) and the images in it."""
    if isinstance(content, str):
        return content, []
    if not isinstance(content, list):
        return pretty_json(content), []
    texts, images = [], []
    for item in content:
        if isinstance(item, dict) and item.get("type") == "text":
            texts.append(_str(item.get("text")))
        elif isinstance(item, dict) and item.get("type") == "image":
            images.append(_image(item))
        else:
            texts.append(pretty_json(item))
    return "\n".join(texts), images


def _image(block: dict[str, Any]) -> Part:
    source = block["source"] if isinstance(block.get("source"), dict) else {}
    media = _str(source.get("media_type")) or "unknown type"
    data = _str(source.get("data"))
    size = len(data) * 3 // 4
    return Part("image", f"image ({media}, about {size:,} bytes)", media_type=media, data=data)


def tool_names(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Tool-use id -> tool name, over every message."""
    names = {}
    for message in messages:
        for block in message.get("content") or ():
            if isinstance(block, dict) and block.get("type") == "tool_use":
                names[_str(block.get("id"))] = _str(block.get("name"))
    return names


def _parts(message: dict[str, Any], names: dict[str, str]) -> list[Part]:
    parts = []
    reasoning = message.get("reasoning_content")
    if reasoning:
        parts.append(Part("reasoning", _str(reasoning)))
    for block in message.get("content") or ():
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            parts.append(Part("text", _str(block.get("text"))))
        elif kind == "tool_use":
            parts.append(Part("tool_call", pretty_json(block.get("input")),
                              name=_str(block.get("name")), ref=_str(block.get("id"))))
        elif kind == "tool_result":
            ref = _str(block.get("tool_use_id"))
            text, images = result_text(block.get("content"))
            parts.append(Part("tool_result", text, name=names.get(ref, ""), ref=ref,
                              error=block.get("is_error") is True))
            parts.extend(images)
        elif kind == "image":
            parts.append(_image(block))
        else:
            parts.append(Part("unknown", pretty_json(block), name=_str(kind)))
    return parts


def turns(messages: list[dict[str, Any]], *, start: int = 0, names: dict[str, str] | None = None
          ) -> list[Turn]:
    """The turns of ``messages`` (dicts), numbered from ``start``.

    ``names`` maps tool-use ids to tool names (by default, from ``messages``)
    so a result can say which tool produced it.
    """
    names = tool_names(messages) if names is None else names
    out = []
    for i, message in enumerate(messages, start):
        parts = tuple(_parts(message, names))
        role = _str(message.get("role")) or "?"
        if parts and all(p.kind in ("tool_result", "image") for p in parts) and any(
                p.kind == "tool_result" for p in parts):
            role = "tool"
        out.append(Turn(i, role, parts))
    return out


def usage_line(session: dict[str, Any]) -> str:
    """Tokens and cost in one line: ``1,000 prompt + 200 completion = 1,200 tokens, $0.0123``."""
    usage = session["total_usage"] if isinstance(session.get("total_usage"), dict) else {}
    n = {k: usage.get(k) if isinstance(usage.get(k), int) else 0
         for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    text = (f"{n['prompt_tokens']:,} prompt + {n['completion_tokens']:,} completion = "
            f"{n['total_tokens']:,} tokens")
    cache = [f"{usage[k]:,} cache {k.split('_')[1]}" for k in ("cache_read_tokens",
                                                              "cache_write_tokens")
             if isinstance(usage.get(k), int) and usage[k]]
    if cache:
        text += " (" + ", ".join(cache) + ")"
    cost = session.get("total_cost")
    if isinstance(cost, (int, float)) and cost:
        text += f", ${cost:.4f}"
    return text


# -- runs ------------------------------------------------------------------------

_DELTAS = ("text_delta", "reasoning_delta")


def _event_summary(event: dict[str, Any]) -> tuple[str, str]:
    """(one-line summary, longer detail) of an agent event (opaque JSON)."""
    kind = _str(event.get("type"))
    get = event.get
    if kind == "agent_start":
        return _str(get("prompt")), ""
    if kind in ("turn_start", "turn_end"):
        return f"turn {_str(get('turn'))}", ""
    if kind == "tool_start":
        return f"{_str(get('name'))} ({_str(get('id'))})", ""
    if kind == "tool_end":
        code = get("exit_code")
        return (f"{_str(get('name'))} ({_str(get('id'))}) exit {_str(code)}",
                _str(get("output")))
    if kind == "agent_end":
        return "done", _str(get("text"))
    if kind == "error":
        return _str(get("message")), ""
    if kind in ("subagent_start", "subagent_end", "subagent_progress"):
        return f"{_str(get('agent') or get('status'))} {_str(get('task_id'))}".strip(), _str(
            get("description") or get("output"))
    if kind.startswith("confirmation"):
        return _str(get("tool_name") or get("tool_id")), ""
    rest = {k: v for k, v in event.items() if k != "type"}
    return "", (pretty_json(rest) if rest else "")


def timeline(run: dict[str, Any]) -> list[Entry]:
    """The events of a run record as timeline entries; consecutive text or
    reasoning deltas merge into one entry holding their joined text."""
    snapshot = run["snapshot"] if isinstance(run.get("snapshot"), dict) else {}
    start = snapshot.get("created_at_ms")
    out: list[Entry] = []
    for record in run.get("events") or ():
        if not isinstance(record, dict):
            continue
        event = record["event"] if isinstance(record.get("event"), dict) else {}
        ts = record.get("timestamp_ms")
        offset = ts - start if isinstance(ts, int) and isinstance(start, int) else 0
        kind = _str(event.get("type")) or "?"
        if kind in _DELTAS:
            text = _str(event.get("text"))
            if out and out[-1].type == kind:
                last = out[-1]
                joined = last.detail + text
                out[-1] = Entry(last.offset_ms, kind, "", joined, last.count + 1)
            else:
                out.append(Entry(offset, kind, "", text))
            continue
        summary, detail = _event_summary(event)
        out.append(Entry(offset, kind, summary, detail))
    return [e if e.type not in _DELTAS else
            Entry(e.offset_ms, e.type, f"{e.count:,} delta{'s' * (e.count != 1)}, "
                  f"{len(e.detail):,} characters", e.detail, e.count) for e in out]
