"""The markdown export: a message cannot reach past itself.

A message's markdown is parsed and written again (``_md_write``). The
promises: its HTML is text under any markdown renderer (every ``<`` outside
code is escaped), a fence it leaves open is closed where it ends, every
fence is longer than any run of its character inside, links keep their
target only for http(s) and mailto, images become links, and the structure
of the message (its blocks, code and links) is what the parser read. The
document is read back with the same parser, a CommonMark model, to check
that nothing leaked from one message into the next.
"""

from __future__ import annotations

import random

import pytest

from a3s_store import Message, SessionData, SessionSnapshot
from a3s_store._md_blocks import parse_markdown
from a3s_store._md_inline import parse_inline
from a3s_store._md_nodes import (
    Code,
    CodeBlock,
    Heading,
    Link,
    ListBlock,
    Quote,
    Table,
    link_allowed,
)
from a3s_store._md_write import inline_markdown, markdown_text
from a3s_store._render_markdown import render_markdown
from a3s_store._render_text import snapshot_dict
from hostile import seed_from_env
from test_markdown import random_markdown


def shape(blocks: tuple) -> tuple:
    """What must survive a rewrite: the blocks and their nesting, code, and
    the targets of the links that stay links."""
    out = []
    for node in blocks:
        if isinstance(node, Quote):
            out.append(("quote", shape(node.children)))
        elif isinstance(node, ListBlock):
            out.append(("list", node.ordered, node.start, node.tight,
                        tuple((i.checked, shape(i.children)) for i in node.items)))
        elif isinstance(node, CodeBlock):
            out.append(("code", node.language, node.text))
        elif isinstance(node, Table):
            out.append(("table", node.aligns, len(node.rows),
                        _inline_shape(node.header + tuple(c for r in node.rows for c in r))))
        elif isinstance(node, Heading):
            out.append(("heading", node.level, _inline_shape((node.children,))))
        else:
            out.append((type(node).__name__, _inline_shape((getattr(node, "children", ()),))))
    return tuple(out)


def _inline_shape(groups: tuple) -> tuple:
    found: list = []
    stack = [n for group in reversed(groups) for n in reversed(group)]
    while stack:
        node = stack.pop()
        if isinstance(node, Code):
            found.append(("code", node.text))
        elif isinstance(node, Link) and link_allowed(node.url):
            found.append(("link", node.url.strip()))
        if hasattr(node, "children"):
            stack.extend(reversed(node.children))
    return tuple(found)


# -- the writer --------------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<!-- hidden -->",
    "text <b>bold</b> text", "<div>\nblock\n</div>", "> <script>x</script>",
    "- <iframe src=x>", "| <script> | b |\n|---|---|\n| c | d |",
])
def test_html_in_a_message_comes_out_escaped(source):
    out = markdown_text(source)
    assert "\\<" in out
    for i, ch in enumerate(out):
        if ch == "<":
            assert out[i - 1] == "\\", (out, i)


def test_html_inside_code_stays_code():
    out = markdown_text("`<b>` and\n\n```html\n<script>x</script>\n```")
    assert "`<b>`" in out and "```html\n<script>x</script>\n```" in out


def test_an_unclosed_fence_is_closed_where_the_message_ends():
    assert markdown_text("```python\nprint(1)\n# more") == "```python\nprint(1)\n# more\n```"
    assert markdown_text("> ~~~\n> x") == "> ```\n> x\n> ```"


def test_fences_are_longer_than_any_backtick_run_inside():
    out = markdown_text("````\n```\ninner\n```\n````")
    assert out == "````\n```\ninner\n```\n````"
    code = "x = '`````'"
    assert markdown_text(f"~~~\n{code}\n~~~") == f"``````\n{code}\n``````"
    assert markdown_text("``a`b``") == "``a`b``"
    assert markdown_text("`` `x` ``") == "`` `x` ``"


def test_links_keep_their_target_only_for_http_https_mailto():
    out = markdown_text("[ok](https://a.example/x_(y)) [bad](javascript:alert(1)) "
                        "[rel](docs/x.md) <https://b.example> <me@c.example>")
    assert "[ok](https://a.example/x_\\(y\\))" in out
    assert "bad (javascript:alert\\(1\\))" not in out  # parentheses are not markup here
    assert "bad (javascript:alert(1))" in out and "rel (docs/x.md)" in out
    assert "<https://b.example>" in out and "<me@c.example>" in out
    assert "](javascript" not in out and "](docs" not in out


def test_the_angle_forms_are_written_only_where_they_read_back_as_links():
    out = markdown_text("[a(b@c.example](mailto:a\\(b@c.example) [https://x\x01y](https://x)")
    assert "](mailto:a\\(b@c.example)" in out
    assert "<" not in out.replace("\\<", "")
    assert markdown_text("<me@c.example> <https://d.example/e>") == \
        "<me@c.example> <https://d.example/e>"


