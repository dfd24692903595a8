"""The session file's bytes of recently saved (or loaded) sessions, reused by the next save.

An agent appends a message and saves, again and again: re-encoding every
message each time made a save of a long session cost several times the
write itself. :class:`MessageCache` keeps, per session, the message objects
last encoded and the file bytes they gave, so a save encodes only the new
messages and copies the bytes of the others (one ``bytes.join``).

Messages are frozen, so a message object encodes the same way again, except
for the mutable JSON it holds (tool inputs, unknown keys: its *parts*). The
proof that none changed in place is ``_parts``' (one C-level pass per save:
the empty parts still empty, a marshal fingerprint of the others). When it
fails, every message is encoded again: slower, never stale.

A session loaded from a file this store wrote is seeded from the file's
bytes (:meth:`MessageCache.seed`): the first save after a load does not
re-encode the history either. The fingerprint of its parts is taken then,
while they are as read.
"""

from __future__ import annotations

import operator
import threading
from typing import Any

from . import _json
from ._codec import encode_message
from ._parts import fingerprint, parts_of
from .records import Message, SessionData

__all__ = ["MessageCache"]

#: Stands for the messages while the rest of the session file is encoded; the
#: encoder never writes a raw NUL (strings escape it), so it cannot clash.
_MARK = "\x00"
_MARK_BYTES = _MARK.encode()
_MESSAGES = b'\n  "messages": [\n    '  # what comes before the first message...
_SEP = b",\n    "  # ...between two messages...
_LAST = b"\n  ]"  # ...and after the last one (messages sit at level 2)
_BETWEEN = b"\n    }" + _SEP + b"{"  # where one message ends and the next begins


class _Encoded:
    """What was last encoded for one session: the messages (references, which
    also keep their ids from being reused), the file bytes and where the
    messages sit in them, and the parts with their fingerprint."""

    __slots__ = ("messages", "data", "start", "end", "empty", "full", "print")

    empty: list[Any]
    full: list[Any]
    print: bytes | None

    def __init__(self, messages: list[Message], data: bytes, start: int, end: int,
                 base: _Encoded | None = None) -> None:
        """``base``: an entry for the first messages (proven unchanged), whose
        parts are taken over; only the parts of the others are looked at."""
        self.messages = messages
        self.data = data
        self.start, self.end = start, end  # data[start:end]: the messages, no brackets
        added = messages[len(base.messages):] if base is not None else messages
        empty, full = parts_of(added)
        printed = fingerprint(full)
        if base is not None:
            empty = base.empty + empty
            full = base.full + full
            printed = None if base.print is None or printed is None else base.print + printed
        self.empty, self.full, self.print = empty, full, printed

    def unchanged(self) -> bool:
        """Whether no part of the messages was changed in place since (``_parts``)."""
        return self.print is not None and not any(self.empty) and \
            fingerprint(self.full) == self.print

    def appended_to(self, messages: list[Message]) -> bool:
        """Whether ``messages`` are these messages (the same objects) and maybe more."""
        return len(messages) >= len(self.messages) and all(
            map(operator.is_, self.messages, messages))

    def chunks(self) -> dict[int, bytes] | None:
        """Each message's bytes by the message's ``id()``; None if the bytes
        do not split into one piece per message (then nothing is reused)."""
        pieces = self.data[self.start:self.end].split(_BETWEEN)
        if len(pieces) != len(self.messages):
            return None
        last = len(pieces) - 1
        return {id(m): (b"" if i == 0 else b"{") + p + (b"" if i == last else b"\n    }")
                for i, (m, p) in enumerate(zip(self.messages, pieces))}


class MessageCache:
    """Encoded messages of a few recently saved or loaded sessions (see the module)."""

    def __init__(self, max_sessions: int = 4) -> None:
        self.max_sessions = max_sessions
        self._sessions: dict[str, _Encoded] = {}
        # Threads share a store object, and so its cache: one encoding at a time
        # (they hold the GIL while encoding anyway).
        self._lock = threading.Lock()

    def encode_session(self, session: SessionData) -> bytes:
        """The session file's bytes, reusing the bytes of messages encoded before.

        :raises InvalidDataError: naming the key (``messages[3].input`` ...).
        """
        with self._lock:
            old = self._sessions.pop(session.id, None)
            messages = list(session.messages)
            if not messages:
                return _json.encode_bytes(session.to_dict())
            head, _, tail = _json.encode_bytes(
                session._to_dict_with_messages([_json.Raw(_MARK)])).partition(_MARK_BYTES)
            if old is not None and not old.unchanged():
                old = None  # a part changed in place: encode every message again
            base = old if old is not None and old.appended_to(messages) else None
            data = b"".join([head, *_body(old, base, messages), tail])
            self._keep(session.id, _Encoded(messages, data, len(head), len(data) - len(tail),
                                            base))
            return data

    def seed(self, session: SessionData, data: bytes) -> None:
        """Remember ``data``, the bytes of a file this store wrote, as the
        encoding of ``session`` just decoded from it (nothing was changed yet)."""
        start = data.find(_MESSAGES)
        if start < 0 or not session.messages:
            return
        start += len(_MESSAGES)
        end = data.find(_LAST, start)  # the first line at level 1 after the messages
        if end < 0:
            return
        with self._lock:
            self._keep(session.id, _Encoded(list(session.messages), data, start, end))

    def forget(self, session_id: str) -> None:
        """Drop what is cached for a session (it was deleted)."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def _keep(self, session_id: str, entry: _Encoded) -> None:
        self._sessions[session_id] = entry
        while len(self._sessions) > self.max_sessions:
            self._sessions.pop(next(iter(self._sessions)))


def _body(old: _Encoded | None, base: _Encoded | None,
          messages: list[Message]) -> list[bytes | memoryview]:
    """The pieces of bytes of the messages, between the array's brackets."""
    if base is not None:  # messages appended (the agent loop): old bytes, then new
        pieces: list[bytes | memoryview] = [memoryview(base.data)[base.start:base.end]]
        for index in range(len(base.messages), len(messages)):
            pieces += [_SEP, encode_message(messages[index], index, level=2)]
        return pieces
    known = old.chunks() if old is not None else None
    pieces = []
    for index, message in enumerate(messages):
        if index:
            pieces.append(_SEP)
        # id() alone could name another object once the first is gone; the
        # old entry holds its messages, so a match is the same object.
        chunk = known.get(id(message)) if known is not None else None
        pieces.append(chunk if chunk is not None else encode_message(message, index, level=2))
    return pieces
