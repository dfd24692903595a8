"""The SQL store's tables, and the migrations that make them.

Five tables in the connection's current schema (``main`` for SQLite, the
first schema of ``search_path`` for PostgreSQL)::

    a3s_schema_version  version (primary key), description
                        one row per migration applied
    a3s_sessions        id (primary key), revision, document, messages_token,
                        message_count, messages_bytes,
                        name, state, model, created_at, updated_at, size_bytes
                        document: the session file's JSON with "messages": []
                        (NULL while only side data was saved); the last six
                        columns are what list_summaries shows
    a3s_messages        (session_id, position) primary key, message, file_bytes
                        message: the message's JSON, serde_json's pretty bytes;
                        file_bytes: what it takes in the session file
    a3s_components      (session_id, component) primary key, document
                        component: a side file's name ("artifacts", "traces",
                        ...); document: that file's bytes
    a3s_checkpoints     (kind, checkpoint_id) primary key, document
                        kind "loop" (by run id) or "workflow" (by workflow id)

Id and name columns hold :func:`~a3s_store.sql._rows.key` text. Every
migration runs once, under a lock (SQLite's write lock; a PostgreSQL
advisory lock per schema), and records its version in the same transaction.
A database whose version is newer than this code knows is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import UnsupportedVersionError

if TYPE_CHECKING:
    from ._link import Tx

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "ensure_schema", "schema_version"]

_V1 = (
    """CREATE TABLE a3s_sessions (
        id {id} PRIMARY KEY,
        revision TEXT NOT NULL,
        document TEXT,
        messages_token TEXT NOT NULL,
        message_count BIGINT NOT NULL,
        messages_bytes BIGINT NOT NULL,
        name TEXT,
        state TEXT,
        model TEXT,
        created_at BIGINT,
        updated_at BIGINT,
        size_bytes BIGINT
    )""",
    """CREATE TABLE a3s_messages (
        session_id {id} NOT NULL,
        position BIGINT NOT NULL,
        message TEXT NOT NULL,
        file_bytes BIGINT NOT NULL,
        PRIMARY KEY (session_id, position)
    ){table}""",
    """CREATE TABLE a3s_components (
        session_id {id} NOT NULL,
        component TEXT NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (session_id, component)
    )""",
    """CREATE TABLE a3s_checkpoints (
        kind TEXT NOT NULL,
        checkpoint_id {id} NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (kind, checkpoint_id)
    )""",
)

#: (version, description, statements), oldest first. A new migration is a row
#: here; it must not change the meaning of an existing one.
#: One migration: (version, description, statements).
Migration = tuple[int, str, tuple[str, ...]]
MIGRATIONS: tuple[Migration, ...] = (
    (1, "sessions, messages, components, checkpoints", _V1),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS a3s_schema_version (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL
)"""


def schema_version(tx: Tx) -> int | None:
    """The database's schema version, or None when no store was ever made there."""
    if tx.one(tx.dialect.table_exists, ("a3s_schema_version",)) is None:
        return None
    row = tx.one("SELECT max(version) FROM a3s_schema_version")
    version: int | None = row[0] if row is not None else None
    return version


def check_version(version: int | None, where: str,
                  migrations: Sequence[Migration] = MIGRATIONS) -> bool:
    """Whether the schema is current; :class:`UnsupportedVersionError` when newer."""
    target = migrations[-1][0]
    if version is not None and version > target:
        raise UnsupportedVersionError(
            f"the database's schema is version {version}, newer than the {target} "
            "this a3s_store knows; use a newer a3s_store", path=where)
    return version == target


def ensure_schema(tx: Tx, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the migrations the database lacks (in a write transaction); return them.

    Takes the schema lock first and reads the version again under it, so
    that of several processes opening a new database at once, one migrates
    and the others find the work done.
    """
    if tx.dialect.lock_schema:
        tx.execute(tx.dialect.lock_schema)
    tx.execute(_VERSION_TABLE)
    version = schema_version(tx) or 0
    check_version(version, tx.where, migrations)
    applied: list[int] = []
    for number, description, statements in migrations:
        if number <= version:
            continue
        for statement in statements:
            tx.execute(statement)
        tx.execute("INSERT INTO a3s_schema_version (version, description) VALUES (?, ?)",
                   (number, description))
        applied.append(number)
    return applied
