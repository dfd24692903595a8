"""Power loss: ALICE-style crash states of every mutating operation (issue 12).

Each workload of ``powerloss_store.workloads()`` (every mutating method of
the store, legacy migrations, the checker's repair and gc, a listing that
rewrites its cache, a store made by its first open, two saves in a row) and
two recovery workloads (opening a store left by a migrating snapshot save
cut at its commit point, or just after it, so that the recovery itself
loses power) is recorded once through ``_fs.hooks.observer``.
Then, in both persistence models of ``powerloss`` (``ext4``: directory
operations persist in program order; ``posix``: in any subset, Pillai et
al.), every crash point of its log is checked: each crash state is written
out in ``/dev/shm``, opened (recovery runs) and held to the promises listed
in ``powerloss_store``.

**Budget.** At full strength (``A3S_FULL=1``) a crash point's states are
enumerated when there are at most 256 of them; beyond that, the extreme
states, every state that loses exactly one pending operation or keeps
exactly one, and 32 seeded random states. The default run takes 64 and 16
(see ``strength.py``): about 12 s on 2 cores, against 18 s. The long offline
sweep (the targets of spec/reliability.md §3.3: exhaustive up to 4,096
states per crash point, 1,024 random states beyond) is::

    A3S_POWERLOSS_STATES=4096 python3 -m pytest -q -rP tests/test_power_loss.py

(``A3S_POWERLOSS_STATES=N``: exhaustive up to N, N/4 sampled beyond). The
seed of the random states is printed with the figures and in every failure;
``A3S_SEED=<seed>`` replays it. ``-rP`` shows the figures of each workload
and model, and the totals (``test_figures``).

**Regressions.** The sweeps and the named reproductions further down found
the bugs of issue 12 in the ``posix`` model (the ``ext4`` model found
nothing), and one more in the stricter ``posix-dst`` variant (swept for the
workloads that move a folder to the trash): each bug's text below says what
it was, and each test failed before its fix (they ran as strict xfails).

**Mutation tests** plant a protocol bug (a missing folder fsync, a rename
before the data fsync, a commit without its barrier, an in-place write) and
require the harness to report it, so the harness is proven able to fail.
"""

from __future__ import annotations

import os
import random
import shutil
import sys

import pytest

import powerloss as pl
import powerloss_store as ps
import strength
from a3s_store import FileSessionStore, _commit, _fs
from a3s_store._layout import INTERNAL
from crashkit import fast_dir, gens_of, seed_from_env

SEED = seed_from_env()


