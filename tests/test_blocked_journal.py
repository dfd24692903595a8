"""A committed save that recovery cannot finish never bricks the store (issue 12).

A save interrupted after its commit point is finished by recovery. When the
folder no longer allows it (a link planted where a category folder was, a
file where a new folder must go), recovery leaves that transaction, with a
marker saying what blocks it: every other session stays readable and
writable, the session it touches is refused with an error naming the
obstacle, ``verify`` reports it, and ``verify --repair`` finishes it once the
obstacle is gone, or sets it aside into the quarantine (never deleted).
"""

from __future__ import annotations

import os
import shutil

import pytest

import factories as f
from a3s_store import CorruptDataError, FileSessionStore, _fs
from a3s_store._check import Checker
from crashkit import gens_of, snapshot_gen
from faults import SimulatedCrash

OBSTACLES = ["link", "file"]


def _interrupted_after_the_commit_point(root) -> None:
    """A snapshot save of "s" (generation 2) that died after its first rename
    (the session file), when it had just made the new folder artifacts/s."""
    store = FileSessionStore(root)
    store.save_snapshot(snapshot_gen("other", 1))
    store.save(f.session("s"))
    renames = []

    def die_after_first_rename(name):
        if name == "replace":
            renames.append(name)
            if len(renames) == 2:
                raise SimulatedCrash("dies after its commit point")

    _fs.hooks.fault_hook = die_after_first_rename
    try:
        with pytest.raises(SimulatedCrash):
            store.save_snapshot(snapshot_gen("s", 2))
    finally:
        _fs.hooks.fault_hook = None


def _plant(root, outside, obstacle: str) -> None:
    """Where the save's artifacts must go (artifacts/s, made empty just before
    the crash): a link pointing outside, or a file."""
    folder = root / "artifacts" / "s"
    shutil.rmtree(folder)
    if obstacle == "link":
        os.symlink(outside, folder)
    else:
        folder.write_bytes(b"not a folder")


@pytest.fixture
def blocked(tmp_path, request):
    root, outside = tmp_path / "store", tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_bytes(b"keep")
    _interrupted_after_the_commit_point(root)
    _plant(root, outside, request.param)
    return root, outside, request.param


@pytest.mark.parametrize("blocked", OBSTACLES, indirect=True)
def test_every_other_session_stays_usable(blocked):
    # Regression: every operation on every session failed, verify --repair too.
    root, outside, obstacle = blocked
    store = FileSessionStore(root)  # recovery meets the obstacle: no error
    assert gens_of(store.load_snapshot("other")) == {1}
    store.save_snapshot(snapshot_gen("other", 3))
    store.save(f.session("new"))
    assert gens_of(store.load_snapshot("other")) == {3} and store.load("new") is not None
    with pytest.raises(CorruptDataError) as info:
        store.load_snapshot("s")
    assert ".blocked" in info.value.path and "verify --repair" in str(info.value)
    with pytest.raises(CorruptDataError):
        store.save(f.session("s"))  # nothing is written over a half-applied save
    assert os.listdir(outside) == ["precious"] and (outside / "precious").read_bytes() == b"keep"
    with Checker(str(root)) as checker:
        kinds = [p.kind for p in checker.scan().problems]
    assert "blocked" in kinds


@pytest.mark.parametrize("blocked", OBSTACLES, indirect=True)
def test_repair_finishes_the_save_once_the_obstacle_is_gone(blocked):
    root, outside, obstacle = blocked
    FileSessionStore(root)
    os.unlink(root / "artifacts" / "s")
    with Checker(str(root)) as checker:
        actions = [a for _, a in checker.repair()]
        assert any("finished interrupted save" in a for a in actions), actions
        assert checker.scan().problems == []
    assert gens_of(FileSessionStore(root).load_snapshot("s")) == {2}


@pytest.mark.parametrize("blocked", OBSTACLES, indirect=True)
def test_repair_sets_aside_a_save_that_still_cannot_be_finished(blocked):
    root, outside, obstacle = blocked
    FileSessionStore(root)
    with Checker(str(root)) as checker:
        actions = [a for _, a in checker.repair()]
        assert any("set aside interrupted save" in a for a in actions), actions
    aside = root / ".a3s_store" / "quarantine" / "journal"
    assert any(n.endswith(".commit") for n in os.listdir(aside))  # kept, never deleted
    store = FileSessionStore(root)
    store.load("s")  # no longer refused: what the save had published stays as it is
    assert os.listdir(outside) == ["precious"]
