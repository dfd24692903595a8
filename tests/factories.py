"""Builders of realistic records for tests (format.md §2 shapes).

They live in the package (``a3s_store.testing.samples``) because the shipped
contract suite builds its records with them.
"""

from __future__ import annotations

from a3s_store import SessionData  # noqa: F401 - for tests that build their own
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
