"""A session as HTML: the self-contained export file and the notebook view.

Safety is the first property, because session content comes from models
and tools: a tool output may be an HTML page or hold ``<script>``. Every
piece of session content (text, names, ids, tool inputs and outputs, image
types, event fields) goes through :func:`esc` (``html.escape`` with quotes)
before it is placed, in text and in attributes alike; nothing from the
session becomes markup. As a second wall, the export carries a
Content-Security-Policy that allows no script and no external load, so even
a bug in the escaping could not run code or fetch anything.

The export is one file: inline CSS, no script (``<details>`` makes tool
calls, results, runs and checks collapsible without one), images only as
``data:`` URIs of raster types. The notebook view (``_repr_html_``) reuses
the same message rendering, shows the first and last messages of a long
session, and cuts long texts.

>>> print(esc('<script>alert("x")</script>'))
&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;
"""

from __future__ import annotations

import html
import re
import time

from ._components import ARTIFACTS, SUBAGENT_TASKS, TRACES
from ._term import clock
from ._transcript import (
    Part,
    Turn,
    one_line_json,
    shorten,
    timeline,
    tool_names,
    turns,
    usage_line,
)

__all__ = ["esc", "render_document", "render_notebook"]

_RASTER = {"image/png", "image/jpeg", "image/gif", "image/webp"}
_ROLES = {"user", "assistant", "tool", "system"}  # the roles that get their own style
_STATUSES = {"passed", "failed", "needs_review", "skipped", "created", "planning", "executing",
             "verifying", "completed", "cancelled", "running"}
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*\Z")
# Notebook view: the first and last messages of a long session, and a cap per text.
_HEAD, _TAIL = 3, 12
_NOTEBOOK_CHARS = 2000

