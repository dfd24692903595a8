"""Notebook views of listings: a SessionSummary, the list list_summaries()
returns (SessionSummaries) and a whole store, each an escaped HTML table."""

from __future__ import annotations

import shutil

import pytest

import factories
from a3s_store import FileSessionStore, MemorySessionStore, SessionSnapshot
from a3s_store._render_listing import MAX_ROWS, render_store_html, summaries_html
from a3s_store.snapshot import SessionSummaries, SessionSummary
from htmlcheck import Doc, assert_inert

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def summary(i: int, name: str = "Chat", **changes) -> SessionSummary:
    row = SessionSummary(f"s-{i}", name, "Active", "openai/gpt-4o", i * 1000,
                         1700000000 + i, 1700000000 + i, 2048 * i)
    return row._replace(**changes)


def cells(doc: Doc) -> list[list[str]]:
    rows, row = [], None
    for tag, _, chunks in doc.elements:
        if tag == "tr":
            row = []
            rows.append(row)
        elif tag in ("td", "th") and row is not None:
            row.append("".join(chunks))
    return rows


def test_a_summary_is_a_table_of_one_row():
    doc = Doc(summary(3)._repr_html_())
    assert doc.errors == []
    assert cells(doc) == [["id", "name", "state", "model", "messages", "updated", "size"],
                          ["s-3", "Chat", "Active", "openai/gpt-4o", "3,000",
                           cells(doc)[1][5], "6.0 KiB"]]
    assert cells(doc)[1][5].startswith("2023-11-14")


def test_summaries_are_a_plain_list_shown_as_a_table_in_their_order():
    rows = SessionSummaries([summary(2), summary(1)])
    assert isinstance(rows, list) and rows == [summary(2), summary(1)]
    rows.sort()
    assert type(rows) is SessionSummaries and [r.id for r in rows] == ["s-1", "s-2"]
    doc = Doc(rows._repr_html_())
    assert doc.errors == []
    assert [r[0] for r in cells(doc)[1:]] == ["s-1", "s-2"]
    assert "2 sessions" in doc.all_text
    assert [a.get("class") for a, _ in doc.find("td")][4::7] == ["num", "num"]


def test_every_value_in_a_listing_is_escaped():
    hostile = summary(1, HOSTILE, id=f"id{HOSTILE}", state=HOSTILE, model=HOSTILE,
                      messages=HOSTILE, size_bytes=HOSTILE)
    for text in (hostile._repr_html_(), SessionSummaries([hostile])._repr_html_()):
        doc = Doc(text)
        assert doc.errors == []
        assert_inert(doc)
        assert not doc.find("img") and not doc.find("script")
        assert doc.all_text.count(HOSTILE) == 6  # id, name, state, model, messages, size


def test_a_long_listing_shows_its_first_rows_and_says_how_many_it_left_out():
    rows = SessionSummaries(summary(i) for i in range(MAX_ROWS + 50))
    doc = Doc(rows._repr_html_())
    assert len(cells(doc)) == 1 + MAX_ROWS
    assert f"{MAX_ROWS + 50:,} sessions" in doc.all_text
    assert f"50 more not shown (the first {MAX_ROWS:,} are)" in doc.all_text
    assert "more not shown" not in summaries_html(rows[:3])


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_a_store_is_its_repr_and_its_sessions_newest_first(kind, tmp_path):
    store = MemorySessionStore() if kind == "memory" else FileSessionStore(tmp_path / "s")
    for i, name in enumerate(["older", f"newest {HOSTILE}", "middle"]):
        session = factories.session(f"chat-{i}", messages=i, name=name,
                                    updated_at=[100, 300, 200][i])
        store.save_snapshot(SessionSnapshot(session=session))
    doc = Doc(render_store_html(store))
    assert doc.errors == []
    assert_inert(doc)
    assert repr(store) in doc.all_text and "3 sessions, newest first" in doc.all_text
    assert [r[1] for r in cells(doc)[1:]] == [f"newest {HOSTILE}", "middle", "older"]


def test_a_store_that_cannot_be_listed_says_why_instead_of_raising(tmp_path):
    store = FileSessionStore(tmp_path / "gone")
    shutil.rmtree(tmp_path / "gone")
    doc = Doc(render_store_html(store))
    assert doc.errors == []
    assert "cannot list" in doc.all_text and str(tmp_path / "gone") in doc.all_text


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_both_stores_list_summaries_as_a_table_and_show_themselves_as_one(kind, tmp_path):
    from a3s_store import FileSessionStore, MemorySessionStore, SessionData

    store = FileSessionStore(tmp_path / "s") if kind == "file" else MemorySessionStore()
    store.save(SessionData(id="chat-1"))
    rows = store.list_summaries()
    assert isinstance(rows, SessionSummaries) and [r.id for r in rows] == ["chat-1"]
    assert "<table" in rows._repr_html_() and "chat-1" in store._repr_html_()
