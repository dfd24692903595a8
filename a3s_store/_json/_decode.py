"""The reader: strict UTF-8 JSON with serde_json's limits (see the package docstring)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ..errors import CorruptDataError
from ._encode import MAX_DEPTH, find_surrogate

__all__ = ["decode", "container_limit", "FREE_CONTAINERS", "BYTES_PER_CONTAINER"]

_INF = math.inf


def _reject_constant(name: str) -> object:
    raise CorruptDataError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if value == _INF or value == -_INF:
        raise CorruptDataError(f"number {text[:40]} is out of range for a 64-bit float")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise CorruptDataError(f"duplicate key {key!r}")
            seen.add(key)
    return obj


_FAST = json.JSONDecoder(parse_float=_parse_float, parse_constant=_reject_constant)
_STRICT = json.JSONDecoder(
    parse_float=_parse_float,
    parse_constant=_reject_constant,
    object_pairs_hook=_no_duplicates,
)
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_CONTAINERS = frozenset((dict, list))


def _too_deep(value: Any) -> bool:
    """Whether ``value`` nests containers deeper than :data:`MAX_DEPTH`.

    Walks level by level without recursion; a container whose items hold
    no container is dismissed by a C-level type scan.
    """
    level = [value] if type(value) in _CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return True
        below: list[Any] = []
        extend = below.extend
        for container in level:
            items = container.values() if type(container) is dict else container
            if not _CONTAINERS.isdisjoint(map(type, items)):
                extend([x for x in items if type(x) is dict or type(x) is list])
        level = below
    return False


#: Containers (objects and arrays) a document may hold: this many, plus one per
#: :data:`BYTES_PER_CONTAINER` bytes. Each costs about 70 bytes of memory once
#: parsed, so a document of nothing but ``{}`` would take 25 times its size;
#: real sessions hold one container per 40 bytes or more.
FREE_CONTAINERS = 65536
BYTES_PER_CONTAINER = 8
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def container_limit(size: int) -> int:
    """How many objects and arrays a document of ``size`` bytes may hold."""
    return FREE_CONTAINERS + size // BYTES_PER_CONTAINER


def _check_containers(data: bytes) -> None:
    """Refuse a document whose objects and arrays would take far more memory
    than its size, before parsing it. Braces are counted at C speed; only
    when that count is over the limit (code in tool outputs has many) are the
    strings left out of the count, which is exact."""
    limit = container_limit(len(data))
    found = data.count(b"{") + data.count(b"[")
    if found <= limit:
        return
    for match in _STRING.finditer(data):  # no copy of the document: memory stays bounded
        text = match.group()
        found -= text.count(b"{") + text.count(b"[")
    if found > limit:
        raise CorruptDataError(
            f"document holds {found:,} objects and arrays in {len(data):,} bytes, more than "
            f"the {limit:,} its size allows (about {found * 70 >> 20:,} MiB to load); "
            "it is not a session a3s-code writes")


def decode(data: bytes, *, strict: bool = True) -> object:
    """Parse a JSON document from UTF-8 ``data``.

    Always rejected: invalid UTF-8, a UTF-8 byte order mark, UTF-16/32 text,
    ``NaN``/``Infinity``, numbers that overflow a 64-bit float (``1e400``),
    integers beyond Python's digit limit, nesting the parser cannot take
    (a ``RecursionError``),
    and anything after the document. With ``strict=True`` (the default) also
    duplicate keys in one object, strings holding unpaired surrogate escapes
    (``"\\ud800"``) and nesting deeper than :data:`MAX_DEPTH`, as serde_json
    does. ``strict=False`` is the
    fast path for files this package wrote and verified. Either way, a
    document holding more objects and arrays than :func:`container_limit`
    allows for its size is refused before it is parsed (it would take many
    times its size in memory).

    :raises CorruptDataError: for every failure; the message says what. The
        caller adds the file with ``err.located(path=...)``.

    >>> try:
    ...     decode(b"[1e400]")
    ... except CorruptDataError as error:
    ...     print(error)
    number 1e400 is out of range for a 64-bit float
    """
    if not isinstance(data, bytes):
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        else:
            raise TypeError(f"decode() needs bytes, got {type(data).__name__}")
    if data[:3] == b"\xef\xbb\xbf":
        raise CorruptDataError("document starts with a UTF-8 byte order mark")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        raise CorruptDataError("document is UTF-16 or UTF-32 encoded, not UTF-8")
    _check_containers(data)  # before the text exists: the refusal costs no more memory
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptDataError(f"invalid UTF-8 at byte {exc.start}") from None
    if not text.strip(" \t\n\r"):
        raise CorruptDataError("document is empty")
    try:
        value = (_STRICT if strict else _FAST).decode(text)
    except CorruptDataError:
        raise
    except json.JSONDecodeError as exc:
        raise CorruptDataError(
            f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise CorruptDataError("JSON nesting too deep") from None
    except MemoryError:
        raise CorruptDataError("document too large to parse") from None
    except ValueError as exc:  # e.g. the int digit limit
        raise CorruptDataError(f"invalid JSON: {exc}") from None
    if strict:
        if _too_deep(value):
            raise CorruptDataError(f"JSON nesting too deep (more than {MAX_DEPTH} levels)")
        if _ESCAPED_SURROGATE.search(data):
            path, bad = find_surrogate(value)
            if bad is not None:
                raise CorruptDataError(
                    "string holds an unpaired surrogate escape (not valid Unicode)", key=path
                )
    return value
