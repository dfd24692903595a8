"""The transactions of the SQL store for side data and checkpoints.

A session's side data (artifacts, traces, runs, verification reports,
subagent tasks: the components of ``_components``) is one row per component
holding that side file's bytes; saving one replaces its row and gives the
session a new revision. Checkpoints are one row per (kind, id).
"""

from __future__ import annotations

from .._components import CHECKPOINTS, SIDE
from ._link import Tx
from ._rows import key, unkey
from ._sessions import bump_revision

__all__ = ["delete_checkpoint", "list_checkpoints", "read_checkpoint", "read_component",
           "read_components", "write_checkpoint", "write_component", "write_components"]

_UPSERT = ("INSERT INTO a3s_components (session_id, component, document) VALUES (?, ?, ?) "
           "ON CONFLICT (session_id, component) DO UPDATE SET document = excluded.document")
_ONE = "SELECT document FROM a3s_components WHERE session_id = ? AND component = ?"
_ALL = "SELECT component, document FROM a3s_components WHERE session_id = ?"
_CHECKPOINT_UPSERT = (
    "INSERT INTO a3s_checkpoints (kind, checkpoint_id, document) VALUES (?, ?, ?) "
    "ON CONFLICT (kind, checkpoint_id) DO UPDATE SET document = excluded.document")
_CHECKPOINT = "SELECT document FROM a3s_checkpoints WHERE kind = ? AND checkpoint_id = ?"

#: The component names a row may carry; anything else in the table is not read.
SIDE_NAMES = frozenset(c.name for c in SIDE)
CHECKPOINT_KINDS = frozenset(c.name for c in CHECKPOINTS)


def write_components(tx: Tx, session_key: str, documents: dict[str, str]) -> None:
    """Replace the rows of the given components (a snapshot gives all of them)."""
    tx.many(_UPSERT, [(session_key, name, text) for name, text in documents.items()])


def write_component(tx: Tx, session_id: str, name: str, text: str) -> str:
    """Save one component of a session; return the session's new revision."""
    k = key(session_id)
    revision = bump_revision(tx, k)
    tx.execute(_UPSERT, (k, name, text))
    return revision


def read_component(tx: Tx, session_id: str, name: str) -> str | None:
    """The document of one component, or None when it was never saved."""
    row = tx.one(_ONE, (key(session_id), name))
    return None if row is None else row[0]


def read_components(tx: Tx, session_key: str) -> dict[str, str]:
    """Every saved component of a session: name -> document."""
    return {name: text for name, text in tx.all(_ALL, (session_key,)) if name in SIDE_NAMES}


def write_checkpoint(tx: Tx, kind: str, checkpoint_id: str, text: str) -> None:
    tx.execute(_CHECKPOINT_UPSERT, (kind, key(checkpoint_id), text))


def read_checkpoint(tx: Tx, kind: str, checkpoint_id: str) -> str | None:
    row = tx.one(_CHECKPOINT, (kind, key(checkpoint_id)))
    return None if row is None else row[0]


def delete_checkpoint(tx: Tx, kind: str, checkpoint_id: str) -> None:
    tx.execute("DELETE FROM a3s_checkpoints WHERE kind = ? AND checkpoint_id = ?",
               (kind, key(checkpoint_id)))


def list_checkpoints(tx: Tx, kind: str) -> list[str]:
    rows = tx.all("SELECT checkpoint_id FROM a3s_checkpoints WHERE kind = ? "
                  "ORDER BY checkpoint_id", (kind,))
    return [unkey(row[0]) for row in rows]
