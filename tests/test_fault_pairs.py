"""Compound faults in every mutating operation (issue 12, "Double faults").

Two sweeps over every scenario of ``test_crash_safety`` (every mutating
method of the store, legacy migrations, the checker's repair and gc,
recovery itself):

* **a fault, then a fault in its clean-up**: call k1 fails with EIO and a
  later call k2 of the same operation fails too, with EIO or by the process
  dying there. The store, once reopened, must hold what it holds after the
  first fault alone when that fault made the operation fail (the clean-up's
  fault must not change which generation wins: the double-fault bug rolled
  a failed save forward), and in any case one whole generation, nothing
  left over, an idempotent recovery and, for an operation that returned,
  the new generation.
* **a fault, then a crash in the recovery**: call k1 fails with EIO, then
  the next open dies at call k2 of its recovery; opening once more must end
  where the first recovery ends.

**Budget.** By default each operation's k1 are its folder fsyncs (where a
write fails just before or after its point of no return) and one seeded
random call, each k1's k2 the first two changes of its clean-up
(removals, renames, folder fsyncs) and one random call, and each k1's
recovery is cut at one random point. ``A3S_FULL=1`` takes four times as
many, ``A3S_FAULT_PAIRS=N`` N times (``all``: every pair, hours)::

    A3S_FAULT_PAIRS=8 python3 -m pytest -q -rP tests/test_fault_pairs.py

The seed is printed with the figures and in every failure (``A3S_SEED``
replays it).
"""

from __future__ import annotations

import errno
import os
import random
import shutil

import pytest

import strength
import test_crash_safety as cs
from a3s_store import FileSessionStore, _commit, _fs, _recovery
from a3s_store._layout import INTERNAL
from crashkit import copy_tree, leftovers
from faults import SimulatedCrash, hooked

#: ``A3S_FAULT_PAIRS=N`` takes N times the default sample of each level; ``all``, every pair.
_SCALE = os.environ.get("A3S_FAULT_PAIRS") or ("4" if strength.FULL else "1")
FULL = _SCALE == "all"
SCALE = 1 if FULL else int(_SCALE)
SEED = cs.SEED
_fast, work = cs._fast, cs.work  # the fixtures of the single-fault sweep
TOTALS = {"pairs": 0, "recovery pairs": 0, "violations": 0}


class Pair:
    """Call k1 fails with EIO; call k2 (> k1), if given, fails too: with EIO
    (``second="error"``) or by the process dying (``"crash"``: every later
    call raises too). Records the names of the calls it sees."""

    def __init__(self, k1: int, k2: int | None = None, second: str = "error") -> None:
        self.k1, self.k2, self.second = k1, k2, second
        self.names: list[str] = []
        self.dead = False
        self.after_crash = 0

    def __call__(self, name: str) -> None:
        self.names.append(name)
        n = len(self.names)
        if self.dead:
            self.after_crash += 1
            raise SimulatedCrash(f"call {n} ({name}) after the crash")
        if n == self.k1 or n == self.k2:
            if n == self.k2 and self.second == "crash":
                self.dead = True
                raise SimulatedCrash(f"crash at call {n} ({name})")
            raise OSError(errno.EIO, f"injected EIO at call {n} ({name})")


def _pick(positions: list[int], preferred: list[int], limit: int, rng: random.Random
          ) -> list[int]:
    if FULL:
        return positions
    chosen = preferred[:limit * SCALE]
    rest = [p for p in positions if p not in chosen]
    chosen += rng.sample(rest, min(SCALE, len(rest)))
    return sorted(set(chosen))


def _first_faults(calls: list[str], rng: random.Random) -> list[int]:
    positions = list(range(1, len(calls) + 1))
    syncs = [k for k in positions if calls[k - 1] == "fsync_dir"]
    return _pick(positions, syncs, len(syncs), rng)


def _clean_up_faults(names: list[str], k1: int, rng: random.Random) -> list[int]:
    positions = list(range(k1 + 1, len(names) + 1))
    changes = [k for k in positions if names[k - 1] in cs.MUTATIONS | {"fsync_dir"}]
    return _pick(positions, changes, 2, rng)


def _reopened(case, sc, ref, old_rev, returned, problems) -> str | None:
    try:
        return cs._check_reopened(case / "store", sc, ref.old_vis, ref.old_obs, ref.new_vis,
                                  ref.new_obs, old_rev, returned, problems)
    except Exception as exc:  # noqa: BLE001 - any escape is a violation
        problems.append(f"reopening or loading raised {exc!r}")
        return None


def _fresh(work, ref):
    case = work / "case"
    if case.exists():
        shutil.rmtree(case)
    copy_tree(ref.template, case, link=True)
    return case


