"""Exports of a session: its bytes in each format, and writing them to the user's file.

The one place a session leaves the store for a file of the user's: the
bytes are written atomically (a temporary file beside the target, fsync,
rename, fsync of the folder) through the I/O layer, so a reader of the
export never sees half of it.
"""

from __future__ import annotations

from . import _fs, _json
from ._render_html import render_document
from ._render_text import render_markdown, snapshot_dict
from .snapshot import SessionSnapshot

__all__ = ["FORMATS", "EXPORT_SCHEMA", "export_bytes", "write_export"]

#: The formats of ``export``.
FORMATS = ("json", "markdown", "html")
EXPORT_SCHEMA = "a3s_store.export.v1"


def export_bytes(snap: SessionSnapshot, fmt: str) -> bytes:
    """The export of a snapshot in ``json``, ``markdown`` or ``html``."""
    data = snapshot_dict(snap)
    if fmt == "json":
        doc = {"schema": EXPORT_SCHEMA, "id": snap.session.id, **data}
        return _json.encode_bytes(doc) + b"\n"
    if fmt == "markdown":
        return render_markdown(data).encode("utf-8")
    return render_document(data).encode("utf-8")


def write_export(path: str, data: bytes) -> None:
    """Write ``data`` to the user's file ``path`` atomically (mode 0600 when new)."""
    _fs.write_file(path, data)
