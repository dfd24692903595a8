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
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from . import _json
from .errors import A3SStoreError, CorruptDataError, InvalidDataError
from .records import (
    ArtifactStore,
    ContentBlock,
    ImageBlock,
    Message,
    SessionData,
    ToolResultBlock,
    ToolUseBlock,
    UnknownBlock,
)

#: A message cache entry: (message, chunk, fingerprint, mutable parts).
_Entry = tuple[Message, _json.Raw, str, list[Any]]

__all__ = [
    "MessageCache",
    "encode_session",
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
    """The session file's bytes; with ``cache``, messages encoded by an earlier
    save of the same session are reused instead of encoded again."""
    try:
        if cache is None:
            return _json.encode_bytes(session.to_dict())
        chunks = cache.encode_messages(session.id, session.messages)
        return _json.encode_bytes(session._to_dict_with_messages(chunks))
    except A3SStoreError as exc:
        raise _located(exc, None, session.id)


def _mutable_parts(message: Message) -> list[Any]:
    """The mutable JSON objects held by a (frozen) message, by reference:
    unknown keys (``extra``), tool inputs, unknown blocks' data."""
    parts = [message.extra]
    for block in message.content:
        _block_parts(block, parts)
    return parts


def _block_parts(block: ContentBlock, parts: list[Any]) -> None:
    if type(block) is UnknownBlock:
        parts.append(block.data)
        return
    parts.append(block.extra)
    if type(block) is ToolUseBlock:
        parts.append(block.input)
    elif type(block) is ImageBlock:
        parts.append(block.source.extra)
    elif type(block) is ToolResultBlock and type(block.content) is tuple:
        for item in block.content:
            _block_parts(item, parts)


class MessageCache:
    """Encoded messages of recently saved sessions, reused by the next save.

    Messages are immutable, so a message object that was encoded before
    encodes the same way again, except for the mutable JSON it holds (tool
    inputs, unknown keys): a compact fingerprint of those parts is kept and
    compared, all reused messages in one C-level pass, so a message changed
    in place is encoded again, never written stale. The cache keeps a
    reference to each message it holds, so an ``id()`` is never reused while
    cached. Bounded to a few sessions.
    """

    def __init__(self, max_sessions: int = 4) -> None:
        self.max_sessions = max_sessions
        self._sessions: dict[str, dict[int, _Entry]] = {}
        # Threads share a store object, and so its cache: one encoding at a time
        # (they hold the GIL while encoding anyway).
        self._lock = threading.Lock()

    def encode_messages(self, session_id: str, messages: Sequence[Message]) -> list[_json.Raw]:
        """The encoded chunks of ``messages``, reusing those encoded before."""
        with self._lock:
            return self._encode_messages(session_id, messages)

    def _encode_messages(self, session_id: str, messages: Sequence[Message]
                         ) -> list[_json.Raw]:
        old = self._sessions.pop(session_id, None) or {}
        new: dict[int, _Entry] = {}
        chunks: list[Any] = []  # a Raw per message, None until encoded
        reused: list[_Entry] = []
        for message in messages:
            entry = old.get(id(message))
            if entry is not None and entry[0] is message:
                new[id(message)] = entry
                chunks.append(entry[1])
                reused.append(entry)
            else:
                chunks.append(None)
        if reused:
            # Entry: (message, chunk, fingerprint, mutable parts). The parts are
            # the same objects as when encoded (the message is frozen); only
            # their contents can have changed, which the fingerprint shows.
            fresh = _json.fingerprint([entry[3] for entry in reused])
            if fresh != "[" + ",".join([entry[2] for entry in reused]) + "]":
                for entry in reused:  # something changed in place: find it
                    if _json.fingerprint(entry[3]) != entry[2]:
                        del new[id(entry[0])]
                chunks = [c if c is not None and id(m) in new and new[id(m)][1] is c else None
                          for m, c in zip(messages, chunks)]
        for i, message in enumerate(messages):
            if chunks[i] is None:
                try:
                    chunk = _json.Raw(_json.encode(message.to_dict(), level=2))
                    parts = _mutable_parts(message)
                except A3SStoreError as exc:
                    exc.key = f"messages[{i}]" + ("." + exc.key if exc.key else "")
                    raise
                except AttributeError:
                    raise InvalidDataError(f"messages[{i}] is not a Message",
                                           key=f"messages[{i}]") from None
                new[id(message)] = (message, chunk, _json.fingerprint(parts), parts)
                chunks[i] = chunk
        self._sessions[session_id] = new
        while len(self._sessions) > self.max_sessions:
            self._sessions.pop(next(iter(self._sessions)))
        return chunks

    def forget(self, session_id: str) -> None:
        """Drop what is cached for a session (it was deleted)."""
        with self._lock:
            self._sessions.pop(session_id, None)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document is parsed and built.

    Parsing allocates hundreds of thousands of dicts and lists, none of them
    in a cycle; every few hundred allocations the collector would walk them
    all again. Pausing it halves the time to load a 10,000-message session.
    The previous state is restored whatever happens.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
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
