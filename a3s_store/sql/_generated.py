"""The signatures of the store methods :mod:`.store` generates (for type checkers).

``SqlSessionStore`` makes its per-component methods (``save_trace_events``,
``load_loop_checkpoint``...) from the component table when the module is
imported, so a type checker cannot see them. This class declares them; it is
the store's base class only under ``TYPE_CHECKING`` (at run time the base is
``object``), so nothing here ever runs.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, TypeVar

from ..records import (
    ArtifactStore,
    LoopCheckpoint,
    RunRecord,
    SubagentTaskSnapshot,
    TraceEvent,
    VerificationReport,
    WorkflowCheckpoint,
)

__all__ = ["GeneratedMethods", "KeyCheck", "LoadCheck", "T"]

T = TypeVar("T")
#: check_checkpoint and checked_checkpoint with their kind bound.
KeyCheck = Callable[[str, Any], None]
LoadCheck = Callable[[str, Any, str], Any]


class GeneratedMethods:
    """The generated methods of ``SqlSessionStore``, as the other stores type them."""

    def save_artifacts(self, session_id: str, artifacts: ArtifactStore, /) -> None: ...
    def load_artifacts(self, session_id: str, /) -> ArtifactStore | None: ...
    def save_trace_events(self, session_id: str, events: builtins.list[TraceEvent], /
                          ) -> None: ...
    def load_trace_events(self, session_id: str, /) -> builtins.list[TraceEvent] | None: ...
    def save_run_records(self, session_id: str, records: builtins.list[RunRecord], /
                         ) -> None: ...
    def load_run_records(self, session_id: str, /) -> builtins.list[RunRecord] | None: ...
    def save_verification_reports(self, session_id: str,
                                  reports: builtins.list[VerificationReport], /) -> None: ...
    def load_verification_reports(self, session_id: str, /
                                  ) -> builtins.list[VerificationReport] | None: ...
    def save_subagent_tasks(self, session_id: str,
                            tasks: builtins.list[SubagentTaskSnapshot], /) -> None: ...
    def load_subagent_tasks(self, session_id: str, /
                            ) -> builtins.list[SubagentTaskSnapshot] | None: ...
    def save_loop_checkpoint(self, run_id: str, checkpoint: LoopCheckpoint, /) -> None: ...
    def load_loop_checkpoint(self, run_id: str, /) -> LoopCheckpoint | None: ...
    def delete_loop_checkpoint(self, run_id: str, /) -> None: ...
    def save_workflow_checkpoint(self, workflow_id: str,
                                 checkpoint: WorkflowCheckpoint, /) -> None: ...
    def load_workflow_checkpoint(self, workflow_id: str, /) -> WorkflowCheckpoint | None: ...
    def delete_workflow_checkpoint(self, workflow_id: str, /) -> None: ...

    def list_loop_checkpoints(self) -> builtins.list[str]:
        raise NotImplementedError

    def list_workflow_checkpoints(self) -> builtins.list[str]:
        raise NotImplementedError
