"""Records to file bytes and back, one function per kind of file.

Decoding errors come out as :class:`~a3s_store.CorruptDataError` naming the
path (and the key inside the document); encoding errors as
:class:`~a3s_store.InvalidDataError`. ``strict=False`` is used only for
files the store itself wrote and has recognised by their size, mtime and
inode: they cannot hold duplicate keys or lone surrogates, so the slower
checks are skipped.
"""

from __future__ import annotations

import re

from . import _json
from .errors import A3SStoreError, CorruptDataError
from .records import ArtifactStore, SessionData

__all__ = [
    "encode_session",
    "decode_session",
    "encode_list",
    "decode_list",
    "encode_artifacts",
    "decode_artifacts",
    "encode_record",
    "decode_record",
    "peek_id",
    "summary_of",
]


def _located(exc: A3SStoreError, path, session_id=None) -> A3SStoreError:
    return exc.located(path=path, session_id=session_id)


def encode_session(session: SessionData) -> bytes:
    try:
        return _json.encode_bytes(session.to_dict())
    except A3SStoreError as exc:
        raise _located(exc, None, session.id)


def decode_session(data: bytes, *, strict: bool, path, session_id=None) -> SessionData:
    try:
        return SessionData.from_dict(_json.decode(data, strict=strict))
    except A3SStoreError as exc:
        raise _located(exc, path, session_id)


def encode_list(items: list, *, session_id=None) -> bytes:
    if not isinstance(items, (list, tuple)):
        from .errors import InvalidDataError

        raise InvalidDataError(f"expected a list, got {type(items).__name__}",
                               session_id=session_id)
    try:
        return _json.encode_bytes([item.to_dict() for item in items])
    except A3SStoreError as exc:
        raise _located(exc, None, session_id)
    except AttributeError:
        from .errors import InvalidDataError

        raise InvalidDataError("list items must be records with to_dict()",
                               session_id=session_id) from None


def decode_list(data: bytes, cls, *, strict: bool, path, session_id=None) -> list:
    try:
        doc = _json.decode(data, strict=strict)
        if type(doc) is not list:
            raise CorruptDataError(f"expected a JSON array of {cls.__name__}, "
                                   f"got {type(doc).__name__}")
        out = []
        for i, item in enumerate(doc):
            try:
                out.append(cls.from_dict(item))
            except CorruptDataError as exc:
                exc.key = f"[{i}]" + ("." + exc.key if exc.key and exc.key[0] != "[" else
                                      (exc.key or ""))
                raise
        return out
    except A3SStoreError as exc:
        raise _located(exc, path, session_id)


def encode_artifacts(store: ArtifactStore, *, session_id=None) -> bytes:
    try:
        return _json.encode_bytes(store.to_dict())
    except A3SStoreError as exc:
        raise _located(exc, None, session_id)


def decode_artifacts(data: bytes, *, strict: bool, path, session_id=None) -> ArtifactStore:
    try:
        return ArtifactStore.from_dict(_json.decode(data, strict=strict))
    except A3SStoreError as exc:
        raise _located(exc, path, session_id)


def encode_record(record) -> bytes:
    try:
        return _json.encode_bytes(record.to_dict())
    except A3SStoreError as exc:
        raise _located(exc, None)


def decode_record(data: bytes, cls, *, strict: bool, path):
    try:
        return cls.from_dict(_json.decode(data, strict=strict))
    except A3SStoreError as exc:
        raise _located(exc, path)


_ID_AT_START = re.compile(rb'\A\s*\{\s*"id"\s*:\s*("(?:[^"\\]|\\.)*")\s*[,}]')


def peek_id(head: bytes) -> str | None:
    """The session id at the start of a session file (the ``id`` key comes first).

    None when the head does not start that way; callers then parse the whole
    file. Cheap, so listing and collision checks need not read whole files.
    """
    match = _ID_AT_START.match(head)
    if match is None:
        return None
    try:
        value = _json.decode(match.group(1))
    except CorruptDataError:
        return None
    return value if type(value) is str else None


def summary_of(session: SessionData) -> dict:
    """What a listing shows of a session, kept beside it so lists need not parse it."""
    state = session.state
    return {
        "name": session.config.name,
        "state": getattr(state, "value", state),
        "model": session.model_name,
        "messages": len(session.messages),
        "created_at": session.created_at,
        "updated_at": session.updated_at,
    }
