"""Loop and workflow checkpoints (``loop_checkpoints/``,
``workflow_checkpoints/``).

Both carry ``schema_version`` (missing reads as 0; the current version is
:data:`CURRENT_SCHEMA_VERSION`). A checkpoint from a newer format is refused
by ``from_dict`` and by ``ensure_loadable``:

>>> old = {"workflow_id": "wf", "steps": [], "checkpoint_ms": 0}
>>> WorkflowCheckpoint.from_dict(old).schema_version
0
>>> try:
...     WorkflowCheckpoint(workflow_id="wf", schema_version=2).ensure_loadable()
... except UnsupportedVersionError as error:
...     print(error)  # doctest: +ELLIPSIS
schema_version: checkpoint schema version 2 is ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import UnsupportedVersionError
from ._decode import MessagesConv
from ._fields import BOOL, OPAQUE, STR, U32, U64, ListConv, RecordConv
from ._schema import DEFAULT, SKIP_NONE, Field, R, Record, Schema
from .messages import Message
from .usage import TokenUsage
from .verification import VerificationReport

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "LoopCheckpoint",
    "StepOutcome",
    "WorkflowCheckpoint",
    "WorkflowStepRecord",
]

#: The newest checkpoint ``schema_version`` this package reads and writes.
CURRENT_SCHEMA_VERSION = 1


def _ensure_loadable(version: object) -> None:
    if type(version) is int and version > CURRENT_SCHEMA_VERSION:
        raise UnsupportedVersionError(
            f"checkpoint schema version {version} is newer than the supported "
            f"version {CURRENT_SCHEMA_VERSION}",
            key="schema_version",
        )


def _read_checked(cls: type[R], data: Any) -> R:
    if type(data) is dict:
        _ensure_loadable(data.get("schema_version"))
    return cls._schema.read(cls, data)


@dataclass(slots=True, kw_only=True)
class LoopCheckpoint(Record):
    """The state of a run after its latest tool round (``turn``, 1-based;
    0 = none yet). ``checkpoint_ms`` is Unix epoch milliseconds."""

    CURRENT_SCHEMA_VERSION: ClassVar[int] = CURRENT_SCHEMA_VERSION

    schema_version: int = CURRENT_SCHEMA_VERSION
    run_id: str
    session_id: str
    turn: int = 0
    messages: list[Message] = field(default_factory=list)
    total_usage: TokenUsage = field(default_factory=TokenUsage)
    tool_calls_count: int = 0
    verification_reports: list[VerificationReport] = field(default_factory=list)
    checkpoint_ms: int = 0
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def ensure_loadable(self) -> None:
        """Raise :class:`UnsupportedVersionError` for a future schema version."""
        _ensure_loadable(self.schema_version)

    @classmethod
    def from_dict(cls, data: Any) -> LoopCheckpoint:
        """Build from decoded JSON; refuses future schema versions.

        :raises UnsupportedVersionError: ``schema_version`` > 1.
        :raises CorruptDataError: any other bad value (``key`` names it).
        """
        return _read_checked(cls, data)


LoopCheckpoint._schema = Schema(
    [
        Field("schema_version", U32, DEFAULT, default=lambda: 0),
        Field("run_id", STR),
        Field("session_id", STR),
        Field("turn", U64),
        Field("messages", MessagesConv()),
        Field("total_usage", RecordConv(TokenUsage)),
        Field("tool_calls_count", U64),
        Field("verification_reports", ListConv(RecordConv(VerificationReport)), DEFAULT,
              default=list),
        Field("checkpoint_ms", U64),
    ]
)


@dataclass(slots=True, kw_only=True)
class StepOutcome(Record):
    """The result of one workflow task; ``structured`` is opaque JSON,
    omitted when None (an explicit ``null`` reads as None)."""

    task_id: str
    session_id: str
    agent: str
    output: str = ""
    success: bool = False
    structured: Any = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


StepOutcome._schema = Schema(
    [
        Field("task_id", STR),
        Field("session_id", STR),
        Field("agent", STR),
        Field("output", STR),
        Field("success", BOOL),
        Field("structured", OPAQUE, SKIP_NONE),
    ]
)


@dataclass(slots=True, kw_only=True)
class WorkflowStepRecord(Record):
    """A completed workflow step: ``{"task_id", "outcome"}``."""

    task_id: str
    outcome: StepOutcome
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


WorkflowStepRecord._schema = Schema(
    [Field("task_id", STR), Field("outcome", RecordConv(StepOutcome))]
)


@dataclass(slots=True, kw_only=True)
class WorkflowCheckpoint(Record):
    """The completed steps of a workflow. Rust builds ``steps`` from a hash
    map, so their order is not meaningful."""

    CURRENT_SCHEMA_VERSION: ClassVar[int] = CURRENT_SCHEMA_VERSION

    schema_version: int = CURRENT_SCHEMA_VERSION
    workflow_id: str
    steps: list[WorkflowStepRecord] = field(default_factory=list)
    checkpoint_ms: int = 0
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def ensure_loadable(self) -> None:
        """Raise :class:`UnsupportedVersionError` for a future schema version."""
        _ensure_loadable(self.schema_version)

    def completed(self) -> dict[str, StepOutcome]:
        """The outcomes by ``task_id`` (a later step wins on a repeat)."""
        return {step.task_id: step.outcome for step in self.steps}

    @classmethod
    def from_dict(cls, data: Any) -> WorkflowCheckpoint:
        """Build from decoded JSON; refuses future schema versions.

        :raises UnsupportedVersionError: ``schema_version`` > 1.
        :raises CorruptDataError: any other bad value (``key`` names it).
        """
        return _read_checked(cls, data)


WorkflowCheckpoint._schema = Schema(
    [
        Field("schema_version", U32, DEFAULT, default=lambda: 0),
        Field("workflow_id", STR),
        Field("steps", ListConv(RecordConv(WorkflowStepRecord))),
        Field("checkpoint_ms", U64),
    ]
)
