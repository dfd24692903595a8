"""How the contract suite opens a store: :class:`Backend`, and the four shipped ones.

A backend opens a fresh, empty store in a folder it is given (each case
gets its own) and can open that same data again, as another process would.
PostgreSQL runs when ``A3S_TEST_POSTGRES_DSN`` names a server where the
suite may create and drop schemas (each case gets a schema of its own);
without it, its cases skip with that reason.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..file_store import FileSessionStore
from ..memory_store import MemorySessionStore

__all__ = ["BUILTIN_BACKENDS", "Backend", "BackendInstance", "FILE", "MEMORY",
           "POSTGRES_DSN_VARIABLE", "POSTGRESQL", "SQLITE"]

#: The environment variable naming the PostgreSQL server of the tests.
POSTGRES_DSN_VARIABLE = "A3S_TEST_POSTGRES_DSN"


@dataclass
class BackendInstance:
    """An opened store, a way to open its data again, and what cleans up after it."""

    store: Any
    reopen_store: Callable[[], Any] | None = None
    cleanup: Callable[[], None] | None = None
    _opened: list[Any] = field(default_factory=list, repr=False)

    def reopen(self) -> Any:
        """Another store object on the same data (the same object for a memory store)."""
        if self.reopen_store is None:
            return self.store
        other = self.reopen_store()
        self._opened.append(other)
        return other

    def close(self) -> None:
        """Close every store opened here (those with a ``close``), then clean up."""
        for store in [self.store, *self._opened]:
            close = getattr(store, "close", None)
            if callable(close):
                close()
        if self.cleanup is not None:
            self.cleanup()


@dataclass(frozen=True)
class Backend:
    """A kind of store the contract suite runs on.

    ``open(folder)`` returns a :class:`BackendInstance` whose store is empty;
    ``folder`` is an empty folder of the case's own, for backends that keep
    files. ``unavailable()`` says why the backend cannot run here (None when
    it can): its cases are then skipped with that reason.
    """

    name: str
    open: Callable[[str], BackendInstance]
    unavailable: Callable[[], str | None] = lambda: None


def _memory(folder: str) -> BackendInstance:
    return BackendInstance(MemorySessionStore())


def _file(folder: str) -> BackendInstance:
    root = os.path.join(folder, "store")
    return BackendInstance(FileSessionStore(root), lambda: FileSessionStore(root))


def _sqlite(folder: str) -> BackendInstance:
    from ..sql import SqlSessionStore

    path = os.path.join(folder, "sessions.db")
    return BackendInstance(SqlSessionStore.sqlite(path), lambda: SqlSessionStore.sqlite(path))


def _postgres_unavailable() -> str | None:
    if not os.environ.get(POSTGRES_DSN_VARIABLE):
        return f"no PostgreSQL server: set {POSTGRES_DSN_VARIABLE} (see .ci/postgres.sh)"
    from ..errors import MissingDriverError
    from ..sql._connect import import_psycopg

    try:
        import_psycopg()
    except MissingDriverError as exc:
        return str(exc)
    return None


def _postgres(folder: str) -> BackendInstance:
    from ..sql import SqlSessionStore
    from ..sql._connect import import_psycopg

    dsn = os.environ[POSTGRES_DSN_VARIABLE]
    schema = "a3s_contract_" + secrets.token_hex(6)
    psycopg = import_psycopg()
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")

    def open_store() -> SqlSessionStore:
        return SqlSessionStore.postgres(dsn, options=f"-c search_path={schema}")

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")

    try:
        return BackendInstance(open_store(), open_store, drop)
    except BaseException:
        drop()
        raise


MEMORY = Backend("memory", _memory)
FILE = Backend("file", _file)
SQLITE = Backend("sqlite", _sqlite)
POSTGRESQL = Backend("postgresql", _postgres, _postgres_unavailable)
#: The four stores this package ships, in the order the suite runs them.
BUILTIN_BACKENDS: tuple[Backend, ...] = (MEMORY, FILE, SQLITE, POSTGRESQL)
