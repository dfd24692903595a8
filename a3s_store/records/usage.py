"""Token usage, context usage, the model config and LLM cost records.

``LlmCostRecord.timestamp`` is the only string timestamp of the format. It
is kept as the RFC 3339 text that chrono writes (``Z``, 0/3/6/9 fraction
digits, nanoseconds kept); any offset read is converted to UTC:

>>> normalize_timestamp("2026-05-23T12:11:12.5+02:00")
'2026-05-23T10:11:12.500Z'
>>> from datetime import datetime, timezone
>>> timestamp_from_datetime(datetime(2026, 5, 23, 10, 11, 12, tzinfo=timezone.utc))
'2026-05-23T10:11:12Z'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import CorruptDataError, InvalidDataError
from ._fields import F32_, F64, STR, U64, Conv
from ._keys import read_error, write_error
from ._schema import NULLABLE, READ_ONLY, REQUIRED, Field, Record, Schema

__all__ = [
    "ContextUsage",
    "LlmConfigData",
    "LlmCostRecord",
    "TokenUsage",
    "normalize_timestamp",
    "timestamp_from_datetime",
]


@dataclass(slots=True, kw_only=True)
class ContextUsage(Record):
    """How full the context window is; all four keys are required on read.

    ``percent`` is an ``f32`` in Rust.
    """

    used_tokens: int = 0
    max_tokens: int = 200000
    percent: float = 0.0
    turns: int = 0
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


ContextUsage._schema = Schema(
    [
        Field("used_tokens", U64),
        Field("max_tokens", U64),
        Field("percent", F32_),
        Field("turns", U64),
    ]
)


@dataclass(slots=True, kw_only=True)
class TokenUsage(Record):
    """Token counts; the two cache counters are written as ``null`` when None."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


TokenUsage._schema = Schema(
    [
        Field("prompt_tokens", U64),
        Field("completion_tokens", U64),
        Field("total_tokens", U64),
        Field("cache_read_tokens", U64, NULLABLE),
        Field("cache_write_tokens", U64, NULLABLE),
    ]
)


@dataclass(slots=True, kw_only=True)
class LlmConfigData(Record):
    """The session's model: ``provider``, ``model``, ``base_url``.

    ``api_key`` is read from a (hand-edited) file but never written: it
    never reaches :meth:`to_dict` (and is hidden from ``repr``).
    """

    provider: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


LlmConfigData._schema = Schema(
    [
        Field("provider", STR),
        Field("model", STR),
        Field("api_key", STR, READ_ONLY),
        Field("base_url", STR, NULLABLE),
    ]
)


# ------------------------------------------------------------- timestamps

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z"
)


def _format(moment: datetime, nanos: int, leap: bool) -> str:
    if nanos == 0:
        fraction = ""
    elif nanos % 1_000_000 == 0:
        fraction = f".{nanos // 1_000_000:03d}"
    elif nanos % 1_000 == 0:
        fraction = f".{nanos // 1_000:06d}"
    else:
        fraction = f".{nanos:09d}"
    second = 60 if leap else moment.second
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{second:02d}{fraction}Z"
    )


def normalize_timestamp(text: str) -> str:
    """Return RFC 3339 ``text`` the way chrono writes a ``DateTime<Utc>``.

    UTC with ``Z``; the fraction has 0, 3, 6 or 9 digits (the shortest that
    is exact; digits past nanoseconds are dropped, as chrono does). Accepts
    ``T``/``t``/space between date and time and ``Z``/``z``/``±hh:mm``.

    :raises ValueError: (an :class:`InvalidDataError`) when ``text`` is not
        such a timestamp or falls outside years 1 to 9999.
    """
    if not isinstance(text, str):
        raise InvalidDataError(f"expected an RFC 3339 string, got {type(text).__name__}")
    match = _RFC3339.match(text)
    if match is None:
        raise InvalidDataError(f"not an RFC 3339 timestamp: {text[:60]!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction = match.group(7) or ""
    nanos = int((fraction + "000000000")[:9])
    leap = second == 60
    try:
        if hour > 23 or minute > 59 or second > 60:
            raise ValueError("time out of range")
        moment = datetime(year, month, day, hour, minute, 59 if leap else second)
        if match.group(9):
            off_h, off_m = int(match.group(10)), int(match.group(11))
            if off_h > 23 or off_m > 59:
                raise ValueError("offset out of range")
            offset = timedelta(hours=off_h, minutes=off_m)
            moment = moment - offset if match.group(9) == "+" else moment + offset
    except (ValueError, OverflowError):
        raise InvalidDataError(f"not a valid RFC 3339 timestamp: {text[:60]!r}") from None
    return _format(moment, nanos, leap)


def timestamp_from_datetime(moment: datetime) -> str:
    """The chrono text of an aware ``datetime`` (converted to UTC).

    :raises InvalidDataError: for a naive ``datetime`` (its zone is unknown).
    """
    if not isinstance(moment, datetime):
        raise InvalidDataError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidDataError("naive datetime: give it a timezone (e.g. timezone.utc)")
    utc = moment.astimezone(timezone.utc)
    return _format(utc, utc.microsecond * 1000, False)


class _Timestamp(Conv):
    __slots__ = ()

    def read(self, value: Any) -> str:
        if type(value) is not str:
            raise read_error("an RFC 3339 string", value)
        try:
            return normalize_timestamp(value)
        except InvalidDataError as err:
            raise CorruptDataError(err.message) from None

    def write(self, value: Any) -> str:
        if isinstance(value, datetime):
            return timestamp_from_datetime(value)
        if not isinstance(value, str):
            raise write_error("an RFC 3339 string", value)
        return normalize_timestamp(value)


@dataclass(slots=True, kw_only=True)
class LlmCostRecord(Record):
    """One LLM call's tokens and cost (``crate::telemetry``).

    ``timestamp`` is normalised on construction and on read (a ``datetime``
    given to the constructor is converted). ``cost_usd`` and ``session_id``
    are written as ``null`` when None.
    """

    model: str
    provider: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None
    timestamp: str
    session_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        try:
            self.timestamp = _Timestamp().write(self.timestamp)
        except InvalidDataError as err:
            err.key = "timestamp"
            raise


LlmCostRecord._schema = Schema(
    [
        Field("model", STR),
        Field("provider", STR),
        Field("prompt_tokens", U64),
        Field("completion_tokens", U64),
        Field("total_tokens", U64),
        Field("cost_usd", F64, NULLABLE),
        Field("timestamp", _Timestamp(), REQUIRED),
        Field("session_id", STR, NULLABLE),
    ]
)
