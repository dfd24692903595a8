"""What the checker reports and collects: findings, garbage, a scan, and small rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .._names import candidates, check_id
from ..errors import A3SStoreError, InvalidIdError

__all__ = ["Finding", "Garbage", "NotAStoreError", "Scan", "TEMP_GRACE_SECONDS", "RUST_TMP",
           "parse_age", "matches", "quarantined_stem"]

#: An a3s-code temporary file younger than this may be a write in progress.
TEMP_GRACE_SECONDS = 600

#: a3s-code's temporary names: <name>.json.<nanos>.<pid>[.<counter>].tmp (3.4; 3.3 had no counter)
RUST_TMP = re.compile(r".+\.json\.\d+\.\d+(?:\.\d+)?\.tmp\Z")


class NotAStoreError(A3SStoreError):
    """The folder is not a session store, so the checker will not change it."""


@dataclass(frozen=True, slots=True)
class Finding:
    """Something ``verify`` reports about one file.

    ``severity`` is ``problem`` (the command fails) or ``note``; ``kind`` a
    short label (``damaged``, ``id-mismatch``, ``interrupted``, ``leftover``,
    ``unsafe``, ``changed``, ``orphan``, ``copy``, ``newer-version``, ``metadata``,
    ``not-a-session``);
    ``fix`` what ``--repair`` does (``recover``, ``remove``, ``quarantine``,
    ``drop-meta``, ``""`` for nothing) or ``adopt`` (what ``--adopt`` does);
    ``folder``/``name`` locate the file under the root, ``sig`` is what it
    was when found.
    """

    severity: str
    kind: str
    path: str
    message: str
    fix: str = ""
    folder: tuple[str, ...] = ()
    name: str = ""
    sig: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Garbage:
    """Something ``gc`` would remove: a file (or an artifacts folder when
    ``tree``), why, its size, and what must still hold to remove it."""

    path: str
    reason: str
    folder: tuple[str, ...]
    name: str
    size: int
    tree: bool = False
    stem: str | None = None  # side data: removed only while this session is still gone
    sig: tuple[int, ...] | None = None  # checkpoints: removed only while unchanged


@dataclass(slots=True)
class Scan:
    """The result of one pass over the store."""

    findings: list[Finding] = field(default_factory=list)
    sessions: int = 0
    side_files: int = 0
    checkpoints: int = 0
    quarantined: int = 0

    @property
    def problems(self) -> list[Finding]:
        """The findings that make ``verify`` fail."""
        return [f for f in self.findings if f.severity == "problem"]

    @property
    def notes(self) -> list[Finding]:
        """The informational findings."""
        return [f for f in self.findings if f.severity == "note"]


def parse_age(text: str) -> float:
    """``30m``, ``12h``, ``7d`` or ``2w`` as seconds.

    >>> parse_age("12h"), parse_age("7d")
    (43200.0, 604800.0)
    >>> parse_age("soon")
    Traceback (most recent call last):
        ...
    ValueError: expected an age such as 30m, 12h, 7d or 2w, got 'soon'
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text or "")
    if match is None:
        raise ValueError(f"expected an age such as 30m, 12h, 7d or 2w, got {text!r}")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}[match.group(2)]
    return float(match.group(1)) * unit


def matches(stem: str, identifier: object, kind: str) -> bool:
    """Whether ``identifier`` may be stored under ``stem`` (a3s-code's name or ours)."""
    if not isinstance(identifier, str):
        return False
    try:
        check_id(identifier, kind)
    except InvalidIdError:
        return False
    return stem in candidates(identifier)


def quarantined_stem(name: str) -> str | None:
    """The stem of a quarantined file ``<stem>.<token>.json``."""
    if not name.endswith(".json"):
        return None
    head = name[:-5].rsplit(".", 1)
    return head[0] if len(head) == 2 else None
