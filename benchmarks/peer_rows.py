"""The stores users would pick instead of a3s_store, driven the same way (for bench.py).

Each peer keeps one session of N messages and appends one message per call,
returning once the data is durable; ``load`` reads the history back. Always
measured: a JSON-lines file (one ``write`` + ``fsync`` per message) and a
bare ``sqlite3`` insert-and-commit in WAL mode with ``synchronous=FULL`` (the
stand-in for the SQLite-based peers). Measured when installed (skipped
otherwise): the OpenAI Agents SDK's ``SQLiteSession`` and LangGraph's
``SqliteSaver`` (a full checkpoint per step, as a graph with the default
``add_messages`` channel writes). The adapters follow ../shared/bench.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3


class JsonLines:
    name = "JSON-lines append"

    def __init__(self, root: str, messages: list[dict]) -> None:
        self.path = os.path.join(root, "s.jsonl")
        with open(self.path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(m) + "\n" for m in messages)

    def append(self, message: dict) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, (json.dumps(message) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def load(self) -> list:
        with open(self.path, "rb") as fh:
            return [json.loads(line) for line in fh]


class SqliteWal:
    name = "sqlite3 WAL FULL"

    def __init__(self, root: str, messages: list[dict]) -> None:
        self.db = sqlite3.connect(os.path.join(root, "s.sqlite"))
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, sid TEXT, data TEXT)")
        with self.db:
            self.db.executemany("INSERT INTO m (sid, data) VALUES ('s', ?)",
                                [(json.dumps(m),) for m in messages])

    def append(self, message: dict) -> None:
        with self.db:
            self.db.execute("INSERT INTO m (sid, data) VALUES ('s', ?)", (json.dumps(message),))

    def load(self) -> list:
        return [json.loads(r[0]) for r in
                self.db.execute("SELECT data FROM m WHERE sid = 's' ORDER BY id")]


class OpenAISession:
    name = "OpenAI SQLiteSession"

    def __init__(self, root: str, messages: list[dict]) -> None:
        from agents.memory import SQLiteSession

        self.loop = asyncio.new_event_loop()
        self.session = SQLiteSession("s", os.path.join(root, "oa.sqlite"))
        self.loop.run_until_complete(self.session.add_items(messages))

    def append(self, message: dict) -> None:
        self.loop.run_until_complete(self.session.add_items([message]))

    def load(self) -> list:
        return self.loop.run_until_complete(self.session.get_items())


class LangGraphSqlite:
    name = "LangGraph SqliteSaver"

    def __init__(self, root: str, messages: list[dict]) -> None:
        from langgraph.checkpoint.sqlite import SqliteSaver

        self.conn = sqlite3.connect(os.path.join(root, "lg.sqlite"), check_same_thread=False)
        self.saver = SqliteSaver(self.conn)
        self.head: tuple = (None, None)
        self.messages = list(messages)
        self._put()

    def _put(self) -> None:
        from langgraph.checkpoint.base import empty_checkpoint
        from langgraph.checkpoint.base.id import uuid6

        parent, version = self.head
        version = self.saver.get_next_version(version, None)
        cp = empty_checkpoint()
        cp["id"] = str(uuid6())
        cp["channel_values"] = {"messages": self.messages}
        cp["channel_versions"] = {"messages": version}
        cfg: dict = {"configurable": {"thread_id": "s", "checkpoint_ns": ""}}
        if parent:
            cfg["configurable"]["checkpoint_id"] = parent
        self.saver.put(cfg, cp, {"source": "loop", "step": len(self.messages), "parents": {}},
                       {"messages": version})
        self.head = (cp["id"], version)

    def append(self, message: dict) -> None:
        self.messages.append(message)
        self._put()

    def load(self) -> list:
        got = self.saver.get_tuple({"configurable": {"thread_id": "s", "checkpoint_ns": ""}})
        return got.checkpoint["channel_values"]["messages"]


def _installed(module: str) -> bool:
    try:
        __import__(module)
    except Exception:  # noqa: BLE001 - any failure to import means "not installed"
        return False
    return True


def peers() -> list[type]:
    """The peer classes that can run here."""
    found: list[type] = [JsonLines, SqliteWal]
    if _installed("agents.memory"):
        found.append(OpenAISession)
    if _installed("langgraph.checkpoint.sqlite"):
        found.append(LangGraphSqlite)
    return found


def missing() -> list[str]:
    """The optional peers that are not installed."""
    return [cls.name for cls in (OpenAISession, LangGraphSqlite) if cls not in peers()]
