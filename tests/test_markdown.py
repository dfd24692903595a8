"""The markdown renderer of the HTML export: what renders, what is refused.

Each construct agent transcripts use is checked on the HTML it becomes;
then hostile input: raw HTML, script and event handlers, links to
``javascript:`` and friends, images (never loaded), unclosed fences,
nesting far past the limits, and long pathological texts, which must take
linear time (counted in executed steps, never timed). A seeded fuzz run ends the file: every output parses as
well-formed HTML of the allowed elements and attributes only.
"""

from __future__ import annotations

import random
import sys

import pytest

from a3s_store._md_blocks import MAX_NESTING, parse_markdown
from a3s_store._md_html import markdown_html
from a3s_store._md_inline import MAX_DEPTH, parse_inline
from a3s_store._md_nodes import (
    CodeBlock,
    Emph,
    Link,
    ListBlock,
    Paragraph,
    Quote,
    Strong,
    Text,
    link_allowed,
)
from hostile import seed_from_env
from htmlcheck import Doc, assert_inert

ALLOWED_TAGS = {"p", "h3", "h4", "h5", "h6", "em", "strong", "del", "code", "pre", "div", "a",
                "br", "ul", "ol", "li", "blockquote", "table", "thead", "tbody", "tr", "th",
                "td", "hr", "span"}
ALLOWED_CLASSES = {"md-code", "md-lang", "md-table", "md-refused", "md-task"}
ALLOWED_STYLES = {"text-align:left", "text-align:center", "text-align:right"}


def html_of(text: str) -> Doc:
    doc = Doc(markdown_html(text))
    assert doc.errors == [], (text, doc.errors)
    return doc


def assert_only_allowed_markup(doc: Doc) -> None:
    """Only the renderer's own elements and attribute values."""
    assert_inert(doc)
    for tag, attrs, _ in doc.elements:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            if name == "href":
                assert link_allowed(value), value
            elif name == "class":
                assert value in ALLOWED_CLASSES, value
            elif name == "style":
                assert value in ALLOWED_STYLES, value
            elif name == "start":
                assert value.isdigit(), value
            else:
                assert (name, value) in {("rel", "noopener noreferrer nofollow"),
                                         ("target", "_blank")}, (name, value)


# -- what renders ----------------------------------------------------------------------


def test_headings_start_below_the_page_headings():
    doc = html_of("# One\n## Two\n### Three\n###### Six\n####### seven")
    assert [t for t, _, _ in doc.elements] == ["h3", "h4", "h5", "h6", "p"]
    assert doc.find("h3")[0][1] == "One" and doc.find("p")[0][1] == "####### seven"


def test_emphasis_strong_strike_and_inline_code():
    doc = html_of("*em* **strong** ***both*** ~~gone~~ `a < b` snake_case_name")
    assert doc.find("em")[0][1] == "em" and doc.find("strong")[0][1] == "strong"
    assert doc.find("del")[0][1] == "gone" and doc.find("code")[0][1] == "a < b"
    assert [t for t, _, _ in doc.elements].count("em") == 2  # ***both*** nests
    assert "snake_case_name" in doc.all_text  # intraword underscores stay text


def test_fenced_code_shows_its_language_and_keeps_its_text():
    doc = html_of("```python title=x.py\nif a < b:\n    print('*not em*')\n```\n\n~~~\nplain\n~~~")
    langs = [text for _, text in doc.find("div", "md-lang")]
    assert langs == ["python", "text"]
    codes = [text for _, text in doc.find("pre")]
    assert codes == ["if a < b:\n    print('*not em*')", "plain"]
    assert not doc.find("em")


def test_a_fence_closes_only_on_its_own_character_and_length():
    blocks = parse_markdown("````\n```\n~~~~\n````\nafter")
    assert blocks == (CodeBlock("", "```\n~~~~"), Paragraph((Text("after"),)))


def test_nested_lists_ordered_lists_and_task_items():
    doc = html_of("1. one\n2. two\n   - a\n     - deep\n   - b\n3. three\n\ntext\n\n"
                  "7. seven\n\n- [ ] todo\n- [x] done")
    assert [t for t, _, _ in doc.elements if t in ("ol", "ul")] == ["ol", "ul", "ul", "ol", "ul"]
    assert doc.find("ol")[1][0] == {"start": "7"}
    items = [text for _, text in doc.find("li")]
    assert items[0] == "one" and items[2].startswith("a") and items[3] == "deep"
    assert "\u2610 todo" in doc.all_text and "\u2611 done" in doc.all_text
    assert [t for _, t in doc.find("p")] == ["text"]  # tight lists show no paragraphs


def test_a_loose_list_has_paragraphs():
    doc = html_of("- a\n\n- b")
    assert [text for _, text in doc.find("p")] == ["a", "b"]


