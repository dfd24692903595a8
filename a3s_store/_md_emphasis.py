"""Emphasis in inline markdown: delimiter runs (``*``, ``_``, ``~~``), their
pairing, and the node tree built from the paired tokens.

It follows CommonMark's "process emphasis": whether a run can open or
close depends on what stands beside it (flanking), each closer takes the
nearest opener of its character that the rule of 3 allows, and openers
between the two stay literal. Every opener is pushed and popped once, so
pairing is linear; the tree is built in one pass, and emphasis nested
deeper than :data:`MAX_DEPTH` is kept as its literal characters, so no
input can make the writers recurse deeply.

>>> runs = [delimiter_run("*a*", 0, 1), delimiter_run("*a*", 2, 3)]
>>> pair_emphasis(runs, [0])
>>> build_nodes([runs[0], "a", runs[1]])
(Emph(children=(Text(text='a'),)),)
"""

from __future__ import annotations

import string
import unicodedata
from typing import Any

from ._md_nodes import Emph, Inline, Strike, Strong, Text

__all__ = ["Delim", "delimiter_run", "pair_emphasis", "build_nodes", "MAX_DEPTH"]

#: Emphasis nested deeper than this stays literal.
MAX_DEPTH = 12
_KINDS: dict[int, type[Emph | Strong]] = {1: Emph, 2: Strong}
_RULE_OF_3_TRIES = 8


class Delim:
    """A run of ``*``, ``_`` or ``~~``: how many characters are left
    unpaired, and the emphasis it opens and closes as (kind, pair id)."""

    __slots__ = ("char", "count", "length", "can_open", "can_close", "opens", "closes")

    def __init__(self, char: str, count: int, can_open: bool, can_close: bool) -> None:
        self.char, self.count, self.length = char, count, count
        self.can_open, self.can_close = can_open, can_close
        self.opens: list[tuple[int, int]] = []
        self.closes: list[tuple[int, int]] = []


def _is_punct(ch: str) -> bool:
    return ch in string.punctuation or unicodedata.category(ch)[0] in "PS"


def _flanking(text: str, start: int, end: int) -> tuple[bool, bool]:
    """(left-flanking, right-flanking) for the delimiter run ``text[start:end]``."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    left = not after.isspace() and (not _is_punct(after) or before.isspace() or _is_punct(before))
    right = not before.isspace() and (not _is_punct(before) or after.isspace()
                                      or _is_punct(after))
    return left, right


def delimiter_run(text: str, start: int, end: int) -> Delim:
    """The run ``text[start:end]`` of one delimiter character, with whether
    it can open and close (``_`` may not do either inside a word)."""
    char = text[start]
    left, right = _flanking(text, start, end)
    if char == "_":
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        return Delim(char, end - start, left and (not right or _is_punct(before)),
                      right and (not left or _is_punct(after)))
    return Delim(char, end - start, left, right)


def _may_pair(opener: Delim, closer: Delim) -> bool:
    """CommonMark's rule of 3: when either run can both open and close, the
    two lengths may not add up to a multiple of 3 unless each is a multiple
    of 3 (so in ``*a **b** c*`` the ``*`` does not pair with a ``**``)."""
    if (opener.can_close or closer.can_open) and (opener.length + closer.length) % 3 == 0:
        return opener.length % 3 == 0 and closer.length % 3 == 0
    return True


def _opener_for(closer: Delim, openers: list[Delim], mine: list[int]) -> int | None:
    """The index in ``openers`` of the nearest opener ``closer`` may pair with.
    Only the nearest few are tried, which keeps the pairing linear."""
    for pos in reversed(mine[-_RULE_OF_3_TRIES:]):
        if closer.char == "~" or _may_pair(openers[pos], closer):
            return pos
    return None


def pair_emphasis(delims: list[Delim], next_id: list[int]) -> None:
    """Pair openers and closers (CommonMark's "process emphasis"): each closer
    takes the nearest opener of its character; openers between the two can
    no longer pair and stay literal. Linear: every opener is pushed once."""
    openers: list[Delim] = []
    by_char: dict[str, list[int]] = {"*": [], "_": [], "~": []}
    for d in delims:
        if d.can_close:
            mine = by_char[d.char]
            while d.count and mine:
                pos = _opener_for(d, openers, mine)
                if pos is None:
                    break
                while len(openers) > pos + 1:
                    by_char[openers.pop().char].pop()
                opener = openers[pos]
                used = 2 if opener.count >= 2 and d.count >= 2 else 1
                kind = 3 if d.char == "~" else used  # 3: strikethrough
                next_id[0] += 1
                opener.opens.append((kind, next_id[0]))
                d.closes.append((kind, next_id[0]))
                opener.count -= used
                d.count -= used
                if not opener.count:
                    openers.pop()
                    mine.pop()
        if d.count and d.can_open:
            by_char[d.char].append(len(openers))
            openers.append(d)


def _literal(kind: int, char: str) -> str:
    return "~~" if kind == 3 else char * kind


def build_nodes(tokens: list[Any]) -> tuple[Inline, ...]:
    """The node tree of a paired token list (strings, :class:`Text` from
    entities, :class:`Delim` runs and finished nodes); pairs deeper than
    :data:`MAX_DEPTH` become their literal characters."""
    # (kind, children, pending text)
    frames: list[tuple[int, list[Inline], list[str]]] = [(0, [], [])]
    literal: set[int] = set()

    def flush(frame: tuple[int, list[Inline], list[str]]) -> None:
        if frame[2]:
            frame[1].append(Text("".join(frame[2])))
            frame[2].clear()

    for token in tokens:
        top = frames[-1]
        if isinstance(token, str):
            top[2].append(token)
        elif isinstance(token, Text):  # from an entity: text, but never a blank to drop
            top[2].append(token.text)
        elif isinstance(token, Delim):
            for kind, pid in token.closes:
                if pid in literal:
                    frames[-1][2].append(_literal(kind, token.char))
                    continue
                _, children, _ = frame = frames.pop()
                flush(frame)
                node = Strike(tuple(children)) if kind == 3 else _KINDS[kind](tuple(children))
                flush(frames[-1])
                frames[-1][1].append(node)
            if token.count:
                frames[-1][2].append(token.char * token.count)
            for kind, pid in reversed(token.opens):
                if len(frames) > MAX_DEPTH:
                    literal.add(pid)
                    frames[-1][2].append(_literal(kind, token.char))
                else:
                    frames.append((kind, [], []))
        else:
            flush(top)
            top[1].append(token)
    flush(frames[0])
    return tuple(frames[0][1])
