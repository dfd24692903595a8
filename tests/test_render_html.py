"""The HTML export and the notebook view: structure, and hostile content escaped.

Documents are parsed with ``html.parser``. Hostile strings are planted in
every place session content reaches (text, reasoning, tool names, inputs
and outputs, ids, names, run events, verification checks, artifacts,
traces, subagent tasks, image types); the parsed document must hold them
as text only: no script element, no event-handler attribute, no element or
attribute that the content asked for.
"""

from __future__ import annotations

import base64
import os
import pathlib
import subprocess
import sys

import pytest

import factories
from a3s_store import (
    ArtifactStore,
    FileSessionStore,
    Message,
    RunRecord,
    SessionData,
    SessionSnapshot,
    SubagentTaskSnapshot,
    ToolArtifact,
    TraceEvent,
    VerificationReport,
)
from a3s_store._html_style import CSS, TABLE_CSS
from a3s_store._render_html import render_document
from a3s_store._render_text import snapshot_dict
from htmlcheck import Doc, assert_inert

REPO = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
ATTR = "' onmouseover='alert(3)"
HOSTILE = f"{SCRIPT}{IMG}{ATTR}"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n fake").decode()
def hostile_snapshot(messages: int = 0) -> SessionSnapshot:
    sid = f"id-{SCRIPT}"
    session = SessionData.from_dict({**factories.session_dict(sid, name=f"name {HOSTILE}"),
                                     "model_name": f"model {IMG}"})
    tool = f"tool{IMG}"
    session.messages += [
        Message.from_dict({"role": "user",
                           "content": [{"type": "text", "text": f"text {HOSTILE}"}]}),
        Message.from_dict({"role": "assistant", "reasoning_content": f"reasoning {HOSTILE}",
                           "content": [{"type": "tool_use", "id": f"call{HOSTILE}", "name": tool,
                                        "input": {"cmd": f"input {HOSTILE}"}}]}),
        Message.from_dict({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": f"call{HOSTILE}", "is_error": True,
             "content": f"<html><body onload=alert(4)>output {HOSTILE}</body></html>"}]}),
        Message.from_dict({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call-2", "is_error": None, "content": [
                {"type": "text", "text": f"listed {HOSTILE}"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                             "data": PNG}},
                {"type": "image", "source": {"type": "base64",
                                             "media_type": 'image/svg+xml" onload="alert(5)',
                                             "data": PNG}}]}]}),
        Message.from_dict({"role": f"role{IMG}", "content": [{"type": "text", "text": "x"}]}),
    ]
    session.messages += [Message.from_dict(factories.message("user", f"filler {i}"))
                         for i in range(messages)]
    artifacts = ArtifactStore()
    artifacts.put(ToolArtifact.from_dict({
        "artifact_id": "a", "artifact_uri": f"a3s://{IMG}", "tool_name": tool,
        "content": f"artifact {HOSTILE}", "original_bytes": 5, "shown_bytes": 5}))
    run = RunRecord.from_dict({
        "snapshot": {"id": f"run{IMG}", "session_id": sid, "status": "failed",
                     "prompt": f"prompt {HOSTILE}", "created_at_ms": 1700000000000,
                     "updated_at_ms": 1700000002000, "error": f"error {HOSTILE}",
                     "result_text": f"result {HOSTILE}", "event_count": 6},
        "events": [
            {"sequence": 0, "timestamp_ms": 1700000000000,
             "event": {"type": "agent_start", "prompt": f"prompt {HOSTILE}"}},
            {"sequence": 1, "timestamp_ms": 1700000000100,
             "event": {"type": "text_delta", "text": "<scr"}},
            {"sequence": 2, "timestamp_ms": 1700000000200,
             "event": {"type": "text_delta", "text": "ipt>alert(6)</script>"}},
            {"sequence": 3, "timestamp_ms": 1700000000300,
             "event": {"type": "tool_start", "id": "t", "name": tool}},
            {"sequence": 4, "timestamp_ms": 1700000001000,
             "event": {"type": "tool_end", "id": "t", "name": tool, "output": f"out {HOSTILE}",
                       "exit_code": 1}},
            {"sequence": 5, "timestamp_ms": 1700000002000,
             "event": {"type": f"future_event{IMG}", "payload": HOSTILE}},
        ]})
    report = VerificationReport.from_dict({
        "schema": "a3s.verification_report.v1", "subject": f"subject {HOSTILE}",
        "status": "failed", "residual_risks": [f"risk {HOSTILE}"],
        "checks": [
            {"id": f"c{IMG}", "kind": "command", "description": f"check {HOSTILE}",
             "status": "failed", "required": True, "residual_risk": f"rr {HOSTILE}"},
            {"id": "c2", "kind": "review", "description": "fine", "status": "passed",
             "required": False}]})
    trace = TraceEvent.from_dict({**factories.trace_event().to_dict(), "name": tool})
    task = SubagentTaskSnapshot.from_dict({**factories.subagent_task(sid).to_dict(),
                                           "description": f"task {HOSTILE}",
                                           "output": f"task out {HOSTILE}"})
    return SessionSnapshot(session=session, artifacts=artifacts, trace_events=[trace],
                           run_records=[run], verification_reports=[report],
                           subagent_tasks=[task])


