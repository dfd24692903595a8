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
from .errors import (
    A3SStoreError,
    ConflictError,
    CorruptDataError,
    InvalidDataError,
    InvalidIdError,
    LockTimeoutError,
    NameCollisionError,
    SessionNotFoundError,
    UnsafePathError,
    UnsupportedVersionError,
)
from .file_store import DEFAULT_MAX_FILE_BYTES, FileSessionStore
from .memory_store import MemorySessionStore
from .records import *  # noqa: F401,F403 - every record type, listed in records.__all__
from .store import SessionSnapshot, SessionStore, SessionSummary

__all__ = sorted([
    "A3SStoreError",
    "ConflictError",
    "CorruptDataError",
    "DEFAULT_MAX_FILE_BYTES",
    "FileSessionStore",
    "InvalidDataError",
    "InvalidIdError",
    "LockTimeoutError",
    "MemorySessionStore",
    "NameCollisionError",
    "SessionNotFoundError",
    "SessionSnapshot",
    "SessionStore",
    "SessionSummary",
    "UnsafePathError",
    "UnsupportedVersionError",
    *_records.__all__,
])
