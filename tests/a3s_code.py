"""a3s-code-core 3.4's FileSessionStore, replayed on a folder (format.md §3).

What a3s-code does with a directory, rule by rule, and nothing more: every
id maps to ``safe_session_id(id)`` (``/`` and ``\\`` become ``_``, then
``..`` becomes ``_``); a load reads ``<safe>.json`` and never compares the
id inside; ``list`` returns the stems of the root's ``*.json`` files;
``delete`` removes the session file, ``artifacts/<safe>/`` (recursively) and
the four side files. The tests use it to check what a3s-code sees after
each operation of this package, and to write as a3s-code writes.
"""

from __future__ import annotations

import json
import os
import shutil

from a3s_store import _json

SIDE = ("traces", "runs", "verification", "subagent_tasks")


def safe(identifier: str) -> str:
    """a3s-code's ``safe_session_id``."""
    return identifier.replace("/", "_").replace("\\", "_").replace("..", "_")


class A3sCode:
    """a3s-code's file store on ``root`` (documents are plain JSON values)."""

    def __init__(self, root) -> None:
        self.root = os.fspath(root)

    def _path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def _write(self, path: str, doc) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.1700000000000000000.{os.getpid()}.0.tmp"
        with open(tmp, "wb") as fh:
            fh.write(_json.encode_bytes(doc))  # serde_json's pretty printer
        os.replace(tmp, path)

    @staticmethod
    def _read(path: str):
        if not os.path.exists(path):
            return None
        with open(path, "rb") as fh:
            return json.loads(fh.read())

    # -- sessions -------------------------------------------------------------------

    def save(self, doc: dict) -> None:
        self._write(self._path(safe(doc["id"]) + ".json"), doc)

    def load(self, identifier: str) -> dict | None:
        return self._read(self._path(safe(identifier) + ".json"))

    def exists(self, identifier: str) -> bool:
        return os.path.exists(self._path(safe(identifier) + ".json"))

    def list(self) -> list[str]:
        return sorted(n[:-5] for n in os.listdir(self.root)
                      if n.endswith(".json") and n != ".json")

    def delete(self, identifier: str) -> None:
        name = safe(identifier)
        for path in [self._path(name + ".json")] + [self._path(s, name + ".json") for s in SIDE]:
            if os.path.exists(path):
                os.unlink(path)
        folder = self._path("artifacts", name)
        if os.path.isdir(folder):
            shutil.rmtree(folder)

    # -- side data ------------------------------------------------------------------

    def save_side(self, folder: str, identifier: str, doc: list) -> None:
        self._write(self._path(folder, safe(identifier) + ".json"), doc)

    def load_side(self, folder: str, identifier: str):
        return self._read(self._path(folder, safe(identifier) + ".json"))

    def save_artifacts(self, identifier: str, doc: dict) -> None:
        self._write(self._path("artifacts", safe(identifier), "artifacts.json"), doc)

    def load_artifacts(self, identifier: str):
        folder = self._path("artifacts", safe(identifier))
        if not os.path.isdir(folder):
            return None
        return self._read(os.path.join(folder, "artifacts.json")) or {}

    # -- checkpoints ----------------------------------------------------------------

    def save_checkpoint(self, folder: str, key: str, doc: dict) -> None:
        self._write(self._path(folder, safe(key) + ".json"), doc)

    def load_checkpoint(self, folder: str, key: str):
        return self._read(self._path(folder, safe(key) + ".json"))
