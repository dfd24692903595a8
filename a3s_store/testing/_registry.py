"""The parts of the contract suite that are not cases: registration, skips, checks.

The suite needs no test framework: a case is a plain function that raises
``AssertionError`` when the store breaks the contract, and :class:`Skip`
when the store lacks an optional capability.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backends import BackendInstance

__all__ = ["CASES", "Case", "Reopen", "Skip", "Store", "case", "raises", "require_paging"]

#: The store under test: any object that claims the SessionStore contract (the
#: cases also call it with deliberately wrong arguments, to see them refused).
Store = Any
#: Opens another store object on the same data (what another process would open).
Reopen = Callable[[], Any]
#: A case: takes the store, and ``reopen`` when it has that second parameter.
CaseFunc = Callable[..., None]


class Skip(Exception):
    """Raised by a case that does not apply to the store under test (the reason)."""


@dataclass(frozen=True)
class Case:
    """One promise of the contract, checked by ``func``.

    ``func`` takes the store under test and, when it has a second parameter
    named ``reopen``, a function returning another store object on the same
    data (what another process would open).
    """

    name: str
    func: CaseFunc
    doc: str = field(default="", compare=False)

    @property
    def wants_reopen(self) -> bool:
        """Whether the case opens the same data a second time."""
        return "reopen" in inspect.signature(self.func).parameters

    def run(self, instance: BackendInstance) -> None:
        """Run the case on an opened backend (see ``BackendInstance``)."""
        if self.wants_reopen:
            self.func(instance.store, instance.reopen)
        else:
            self.func(instance.store)


#: Every case, in the order the case modules define them.
CASES: list[Case] = []


def case(func: CaseFunc) -> CaseFunc:
    """Register ``func`` as a case of the contract (its docstring says the promise)."""
    CASES.append(Case(func.__name__, func, inspect.getdoc(func) or ""))
    return func


@contextmanager
def raises(expected: type[BaseException] | tuple[type[BaseException], ...],
           match: str | None = None) -> Iterator[None]:
    """Check that the block raises ``expected`` (a class or a tuple of them), with
    ``match`` found in its text.

    >>> with raises(KeyError, match="x"):
    ...     {}["x"]
    >>> with raises(KeyError):
    ...     pass
    Traceback (most recent call last):
        ...
    AssertionError: expected KeyError, nothing was raised
    """
    try:
        yield
    except expected as exc:
        if match is not None and re.search(match, str(exc)) is None:
            raise AssertionError(f"{type(exc).__name__} {str(exc)!r} does not match "
                                 f"{match!r}") from exc
    else:
        names = [e.__name__ for e in (expected if isinstance(expected, tuple) else (expected,))]
        raise AssertionError(f"expected {' or '.join(names)}, nothing was raised")


def require_paging(store: Store) -> None:
    """Skip unless ``list_summaries`` takes ``limit`` and ``after``."""
    try:
        names = set(inspect.signature(store.list_summaries).parameters)
    except (TypeError, ValueError):  # no signature to read: treat as no paging
        names = set()
    if not {"limit", "after"} <= names:
        raise Skip(f"{type(store).__name__}.list_summaries has no limit/after paging")