@pytest.fixture(scope="module")
def exported() -> tuple[str, Doc]:
    text = render_document(snapshot_dict(hostile_snapshot()))
    return text, Doc(text)


# -- hostile content -------------------------------------------------------------------


def test_no_hostile_markup_survives_in_the_raw_text(exported):
    text, _ = exported
    lowered = text.lower()
    assert "<script" not in lowered
    assert "<img src=x" not in lowered and "<body onload" not in lowered
    assert "<html><body" not in lowered and "<scr" not in lowered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x" in text


def test_the_parsed_export_is_inert_and_well_formed(exported):
    _, doc = exported
    assert doc.errors == []
    assert_inert(doc)


def test_hostile_content_is_shown_as_text_everywhere(exported):
    _, doc = exported
    text = doc.all_text
    for label in ("text", "reasoning", "input", "output", "listed", "artifact", "prompt", "error",
                  "result", "out", "subject", "check", "risk", "rr", "task", "task out",
                  "name"):
        expected = f"{label} {HOSTILE}"
        if label == "input":
            expected = f'"cmd": "input {HOSTILE}"'.replace('"><', '\\"><')
        assert expected in text, label
    assert f"id-{SCRIPT}" in text and f"model {IMG}" in text and f"tool{IMG}" in text
    assert "<script>alert(6)</script>" in text  # two deltas joined, still text
    assert f"future_event{IMG}" in text


