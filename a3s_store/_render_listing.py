"""Listings as HTML tables, for notebooks: one :class:`SessionSummary`, the
list ``list_summaries()`` returns, and a whole store.

The columns are those of ``a3s-store list``. Every value is escaped (a
session's name and id come from whoever wrote the file); numbers are
formatted only when they are numbers. A long listing shows its first
:data:`MAX_ROWS` rows and says how many it left out, so a store of ten
thousand sessions does not become a page of ten thousand rows.

>>> from types import SimpleNamespace as NS
>>> row = NS(id="s<1>", name="Chat", state="Active", model=None, messages=1204,
...          created_at=0, updated_at=0, size_bytes=2048)
>>> html = summaries_html([row])
>>> "s&lt;1&gt;" in html and "1,204" in html and "2.0 KiB" in html
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ._html_style import TABLE_CSS
from ._md_html import esc
from ._term import clock, human_size

if TYPE_CHECKING:
    from .snapshot import SessionSummary
    from .store import SessionStore

__all__ = ["summaries_html", "summary_html", "render_store_html", "MAX_ROWS"]

#: The most rows a listing view shows.
MAX_ROWS = 200
_HEAD = ("id", "name", "state", "model", "messages", "updated", "size")
_NUMERIC = {"messages", "size"}


def _number(value: object, fmt: Callable[[int], str]) -> str:
    return esc(fmt(value)) if isinstance(value, int) and not isinstance(value, bool) \
        else esc(value)


def _row(s: SessionSummary) -> str:
    problem = getattr(s, "problem", None)  # a damaged session: say so, with why
    state = f'<b title="{esc(problem)}">DAMAGED</b>' if problem else esc(s.state)
    cells = (f"<code>{esc(s.id)}</code>", esc(s.name), state, esc(s.model or "-"),
             _number(s.messages, "{:,}".format), esc(clock(s.updated_at)),
             _number(s.size_bytes, human_size))
    return "<tr>" + "".join(
        f'<td class="num">{c}</td>' if h in _NUMERIC else f"<td>{c}</td>"
        for h, c in zip(_HEAD, cells, strict=True)) + "</tr>"


def _table(rows: list[SessionSummary], caption: str) -> str:
    head = "".join(f'<th class="num">{h}</th>' if h in _NUMERIC else f"<th>{h}</th>"
                   for h in _HEAD)
    shown = rows[:MAX_ROWS]
    more = len(rows) - len(shown)
    tail = (f'<div class="muted">... {more:,} more not shown (the first {len(shown):,} '
            "are)</div>") if more else ""
    return (f'<div class="a3s a3s-listing"><style>{TABLE_CSS}</style>'
            f'<div class="muted">{caption}</div><table class="listing"><thead><tr>{head}'
            f"</tr></thead><tbody>{''.join(_row(s) for s in shown)}</tbody></table>"
            f"{tail}</div>")


def _sessions(n: int) -> str:
    return f"{n:,} session{'s' * (n != 1)}"


def summaries_html(summaries: Iterable[SessionSummary]) -> str:
    """A list of summaries as a table, in the list's order."""
    rows = list(summaries)
    return _table(rows, _sessions(len(rows)))


def summary_html(summary: SessionSummary) -> str:
    """One summary as a table of one row."""
    return _table([summary], "session summary")


def render_store_html(store: SessionStore) -> str:
    """A store as its ``repr`` and a table of its sessions, newest first.

    A store that cannot be listed (its folder is gone, a lock is held too
    long) shows the error instead: a notebook view must not raise.
    """
    from .errors import A3SStoreError

    try:
        rows = sorted(store.list_summaries(), key=lambda s: (s.updated_at, s.id), reverse=True)
    except (OSError, A3SStoreError) as exc:
        return (f'<div class="a3s"><code>{esc(repr(store))}</code>: cannot list: '
                f"{esc(exc)}</div>")
    return _table(rows, f"<code>{esc(repr(store))}</code> &middot; {_sessions(len(rows))}, "
                        "newest first")
