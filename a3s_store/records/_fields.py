"""Field specifications shared by the record modules (internal).

Each record class describes its JSON object once, as a :class:`Schema`: a
list of :class:`Field` in Rust declaration order, each with a converter (the
JSON type, checked both ways) and a presence rule (the serde attributes):

* ``REQUIRED``   no ``#[serde(default)]``: missing on read is an error;
* ``DEFAULT``    ``#[serde(default)]``: missing reads as the default, always
  written; ``null`` is a type error, as in serde;
* ``NULLABLE``   ``Option<T>`` without skip: missing or ``null`` reads as
  None, None is written as ``null``;
* ``SKIP_NONE``  ``Option<T>`` with ``skip_serializing_if = "Option::is_none"``;
* ``SKIP_EMPTY`` ``Vec<T>`` with ``default`` and ``skip_serializing_if =
  "Vec::is_empty"``;
* ``READ_ONLY``  ``skip_serializing`` + ``default`` (``api_key``).

Errors carry ``key``, the dotted path inside the document; it is built on
the way out (``nest``) so the happy path pays nothing for it.
"""

from __future__ import annotations

import enum
from typing import Any, Callable, ClassVar

from .._json import F32, f32_fits
from ..errors import CorruptDataError, InvalidDataError

MISSING: Any = object()

REQUIRED = "required"
DEFAULT = "default"
NULLABLE = "nullable"
SKIP_NONE = "skip_none"
SKIP_EMPTY = "skip_empty"
READ_ONLY = "read_only"


# ----------------------------------------------------------------- errors


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


def field_error(data: dict, key: str, expected: str) -> CorruptDataError:
    """The read error for ``data[key]``: missing, or of the wrong type."""
    if key not in data:
        return CorruptDataError("missing required key", key=key)
    return read_error(expected, data[key], key)


def int_text(value: int) -> str:
    return str(value) if value.bit_length() < 200 else f"with {value.bit_length()} bits"


# ---------------------------------------------------------- unknown keys


def split_extra(data: dict, known: frozenset) -> dict:
    """The keys of ``data`` that ``known`` does not name, in order."""
    if data.keys() <= known:
        return {}
    return {k: v for k, v in data.items() if k not in known}


def check_extra(extra: object, known: frozenset) -> None:
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


def merge_extra(out: dict, extra: object, known: frozenset) -> dict:
    """Append the unknown keys after the known ones (checked)."""
    check_extra(extra, known)
    out.update(extra)  # type: ignore[call-overload]
    return out


# -------------------------------------------------------------- converters


