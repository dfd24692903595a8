"""Inline markdown (emphasis, code spans, links, breaks) into nodes.

It follows CommonMark's algorithm in outline: one left-to-right scan that
emits text, atoms (code spans, autolinks) and delimiter runs; links are
closed at their ``]``; emphasis is then paired (:mod:`._md_emphasis`).
Every step moves forward or pops a stack, and every lookahead is bounded
(:data:`MAX_LOOKAHEAD`, at most 32 parentheses in a link destination), so
the time is linear in the text and no regular expression here can
backtrack over more than one token.

What is not supported, and stays text: raw HTML (``<b>`` is shown as
``<b>``), reference links (``[a][1]``), ``www.`` autolinks, single-tilde
strikethrough.

>>> parse_inline("**bold** and `code` at <https://a.example>")  # doctest: +NORMALIZE_WHITESPACE
(Strong(children=(Text(text='bold'),)), Text(text=' and '), Code(text='code'),
 Text(text=' at '), Link(url='https://a.example', children=(Text(text='https://a.example'),)))
>>> parse_inline("<script>")
(Text(text='<script>'),)
"""

from __future__ import annotations

import bisect
import html
import re
import string
from typing import Any

from ._md_emphasis import MAX_DEPTH, Delim, build_nodes, delimiter_run, pair_emphasis
from ._md_nodes import Break, Code, Emph, Inline, Link, SoftBreak, Strike, Strong, Text

__all__ = ["parse_inline", "MAX_DEPTH", "MAX_LOOKAHEAD", "ENTITY", "AUTOLINK",
           "EMAIL_AUTOLINK"]

#: The longest link destination, autolink or bare URL looked for.
MAX_LOOKAHEAD = 2048

_STOP = re.compile(r"[\\`<\[\]!*_~\n&]|(?<![A-Za-z0-9])https?://")
ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>\x00-\x1f]{0,%d})>"
                      % MAX_LOOKAHEAD)
EMAIL_AUTOLINK = re.compile(r"<([A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]{1,256}@[A-Za-z0-9]"
                    r"(?:[A-Za-z0-9.\-]{0,254}[A-Za-z0-9])?)>")
_BARE_URL = re.compile(r"https?://[A-Za-z0-9][^\s<\]]{0,%d}" % MAX_LOOKAHEAD)
_BACKTICKS = re.compile(r"`+")
_DEST_STOP = re.compile(r"[\x00-\x20()\\]")
_MAX_PARENS = 32  # nesting in a link destination, as in CommonMark
_URL_TRAILING = "?!.,:*_~'\";"


class _Bracket:
    """An open ``[`` or ``![``: where it stands among the tokens and the
    delimiter runs."""

    __slots__ = ("token", "delim", "image")

    def __init__(self, token: int, delim: int, image: bool) -> None:
        self.token, self.delim, self.image = token, delim, image


_ESCAPE_OR_ENTITY = re.compile(r"\\([!-/:-@\[-`{-~])|" + ENTITY.pattern)


def _unescape(text: str) -> str:
    """Backslash escapes and entities resolved in one pass (for link
    destinations): ``\\&lt;`` is the text ``&lt;``."""
    return _ESCAPE_OR_ENTITY.sub(lambda m: m.group(1) or html.unescape(m.group()), text)


def _destination(text: str, i: int) -> tuple[str, int] | None:
    """``(url "title")`` at ``text[i]``: (the url, the index after ``)``)."""
    n = min(len(text), i + MAX_LOOKAHEAD)
    if i >= n or text[i] != "(":
        return None
    j = i + 1
    while j < n and text[j] in " \t\n":
        j += 1
    if j < n and text[j] == "<":
        end = text.find(">", j + 1, n)
        if end < 0 or "\n" in text[j:end] or "<" in text[j + 1:end]:
            return None
        url, j = text[j + 1:end], end + 1
    else:
        start, depth = j, 0
        while True:
            m = _DEST_STOP.search(text, j, n)
            j = m.start() if m else n
            if j >= n or text[j] <= " ":
                break
            if text[j] == "\\":
                j += 2 if text[j + 1:j + 2] in ("(", ")", "\\") else 1
            elif text[j] == "(":
                depth += 1
                if depth > _MAX_PARENS:
                    return None
                j += 1
            elif depth:
                depth, j = depth - 1, j + 1
            else:
                break
        url = text[start:j]
    while j < n and text[j] in " \t\n":
        j += 1
    if j < n and text[j] in "\"'(":
        close = ")" if text[j] == "(" else text[j]
        end = text.find(close, j + 1, n)
        if end < 0:
            return None
        j = end + 1
        while j < n and text[j] in " \t\n":
            j += 1
    if j >= n or text[j] != ")":
        return None
    return _unescape(url), j + 1


def _bare_url(text: str, i: int) -> str:
    """The bare URL at ``text[i]``, without trailing punctuation and any
    ``)`` it does not open. It ends before ``]``, which belongs to link
    syntax (``[see https://a.example](https://b.example)``)."""
    m = _BARE_URL.match(text, i)
    if not m:
        return ""
    url = m.group().rstrip(_URL_TRAILING)
    unopened = url.count(")") - url.count("(")
    while url.endswith(")") and unopened > 0:
        url = url[:-1].rstrip(_URL_TRAILING)
        unopened -= 1
    return url


def _no_links(nodes: tuple[Inline, ...]) -> tuple[Inline, ...]:
    """``nodes`` with any link replaced by its text (links do not nest)."""
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Link):
            out.extend(node.children)
        elif isinstance(node, (Emph, Strong, Strike)):
            out.append(type(node)(_no_links(node.children)))
        else:
            out.append(node)
    return _join_texts(out)


