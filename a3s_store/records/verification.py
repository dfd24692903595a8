"""Verification reports: ``verification/<id>.json`` (a JSON array).

:meth:`VerificationReport.from_checks` derives the status the way Rust's
constructor does; :meth:`~VerificationReport.from_dict` keeps the stored one:

>>> c = VerificationCheck(id="t", kind="test", description="tests", status="passed",
...                       required=True)
>>> VerificationReport.from_checks("build", [c]).status
<VerificationStatus.PASSED: 'passed'>
>>> VerificationReport.from_checks("build", []).status
<VerificationStatus.SKIPPED: 'skipped'>
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._fields import BOOL, STR, EnumConv, ListConv, RecordConv
from ._schema import DEFAULT, SKIP_EMPTY, SKIP_NONE, Field, Record, Schema
from .enums import VerificationStatus

__all__ = ["VERIFICATION_REPORT_SCHEMA", "VerificationCheck", "VerificationReport"]

#: The ``schema`` value Rust writes.
VERIFICATION_REPORT_SCHEMA = "a3s.verification_report.v1"

_STATUS = EnumConv(VerificationStatus)
_STRINGS = ListConv(STR)


@dataclass(slots=True, kw_only=True)
class VerificationCheck(Record):
    """One check of a report; list keys are omitted when empty,
    ``residual_risk`` when None; ``required`` is always written."""

    id: str
    kind: str
    description: str
    status: VerificationStatus | str = VerificationStatus.NEEDS_REVIEW
    required: bool = False
    suggested_tools: list[str] = field(default_factory=list)
    evidence_uris: list[str] = field(default_factory=list)
    residual_risk: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


VerificationCheck._schema = Schema(
    [
        Field("id", STR),
        Field("kind", STR),
        Field("description", STR),
        Field("status", _STATUS),
        Field("required", BOOL, DEFAULT, default=lambda: False),
        Field("suggested_tools", _STRINGS, SKIP_EMPTY),
        Field("evidence_uris", _STRINGS, SKIP_EMPTY),
        Field("residual_risk", STR, SKIP_NONE),
    ]
)


@dataclass(slots=True, kw_only=True)
class VerificationReport(Record):
    """The checks of one subject and the report's status."""

    schema: str = VERIFICATION_REPORT_SCHEMA
    subject: str
    status: VerificationStatus | str
    checks: list[VerificationCheck] = field(default_factory=list)
    residual_risks: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_checks(
        cls,
        subject: str,
        checks: Iterable[VerificationCheck],
        residual_risks: Iterable[str] = (),
    ) -> VerificationReport:
        """A report whose status is derived as Rust does: any failed check
        → failed; a required check that needs review or was skipped, or any
        report-level residual risk → needs_review; no checks → skipped;
        else passed. (A check's own ``residual_risk`` does not count.)"""
        checks = list(checks)
        risks = list(residual_risks)
        return cls(
            subject=subject,
            status=derive_status(checks, risks),
            checks=checks,
            residual_risks=risks,
        )


def derive_status(
    checks: list[VerificationCheck], residual_risks: list[str]
) -> VerificationStatus:
    """The status Rust's ``VerificationReport::new`` derives."""
    statuses = [(_STATUS.coerce(c.status), c.required) for c in checks]
    if any(s is VerificationStatus.FAILED for s, _ in statuses):
        return VerificationStatus.FAILED
    if any(
        required and s in (VerificationStatus.NEEDS_REVIEW, VerificationStatus.SKIPPED)
        for s, required in statuses
    ):
        return VerificationStatus.NEEDS_REVIEW
    if residual_risks:
        return VerificationStatus.NEEDS_REVIEW
    return VerificationStatus.PASSED if checks else VerificationStatus.SKIPPED


VerificationReport._schema = Schema(
    [
        Field("schema", STR),
        Field("subject", STR),
        Field("status", _STATUS),
        Field("checks", ListConv(RecordConv(VerificationCheck))),
        Field("residual_risks", _STRINGS, SKIP_EMPTY),
    ]
)