def _sweep(work, sc) -> tuple[int, list[str]]:
    """A fault, then a second one in the same operation: (pairs, violations)."""
    rng = random.Random(f"{SEED}-pairs-{sc.name}")
    ref = cs.reference(work, sc)
    pairs, violations = 0, []
    for k1 in _first_faults(ref.calls, rng):
        case = _fresh(work, ref)
        alone = Pair(k1)
        outcome1, returned, old_rev, problems = cs.run_case(case, sc, alone)
        label1 = _reopened(case, sc, ref, old_rev, returned if outcome1 == "ok" else None,
                           problems)
        violations += [f"{sc.name} k1={k1} alone: {p}" for p in problems]
        for k2 in _clean_up_faults(alone.names, k1, rng):
            for second in ("error", "crash"):
                case = _fresh(work, ref)
                pair = Pair(k1, k2, second)
                outcome, returned, old_rev, problems = cs.run_case(case, sc, pair)
                label = _reopened(case, sc, ref, old_rev, returned if outcome == "ok" else None,
                                  problems)
                if pair.after_crash:
                    problems.append(f"{pair.after_crash} calls after the crash")
                if outcome1 != "ok" and label != label1:
                    problems.append(f"the first fault alone leaves {label1}, with the second "
                                    f"one the store holds {label}")
                if outcome == "ok" and label not in ("new", "same"):
                    problems.append(f"returned, yet the store holds {label}")
                where = (f"{sc.name} k1={k1} ({ref.calls[k1 - 1]}) k2={k2} "
                         f"({alone.names[k2 - 1]}) {second} seed={SEED}")
                violations += [f"{where}: {p}" for p in problems]
                pairs += 1
    return pairs, violations


def _state(root, sc) -> tuple:
    store = FileSessionStore(root)  # recovers first: then the files are looked at
    return cs.visible(root), cs.observe(store, sc.watch)


def _recovery_sweep(work, sc) -> tuple[int, list[str]]:
    """A fault in the operation, then a crash at a point of the next open's
    recovery: (pairs, violations)."""
    rng = random.Random(f"{SEED}-recovery-{sc.name}")
    ref = cs.reference(work, sc)
    pairs, violations = 0, []
    for k1 in _first_faults(ref.calls, rng):
        base = _fresh(work, ref)
        cs.run_case(base, sc, Pair(k1))
        decided = work / "decided"
        copy_tree(base, decided, link=True)
        opening = Pair(0)  # counts the calls of the first recovery
        with hooked(opening):
            FileSessionStore(decided / "store")
        want = _state(decided / "store", sc)
        shutil.rmtree(decided)
        for k2 in _pick(list(range(1, len(opening.names) + 1)), [], 0, rng):
            case = work / "crashed"
            copy_tree(base, case, link=True)
            crash = Pair(0, k2, "crash")
            try:
                with hooked(crash):
                    FileSessionStore(case / "store")
            except SimulatedCrash:
                pass
            got, left = _state(case / "store", sc), leftovers(case / "store")
            if got != want or left or crash.after_crash:
                violations.append(f"{sc.name} k1={k1} recovery k2={k2} "
                                  f"({opening.names[k2 - 1]}) seed={SEED}: left {left}, "
                                  f"{'differs from' if got != want else 'same as'} the first "
                                  f"recovery, {crash.after_crash} calls after the crash")
            shutil.rmtree(case)
            pairs += 1
        shutil.rmtree(base)
    return pairs, violations


MUTATING = [sc for sc in cs.SCENARIOS if not sc.on_open]


@pytest.mark.parametrize("sc", cs.SCENARIOS, ids=[sc.name for sc in cs.SCENARIOS])
def test_a_fault_then_a_fault_in_its_clean_up(work, sc):
    pairs, violations = _sweep(work, sc)
    TOTALS["pairs"] += pairs
    TOTALS["violations"] += len(violations)
    print(f"{sc.name}: {pairs} fault pairs, {len(violations)} violations (seed {SEED})")
    assert not violations, "\n".join(violations[:12])


@pytest.mark.parametrize("sc", MUTATING, ids=[sc.name for sc in MUTATING])
def test_a_fault_then_a_crash_in_the_recovery(work, sc):
    pairs, violations = _recovery_sweep(work, sc)
    TOTALS["recovery pairs"] += pairs
    TOTALS["violations"] += len(violations)
    print(f"{sc.name}: {pairs} fault x recovery-crash pairs, {len(violations)} violations "
          f"(seed {SEED})")
    assert not violations, "\n".join(violations[:12])


def test_pair_figures():
    print(f"fault pairs: {TOTALS['pairs']} in the operation, {TOTALS['recovery pairs']} with a "
          f"crash in the recovery, {TOTALS['violations']} violations "
          f"({'every pair' if FULL else f'sample x{SCALE}'}, seed {SEED})")
    assert TOTALS["pairs"] > 0 and TOTALS["recovery pairs"] > 0
    assert TOTALS["violations"] == 0


def _abandon_staged_first(self) -> None:
    """The clean-up before the fix: the staged files first, the record last."""
    self._done = True
    staging = self.layout.folder((INTERNAL,))
    for name in self._staged:
        try:
            _fs.unlink(staging, name)
        except Exception:
            pass
    if self._record_name is not None:
        _fs.unlink(staging, self._record_name)


@pytest.mark.parametrize("old_order", [True, False])
def test_the_sweep_catches_the_old_clean_up_order(work, monkeypatch, old_order):
    """With recovery's evidence check planted away (a staged file that is gone
    counts as renamed), the old clean-up order loses the migrating session
    under a second fault, and the sweep says so; the current order holds."""
    sc = next(s for s in cs.SCENARIOS if s.name == "snapshot-legacy")
    monkeypatch.setattr(_recovery, "_holds", lambda folder, step: True)
    if old_order:
        monkeypatch.setattr(_commit.Transaction, "_abandon", _abandon_staged_first)
    pairs, violations = _sweep(work, sc)
    assert pairs > 0
    caught = [v for v in violations if "the first fault alone leaves old" in v]
    assert bool(caught) is old_order, violations[:3]