def _join_texts(nodes: list[Inline]) -> tuple[Inline, ...]:
    """``nodes`` with neighbouring texts made one."""
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + node.text)
        else:
            out.append(node)
    return tuple(out)


class _Scanner:
    """One left-to-right pass over a paragraph's inline text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Any] = []  # str, Text, Delim or finished nodes
        self.delims: list[Delim] = []
        self.brackets: list[_Bracket] = []
        self.pair_id = [0]
        self.runs: dict[int, list[int]] = {}
        for m in _BACKTICKS.finditer(text):
            self.runs.setdefault(m.end() - m.start(), []).append(m.start())

    def run(self) -> tuple[Inline, ...]:
        text, i, n = self.text, 0, len(self.text)
        while i < n:
            m = _STOP.search(text, i)
            stop = m.start() if m else n
            if stop > i:
                self.tokens.append(text[i:stop])
            if stop >= n:
                break
            i = self.step(stop)
        pair_emphasis(self.delims, self.pair_id)
        return build_nodes(self.tokens)

    def step(self, i: int) -> int:
        """Read the construct at ``text[i]``; return the index after it."""
        text, ch = self.text, self.text[i]
        if ch == "\\":
            nxt = text[i + 1:i + 2]
            if nxt == "\n":
                self.tokens.append(Break())
                return i + 2
            if nxt and nxt in string.punctuation:
                self.tokens.append(nxt)
                return i + 2
            self.tokens.append("\\")
            return i + 1
        if ch == "`":
            return self.code(i)
        if ch == "\n":
            self.tokens.append(Break() if self.drop_trailing_spaces() >= 2 else SoftBreak())
            j = i + 1
            while j < len(text) and text[j] in " \t":
                j += 1
            return j
        if ch == "&":
            m = ENTITY.match(text, i)
            self.tokens.append(Text(html.unescape(m.group())) if m else "&")
            return m.end() if m else i + 1
        if ch == "<":
            return self.autolink(i)
        if ch in "*_~":
            return self.delimiter(i)
        if ch == "[" or (ch == "!" and text[i + 1:i + 2] == "["):
            self.brackets.append(_Bracket(len(self.tokens), len(self.delims), ch == "!"))
            self.tokens.append("![" if ch == "!" else "[")
            return i + (2 if ch == "!" else 1)
        if ch == "]":
            return self.close_bracket(i)
        if ch == "h":
            url = _bare_url(text, i)
            if url:
                self.tokens.append(Link(url, (Text(url),)))
                return i + len(url)
        self.tokens.append(ch)
        return i + 1

    def drop_trailing_spaces(self) -> int:
        """Remove the spaces that end the line so far; return how many there were."""
        tokens, dropped = self.tokens, 0
        while tokens and isinstance(tokens[-1], str) and tokens[-1].endswith(" "):
            kept = tokens[-1].rstrip(" ")
            dropped += len(tokens[-1]) - len(kept)
            if kept:
                tokens[-1] = kept
                break
            tokens.pop()
        return dropped

    def code(self, i: int) -> int:
        text = self.text
        j = i
        while j < len(text) and text[j] == "`":
            j += 1
        length = j - i
        starts = self.runs.get(length, [])
        k = bisect.bisect_left(starts, j)
        if k == len(starts):
            self.tokens.append(text[i:j])
            return j
        end = starts[k]
        body = text[j:end].replace("\n", " ")
        if len(body) > 1 and body[0] == " " and body[-1] == " " and body.strip(" "):
            body = body[1:-1]
        self.tokens.append(Code(body))
        return end + length

    def autolink(self, i: int) -> int:
        m = AUTOLINK.match(self.text, i)
        if m:
            self.tokens.append(Link(m.group(1), (Text(m.group(1)),)))
            return m.end()
        m = EMAIL_AUTOLINK.match(self.text, i)
        if m:
            self.tokens.append(Link("mailto:" + m.group(1), (Text(m.group(1)),)))
            return m.end()
        self.tokens.append("<")
        return i + 1

    def delimiter(self, i: int) -> int:
        text, ch, j = self.text, self.text[i], i
        while j < len(text) and text[j] == ch:
            j += 1
        if ch == "~" and j - i != 2:
            self.tokens.append(text[i:j])  # only ``~~`` strikes through
        else:
            d = delimiter_run(text, i, j)
            self.delims.append(d)
            self.tokens.append(d)
        return j

    def close_bracket(self, i: int) -> int:
        if not self.brackets:
            self.tokens.append("]")
            return i + 1
        found = _destination(self.text, i + 1)
        opener = self.brackets.pop()
        if found is None:
            self.tokens.append("]")
            return i + 1
        url, end = found
        inner = self.delims[opener.delim:]
        del self.delims[opener.delim:]
        pair_emphasis(inner, self.pair_id)
        children = _no_links(build_nodes(self.tokens[opener.token + 1:]))
        del self.tokens[opener.token:]
        if opener.image:
            children = _join_texts([Text("image: "), *children]) if children else (
                Text("image"),)
        self.tokens.append(Link(url, children or (Text(url),)))
        if not opener.image:
            self.brackets.clear()  # no link inside a link: every earlier [ is text now
        return end


def parse_inline(text: str) -> tuple[Inline, ...]:
    """The inline nodes of ``text`` (a paragraph, a heading or a table cell)."""
    return _Scanner(text).run()
