"""JSON in the exact bytes of serde_json, and a strict reader.

This is the only module of the package that imports :mod:`json`.

Writing: :func:`encode` reproduces ``serde_json::to_string_pretty`` byte for
byte: 2-space indent, ``": "`` between key and value, raw UTF-8 (non-ASCII is
not escaped), ``[]``/``{}`` for empty containers and no trailing newline.
Floats are printed the way Rust's ``ryu`` prints them, which is not Python's
``repr``; wrap a value in :class:`F32` when the Rust field is an ``f32``.

>>> print(encode({"a": [1, 2.0, None], "b": {}, "c": "é\\n", "d": 1e-06}))
{
  "a": [
    1,
    2.0,
    null
  ],
  "b": {},
  "c": "é\\n",
  "d": 1e-6
}
>>> format_f64(0.00001), format_f64(1e16), format_f32(0.8), format_f32(1e-7)
('0.00001', '1e16', '0.8', '1e-7')

:class:`Raw` splices text that is already encoded (at the nesting level where
it lands):

>>> print(encode({"m": [Raw(encode({"x": 1}, level=2))]}))
{
  "m": [
    {
      "x": 1
    }
  ]
}

Reading: :func:`decode` parses UTF-8 bytes and turns every failure into
:class:`~a3s_store.errors.CorruptDataError` (never a bare ``ValueError``,
``RecursionError`` or ``UnicodeDecodeError``):

>>> decode(b'{"id": "s-1", "n": [1, 2.5]}')
{'id': 's-1', 'n': [1, 2.5]}
>>> decode(b'{"id": 1, "id": 2}')
Traceback (most recent call last):
    ...
a3s_store.errors.CorruptDataError: duplicate key 'id'

Nesting limit: serde_json refuses to read documents nested 128 containers
deep, so :func:`encode` refuses values nested deeper than :data:`MAX_DEPTH`
(127): nothing a3s-code cannot read is ever written. ``decode(strict=True)``
refuses deeper documents too, on every Python version (a walk over the
containers after the parse, about a third of the parse's time).
``decode(strict=False)`` skips that walk: it is meant for files this package
wrote, which cannot be deeper; it still refuses what the parser's recursion
guard refuses (about 1,000 levels on CPython 3.11, more on 3.12+).
"""

from __future__ import annotations

import json
import math
import re
from json.encoder import encode_basestring as _encode_str  # C, ensure_ascii=False

from ._floats import format_f32, format_f64
from .errors import CorruptDataError, InvalidDataError

__all__ = [
    "F32",
    "MAX_DEPTH",
    "Raw",
    "decode",
    "encode",
    "encode_bytes",
    "encode_compact",
    "fingerprint",
    "format_f32",
    "format_f64",
]

#: Deepest nesting of arrays/objects that serde_json reads (its limit is 128).
MAX_DEPTH = 127


class F32(float):
    """A float that is written the way Rust prints an ``f32``.

    The value is rounded to the nearest ``f32`` when it is written, and the
    shortest digits that read back as that ``f32`` are printed:

    >>> encode(F32(0.72)), encode(0.72), encode(F32(0.1 + 0.2))
    ('0.72', '0.72', '0.3')
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"F32({format_f32(self)})"


class Raw(str):
    """JSON text that :func:`encode` inserts verbatim.

    The text must already be pretty-printed for the nesting level where it is
    inserted: its inner lines carry their full indentation (build it with
    ``encode(value, level=...)``). Nothing about it is checked.
    """

    __slots__ = ()


# ---------------------------------------------------------------- encoder

_INF = math.inf

_NEWLINE = ["\n" + "  " * i for i in range(MAX_DEPTH + 2)]
_COMMA = ["," + nl for nl in _NEWLINE]
_int_repr = int.__repr__


class _EncodeError(Exception):
    """Internal: carries the path (innermost first) while unwinding."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list = []


def _path_text(path: list) -> str | None:
    text = ""
    for part in reversed(path):
        if type(part) is int:
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or None


