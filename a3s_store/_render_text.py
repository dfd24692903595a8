"""A session as text: the ``show`` transcript and the short ``__repr__`` of
sessions and snapshots; the markdown export lives in :mod:`._render_markdown`
and is re-exported here for the command line.

The renderers take a snapshot as plain dicts (:func:`snapshot_dict`), so
they work the same on a loaded snapshot and on anything with ``to_dict()``.
``show`` passes every piece of session text through
:func:`~a3s_store._term.safe`, so stored content cannot send escape
sequences to the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._components import ARTIFACTS, SIDE, SUBAGENT_TASKS
from ._render_markdown import render_markdown
from ._term import clock, human_size, safe
from ._transcript import Turn, one_line_json, shorten, timeline, turns, usage_line

if TYPE_CHECKING:
    from .records import SessionData
    from .snapshot import SessionSnapshot

__all__ = ["snapshot_dict", "render_show", "render_markdown", "session_repr", "snapshot_repr"]

# The side lists of a snapshot (every component but the session and its artifacts).
_LISTS = tuple(c.attr for c in SIDE if c.many)
_ITEM = {c.attr: c.label[:-1] if c.label.endswith("s") else c.label for c in SIDE if c.many}
_ITEM[ARTIFACTS.attr] = "artifact"


def snapshot_dict(snapshot: SessionSnapshot | SessionData) -> dict[str, Any]:
    """A snapshot (or a bare session) as one dict of JSON shapes: ``session``,
    ``artifacts`` (a list of the artifacts), and each side list under its
    snapshot attribute."""
    if not hasattr(snapshot, "session"):
        return {"session": snapshot.to_dict(), ARTIFACTS.attr: [], **{k: [] for k in _LISTS}}
    store = getattr(snapshot, ARTIFACTS.attr)
    artifacts = [a.to_dict() for a in store.artifacts()] if store is not None else []
    return {"session": snapshot.session.to_dict(), ARTIFACTS.attr: artifacts,
            **{k: [item.to_dict() for item in getattr(snapshot, k) or ()] for k in _LISTS}}


def _state(value: object) -> str:
    return str(getattr(value, "value", value))


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def session_repr(session: SessionData) -> str:
    """``SessionData(id='x', 1,204 messages, model='openai/gpt-4o', state=Active)``."""
    model = f", model={session.model_name!r}" if session.model_name else ""
    return (f"SessionData(id={session.id!r}, {_count(len(session.messages), 'message')}"
            f"{model}, state={_state(session.state)})")


def snapshot_repr(snapshot: SessionSnapshot) -> str:
    """``SessionSnapshot(id='x', 12 messages, 2 runs, revision='3-ab')``: the
    session, then only the components that hold something."""
    parts = [f"id={snapshot.session.id!r}", _count(len(snapshot.session.messages), "message")]
    for component in SIDE:
        n = len(getattr(snapshot, component.attr) or ())
        if n:
            parts.append(_count(n, _ITEM[component.attr]))
    if snapshot.revision is not None:
        parts.append(f"revision={snapshot.revision!r}")
    return f"SessionSnapshot({', '.join(parts)})"


# -- show ------------------------------------------------------------------------


def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def _header(s: dict[str, Any]) -> list[str]:
    config = s["config"] if isinstance(s.get("config"), dict) else {}
    name = config.get("name")
    lines = [f"session {safe(repr(s.get('id')))}" + (f"  {safe(name)}" if name else "")]
    facts = [f"state {safe(_state(s.get('state')))}"]
    if s.get("model_name"):
        facts.append(f"model {safe(s.get('model_name'))}")
    facts.append(_count(len(s.get("messages") or ()), "message"))
    lines.append(", ".join(facts))
    lines.append(f"created {clock(s.get('created_at'))}, updated {clock(s.get('updated_at'))}")
    lines.append(f"usage: {usage_line(s)}")
    if config.get("workspace"):
        lines.append(f"workspace {safe(config.get('workspace'))}")
    for key in ("parent_id", "tenant_id", "principal", "agent_template_id", "correlation_id"):
        if s.get(key):
            lines.append(f"{key} {safe(s.get(key))}")
    return lines


def _body(text: str, full: bool, tail: str = "") -> str:
    if not full:
        text, cut = shorten(text)
        if cut:
            tail = f"[... {cut}; --full shows all]"
    out = _indent(safe(text, keep_newlines=True))
    return out + ("\n      " + tail if tail else "")


def _show_turn(turn: Turn, full: bool) -> list[str]:
    lines = [f"[{turn.index}] {turn.role}"]
    for part in turn.parts:
        if part.kind == "text":
            lines.append(_indent(safe(part.text, keep_newlines=True), "  "))
        elif part.kind == "reasoning":
            lines.append("  (reasoning)")
            lines.append(_body(part.text, full))
        elif part.kind == "tool_call":
            short = one_line_json(part.text)
            if len(short) <= 100:
                lines.append(f"  -> {safe(part.name)} {safe(short)}  ({safe(part.ref)})")
            else:
                lines.append(f"  -> {safe(part.name)}  ({safe(part.ref)})")
                lines.append(_body(part.text, full))
        elif part.kind == "tool_result":
            name = f"{safe(part.name)} " if part.name else ""
            flag = "  ERROR" if part.error else ""
            lines.append(f"  <- {name}({safe(part.ref)}){flag}")
            lines.append(_body(part.text, full) if part.text else "      (empty)")
        else:
            lines.append(f"  [{safe(part.text if part.kind == 'image' else part.name)}]")
            if part.kind == "unknown":
                lines.append(_body(part.text, full))
    return lines


def _ms(value: object) -> str:
    return clock(value / 1000) if isinstance(value, int) and value > 0 else "-"


def _side_lines(snap: dict[str, Any], full: bool) -> list[str]:
    lines = []
    artifacts = snap[ARTIFACTS.attr]
    lines.append(f"artifacts ({len(artifacts):,})")
    for a in artifacts:
        lines.append(f"  {safe(a.get('artifact_uri'))}  {safe(a.get('tool_name'))}  "
                     f"{human_size(a.get('original_bytes') or 0)}")
    traces = snap["trace_events"]
    lines.append(f"trace events ({len(traces):,})")
    for t in traces:
        ok = "ok" if t.get("success") else "FAILED"
        lines.append(f"  {safe(t.get('kind'))} {safe(t.get('name'))} {ok}, exit "
                     f"{safe(t.get('exit_code'))}, {safe(t.get('duration_ms'))} ms, "
                     f"{human_size(t.get('output_bytes') or 0)}")
    runs = snap["run_records"]
    lines.append(f"runs ({len(runs):,})")
    for run in runs:
        s = run["snapshot"] if isinstance(run.get("snapshot"), dict) else {}
        prompt = shorten(str(s.get("prompt") or ""), max_lines=1, max_chars=60)[0]
        lines.append(f"  {safe(s.get('id'))}  {safe(s.get('status'))}  "
                     f"{_ms(s.get('created_at_ms'))}  {safe(s.get('event_count'))} events  "
                     f"{safe(prompt)}")
        if s.get("error"):
            lines.append(f"    error: {safe(s.get('error'))}")
        if full:
            for e in timeline(run):
                lines.append(f"    +{e.offset_ms / 1000:.3f}s {safe(e.type)} {safe(e.summary)}")
    reports = snap["verification_reports"]
    lines.append(f"verification reports ({len(reports):,})")
    for r in reports:
        checks = r.get("checks") or []
        passed = sum(1 for c in checks if isinstance(c, dict) and c.get("status") == "passed")
        lines.append(f"  {safe(r.get('status'))}  {safe(r.get('subject'))}  "
                     f"({passed}/{len(checks)} checks passed)")
        for c in checks if full else ():
            if isinstance(c, dict):
                req = " (required)" if c.get("required") else ""
                lines.append(f"    {safe(c.get('status'))}  {safe(c.get('id'))}: "
                             f"{safe(c.get('description'))}{req}")
    tasks = snap[SUBAGENT_TASKS.attr]
    lines.append(f"subagent tasks ({len(tasks):,})")
    for t in tasks:
        lines.append(f"  {safe(t.get('task_id'))}  {safe(t.get('agent'))}  "
                     f"{safe(t.get('status'))}  {safe(t.get('description'))}")
    return lines


def render_show(snap: dict[str, Any], *, full: bool = False) -> str:
    """The transcript ``a3s-store show`` prints."""
    s = snap["session"]
    lines = _header(s)
    lines.append("")
    for turn in turns(s.get("messages") or []):
        lines.extend(_show_turn(turn, full))
        lines.append("")
    lines.extend(_side_lines(snap, full))
    return "\n".join(lines)
