"""The signatures of the store methods :mod:`.store` generates (for type checkers).

``SqlSessionStore`` makes its per-component methods (``save_trace_events``,
``load_loop_checkpoint``...) from the component table when the module is
imported, so a type checker cannot see them. This class declares them: the
other stores' :class:`~a3s_store.store.ComponentMethods`, plus the listing of
checkpoint ids only this store has. It is the store's base class only under
``TYPE_CHECKING`` (at run time the base is ``object``), so nothing here runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..store import ComponentMethods

__all__ = ["GeneratedMethods", "KeyCheck", "LoadCheck", "T"]

T = TypeVar("T")
#: check_checkpoint and checked_checkpoint with their kind bound.
KeyCheck = Callable[[str, Any], None]
LoadCheck = Callable[[str, Any, str], Any]


class GeneratedMethods(ComponentMethods):
    """The generated methods of ``SqlSessionStore``, as the other stores type them."""

    def list_loop_checkpoints(self) -> list[str]:
        raise NotImplementedError

    def list_workflow_checkpoints(self) -> list[str]:
        raise NotImplementedError
