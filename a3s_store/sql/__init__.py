"""The SQL session store: :class:`SqlSessionStore` on SQLite or PostgreSQL.

Importing this package imports no database driver: SQLite comes with
Python, and psycopg 3 is imported only by :meth:`SqlSessionStore.postgres`.
"""

from .store import SqlSessionStore

__all__ = ["SqlSessionStore"]