def test_tables_with_alignment_and_escaped_pipes():
    doc = html_of("| name | n | note |\n|:-----|--:|:-:|\n| `a\\|b` | 2 | **x** |\n| short |")
    assert [t for _, t in doc.find("th")] == ["name", "n", "note"]
    cells = [(a.get("style"), t) for a, t in doc.find("td")]
    assert cells[:3] == [("text-align:left", "a|b"), ("text-align:right", "2"),
                         ("text-align:center", "x")]
    assert cells[3:] == [("text-align:left", "short"), ("text-align:right", ""),
                         ("text-align:center", "")]  # a short row is padded
    assert doc.find("div", "md-table")


def test_block_quotes_nest_and_hold_blocks():
    doc = html_of("> quoted\nlazy line\n>\n> > inner\n> - item")
    assert len(doc.find("blockquote")) == 2
    assert doc.find("blockquote")[0][1].startswith("quotedlazy line")
    assert doc.find("li")[0][1] == "item"


def test_links_autolinks_and_bare_urls():
    doc = html_of("[the spec](https://spec.commonmark.org/0.31/ \"title\"), <https://a.example/x>, "
                  "<me@example.org>, see https://example.com/a_b_(c). Done.")
    links = [(a["href"], t) for a, t in doc.find("a")]
    assert links == [("https://spec.commonmark.org/0.31/", "the spec"),
                     ("https://a.example/x", "https://a.example/x"),
                     ("mailto:me@example.org", "me@example.org"),
                     ("https://example.com/a_b_(c)", "https://example.com/a_b_(c)")]
    assert all(a["rel"] == "noopener noreferrer nofollow" for a, _ in doc.find("a"))
    assert doc.all_text.endswith(". Done.")


def test_line_breaks_are_kept_as_in_a_chat():
    doc = html_of("first\nsecond  \nthird\\\nfourth")
    assert len(doc.find("br")) == 3 and len(doc.find("p")) == 1


def test_entities_and_backslash_escapes_become_text():
    doc = html_of("\\*not em\\* &amp; &copy; &#x41; &bogus; \\<b>")
    assert doc.all_text == "*not em* & \u00a9 A &bogus; <b>"
    assert not doc.find("em") and not doc.find("b")


def test_only_a_non_empty_item_may_interrupt_a_paragraph():
    assert [type(b).__name__ for b in parse_markdown("a\n1.\nb")] == ["Paragraph"]
    assert [type(b).__name__ for b in parse_markdown("a\n2. b")] == ["Paragraph"]
    assert [type(b).__name__ for b in parse_markdown("a\n1. b")] == ["Paragraph", "ListBlock"]
    assert [type(b).__name__ for b in parse_markdown("a\n- b")] == ["Paragraph", "ListBlock"]


def test_setext_headings_and_rules():
    doc = html_of("Title\n=====\n\nSub\n---\n\n***\n\ntext")
    assert [t for t, _, _ in doc.elements] == ["h3", "h4", "hr", "p"]


# -- what is refused -----------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<div onclick=\"alert(1)\">x</div>",
    "<!-- comment --><![CDATA[x]]><?php x ?>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<style>body{display:none}</style>",
    "<iframe src=https://evil.example></iframe>",
    "`<script>` and ```\n<script>\n```",
    "| <script> | b |\n|---|---|\n| <img src=x> | c |",
    "> <script>alert(1)</script>\n- <svg onload=alert(1)>",
])
def test_raw_html_is_shown_as_text(source):
    doc = html_of(source)
    assert_only_allowed_markup(doc)
    rendered = markdown_html(source)
    assert "<script" not in rendered and "<img" not in rendered and "<svg" not in rendered
    assert "&lt;" in rendered


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "vbscript:x", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
    "relative/path.html", "#anchor", "//evil.example/x", "", "javascript&#58;alert(1)",
    "&#106;avascript:alert(1)",
])
def test_links_to_anything_but_http_https_mailto_are_text(url):
    for source in (f"[click]({url})", f"[click](<{url}>)", f"<{url}>"):
        doc = html_of(source)
        assert_only_allowed_markup(doc)
        assert not doc.find("a"), source
        assert "click" in doc.all_text or source.startswith("<")


@pytest.mark.parametrize("source", [
    "![x](https://tracker.example/pixel.png)", "![x](data:image/png;base64,AAAA)",
    "![x](javascript:alert(1))", "[![badge](https://img.example/b.svg)](https://example.com)",
])
def test_images_are_never_loaded(source):
    doc = html_of(source)
    assert_only_allowed_markup(doc)
    assert not doc.find("img")
    assert "image: " in doc.all_text
    for attrs, _ in doc.find("a"):
        assert attrs["href"].startswith("https://")


def test_a_link_inside_a_link_is_text():
    # As in CommonMark, the inner link wins and the outer brackets are text.
    blocks = parse_inline("[a [b](https://b.example) https://c.example](https://a.example)")
    links = [n for n in blocks if isinstance(n, Link)]
    assert [link.url for link in links] == ["https://b.example", "https://c.example",
                                           "https://a.example"]
    assert all(not isinstance(c, Link) for link in links for c in link.children)
    nested = parse_inline("[see https://x.example](https://y.example)")
    assert nested == (Link("https://y.example", (Text("see https://x.example"),)),)


