"""Which message rows a save must write: the store's memory of what the database holds.

Appending a message to a 10,000-message session must write one row, not
10,000. After each save or load the store keeps a **mirror** of the
session's history as it is in the database: the message objects and the
database's ``messages_token`` at that moment. The next save of the same
session compares the history it is given with the mirror and writes only
from the first message that differs; the token, read again in the save's
own transaction, proves the rows are still the mirrored ones (another
writer changes it), or the whole history is written.

A message that is the *same object* as a mirrored one is unchanged only if
the opaque JSON it holds (tool inputs, unknown keys: dicts a caller can
change in place) is unchanged too. Those parts are collected once per
message. Most are empty (the unknown keys of a block, say): they are
unchanged while ``any()`` finds none of them filled. The others are
fingerprinted with :mod:`marshal` (version 2: no references, so the bytes
depend only on the values, their types and their key order). Both checks
are one C-level pass per save (``_parts``, shared with the file store's
encoding cache); if either sees a change, the whole history is written
again. Values :mod:`marshal` cannot take (subclasses of ``float`` or
``str``) leave the mirror without a fingerprint, so the next save writes
everything: slower, never stale.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from operator import is_
from typing import Any

from .._parts import fingerprint as _fingerprint
from .._parts import parts_of as _parts_of
from ..records import Message
from ._rows import encode_message

__all__ = ["Mirror", "MirrorCache", "Plan", "plan_rows"]

#: Sessions whose mirror a store keeps (each holds references to the messages).
MAX_MIRRORS = 8


@dataclass(slots=True)
class Mirror:
    """The history of one session as the database holds it under ``token``."""

    token: str
    messages: list[Message]
    empty: list[Any]  # mutable parts that were empty: unchanged while they all still are
    filled: list[Any]  # the other mutable parts, fingerprinted
    fingerprint: bytes | None

    @classmethod
    def of(cls, token: str, messages: list[Message]) -> Mirror:
        """A mirror of ``messages`` as they are now (a load, a full write)."""
        empty, filled = _parts_of(messages)
        return cls(token, messages, empty, filled, _fingerprint(filled))

    def unchanged_prefix(self, messages: list[Message]) -> int:
        """How many leading messages of ``messages`` are the mirrored rows, unchanged."""
        if (self.fingerprint is None or any(self.empty)
                or _fingerprint(self.filled) != self.fingerprint):
            return 0  # something mirrored changed in place: rewrite it all
        mirrored = self.messages
        count = min(len(messages), len(mirrored))
        if all(map(is_, messages[:count], mirrored)):
            return count
        return next(i for i in range(count) if messages[i] is not mirrored[i])

    def extended(self, token: str, new: list[Message]) -> Mirror:
        """This mirror with ``new`` messages appended (it is used up)."""
        empty, filled = _parts_of(new)
        fingerprint = self.fingerprint
        if fingerprint is not None:
            extra = _fingerprint(filled)
            fingerprint = None if extra is None else fingerprint + extra
        self.messages.extend(new)
        self.empty.extend(empty)
        self.filled.extend(filled)
        return Mirror(token, self.messages, self.empty, self.filled, fingerprint)


@dataclass(slots=True)
class Plan:
    """The rows one save writes: keep the first ``keep`` rows, write ``rows`` after them.

    ``rows`` are (position, text, bytes in the session file). ``basis`` is
    the messages token the plan assumes the database holds (None: a plan
    that writes every row, whatever the database holds); ``token`` is set by
    the transaction to the token the rows will have.
    """

    keep: int
    rows: list[tuple[int, str, int]]
    messages: list[Message]
    basis: str | None
    token: str | None = None

    def new_bytes(self) -> int:
        """The bytes the written rows take in the session file."""
        return sum(row[2] for row in self.rows)

    def mirror(self, previous: Mirror | None) -> Mirror:
        """The mirror of the database once this plan is committed."""
        if (previous is not None and self.basis == previous.token and self.keep
                and self.keep == len(previous.messages)):
            return previous.extended(self.token or "", self.messages[self.keep:])
        return Mirror.of(self.token or "", list(self.messages))


def plan_rows(messages: list[Message], mirror: Mirror | None) -> Plan:
    """The rows to write so that the database holds ``messages``, assuming it
    holds what ``mirror`` says (the transaction checks the token)."""
    keep = 0 if mirror is None else mirror.unchanged_prefix(messages)
    rows = []
    for index in range(keep, len(messages)):
        text, size = encode_message(messages[index], index)
        rows.append((index, text, size))
    return Plan(keep, rows, messages, None if mirror is None else mirror.token)


class MirrorCache:
    """The mirrors of the few sessions a store saved or loaded last."""

    def __init__(self, size: int = MAX_MIRRORS) -> None:
        self.size = size
        self._mirrors: OrderedDict[str, Mirror] = OrderedDict()

    def get(self, session_id: str) -> Mirror | None:
        """The mirror of a session, or None; taken out until :meth:`put` returns it,
        so a save that fails halfway leaves no mirror behind."""
        return self._mirrors.pop(session_id, None)

    def put(self, session_id: str, mirror: Mirror) -> None:
        """Keep ``mirror`` as what the database holds for ``session_id``."""
        self._mirrors[session_id] = mirror
        while len(self._mirrors) > self.size:
            self._mirrors.popitem(last=False)

    def forget(self, session_id: str) -> None:
        """Drop the mirror of a session (deleted, or its save failed)."""
        self._mirrors.pop(session_id, None)
