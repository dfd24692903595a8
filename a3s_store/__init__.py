"""a3s_store: AI agent sessions on disk, file-compatible with a3s-code-core 3.3/3.4.

A standard-library-only, synchronous package. Sessions are plain JSON files in
the layout and byte format of the Rust crate's ``FileSessionStore``; saves are
all-or-nothing, durable by default, and safe to share between processes.

>>> import tempfile
>>> from a3s_store import FileSessionStore, SessionData, SessionSnapshot
>>> store = FileSessionStore(tempfile.mkdtemp())
>>> revision = store.save_snapshot(SessionSnapshot(session=SessionData(id="chat-1")))
>>> store.list()
['chat-1']
>>> snap = store.load_snapshot("chat-1")
>>> snap.revision == revision
True
>>> store.load("never-saved") is None
True

Errors for bad input or bad data derive from :class:`A3SStoreError`:

>>> store.load(42)
Traceback (most recent call last):
    ...
a3s_store.errors.InvalidIdError: session id must be a str, not int (session 42)
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import records as _records
from ._copy import CopyResult, copy_store
from ._open import open_store
from .agent_run import AgentResult, AgentRun, resume_run
from .agent_session import AgentConfig, AgentSession, PersistableSession
from .errors import (
    A3SStoreError,
    CheckpointNotFoundError,
    ConflictError,
    ConnectionLostError,
    CorruptDataError,
    InvalidDataError,
    InvalidIdError,
    LockTimeoutError,
    MissingDriverError,
    NameCollisionError,
    SessionNotFoundError,
    UnsafePathError,
    UnsupportedVersionError,
)
from .file_store import DEFAULT_MAX_FILE_BYTES, FileSessionStore
from .memory_store import MemorySessionStore
from .persistence import (
    SessionPersistence,
    build_session_data_snapshot,
    model_config_data,
    persisted_model_name,
    persisted_model_ref,
)
from .records import *  # noqa: F401,F403 - every record type, listed in records.__all__
from .resume import load_session_data, restore_persisted_session_state, resume_session
from .session_options import SessionOptions, apply_persisted_runtime_options
from .snapshot import SessionSnapshot, SessionSummary
from .sql import SqlSessionStore
from .store import SessionStore

__all__ = sorted([
    "A3SStoreError",
    "AgentConfig",
    "AgentResult",
    "AgentRun",
    "AgentSession",
    "CheckpointNotFoundError",
    "ConflictError",
    "ConnectionLostError",
    "CopyResult",
    "CorruptDataError",
    "DEFAULT_MAX_FILE_BYTES",
    "FileSessionStore",
    "InvalidDataError",
    "InvalidIdError",
    "LockTimeoutError",
    "MemorySessionStore",
    "MissingDriverError",
    "NameCollisionError",
    "PersistableSession",
    "SessionNotFoundError",
    "SessionOptions",
    "SessionPersistence",
    "SessionSnapshot",
    "SessionStore",
    "SessionSummary",
    "SqlSessionStore",
    "UnsafePathError",
    "UnsupportedVersionError",
    "apply_persisted_runtime_options",
    "build_session_data_snapshot",
    "copy_store",
    "load_session_data",
    "model_config_data",
    "open_store",
    "persisted_model_name",
    "persisted_model_ref",
    "restore_persisted_session_state",
    "resume_run",
    "resume_session",
    # ContentBlock is a typing alias (no docstring of its own): it stays in
    # a3s_store.records, with the block classes it unites exported here.
    *(name for name in _records.__all__ if name != "ContentBlock"),
])
