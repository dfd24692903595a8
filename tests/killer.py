"""kill -9 loop: a child saves in a loop, the parent SIGKILLs it, a verifier checks.

Shared by ``tests/test_kill.py`` (the CI run) and ``tests/stress_kill.py``
(10,000 kills, outside the default run). POSIX only (``os.fork``).

The child (forked, so it starts in a few milliseconds) works on three
sessions, one operation after another:

* ``k-full``: ``save_snapshot`` with every side file;
* ``k-plain``: ``save`` (the session file only);
* ``k-mixed``: ``save_snapshot`` with some side components empty, and every
  third operation a ``delete``.

Operation ``g`` of a session writes the marker ``GEN<g>`` into every file
of it. Before an operation the child writes ``a <id> <g>`` to a pipe, after
it returned ``k <id> <g>`` (each line one ``write`` below ``PIPE_BUF``, so
a kill never tears one). After the kill, the verifier opens a fresh store
(recovery) and requires for every session: exactly one generation in all
its files (or none at all after a delete), no older than the last
acknowledged operation and no newer than the last attempted one, and
nothing left in ``.a3s_store/tx`` or ``tmp``.

Kills land at random moments (uniform over a few operations) and, in
:func:`kill_at_every_call`, at every filesystem call of one operation (the
child's fault hook SIGKILLs its own process at call k).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field

from a3s_store import A3SStoreError, FileSessionStore, _fs
from crashkit import gens_of, leftovers, snapshot_gen

IDS = ("k-full", "k-plain", "k-mixed")


def outcome(sid: str, gen: int):
    """What the store holds once operation ``gen`` on ``sid`` is done (None: absent)."""
    if gen == 0 or (sid == "k-mixed" and gen % 3 == 0):
        return None
    return gen


def run_op(store: FileSessionStore, sid: str, gen: int) -> None:
    if sid == "k-full":
        store.save_snapshot(snapshot_gen(sid, gen))
    elif sid == "k-plain":
        store.save(snapshot_gen(sid, gen).session)
    elif outcome(sid, gen) is None:
        store.delete(sid)
    else:
        parts = ("traces", "runs") if gen % 2 else ("artifacts", "verification",
                                                     "subagent_tasks")
        store.save_snapshot(snapshot_gen(sid, gen, parts))


def observed(store: FileSessionStore, sid: str):
    """The generation the store holds for ``sid`` (None: absent); raises on a mix."""
    if sid == "k-plain":
        value = store.load(sid)
        side = None
    else:
        value = store.load_snapshot(sid)
        side = [store.load_trace_events(sid), store.load_run_records(sid),
                store.load_verification_reports(sid), store.load_subagent_tasks(sid),
                store.load_artifacts(sid)]
    if value is None:
        if side and any(s is not None for s in side):
            raise AssertionError(f"{sid}: side files without a session: {side}")
        return None
    found = gens_of(value)
    if len(found) != 1:
        raise AssertionError(f"{sid}: mixed generations {sorted(found)}")
    return found.pop()


@dataclass
class Figures:
    kills: int = 0
    kills_mid_operation: int = 0  # the child had attempted more than it acknowledged
    acked: int = 0
    attempted: int = 0
    violations: list = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.kills} kills ({self.kills_mid_operation} during an operation), "
                f"{self.acked} acknowledged and {self.attempted} attempted operations, "
                f"{len(self.violations)} violations")


def _child(root, durable: bool, w: int, start: dict, kill_at: int | None, target) -> None:
    """Runs in the forked child; never returns."""
    try:
        if kill_at is not None:
            count = [0]

            def die(name):
                count[0] += 1
                if count[0] == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)

        store = FileSessionStore(root, durable=durable)
        gens = dict(start)
        i = 0
        while True:
            sid = target or IDS[i % len(IDS)]
            i += 1
            gens[sid] += 1
            os.write(w, f"a {sid} {gens[sid]}\n".encode())
            if kill_at is not None:
                _fs.hooks.fault_hook = die
            run_op(store, sid, gens[sid])
            os.write(w, f"k {sid} {gens[sid]}\n".encode())
            if kill_at is not None:
                os.write(w, b"x\n")  # the operation ended before call k
                os._exit(0)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        try:
            os.write(w, f"e {exc!r}\n"[:500].encode())
        finally:
            os._exit(1)
    os._exit(0)


class KillLoop:
    """The parent's side: forks, kills, verifies, and keeps the figures.

    Per session it knows the state the store held after the last
    verification (``known``) and the last generation number used
    (``attempted``); numbers only grow, so a marker names one operation.
    """

    def __init__(self, root, rng, *, durable_modes=(True, False)) -> None:
        self.root = os.fspath(root)
        self.rng = rng
        self.durable_modes = durable_modes
        self.attempted = {sid: 0 for sid in IDS}
        self.known = {sid: None for sid in IDS}
        self.figures = Figures()
        self.op_seconds = self._time_ops()

    def _time_ops(self) -> float:
        store = FileSessionStore(self.root)
        start = time.perf_counter()
        for sid in IDS:
            self.attempted[sid] += 1
            run_op(store, sid, self.attempted[sid])
            self.known[sid] = outcome(sid, self.attempted[sid])
        return (time.perf_counter() - start) / len(IDS)

    def kill_once(self, *, delay: float | None = None, kill_at: int | None = None,
                  target: str | None = None, durable: bool | None = None) -> None:
        """Fork a saving child, kill it (after ``delay``, or at its call ``kill_at``),
        then verify the store."""
        if durable is None:
            durable = self.durable_modes[self.figures.kills % len(self.durable_modes)]
        if delay is None and kill_at is None:
            delay = self.rng.uniform(0.0, 6 * self.op_seconds + 0.002)
        r, w = os.pipe()
        start = dict(self.attempted)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(r)
            _child(self.root, durable, w, start, kill_at, target)
        os.close(w)
        if kill_at is None:
            time.sleep(delay)
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        lines = _read_all(r).decode(errors="replace").splitlines()
        os.close(r)
        self._account(lines, status, start, f"delay {delay!r}, call {kill_at}, "
                                            f"durable={durable}")

    def _account(self, lines, status, start, how) -> None:
        where = f"kill #{self.figures.kills + 1} ({how})"
        acked: dict[str, int] = {}
        ended = False
        for line in lines:
            kind, _, rest = line.partition(" ")
            if kind == "a":
                sid, gen = rest.split()
                self.attempted[sid] = int(gen)
                self.figures.attempted += 1
            elif kind == "k":
                sid, gen = rest.split()
                acked[sid] = int(gen)
                self.figures.acked += 1
            elif kind == "x":
                ended = True
            else:
                self.figures.violations.append(f"{where}: the child failed: {line}")
        if not ended:
            if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
                self.figures.violations.append(f"{where}: child ended with status {status}")
            self.figures.kills += 1
            if any(self.attempted[s] > acked.get(s, start[s]) for s in IDS):
                self.figures.kills_mid_operation += 1
        try:
            store = FileSessionStore(self.root)  # recovery
            left = leftovers(self.root)
            if left:
                self.figures.violations.append(f"{where}: left after recovery: {left}")
            for sid in IDS:
                # The last acknowledged operation or a later one; with none
                # acknowledged in this round, also the state before it.
                first = acked.get(sid, start[sid] + 1)
                allowed = {outcome(sid, g) for g in range(first, self.attempted[sid] + 1)}
                if sid not in acked:
                    allowed.add(self.known[sid])
                got = observed(store, sid)
                if got not in allowed:
                    self.figures.violations.append(
                        f"{where}: {sid} holds {got}, allowed {sorted(allowed, key=str)}")
                self.known[sid] = got
        except (AssertionError, A3SStoreError, OSError) as exc:
            self.figures.violations.append(f"{where}: verifying raised {exc!r}")


def kill_at_call(root, operation, k: int, *, durable: bool = True) -> bool:
    """Run ``operation(store)`` in a forked child that SIGKILLs itself at its
    filesystem call ``k``; True when it died there, False when it ended first."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            store = FileSessionStore(root, durable=durable)
            count = [0]

            def die(name):
                count[0] += 1
                if count[0] == k:
                    os.kill(os.getpid(), signal.SIGKILL)

            _fs.hooks.fault_hook = die
            operation(store)
        except BaseException:  # noqa: BLE001
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        return True
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return False
    raise AssertionError(f"the child failed (status {status})")


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def calls_of_next_op(root, sid: str, next_gen: int, durable: bool = True) -> int:
    """How many filesystem calls operation ``next_gen`` on ``sid`` makes (on a copy)."""
    import shutil
    import tempfile

    from faults import CallCounter, hooked

    scratch = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(root)))  # same disk
    try:
        copy = os.path.join(scratch, "s")
        # Hard links keep each file's inode and mtime, so the store's metadata
        # still matches the copy and the count is that of the real store; the
        # store never writes a file in place, so the originals are untouched.
        shutil.copytree(root, copy, copy_function=os.link)
        store = FileSessionStore(copy, durable=durable)
        counter = CallCounter()
        with hooked(counter):
            run_op(store, sid, next_gen)
        return len(counter.calls)
    finally:
        shutil.rmtree(scratch)
