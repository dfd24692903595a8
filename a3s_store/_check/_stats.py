"""``stats``: files and bytes per category of the layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._components import CATEGORY_FOLDERS
from .._layout import INTERNAL

if TYPE_CHECKING:
    from . import Checker

__all__ = ["usage"]


def usage(checker: Checker) -> dict[str, tuple[int, int]]:
    """(files, bytes) per category: ``sessions``, each side folder, the two
    checkpoint folders, and the store's own ``.a3s_store``."""
    out = {}
    with checker.view(exclusive=False) as view:
        files = size = 0
        for entry in view.entries(()):
            if entry.name.endswith(".json") and entry.is_file(follow_symlinks=False):
                sig = view.sig((), entry.name)
                if sig is not None:
                    files, size = files + 1, size + sig[0]
        out["sessions"] = (files, size)
        for folder in (*CATEGORY_FOLDERS, INTERNAL):
            out[folder] = view.sizes((folder,))
    return out
