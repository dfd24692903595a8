"""The store checker behind ``verify``, ``verify --repair``, ``gc`` and ``stats``.

It reads the store through the engine (``_engine``), one operation per
batch, always *without* recovery: ``verify`` must first report an
interrupted save, and only ``--repair`` finishes it. Its parts: ``_view``
(what a batch sees, and the inventory of the folders), ``_verify``,
``_repair``, ``_adopt``, ``_gc`` and ``_stats``; ``_findings`` holds what they report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .._engine import Engine
from .._layout import DEFAULT_MAX_FILE_BYTES, Options
from ._adopt import adopt
from ._findings import TEMP_GRACE_SECONDS, Finding, Garbage, NotAStoreError, Scan, parse_age
from ._gc import collect, garbage
from ._repair import repair
from ._stats import usage
from ._verify import scan
from ._view import View

__all__ = ["Checker", "Finding", "Garbage", "NotAStoreError", "Scan", "TEMP_GRACE_SECONDS",
           "parse_age"]


class Checker:
    """One store folder, checked, repaired or cleaned.

    Use as a context manager (it holds nothing open between batches).
    :raises FileNotFoundError: the root does not exist.
    """

    def __init__(self, root: str, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 lock_timeout: float = 30.0,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.root = root
        self.progress = progress
        self.engine = Engine(root, Options(max_bytes=max_file_bytes,
                                           lock_timeout=lock_timeout))

    def __enter__(self) -> Checker:
        with self.view(exclusive=False):
            pass  # the root exists (else FileNotFoundError) and can be locked
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing is held between batches; kept for the context-manager form."""

    @contextmanager
    def view(self, *, exclusive: bool) -> Iterator[View]:
        """One batch: an engine operation without recovery."""
        with self.engine.operation(exclusive=exclusive, recover=False) as op:
            yield View(op)

    def step(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def is_store(self) -> bool:
        """Whether the folder is a store (see :meth:`View.is_store`)."""
        with self.view(exclusive=False) as view:
            return view.is_store()

    def require_store(self, doing: str) -> None:
        """Raise :class:`NotAStoreError` unless the folder is a store."""
        if not self.is_store():
            raise NotAStoreError(
                f"{self.root} is not a session store: it has no .a3s_store folder and no "
                f"session file (a JSON object whose first key is \"id\"); {doing} changes "
                "nothing here and nothing was changed (point --root at the sessions folder)",
                path=self.root)

    def scan(self) -> Scan:
        """Check everything; nothing is changed (see ``_verify``)."""
        return scan(self)

    def repair(self, *, now: float | None = None) -> list[tuple[str, str]]:
        """Fix what can be fixed; (path, what was done) per action (see ``_repair``).

        :raises NotAStoreError: the folder is not a store (nothing is changed).
        """
        self.require_store("verify --repair")
        return repair(self, now=now)

    def adopt(self) -> list[tuple[str, str]]:
        """Accept the sessions changed outside the store as its own (see ``_adopt``).

        :raises NotAStoreError: the folder is not a store (nothing is changed).
        """
        self.require_store("verify --adopt")
        return adopt(self)

    def garbage(self, *, older_than: float, now: float | None = None) -> list[Garbage]:
        """What ``gc`` would remove (see ``_gc``).

        :raises NotAStoreError: the folder is not a store.
        """
        self.require_store("gc")
        return garbage(self, older_than=older_than, now=now)

    def collect(self, items: list[Garbage]) -> list[Garbage]:
        """Remove ``items`` in one journaled commit; return those removed."""
        return collect(self, items)

    def usage(self) -> dict[str, tuple[int, int]]:
        """(files, bytes) per category (see ``_stats``)."""
        return usage(self)
