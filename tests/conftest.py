import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from a3s_store import FileSessionStore, MemorySessionStore  # noqa: E402


@pytest.fixture(params=["file", "memory"])
def store(request, tmp_path):
    """The same contract, run against both shipped stores."""
    if request.param == "file":
        return FileSessionStore(tmp_path / "store")
    return MemorySessionStore()


@pytest.fixture
def file_store(tmp_path):
    return FileSessionStore(tmp_path / "store")
