"""Builders of realistic records for tests (format.md §2 shapes).

They live in the package (``a3s_store.testing.samples``) because the shipped
contract suite builds its records with them.
"""

from __future__ import annotations

from a3s_store import Message, SessionData, TextBlock  # noqa: F401 - SessionData for tests
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


def msg(role: str, text: str) -> Message:
    """A one-text-block Message (the live-session side of :func:`message`)."""
    return Message(role=role, content=[TextBlock(text=text)])


def texts(messages) -> list[str]:
    """The text of each message's first block."""
    return [m.content[0].text for m in messages]
