import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from a3s_store import FileSessionStore, MemorySessionStore  # noqa: E402
from sqlkit import target  # noqa: E402,F401 - the SQL tests' fixture (one database a dialect)


@pytest.fixture(params=["file", "memory", "sqlite"])
def store(request, tmp_path):
    """The same tests, run against the file, memory and SQLite stores."""
    if request.param == "file":
        yield FileSessionStore(tmp_path / "store")
    elif request.param == "memory":
        yield MemorySessionStore()
    else:
        from a3s_store.sql import SqlSessionStore

        with SqlSessionStore.sqlite(tmp_path / "store.db") as sql_store:
            yield sql_store


@pytest.fixture
def file_store(tmp_path):
    return FileSessionStore(tmp_path / "store")


def pytest_collection_modifyitems(config, items):
    # The `slow` tests run with A3S_FULL=1 (as CI does) or when chosen with
    # `-m slow`; the default run covers their behaviour with smaller samples.
    import strength

    if strength.FULL or "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: runs with A3S_FULL=1")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)
