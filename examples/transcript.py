"""Save a coding agent's conversation and export it as a page worth reading.

    python3 examples/transcript.py OUT_DIR

Writes OUT_DIR/store (the session and three more), OUT_DIR/transcript.html,
OUT_DIR/transcript.md and OUT_DIR/sessions.html (the notebook view of
``store.list_summaries()``), and prints their paths. The assistant's answers use
the markdown agents write (headings, lists, tables, fenced code, a quote,
links); one message tries a ``<script>`` and a ``javascript:`` link, which
the export shows as text. ``examples/transcript.png`` and
``examples/sessions.png`` are the pages in Chromium (``chromium --headless
--screenshot``).
"""

from __future__ import annotations

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from a3s_store import (  # noqa: E402 - after the path set-up
    FileSessionStore,
    Message,
    SessionConfig,
    SessionData,
    SessionState,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
)

PLAN = """## Plan

The failing test is `test_parse_dates`: **the parser drops the time zone**.

1. Read `dates.py` to find where offsets are handled.
2. Fix the parser and keep the old behaviour for naive dates.
3. Run the tests.

> Only `parse()` changes; its callers stay as they are."""

FIX = """Found it: `parse()` builds a naive `datetime` and then *ignores* the offset.

```python
def parse(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:  # naive input stays naive
        return value
    return value.astimezone(timezone.utc)
```

| input | before | after |
|:---|:---:|---:|
| `2026-12-03T10:00+02:00` | 10:00 (wrong) | 08:00 UTC |
| `2026-12-03T10:00` | 10:00 | 10:00 |

See the [`datetime` docs](https://docs.python.org/3/library/datetime.html) for
`astimezone`. ~~A regex~~ would not have handled `Z`."""

HOSTILE = ("Paste this? <script>alert('hi')</script> and "
           "[click me](javascript:alert(1)), both shown as text.")


def conversation() -> SessionData:
    session = SessionData(id="fix-dates", config=SessionConfig(name="Fix the date parser"),
                          state=SessionState.ACTIVE, model_name="anthropic/claude-sonnet-4")
    session.messages = [
        Message(role="user", content=[TextBlock(text="test_parse_dates fails on main. "
                                                     "Can you fix it?")]),
        Message(role="assistant", content=[TextBlock(text=PLAN)],
                reasoning_content="A time zone bug: read the parser first."),
        Message(role="assistant", content=[
            ToolUseBlock(id="call-1", name="bash",
                         input={"command": "python3 -m pytest -q tests/test_dates.py"})]),
        Message(role="user", content=[ToolResultBlock(
            tool_use_id="call-1", is_error=True,
            content="F\nAssertionError: 10:00 != 08:00\n1 failed in 0.03s")]),
        Message(role="assistant", content=[TextBlock(text=FIX)]),
        Message(role="user", content=[TextBlock(text=HOSTILE)]),
        Message(role="assistant", content=[TextBlock(
            text="Both stay text: the page runs no script and links only to "
                 "`http`, `https` and `mailto`.")]),
    ]
    return session


OTHERS = [("tenant/chat-1", "Refactor the CLI", 42, "openai/gpt-4o", SessionState.ACTIVE),
          ("tenant/chat-2", "夜间构建 nightly build", 318, "deepseek/deepseek-chat",
           SessionState.COMPLETED),
          ("tenant/chat-3", "Triage issue #81 🐛", 12, "anthropic/claude-sonnet-4",
           SessionState.ACTIVE)]


def write_listing(store: FileSessionStore, path: str) -> None:
    """A few more sessions, and the notebook view of the store's listing."""
    for session_id, name, count, model, state in OTHERS:
        session = SessionData(id=session_id, config=SessionConfig(name=name), state=state,
                              model_name=model)
        session.messages = [Message(role="user", content=[TextBlock(text=f"turn {i}")])
                            for i in range(count)]
        store.save(session)
    with open(path, "w", encoding="utf-8") as out:
        out.write("<!doctype html><meta charset='utf-8'>"
                  "<body style='margin:16px;font-family:sans-serif'>"
                  + store.list_summaries()._repr_html_())


def main(out_dir: str) -> None:
    store_dir = os.path.join(out_dir, "store")
    store = FileSessionStore(store_dir)
    store.save(conversation())
    write_listing(store, os.path.join(out_dir, "sessions.html"))
    print(os.path.join(out_dir, "sessions.html"))
    for fmt, name in (("html", "transcript.html"), ("markdown", "transcript.md")):
        path = os.path.join(out_dir, name)
        subprocess.run([sys.executable, "-m", "a3s_store", "--root", store_dir, "export",
                        "fix-dates", "--format", fmt, "-o", path], check=True,
                       cwd=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
        print(path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
