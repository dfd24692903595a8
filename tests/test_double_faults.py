"""Double faults in the clean-up of a failed save (issue 12, "Double faults").

A save whose fsync of the journal folder (the one that makes its commit
record durable) fails raises before its point of no return, and cleans up.
Before the fix it removed the staged files first and the commit record last:
when removing the record then failed too (EIO) or the process died there,
the record was left without its staged files, and the next open took the
missing files for renamed and rolled the failed save forward (a migrating
legacy session was lost, a snapshot left mixed). Now the record goes first,
durably, and if it cannot be removed the staged files stay, so recovery
finds the transaction whole and rolls it back.

The faults are planted at exactly those call sites (``fsync_dir`` and
``unlink`` called from the transaction's commit and its clean-up). Control
cases show the old generation kept when only the fsync fails.
"""

from __future__ import annotations

import errno
import os
import sys
from contextlib import contextmanager

import pytest

import powerloss_store as ps
from a3s_store import FileSessionStore, _fs
from crashkit import gens_of, leftovers, snapshot_gen, visible
from faults import SimulatedCrash

BUG = ("issue 12 double fault: a failed save's clean-up removes the staged files before "
       "the commit record; when removing the record fails, or the process dies before it, "
       "the next open rolls the failed save forward")

SAVES = {  # what is saved, the session watched, the starting store
    "legacy-snapshot": (lambda st: st.save_snapshot(snapshot_gen(ps.LEGACY, 2)), ps.LEGACY,
                        {"legacy": True}),
    "legacy-save": (lambda st: st.save(snapshot_gen(ps.LEGACY, 2).session), ps.LEGACY,
                    {"legacy": True}),
    "snapshot-overwrite": (lambda st: st.save_snapshot(snapshot_gen(ps.S, 2)), ps.S, {}),
}


class Planted:
    """How often each planted fault fired."""

    fsync = 0
    cleanup = 0


@contextmanager
def planted(monkeypatch, where: str | None, error: BaseException | None):
    """Fail the commit-point fsync of ``tx/`` with EIO; then raise ``error`` when
    the clean-up removes the commit record (``where="record"``) or the second
    staged file (``where="midway"``)."""
    fired = Planted()
    real_fsync_dir, real_unlink = _fs.fsync_dir, _fs.unlink
    staged = []

    def fsync_dir(d):
        # The fsync that makes the commit record durable (the one after the
        # record exists; an earlier one is the barrier for the staged names).
        if sys._getframe(1).f_code.co_name == "commit" and any(
                n.endswith(".commit") for n in os.listdir(d.path)):
            fired.fsync += 1
            raise OSError(errno.EIO, "injected: fsync of the journal at the commit point")
        real_fsync_dir(d)

    def unlink(d, name):
        if fired.fsync and where and sys._getframe(1).f_code.co_name in ("commit", "_abandon"):
            if not name.endswith(".commit"):
                staged.append(name)
            if (where == "record" and name.endswith(".commit")) or (
                    where == "midway" and len(staged) == 2):
                fired.cleanup += 1
                raise error
        return real_unlink(d, name)

    with monkeypatch.context() as m:
        m.setattr(_fs, "fsync_dir", fsync_dir)
        m.setattr(_fs, "unlink", unlink)
        yield fired


FAULTS = {  # the second fault, in the clean-up
    "record-EIO": ("record", OSError(errno.EIO, "injected: unlink of the commit record")),
    "record-crash": ("record", SimulatedCrash("dies removing the commit record")),
    "midway-crash": ("midway", SimulatedCrash("dies removing the second staged file")),
}


def _run(tmp_path, monkeypatch, what: str, fault: str | None):
    save, sid, setup = SAVES[what]
    root = tmp_path / "store"
    ps.build(root, **setup)
    old = visible(root)
    store = FileSessionStore(root)
    where, error = FAULTS[fault] if fault else (None, None)
    with planted(monkeypatch, where, error) as fired:
        with pytest.raises((OSError, SimulatedCrash)) as info:
            save(store)
    if not fired.fsync or (where and not fired.cleanup):
        raise RuntimeError(f"the planted faults did not fire: {vars(fired)}")  # not the bug
    print(f"{what}, {fault}: the save raised {info.value!r}")
    del store  # as a dead process drops it
    store = FileSessionStore(root)  # recovery
    return root, old, store, sid


def _assert_old(root, old, store, sid) -> None:
    assert store.load(sid) is not None, f"the session {sid!r} was lost"
    assert gens_of(store.load_snapshot(sid)) == {1}, "the failed save was rolled forward"
    assert visible(root) == old and leftovers(root) == []


@pytest.mark.parametrize("fault", [None, "record-EIO", "record-crash"])
def test_a_failed_snapshot_keeps_the_old_generation_when_nothing_staged_is_left(
        tmp_path, monkeypatch, fault):
    # Controls: with the clean-up whole, or with every staged file removed
    # (recovery then rolls forward a save that has nothing left to publish).
    _assert_old(*_run(tmp_path, monkeypatch, "snapshot-overwrite", fault))


CASES = [(what, fault) for what in ("legacy-save", "legacy-snapshot") for fault in FAULTS]
CASES.append(("snapshot-overwrite", "midway-crash"))


@pytest.mark.parametrize("what, fault", CASES, ids=[f"{w}-{f}" for w, f in CASES])
def test_a_failed_clean_up_after_a_failed_commit_fsync_keeps_the_old_generation(
        tmp_path, monkeypatch, what, fault):
    """Regression (``BUG``): a failed clean-up never rolls the failed save forward."""
    _assert_old(*_run(tmp_path, monkeypatch, what, fault))
