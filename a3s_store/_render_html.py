"""A session as HTML: the self-contained export file and the notebook view.

Safety is the first property, because session content comes from models
and tools: a tool output may be an HTML page or hold ``<script>``. Every
piece of session content (text, names, ids, tool inputs and outputs, image
types, event fields) goes through :func:`esc` (``html.escape`` with quotes)
before it is placed, in text and in attributes alike; message markdown is
parsed and written by :mod:`._md_html`, whose only markup is its own.
As a second wall, the export carries a Content-Security-Policy that allows
no script and no load from anywhere (images only as ``data:``), so even a
bug in the escaping could not run code or fetch anything.

The export is one file: inline CSS (:mod:`._html_style`), no script
(``<details>`` makes tool calls, results, runs and checks collapsible
without one), images only as ``data:`` URIs of raster types. The notebook
view (``_repr_html_``) reuses the same message rendering and style sheet,
shows the first and last messages of a long session, cuts long texts and
inlines images up to a size.

>>> print(esc('<script>alert("x")</script>'))
&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

from ._components import ARTIFACTS, SUBAGENT_TASKS, TRACES
from ._html_style import CSS, PAGE_CSS
from ._html_transcript import turn_html
from ._md_html import esc
from ._term import clock
from ._transcript import timeline, tool_names, turns, usage_line

if TYPE_CHECKING:
    from .records import SessionData
    from .snapshot import SessionSnapshot

__all__ = ["esc", "render_document", "render_notebook"]

_STATUSES = {"passed", "failed", "needs_review", "skipped", "created", "planning", "executing",
             "verifying", "completed", "cancelled", "running"}
# Notebook view: the first and last messages of a long session, a cap per
# text, and per inlined image (base64 characters; a notebook keeps its
# outputs in the .ipynb file).
_HEAD, _TAIL = 3, 12
_NOTEBOOK_CHARS = 2000
_NOTEBOOK_IMAGE = 2_000_000
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _status(value: object) -> str:
    """``<span class="...">status</span>``: only known statuses become a class."""
    cls = value if value in _STATUSES else "other"
    return f'<span class="{cls}">{esc(value)}</span>'


def _ms_time(value: object) -> str:
    if not isinstance(value, int) or value <= 0:
        return "-"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value / 1000))
    return f'<time datetime="{esc(stamp)}">{esc(clock(value / 1000))}</time>'


def _facts(s: dict[str, Any]) -> str:
    config = s["config"] if isinstance(s.get("config"), dict) else {}
    state = s.get("state")
    rows = [("id", s.get("id")), ("state", getattr(state, "value", state)),
            ("model", s.get("model_name")), ("messages", f"{len(s.get('messages') or ()):,}"),
            ("created", clock(s.get("created_at"))), ("updated", clock(s.get("updated_at"))),
            ("usage", usage_line(s)), ("workspace", config.get("workspace")),
            ("parent", s.get("parent_id")), ("tenant", s.get("tenant_id"))]
    return '<dl class="facts">' + "".join(
        f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows if v not in (None, "")) + "</dl>"


def _meta(s: dict[str, Any]) -> str:
    """The line under the title: model, size and date at a glance."""
    n = len(s.get("messages") or ())
    bits = [s.get("model_name"), f"{n:,} message{'s' * (n != 1)}",
            clock(s.get("updated_at") or s.get("created_at"))]
    return " &middot; ".join(esc(b) for b in bits if b not in (None, "", "-"))


def _runs(runs: list[dict[str, Any]]) -> str:
    out = ['<section id="runs"><h2>Run timeline</h2>']
    for run in runs:
        r = run["snapshot"] if isinstance(run.get("snapshot"), dict) else {}
        out.append(f'<details class="run" open><summary>Run <code>{esc(r.get("id"))}</code> '
                   f'{_status(r.get("status"))} &middot; {_ms_time(r.get("created_at_ms"))}'
                   f' &middot; {esc(r.get("event_count"))} events</summary>')
        if r.get("prompt"):
            out.append(f'<div class="text"><b>Prompt:</b> {esc(r.get("prompt"))}</div>')
        if r.get("error"):
            out.append(f'<div class="text error"><b>Error:</b> {esc(r.get("error"))}</div>')
        out.append('<ol class="timeline">')
        for e in timeline(run):
            item = (f'<time>+{e.offset_ms / 1000:.3f}s</time> <code>{esc(e.type)}</code> '
                    f"{esc(e.summary)}")
            if e.detail:
                item = (f"<details><summary>{item}</summary><pre>{esc(e.detail)}</pre>"
                        "</details>")
            out.append(f'<li class="event">{item}</li>')
        out.append("</ol>")
        if r.get("result_text"):
            out.append(f'<details><summary>Result</summary><div class="text">'
                       f'{esc(r.get("result_text"))}</div></details>')
        out.append("</details>")
    out.append("</section>")
    return "".join(out)


def _verification(reports: list[dict[str, Any]]) -> str:
    out = ['<section id="verification"><h2>Verification</h2>']
    for r in reports:
        checks = [c for c in r.get("checks") or () if isinstance(c, dict)]
        out.append(f'<details class="report" open><summary>{esc(r.get("subject"))} '
                   f'{_status(r.get("status"))} &middot; {len(checks):,} '
                   f'check{"s" * (len(checks) != 1)}</summary><div class="scroll"><table>'
                   "<thead><tr><th>check</th><th>kind</th><th>status</th><th>required</th>"
                   "<th>description</th></tr></thead><tbody>")
        for c in checks:
            risk = (f'<div class="muted">risk: {esc(c.get("residual_risk"))}</div>'
                    if c.get("residual_risk") else "")
            required = "yes" if c.get("required") else "no"
            out.append(f'<tr class="check"><td>{esc(c.get("id"))}</td><td>{esc(c.get("kind"))}'
                       f"</td><td>{_status(c.get('status'))}</td><td>{required}</td>"
                       f'<td>{esc(c.get("description"))}{risk}</td></tr>')
        out.append("</tbody></table></div>")
        risks = [x for x in r.get("residual_risks") or () if isinstance(x, str)]
        if risks:
            out.append("<p>Residual risks:</p><ul>" + "".join(f"<li>{esc(x)}</li>" for x in risks)
                       + "</ul>")
        out.append("</details>")
    out.append("</section>")
    return "".join(out)


def _cell(value: object) -> object:
    return "yes" if value is True else "no" if value is False else "" if value is None else value


def _table(section: str, title: str, headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(_cell(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return (f'<section id="{section}"><h2>{esc(title)}</h2><div class="scroll"><table><thead>'
            f"<tr>{head}</tr></thead><tbody>{body}</tbody></table></div></section>")


def _artifacts(artifacts: list[dict[str, Any]]) -> str:
    out = ['<section id="artifacts"><h2>Artifacts</h2>']
    for a in artifacts:
        out.append(f'<details class="artifact"><summary><code>{esc(a.get("artifact_uri"))}</code> '
                   f'<span class="muted">{esc(a.get("tool_name"))} &middot; '
                   f'{esc(a.get("original_bytes"))} bytes</span></summary>'
                   f'<pre>{esc(a.get("content") or "")}</pre></details>')
    out.append("</section>")
    return "".join(out)


def render_document(snap: dict[str, Any]) -> str:
    """The export: one HTML file of the whole snapshot (see ``snapshot_dict``)."""
    s = snap["session"]
    config = s["config"] if isinstance(s.get("config"), dict) else {}
    title = config.get("name") or s.get("id") or "session"
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{esc(title)} - a3s session</title><style>{CSS}{PAGE_CSS}</style></head>",
        f'<body class="a3s"><header><h1>{esc(title)}</h1><div class="meta">{_meta(s)}</div>'
        f"<details><summary>Session details</summary>{_facts(s)}</details></header>",
        '<section id="transcript"><h2>Transcript</h2>',
        "".join(turn_html(t) for t in turns(s.get("messages") or [])),
        "</section>",
    ]
    if snap["run_records"]:
        parts.append(_runs(snap["run_records"]))
    if snap["verification_reports"]:
        parts.append(_verification(snap["verification_reports"]))
    if snap[ARTIFACTS.attr]:
        parts.append(_artifacts(snap[ARTIFACTS.attr]))
    if snap["trace_events"]:
        parts.append(_table(TRACES.name, "Trace events",
                            ["kind", "name", "success", "exit", "ms", "output bytes"],
                            [[t.get("kind"), t.get("name"), t.get("success"), t.get("exit_code"),
                              t.get("duration_ms"), t.get("output_bytes")]
                             for t in snap["trace_events"]]))
    if snap[SUBAGENT_TASKS.attr]:
        parts.append(_table("subagents", "Subagent tasks",
                            ["task", "agent", "status", "description", "output"],
                            [[t.get("task_id"), t.get("agent"), t.get("status"),
                              t.get("description"), t.get("output") or ""]
                             for t in snap[SUBAGENT_TASKS.attr]]))
    parts.append(f"<footer>Exported by a3s_store on {esc(time.strftime('%Y-%m-%d %H:%M:%S'))}"
                 "</footer></body></html>\n")
    return "".join(parts)


def _side_counts(obj: SessionSnapshot) -> str:
    """What a snapshot holds besides its messages, in words."""
    counts = [(len(obj.artifacts) if obj.artifacts is not None else 0, "artifact"),
              (len(obj.trace_events), "trace event"), (len(obj.run_records), "run"),
              (len(obj.verification_reports), "verification report"),
              (len(obj.subagent_tasks), "subagent task")]
    extra = " &middot; ".join(f"{n:,} {w}{'s' * (n != 1)}" for n, w in counts)
    if obj.revision is not None:
        extra += f" &middot; revision <code>{esc(obj.revision)}</code>"
    return f'<div class="muted">{extra}</div>'


def render_notebook(obj: SessionData | SessionSnapshot) -> str:
    """The compact view of a ``SessionData`` or ``SessionSnapshot`` for
    notebooks (their ``_repr_html_``).

    Converts only the messages it shows (the first and last few), so it stays
    quick on sessions of thousands of messages.
    """
    session = cast("SessionData", getattr(obj, "session", obj))  # a snapshot's or obj
    messages = session.messages
    n = len(messages)
    windows = [(0, n)] if n <= _HEAD + _TAIL + 1 else [(0, _HEAD), (n - _TAIL, n)]
    state = session.state
    model = f" &middot; {esc(session.model_name)}" if session.model_name else ""
    head = (f'<div class="who"><b>{esc(session.config.name or session.id)}</b> '
            f'<code>{esc(session.id)}</code> &middot; {esc(getattr(state, "value", state))}'
            f"{model} &middot; {n:,} message{'s' * (n != 1)}</div>")
    body = []
    for start, stop in windows:
        if start:
            body.append(f'<div class="gap">&#8942; {start - _HEAD:,} messages not shown '
                        "&#8942;</div>")
        lo = max(start - 1, 0)  # the message before holds the calls of the first results
        dicts = [m.to_dict() for m in messages[lo:stop]]
        names = tool_names(dicts)
        for t in turns(dicts[start - lo:], start=start, names=names):
            body.append(turn_html(t, limit=_NOTEBOOK_CHARS, max_image=_NOTEBOOK_IMAGE))
    more = _side_counts(cast("SessionSnapshot", obj)) if session is not obj else ""
    return (f'<div class="a3s a3s-session"><style>{CSS}</style>{head}{more}'
            f"{''.join(body)}</div>")
