"""The mutable JSON a message holds, and a proof that it did not change in place.

Messages and blocks are frozen, but the opaque JSON they hold (tool inputs,
unknown keys, unknown blocks' data) is made of dicts and lists a caller can
change in place. A store that reuses what it wrote for a message object
(the file store's encodings, the SQL store's rows) must see such a change:

* most parts are empty (a block's unknown keys): they are unchanged while
  ``any(map(len, empty))`` finds none filled;
* the others are fingerprinted with :mod:`marshal` (version 2: no
  references, so the bytes depend only on the values, their types and their
  key order; ``2``, ``2.0`` and ``True`` differ). Fingerprints of
  consecutive runs of parts concatenate.

Both are one C-level pass. Values :mod:`marshal` refuses (subclasses of
``float`` or ``str``, such as ``F32``) give no fingerprint: the caller then
reuses nothing, slower, never stale.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from typing import Any

from .records import ContentBlock, ImageBlock, Message, ToolResultBlock, ToolUseBlock, UnknownBlock

__all__ = ["fingerprint", "parts_of"]


def parts_of(messages: Iterable[Message]) -> tuple[list[Any], list[Any]]:
    """The mutable parts of ``messages``, by reference: (the empty ones, the others)."""
    empty: list[Any] = []
    filled: list[Any] = []
    for message in messages:
        _sort(message.extra, empty, filled)
        for block in message.content:
            _block_parts(block, empty, filled)
    return empty, filled


def fingerprint(parts: list[Any]) -> bytes | None:
    """The marshal body of ``parts`` (the list header dropped, so fingerprints of
    consecutive runs of parts concatenate); None when marshal refuses a value."""
    try:
        return marshal.dumps(parts, 2)[5:]
    except ValueError:
        return None


def _sort(part: Any, empty: list[Any], filled: list[Any]) -> None:
    (empty if type(part) is dict and not part else filled).append(part)


def _block_parts(block: ContentBlock, empty: list[Any], filled: list[Any]) -> None:
    if type(block) is UnknownBlock:
        filled.append(block.data)
        return
    _sort(block.extra, empty, filled)
    if type(block) is ToolUseBlock:
        _sort(block.input, empty, filled)
    elif type(block) is ImageBlock:
        _sort(block.source.extra, empty, filled)
    elif type(block) is ToolResultBlock and type(block.content) is tuple:
        for item in block.content:
            _block_parts(item, empty, filled)
