"""The store's promises under simulated power loss (see ``powerloss`` for the models).

Not a test module. A :class:`Workload` is a starting store (built without
recording) and a list of steps, each a call of the public API; it is
recorded once (:func:`record`), and :func:`sweep` checks every crash state
a model allows at every crash point of the log. Each distinct state is
written out as a real folder, opened with ``FileSessionStore`` (recovery
runs) and checked once (:class:`Judge`):

* opening the store raises nothing, and ``.a3s_store/tx`` and
  ``.a3s_store/tmp`` are empty after it;
* no load of a watched session, loop or workflow checkpoint raises (no
  ``CorruptDataError``), and ``verify`` (``Checker.scan``) finds no problem
  (but those the state had before the crash: the damaged file a repair
  starts from is not the crash's doing);
* the state is one the workload may leave: every step that returned before
  the crash is there, the step in flight is all old or all new. A *view*
  (every file a3s-code sees, byte for byte, plus what the API answers for
  the watched ids) is taken of the state after each step, replayed and
  opened the same way, and a crash state must show the view after the last
  step that returned, or, during a step, that one or the next. Session files
  carry generation markers (``crashkit.snapshot_gen``), so a violation says
  which generation each component holds.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

import factories as f
import powerloss as pl
from a3s_store import A3SStoreError, FileSessionStore, SessionSnapshot, _codec, _fs
from a3s_store._check import Checker
from a3s_store._layout import INTERNAL
from crashkit import SIDE_PARTS, gens_of, leftovers, snapshot_gen, visible

__all__ = ["Workload", "Judge", "Figures", "Violation", "record", "sweep", "build",
           "S", "T", "LEGACY"]

S, T, LEGACY = "s", "t", "a/b"  # LEGACY: a3s-code stores it at a_b.json; older versions of
# this package stored it at %a%2Fb.json, which a save moves to a_b.json


# -- starting stores -----------------------------------------------------------


def _raw(root, rel: str, data: bytes) -> None:
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def _save_parts(store: FileSessionStore, sid: str, gen: int, parts) -> None:
    snap = snapshot_gen(sid, gen, parts)
    store.save(snap.session)
    for part in parts:
        side_save(store, part, sid, snap)


def side_save(store: FileSessionStore, part: str, sid: str, snap: SessionSnapshot):
    """Save one side component of ``snap`` with its own method."""
    return {"artifacts": lambda: store.save_artifacts(sid, snap.artifacts),
            "traces": lambda: store.save_trace_events(sid, snap.trace_events),
            "runs": lambda: store.save_run_records(sid, snap.run_records),
            "verification": lambda: store.save_verification_reports(
                sid, snap.verification_reports),
            "subagent_tasks": lambda: store.save_subagent_tasks(sid, snap.subagent_tasks),
            }[part]()


def build(root, *, s_parts=SIDE_PARTS, legacy=False, workflow=False, damaged=False,
          orphans=False) -> None:
    """Generation 1: ``s`` with the side files in ``s_parts``, ``t`` (a session
    file only), the loop checkpoint of ``run-x``; optionally the workflow
    checkpoint ``wf-1``, the session ``a/b`` as an older version of this package
    stored it (``legacy="a3s-code"``: as a3s-code stores it), ``s.json``
    torn (``damaged``: a save or a repair moves it aside) or removed by
    a3s-code (``orphans``: its side files are garbage)."""
    store = FileSessionStore(root)
    _save_parts(store, S, 1, s_parts)
    store.save(snapshot_gen(T, 1).session)
    store.save_loop_checkpoint("run-x", f.loop_checkpoint("run-x", "GEN00000001"))
    if workflow:
        store.save_workflow_checkpoint("wf-1", f.workflow_checkpoint("wf-1", steps=1))
    if legacy:
        stem = "a_b" if legacy == "a3s-code" else "%a%2Fb"
        snap = snapshot_gen(LEGACY, 1)
        _raw(root, f"{stem}.json", _codec.encode_session(snap.session))
        _raw(root, f"traces/{stem}.json", _codec.encode_list(snap.trace_events))
        _raw(root, f"runs/{stem}.json", _codec.encode_list(snap.run_records))
        _raw(root, f"artifacts/{stem}/artifacts.json", _codec.encode_artifacts(snap.artifacts))
    if damaged:
        _raw(root, "s.json", b'{"id": "s", "config": {"na')
    if orphans:
        os.unlink(os.path.join(root, "s.json"))


# -- workloads ---------------------------------------------------------------------


@dataclass
class Workload:
    """``setup(base)`` builds the starting tree under ``base`` (not recorded);
    each step is called with the store's root path, in order, recorded."""

    name: str
    setup: Callable[[str], None]
    steps: list[Callable[[str], object]]
    root: str = "store"  # the store's folder under base
    watch: tuple = ()
    runs: tuple = ()
    workflows: tuple = ()
    #: When set: the outcomes every crash state may show (a recovery workload
    #: may leave the interrupted save's old or new generation).
    allowed: list | None = None


