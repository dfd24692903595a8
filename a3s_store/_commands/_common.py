"""What every command shares: its error, opening the store, output helpers."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from .. import _json
from .._check import Checker, NotAStoreError
from .._term import fit
from ..errors import A3SStoreError
from ..file_store import FileSessionStore

__all__ = ["Command", "CommandError", "open_store", "open_checker", "tty", "write_json",
           "resolve_id", "cut"]


@dataclass(frozen=True, slots=True)
class Command:
    """One sub-command: its name, help, the options it takes and what it does.

    ``options(parser)`` adds its arguments; ``run(args, root, out, err)``
    writes its result to ``out`` and returns the exit code.
    """

    name: str
    summary: str
    description: str
    options: Callable
    run: Callable
    needs_root: bool = True  # the demo makes its folder itself


class CommandError(A3SStoreError):
    """A command that cannot do what was asked; ``code`` is its exit code."""

    def __init__(self, message: str, code: int = 1, **kw) -> None:
        super().__init__(message, **kw)
        self.code = code


def open_store(root: str) -> FileSessionStore:
    """The store at ``root``, which must exist: a missing or unreadable folder
    is exit code 2 (nothing is created)."""
    with _root_errors(root):
        return FileSessionStore(root, create=False)


def open_checker(root: str, *, doing: str, **kw) -> Checker:
    """The checker of the store at ``root`` (errors as :func:`open_store`); unlike
    a store, it does not finish interrupted saves when it opens. A folder that
    is not a store is exit code 2: the command ``doing`` changes nothing there."""
    with _root_errors(root):
        checker = Checker(root, **kw).__enter__()
        checker.require_store(doing)
        return checker


@contextmanager
def _root_errors(root: str) -> Iterator[None]:
    try:
        yield
    except FileNotFoundError:
        raise CommandError(f"no store at {root}: the folder does not exist "
                           "(set --root or A3S_STORE_ROOT)", 2) from None
    except NotADirectoryError:
        raise CommandError(f"{root} is not a folder", 2) from None
    except PermissionError as exc:
        raise CommandError(f"cannot read the store folder {root}: {exc.strerror}", 2) from None
    except NotAStoreError as exc:
        raise CommandError(exc.message, 2) from None


def tty(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def write_json(out, value) -> None:
    out.write(_json.encode_bytes(value).decode("utf-8") + "\n")


def resolve_id(store: FileSessionStore, wanted: str) -> str:
    """``wanted`` when it is stored, else the one stored id it begins (as git
    takes a unique prefix of a commit id)."""
    if store.exists(wanted):
        return wanted
    matches = [i for i in store.list() if i.startswith(wanted)] if wanted else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(repr(m) for m in matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise CommandError(f"{wanted!r} is the start of {len(matches)} session ids: {shown}")
    raise CommandError(f"no session {wanted!r} in {store.root}")


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells of a terminal (wide characters count twice)."""
    return fit(text, width)
