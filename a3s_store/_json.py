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
(127): nothing a3s-code cannot read is ever written. :func:`decode` does not
count levels (that would cost as much as the parse); it refuses what the
parser's own recursion guard refuses (about 1,000 levels on CPython 3.11), so
a document nested between 128 and that many levels reads but cannot be
written back.
"""

from __future__ import annotations

import json
import math
import re
import struct
from json.encoder import encode_basestring as _encode_str  # C, ensure_ascii=False

from .errors import CorruptDataError, InvalidDataError

__all__ = [
    "F32",
    "MAX_DEPTH",
    "Raw",
    "decode",
    "encode",
    "encode_bytes",
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


# ----------------------------------------------------------------- floats

_INF = math.inf


def _layout(negative: bool, digits: str, exp: int, max_kk: int, min_kk: int) -> str:
    """Place ``digits * 10**exp`` the way ryu's ``format32``/``format64`` do."""
    sign = "-" if negative else ""
    length = len(digits)
    kk = length + exp  # 10**(kk-1) <= value < 10**kk
    if 0 <= exp and kk <= max_kk:
        return f"{sign}{digits}{'0' * exp}.0"
    if 0 < kk <= max_kk:
        return f"{sign}{digits[:kk]}.{digits[kk:]}"
    if min_kk < kk <= 0:
        return f"{sign}0.{'0' * -kk}{digits}"
    if length == 1:
        return f"{sign}{digits}e{kk - 1}"
    return f"{sign}{digits[0]}.{digits[1:]}e{kk - 1}"


def format_f64(x: float) -> str:
    """Return ``x`` as serde_json writes an ``f64`` (ryu's shortest digits).

    Fixed notation for 1e-5 <= |x| < 1e16, otherwise ``<digits>e<exp>``
    without ``+`` or exponent padding; integral values keep ``.0``.

    >>> [format_f64(v) for v in (2.0, -0.0, 1.5e-07, 1.2345678901234568e17)]
    ['2.0', '-0.0', '1.5e-7', '1.2345678901234568e17']
    """
    if x != x or x == _INF or x == -_INF:
        raise InvalidDataError(f"cannot write the non-finite number {float.__repr__(x)}")
    text = float.__repr__(x)
    if "e" not in text:
        # Python's fixed range (1e-4 <= |x| < 1e16) lies inside ryu's and
        # both print the same shortest round-trip digits the same way.
        return text
    mantissa, _, exponent = text.partition("e")
    negative = mantissa[0] == "-"
    if negative:
        mantissa = mantissa[1:]
    head, _, tail = mantissa.partition(".")
    digits = head + tail
    return _layout(negative, digits, int(exponent) - len(tail), 16, -5)


_FLOAT32 = struct.Struct("<f")
_UINT32 = struct.Struct("<I")


def _f32_bits(x: float) -> int:
    try:
        packed = _FLOAT32.pack(x)
    except (OverflowError, struct.error):
        raise InvalidDataError(
            f"the number {float.__repr__(x)} does not fit in an f32"
        ) from None
    return _UINT32.unpack(packed)[0]


def f32_fits(x: float) -> bool:
    """Whether ``x`` is finite and stays finite when rounded to an ``f32``."""
    if x != x or x == _INF or x == -_INF:
        return False
    try:
        _FLOAT32.pack(x)
    except (OverflowError, struct.error):
        return False
    return True


