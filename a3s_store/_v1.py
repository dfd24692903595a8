"""Sessions that a3s-code 5 and later stored: ``v1/sessions/id_<base64url(id)>.json``.

Those builds keep a whole generation in one ``SessionSnapshotV1`` envelope
per session (evolution.md §1.1), named by the base64url of the id (no
padding). This package reads them: ``load``, ``load_snapshot``, the side-data
loads, ``list`` and ``list_summaries`` see a session that exists only there.
It never writes into ``v1/`` (a3s-code 5 guards it with a lock and a log of
its own): a save writes the 3.4 layout beside it, which this package reads
from then on (a3s-code 5 keeps reading its envelope); ``delete`` removes
the envelope too, so the session does not come back. An envelope sealed
with a3s-code's at-rest key (``A3SE``) cannot be read without it and is
reported as such.
"""

from __future__ import annotations

import base64
import binascii

from . import _json
from ._layout import Layout
from .errors import CorruptDataError
from .snapshot import SessionSnapshot

__all__ = ["V1_SESSIONS", "v1_name", "v1_id", "read_v1", "list_v1"]

#: The folder of a3s-code 5's session envelopes, under the root.
V1_SESSIONS = ("v1", "sessions")
_SEALED = b"A3SE"


def v1_name(session_id: str) -> str | None:
    """The envelope's file name of an id (None when too long to be a name)."""
    encoded = base64.urlsafe_b64encode(session_id.encode("utf-8")).rstrip(b"=").decode("ascii")
    name = f"id_{encoded}.json"
    return name if len(name) <= 255 else None


def v1_id(name: str) -> str | None:
    """The id an envelope's file name stands for (None for any other name)."""
    if not (name.startswith("id_") and name.endswith(".json")):
        return None
    encoded = name[3:-5]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        identifier = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return identifier if v1_name(identifier) == name else None


def read_v1(layout: Layout, session_id: str) -> tuple[SessionSnapshot, tuple[int, ...]] | None:
    """The envelope of ``session_id`` and its file's signature, or None.

    :raises CorruptDataError: unreadable, sealed, from a newer schema, or the
        envelope of another session.
    """
    name = v1_name(session_id)
    if name is None or layout.folder(V1_SESSIONS) is None:
        return None
    got = layout.read(V1_SESSIONS, name)
    if got is None:
        return None
    data, sig = got
    path = layout.path(V1_SESSIONS, name)
    if data.startswith(_SEALED):
        raise CorruptDataError("an envelope sealed with a3s-code's at-rest key: it cannot be "
                               "read without it", path=path, session_id=session_id)
    try:
        snapshot = SessionSnapshot.from_dict(_json.decode(data))
    except CorruptDataError as exc:
        raise exc.located(path=path, session_id=session_id)
    if snapshot.session.id != session_id:
        raise CorruptDataError(f"the envelope holds session {snapshot.session.id!r}",
                               key="session.id", path=path, session_id=session_id)
    return snapshot, tuple(sig)


def list_v1(layout: Layout) -> list[tuple[str, str]]:
    """(id, file name) of every envelope in ``v1/sessions``."""
    try:
        entries = layout.entries(V1_SESSIONS) if layout.folder(V1_SESSIONS) else []
    except CorruptDataError:
        return []  # a file where the folder should be: not a3s-code's
    out = []
    for entry in entries:
        identifier = v1_id(entry.name)
        if identifier is not None and entry.is_file(follow_symlinks=False):
            out.append((identifier, entry.name))
    return sorted(out)
