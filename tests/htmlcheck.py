"""Checks of rendered HTML, shared by the renderer tests (not a test module).

:class:`Doc` parses a document with ``html.parser`` into its elements and
notes every tag that does not nest; :func:`assert_inert` fails on anything
that could run or load: a script, an event handler, an ``img`` that is not
a raster ``data:`` URI, a link that is not an anchor or an http(s) or
mailto target.
"""

from __future__ import annotations

import html.parser

__all__ = ["Doc", "assert_inert", "LINK_SCHEMES"]

LINK_SCHEMES = ("http://", "https://", "mailto:")
RASTER_SRC = ("data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,",
              "data:image/webp;base64,")
VOID = {"meta", "img", "br", "hr", "input", "link"}


class Doc(html.parser.HTMLParser):
    """Elements (tag, attrs, text inside) and a check that tags nest properly."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict, list]] = []
        self.stack: list[tuple[str, list]] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {[t for t, _ in self.stack]}")

    def handle_starttag(self, tag, attrs):
        chunks: list[str] = []
        self.elements.append((tag, dict(attrs), chunks))
        if tag not in VOID:
            self.stack.append((tag, chunks))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1][0] if self.stack else None}")
            return
        self.stack.pop()

    def handle_comment(self, data):
        self.errors.append(f"comment: {data!r}")  # markup that only content could have made

    def handle_decl(self, decl):
        if decl != "DOCTYPE html" or self.elements:  # only the page's own, first
            self.errors.append(f"declaration: {decl!r}")

    def handle_pi(self, data):
        self.errors.append(f"processing instruction: {data!r}")

    def handle_data(self, data):
        self.text.append(data)
        for _, chunks in self.stack:
            chunks.append(data)

    def find(self, tag: str, cls: str | None = None) -> list[tuple[dict, str]]:
        return [(attrs, "".join(chunks)) for t, attrs, chunks in self.elements
                if t == tag and (cls is None or cls in (attrs.get("class") or "").split())]

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def assert_inert(doc: Doc) -> None:
    """Nothing in the document can run or load: the content asked for none of it."""
    tags = {t for t, _, _ in doc.elements}
    assert "script" not in tags and "iframe" not in tags and "object" not in tags
    for tag, attrs, _ in doc.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert name != "onerror" and "alert" not in (value or ""), (tag, name, value)
        if tag == "img":
            assert attrs["src"].startswith(RASTER_SRC), attrs
        assert tag != "link", attrs
        if "href" in attrs:
            assert tag == "a" and attrs["href"].startswith(("#", *LINK_SCHEMES)), (tag, attrs)
        assert "src" not in attrs or tag == "img", (tag, attrs)
