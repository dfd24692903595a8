"""Files the store creates are private (0600, folders 0700) unless the caller asks otherwise,
whatever the umask, and a rewritten file keeps the mode it had."""

from __future__ import annotations

import os
import stat

import pytest

import factories as f
from a3s_store import FileSessionStore, SessionSnapshot

INTERNAL = ".a3s_store"


@pytest.fixture(params=[0o022, 0o077, 0o000, 0o027])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def _fill(store: FileSessionStore, messages: int = 2) -> None:
    """Touch every kind of file: session, side files, manifest, checkpoints, meta, lock,
    the listing cache, and the quarantine."""
    store.save_snapshot(SessionSnapshot(
        session=f.session("s", messages=messages), artifacts=f.artifact_store("a"),
        trace_events=[f.trace_event()], run_records=[f.run_record("s")],
        verification_reports=[f.verification_report()], subagent_tasks=[f.subagent_task("s")]))
    store.save(f.session("t", messages=messages))
    store.save_trace_events("t", [f.trace_event()])
    store.save_artifacts("t", f.artifact_store("b"))
    store.save_loop_checkpoint("r", f.loop_checkpoint("r"))
    store.save_workflow_checkpoint("w", f.workflow_checkpoint("w"))
    store.list_summaries()  # the listing cache


def _modes(root) -> dict[str, int]:
    out = {".": stat.S_IMODE(os.stat(root).st_mode)}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, root)] = stat.S_IMODE(os.lstat(path).st_mode)
    return out


EXPECTED_FILES = {"s.json", "t.json", "traces/s.json", "traces/t.json", "runs/s.json",
                  "verification/s.json", "subagent_tasks/s.json",
                  "artifacts/s/artifacts.json", "artifacts/t/artifacts.json",
                  "loop_checkpoints/r.json", "workflow_checkpoints/w.json",
                  f"{INTERNAL}/lock", f"{INTERNAL}/meta/s.json", f"{INTERNAL}/meta/t.json",
                  f"{INTERNAL}/cache/index.json"}


def _quarantine_something(store: FileSessionStore, root) -> None:
    (root / "q.json").write_bytes(b"{torn")
    os.chmod(root / "q.json", 0o600)
    store.save(f.session("q"))


@pytest.mark.parametrize("file_mode,dir_mode", [(0o600, 0o700), (0o640, 0o750),
                                                (0o660, 0o770), (0o644, 0o755)])
def test_new_files_and_folders_get_exactly_the_modes_asked_for(tmp_path, umask, file_mode,
                                                                 dir_mode):
    root = tmp_path / "store"
    if (file_mode, dir_mode) == (0o600, 0o700):
        store = FileSessionStore(root, durable=False)
    else:
        store = FileSessionStore(root, durable=False, file_mode=file_mode, dir_mode=dir_mode)
    _fill(store)
    _quarantine_something(store, root)
    store.health_check()
    modes = _modes(root)
    files = {k for k in modes if not os.path.isdir(root / k)}
    assert files >= EXPECTED_FILES
    for rel, mode in modes.items():
        if rel.startswith(f"{INTERNAL}/quarantine/") or rel == "q.json":
            assert mode == 0o600, rel  # moved aside as it was; its successor keeps its mode
        elif rel in files:
            assert mode == file_mode, (rel, oct(mode), oct(umask))
        else:
            assert mode == dir_mode, (rel, oct(mode), oct(umask))
    assert {"artifacts/s", f"{INTERNAL}/meta", f"{INTERNAL}/cache",
            f"{INTERNAL}/quarantine", "."} <= set(modes) - files


def test_rewrites_keep_the_mode_each_file_had(tmp_path, umask):
    root = tmp_path / "store"
    store = FileSessionStore(root, durable=False)
    _fill(store)
    chosen = {}
    for n, rel in enumerate(sorted(EXPECTED_FILES)):
        mode = (0o640, 0o604, 0o660, 0o644, 0o400, 0o620)[n % 6]
        os.chmod(root / rel, mode)
        chosen[rel] = mode
    _fill(store, messages=5)  # every file rewritten, through every path
    assert len(store.load("s").messages) == 5
    for rel, mode in chosen.items():
        assert stat.S_IMODE(os.stat(root / rel).st_mode) == mode, rel


def test_an_existing_root_keeps_its_own_mode(tmp_path, umask):
    root = tmp_path / "mine"
    root.mkdir()
    os.chmod(root, 0o755)
    FileSessionStore(root).save(f.session())
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o755