def _shortest_f32(bits: int) -> tuple[str, int]:
    """Shortest decimal ``(digits, exp)`` inside the f32's rounding interval.

    Exact integer arithmetic, the same contract as ryu's ``f2s``: shortest
    digit count first, then the candidate closest to the value (ties to
    even); interval bounds count only when the mantissa is even.
    """
    ieee_m = bits & 0x7FFFFF
    ieee_e = (bits >> 23) & 0xFF
    if ieee_e == 0:
        m, e2 = ieee_m, -149
    else:
        m, e2 = ieee_m | 0x800000, ieee_e - 150
    accept = m % 2 == 0
    mv = 4 * m
    mp = mv + 2
    mm = mv - (2 if (ieee_m != 0 or ieee_e <= 1) else 1)
    e2 -= 2  # every bound is (integer) * 2**e2
    # value = n * 2**e2: represent as fraction num/den with integer parts.
    if e2 >= 0:
        scale_num, den = 1 << e2, 1
    else:
        scale_num, den = 1, 1 << -e2
    lo_num, v_num, hi_num = mm * scale_num, mv * scale_num, mp * scale_num
    exp = math.floor(math.log10(hi_num / den)) + 1
    while True:
        if exp >= 0:
            step_num, step_den = 10**exp, 1
        else:
            step_num, step_den = 1, 10**-exp
        # candidate n satisfies lo <= n * 10**exp <= hi, i.e.
        # n >= lo_num * step_den / (den * step_num).
        d = den * step_num
        lo_q, lo_r = divmod(lo_num * step_den, d)
        hi_q, hi_r = divmod(hi_num * step_den, d)
        low = lo_q + (1 if lo_r or not accept else 0)
        high = hi_q if (hi_r or accept) else hi_q - 1
        if low <= high:
            q, r = divmod(v_num * step_den, d)
            twice = 2 * r
            if twice > d or (twice == d and q % 2 == 1):
                q += 1
            n = min(max(q, low), high)
            digits = str(n)
            stripped = digits.rstrip("0")
            return stripped, exp + (len(digits) - len(stripped))
        exp -= 1


def format_f32(x: float) -> str:
    """Return ``x`` rounded to an ``f32``, as serde_json writes an ``f32``.

    Shortest digits that read back as the same ``f32``; fixed notation for
    1e-6 <= |x| < 1e13.

    >>> [format_f32(v) for v in (0.8, 0.0005, 1e13, 3.4028234663852886e38)]
    ['0.8', '0.0005', '1e13', '3.4028235e38']
    """
    if x != x or x == _INF or x == -_INF:
        raise InvalidDataError(f"cannot write the non-finite number {float.__repr__(x)}")
    bits = _f32_bits(x)
    negative = bool(bits >> 31)
    if bits & 0x7FFFFFFF == 0:
        return "-0.0" if negative else "0.0"
    digits, exp = _shortest_f32(bits & 0x7FFFFFFF)
    return _layout(negative, digits, exp, 13, -6)


# ---------------------------------------------------------------- encoder

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
        where = repr(bad) if len(bad) <= 60 else repr(bad[:57]) + "..."
        raise InvalidDataError(
            f"string {where} holds a lone surrogate (U+{ord(exc.object[exc.start]):04X})"
            " and is not valid Unicode",
            key=path,
        ) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _find_surrogate(value: object) -> tuple[str | None, str]:
    """Path and text of the first string (key or value) with a surrogate."""
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
    return None, ""


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
def _check_surrogates(value: object) -> None:
    stack = [(value, "")]
    while stack:
        item, path = stack.pop()
        if type(item) is str:
            if _SURROGATE.search(item):
                raise CorruptDataError(
                    "string holds an unpaired surrogate escape (not valid Unicode)",
                    key=path or None,
                )
        elif type(item) is dict:
            for key, sub in item.items():
                sub_path = f"{path}.{key}" if path else key
                if _SURROGATE.search(key):
                    raise CorruptDataError(
                        "object key holds an unpaired surrogate escape (not valid Unicode)",
                        key=path or None,
                    )
                if type(sub) is str or type(sub) is dict or type(sub) is list:
                    stack.append((sub, sub_path))
        elif type(item) is list:
            for index, sub in enumerate(item):
                if type(sub) is str or type(sub) is dict or type(sub) is list:
                    stack.append((sub, f"{path}[{index}]"))


def decode(data: bytes, *, strict: bool = True) -> object:
    """Parse a JSON document from UTF-8 ``data``.

    Always rejected: invalid UTF-8, a UTF-8 byte order mark, UTF-16/32 text,
    ``NaN``/``Infinity``, numbers that overflow a 64-bit float (``1e400``),
    integers beyond Python's digit limit, nesting the parser cannot take,
    and anything after the document. With ``strict=True`` (the default) also
    duplicate keys in one object and strings holding unpaired surrogate
    escapes (``"\\ud800"``), as serde_json does. ``strict=False`` is the fast path for files this package wrote.

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
    if strict and _ESCAPED_SURROGATE.search(data):
        _check_surrogates(value)
    return value
