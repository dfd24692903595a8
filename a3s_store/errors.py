"""The exception hierarchy of a3s_store.

Every error the library raises for bad input or bad data derives from
:class:`A3SStoreError`, and also from the nearest builtin where that helps
callers (``ValueError``, ``KeyError``, ``TimeoutError``). Operating-system
errors (disk full, permission denied, an fsync that failed) are *not*
wrapped: they propagate as the ``OSError`` subclass the OS gave.

Each error carries the context it knows as read-only attributes:
``session_id`` (or the run/workflow id), ``path`` and, for bad data, ``key``
(a dotted path into the document such as ``config.max_context_length``).

>>> err = CorruptDataError("expected an integer", path="/s/a.json",
...                        key="created_at", session_id="a")
>>> print(err)
/s/a.json: created_at: expected an integer (session 'a')
>>> isinstance(err, ValueError)
True
"""

from __future__ import annotations

from typing import Any, TypeVar

E = TypeVar("E", bound="A3SStoreError")

__all__ = [
    "A3SStoreError",
    "InvalidIdError",
    "CorruptDataError",
    "UnsupportedVersionError",
    "InvalidDataError",
    "ConflictError",
    "NameCollisionError",
    "SessionNotFoundError",
    "CheckpointNotFoundError",
    "LockTimeoutError",
    "UnsafePathError",
    "ConnectionLostError",
    "MissingDriverError",
]


class A3SStoreError(Exception):
    """Root of every error a3s_store raises for bad input or bad data.

    ``session_id``, ``path`` and ``key`` say where the problem is; each may be
    ``None`` when it does not apply.
    """

    def __init__(
        self,
        message: str,
        *,
        session_id: object = None,
        path: object = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.session_id = session_id
        self.path = None if path is None else str(path)
        self.key = key

    def __str__(self) -> str:
        parts = []
        if self.path is not None:
            parts.append(f"{self.path}: ")
        if self.key:
            parts.append(f"{self.key}: ")
        parts.append(self.message)
        if self.session_id is not None:
            parts.append(f" (session {_short_repr(self.session_id)})")
        return "".join(parts)

    def __reduce__(self) -> tuple[Any, ...]:  # keep the context when pickled (multiprocessing)
        return (
            _rebuild,
            (type(self), self.message, self.session_id, self.path, self.key),
        )

    def located(self: E, *, path: object = None, session_id: object = None) -> E:
        """Return this error with ``path``/``session_id`` filled in where unset.

        Used where a record is decoded without knowing its file, and the
        store, which knows it, adds it before the error reaches the caller.
        """
        if self.path is None and path is not None:
            self.path = str(path)
        if self.session_id is None and session_id is not None:
            self.session_id = session_id
        return self


def _rebuild(cls: type[A3SStoreError], message: str, session_id: object, path: object,
             key: str | None) -> A3SStoreError:
    return cls(message, session_id=session_id, path=path, key=key)


def _short_repr(value: object, limit: int = 80) -> str:
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 5] + "...'" if text[:1] == "'" else text[: limit - 3] + "..."
    return text


class InvalidIdError(A3SStoreError, ValueError):
    """An id (session, run or workflow) that the store refuses, before any I/O.

    The message says why: not a string, not valid Unicode, or too long to be
    a file name.
    """


class CorruptDataError(A3SStoreError, ValueError):
    """A stored file that cannot be read as what it should be.

    Raised for invalid JSON, invalid UTF-8, a wrong type or a missing
    required key, a file above the size limit, a file whose id belongs to
    another session, or a folder or device where a file should be. The
    file is left as it is: the store never deletes or overwrites it on read.
    """


class UnsupportedVersionError(CorruptDataError):
    """A file written by a newer format (a ``schema_version`` from the future)."""


class InvalidDataError(A3SStoreError, ValueError):
    """A record that cannot be written: a non-finite float, a string that is
    not valid Unicode, a value of the wrong type, or a document above the
    size limit. Nothing is written."""


class ConflictError(A3SStoreError):
    """A save whose ``expected_revision`` no longer matches the store, or a
    create-only save of a session that already exists. Nothing is written."""


class NameCollisionError(A3SStoreError):
    """Two distinct ids that the filesystem cannot hold apart (for example
    ``A`` and ``a`` on a case-insensitive disk). Nothing is overwritten."""


class SessionNotFoundError(A3SStoreError, KeyError):
    """A session that an operation needs (such as resume) does not exist."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return A3SStoreError.__str__(self)


class LockTimeoutError(A3SStoreError, TimeoutError):
    """The store's lock could not be taken within the configured timeout."""


class UnsafePathError(A3SStoreError):
    """A path inside the store that is a symlink or otherwise not a plain
    file or folder of the store; the store refuses to follow or write it."""


class CheckpointNotFoundError(A3SStoreError, KeyError):
    """A loop checkpoint that an operation needs (resuming a run) does not exist."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return A3SStoreError.__str__(self)


class ConnectionLostError(A3SStoreError, ConnectionError):
    """The database connection of an SQL store broke during an operation.

    ``may_have_committed`` says what became of the operation: False when the
    break came before the commit was sent (nothing was written), True when
    it came while the commit was under way (the save may or may not be
    stored: load it to see). A store opened with a connect function opens a
    new connection on its next call.
    """

    def __init__(self, message: str, *, may_have_committed: bool = False,
                 **context: Any) -> None:
        super().__init__(message, **context)
        self.may_have_committed = may_have_committed

    def __reduce__(self) -> tuple[Any, ...]:  # keep may_have_committed when pickled
        return (_rebuild_lost, (self.message, self.session_id, self.path, self.key,
                                self.may_have_committed))


def _rebuild_lost(message: str, session_id: object, path: object, key: str | None,
                  may_have_committed: bool) -> ConnectionLostError:
    return ConnectionLostError(message, session_id=session_id, path=path, key=key,
                               may_have_committed=may_have_committed)


class MissingDriverError(A3SStoreError, ImportError):
    """A database driver that a store needs is not installed; the message
    names the package to install (the package itself depends on none)."""
