"""The commit protocol under a fault at every filesystem call (bytes level).

A multi-file save, a delete and a single-file write are each run with call
k failing, for every k and in three modes (transient error, persistent
error, crash); then recovery runs and the folder must hold exactly the old
files or exactly the new ones, with no temporary file left. The same for a
crash during recovery itself (every pair of crash points).
"""

from __future__ import annotations

import os

import pytest

from a3s_store import _commit, _fs, _recovery
from a3s_store._commit import Put, Remove, RemoveTree, Transaction
from a3s_store._layout import INTERNAL, Layout, Options
from crashkit import leftovers, seed_from_env
from faults import MODES, count_calls, hooked, run_faulted
from strength import sample

OLD = {
    "s.json": b'{"gen": "A", "session": 1}',
    "traces/s.json": b'["A traces"]',
    "artifacts/s/artifacts.json": b'{"artifacts": ["A"]}',
    "artifacts/s/extra.bin": b"kept by a3s-code",
    "other.json": b'{"not": "touched"}',
}
SAVE_OPS = [
    Put((), "s.json", b'{"gen": "B", "session": 2, "longer": true}'),
    Put(("traces",), "s.json", b'["B traces", "more"]'),
    Put(("artifacts", "s"), "artifacts.json", b'{"artifacts": ["B"]}'),
    Put(("runs",), "s.json", b'["B runs"]'),
]
NEW_AFTER_SAVE = {
    **OLD,
    "s.json": SAVE_OPS[0].data,
    "traces/s.json": SAVE_OPS[1].data,
    "artifacts/s/artifacts.json": SAVE_OPS[2].data,
    "runs/s.json": SAVE_OPS[3].data,
}
DELETE_OPS = [Remove((), "s.json"), RemoveTree(("artifacts",), "s"), Remove(("traces",), "s.json")]
NEW_AFTER_DELETE = {"other.json": OLD["other.json"]}


def populate(root) -> None:
    for rel, data in OLD.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)


def snapshot(root) -> dict[str, bytes]:
    out = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != INTERNAL]
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def with_layout(root, fn):
    d = _fs.open_root(str(root), create=True)
    layout = Layout(d, Options())
    try:
        return fn(layout)
    finally:
        layout.close()
        _fs.close_dir(d)


def recover(root) -> list[str]:
    return with_layout(root, _recovery.recover)


def commit(layout, steps) -> None:
    """Publish ``steps`` as one transaction."""
    with Transaction(layout) as tx:
        for step in steps:
            tx.add(step)
        tx.commit()


OPERATIONS = {
    "save": (lambda layout: commit(layout, SAVE_OPS), NEW_AFTER_SAVE),
    "delete": (lambda layout: commit(layout, DELETE_OPS), NEW_AFTER_DELETE),
    "write_one": (lambda layout: _commit.write_one(layout, ("traces",), "s.json", b"[1]"),
                  {**OLD, "traces/s.json": b"[1]"}),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_fault_leaves_old_or_new_and_no_leftovers(tmp_path, name):
    operation, new_state = OPERATIONS[name]
    probe = tmp_path / "probe"
    populate(probe)
    calls = count_calls(lambda: with_layout(probe, operation))
    assert snapshot(probe) == new_state and leftovers(probe) == []
    cases = 0
    for k in range(1, len(calls) + 1):
        for mode in MODES:
            root = tmp_path / f"{name}-{k}-{mode}"
            populate(root)
            outcome = run_faulted(lambda: with_layout(root, operation), k, mode)
            recover(root)
            state = snapshot(root)
            assert state in (OLD, new_state), (k, mode, calls[k - 1], outcome)
            if outcome == "ok":
                assert state == new_state, (k, mode)
            assert leftovers(root) == [], (k, mode, leftovers(root))
            # Recovery is idempotent.
            assert recover(root) == [] and snapshot(root) == state
            cases += 1
    assert cases == 3 * len(calls)


def test_crash_during_recovery_at_every_point_is_itself_recovered(tmp_path):
    probe = tmp_path / "probe"
    populate(probe)
    save_calls = count_calls(lambda: with_layout(probe, OPERATIONS["save"][0]))
    pairs = 0
    seed = seed_from_env()
    # Every save crash point with A3S_FULL=1; else the first, the last, the
    # first rename (the commit point) and a seeded sample; each with a crash
    # at every point of its recovery.
    points = range(1, len(save_calls) + 1)
    chosen = set(sample(points, 6, seed)) | {save_calls.index("replace") + 1}
    for k1 in sorted(chosen):
        base = tmp_path / f"c{k1}"
        populate(base)
        assert run_faulted(lambda: with_layout(base, OPERATIONS["save"][0]), k1,
                           "crash") == "crash"
        crashed_state = snapshot(base)
        recovery_calls = count_calls(lambda: recover(_copy(base, tmp_path / "count")))
        for k2 in range(1, len(recovery_calls) + 1):
            root = _copy(base, tmp_path / f"c{k1}-{k2}")
            assert run_faulted(lambda: recover(root), k2, "crash") == "crash"
            recover(root)
            assert snapshot(root) in (OLD, NEW_AFTER_SAVE), (k1, k2, f"seed {seed}")
            assert leftovers(root) == [], (k1, k2, f"seed {seed}")
            pairs += 1
        assert snapshot(base) == crashed_state
    assert pairs > 0


def _copy(src, dst):
    import shutil

    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)
    return dst


