"""Ids to file names: a3s-code's own name first, a name of ours only when it cannot be.

Every id has, in order, the names it may be stored under (:func:`candidates`):

1. **a3s-code's name**, :func:`rust_stem`: a3s-code-core 3.4's
   ``safe_session_id`` (``/`` and ``\\`` become ``_``, then ``..`` becomes
   ``_``), so a folder written by this package opens in a3s-code and the
   reverse. It is lossy (``a/b`` and ``a_b`` share ``a_b``) and
   case-sensitive, so which id a name belongs to is proven by the file
   (the id inside it), never by the name;
2. **our escaped name**, :func:`own_stem`: ``%`` followed by the UTF-8 bytes
   of the id, with ``a-z 0-9 - _`` kept and every other byte as ``%XX``
   (upper-case hex). Two ids never share it, even on a disk that ignores
   case or Unicode normalisation (letters are lower-case, escapes upper-case,
   non-ASCII is always escaped), and it is never a Windows device name.
   For an id whose escaped name would be too long, the hashed name below
   takes its place;
3. **a hashed name**, :func:`hashed_stem` (``%H`` and 40 hex digits of the
   SHA-256 of the id): the last resort, for when a3s-code wrote a file of
   another id at our escaped name (a3s-code stores the id ``%41`` at
   ``%41.json``, the escaped name of ``A``).

The store writes the first of these names that is free or holds this id
already, so a3s-code's name is used unless another id holds it or it cannot
be a file name here (:func:`usable`: too long, NUL, and on Windows its
reserved names and characters; and the two names :func:`creatable` keeps).
Names may be up to :data:`MAX_NAME_BYTES` long, so that ``<name>.json``
fits the 255 bytes of a file name.

>>> rust_stem("tenant/chat-1"), own_stem("tenant/chat-1")
('tenant_chat-1', '%tenant%2Fchat-1')
>>> candidates("Chat-1")
['Chat-1', '%%43hat-1', '%Hda9c39ed5d5942e0b2ddde142cd65fffee4a470d']
>>> rust_stem("foo/bar\\\\baz..qux")
'foo_bar_baz_qux'

Ids that are not strings, or not valid Unicode (a lone surrogate cannot be
written as UTF-8), raise :class:`InvalidIdError` before any I/O.
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata

from .errors import InvalidIdError

__all__ = ["MAX_NAME_BYTES", "candidates", "check_id", "creatable", "folder_name", "folded",
           "hashed_stem", "own_stem", "rust_stem", "usable"]

#: Longest name (without ``.json``) the store writes or reads: 255 bytes,
#: the limit of a file name on Linux, macOS and Windows, less ``.json``.
MAX_NAME_BYTES = 250

WINDOWS = sys.platform == "win32"
_KEEP = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_")
_ESCAPE_TABLE = [chr(b) if b in _KEEP else "%%%02X" % b for b in range(256)]
_DEVICE = re.compile(r"(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)\Z",
                     re.IGNORECASE)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*\\\x00-\x1f]')


def check_id(identifier: object, kind: str = "session") -> str:
    """The id as a plain ``str``; :class:`InvalidIdError` when it cannot be one."""
    if type(identifier) is not str:
        if not isinstance(identifier, str):
            raise InvalidIdError(
                f"{kind} id must be a str, not {type(identifier).__name__}",
                session_id=identifier if kind == "session" else None)
        identifier = str.__str__(identifier)  # a subclass's __str__ may lie
    if not identifier.isascii():
        try:
            identifier.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidIdError(
                f"{kind} id is not valid Unicode (lone surrogate at index {exc.start})",
                session_id=identifier if kind == "session" else None) from None
    return identifier


def rust_stem(identifier: str) -> str:
    """a3s-code-core 3.4's name for an id (``safe_session_id``)."""
    return identifier.replace("/", "_").replace("\\", "_").replace("..", "_")


def own_stem(identifier: str) -> str:
    """The escaped name of an id: no other id has it, whatever the disk."""
    return "%" + "".join([_ESCAPE_TABLE[b] for b in identifier.encode("utf-8")])


def hashed_stem(identifier: str) -> str:
    """A short name derived from the id (for ids whose escaped name is too long)."""
    return "%H" + hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:40]


def usable(stem: str) -> bool:
    """Whether ``stem`` can name a session's files here: ``<stem>.json`` and
    ``artifacts/<folder_name(stem)>/``."""
    if stem == ".." or "/" in stem or "\x00" in stem:
        return False
    if len(stem) > MAX_NAME_BYTES or len(stem.encode("utf-8")) > MAX_NAME_BYTES:
        return False
    if WINDOWS and (_WINDOWS_FORBIDDEN.search(stem) or _DEVICE.match(stem.split(".", 1)[0])  # noqa: SIM103 - one rule per test
                    or (folder_name(stem) == stem and stem[-1] in ". ")):
        return False
    return True


def folder_name(stem: str) -> str:
    """The name of the artifacts folder of the session at ``stem``.

    The stem itself, but for ``""`` and ``"."`` (a3s-code's names of those
    ids: their files are ``.json`` and ``..json``), whose folder in a3s-code
    would be ``artifacts/`` itself; theirs is ``%F`` and ``%F%2E`` (no escaped
    name starts with ``%F``: upper-case letters are escaped).

    >>> folder_name("chat-1"), folder_name(""), folder_name(".")
    ('chat-1', '%F', '%F%2E')
    """
    return _FOLDERS_KEPT.get(stem, stem)


_FOLDERS_KEPT = {"": "%F", ".": "%F%2E"}


def candidates(identifier: str) -> list[str]:
    """The names an id may be stored under, in the order the store prefers them."""
    out = []
    rust = rust_stem(identifier)
    if usable(rust):
        out.append(rust)
    own = own_stem(identifier)
    if usable(own):
        out.append(own)
    out.append(hashed_stem(identifier))
    return out


def creatable(stem: str) -> bool:
    """Whether the store may make a new session file at ``stem``: any name but
    the two it keeps for the artifacts folders of the ids ``""`` and ``"."``
    (:func:`folder_name`), so that no session's folder is theirs.

    >>> creatable("%F"), creatable("a_b"), creatable("%41")
    (False, True, True)
    """
    return stem not in _FOLDERS_KEPT.values()


def folded(stem: str) -> str:
    """``stem`` as a disk that ignores case and normalisation compares it."""
    return unicodedata.normalize("NFC", stem).casefold()
