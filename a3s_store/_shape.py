"""What a file must look like to be taken for a session, and a folder for a store.

A folder the store is pointed at may be a project folder, not a store: its
``package.json`` is not a session, damaged or not, and must never be moved.
A root ``*.json`` file is taken for a session (sound or damaged) when it is
empty (a write cut short), is a JSON object with a string ``id`` and one of
the keys every session has (``messages``, ``config``...: a JSON Schema's
``id`` alone is not enough), or, when it does not parse, starts the way every
session file starts: ``{`` and the ``"id"`` key (a3s-code and this package
both write the id first). Only a file that parses counts as evidence that a
folder is a store (:func:`is_session_document`).
"""

from __future__ import annotations

import json
import re

__all__ = ["is_session_document", "looks_like_session"]

_SESSION_START = re.compile(rb'\s*\{\s*"id"\s*:')
_START = b'{"id":'
_SESSION_KEYS = ("messages", "config", "state", "context_usage", "total_usage", "created_at")


def looks_like_session(data: bytes) -> bool:
    """Whether ``data`` is a session file, or what is left of one."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        if _SESSION_START.match(data):
            return True  # torn after the id
        squeezed = re.sub(rb"\s+", b"", data[:64])
        return len(squeezed) < len(_START) and _START.startswith(squeezed)  # cut before it
    return _session_shaped(value)


def is_session_document(data: bytes) -> bool:
    """Whether ``data`` parses as a JSON object with a session's shape."""
    try:
        return _session_shaped(json.loads(data))
    except (ValueError, UnicodeDecodeError):
        return False


def _session_shaped(value: object) -> bool:
    return (isinstance(value, dict) and isinstance(value.get("id"), str)
            and any(key in value for key in _SESSION_KEYS))