def record(workload: Workload, base: str) -> pl.Log:
    """Build the starting tree in ``base``, run the steps with the recorder on."""
    os.makedirs(base)
    workload.setup(base)
    root = os.path.join(base, workload.root)
    recorder = pl.Recorder(base)
    recorder.mark()
    previous = _fs.hooks.observer
    _fs.hooks.observer = recorder
    try:
        for step in workload.steps:
            step(root)
            recorder.mark()
    finally:
        _fs.hooks.observer = previous
    return recorder.log


# -- checking one state ------------------------------------------------------------------


def _plain(value):
    if value is None:
        return None
    if isinstance(value, SessionSnapshot):
        return {"session": value.session.to_dict(), "artifacts": value.artifacts.to_dict(),
                "traces": _plain(value.trace_events), "runs": _plain(value.run_records),
                "verification": _plain(value.verification_reports),
                "subagent_tasks": _plain(value.subagent_tasks)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.to_dict() if hasattr(value, "to_dict") else value


def _try(fn):
    try:
        return ("ok", _plain(fn()))
    except A3SStoreError as exc:
        return ("error", f"{type(exc).__name__}: {exc}")


def api_view(store: FileSessionStore, workload: Workload) -> tuple:
    """What the API answers about the watched ids (revisions left out: the
    metadata cache is written without fsync by design)."""
    out = [("list", _try(store.list))]
    for sid in workload.watch:
        out.append((f"snapshot {sid}", _try(lambda sid=sid: store.load_snapshot(sid))))
        out.append((f"artifacts {sid}", _try(lambda sid=sid: store.load_artifacts(sid))))
    for run in workload.runs:
        out.append((f"loop {run}", _try(lambda run=run: store.load_loop_checkpoint(run))))
    for wf in workload.workflows:
        out.append((f"workflow {wf}", _try(lambda wf=wf: store.load_workflow_checkpoint(wf))))
    return tuple(out)


@dataclass(frozen=True)
class Outcome:
    """A crash state after recovery: its view (None if the store would not
    open) and the problems found in it whatever was expected."""

    view: tuple | None
    problems: tuple[str, ...]


def describe(view: tuple | None) -> str:
    """The generations each watched thing holds, for messages."""
    if view is None:
        return "the store did not open"
    parts = []
    for label, (status, value) in view[1]:
        if label == "list":
            parts.append(f"list={value}")
        elif status == "error":
            parts.append(f"{label}: {value}")
        elif value is None:
            parts.append(f"{label}: absent")
        elif isinstance(value, dict) and "session" in value:
            gens = {c: sorted(gens_of(v)) for c, v in value.items()}
            parts.append(f"{label}: " + " ".join(f"{c}={g}" for c, g in gens.items()))
        else:
            parts.append(f"{label}: gens {sorted(gens_of(value))}")
    return "; ".join(parts)


class Judge:
    """Checks replayed trees of one workload.

    Each distinct tree is written out and opened (recovery runs) once; the
    expensive checks (every load, ``verify``) then run once per distinct
    *recovered* tree, since many crash states recover to the same folder.
    """

    def __init__(self, workload: Workload, log: pl.Log, work: str) -> None:
        self.workload, self.log, self.work = workload, log, work
        self.cache: dict[tuple, Outcome] = {}
        self.recovered: dict[tuple, Outcome] = {}
        self.views = [self.outcome(pl.replay(log, pl.full_state(log, m))) for m in log.marks]

    def outcome(self, tree: tuple) -> Outcome:
        got = self.cache.get(tree)
        if got is None:
            got = self.cache[tree] = self._check(tree)
        return got

    def _check(self, tree: tuple) -> Outcome:
        dest = os.path.join(self.work, "state")
        if os.path.exists(dest):
            shutil.rmtree(dest)
        pl.materialise(tree, dest)
        root = os.path.join(dest, self.workload.root)
        try:
            store = FileSessionStore(root)
        except Exception as exc:  # noqa: BLE001 - any error here is a finding
            return Outcome(None, (f"opening the store raised {exc!r}",))
        left = leftovers(root)
        problems = [f"left after recovery: {left}"] if left else []
        after = pl.read_tree(root)
        got = self.recovered.get(after)
        if got is None:
            got = self.recovered[after] = self._inspect(store, root)
        return Outcome(got.view, tuple(problems) + got.problems)

    def _inspect(self, store: FileSessionStore, root: str) -> Outcome:
        api = api_view(store, self.workload)
        problems = [f"{label} raised {value}" for label, (status, value) in api
                    if status == "error"]
        try:
            with Checker(root) as checker:
                problems += [f"verify: {p.kind} {os.path.relpath(p.path, root)}: {p.message}"
                             for p in checker.scan().problems]
        except Exception as exc:  # noqa: BLE001
            problems.append(f"verify raised {exc!r}")
        return Outcome((visible(root), api), tuple(problems))

    def allowed(self, k: int) -> list[Outcome]:
        """The outcomes a crash after ``k`` operations may show."""
        if self.workload.allowed is not None:
            return self.workload.allowed
        marks = self.log.marks
        if k in marks:
            return [self.views[max(i for i, m in enumerate(marks) if m == k)]]
        i = next(i for i, m in enumerate(marks) if m > k)
        return [self.views[i - 1], self.views[i]]

    def step_of(self, k: int) -> str:
        marks = self.log.marks
        if k in marks:
            return f"after step {max(i for i, m in enumerate(marks) if m == k)} returned"
        return f"during step {next(i for i, m in enumerate(marks) if m > k)}"


# -- sweeping -----------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    workload: str
    model: str
    k: int
    n: int
    when: str
    last_op: str
    dropped: tuple[str, ...]
    data: tuple[str, ...]
    problems: tuple[str, ...]

    def __str__(self) -> str:
        dropped = ", ".join(self.dropped) or "nothing"
        data = (" data: " + ", ".join(self.data)) if self.data else ""
        return (f"{self.workload} [{self.model}] crash after op {self.k}/{self.n} "
                f"({self.when}, last: {self.last_op}); lost: {dropped};{data} -> "
                + " | ".join(self.problems))


@dataclass
class Figures:
    workload: str
    model: str
    ops: int
    crash_points: int = 0
    states: int = 0  # crash states built (before merging identical trees)
    distinct: int = 0  # distinct trees checked for this model
    violations: list[Violation] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.workload} [{self.model}]: {self.ops} ops, {self.crash_points} crash "
                f"points, {self.states} states, {self.distinct} distinct checked, "
                f"{len(self.violations)} violations")


