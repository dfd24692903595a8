"""Rows to session files and back: the text the SQL store keeps, in the file store's bytes.

A session is kept as a **head** (the session file's document with
``"messages": []`` in place of the history, exactly as the encoder writes it)
and one **message row** per message (the message's own document, as
``serde_json::to_string_pretty`` prints it). The session file is the head
with the rows spliced in at the messages slot, each indented two levels:
inside a JSON document a raw newline is only ever layout (newlines in
strings are escaped), so re-indenting is a plain replace and the spliced
text is, byte for byte, what the file store writes.

>>> from .. import Message, SessionData, TextBlock
>>> from .. import _codec
>>> s = SessionData(id="s-1", created_at=1, updated_at=2,
...                 messages=[Message(role="user", content=[TextBlock(text="hi")])])
>>> head = head_text(s)
>>> rows = [encode_message(m, 0)[0] for m in s.messages]
>>> document(head, rows) == _codec.encode_session(s)
True

Ids and listed names are free text; PostgreSQL's ``text`` cannot hold a NUL
character, so :func:`key` stores them with an escape that keeps the order
of code points (``ORDER BY`` matches Python's ``sorted``):

>>> key("a\\x00b"), unkey(key("a\\x00b")) == "a\\x00b"
('a\\x01\\x01b', True)
"""

from __future__ import annotations

from typing import overload

from .. import _codec, _json
from ..errors import A3SStoreError, CorruptDataError
from ..records import Message, SessionData

__all__ = ["MESSAGES_SLOT", "document", "encode_message", "file_size", "head_text", "key",
           "load_session", "unkey"]

#: Where the history goes in a head: a top-level key (two spaces after a
#: newline can only be the first level of the document).
MESSAGES_SLOT = '\n  "messages": []'
_OPEN = '\n  "messages": [\n    '
_ROW_INDENT = "\n    "


@overload
def key(text: str) -> str: ...
@overload
def key(text: None) -> None: ...


def key(text: str | None) -> str | None:
    """``text`` as stored in a text column: NUL becomes ``\\x01\\x01``, ``\\x01``
    becomes ``\\x01\\x02``; injective, and it keeps the order of code points."""
    if text is None or ("\x00" not in text and "\x01" not in text):
        return text
    return text.replace("\x01", "\x01\x02").replace("\x00", "\x01\x01")


@overload
def unkey(text: str) -> str: ...
@overload
def unkey(text: None) -> None: ...


def unkey(text: str | None) -> str | None:
    """The inverse of :func:`key`."""
    if text is None or "\x01" not in text:
        return text
    return text.replace("\x01\x01", "\x00").replace("\x01\x02", "\x01")


def head_text(session: SessionData) -> str:
    """The session file's document with an empty history (the encoder's bytes).

    :raises InvalidDataError: what the file store would refuse to write.
    """
    try:
        data = _json.encode_bytes(session._to_dict_with_messages([]))
    except A3SStoreError as exc:
        raise exc.located(session_id=session.id)
    return data.decode("utf-8")


def encode_message(message: Message, index: int) -> tuple[str, int]:
    """A message row's text and the bytes it takes in the session file.

    :raises InvalidDataError: naming ``messages[index]``.
    """
    data = _codec.encode_message(message, index)
    return data.decode("utf-8"), len(data) + 4 * data.count(b"\n")


def file_size(head: str, message_bytes: int, count: int) -> int:
    """The size of the session file: the head, plus the history spliced in."""
    size = len(head.encode("utf-8"))
    if count:
        # "[]" becomes "[\n    " row (",\n    " row)* "\n  ]"
        size += message_bytes + 6 * count + 2
    return size


def document(head: str, rows: list[str]) -> bytes:
    """The session file's bytes: ``rows`` spliced into ``head``."""
    if not rows:
        return head.encode("utf-8")
    before, slot, after = head.partition(MESSAGES_SLOT)
    if not slot:
        raise CorruptDataError('session document has no "messages": [] slot', key="messages")
    body = ",\n".join(rows).replace("\n", _ROW_INDENT)
    return (before + _OPEN + body + "\n  ]" + after).encode("utf-8")


def load_session(head: str, rows: list[str], *, session_id: str, where: str) -> SessionData:
    """The session held by a head and its message rows.

    The head and the rows (as one JSON array) are parsed apart, so no text is
    re-indented. Rows are the store's own writes, made by the strict
    encoder, so they are read on the fast path (as the file store reads the
    files it recognises).
    :raises CorruptDataError: naming the session, ``where`` and, for a bad
        row, ``messages[i]``.
    """
    try:
        with _codec._gc_paused():
            if MESSAGES_SLOT not in head:
                raise CorruptDataError('session document has no "messages": [] slot',
                                       key="messages")
            doc = _json.decode(head.encode("utf-8"), strict=False)
            if type(doc) is not dict:
                raise CorruptDataError(f"expected a JSON object, got {type(doc).__name__}")
            if rows:
                messages = _json.decode(("[" + ",".join(rows) + "]").encode("utf-8"),
                                        strict=False)
                if type(messages) is not list or len(messages) != len(rows):
                    raise CorruptDataError("a message row holds more than one value")
                doc["messages"] = messages
            session = SessionData.from_dict(doc)
    except CorruptDataError as exc:
        raise _located_row(exc, rows).located(path=where, session_id=session_id) from None
    if session.id != session_id:
        raise CorruptDataError(f"the row holds session {session.id!r}", key="id", path=where,
                               session_id=session_id)
    return session


def _located_row(exc: CorruptDataError, rows: list[str]) -> CorruptDataError:
    """A parse error of the rows, pinned to the row that caused it."""
    if exc.key is not None:
        return exc
    for index, row in enumerate(rows):
        try:
            _json.decode(row.encode("utf-8"), strict=False)
        except CorruptDataError as bad:
            exc.message = f"message row {index}: {bad.message}"
            exc.key = f"messages[{index}]"
            return exc
    return exc
