"""Ids to file names and back.

Two kinds of names share a folder:

* **Plain names.** An id made only of ASCII letters, digits, ``-``, ``_`` and
  dots that neither start nor end the id nor stand two in a row, at most
  :data:`MAX_NAME_BYTES` long and not a Windows device name (``CON``,
  ``nul.txt``...), is its own file name: exactly what a3s-code-core 3.3/3.4
  writes, so directories written by a3s-code open as they are.
* **Escaped names.** Every other id is written as ``%`` followed by its
  UTF-8 bytes, with ``a-z 0-9 - _`` kept and every other byte as ``%XX``
  (upper-case hex). A plain name never contains ``%``, so the two kinds
  cannot meet; escaped names never end in a dot or a space, are never a
  device name, keep separators and drive letters out, and two ids never map
  to names that differ only by case or Unicode normalisation (letters are
  lower-case, escapes upper-case, non-ASCII is always escaped).

>>> file_stem("session-1")
'session-1'
>>> file_stem("tenant/Session 1")
'%tenant%2F%53ession%201'
>>> id_from_stem('%tenant%2F%53ession%201')
'tenant/Session 1'
>>> legacy_stem("foo/bar\\\\baz..qux")
'foo_bar_baz_qux'

Ids that cannot become a name (not a string, not valid Unicode, or longer
than :data:`MAX_NAME_BYTES` once escaped) raise :class:`InvalidIdError`
before any I/O.
"""

from __future__ import annotations

import re

from .errors import InvalidIdError

__all__ = ["MAX_NAME_BYTES", "file_stem", "id_from_stem", "is_plain", "legacy_stem"]

#: Longest stem (file name without ``.json``) the store writes. 255 bytes is
#: the usual limit of a name; this leaves room for ``.json`` and for the
#: temporary suffix a3s-code appends when it rewrites the same file.
MAX_NAME_BYTES = 200

_PLAIN = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\Z")
_DEVICE = re.compile(r"(?:con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)\Z", re.IGNORECASE)
_KEEP = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_")
_ESCAPED = re.compile(r"%(?:[a-z0-9_-]|%[0-9A-F]{2})*\Z")
_ESCAPE_TABLE = [chr(b) if b in _KEEP else "%%%02X" % b for b in range(256)]


def _check_type(identifier: object, kind: str) -> str:
    if type(identifier) is not str:
        if isinstance(identifier, str):  # a str subclass: use its plain value
            return str.__str__(identifier)  # not str(): a subclass's __str__ may lie
        raise InvalidIdError(
            f"{kind} id must be a str, not {type(identifier).__name__}",
            session_id=identifier if kind == "session" else None,
        )
    return identifier


def is_plain(identifier: str) -> bool:
    """True when ``identifier`` is stored under its own name (a3s-code's name)."""
    return (
        len(identifier) <= MAX_NAME_BYTES
        and _PLAIN.match(identifier) is not None
        and _DEVICE.match(identifier.split(".", 1)[0]) is None
    )


def file_stem(identifier: object, kind: str = "session") -> str:
    """The file stem for an id; raises :class:`InvalidIdError` when there is none."""
    identifier = _check_type(identifier, kind)
    if is_plain(identifier):
        return identifier
    if len(identifier) > MAX_NAME_BYTES:  # every character takes at least a byte
        raise _too_long(identifier, kind, len(identifier.encode("utf-8", "replace")))
    try:
        raw = identifier.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidIdError(
            f"{kind} id is not valid Unicode (lone surrogate at index {exc.start})",
            session_id=identifier if kind == "session" else None,
        ) from None
    stem = "%" + "".join([_ESCAPE_TABLE[b] for b in raw])
    if len(stem) > MAX_NAME_BYTES:
        raise _too_long(identifier, kind, len(stem))
    return stem


def _too_long(identifier: str, kind: str, size: int) -> InvalidIdError:
    return InvalidIdError(
        f"{kind} id is too long: its file name would take {size} bytes, "
        f"the limit is {MAX_NAME_BYTES}",
        session_id=identifier[:40] + "..." if kind == "session" else None,
    )


def id_from_stem(stem: str) -> str | None:
    """The id stored under ``stem``, or None when no id maps to it.

    Only canonical names decode, so ``id_from_stem(file_stem(x)) == x`` and
    a stray file whose name merely looks escaped is not taken for a session.
    """
    if stem[:1] == "%":
        if _ESCAPED.match(stem) is None:
            return None
        out = bytearray()
        i, n = 1, len(stem)
        while i < n:
            c = stem[i]
            if c == "%":
                out.append(int(stem[i + 1 : i + 3], 16))
                i += 3
            else:
                out.append(ord(c))
                i += 1
        try:
            identifier = out.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if is_plain(identifier) or file_stem(identifier) != stem:
            return None
        return identifier
    return stem if is_plain(stem) else None


def legacy_stem(identifier: str) -> str | None:
    """The stem a3s-code-core 3.3/3.4 used for ``identifier``, when it differs.

    Rust replaced ``/`` and ``\\`` with ``_`` and then ``..`` with ``_``; that
    mapping is lossy, so a file found under it is used only when the id
    inside proves it belongs to ``identifier``. None when the Rust name is
    the plain name, or is not a usable single file name here.
    """
    if is_plain(identifier):
        return None
    stem = identifier.replace("/", "_").replace("\\", "_").replace("..", "_")
    if (
        not stem
        or stem in (".", "..")
        or "\x00" in stem
        or len(stem.encode("utf-8", "surrogatepass")) > 250
    ):
        return None
    try:
        stem.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return stem