def _budget() -> pl.Budget:
    states = int(os.environ.get("A3S_POWERLOSS_STATES") or 0)
    if states:
        return pl.Budget(exhaustive=states, sample=max(8, states // 4))
    if strength.FULL:
        return pl.Budget(exhaustive=256, sample=32)
    return pl.Budget(exhaustive=64, sample=16)


BUDGET = _budget()

BUG_RECORD = ("issue 12 power loss #1: the commit record can be durable before the staged "
              "files' names (no barrier between them); recovery reads a missing staged file "
              "as renamed and rolls forward")
BUG_ROLLBACK = ("issue 12 power loss #2: recovery's rollback removes the commit record and "
                "then the staged files with no barrier between them")
BUG_NEW_FOLDER = ("issue 12 power loss #3: a store folder (and its parents) made by the store "
                  "is never fsynced into its parent")

BUG_TRASH = ("found by this harness, in the posix-dst variant (a rename is durable once its "
             "destination folder is fsynced, not its source): a removal moves the folder "
             "into tx/ as trash, fsyncs only the folder it left, and the commit record is "
             "removed before tx/ is fsynced; the record's removal can persist without the "
             "move, and the session is deleted while its artifacts stay")

#: Workloads also swept in the posix-dst variant: those that move a folder to the trash.
DST_NAMES = ("delete", "legacy-delete", "gc-orphans")

#: (workload, model) -> the bug that its sweep found, before the fix.
FOUND = {
    **{(name, "posix-dst"): BUG_TRASH for name in DST_NAMES},
    **{(name, "posix"): BUG_RECORD for name in (
        "snapshot-new", "snapshot-overwrite", "snapshot-over-session-only",
        "snapshot-without-side-data", "side-artifacts-first", "legacy-save",
        "legacy-snapshot", "legacy-side-traces", "two-saves")},
    ("new-store", "posix"): BUG_NEW_FOLDER + "; and " + BUG_RECORD,
    ("recovery-rollback", "posix"): BUG_ROLLBACK,
}


class Lab:
    """Recorded workloads and their sweeps, shared by the tests of this module."""

    def __init__(self, work: str) -> None:
        self.work = work
        self.workloads = {w.name: w for w in ps.workloads()}
        self.judges: dict[str, ps.Judge] = {}
        self.figures: dict[tuple[str, str], ps.Figures] = {}

    def judge(self, name: str) -> ps.Judge:
        if name not in self.judges:
            if name.startswith("recovery-"):
                source = self.judge("legacy-snapshot")
                k = ps.commit_point(source.log) + (name == "recovery-forward")
                workload = ps.recovery_workload(name, source, k)
            else:
                workload = self.workloads[name]
            log = ps.record(workload, os.path.join(self.work, "rec-" + name))
            self.judges[name] = ps.Judge(workload, log, self.work)
        return self.judges[name]

    def sweep(self, name: str, model: str) -> ps.Figures:
        if (name, model) not in self.figures:
            self.figures[(name, model)] = ps.sweep(self.judge(name), model, BUDGET, SEED)
        return self.figures[(name, model)]


NAMES = [w.name for w in ps.workloads()] + ["recovery-rollback", "recovery-forward"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = fast_dir(tmp_path_factory.mktemp("powerloss"))
    yield Lab(work)
    shutil.rmtree(work, ignore_errors=True)


def _report(figures: ps.Figures) -> str:
    shown = "\n".join(str(v) for v in figures.violations[:5])
    return f"{figures.line()} (seed {SEED}, {BUDGET}):\n{shown}"


SWEEPS = [(name, model) for name in NAMES for model in pl.MODELS] + [
    (name, "posix-dst") for name in DST_NAMES]


@pytest.mark.parametrize("name, model", SWEEPS, ids=[f"{n}-{m}" for n, m in SWEEPS])
def test_power_loss_at_every_crash_point(lab, name, model):
    """Every crash state of every workload keeps the promises (``FOUND``
    names the bug a sweep found before its fix)."""
    judge = lab.judge(name)
    assert not judge.views[-1].problems, judge.views[-1].problems  # the workload left a sound store
    figures = lab.sweep(name, model)
    print(f"{figures.line()} (seed {SEED})")
    assert figures.crash_points == len(judge.log.ops) + 1 and figures.states > 0
    assert not figures.violations, _report(figures)


def test_figures(lab):
    # The table of every sweep (run here when not run above), and the check
    # that violations appear only where a known bug explains them.
    lines, total_states, total_distinct, total_violations = [], 0, 0, 0
    for name, model in SWEEPS:
        figures = lab.sweep(name, model)
        total_states += figures.states
        total_distinct += figures.distinct
        total_violations += len(figures.violations)
        lines.append(figures.line())
    print("\n".join(lines))
    print(f"power loss: {len(NAMES)} workloads x {len(pl.MODELS)} models + {len(DST_NAMES)} in "
          f"posix-dst, {total_states} crash states, {total_distinct} distinct checked, "
          f"{total_violations} violations (seed {SEED}, {BUDGET})")
    violating = [f for f in lab.figures.values() if f.violations]
    assert not violating, "\n".join(_report(f) for f in violating)


# -- the models themselves, on hand-made logs ------------------------------------------


def _record_raw(tmp_path, fn, before=None) -> pl.Log:
    """Log ``fn(d)`` on the open folder ``d`` (a fresh one; ``before(path)``
    fills it first, as the durable starting point)."""
    base = tmp_path / "base"
    base.mkdir()
    if before is not None:
        before(base)
    recorder = pl.Recorder(str(base))
    recorder.mark()
    d = _fs.open_root(str(base), create=False)
    previous, _fs.hooks.observer = _fs.hooks.observer, recorder
    try:
        fn(d)
    finally:
        _fs.hooks.observer = previous
        _fs.close_dir(d)
    recorder.mark()
    return recorder.log


def _trees(log: pl.Log, model: str, k: int | None = None) -> set:
    k = len(log.ops) if k is None else k
    return {pl.replay(log, st)
            for st in pl.crash_states(log, k, model, pl.Budget(), random.Random(0))}


def test_models_write_fsync_rename_without_and_with_the_folder_fsync(tmp_path):
    def op(d):
        _fs.write_new(d, "t", b"data")  # create, write, fsync (the file only)
        _fs.replace(d, "t", d, "f")
        _fs.fsync_dir(d)

    log = _record_raw(tmp_path, op)
    assert [o.kind for o in log.ops] == ["link", "write", "fsync", "rename", "fsync_dir"]
    before_sync = {(), (("t", b"data"),), (("f", b"data"),)}
    for model in pl.MODELS:  # a file fsync does not make its name durable
        assert _trees(log, model, 4) == before_sync, model
        assert _trees(log, model) == {(("f", b"data"),)}, model


def test_posix_reorders_directory_operations_ext4_keeps_their_order(tmp_path):
    def op(d):
        _fs.write_new(d, "a", b"1")
        _fs.write_new(d, "b", b"2")

    log = _record_raw(tmp_path, op)
    assert (("b", b"2"),) in _trees(log, "posix")
    assert _trees(log, "ext4") == {(), (("a", b"1"),), (("a", b"1"), ("b", b"2"))}


def test_unsynced_data_is_kept_lost_or_torn(tmp_path):
    def op(d):
        _fs.write_new(d, "a", b"0123456789", durable=False)
        _fs.fsync_dir(d)

    log = _record_raw(tmp_path, op)
    assert _trees(log, "ext4") == {(("a", b"0123456789"),), (("a", b""),)}
    assert _trees(log, "posix") == {(("a", b"0123456789"),), (("a", b""),), (("a", b"01234"),)}


def test_a_rename_across_folders_is_atomic_and_a_moved_folder_is_known_by_identity(tmp_path):
    def before(base):
        (base / "a").write_bytes(b"x")
        (base / "sub").mkdir()

    def op(d):
        sub = _fs.open_dir(d, "sub")
        _fs.replace(d, "a", sub, "b")
        _fs.replace(d, "sub", d, "moved")
        _fs.fsync_dir(sub)  # its path ("sub") is stale now; its descriptor is not
        _fs.close_dir(sub)

    log = _record_raw(tmp_path, op, before)
    assert log.ops[-1].kind == "fsync_dir" and log.ops[-1].ino == log.entries[log.base]["sub"]
    for model in pl.MODELS:
        for tree in _trees(log, model, 1):
            assert (("a", b"x") in tree) != (("sub/b", b"x") in tree), (model, tree)


# -- the bugs of issue 12, each in the one crash state that shows it ---------------


def _open(judge: ps.Judge, state: pl.CrashState) -> str:
    """Write the crash state out, open the store there (recovery); its root."""
    dest = os.path.join(judge.work, "case")
    if os.path.exists(dest):
        shutil.rmtree(dest)
    pl.materialise(pl.replay(judge.log, state), dest)
    root = os.path.join(dest, judge.workload.root)
    FileSessionStore(root)
    return root


def _created(log: pl.Log, published: str):
    """A predicate: the creation of the staged file later renamed to ``published``."""
    rename = next(op for op in log.ops if op.kind == "rename" and op.desc.endswith(published))
    staged = rename.desc.split(" ")[1]
    return lambda op: op.kind == "link" and op.desc == f"create {staged}"


def _before_commit_point(log: pl.Log) -> int:
    """The crash point just before the fsync of the journal folder that makes the
    record durable."""
    return ps.commit_point(log) - 1


#: case -> (workload, the staged file whose name is lost: where it is published, session)
RECORD_CASES = {
    # The migrating snapshot of a/b loses its new session file: recovery takes
    # it for renamed, rolls forward and removes a_b.json. The session is gone.
    "loses-a-migrating-session": ("legacy-snapshot", "-> store/a_b.json", ps.LEGACY),
    # An overwriting snapshot loses its trace file: gen 2 but for the traces.
    "mixes-a-snapshot": ("snapshot-overwrite", "-> store/traces/s.json", ps.S),
}


@pytest.mark.parametrize("case", sorted(RECORD_CASES))
def test_record_durable_before_the_staged_names(lab, case):
    """Regression (``BUG_RECORD``): the barrier keeps the staged names before the record."""
    # Cut just before the fsync of tx/: the record and every staged file but
    # one reached the disk.
    name, published, sid = RECORD_CASES[case]
    judge = lab.judge(name)
    log = judge.log
    state = pl.posix_state(log, _before_commit_point(log), _created(log, published))
    store = FileSessionStore(_open(judge, state))
    assert store.load(sid) is not None, f"the session {sid!r} was lost"
    assert gens_of(store.load_snapshot(sid)) in ({1}, {2}), "the generations are mixed"


def test_rollback_without_a_barrier_loses_a_migrating_session(lab):
    """Regression (``BUG_ROLLBACK``): the rollback makes the record's removal durable first."""
    # Recovery rolls back a save cut at its commit point: it unlinks the
    # record, then the staged files, then fsyncs tx/ once. Power is cut
    # before that fsync with the staged files' removal on disk and the
    # record's not: the next recovery rolls forward and a/b is gone.
    judge = lab.judge("recovery-rollback")
    log = judge.log
    last = max(i for i, op in enumerate(log.ops) if op.kind == "unlink")
    state = pl.posix_state(log, last + 1, lambda op: op.kind == "unlink"
                           and op.desc.endswith(".commit"))
    store = FileSessionStore(_open(judge, state))
    assert store.load(ps.LEGACY) is not None, "the migrating session a/b was lost"
    assert gens_of(store.load_snapshot(ps.LEGACY)) in ({1}, {2})


@pytest.mark.parametrize("folder", ["home", "home/agent", "home/agent/store"])
def test_a_new_store_folder_not_fsynced_into_its_parent_loses_acknowledged_saves(lab, folder):
    """Regression (``BUG_NEW_FOLDER``): each folder the store makes is fsynced into its parent."""
    # Both saves returned; the folder the store made (or a parent it made on
    # the way, as mkdir -p does) was never fsynced into its parent.
    judge = lab.judge("new-store")
    log = judge.log
    state = pl.posix_state(log, len(log.ops), lambda op: op.desc == f"mkdir {folder}")
    store = FileSessionStore(_open(judge, state))
    assert store.list() == [ps.S, ps.T], "acknowledged saves vanished"


def test_a_folder_moved_to_the_trash_is_durable_before_the_record_goes(lab):
    """Regression (``BUG_TRASH``): the trash's folder is fsynced before the record goes."""
    # A delete, cut just before its last fsync of tx/: the record's removal
    # reached the disk, the move of artifacts/s into tx/ did not (its
    # destination was never fsynced). Nothing tells recovery to finish.
    judge = lab.judge("delete")
    log = judge.log
    state = pl.posix_state(log, len(log.ops) - 1, lambda op: op.kind == "rename",
                           by_destination=True)
    store = FileSessionStore(_open(judge, state))
    assert store.load(ps.S) is None
    assert store.load_artifacts(ps.S) is None, "the deleted session's artifacts are back"


# -- the harness catches planted bugs (mutation tests of the harness) ---------------


def _planted_sweep(tmp_path, monkeypatch, name: str, model: str, owner, attr: str,
                   wrap) -> ps.Figures:
    """Sweep ``name`` recorded with ``owner.attr`` replaced by ``wrap(original)``
    (the checks run with the real store)."""
    workload = next(w for w in ps.workloads() if w.name == name)
    work = fast_dir(tmp_path)
    try:
        with monkeypatch.context() as m:
            m.setattr(owner, attr, wrap(getattr(owner, attr)))
            log = ps.record(workload, os.path.join(work, "rec"))
        figures = ps.sweep(ps.Judge(workload, log, work), model, BUDGET, SEED)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"planted {attr}: {figures.line()} (seed {SEED})")
    return figures


def _skipped_in(caller: str):
    """``fsync_dir`` made a no-op at the call sites in the function ``caller``."""
    def wrap(real):
        def fsync_dir(d):
            if sys._getframe(1).f_code.co_name != caller:
                real(d)
        return fsync_dir
    return wrap


def _unsynced_in(caller: str):
    """``write_new`` without its fsync when called from ``caller``."""
    def wrap(real):
        def write_new(d, name, data, **kw):
            if sys._getframe(1).f_code.co_name == caller:
                kw["durable"] = False
            return real(d, name, data, **kw)
        return write_new
    return wrap


def _in_place(real):
    """``write_one`` rewriting a published file in place (unlink, create, write,
    fsync, fsync the folder), as a3s-code writes its side files."""
    def write_one(layout, folder, name, data, **kw):
        target = layout.folder(folder, create=False)
        if target is None or folder[:1] == (INTERNAL,):
            return real(layout, folder, name, data, **kw)
        _fs.unlink(target, name)
        sig = _fs.write_new(target, name, data)
        _fs.fsync_dir(target)
        return sig
    return write_one


@pytest.mark.parametrize("model", pl.MODELS)
def test_harness_catches_a_missing_folder_fsync(tmp_path, monkeypatch, model):
    # The renamed session file is never fsynced into its folder: the
    # acknowledged save can vanish (crash after the last operation).
    figures = _planted_sweep(tmp_path, monkeypatch, "save-overwrite", model, _fs, "fsync_dir",
                             _skipped_in("write_one"))
    assert any(v.k == v.n for v in figures.violations), _report(figures)


@pytest.mark.parametrize("model", pl.MODELS)
def test_harness_catches_a_rename_before_the_data_fsync(tmp_path, monkeypatch, model):
    # The temporary file is renamed into place before its data is durable:
    # an empty session file after a crash.
    figures = _planted_sweep(tmp_path, monkeypatch, "save-overwrite", model, _fs, "write_new",
                             _unsynced_in("write_one"))
    assert any("CorruptDataError" in " ".join(v.problems) for v in figures.violations), \
        _report(figures)


def test_harness_catches_a_commit_without_its_barrier(tmp_path, monkeypatch):
    # No fsync of tx/ between the commit record and the first change: in the
    # posix model the removals of a delete persist without the record that
    # would finish them. (The ext4 model keeps program order: nothing to see.)
    figures = _planted_sweep(tmp_path, monkeypatch, "delete", "posix", _fs, "fsync_dir",
                             _skipped_in("commit"))
    assert figures.violations, _report(figures)


@pytest.mark.parametrize("model", pl.MODELS)
def test_harness_catches_an_in_place_write(tmp_path, monkeypatch, model):
    # The session file rewritten in place: between its removal and its new
    # name the session is gone, in both models. (Side files are published by
    # the journal; the session file alone goes through write_one.)
    figures = _planted_sweep(tmp_path, monkeypatch, "save-overwrite", model, _commit,
                             "write_one", _in_place)
    assert figures.violations, _report(figures)
