"""The store contract (``a3s_store.testing``), run on every shipped backend.

Each case of the shipped suite runs on memory, file, SQLite and PostgreSQL
(skipped, with the reason, unless ``A3S_TEST_POSTGRES_DSN`` names a server:
``bash .ci/postgres.sh run -- python3 -m pytest -q`` starts one).
"""

from __future__ import annotations

import pytest

from a3s_store import CorruptDataError
from a3s_store.testing import BUILTIN_BACKENDS, CASES, Skip, raises

#: (backend, case) pairs that fail today, with why; strict, so a fix shows up.
#: (backend, case) -> why it fails today (a strict xfail: it must be fixed, then removed).
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


@pytest.fixture(params=BUILTIN_BACKENDS, ids=lambda backend: backend.name)
def backend(request):
    reason = request.param.unavailable()
    if reason is not None:
        pytest.skip(reason)
    return request.param


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_contract(backend, case, tmp_path, request):
    known = KNOWN_FAILURES.get((backend.name, case.name))
    if known:
        request.applymarker(pytest.mark.xfail(reason=known, strict=True))
    instance = backend.open(str(tmp_path))
    try:
        case.run(instance)
    except Skip as skip:
        pytest.skip(str(skip))
    finally:
        instance.close()


def test_the_suite_catches_a_store_that_breaks_the_contract(tmp_path):
    """The cases can fail: a store that forgets every save fails most of them."""
    from a3s_store import MemorySessionStore
    from a3s_store.testing import Backend, BackendInstance, run_contract

    class Forgetful(MemorySessionStore):
        def save(self, session, /, **kwargs):
            return "r"

    report = run_contract(Backend("forgetful", lambda folder: BackendInstance(Forgetful())),
                          str(tmp_path))
    assert "store_save_and_load" in report.failed
    assert "store_list" in report.failed
    assert "store_side_data_missing_is_none" in report.passed
    assert report.summary().startswith("forgetful: ")


def test_paging_cases_skip_on_a_store_without_paging(tmp_path):
    from a3s_store import MemorySessionStore
    from a3s_store.testing import Backend, BackendInstance, run_contract

    report = run_contract(Backend("memory", lambda f: BackendInstance(MemorySessionStore())),
                          str(tmp_path), cases=[c for c in CASES if c.name.startswith("paging")])
    if report.passed:  # the memory store has paging now: nothing to skip
        pytest.skip("MemorySessionStore.list_summaries pages")
    assert set(report.skipped) == {c.name for c in CASES if c.name.startswith("paging")}
    assert all("paging" in why for why in report.skipped.values())


def test_raises_refuses_an_error_that_does_not_match():
    with pytest.raises(AssertionError, match="does not match"):
        with raises(ValueError, match="expected text"):
            raise ValueError("other text")


def test_corrupt_data_error_is_raised_not_none(file_store, tmp_path):
    """File store only: a damaged session file raises, naming the file."""
    (tmp_path / "store" / "test-id.json").write_text("{not json")
    with pytest.raises(CorruptDataError) as info:
        file_store.load("test-id")
    assert "test-id.json" in str(info.value)
