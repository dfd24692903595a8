"""The transactions of the SQL store that read and write session rows.

Each function here is the body of one transaction (see ``_link``). A write
reads the session row first, under a row lock on PostgreSQL (SQLite's
``BEGIN IMMEDIATE`` already holds the write lock), checks
``expected_revision`` and ``create_only`` against it, then updates it with
``WHERE revision = ?``: a row changed since it was read makes the update
touch nothing, and the transaction runs again instead of writing over it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConflictError, CorruptDataError, InvalidDataError
from ._link import Retry, Tx
from ._mirror import Plan, plan_rows
from ._rows import file_size, key, unkey

__all__ = ["SessionWrite", "bump_revision", "check_revision", "delete_session",
           "list_ids", "list_summaries", "read_session", "read_state", "write_session"]

_STATE = ("SELECT revision, document IS NOT NULL, messages_token, message_count, "
          "messages_bytes FROM a3s_sessions WHERE id = ?")
_INSERT = ("INSERT INTO a3s_sessions (revision, document, messages_token, message_count, "
           "messages_bytes, name, state, model, created_at, updated_at, size_bytes, id) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
_UPDATE = ("UPDATE a3s_sessions SET revision = ?, document = ?, messages_token = ?, "
           "message_count = ?, messages_bytes = ?, name = ?, state = ?, model = ?, "
           "created_at = ?, updated_at = ?, size_bytes = ? WHERE id = ? AND revision = ?")
_PLACEHOLDER = ("INSERT INTO a3s_sessions (id, revision, document, messages_token, "
                "message_count, messages_bytes) VALUES (?, ?, NULL, '', 0, 0) "
                "ON CONFLICT (id) DO NOTHING")
_BUMP = "UPDATE a3s_sessions SET revision = ? WHERE id = ? AND revision = ?"
_TRIM = "DELETE FROM a3s_messages WHERE session_id = ? AND position >= ?"
_APPEND = ("INSERT INTO a3s_messages (session_id, position, message, file_bytes) "
           "VALUES (?, ?, ?, ?)")
_TRIMMED_BYTES = ("SELECT COALESCE(SUM(file_bytes), 0) FROM a3s_messages "
                  "WHERE session_id = ? AND position >= ?")
_READ = ("SELECT revision, document, messages_token, message_count FROM a3s_sessions "
         "WHERE id = ?")
_MESSAGES = "SELECT position, message FROM a3s_messages WHERE session_id = ? ORDER BY position"
_SUMMARY = ("SELECT id, name, state, model, message_count, created_at, updated_at, size_bytes "
            "FROM a3s_sessions WHERE document IS NOT NULL")


def new_revision() -> str:
    """A fresh revision: random, so one is never reused after a delete."""
    return secrets.token_hex(8)


def check_revision(session_id: str, current: str | None, exists: bool,
                   expected_revision: str | None, create_only: bool, where: str) -> None:
    """The checks of ``create_only`` and ``expected_revision`` (the file store's)."""
    if create_only and exists:
        raise ConflictError("session already exists (create_only)", session_id=session_id,
                            path=where)
    if expected_revision is not None and expected_revision != current:
        raise ConflictError(
            f"stale revision: expected {expected_revision!r}, the store has {current!r}; "
            "nothing was written", session_id=session_id, path=where)


@dataclass(slots=True)
class SessionWrite:
    """A save, encoded before its transaction opens (the lock is held only to write)."""

    session_id: str
    head: str
    summary: dict[str, Any]
    plan: Plan
    expected_revision: str | None
    create_only: bool
    components: dict[str, str] | None  # component name -> document text, for a snapshot
    max_file_bytes: int


def read_state(tx: Tx, session_key: str, *, lock: bool) -> Any:
    """(revision, has a document, messages token, message count, messages bytes) or None."""
    return tx.one(_STATE + (tx.dialect.lock_row if lock else ""), (session_key,))


def write_session(tx: Tx, w: SessionWrite,
                  write_components: Callable[[Tx, str, dict[str, str]], None]
                  ) -> tuple[str, Plan]:
    """Save the session row and its message rows; return (revision, the plan used)."""
    k = key(w.session_id)
    row = read_state(tx, k, lock=True)
    current, exists, token, stored, stored_bytes = row if row is not None else (
        None, False, None, 0, 0)
    check_revision(w.session_id, current, bool(exists), w.expected_revision, w.create_only,
                   tx.where)
    plan = w.plan
    if plan.basis is not None and plan.basis != token:
        plan = plan_rows(plan.messages, None)  # another writer changed the rows: all of them
    changed = bool(plan.rows) or plan.keep < stored or token is None
    plan.token = new_revision() if changed else token
    message_bytes = _message_bytes(tx, k, plan, stored, stored_bytes)
    size = file_size(w.head, message_bytes, len(plan.messages))
    if size > w.max_file_bytes:
        raise InvalidDataError(f"document of {size} bytes exceeds the byte limit of "
                               f"{w.max_file_bytes}; nothing was written",
                               session_id=w.session_id)
    revision = new_revision()
    s = w.summary
    values = (revision, w.head, plan.token, len(plan.messages), message_bytes,
              key(s["name"]), s["state"], key(s["model"]), s["created_at"], s["updated_at"],
              size, k)
    if row is None:
        if tx.execute(_INSERT, values) == 0:
            raise Retry  # created by another writer since we looked
    elif tx.execute(_UPDATE, values + (current,)) == 0:
        raise Retry
    if plan.keep < stored:
        tx.execute(_TRIM, (k, plan.keep))
    if plan.rows:
        tx.many(_APPEND, [(k, position, text, nbytes) for position, text, nbytes in plan.rows])
    if w.components is not None:
        write_components(tx, k, w.components)
    return revision, plan


def _message_bytes(tx: Tx, session_key: str, plan: Plan, stored: int, stored_bytes: int) -> int:
    """What the history will take in the session file once ``plan`` is written."""
    if plan.keep == 0:
        return plan.new_bytes()
    if plan.keep < stored:  # rows are removed: subtract what they took
        stored_bytes -= tx.one(_TRIMMED_BYTES, (session_key, plan.keep))[0]
    return stored_bytes + plan.new_bytes()


def bump_revision(tx: Tx, session_key: str) -> str:
    """Give a session a new revision (side data saved), making its row if needed."""
    row = read_state(tx, session_key, lock=True)
    revision = new_revision()
    if row is None:
        if tx.execute(_PLACEHOLDER, (session_key, revision)) == 0:
            raise Retry
    elif tx.execute(_BUMP, (revision, session_key, row[0])) == 0:
        raise Retry
    return revision


def read_session(tx: Tx, session_key: str) -> tuple[Any, list[Any]] | None:
    """((revision, head, token, count), [(position, message), ...]) or None."""
    row = tx.one(_READ, (session_key,))
    if row is None or row[1] is None:
        return None
    return row, (tx.all(_MESSAGES, (session_key,)) if row[3] else [])


def message_texts(session_id: str, count: int, rows: list[Any], where: str) -> list[str]:
    """The message texts of ``rows``, after checking they are positions 0..count-1."""
    if len(rows) != count or (count and (rows[0][0] != 0 or rows[-1][0] != count - 1)):
        raise CorruptDataError(
            f"the session row counts {count} messages, the message rows are "
            f"{len(rows)} (positions {rows[0][0] if rows else '-'} to "
            f"{rows[-1][0] if rows else '-'})", key="messages", path=where,
            session_id=session_id)
    return [row[1] for row in rows]


def delete_session(tx: Tx, session_key: str) -> None:
    """Remove the session row, its messages and its components."""
    row = read_state(tx, session_key, lock=True)
    if row is None:
        return
    for table, column in (("a3s_messages", "session_id"), ("a3s_components", "session_id"),
                          ("a3s_sessions", "id")):
        tx.execute(f"DELETE FROM {table} WHERE {column} = ?", (session_key,))


def list_ids(tx: Tx) -> list[str]:
    """Every stored session's id, sorted."""
    rows = tx.all("SELECT id FROM a3s_sessions WHERE document IS NOT NULL ORDER BY id")
    return [unkey(row[0]) for row in rows]


def list_summaries(tx: Tx, limit: int | None, after: str | None) -> list[tuple[Any, ...]]:
    """Summary rows (id, name, state, model, messages, created, updated, size), by id."""
    sql = _SUMMARY
    params: list[object] = []
    if after is not None:
        sql += " AND id > ?"
        params.append(key(after))
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [(unkey(r[0]), unkey(r[1]) or "", r[2], unkey(r[3]), r[4], r[5], r[6], r[7])
            for r in tx.all(sql, tuple(params))]
