"""Records to file bytes and back, one function per kind of file.

Decoding errors come out as :class:`~a3s_store.CorruptDataError` naming the
path (and the key inside the document); encoding errors as
:class:`~a3s_store.InvalidDataError`. ``strict=False`` is used only for
files the store itself wrote and has recognised by their size, mtime and
inode: they cannot hold duplicate keys or lone surrogates, so the slower
checks are skipped.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from . import _json
from .errors import A3SStoreError, CorruptDataError, InvalidDataError
from .records import ArtifactStore, Message, SessionData

if TYPE_CHECKING:
    from ._message_cache import MessageCache

__all__ = [
    "encode_session",
    "encode_message",
    "decode_session",
    "encode_list",
    "decode_list",
    "encode_artifacts",
    "decode_artifacts",
    "encode_record",
    "decode_record",
    "peek_id",
    "peek_key",
    "summary_of",
]


def _located(exc: A3SStoreError, path: object, session_id: str | None = None) -> A3SStoreError:
    return exc.located(path=path, session_id=session_id)


def encode_session(session: SessionData, cache: MessageCache | None = None) -> bytes:
    """The session file's bytes; with ``cache`` (a ``_message_cache.MessageCache``),
    messages encoded by an earlier save of the same session are reused."""
    try:
        if cache is None:
            return _json.encode_bytes(session.to_dict())
        return cache.encode_session(session)
    except A3SStoreError as exc:
        raise _located(exc, None, session.id)


def encode_message(message: Message, index: int, *, level: int = 0) -> bytes:
    """One message's bytes at nesting ``level`` (2: inside a session file).

    :raises InvalidDataError: naming ``messages[index]``.
    """
    try:
        return _json.encode_bytes(message.to_dict(), level=level)
    except A3SStoreError as exc:
        exc.key = f"messages[{index}]" + ("." + exc.key if exc.key else "")
        raise
    except AttributeError:
        raise InvalidDataError(f"messages[{index}] is not a Message",
                               key=f"messages[{index}]") from None


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document is parsed and built.

    Parsing allocates hundreds of thousands of dicts and lists, none of them
    in a cycle; every few hundred allocations the collector would walk them
    all again, and once it is enabled again the first allocation would walk
    them all once more (a third of a load's time). So they are moved to the
    oldest generation unexamined: ``gc.freeze()`` then ``gc.unfreeze()``
    (skipped when the program keeps frozen objects of its own, which
    ``unfreeze`` would release). The previous state is restored whatever
    happens.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()  # everything into the permanent generation, uncounted...
            gc.unfreeze()  # ...and back into the oldest one, where it would have aged
        if was_enabled:
            gc.enable()


def decode_session(data: bytes, *, strict: bool, path: object,
                   session_id: str | None = None) -> SessionData:
    try:
        with _gc_paused():
            return SessionData.from_dict(_json.decode(data, strict=strict))
    except A3SStoreError as exc:
        raise _located(exc, path, session_id)


def encode_list(items: Sequence[Any], cls: type | None = None, *,
                session_id: str | None = None) -> bytes:
    """A side file's bytes: a JSON array of records (of ``cls`` when given)."""
    if not isinstance(items, (list, tuple)):
        raise InvalidDataError(f"expected a list, got {type(items).__name__}",
                               session_id=session_id)
    if cls is not None:
        for index, item in enumerate(items):
            if not isinstance(item, cls):
                raise InvalidDataError(f"expected a {cls.__name__}, got {type(item).__name__}",
                                       key=f"[{index}]", session_id=session_id)
    try:
        return _json.encode_bytes([item.to_dict() for item in items])
    except A3SStoreError as exc:
        raise _located(exc, None, session_id)
    except AttributeError:
        raise InvalidDataError("list items must be records with to_dict()",
                               session_id=session_id) from None


def decode_list(data: bytes, cls: type[Any], *, strict: bool, path: object,
                session_id: str | None = None) -> list[Any]:
    try:
        with _gc_paused():
            doc = _json.decode(data, strict=strict)
            if type(doc) is not list:
                raise CorruptDataError(f"expected a JSON array of {cls.__name__}, "
                                       f"got {type(doc).__name__}")
            out: list[Any] = []
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


def encode_artifacts(store: ArtifactStore, *, session_id: str | None = None) -> bytes:
    if not isinstance(store, ArtifactStore):
        raise InvalidDataError(f"expected an ArtifactStore, got {type(store).__name__}",
                               session_id=session_id)
    try:
        return _json.encode_bytes(store.to_dict())
    except A3SStoreError as exc:
        raise _located(exc, None, session_id)


def decode_artifacts(data: bytes, *, strict: bool, path: object,
                     session_id: str | None = None) -> ArtifactStore:
    try:
        with _gc_paused():
            return ArtifactStore.from_dict(_json.decode(data, strict=strict))
    except A3SStoreError as exc:
        raise _located(exc, path, session_id)


def encode_record(record: Any) -> bytes:
    try:
        return _json.encode_bytes(record.to_dict())
    except A3SStoreError as exc:
        raise _located(exc, None)


def decode_record(data: bytes, cls: type[Any], *, strict: bool, path: object) -> Any:
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
    return _string_of(_ID_AT_START.match(head))


def peek_key(head: bytes, key: str) -> str | None:
    """The string value of ``key`` at the start of a checkpoint file (after an
    optional ``schema_version``, as a3s-code writes them); None otherwise."""
    pattern = _KEY_AT_START.get(key)
    if pattern is None:
        pattern = _KEY_AT_START[key] = re.compile(
            rb'\A\s*\{\s*(?:"schema_version"\s*:\s*-?\d+\s*,\s*)?"' + re.escape(key.encode())
            + rb'"\s*:\s*("(?:[^"\\]|\\.)*")\s*[,}]')
    return _string_of(pattern.match(head))


def _string_of(match: re.Match[bytes] | None) -> str | None:
    """The JSON string a peek matched, decoded; None when there is none."""
    if match is None:
        return None
    try:
        value = _json.decode(match.group(1))
    except CorruptDataError:
        return None
    return value if type(value) is str else None


_KEY_AT_START: dict[str, re.Pattern[bytes]] = {}


def summary_of(session: SessionData) -> dict[str, Any]:
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
