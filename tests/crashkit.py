"""Shared tools of the crash and concurrency tests (not a test module).

* **Generations.** :func:`snapshot_gen` builds a session snapshot whose
  every file carries the marker ``GEN<n>``; :func:`gens_of` reads the
  markers back from anything loaded, so a mix of generations shows up as
  more than one number.
* **Observing a folder.** :func:`visible` is every file a3s-code would see
  (all but the store's own ``.a3s_store``); :func:`leftovers` the journal
  and temporary files in ``.a3s_store`` (there must be none after
  recovery); :func:`whole_tree` everything, for idempotence checks.
* **Seeds.** :func:`seed_from_env` gives the seed of a randomised test:
  ``A3S_SEED`` when set (to replay a failure), a fresh one otherwise.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import tempfile

import factories
from a3s_store import SessionSnapshot
from a3s_store._commit import INTERNAL

__all__ = ["marker", "snapshot_gen", "gens_of", "visible", "leftovers", "cache_leftovers",
           "whole_tree",
           "copy_tree", "tree_sig", "fast_dir", "seed_from_env", "SIDE_PARTS"]

SIDE_PARTS = ("artifacts", "traces", "runs", "verification", "subagent_tasks")
_MARK = re.compile(r"GEN(\d{8})")


def marker(gen: int) -> str:
    return f"GEN{gen:08d}"


def snapshot_gen(session_id: str, gen: int, parts=SIDE_PARTS) -> SessionSnapshot:
    """A snapshot of ``session_id`` with ``marker(gen)`` in the session and in each
    side component named in ``parts`` (the others are left empty)."""
    m = marker(gen)
    snap = SessionSnapshot(session=factories.session(session_id, name=m, updated_at=gen))
    if "artifacts" in parts:
        snap.artifacts = factories.artifact_store(m)
    if "traces" in parts:
        snap.trace_events = [factories.trace_event(name=m)]
    if "runs" in parts:
        snap.run_records = [factories.run_record(session_id, prompt=m)]
    if "verification" in parts:
        snap.verification_reports = [factories.verification_report(m)]
    if "subagent_tasks" in parts:
        snap.subagent_tasks = [factories.subagent_task(session_id, task_id=m)]
    return snap


def gens_of(value) -> set[int]:
    """Every generation marker found in a loaded record, snapshot or list of them."""
    found: set[int] = set()
    _collect(value, found)
    return found


def _collect(value, found: set[int]) -> None:
    if value is None:
        return
    if isinstance(value, SessionSnapshot):
        for part in (value.session, value.artifacts, value.trace_events, value.run_records,
                     value.verification_reports, value.subagent_tasks):
            _collect(part, found)
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, found)
        return
    text = repr(value.to_dict()) if hasattr(value, "to_dict") else repr(value)
    found.update(int(g) for g in _MARK.findall(text))


def visible(root) -> dict[str, bytes]:
    """relative path -> bytes of every file outside the store's own folder."""
    out = {}
    root = os.fspath(root)
    for dirpath, dirs, files in os.walk(root):
        if dirpath == root:
            dirs[:] = [d for d in dirs if d != INTERNAL]
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def whole_tree(root) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``root``, the store's own included."""
    out: dict[str, bytes | None] = {}
    root = os.fspath(root)
    for dirpath, dirs, files in os.walk(root):
        for name in dirs:
            out[os.path.relpath(os.path.join(dirpath, name), root) + "/"] = None
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def leftovers(root) -> list[str]:
    """Journal and temporary files of writers left in ``.a3s_store`` (and in the
    journal folders of older versions). A reader's temporary file in the
    cache folder is not one: see :func:`cache_leftovers`."""
    from a3s_store._commit import LEGACY_FOLDERS, is_journal_name

    found = []
    internal = os.path.join(os.fspath(root), INTERNAL)
    if os.path.isdir(internal):
        found += [n for n in sorted(os.listdir(internal)) if is_journal_name(n)]
        for sub in LEGACY_FOLDERS:
            d = os.path.join(internal, sub)
            if os.path.isdir(d):
                found += [f"{sub}/{n}" for n in sorted(os.listdir(d))]
    return found


def cache_leftovers(root) -> list[str]:
    """Temporary files of readers (of the listing cache) in ``.a3s_store/cache``."""
    from a3s_store._commit import is_journal_name

    d = os.path.join(os.fspath(root), INTERNAL, "cache")
    return sorted(n for n in os.listdir(d) if is_journal_name(n)) if os.path.isdir(d) else []


def tree_sig(root) -> dict[str, tuple]:
    """Every entry under ``root`` with its inode, size and mtime: cheap, and enough
    to see any change, since the store never writes a file in place."""
    out = {}
    root = os.fspath(root)
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            out[os.path.relpath(path, root)] = (st.st_mode, st.st_ino, st.st_size,
                                                st.st_mtime_ns)
    return out


def copy_tree(src, dst, *, link: bool = False) -> None:
    """Copy a folder; with ``link``, files are hard links (fast). Safe for stores
    because the store never writes a file in place: it replaces or unlinks it,
    which leaves the other link alone (the caller checks the source is unchanged)."""
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True, copy_function=os.link if link else shutil.copy2)


def fast_dir(fallback):
    """A fresh folder in memory (``/dev/shm``) when there is one, else under
    ``fallback``. Thousands of cases create and remove folders; on tmpfs that
    costs a sixth of a journaled disk, and the in-process crash model does not
    depend on the filesystem. The caller removes it."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return tempfile.mkdtemp(prefix="a3s-crash-", dir=shm)
    return tempfile.mkdtemp(prefix="a3s-crash-", dir=os.fspath(fallback))


def seed_from_env() -> int:
    """``A3S_SEED`` when set (replay), else a fresh random seed (printed on failure)."""
    value = os.environ.get("A3S_SEED")
    if value:
        return int(value)
    return random.SystemRandom().randrange(1 << 32)
