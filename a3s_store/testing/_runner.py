"""Running the contract suite without a test framework: :func:`run_contract`."""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import _fs
from ._registry import CASES, Case, Skip
from .backends import Backend

__all__ = ["ContractReport", "run_contract"]


@dataclass
class ContractReport:
    """What each case gave on one backend: ``passed``, ``failed`` (case name ->
    traceback text) and ``skipped`` (case name -> reason)."""

    backend: str
    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no case failed."""
        return not self.failed

    def summary(self) -> str:
        """One line: the backend and the counts."""
        return (f"{self.backend}: {len(self.passed)} passed, {len(self.failed)} failed, "
                f"{len(self.skipped)} skipped")


def run_contract(backend: Backend, folder: str, *,
                 cases: Iterable[Case] | None = None) -> ContractReport:
    """Run every case (or ``cases``) on ``backend``, each in a new subfolder of
    ``folder`` (an existing folder, which the caller removes afterwards)."""
    report = ContractReport(backend.name)
    reason = backend.unavailable()
    for number, contract_case in enumerate(CASES if cases is None else cases):
        if reason is not None:
            report.skipped[contract_case.name] = reason
            continue
        work = os.path.join(folder, f"{number:03d}-{contract_case.name}")
        _fs.close_dir(_fs.open_root(work, create=True))
        instance = backend.open(work)
        try:
            contract_case.run(instance)
        except Skip as skip:
            report.skipped[contract_case.name] = str(skip)
        except Exception:
            report.failed[contract_case.name] = traceback.format_exc()
        else:
            report.passed.append(contract_case.name)
        finally:
            instance.close()
    return report