def test_images_become_links_so_nothing_is_loaded():
    out = markdown_text("![chart](https://img.example/c.png) ![x](data:image/png;base64,AA)")
    assert out == "[image: chart](https://img.example/c.png) image: x (data:image/png;base64,AA)"
    assert "![" not in out


@pytest.mark.parametrize("source", [
    "1986\\. A great year", "\\# not a heading", "\\- not a list", "\\+ not a list",
    "a\n\\===", "a\n\\---", "\\> not a quote", "\\*not emphasis\\*", "\\[not\\](a link)",
    "a \\| b", "not \\`code\\`", "https\\://bare.example", "&amp;lt;", "snake_case and _x_",
    "line one\nline two", "hard\\\nbreak", "&#32; lead and trail &#32;",
])
def test_text_that_looks_like_markup_is_kept_as_text(source):
    out = markdown_text(source)
    assert shape(parse_markdown(out)) == shape(parse_markdown(source)), out
    assert parse_markdown(out) == parse_markdown(source), out


@pytest.mark.parametrize("source", [
    "*em* **strong** ***both*** ~~del~~", "**bold *and em* inside**", "*em **strong** em*",
    "foo*bar*baz", "- a\n* b", "1. a\n2) b", "- - -x", "- [ ] todo\n- [x] done",
    "3. three\n4. four", "- a\n\n- b", "> quote\n>\n> - item", "| a | b |\n|:-|-:|\n| 1 | 2 |",
    "| --- | b |\n|---|---|\n| --- | --- |", "Title\n===", "# Heading #", "***",
])
def test_common_markdown_reads_back_the_same(source):
    out = markdown_text(source)
    assert parse_markdown(out) == parse_markdown(source), out
    assert markdown_text(out) == out


def test_names_and_ids_are_escaped_plain_text():
    assert inline_markdown("a*b* [c](javascript:x) <s>\nnew | pipe `t`") == \
        "a\\*b\\* \\[c\\](javascript:x) \\<s> new \\| pipe \\`t\\`"
    assert parse_inline(inline_markdown("*x* <b>")) == parse_inline("\\*x\\* \\<b>")


def test_random_messages_keep_their_structure_and_reach_no_further():
    seed = seed_from_env()
    rng = random.Random(seed)
    for n in range(2000):
        source = random_markdown(rng)
        out = markdown_text(source)
        try:
            assert shape(parse_markdown(out)) == shape(parse_markdown(source))
            # Read as the tail of a document, nothing after the message is swallowed.
            tail = parse_markdown(out + "\n\n### next")
            assert tail[-1] == Heading(3, parse_inline("next"))
        except AssertionError as exc:
            raise AssertionError(f"seed={seed} (replay with A3S_SEED={seed}), input #{n}: "
                                 f"{source!r} -> {out!r}") from exc


# -- the document --------------------------------------------------------------------------


def session_of(*texts: str) -> dict:
    session = SessionData(id="md-export")
    session.messages += [Message.from_dict({"role": "user" if i % 2 == 0 else "assistant",
                                            "content": [{"type": "text", "text": t}]})
                         for i, t in enumerate(texts)]
    return snapshot_dict(SessionSnapshot(session=session))


def test_a_message_opening_a_fence_does_not_swallow_the_next_ones():
    doc = render_markdown(session_of("look:\n```\nunclosed <script>", "# reply\n**fine**",
                                     "````\nfour", "bye"))
    headings = [b for b in parse_markdown(doc) if isinstance(b, Heading)]
    titles = [h.children[0].text for h in headings]
    assert titles[:2] == ["md-export", "Transcript"]
    assert titles[2:7] == ["0. user", "1. assistant", "reply", "2. user", "3. assistant"]
    assert [h.level for h in headings[2:7]] == [3, 3, 4, 3, 3]  # a message's # sits below
    assert "Other data" in titles


def test_a_script_message_is_text_in_the_document():
    doc = render_markdown(session_of("<script>alert(1)</script>", "<img src=x onerror=alert(1)>"))
    assert "\\<script>alert(1)\\</script>" in doc and "\\<img src=x onerror=alert(1)>" in doc
    assert "<script>" not in doc.replace("\\<script>", "")


def test_hostile_names_and_roles_are_escaped_in_headings_and_tables():
    snap = session_of("hi")
    snap["session"]["config"] = {"name": "# x <script> | y"}
    snap["session"]["messages"][0]["role"] = "user<b>*"
    doc = render_markdown(snap)
    assert doc.startswith("# # x \\<script> \\| y\n")
    assert "### 0. user\\<b>\\*" in doc
