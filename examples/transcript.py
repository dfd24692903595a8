"""Save a coding agent's conversation and export it as a page worth reading.

    python3 examples/transcript.py OUT_DIR

Writes OUT_DIR/store (the session), OUT_DIR/transcript.html and
OUT_DIR/transcript.md, and prints their paths. The assistant's answers use
the markdown agents write (headings, lists, tables, fenced code, a quote,
links); one message tries a ``<script>`` and a ``javascript:`` link, which
the export shows as text. ``examples/transcript.png`` is the HTML page in
Chromium (``chromium --headless --screenshot``).
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


def main(out_dir: str) -> None:
    store_dir = os.path.join(out_dir, "store")
    FileSessionStore(store_dir).save(conversation())
    for fmt, name in (("html", "transcript.html"), ("markdown", "transcript.md")):
        path = os.path.join(out_dir, name)
        subprocess.run([sys.executable, "-m", "a3s_store", "--root", store_dir, "export",
                        "fix-dates", "--format", fmt, "-o", path], check=True,
                       cwd=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
        print(path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