_CSS = """
:root{color-scheme:light dark;--fg:#1f2328;--muted:#656d76;--bg:#fff;--line:#d0d7de;
--user:#ddf4ff;--assistant:#f6f8fa;--tool:#fff8c5;--bad:#cf222e;--good:#1a7f37}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--bg:#0d1117;
--line:#30363d;--user:#0c2d6b;--assistant:#161b22;--tool:#2e2a14;--bad:#f85149;--good:#3fb950}}
body{font:15px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);
max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid var(--line);padding-bottom:.3rem;margin-top:2rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.msg{border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;margin:.6rem 0}
.msg.user{background:var(--user)}.msg.assistant{background:var(--assistant)}
.msg.tool{background:var(--tool)}
.role{font-weight:600;font-size:.85rem;color:var(--muted);text-transform:uppercase}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:rgba(127,127,127,.1);
padding:.5rem;border-radius:4px;margin:.3rem 0;font-size:.85rem}
details{margin:.3rem 0}summary{cursor:pointer}
.error,.failed{color:var(--bad)}.passed,.ok{color:var(--good)}
table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{border:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top}
ol.timeline{list-style:none;padding-left:0}ol.timeline li{margin:.15rem 0}
time,.muted{color:var(--muted)}code{font-size:.9em}
footer{margin-top:3rem;color:var(--muted);font-size:.8rem}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def esc(value: object) -> str:
    """``value`` as text that cannot become markup (quotes escaped too)."""
    return html.escape(value if isinstance(value, str) else str(value), quote=True)


def _status(value: object) -> str:
    """``<span class="...">status</span>``: only known statuses become a class."""
    cls = value if value in _STATUSES else "other"
    return f'<span class="{cls}">{esc(value)}</span>'


def _ms_time(value: object) -> str:
    if not isinstance(value, int) or value <= 0:
        return "-"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value / 1000))
    return f'<time datetime="{esc(stamp)}">{esc(clock(value / 1000))}</time>'


def _clip(text: str, limit: int | None) -> str:
    """Escaped ``text``, cut at ``limit`` characters with a note of what was cut."""
    if limit is None or len(text) <= limit:
        return esc(text)
    head, cut = shorten(text, max_lines=10 ** 9, max_chars=limit)
    return f'{esc(head)}<span class="muted"> [... {esc(cut)}]</span>'


def _image(part: Part, inline: bool) -> str:
    label = f'<span class="muted">[{esc(part.text)}]</span>'
    if not inline or part.media_type not in _RASTER or not part.data \
            or _BASE64.match(part.data) is None:
        return f"<div>{label}</div>"
    src = f"data:{part.media_type};base64,{''.join(part.data.split())}"
    return f'<div><img alt="{esc(part.text)}" src="{esc(src)}" style="max-width:100%"></div>'


def _part(part: Part, limit: int | None, inline_images: bool) -> str:
    if part.kind == "text":
        return f'<div class="text">{_clip(part.text, limit)}</div>'
    if part.kind == "reasoning":
        return (f'<details class="reasoning"><summary>Reasoning</summary>'
                f'<div class="text muted">{_clip(part.text, limit)}</div></details>')
    if part.kind == "tool_call":
        preview = shorten(one_line_json(part.text), max_lines=1, max_chars=80)
        return (f'<details class="tool-call"><summary>Tool call <code>{esc(part.name)}</code> '
                f'<code class="muted">{esc(preview[0])}{"..." if preview[1] else ""}</code> '
                f'<span class="muted">{esc(part.ref)}</span></summary>'
                f"<pre>{_clip(part.text, limit)}</pre></details>")
    if part.kind == "tool_result":
        lines = part.text.count("\n") + 1 if part.text else 0
        cls = "tool-result error" if part.error else "tool-result"
        flag = ' <span class="error">error</span>' if part.error else ""
        return (f'<details class="{cls}"><summary>Result of <code>{esc(part.name or "?")}</code> '
                f'<span class="muted">{esc(part.ref)} &middot; {lines:,} '
                f'line{"s" * (lines != 1)}</span>{flag}</summary>'
                f"<pre>{_clip(part.text, limit)}</pre></details>")
    if part.kind == "image":
        return _image(part, inline_images)
    return (f'<details class="unknown"><summary>Block of unknown type '
            f"<code>{esc(part.name)}</code></summary><pre>{_clip(part.text, limit)}</pre>"
            "</details>")


def _turn(turn: Turn, limit: int | None = None, inline_images: bool = True) -> str:
    body = "".join(_part(p, limit, inline_images) for p in turn.parts)
    role_class = turn.role if turn.role in _ROLES else "other"
    return (f'<article class="msg {role_class}" id="m{turn.index}">'
            f'<div class="role">{esc(turn.role)} <span class="muted">#{turn.index}</span></div>'
            f"{body}</article>")


def _facts(s: dict) -> str:
    config = s.get("config") if isinstance(s.get("config"), dict) else {}
    state = s.get("state")
    rows = [("id", s.get("id")), ("state", getattr(state, "value", state)),
            ("model", s.get("model_name")), ("messages", f"{len(s.get('messages') or ()):,}"),
            ("created", clock(s.get("created_at"))), ("updated", clock(s.get("updated_at"))),
            ("usage", usage_line(s)), ("workspace", config.get("workspace")),
            ("parent", s.get("parent_id")), ("tenant", s.get("tenant_id"))]
    return '<dl class="facts">' + "".join(
        f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows if v not in (None, "")) + "</dl>"


def _runs(runs: list[dict]) -> str:
    out = ['<section id="runs"><h2>Run timeline</h2>']
    for run in runs:
        r = run.get("snapshot") if isinstance(run.get("snapshot"), dict) else {}
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


def _verification(reports: list[dict]) -> str:
    out = ['<section id="verification"><h2>Verification</h2>']
    for r in reports:
        checks = [c for c in r.get("checks") or () if isinstance(c, dict)]
        out.append(f'<details class="report" open><summary>{esc(r.get("subject"))} '
                   f'{_status(r.get("status"))} &middot; {len(checks):,} '
                   f'check{"s" * (len(checks) != 1)}</summary><table><thead><tr><th>check</th>'
                   "<th>kind</th><th>status</th><th>required</th><th>description</th></tr>"
                   "</thead><tbody>")
        for c in checks:
            risk = (f'<div class="muted">risk: {esc(c.get("residual_risk"))}</div>'
                    if c.get("residual_risk") else "")
            required = "yes" if c.get("required") else "no"
            out.append(f'<tr class="check"><td>{esc(c.get("id"))}</td><td>{esc(c.get("kind"))}'
                       f"</td><td>{_status(c.get('status'))}</td><td>{required}</td>"
                       f'<td>{esc(c.get("description"))}{risk}</td></tr>')
        out.append("</tbody></table>")
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
    return (f'<section id="{section}"><h2>{esc(title)}</h2><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></section>")


def _artifacts(artifacts: list[dict]) -> str:
    out = ['<section id="artifacts"><h2>Artifacts</h2>']
    for a in artifacts:
        out.append(f'<details class="artifact"><summary><code>{esc(a.get("artifact_uri"))}</code> '
                   f'<span class="muted">{esc(a.get("tool_name"))} &middot; '
                   f'{esc(a.get("original_bytes"))} bytes</span></summary>'
                   f'<pre>{esc(a.get("content") or "")}</pre></details>')
    out.append("</section>")
    return "".join(out)


def render_document(snap: dict) -> str:
    """The export: one HTML file of the whole snapshot (see :func:`snapshot_dict`)."""
    s = snap["session"]
    config = s.get("config") if isinstance(s.get("config"), dict) else {}
    title = config.get("name") or s.get("id") or "session"
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{esc(title)} - a3s session</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{esc(title)}</h1>{_facts(s)}</header>",
        '<section id="transcript"><h2>Transcript</h2>',
        "".join(_turn(t) for t in turns(s.get("messages") or [])),
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


def render_notebook(obj) -> str:
    """The compact view of a ``SessionData`` or ``SessionSnapshot`` for
    notebooks (their ``_repr_html_``).

    Converts only the messages it shows (the first and last few), so it stays
    quick on sessions of thousands of messages.
    """
    session = getattr(obj, "session", obj)
    extra = ""
    if session is not obj:
        counts = [(len(obj.artifacts) if obj.artifacts is not None else 0, "artifact"),
                  (len(obj.trace_events), "trace event"), (len(obj.run_records), "run"),
                  (len(obj.verification_reports), "verification report"),
                  (len(obj.subagent_tasks), "subagent task")]
        extra = " &middot; ".join(f"{n:,} {w}{'s' * (n != 1)}" for n, w in counts)
        if obj.revision is not None:
            extra += f" &middot; revision <code>{esc(obj.revision)}</code>"
    messages = session.messages
    n = len(messages)
    if n <= _HEAD + _TAIL + 1:
        windows = [(0, n)]
    else:
        windows = [(0, _HEAD), (n - _TAIL, n)]
    state = session.state
    model = f" &middot; {esc(session.model_name)}" if session.model_name else ""
    head = (f'<div><b>{esc(session.config.name or session.id)}</b> '
            f'<code>{esc(session.id)}</code> &middot; {esc(getattr(state, "value", state))}'
            f"{model} &middot; {n:,} message{'s' * (n != 1)}</div>")
    body = []
    for start, stop in windows:
        if start:
            body.append(f'<div class="muted" style="margin:.4rem 0">... {start - _HEAD:,} '
                        "messages not shown ...</div>")
        lo = max(start - 1, 0)  # the message before holds the calls of the first results
        dicts = [m.to_dict() for m in messages[lo:stop]]
        names = tool_names(dicts)
        for t in turns(dicts[start - lo:], start=start, names=names):
            body.append(_turn(t, _NOTEBOOK_CHARS, inline_images=False))
    more = f'<div class="muted">{extra}</div>' if extra else ""
    return (f'<div class="a3s-session"><style>.a3s-session .msg{{border:1px solid #8884;'
            "border-radius:6px;padding:.3rem .6rem;margin:.3rem 0}.a3s-session .text,"
            ".a3s-session pre{white-space:pre-wrap;overflow-wrap:anywhere}.a3s-session "
            ".muted{opacity:.7}.a3s-session .role{font-weight:600;font-size:.8em}"
            f".a3s-session .error{{color:#cf222e}}</style>{head}{more}{''.join(body)}</div>")
