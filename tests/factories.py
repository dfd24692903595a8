"""Builders of realistic records for tests (format.md §2 shapes).

They live in the package (``a3s_store.testing.samples``) because the shipped
contract suite builds its records with them; the record types are imported
here too, for tests that build their own.
"""

from __future__ import annotations

from a3s_store import (  # noqa: F401 - re-exported for the tests
    ArtifactStore,
    LoopCheckpoint,
    RunRecord,
    SessionData,
    SubagentTaskSnapshot,
    ToolArtifact,
    TraceEvent,
    VerificationReport,
    WorkflowCheckpoint,
)
from a3s_store.testing.samples import (  # noqa: F401 - the builders
    artifact_store,
    loop_checkpoint,
    message,
    run_record,
    session,
    session_dict,
    subagent_task,
    trace_event,
    verification_report,
    workflow_checkpoint,
)