def test_a_save_is_finished_by_recovery_once_its_first_rename_happened(tmp_path):
    # Crash right after the first rename (the commit point): readers may have
    # seen the new file already, so recovery must finish the save.
    probe = tmp_path / "probe"
    populate(probe)
    calls = count_calls(lambda: with_layout(probe, OPERATIONS["save"][0]))
    first_rename = calls.index("replace") + 1
    root = tmp_path / "after-commit"
    populate(root)
    assert run_faulted(lambda: with_layout(root, OPERATIONS["save"][0]), first_rename + 1,
                       "crash") == "crash"
    actions = recover(root)
    assert any("finished" in a for a in actions)
    assert snapshot(root) == NEW_AFTER_SAVE


@pytest.mark.parametrize("mode", ["crash", "persistent"])
def test_a_durable_record_with_nothing_published_is_rolled_back(tmp_path, mode):
    # The record is complete and fsynced, but the save died (or kept failing,
    # so it could not clean up) before its first rename: the old files stay.
    probe = tmp_path / "probe"
    populate(probe)
    calls = count_calls(lambda: with_layout(probe, OPERATIONS["save"][0]))
    first_rename = calls.index("replace") + 1
    assert calls[first_rename - 2] == "fsync_dir"  # the record is durable by then
    root = tmp_path / "s"
    populate(root)
    outcome = run_faulted(lambda: with_layout(root, OPERATIONS["save"][0]), first_rename, mode)
    assert outcome == ("crash" if mode == "crash" else "error")
    assert any(n.endswith(".commit") for n in os.listdir(root / INTERNAL))
    actions = recover(root)
    assert any("rolled back" in a for a in actions)
    assert snapshot(root) == OLD and leftovers(root) == []


def test_a_new_folder_is_made_only_after_the_commit_point(tmp_path):
    # A rolled-back save leaves no empty folder (artifacts/<id>/ would read as
    # an empty artifact store instead of none).
    root = tmp_path / "s"
    populate(root)
    ops = [Put(("artifacts", "new"), "artifacts.json", b"{}"), Put(("runs2",), "x.json", b"[]")]
    calls = count_calls(lambda: with_layout(_copy(root, tmp_path / "p"),
                                            lambda layout: commit(layout, ops)))
    last_write = max(i for i, c in enumerate(calls) if c == "write") + 1  # of the record
    assert run_faulted(lambda: with_layout(root, lambda lay: commit(lay, ops)), last_write,
                       "crash") == "crash"
    recover(root)
    assert not os.path.exists(root / "artifacts" / "new") and not os.path.exists(root / "runs2")
    assert snapshot(root) == OLD


def test_damaged_staged_file_rolls_the_transaction_back(tmp_path):
    root = tmp_path / "s"
    populate(root)
    calls = count_calls(lambda: with_layout(_copy(root, tmp_path / "p"), OPERATIONS["save"][0]))
    first_replace = calls.index("replace")
    assert run_faulted(lambda: with_layout(root, OPERATIONS["save"][0]), first_replace + 1,
                       "crash") == "crash"
    txdir = os.path.join(root, INTERNAL)
    staged = sorted(n for n in os.listdir(txdir)
                    if _commit.is_journal_name(n) and not n.endswith(".commit"))
    with open(os.path.join(txdir, staged[0]), "r+b") as fh:
        fh.write(b"X")  # bit rot in a staged file
    recover(root)
    assert snapshot(root) == OLD


def test_a_transient_error_is_reported_not_retried_into_success(tmp_path):
    root = tmp_path / "s"
    populate(root)

    def fail_fsync(name):
        if name == "fsync":
            raise OSError(5, "fsync failed")

    with hooked(fail_fsync), pytest.raises(OSError, match="fsync failed"):
        with_layout(root, OPERATIONS["save"][0])
    recover(root)
    assert snapshot(root) == OLD
