"""The sample session behind ``python -m a3s_store demo``."""

from __future__ import annotations

import time
from typing import cast

from .file_store import FileSessionStore
from .records import (
    ArtifactStore,
    Message,
    RunRecord,
    SessionData,
    TextBlock,
    ToolArtifact,
    ToolResultBlock,
    ToolUseBlock,
    TraceEvent,
)
from .snapshot import SessionSnapshot

__all__ = ["sample_snapshot", "run_demo"]


def sample_snapshot(session_id: str = "demo-session") -> SessionSnapshot:
    """A small but complete session: a tool call and its result, an artifact,
    trace events and a run record."""
    now = int(time.time())
    output = "README.md\nsetup.cfg\npyproject.toml\na3s_store/\ntests/"
    session = SessionData.from_dict({
        "id": session_id,
        "config": {"name": "Demo session", "workspace": "/tmp/demo", "system_prompt": None,
                   "max_context_length": 200000, "auto_compact": False},
        "state": "Active",
        "messages": [],
        "context_usage": {"used_tokens": 1200, "max_tokens": 200000, "percent": 0.6, "turns": 2},
        "total_usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
        "model_name": "openai/gpt-4o",
        "tool_names": ["bash", "read"],
        "thinking_enabled": False,
        "created_at": now,
        "updated_at": now,
        "llm_config": {"provider": "openai", "model": "gpt-4o", "base_url": None},
    })
    session.messages = [
        Message(role="user", content=[TextBlock(text="Which files are in the project?")]),
        Message(role="assistant",
                content=[TextBlock(text="Let me look."),
                         ToolUseBlock(id="call-1", name="bash", input={"command": "ls"})],
                reasoning_content="Listing the folder answers this directly."),
        Message(role="user", content=[ToolResultBlock(tool_use_id="call-1", content=output,
                                                      is_error=False)]),
        Message(role="assistant", content=[TextBlock(
            text="The project holds a README, packaging files, the package and its tests.")]),
    ]
    artifacts = ArtifactStore()
    artifacts.put(ToolArtifact(artifact_id="art-1", artifact_uri="a3s://artifacts/art-1",
                               tool_name="bash", content=output,
                               original_bytes=len(output), shown_bytes=len(output)))
    trace = TraceEvent.from_dict({
        "schema": "a3s.trace_event.v1", "kind": "tool_execution", "name": "bash",
        "success": True, "exit_code": 0, "duration_ms": 8, "output_bytes": len(output),
        "artifact_uris": ["a3s://artifacts/art-1"]})
    ms = now * 1000
    run = RunRecord.from_dict({
        "snapshot": {"id": "run-1", "session_id": session_id, "status": "completed",
                     "prompt": "Which files are in the project?", "created_at_ms": ms,
                     "updated_at_ms": ms + 900, "result_text": "The project holds ...",
                     "event_count": 3},
        "events": [
            {"sequence": 0, "timestamp_ms": ms, "event": {"type": "agent_start",
                                                          "prompt": "Which files?"}},
            {"sequence": 1, "timestamp_ms": ms + 10, "event": {"type": "tool_start",
                                                               "id": "call-1", "name": "bash"}},
            {"sequence": 2, "timestamp_ms": ms + 20, "event": {
                "type": "tool_end", "id": "call-1", "name": "bash", "output": output,
                "exit_code": 0}},
        ]})
    return SessionSnapshot(session=session, artifacts=artifacts, trace_events=[trace],
                           run_records=[run])


def _render(snap: SessionSnapshot, path: str) -> str:
    s = snap.session
    lines = [f"session {s.id!r} ({s.config.name}) - {len(s.messages)} messages, "
             f"model {s.model_name}, revision {snap.revision}", f"stored in {path}", ""]
    for message in s.messages:
        if message.reasoning_content:
            lines.append(f"  {message.role} (thinking): {message.reasoning_content}")
        for block in message.content:
            if isinstance(block, TextBlock):
                lines.append(f"  {message.role}: {block.text}")
            elif isinstance(block, ToolUseBlock):
                lines.append(f"  {message.role} -> tool {block.name} {block.input}")
            elif isinstance(block, ToolResultBlock):
                text = block.content if isinstance(block.content, str) else "[...]"
                lines.append(f"  tool result: {text.replace(chr(10), ', ')}")
    lines.append("")
    lines.append(f"artifacts: {len(snap.artifacts)}, trace events: {len(snap.trace_events)}, "
                 f"runs: {len(snap.run_records)}")
    return "\n".join(lines)


def run_demo(root: str, session_id: str = "demo-session") -> str:
    """Save the sample session under ``root``, load it back, and render it."""
    store = FileSessionStore(root)
    store.save_snapshot(sample_snapshot(session_id))
    loaded = store.load_snapshot(session_id)
    return _render(cast(SessionSnapshot, loaded), store.root)  # saved just above