class Conv:
    """A JSON type: ``read`` checks decoded JSON, ``write`` checks Python."""

    __slots__ = ()

    def read(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def write(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class _Str(Conv):
    __slots__ = ()

    def read(self, value: Any) -> str:
        if type(value) is str:
            return value
        raise read_error("a string", value)

    def write(self, value: Any) -> str:
        if type(value) is str:
            return value
        if isinstance(value, str):
            return str.__str__(value)
        raise write_error("a string", value)


class _Bool(Conv):
    __slots__ = ()

    def read(self, value: Any) -> bool:
        if type(value) is bool:
            return value
        raise read_error("a boolean", value)

    def write(self, value: Any) -> bool:
        if type(value) is bool:
            return value
        raise write_error("a boolean", value)


class Int(Conv):
    """An integer in ``lo..=hi`` (a Rust ``u32``/``u64``/``i32``/``i64``)."""

    __slots__ = ("name", "lo", "hi")

    def __init__(self, name: str, lo: int, hi: int) -> None:
        self.name, self.lo, self.hi = name, lo, hi

    def read(self, value: Any) -> int:
        if type(value) is int:
            if self.lo <= value <= self.hi:
                return value
            raise CorruptDataError(f"integer {int_text(value)} is out of range for {self.name}")
        raise read_error(f"an integer ({self.name})", value)

    def write(self, value: Any) -> int:
        if type(value) is not int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise write_error(f"an integer ({self.name})", value)
            value = int(value)
        if self.lo <= value <= self.hi:
            return value
        raise InvalidDataError(f"integer {int_text(value)} is out of range for {self.name}")


class _F64(Conv):
    __slots__ = ()

    def read(self, value: Any) -> float:
        t = type(value)
        if t is float or (t is not bool and isinstance(value, float)):  # F32 too
            if value - value == 0.0:  # finite
                return float(value)
        elif t is int:
            try:
                return float(value)
            except OverflowError:
                pass
        else:
            raise read_error("a number", value)
        raise CorruptDataError("number is out of range for a 64-bit float")

    def write(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise write_error("a number", value)
        try:
            value = float(value)
        except OverflowError:
            value = float("inf")
        if value - value != 0.0:
            raise InvalidDataError(f"cannot write the non-finite number {value!r}")
        return value


class _F32(Conv):
    __slots__ = ()

    def read(self, value: Any) -> float:
        number = F64.read(value)
        if not f32_fits(number):
            raise CorruptDataError("number is out of range for a 32-bit float")
        return number

    def write(self, value: Any) -> F32:
        number = F64.write(value)
        if not f32_fits(number):
            raise InvalidDataError(f"the number {number!r} does not fit in a 32-bit float")
        return F32(number)


class _Opaque(Conv):
    """Any JSON value, passed through untouched (checked by the encoder)."""

    __slots__ = ()

    def read(self, value: Any) -> Any:
        return value

    def write(self, value: Any) -> Any:
        return value


class _Object(Conv):
    """An opaque JSON object (its keys are not looked at)."""

    __slots__ = ()

    def read(self, value: Any) -> dict:
        if type(value) is dict:
            return value
        raise read_error("an object", value)

    def write(self, value: Any) -> dict:
        if isinstance(value, dict):
            return value
        raise write_error("an object", value)


STR = _Str()
BOOL = _Bool()
U32 = Int("u32", 0, 2**32 - 1)
U64 = Int("u64", 0, 2**64 - 1)
I32 = Int("i32", -(2**31), 2**31 - 1)
I64 = Int("i64", -(2**63), 2**63 - 1)
F64 = _F64()
F32_ = _F32()
OPAQUE = _Opaque()
OBJECT = _Object()


class EnumConv(Conv):
    """A unit-only Rust enum written as a string."""

    __slots__ = ("cls", "members", "choices")

    def __init__(self, cls: type[enum.Enum]) -> None:
        self.cls = cls
        self.members = {m.value: m for m in cls}
        self.choices = ", ".join(repr(v) for v in self.members)

    def read(self, value: Any) -> enum.Enum:
        if type(value) is str:
            member = self.members.get(value)
            if member is not None:
                return member
            raise CorruptDataError(f"unknown variant {value!r}, expected one of {self.choices}")
        raise read_error("a string", value)

    def coerce(self, value: Any) -> Any:
        """A member for a member or a known value string; else raise."""
        if isinstance(value, self.cls):
            return value
        if isinstance(value, str):
            member = self.members.get(str.__str__(value))
            if member is not None:
                return member
            raise InvalidDataError(
                f"unknown {self.cls.__name__} {value!r}, expected one of {self.choices}"
            )
        raise write_error(f"a {self.cls.__name__} or one of {self.choices}", value)

    def write(self, value: Any) -> str:
        return self.coerce(value).value


class RecordConv(Conv):
    """A nested record (its own ``from_dict``/``to_dict``)."""

    __slots__ = ("cls",)

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def read(self, value: Any) -> Any:
        return self.cls.from_dict(value)

    def write(self, value: Any) -> dict:
        if isinstance(value, self.cls):
            return value.to_dict()
        raise write_error(f"a {self.cls.__name__}", value)


class ListConv(Conv):
    """A JSON array of ``inner``."""

    __slots__ = ("inner",)

    def __init__(self, inner: Conv) -> None:
        self.inner = inner

    def read(self, value: Any) -> list:
        if type(value) is not list:
            raise read_error("an array", value)
        read = self.inner.read
        out = []
        for index, item in enumerate(value):
            try:
                out.append(read(item))
            except CorruptDataError as err:
                raise nest(err, f"[{index}]")
        return out

    def write(self, value: Any) -> list:
        if not isinstance(value, (list, tuple)):
            raise write_error("a list", value)
        write = self.inner.write
        out = []
        for index, item in enumerate(value):
            try:
                out.append(write(item))
            except InvalidDataError as err:
                raise nest(err, f"[{index}]")
        return out


class EnumKeyMapConv(Conv):
    """A JSON object whose keys are the values of an enum (Rust ``HashMap``).

    Keys are kept as plain strings, in the order read or given.
    """

    __slots__ = ("keys", "inner")

    def __init__(self, keys: type[enum.Enum], inner: Conv) -> None:
        self.keys = EnumConv(keys)
        self.inner = inner

    def read(self, value: Any) -> dict:
        if type(value) is not dict:
            raise read_error("an object", value)
        out = {}
        for key, item in value.items():
            try:
                self.keys.read(key)
                out[key] = self.inner.read(item)
            except CorruptDataError as err:
                raise nest(err, key)
        return out

    def write(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise write_error("a dict", value)
        out = {}
        for key, item in value.items():
            try:
                name = self.keys.write(key)
            except InvalidDataError as err:
                raise nest(err, str(key))
            try:
                out[name] = self.inner.write(item)
            except InvalidDataError as err:
                raise nest(err, name)
        return out


# ----------------------------------------------------------------- schema


class Field:
    """One key of a record: attribute, JSON key, converter, presence rule."""

    __slots__ = ("attr", "key", "conv", "mode", "default", "alias")

    def __init__(
        self,
        attr: str,
        conv: Conv,
        mode: str = REQUIRED,
        *,
        key: str | None = None,
        default: Callable[[], Any] | None = None,
        alias: str | None = None,
    ) -> None:
        self.attr = attr
        self.key = key or attr
        self.conv = conv
        self.mode = mode
        if default is None and mode == SKIP_EMPTY:
            default = list
        if default is None and mode == DEFAULT:
            raise TypeError(f"field {attr!r} needs a default")
        self.default = default
        self.alias = alias


class Schema:
    """The JSON object of one record class (see the module docstring)."""

    __slots__ = ("fields", "known", "enums")

    def __init__(self, fields: list[Field]) -> None:
        self.fields = tuple(fields)
        names = set()
        for f in fields:
            names.add(f.key)
            if f.alias:
                names.add(f.alias)
        self.known = frozenset(names)
        self.enums = tuple(f for f in fields if isinstance(f.conv, EnumConv))

    def read(self, cls: type, data: Any) -> Any:
        """Build ``cls`` from decoded JSON; :class:`CorruptDataError` if bad."""
        if type(data) is not dict:
            raise read_error("an object", data)
        kwargs = {}
        for f in self.fields:
            key = f.key
            raw = data.get(key, MISSING)
            if f.alias is not None and f.alias in data:
                if raw is not MISSING:
                    raise CorruptDataError(
                        f"duplicate field: {key!r} and its alias {f.alias!r} are both given",
                        key=f.alias,
                    )
                key = f.alias
                raw = data[key]
            mode = f.mode
            if raw is MISSING:
                if mode is REQUIRED:
                    raise CorruptDataError("missing required key", key=key)
                kwargs[f.attr] = f.default() if f.default is not None else None
                continue
            if raw is None and (mode is NULLABLE or mode is SKIP_NONE or mode is READ_ONLY):
                kwargs[f.attr] = None
                continue
            try:
                kwargs[f.attr] = f.conv.read(raw)
            except CorruptDataError as err:
                raise nest(err, key)
        kwargs["extra"] = split_extra(data, self.known)
        return cls(**kwargs)

    def write(self, obj: Any, overrides: dict | None = None) -> dict:
        """The JSON object of ``obj``; :class:`InvalidDataError` if bad."""
        out: dict = {}
        for f in self.fields:
            mode = f.mode
            if mode is READ_ONLY:
                continue
            if overrides is not None and f.attr in overrides:
                out[f.key] = overrides[f.attr]
                continue
            value = getattr(obj, f.attr)
            if value is None:
                if mode is NULLABLE:
                    out[f.key] = None
                    continue
                if mode is SKIP_NONE:
                    continue
            elif mode is SKIP_EMPTY and isinstance(value, (list, tuple)) and not value:
                continue
            try:
                out[f.key] = f.conv.write(value)
            except InvalidDataError as err:
                raise nest(err, f.key)
        extra = obj.extra
        if extra or type(extra) is not dict:
            merge_extra(out, extra, self.known)
        return out

    def coerce(self, obj: Any) -> None:
        """Turn enum value strings given to the constructor into members."""
        for f in self.enums:
            value = getattr(obj, f.attr)
            if value is None and f.mode in (NULLABLE, SKIP_NONE):
                continue
            try:
                member = f.conv.coerce(value)  # type: ignore[attr-defined]
            except InvalidDataError as err:
                raise nest(err, f.key)
            if member is not value:
                setattr(obj, f.attr, member)


class Record:
    """Base of the mutable record classes: ``to_dict``/``from_dict`` via
    the class's :class:`Schema` (``_schema``)."""

    __slots__ = ()
    _schema: ClassVar[Schema]

    def __post_init__(self) -> None:
        self._schema.coerce(self)

    def to_dict(self) -> dict:
        """Return this record as a JSON object, keys in Rust's order.

        Unknown keys read from a file (``extra``) follow the known ones.
        Opaque values are shared with the record, not copied.

        :raises InvalidDataError: a value of the wrong type or out of range;
            ``key`` names it.
        """
        return self._schema.write(self)

    @classmethod
    def from_dict(cls, data: Any) -> Any:
        """Build the record from a decoded JSON object.

        Missing keys with a serde default take it; keys the record does not
        know are kept in ``extra``.

        :raises CorruptDataError: a missing required key, a wrong type, an
            unknown enum value or an integer out of range; ``key`` is the
            dotted path of the bad value.
        """
        return cls._schema.read(cls, data)


class StrEnum(str, enum.Enum):
    """A str-valued enum whose ``str()`` and ``format()`` give the value."""

    def __str__(self) -> str:
        return str.__str__(self.value)

    def __format__(self, spec: str) -> str:
        return format(str.__str__(self.value), spec)
