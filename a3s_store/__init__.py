"""a3s_store: AI agent sessions on disk, file-compatible with a3s-code-core 3.3/3.4."""

from __future__ import annotations

__version__ = "0.1.0"

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

__all__ = [
    "A3SStoreError",
    "ConflictError",
    "CorruptDataError",
    "InvalidDataError",
    "InvalidIdError",
    "LockTimeoutError",
    "NameCollisionError",
    "SessionNotFoundError",
    "UnsafePathError",
    "UnsupportedVersionError",
    "__version__",
]