def _scalar(value: object, level: int) -> str:
    """Text of a non-container value (or of a container subclass)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Raw):
        return value
    if isinstance(value, str):
        return _encode_str(value)
    if isinstance(value, int):
        try:
            return _int_repr(value)
        except ValueError:
            raise _EncodeError("integer has too many digits to write") from None
    if isinstance(value, float):
        if value != value or value == _INF or value == -_INF:
            raise _EncodeError(f"cannot write the non-finite number {float(value)!r}")
        if isinstance(value, F32):
            try:
                return format_f32(value)
            except InvalidDataError as exc:
                raise _EncodeError(exc.message) from None
        return format_f64(value)
    if isinstance(value, (dict, list, tuple)):
        parts: list[str] = []
        _container(value, parts, level)
        return "".join(parts)
    raise _EncodeError(f"cannot write a value of type {type(value).__name__}")


def _container(value: object, parts: list, level: int) -> None:
    if isinstance(value, dict):
        _object(value, parts, level)
    else:
        _array(value, parts, level)  # type: ignore[arg-type]


def _object(obj: dict, parts: list, level: int) -> None:
    append = parts.append
    if level >= MAX_DEPTH:
        raise _EncodeError(f"nesting deeper than {MAX_DEPTH} levels")
    if not obj:
        append("{}")
        return
    inner = level + 1
    sep = "{" + _NEWLINE[inner]
    comma = _COMMA[inner]
    encode_str = _encode_str
    for key, value in obj.items():
        if type(key) is not str:
            if not isinstance(key, str) or isinstance(key, Raw):
                err = _EncodeError(
                    f"object keys must be strings, got {type(key).__name__} {key!r}"
                )
                raise err
        t = type(value)
        if t is str:
            append(f"{sep}{encode_str(key)}: {encode_str(value)}")
        elif t is int:
            append(f"{sep}{encode_str(key)}: {_int_repr(value)}")
        elif t is bool:
            append(f"{sep}{encode_str(key)}: {'true' if value else 'false'}")
        elif value is None:
            append(f"{sep}{encode_str(key)}: null")
        elif t is dict or t is list:
            append(f"{sep}{encode_str(key)}: ")
            try:
                if t is dict:
                    _object(value, parts, inner)
                else:
                    _array(value, parts, inner)
            except _EncodeError as err:
                err.path.append(key)
                raise
        elif t is Raw:
            append(f"{sep}{encode_str(key)}: {value}")
        else:
            try:
                text = _scalar(value, inner)
            except _EncodeError as err:
                err.path.append(key)
                raise
            append(f"{sep}{encode_str(key)}: {text}")
        sep = comma
    append(_NEWLINE[level] + "}")


def _array(items: list | tuple, parts: list, level: int) -> None:
    append = parts.append
    if level >= MAX_DEPTH:
        raise _EncodeError(f"nesting deeper than {MAX_DEPTH} levels")
    if not items:
        append("[]")
        return
    inner = level + 1
    sep = "[" + _NEWLINE[inner]
    comma = _COMMA[inner]
    encode_str = _encode_str
    for value in items:
        t = type(value)
        if t is str:
            append(sep + encode_str(value))
        elif t is Raw:
            append(sep + value)
        elif t is dict or t is list:
            append(sep)
            try:
                if t is dict:
                    _object(value, parts, inner)
                else:
                    _array(value, parts, inner)
            except _EncodeError as err:
                err.path.append(_index_of(items, value))
                raise
        elif t is int:
            append(sep + _int_repr(value))
        else:
            try:
                text = _scalar(value, inner)
            except _EncodeError as err:
                err.path.append(_index_of(items, value))
                raise
            append(sep + text)
        sep = comma
    append(_NEWLINE[level] + "]")


def _index_of(items: list | tuple, value: object) -> int:
    for index, item in enumerate(items):
        if item is value:
            return index
    return -1


def encode(value: object, *, level: int = 0) -> str:
    """Encode ``value`` exactly as serde_json's ``to_string_pretty`` would.

    ``level`` is the nesting level at which the value starts: its inner lines
    are indented by ``2*(level+1)`` spaces and its closing bracket by
    ``2*level`` (so the text can be spliced with :class:`Raw`).

    Accepts dict (string keys, insertion order kept), list, tuple, str, int,
    bool, float, :class:`F32`, ``None`` and :class:`Raw`.

    :raises InvalidDataError: for NaN or infinity, a non-string key, a value
        of another type, or nesting deeper than :data:`MAX_DEPTH`; ``key`` is
        the dotted path of the bad value.

    >>> encode({1: "a"})
    Traceback (most recent call last):
        ...
    a3s_store.errors.InvalidDataError: object keys must be strings, got int 1
    """
    if type(level) is not int or not 0 <= level <= MAX_DEPTH:
        raise ValueError(f"level must be an int in 0..{MAX_DEPTH}, got {level!r}")
    parts: list[str] = []
    try:
        t = type(value)
        if t is dict:
            _object(value, parts, level)  # type: ignore[arg-type]
        elif t is list:
            _array(value, parts, level)  # type: ignore[arg-type]
        else:
            parts.append(_scalar(value, level))
    except _EncodeError as err:
        raise InvalidDataError(err.message, key=_path_text(err.path)) from None
    except RecursionError:
        raise InvalidDataError("value nested too deeply to write") from None
    return "".join(parts)


def encode_bytes(value: object, *, level: int = 0) -> bytes:
    """:func:`encode` ``value`` and return UTF-8 bytes.

    :raises InvalidDataError: as :func:`encode`, and for a string holding a
        lone surrogate (not valid Unicode); the error names the string.
    """
    text = encode(value, level=level)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        path, bad = _find_surrogate(value)
        bad = bad or ""
        where = repr(bad) if len(bad) <= 60 else repr(bad[:57]) + "..."
        raise InvalidDataError(
            f"string {where} holds a lone surrogate (U+{ord(exc.object[exc.start]):04X})"
            " and is not valid Unicode",
            key=path,
        ) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _find_surrogate(value: object) -> tuple[str | None, str | None]:
    """Path and text of the first string (key or value) with a surrogate;
    ``(None, None)`` when there is none."""
    stack: list[tuple[object, list]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return _path_text(list(reversed(path))), item
        elif isinstance(item, dict):
            for key, sub in reversed(list(item.items())):
                if isinstance(key, str) and _SURROGATE.search(key):
                    return _path_text(list(reversed(path))), key
                stack.append((sub, path + [key]))
        elif isinstance(item, (list, tuple)):
            for index in range(len(item) - 1, -1, -1):
                stack.append((item[index], path + [index]))
    return None, None


# ---------------------------------------------------------------- decoder


def _reject_constant(name: str) -> object:
    raise CorruptDataError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if value == _INF or value == -_INF:
        raise CorruptDataError(f"number {text[:40]} is out of range for a 64-bit float")
    return value


def _no_duplicates(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set = set()
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


def _too_deep(value: object) -> bool:
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
        below: list = []
        extend = below.extend
        for container in level:
            items = container.values() if type(container) is dict else container
            if not _CONTAINERS.isdisjoint(map(type, items)):
                extend([x for x in items if type(x) is dict or type(x) is list])
        level = below
    return False


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
    fast path for files this package wrote and verified.

    :raises CorruptDataError: for every failure; the message says what. The
        caller adds the file with ``err.located(path=...)``.

    >>> decode(b"[1e400]")
    Traceback (most recent call last):
        ...
    a3s_store.errors.CorruptDataError: number 1e400 is out of range for a 64-bit float
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
            path, bad = _find_surrogate(value)
            if bad is not None:
                raise CorruptDataError(
                    "string holds an unpaired surrogate escape (not valid Unicode)", key=path
                )
    return value


def encode_compact(value: object) -> bytes:
    """Compact UTF-8 JSON (no spaces) for the store's own caches, such as the
    listing index: not an a3s-code file, so the fast C encoder is used."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as exc:
        raise InvalidDataError(f"cannot encode: {exc}") from None


def fingerprint(value: object) -> str:
    """A compact text that changes whenever ``value`` (plain JSON) changes,
    including key order and the type of a number; for change detection only."""
    return json.dumps(value, separators=(",", ":"), default=repr)
