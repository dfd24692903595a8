"""Error key paths and unknown keys, shared by the record modules (internal).

Errors carry ``key``, the dotted path inside the document (``a.b``,
``a[3].b``). It is built on the way out (:func:`nest`), so decoding pays
nothing for it until something is wrong.
"""

from __future__ import annotations

from typing import Any

from ..errors import CorruptDataError, InvalidDataError

MISSING: Any = object()


def describe(value: object) -> str:
    """How a value reads in an error message (JSON vocabulary)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def join_key(prefix: str, key: str | None) -> str:
    """``prefix`` + ``key`` as a dotted path (``a.b``, ``a[3].b``)."""
    if not key:
        return prefix
    if key[0] == "[":
        return prefix + key
    return f"{prefix}.{key}"


def nest(err: Any, prefix: str) -> Any:
    """Prefix ``err.key`` with ``prefix`` (a key or ``[i]``) and return it."""
    err.key = join_key(prefix, err.key)
    return err


def read_error(expected: str, value: object, key: str | None = None) -> CorruptDataError:
    return CorruptDataError(f"expected {expected}, found {describe(value)}", key=key)


def write_error(expected: str, value: object, key: str | None = None) -> InvalidDataError:
    return InvalidDataError(f"expected {expected}, got {describe(value)}", key=key)


def field_error(data: dict[str, Any], key: str, expected: str) -> CorruptDataError:
    """The read error for ``data[key]``: missing, or of the wrong type."""
    if key not in data:
        return CorruptDataError("missing required key", key=key)
    return read_error(expected, data[key], key)


def int_text(value: int) -> str:
    return str(value) if value.bit_length() < 200 else f"with {value.bit_length()} bits"


# ---------------------------------------------------------- unknown keys


def split_extra(data: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The keys of ``data`` that ``known`` does not name, in order."""
    if data.keys() <= known:
        return {}
    return {k: v for k, v in data.items() if k not in known}


def check_extra(extra: object, known: frozenset[str]) -> None:
    """Refuse an ``extra`` that is not a dict or that shadows a known key."""
    if type(extra) is not dict:
        raise InvalidDataError(
            f"extra must be a dict of unknown keys, got {type(extra).__name__}"
        )
    for key in extra:
        if type(key) is not str:
            raise InvalidDataError(f"extra keys must be strings, got {key!r}")
        if key in known:
            raise InvalidDataError(
                f"extra key {key!r} is a known key (or alias) of the record", key=key
            )


def merge_extra(out: dict[str, Any], extra: object, known: frozenset[str]) -> dict[str, Any]:
    """Append the unknown keys after the known ones (checked)."""
    check_extra(extra, known)
    out.update(extra)  # type: ignore[call-overload]  # check_extra proved it a dict
    return out