def test_an_unclosed_fence_runs_to_the_end_of_its_message_only():
    assert parse_markdown("```js\nlet x;\n# not a heading") == (
        CodeBlock("js", "let x;\n# not a heading"),)
    # In a container it ends with the container.
    blocks = parse_markdown("> ```\n> code\n\nafter")
    assert blocks == (Quote((CodeBlock("", "code"),)), Paragraph((Text("after"),)))
    item = parse_markdown("- ```\n  code\nnext")
    assert isinstance(item[0], ListBlock) and item[1] == Paragraph((Text("next"),))


def test_nesting_past_the_limits_is_text():
    deep_quote = parse_markdown(">" * 10_000 + " x")
    depth, node = 0, deep_quote[0]
    while isinstance(node, Quote):
        depth, node = depth + 1, node.children[0]
    assert depth == MAX_NESTING and isinstance(node, Paragraph)
    deep_list = parse_markdown("- " * 10_000 + "x")
    depth, node = 0, deep_list[0]
    while isinstance(node, ListBlock):
        depth, node = depth + 1, node.items[0].children[0]
    assert depth == MAX_NESTING
    deep_em = parse_inline("*a " * 5000 + "b" + " c*" * 5000)
    depth, nodes = 0, deep_em
    while any(isinstance(n, (Emph, Strong)) for n in nodes):
        nodes = next(n for n in nodes if isinstance(n, (Emph, Strong))).children
        depth += 1
    assert depth == MAX_DEPTH
    for source in (">" * 10_000, "- " * 10_000 + "x", "*" * 20_000 + "a" + "*" * 20_000,
                   "[" * 10_000 + "](" * 10_000):
        assert_only_allowed_markup(html_of(source))


PATHOLOGICAL = {
    "emphasis openers": lambda n: "*a" * n,
    "underscore openers": lambda n: "_a" * n,
    "nested emphasis": lambda n: "*a " * n + "b" + " c*" * n,
    "strike openers": lambda n: "~~a" * n,
    "open brackets": lambda n: "[" * n + "[a](b)" * n,
    "link tails": lambda n: "](" * n,
    "open angle": lambda n: "<a:" * n,
    "backtick runs": lambda n: "".join("`" * (i % 40 + 1) + "x" for i in range(n)),
    "quote lines": lambda n: "\n".join("> " * (i % 20) + "x" for i in range(n)),
    "list lines": lambda n: "\n".join("  " * (i % 30) + "- x" for i in range(n)),
    "lazy lines": lambda n: "- a\n" + "b\n" * n,
    "fences": lambda n: "```\n" * n,
    "table rows": lambda n: "|a|b|\n|-|-|\n" + "|x|y|\n" * n,
    "bare urls": lambda n: ("https://a.example/" + ")" * 40 + " ") * (n // 20 + 1),
    "mixed": lambda n: "**_~~`[<>](*" * (n // 4),
}


def _steps(work, source: str) -> int:
    """The Python lines and calls ``work(source)`` executes: a count of the
    work that does not depend on the machine's load, as a timer would."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        count += 1
        return tracer

    sys.settrace(tracer)
    try:
        work(source)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_input_takes_linear_time(name):
    make = PATHOLOGICAL[name]
    small, large = _steps(markdown_html, make(500)), _steps(markdown_html, make(2000))
    # Four times the input: linear work takes about 4x the steps, quadratic 16x.
    assert large < 6 * small, (name, small, large)


def test_the_step_count_sees_quadratic_work():
    """The measure can fail: a quadratic loop over the input is caught."""
    def quadratic(text: str) -> int:
        return sum(1 for i in range(len(text)) for _ in range(i // 50))

    assert _steps(quadratic, "x" * 2000) > 6 * _steps(quadratic, "x" * 500)


# -- fuzz --------------------------------------------------------------------------------

FRAGMENTS = ["*", "**", "_", "__", "`", "``", "```", "~~", "~~~", "> ", "- ", "* ", "1. ", "2) ",
             "|", "| a | b |\n|---|:-:|\n", "---", "===", "<script>", "</div>", "<!--", "[a](",
             ")", "(", "](https://x.example)", "](javascript:x)", "![i](", "\\", "&amp;", "&lt;",
             "#", "## ", "\n", "\n\n", " ", "  ", "\t", "word", "snake_case", "日本", "🎉",
             "https://ex.example/a_b", "<https://a.example>", "<x@y.example>", "[ ] ", "[x] ",
             "    ", "\"", "'", "&#32;", ":", "<img src=x onerror=alert(1)>", "\r\n"]


def random_markdown(rng: random.Random, pieces: int = 30) -> str:
    return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(1, pieces)))


def test_random_markdown_renders_to_well_formed_allowed_markup_only():
    seed = seed_from_env()
    rng = random.Random(seed)
    for n in range(3000):
        source = random_markdown(rng)
        doc = Doc(markdown_html(source))
        try:
            assert doc.errors == []
            assert_only_allowed_markup(doc)
        except AssertionError as exc:
            raise AssertionError(f"seed={seed} (replay with A3S_SEED={seed}), input #{n}: "
                                 f"{source!r}: {exc}") from exc
