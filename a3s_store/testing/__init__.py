"""The store contract as a test suite that any SessionStore backend can run.

Every promise of :class:`~a3s_store.SessionStore` is a *case*: a plain
function that raises ``AssertionError`` when a store breaks it (no test
framework needed). The repository runs all of them on the four shipped
backends (memory, file, SQLite, and PostgreSQL when
``A3S_TEST_POSTGRES_DSN`` is set); a third-party backend runs them on
itself by describing how to open it:

>>> import tempfile
>>> from .. import MemorySessionStore
>>> from . import Backend, BackendInstance, run_contract
>>> mine = Backend("mine", lambda folder: BackendInstance(MemorySessionStore()))
>>> report = run_contract(mine, tempfile.mkdtemp())
>>> report.ok, report.failed
(True, {})

``BackendInstance(store, reopen_store, cleanup)``: ``reopen_store`` opens a
second store object on the same data (what another process would see; the
cases that need one call it), ``cleanup`` runs after the case. With pytest,
one test function covers every case::

    import pytest
    from a3s_store.testing import CASES, Skip

    @pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
    def test_contract(case, tmp_path):
        instance = mine.open(str(tmp_path))
        try:
            case.run(instance)
        except Skip as skip:
            pytest.skip(str(skip))
        finally:
            instance.close()

Optional capabilities skip with a reason: paging (``list_summaries(limit=,
after=)``) is checked only on a store whose ``list_summaries`` takes them.
"""

from . import cases_listing, cases_sessions, cases_side, cases_snapshots  # noqa: F401 - register
from ._registry import CASES, Case, Skip, raises
from ._runner import ContractReport, run_contract
from .backends import BUILTIN_BACKENDS, Backend, BackendInstance

__all__ = ["BUILTIN_BACKENDS", "Backend", "BackendInstance", "CASES", "Case",
           "ContractReport", "Skip", "raises", "run_contract"]
