"""Exports of a session: its bytes in each format, and writing them to the user's file.

The one place a session leaves the store for a file of the user's: the
bytes are written atomically (a temporary file beside the target, fsync,
rename, fsync of the folder) through the I/O layer, so a reader of the
export never sees half of it.
"""

from __future__ import annotations

from . import _fs, _json
from ._render_html import render_document
from ._render_text import render_markdown, render_show, snapshot_dict
from .snapshot import SessionSnapshot

__all__ = ["FORMATS", "EXPORT_SCHEMA", "SUFFIXES", "export_bytes", "format_of", "write_export"]

#: The formats of ``export``.
FORMATS = ("json", "markdown", "html", "text")
#: The format a file name's suffix stands for (``export -o chat.html``).
SUFFIXES = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".html": "html",
            ".htm": "html", ".txt": "text", ".text": "text"}
EXPORT_SCHEMA = "a3s_store.export.v1"


def export_bytes(snap: SessionSnapshot, fmt: str) -> bytes:
    """The export of a snapshot in ``json``, ``markdown``, ``html`` or ``text``
    (what ``a3s-store show --full`` prints)."""
    data = snapshot_dict(snap)
    if fmt == "json":
        doc = {"schema": EXPORT_SCHEMA, "id": snap.session.id, **data}
        return _json.encode_bytes(doc) + b"\n"
    if fmt == "markdown":
        return render_markdown(data).encode("utf-8")
    if fmt == "text":
        return (render_show(data, full=True) + "\n").encode("utf-8")
    return render_document(data).encode("utf-8")


def format_of(path: str) -> str | None:
    """The format the suffix of ``path`` stands for (case aside), or None.

    >>> format_of("chat.HTML"), format_of("notes.md"), format_of("chat.pdf")
    ('html', 'markdown', None)
    """
    dot = path.rfind(".")
    return SUFFIXES.get(path[dot:].lower()) if dot > path.rfind("/") else None


def write_export(path: str, data: bytes) -> None:
    """Write ``data`` to the user's file ``path`` atomically (mode 0600 when new)."""
    _fs.write_file(path, data)
