"""Contract cases: listing summaries, and paging through them.

Paging (``list_summaries(limit=, after=)``) is skipped for a store whose
``list_summaries`` does not take those arguments.
"""

from __future__ import annotations

from ..records import SessionData
from ..snapshot import SessionSummary
from . import samples as s
from ._registry import Store, case, raises, require_paging


@case
def summaries_describe_each_session(store: Store) -> None:
    """One summary per session, sorted by id, with its name, state, model, message
    count and times."""
    store.save(s.session("b", messages=3, name="Bee", updated_at=1700000300))
    d = s.session_dict("a", messages=1, name="Ay")
    d["model_name"] = "openai/gpt-4o"
    store.save(SessionData.from_dict(d))
    rows = store.list_summaries()
    assert [type(r) for r in rows] == [SessionSummary, SessionSummary]
    a, b = rows
    assert (a.id, a.name, a.state, a.model, a.messages) == ("a", "Ay", "Active",
                                                            "openai/gpt-4o", 1)
    assert (b.id, b.name, b.model, b.messages, b.created_at, b.updated_at) == (
        "b", "Bee", None, 3, 1700000000, 1700000300)
    assert isinstance(a.size_bytes, int) and a.size_bytes >= 0


@case
def summaries_follow_saves_and_deletes(store: Store) -> None:
    """A listing shows the last save of each session and no deleted one."""
    store.save(s.session("x", messages=1))
    store.save(s.session("y"))
    store.save(s.session("x", messages=4, name="renamed"))
    store.delete("y")
    assert [(r.id, r.name, r.messages) for r in store.list_summaries()] == [
        ("x", "renamed", 4)]


def _fill(store: Store, n: int = 7) -> list[str]:
    ids = [f"s-{i:02d}" for i in range(n)]
    for sid in reversed(ids):
        store.save(s.session(sid, messages=1))
    return ids


@case
def paging_walks_every_session_once_in_order(store: Store) -> None:
    """Pages of ``limit`` after the last id of the previous page cover every session."""
    require_paging(store)
    ids = _fill(store)
    for limit in (1, 2, 3, 7, 50):
        seen, after = [], None
        while True:
            page = store.list_summaries(limit=limit, after=after)
            assert len(page) <= limit
            if not page:
                break
            seen += [r.id for r in page]
            after = page[-1].id
        assert seen == ids, limit


@case
def paging_bounds(store: Store) -> None:
    """``after`` is exclusive and need not be a stored id; ``limit=0`` gives nothing."""
    require_paging(store)
    ids = _fill(store)
    assert store.list_summaries(limit=0) == []
    assert [r.id for r in store.list_summaries(after="s-03")] == ids[4:]
    assert [r.id for r in store.list_summaries(after="s-03x", limit=2)] == ids[4:6]
    assert [r.id for r in store.list_summaries(after="")] == ids
    assert store.list_summaries(after="t") == []
    assert [r.id for r in store.list_summaries(limit=None, after=None)] == ids


@case
def paging_orders_by_code_point(store: Store) -> None:
    """Pages follow Python's sort of ids (code points), whatever the database's collation."""
    require_paging(store)
    ids = ["B", "a", "\u00e9", "e", "Z", "_", "\u4e2d", "a-b", "a b"]
    for sid in ids:
        store.save(s.session(sid))
    assert [r.id for r in store.list_summaries(after="Z")] == [i for i in sorted(ids) if i > "Z"]
    assert [r.id for r in store.list_summaries(limit=4)] == sorted(ids)[:4]


@case
def paging_refuses_a_bad_limit(store: Store) -> None:
    """A negative or non-integer limit raises ValueError (or TypeError)."""
    require_paging(store)
    for bad in (-1, 1.5, "3", True):
        with raises((ValueError, TypeError)):
            store.list_summaries(limit=bad)
