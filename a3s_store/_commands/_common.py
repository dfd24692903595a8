"""What every command shares: its error, opening the store, output helpers."""

from __future__ import annotations

import argparse
import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

from .. import _json, _open
from .._check import Checker, NotAStoreError
from .._layout import INTERNAL
from .._term import fit
from ..errors import A3SStoreError, MissingDriverError
from ..store import SessionStore

__all__ = ["Command", "CommandError", "open_store", "open_checker", "tty", "write_json",
           "resolve_id", "cut", "is_url", "where", "os_error_text", "user_path",
           "resolve_store"]


@dataclass(frozen=True, slots=True)
class Command:
    """One sub-command: its name, help, the options it takes and what it does.

    ``options(parser)`` adds its arguments; ``run(args, root, out, err)``
    writes its result to ``out`` and returns the exit code.
    """

    name: str
    summary: str
    description: str
    options: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, str, TextIO, TextIO], int]
    needs_root: bool = True  # the demo makes its folder itself
    any_store: bool = False  # takes a store URL as --root, not only a folder


class CommandError(A3SStoreError):
    """A command that cannot do what was asked; ``code`` is its exit code."""

    def __init__(self, message: str, code: int = 1, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.code = code


@contextmanager
def open_store(root: str, *, create: bool = False) -> Iterator[SessionStore]:
    """The store at ``root`` (a folder or a store URL), which must exist unless
    ``create``: a missing or unreadable folder or SQLite file, or a database
    that cannot be reached, is exit code 2 (nothing is created). Closed at
    the end."""
    with _root_errors(root):
        store = _open.open_store(root, create=create)
    try:
        yield store
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()


def resolve_store(text: str) -> str:
    """A store named on the command line: a folder as an absolute path (``~``
    and ``file://`` taken off), a store URL as it is.

    :raises ValueError: a URL of an unknown scheme.
    """
    if _open.backend_of(text) != "file":
        return text
    return os.path.abspath(os.path.expanduser(_open.folder_of(text)))


def is_url(root: str) -> bool:
    """Whether ``root`` names a store that is not a folder (an SQL database)."""
    return _open.backend_of(root) != "file"


def where(store: object) -> str:
    """How messages name a store: its folder, or its URL without a password."""
    return str(getattr(store, "root", None) or getattr(store, "location", None) or store)


def open_checker(root: str, *, doing: str, **kw: Any) -> Checker:
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
        what = "the database file" if is_url(root) else "the folder"
        raise CommandError(f"no store at {root}: {what} does not exist "
                           "(set --root or A3S_STORE_ROOT)", 2) from None
    except NotADirectoryError:
        raise CommandError(f"{root} is not a folder", 2) from None
    except PermissionError as exc:
        raise CommandError(f"cannot read the store folder {root}: {exc.strerror}", 2) from None
    except NotAStoreError as exc:
        raise CommandError(exc.message, 2) from None
    except (ValueError, MissingDriverError) as exc:
        raise CommandError(f"{exc}", 2) from None
    except (A3SStoreError, OSError):
        raise
    except Exception as exc:  # the driver's own error: a server down, a bad password
        if not is_url(root):
            raise
        raise CommandError(f"cannot open the store {_redacted(root)}: "
                           f"{type(exc).__name__}: {exc}".rstrip(), 2) from None


def _redacted(root: str) -> str:
    from ..sql._connect import redacted  # only for a database URL

    return redacted(root)


#: What to do about an OS error, by errno; ``{path}`` is the user's path.
_ADVICE = {
    errno.EISDIR: "{path} is a folder: give a file name",
    errno.ENOTDIR: "a part of {path} is a file, not a folder",
    errno.ENOENT: "check that the folder of {path} exists",
    errno.EACCES: "check the permissions of {path} and its folder",
    errno.EPERM: "check the permissions of {path} and its folder",
    errno.EROFS: "{path} is on a read-only file system: work on a copy, or remount it "
                 "writable",
    errno.ENOSPC: "the disk holding {path} is full: free some space and run it again",
    errno.EDQUOT: "the disk quota for {path} is used up: free some space and run it again",
}


def os_error_text(exc: OSError, path: str, doing: str) -> str:
    """One line for an OS error met while ``doing`` something to the user's
    ``path``: it names that path (never an internal temporary or journal
    file the error may carry) and says what to do."""
    advice = _ADVICE.get(exc.errno or 0)
    why = exc.strerror or str(exc)
    text = f"{doing} {path}: {why}"
    return text + f" ({advice.format(path=path)})" if advice else text


def user_path(exc: OSError, root: str) -> str:
    """The path an OS error met on the store at ``root`` should name: the
    file it names when that is one of the user's, else the store itself
    (a temporary file, a journal record, the store's own folder are ours)."""
    name = exc.filename
    if not isinstance(name, str) or not name:
        return root
    base = os.path.basename(name)
    if INTERNAL in name.split(os.sep) or base.endswith((".tmp", ".commit")) \
            or base.startswith("."):
        return root
    return name


def tty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def write_json(out: TextIO, value: object) -> None:
    out.write(_json.encode_bytes(value).decode("utf-8") + "\n")


def resolve_id(store: SessionStore, wanted: str) -> str:
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
    raise CommandError(f"no session {wanted!r} in {where(store)}")


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells of a terminal (wide characters count twice)."""
    return fit(text, width)
