"""The writer: serde_json's exact pretty bytes (see the package docstring)."""

from __future__ import annotations

import json
import math
import re
from json.encoder import encode_basestring as _encode_str  # C, ensure_ascii=False
from typing import Any

from .._floats import format_f32, format_f64
from ..errors import InvalidDataError

__all__ = ["F32", "MAX_DEPTH", "Raw", "encode", "encode_bytes", "encode_compact",
           "find_surrogate"]


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
        self.path: list[str | int] = []


def _path_text(path: list[str | int]) -> str | None:
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


def _container(value: object, parts: list[str], level: int) -> None:
    if isinstance(value, dict):
        _object(value, parts, level)
    else:
        _array(value, parts, level)  # type: ignore[arg-type]  # a list or tuple here


def _object(obj: dict[str, Any], parts: list[str], level: int) -> None:
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
        if type(key) is not str and (not isinstance(key, str) or isinstance(key, Raw)):
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


def _array(items: list[Any] | tuple[Any, ...], parts: list[str], level: int) -> None:
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


def _index_of(items: list[Any] | tuple[Any, ...], value: object) -> int:
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

    >>> try:
    ...     encode({1: "a"})
    ... except InvalidDataError as error:
    ...     print(error)
    object keys must be strings, got int 1
    """
    if type(level) is not int or not 0 <= level <= MAX_DEPTH:
        raise ValueError(f"level must be an int in 0..{MAX_DEPTH}, got {level!r}")
    parts: list[str] = []
    try:
        t = type(value)
        if t is dict:
            _object(value, parts, level)  # type: ignore[arg-type]  # type() is dict
        elif t is list:
            _array(value, parts, level)  # type: ignore[arg-type]  # type() is list
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
        path, bad = find_surrogate(value)
        bad = bad or ""
        where = repr(bad) if len(bad) <= 60 else repr(bad[:57]) + "..."
        raise InvalidDataError(
            f"string {where} holds a lone surrogate (U+{ord(exc.object[exc.start]):04X})"
            " and is not valid Unicode",
            key=path,
        ) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def find_surrogate(value: object) -> tuple[str | None, str | None]:
    """Path and text of the first string (key or value) with a surrogate;
    ``(None, None)`` when there is none."""
    stack: list[tuple[object, list[str | int]]] = [(value, [])]
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


def encode_compact(value: object) -> bytes:
    """Compact UTF-8 JSON (no spaces) for the store's own caches, such as the
    listing index: not an a3s-code file, so the fast C encoder is used."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as exc:
        raise InvalidDataError(f"cannot encode: {exc}") from None
