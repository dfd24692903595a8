"""Sample records for the contract suite, built from the JSON shapes of the file format.

Records are built with ``from_dict`` so that the cases read like the files
they stand for. The repository's own tests use these builders too.

>>> session(messages=3).messages[2].content[0].text
'message 2'
>>> run_record("s-1").snapshot.session_id
's-1'
"""

from __future__ import annotations

from typing import Any

from ..records import (
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

__all__ = ["artifact_store", "loop_checkpoint", "message", "run_record", "session",
           "session_dict", "subagent_task", "trace_event", "verification_report",
           "workflow_checkpoint"]


def message(role: str, text: str) -> dict[str, Any]:
    """A message's JSON: one text block."""
    return {"role": role, "content": [{"type": "text", "text": text}]}


def session_dict(session_id: str = "test-session-1", *, messages: int = 2,
                 name: str = "Test Session", updated_at: int = 1700000100) -> dict[str, Any]:
    """A session file's JSON with ``messages`` alternating user/assistant texts."""
    msgs = [message("user" if i % 2 == 0 else "assistant", f"message {i}")
            for i in range(messages)]
    return {
        "id": session_id,
        "config": {
            "name": name,
            "workspace": "/tmp/ws",
            "system_prompt": None,
            "max_context_length": 200000,
            "auto_compact": False,
        },
        "state": "Active",
        "messages": msgs,
        "context_usage": {"used_tokens": 0, "max_tokens": 200000, "percent": 0.0, "turns": 0},
        "total_usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "tool_names": ["bash", "read"],
        "thinking_enabled": False,
        "created_at": 1700000000,
        "updated_at": updated_at,
    }


def session(session_id: str = "test-session-1", **kw: Any) -> SessionData:
    """A :class:`SessionData` of :func:`session_dict`."""
    return SessionData.from_dict(session_dict(session_id, **kw))


def artifact_store(*contents: str) -> ArtifactStore:
    """An artifact store with one artifact per content (one when none is given)."""
    store = ArtifactStore()
    for i, content in enumerate(contents or ("artifact content",)):
        store.put(ToolArtifact.from_dict({
            "artifact_id": f"art-{i}",
            "artifact_uri": f"a3s://artifacts/art-{i}",
            "tool_name": "bash",
            "content": content,
            "original_bytes": len(content.encode()),
            "shown_bytes": len(content.encode()),
        }))
    return store


def trace_event(name: str = "bash", **extra: Any) -> TraceEvent:
    """A tool-execution trace event; ``extra`` overrides its keys."""
    d = {
        "schema": "a3s.trace_event.v1",
        "kind": "tool_execution",
        "name": name,
        "success": True,
        "exit_code": 0,
        "duration_ms": 12,
        "output_bytes": 42,
        "metadata_keys": ["artifact_uri"],
        "artifact_uris": ["a3s://artifacts/art-0"],
    }
    d.update(extra)
    return TraceEvent.from_dict(d)


def run_record(session_id: str = "test-session-1", run_id: str = "run-1",
               prompt: str = "persist run", events: int = 1) -> RunRecord:
    """A completed run of ``session_id`` with ``events`` text-delta events."""
    return RunRecord.from_dict({
        "snapshot": {
            "id": run_id,
            "session_id": session_id,
            "status": "completed",
            "prompt": prompt,
            "created_at_ms": 1700000000000,
            "updated_at_ms": 1700000001000,
            "result_text": "done",
            "event_count": events,
        },
        "events": [
            {"sequence": i, "timestamp_ms": 1700000000000 + i,
             "event": {"type": "text_delta", "text": f"chunk {i}"}}
            for i in range(events)
        ],
    })


def verification_report(subject: str = "tests pass") -> VerificationReport:
    """A passed verification report with one check."""
    return VerificationReport.from_dict({
        "schema": "a3s.verification_report.v1",
        "subject": subject,
        "status": "passed",
        "checks": [{"id": "c1", "kind": "command", "description": "pytest", "status": "passed",
                    "required": True}],
    })


def subagent_task(parent: str = "test-session-1",
                  task_id: str = "task-1") -> SubagentTaskSnapshot:
    """A completed subagent task of session ``parent``."""
    return SubagentTaskSnapshot.from_dict({
        "task_id": task_id,
        "parent_session_id": parent,
        "child_session_id": f"{parent}-child",
        "agent": "explore",
        "description": "look around",
        "status": "completed",
        "started_ms": 1700000000000,
        "updated_ms": 1700000002000,
        "finished_ms": 1700000002000,
        "output": "found it",
        "success": True,
        "progress": [{"timestamp_ms": 1700000001000, "status": "running", "metadata": None}],
    })


def loop_checkpoint(run_id: str = "run-x", session_id: str = "test-session-1",
                    schema_version: int = 1) -> LoopCheckpoint:
    """A loop checkpoint at turn 2 (``schema_version`` above 1: a newer writer's)."""
    cp = LoopCheckpoint.from_dict({
        "schema_version": 1,
        "run_id": run_id,
        "session_id": session_id,
        "turn": 2,
        "messages": [message("user", "hi")],
        "total_usage": {"prompt_tokens": 1000, "completion_tokens": 2, "total_tokens": 1002},
        "tool_calls_count": 3,
        "verification_reports": [],
        "checkpoint_ms": 1700000000000,
    })
    cp.schema_version = schema_version  # a newer writer's version, which loads refuse
    return cp


def workflow_checkpoint(workflow_id: str = "wf-1", steps: int = 2,
                        schema_version: int = 1) -> WorkflowCheckpoint:
    """A workflow checkpoint with ``steps`` completed steps."""
    cp = WorkflowCheckpoint.from_dict({
        "schema_version": 1,
        "workflow_id": workflow_id,
        "steps": [
            {"task_id": f"t{i}", "outcome": {"task_id": f"t{i}", "session_id": "s", "agent": "a",
                                             "output": f"out {i}", "success": True}}
            for i in range(steps)
        ],
        "checkpoint_ms": 1700000000000,
    })
    cp.schema_version = schema_version
    return cp