def test_the_export_allows_no_script_and_loads_nothing(exported):
    _, doc = exported
    csp = [a for a, _ in doc.find("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]
    assert "script-src" not in csp[0]["content"]
    for _, attrs, _ in doc.elements:
        for value in attrs.values():
            assert "http://" not in (value or "") and "https://" not in (value or "")


def test_only_raster_images_are_inlined(exported):
    _, doc = exported
    images = doc.find("img")
    assert len(images) == 1
    assert images[0][0]["src"] == f"data:image/png;base64,{PNG}"
    assert 'image/svg+xml" onload="alert(5)' in doc.all_text  # described as text


# -- markdown -------------------------------------------------------------------------------

MARKDOWN_ANSWER = """I found it. `retry()` sleeps with **wall-clock** time.

## What changes

1. Inject a clock
   - tests pass a `FakeClock`

```python
clock.sleep(2 ** n)  # <script>
```

| Test | Before | After |
|:-----|-------:|------:|
| `backoff` | 3.1 s | 0.01 s |

> keyword-only

See [the spec](https://spec.commonmark.org/), not [this](javascript:alert(7)).
<script>alert(8)</script>
"""


def markdown_snapshot() -> SessionSnapshot:
    session = SessionData(id="md")
    session.messages += [
        Message.from_dict({"role": "user", "content": [
            {"type": "text", "text": "Why is `test_retry` **flaky**?\nPlease look."}]}),
        Message.from_dict({"role": "assistant", "reasoning_content": "Timing, *probably*.",
                           "content": [{"type": "text", "text": MARKDOWN_ANSWER}]})]
    return SessionSnapshot(session=session)


@pytest.fixture(scope="module")
def markdown_doc() -> Doc:
    return Doc(render_document(snapshot_dict(markdown_snapshot())))


def test_message_markdown_renders_in_the_export(markdown_doc):
    doc = markdown_doc
    assert doc.errors == []
    assert_inert(doc)
    answer = doc.find("article", "assistant")[0][1]
    assert "## What changes" not in answer and "**wall-clock**" not in answer
    assert [t for _, t in doc.find("h4")] == ["What changes"]  # a message's ## sits below
    assert [t for _, t in doc.find("div", "md-lang")] == ["python"]
    assert doc.find("pre")[0][1] == "clock.sleep(2 ** n)  # <script>"
    assert [t for _, t in doc.find("th")][:3] == ["Test", "Before", "After"]
    assert doc.find("blockquote")[0][1] == "keyword-only"
    assert [t for _, t in doc.find("strong")] == ["flaky", "wall-clock"]
    assert "Timing, probably." in doc.find("details", "reasoning")[0][1]


def test_only_http_links_are_links_and_message_html_is_text(markdown_doc):
    doc = markdown_doc
    assert [(a["href"], t) for a, t in doc.find("a") if not a["href"].startswith("#")] == [
        ("https://spec.commonmark.org/", "the spec")]
    assert "this (javascript:alert(7))" in doc.all_text
    assert "<script>alert(8)</script>" in doc.all_text
    assert not doc.find("script") and not doc.find("img")


def test_the_user_speaks_in_a_bubble_and_keeps_line_breaks(markdown_doc):
    doc = markdown_doc
    user = doc.find("article", "user")[0]
    assert "Why is test_retry flaky?Please look." in user[1]  # <br> between the lines
    assert [t for _, t in doc.find("code")][0] == "test_retry"
    assert doc.find("div", "body")


# -- structure --------------------------------------------------------------------------------


def test_the_transcript_has_one_article_per_message(exported):
    _, doc = exported
    articles = doc.find("article", "msg")
    assert len(articles) == 2 + 5
    roles = [a["class"].split()[1] for a, _ in articles]
    assert roles[:4] == ["user", "assistant", "user", "assistant"]
    assert roles[4:7] == ["tool", "tool", "other"]  # a class only for the known roles


def test_tool_calls_and_results_are_collapsible(exported):
    _, doc = exported
    calls = doc.find("details", "tool-call")
    results = doc.find("details", "tool-result")
    assert len(calls) == 1
    assert '"cmd": "input ' + HOSTILE.replace('"', '\\"') in calls[0][1]
    assert len(results) == 2
    assert "error" in results[0][0]["class"] and f"output {HOSTILE}" in results[0][1]
    assert doc.find("details", "reasoning")
    assert len(doc.find("summary")) >= 3


def test_the_run_timeline_lists_each_event_with_deltas_merged(exported):
    _, doc = exported
    assert [a.get("id") for a, _ in doc.find("section")] == [
        "transcript", "runs", "verification", "artifacts", "traces", "subagents"]
    events = doc.find("li", "event")
    assert len(events) == 5  # 6 events, two text deltas merged
    assert events[0][1].startswith("+0.000s agent_start")
    assert "text_delta 2 deltas" in events[1][1]
    assert events[3][1].startswith("+1.000s tool_end")
    assert len(doc.find("details", "run")) == 1


def test_every_table_scrolls_inside_its_own_box_on_a_narrow_screen(exported):
    text, _ = exported
    tables = text.count("<table")
    assert tables >= 3
    assert text.count('<div class="scroll"><table') + text.count(
        '<div class="md-table"><table') == tables


def test_the_verification_checks_are_a_table(exported):
    _, doc = exported
    rows = doc.find("tr", "check")
    assert len(rows) == 2
    assert f"c{IMG}" in rows[0][1] and "failed" in rows[0][1] and "yes" in rows[0][1]
    assert "passed" in rows[1][1] and "no" in rows[1][1]


def test_the_cli_export_of_a_hostile_session_is_escaped(tmp_path):
    store = FileSessionStore(tmp_path / "s")
    snap = hostile_snapshot()
    store.save_snapshot(snap)
    env = {**os.environ, "PYTHONPATH": str(REPO), "A3S_STORE_ROOT": str(tmp_path / "s")}
    proc = subprocess.run([sys.executable, "-m", "a3s_store", "export", snap.session.id,
                           "--format", "html"], capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    doc = Doc(proc.stdout.decode())
    assert doc.errors == []
    assert_inert(doc)
    assert f"text {HOSTILE}" in doc.all_text


# -- notebook ------------------------------------------------------------------------------------


def test_session_repr_is_short_for_thousands_of_messages():
    snap = hostile_snapshot(messages=1200)
    text = repr(snap.session)
    assert text == (f"SessionData(id={snap.session.id!r}, 1,207 messages, "
                    f"model={snap.session.model_name!r}, state=Active)")
    snap.revision = "3-ab"
    assert repr(snap) == (f"SessionSnapshot(id={snap.session.id!r}, 1,207 messages, "
                          "1 artifact, 1 trace event, 1 run, 1 verification report, "
                          "1 subagent task, revision='3-ab')")
    assert repr(SessionSnapshot(session=SessionData(id="s"))) == \
        "SessionSnapshot(id='s', 0 messages)"


@pytest.mark.parametrize("what", ["session", "snapshot"])
def test_notebook_view_is_escaped_and_compact(what):
    snap = hostile_snapshot(messages=2000)
    obj = snap.session if what == "session" else snap
    text = obj._repr_html_()
    doc = Doc(text)
    assert doc.errors == []
    assert_inert(doc)
    articles = doc.find("article", "msg")
    assert len(articles) == 15
    assert "1,992 messages not shown" in doc.all_text
    assert f"text {HOSTILE}" in doc.all_text and "filler 1999" in doc.all_text
    assert len(text) < 20000
    if what == "snapshot":
        assert "1 verification report" in doc.all_text


def test_notebook_view_of_a_short_session_shows_every_message():
    snap = hostile_snapshot()
    doc = Doc(snap.session._repr_html_())
    assert len(doc.find("article", "msg")) == 7
    assert "not shown" not in doc.all_text
    # The result's tool name comes from the call in the message before it.
    assert f"Result of tool{IMG}" in doc.find("details", "tool-result")[0][1]


def test_notebook_view_shows_raster_images_and_never_svg():
    snap = hostile_snapshot()
    doc = Doc(snap.session._repr_html_())
    assert doc.errors == []
    assert_inert(doc)
    assert [a["src"] for a, _ in doc.find("img")] == [f"data:image/png;base64,{PNG}"]
    assert 'image/svg+xml" onload="alert(5)' in doc.all_text  # described as text


def test_notebook_view_describes_an_image_too_large_to_keep_in_a_notebook():
    session = SessionData(id="big")
    big = base64.b64encode(b"\x89PNG" + b"\0" * 2_000_000).decode()
    session.messages.append(Message.from_dict({"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": big}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]}))
    doc = Doc(session._repr_html_())
    assert [a["src"] for a, _ in doc.find("img")] == [f"data:image/png;base64,{PNG}"]
    assert "image (image/png, about 2,000,004 bytes)" in doc.all_text
    export = Doc(render_document(snapshot_dict(SessionSnapshot(session=session))))
    assert len(export.find("img")) == 2  # the export keeps every image


def test_notebook_view_renders_markdown_and_touches_nothing_outside_itself():
    text = markdown_snapshot()._repr_html_()
    doc = Doc(text)
    assert doc.errors == []
    assert doc.find("div", "md-code") and doc.find("table")
    outer = doc.elements[0]
    assert outer[0] == "div" and "a3s" in outer[1]["class"].split()
    # Every rule of the sheet is scoped to the view (no bare body, table, pre...).
    for sheet in (CSS, TABLE_CSS):
        for rule in sheet.replace("\n", "").split("}"):
            selectors = rule.split("{")[-2] if rule.count("{") > 1 else rule.split("{")[0]
            for selector in filter(None, (x.strip() for x in selectors.split(","))):
                assert selector.startswith(".a3s"), selector


def test_notebook_view_cuts_long_texts():
    session = SessionData(id="long")
    session.messages.append(Message.from_dict(factories.message("user", "y" * 50000)))
    text = session._repr_html_()
    assert "y" * 2000 in text and "y" * 2001 not in text
    assert "48,000 more characters" in text


def test_values_placed_in_attributes_are_escaped_too():
    # Records only hold known statuses; the renderer still escapes what it is given.
    data = snapshot_dict(hostile_snapshot())
    data["run_records"][0]["snapshot"]["status"] = f"failed{IMG}{ATTR}"
    data["verification_reports"][0]["status"] = f"failed{IMG}{ATTR}"
    data["verification_reports"][0]["checks"][0]["status"] = f"failed{IMG}{ATTR}"
    doc = Doc(render_document(data))
    assert doc.errors == []
    assert_inert(doc)
    assert doc.all_text.count(f"failed{IMG}{ATTR}") == 3
    assert [a["class"] for a, t in doc.find("span") if t == f"failed{IMG}{ATTR}"] == \
        ["other"] * 3  # only known statuses become a class