def _problems(outcome: Outcome, allowed: list[Outcome]) -> list[str]:
    """What is wrong with a crash state: a problem that the state it shows
    did not have before the crash (a damaged file a workload starts from is
    not one), or a state the workload may not leave at all."""
    same = [a for a in allowed if a.view == outcome.view]
    if outcome.view is not None and not same:
        return list(outcome.problems) + [
            "not a state the workload may leave: got " + describe(outcome.view)
            + " ; allowed: " + " OR ".join(describe(a.view) for a in allowed)]
    known = set().union(*(a.problems for a in same)) if same else set()
    return [p for p in outcome.problems if p not in known]


def sweep(judge: Judge, model: str, budget: pl.Budget, seed: int) -> Figures:
    """Check the crash states ``model`` allows (see ``powerloss.crash_states``)
    at every crash point of the log; random ones are drawn from ``seed``."""
    log = judge.log
    rng = random.Random(f"{seed}-{judge.workload.name}-{model}")
    figures = Figures(judge.workload.name, model, len(log.ops))
    trees = set()
    for k in range(len(log.ops) + 1):
        figures.crash_points += 1
        allowed = judge.allowed(k)
        data = log.data_at(k)
        for st in pl.crash_states(log, k, model, budget, rng):
            tree = pl.replay(log, st, data)
            figures.states += 1
            trees.add(tree)
            outcome = judge.outcome(tree)
            problems = _problems(outcome, allowed)
            if problems:
                figures.violations.append(Violation(
                    judge.workload.name, model, k, len(log.ops), judge.step_of(k),
                    log.ops[k - 1].desc if k else "-",
                    tuple(log.ops[i].desc for i in st.dropped()),
                    tuple(f"{log.what(ino)} cut to {n} bytes" for ino, n in st.lengths
                          if n < len(data[ino][0])),
                    tuple(problems)))
    figures.distinct = len(trees)
    return figures


