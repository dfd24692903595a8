"""Converters: one JSON type each, checked both ways (internal).

``read`` checks a decoded JSON value and raises :class:`CorruptDataError`;
``write`` checks a Python value and raises :class:`InvalidDataError`. Both
leave ``key`` unset for the caller to fill in.
"""

from __future__ import annotations

import enum
from typing import Any, Generic, Protocol, TypeVar

from .._floats import f32_fits
from .._json import F32
from ..errors import CorruptDataError, InvalidDataError
from ._keys import int_text, nest, read_error, write_error

E = TypeVar("E", bound=enum.Enum)


class JsonRecord(Protocol):
    """What :class:`RecordConv` needs of a nested record class."""

    @classmethod
    def from_dict(cls, data: Any) -> Any: ...

    def to_dict(self) -> dict[str, Any]: ...

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
            checked: int = value  # an int by now (mypy cannot narrow Any on type())
            return checked
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
        finite: float = value
        return finite


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

    def read(self, value: Any) -> dict[str, Any]:
        if type(value) is dict:
            return value
        raise read_error("an object", value)

    def write(self, value: Any) -> dict[str, Any]:
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


class EnumConv(Conv, Generic[E]):
    """A unit-only Rust enum written as a string."""

    __slots__ = ("cls", "members", "choices")

    def __init__(self, cls: type[E]) -> None:
        self.cls = cls
        self.members: dict[str, E] = {m.value: m for m in cls}
        self.choices = ", ".join(repr(v) for v in self.members)

    def read(self, value: Any) -> E:
        if type(value) is str:
            member = self.members.get(value)
            if member is not None:
                return member
            raise CorruptDataError(f"unknown variant {value!r}, expected one of {self.choices}")
        raise read_error("a string", value)

    def coerce(self, value: Any) -> E:
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
        text: str = self.coerce(value).value  # the enums here are str-valued
        return text


class RecordConv(Conv):
    """A nested record (its own ``from_dict``/``to_dict``)."""

    __slots__ = ("cls",)

    def __init__(self, cls: type[JsonRecord]) -> None:
        self.cls = cls

    def read(self, value: Any) -> Any:
        return self.cls.from_dict(value)

    def write(self, value: Any) -> dict[str, Any]:
        if isinstance(value, self.cls):
            return value.to_dict()
        raise write_error(f"a {self.cls.__name__}", value)


class ListConv(Conv):
    """A JSON array of ``inner``."""

    __slots__ = ("inner",)

    def __init__(self, inner: Conv) -> None:
        self.inner = inner

    def read(self, value: Any) -> list[Any]:
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

    def write(self, value: Any) -> list[Any]:
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

    def read(self, value: Any) -> dict[str, Any]:
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

    def write(self, value: Any) -> dict[str, Any]:
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
