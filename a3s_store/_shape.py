"""What a file must look like to be taken for a session, and a folder for a store.

A folder the store is pointed at may be a project folder, not a store: its
``package.json`` is not a session, damaged or not, and must never be moved.
A root ``*.json`` file is taken for a session (sound or damaged) when it is
empty (a write cut short), is a JSON object with an ``id`` key, or, when it
does not parse, starts the way every session file starts: ``{`` and the
``"id"`` key (a3s-code and this package both write the id first).
"""

from __future__ import annotations

import json
import re

__all__ = ["looks_like_session"]

_SESSION_START = re.compile(rb'\s*\{\s*"id"\s*:')
_START = b'{"id":'


def looks_like_session(data: bytes) -> bool:
    """Whether ``data`` is a session file, or what is left of one."""
    if _SESSION_START.match(data):
        return True
    squeezed = re.sub(rb"\s+", b"", data[:64])
    if len(squeezed) < len(_START) and _START.startswith(squeezed):
        return True  # empty, or cut short before the id
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(value, dict) and "id" in value