# -- the catalogue: every mutating operation ----------------------------------------


def _store_setup(**kw) -> Callable[[str], None]:
    return lambda base: build(os.path.join(base, "store"), **kw)


def _on_store(fn) -> Callable[[str], object]:
    return lambda root: fn(FileSessionStore(root))


def _checker(fn) -> Callable[[str], object]:
    def step(root):
        with Checker(root) as checker:
            return fn(checker)
    return step


def _side_step(part: str, sid: str, gen: int):
    return _on_store(lambda st: side_save(st, part, sid, snapshot_gen(sid, gen)))


def workloads() -> list[Workload]:
    """One workload per mutating operation of the public API (and variant)."""
    legacy = _store_setup(legacy="old-name")
    a3s_code = _store_setup(legacy="a3s-code")
    out = [
        Workload("save-new", _store_setup(), [_on_store(
            lambda st: st.save(snapshot_gen("new", 2).session))], watch=("new",)),
        Workload("save-overwrite", _store_setup(), [_on_store(
            lambda st: st.save(snapshot_gen(S, 2).session))], watch=(S,)),
        Workload("snapshot-new", _store_setup(), [_on_store(
            lambda st: st.save_snapshot(snapshot_gen("new", 2)))], watch=("new",)),
        Workload("snapshot-overwrite", _store_setup(), [_on_store(
            lambda st: st.save_snapshot(snapshot_gen(S, 2)))], watch=(S,)),
        Workload("snapshot-over-session-only", _store_setup(), [_on_store(
            lambda st: st.save_snapshot(snapshot_gen(T, 2)))], watch=(T,)),
        Workload("snapshot-without-side-data", _store_setup(), [_on_store(
            lambda st: st.save_snapshot(snapshot_gen(S, 2, parts=())))], watch=(S,)),
    ]
    for part in SIDE_PARTS:
        out.append(Workload(f"side-{part}-overwrite", _store_setup(),
                            [_side_step(part, S, 2)], watch=(S,)))
        out.append(Workload(f"side-{part}-first", _store_setup(s_parts=()),
                            [_side_step(part, S, 2)], watch=(S,)))
    out += [
        Workload("delete", _store_setup(), [_on_store(lambda st: st.delete(S))], watch=(S,)),
        Workload("loop-save-new", _store_setup(), [_on_store(
            lambda st: st.save_loop_checkpoint("run-new", f.loop_checkpoint("run-new")))],
            runs=("run-new",)),
        Workload("loop-save-overwrite", _store_setup(), [_on_store(
            lambda st: st.save_loop_checkpoint("run-x",
                                               f.loop_checkpoint("run-x", "GEN00000002")))],
            runs=("run-x",)),
        Workload("loop-delete", _store_setup(), [_on_store(
            lambda st: st.delete_loop_checkpoint("run-x"))], runs=("run-x",)),
        Workload("workflow-save-first", _store_setup(), [_on_store(
            lambda st: st.save_workflow_checkpoint("wf-new", f.workflow_checkpoint("wf-new")))],
            workflows=("wf-new",)),
        Workload("workflow-save-overwrite", _store_setup(workflow=True), [_on_store(
            lambda st: st.save_workflow_checkpoint("wf-1", f.workflow_checkpoint("wf-1", 3)))],
            workflows=("wf-1",)),
        Workload("workflow-delete", _store_setup(workflow=True), [_on_store(
            lambda st: st.delete_workflow_checkpoint("wf-1"))], workflows=("wf-1",)),
        Workload("legacy-save", legacy, [_on_store(
            lambda st: st.save(snapshot_gen(LEGACY, 2).session))], watch=(LEGACY,)),
        Workload("legacy-snapshot", legacy, [_on_store(
            lambda st: st.save_snapshot(snapshot_gen(LEGACY, 2)))], watch=(LEGACY,)),
        Workload("legacy-side-traces", legacy, [_side_step("traces", LEGACY, 2)],
                 watch=(LEGACY,)),
        Workload("legacy-delete", legacy, [_on_store(lambda st: st.delete(LEGACY))],
                 watch=(LEGACY,)),
        Workload("a3s-code-snapshot", a3s_code, [_on_store(
            lambda st: st.save_snapshot(snapshot_gen(LEGACY, 2)))], watch=(LEGACY,)),
        Workload("a3s-code-side-traces", a3s_code, [_side_step("traces", LEGACY, 2)],
                 watch=(LEGACY,)),
        Workload("save-quarantine", _store_setup(damaged=True), [_on_store(
            lambda st: st.save(snapshot_gen(S, 2).session))], watch=(S,)),
        Workload("read-list", legacy, [_on_store(lambda st: st.list())], watch=(LEGACY,)),
        # A load of files another program wrote records their strict check (a cache).
        Workload("read-a3s-code-files", a3s_code, [_on_store(
            lambda st: st.load_snapshot(LEGACY))], watch=(LEGACY,)),
        # The second snapshot's side files hold their bytes already: only the
        # session file is written.
        Workload("snapshot-same-side-files", _store_setup(), [
            _on_store(lambda st: st.save_snapshot(snapshot_gen(S, 2))),
            _on_store(lambda st: st.save_snapshot(snapshot_gen(S, 2)))], watch=(S,)),
        Workload("health-check", _store_setup(), [_on_store(lambda st: st.health_check())],
                 watch=(S,)),
        Workload("repair-quarantine", _store_setup(damaged=True), [_checker(
            lambda c: c.repair())], watch=(S,)),
        Workload("gc-orphans", _store_setup(orphans=True), [_checker(
            lambda c: c.collect(c.garbage(older_than=0)))], watch=(S,)),
        Workload("two-saves", _store_setup(), [
            _on_store(lambda st: st.save_snapshot(snapshot_gen(S, 2))),
            _on_store(lambda st: st.save(snapshot_gen(T, 2).session))], watch=(S, T)),
        # A store made by its first open, in a folder whose parents do not exist yet.
        Workload("new-store", lambda base: None, [
            FileSessionStore,
            _on_store(lambda st: st.save(snapshot_gen(S, 1).session)),
            _on_store(lambda st: st.save_snapshot(snapshot_gen(T, 1)))],
            root="home/agent/store", watch=(S, T)),
    ]
    return out


def commit_point(log: pl.Log) -> int:
    """The crash point right after the fsync of the journal folder (``.a3s_store``)
    that makes a commit record durable (its save's renames have not begun)."""
    record = next(i for i, op in enumerate(log.ops)
                  if op.kind == "link" and op.desc.endswith(".commit"))
    return next(i for i, op in enumerate(log.ops)
                if i > record and op.kind == "fsync_dir"
                and op.desc.endswith("/" + INTERNAL)) + 1


def recovery_workload(name: str, source: Judge, k: int) -> Workload:
    """Opening the store (recovery) from the state a crash after ``k`` operations
    of ``source`` leaves when all of them persisted. Every crash state of it
    must show the interrupted save's old or new generation."""
    tree = pl.replay(source.log, pl.full_state(source.log, k))
    work = source.workload
    return Workload(name, lambda base: pl.materialise(tree, base), [FileSessionStore],
                    root=work.root, watch=work.watch, runs=work.runs, workflows=work.workflows,
                    allowed=[source.views[0], source.views[-1]])
