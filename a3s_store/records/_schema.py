"""Record schemas: the JSON object of a record class, declared once (internal).

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
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from ..errors import CorruptDataError, InvalidDataError
from ._fields import Conv, EnumConv
from ._keys import MISSING, merge_extra, nest, read_error, split_extra

T = TypeVar("T")
R = TypeVar("R", bound="Record")

REQUIRED = "required"
DEFAULT = "default"
NULLABLE = "nullable"
SKIP_NONE = "skip_none"
SKIP_EMPTY = "skip_empty"
READ_ONLY = "read_only"


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

    def read(self, cls: type[T], data: Any) -> T:
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

    def write(self, obj: Any, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON object of ``obj``; :class:`InvalidDataError` if bad."""
        out: dict[str, Any] = {}
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
                member = f.conv.coerce(value)  # type: ignore[attr-defined]  # an EnumConv
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

    def to_dict(self) -> dict[str, Any]:
        """Return this record as a JSON object, keys in Rust's order.

        Unknown keys read from a file (``extra``) follow the known ones.
        Opaque values are shared with the record, not copied.

        :raises InvalidDataError: a value of the wrong type or out of range;
            ``key`` names it.
        """
        return self._schema.write(self)

    @classmethod
    def from_dict(cls: type[R], data: Any) -> R:
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
