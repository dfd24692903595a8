"""Simulated power loss (ALICE-style crash states) through the I/O layer's observer.

Not a test module: the recorder, the persistence models and the replay
of a crash state as a real folder. ``powerloss_store`` holds what the store
promises; ``test_power_loss`` the tests.

**Recording.** :class:`Recorder` is installed as ``a3s_store._fs.hooks.observer``
while a workload runs in a folder ``base``. It keeps a live model of the
tree under ``base`` (folders and files with identities of their own, so a
rename or a reused descriptor never confuses two files) and turns every
mutating call into a logical operation of the :class:`Log`:

* directory operations: ``link`` (a ``create`` or ``mkdir``; folders that
  ``os.makedirs`` made on the way are logged one by one), ``unlink`` (an
  ``unlink`` or ``rmdir``) and ``rename`` (one atomic operation on two
  folders);
* file data: ``write`` (bytes appended to one file) and ``fsync`` (of one file);
* ``fsync_dir`` (of one folder).

The tree found in ``base`` when recording starts is the durable starting
point. :meth:`Recorder.mark` notes where each step of the workload returned.

**Crash states.** A crash after the first ``k`` operations of the log leaves
a state that a persistence model allows:

* ``ext4`` (ordered metadata, as ext4's journal commits it): the directory
  operations that persist are a *prefix* of the directory operations before
  the crash, in program order, and that prefix contains at least every
  operation that a later ``fsync_dir`` of its folder covered.
* ``posix`` (Pillai et al., OSDI 2014, "any subset"): a directory operation
  is durable once a later ``fsync_dir`` of its folder ran (for a rename, of
  either of its two folders: a rename is atomic, both halves or neither);
  any subset of the other directory operations persists, applied in program
  order (each name ends as the last surviving operation on it left it).
* ``posix-dst``, a stricter variant of ``posix``: a rename is made durable
  only by an fsync of its destination folder (the source's is not enough).

In every model, the bytes of a file written before its last ``fsync`` are
durable (a file fsync does not make its directory entry durable); bytes
written after it are kept whole or lost (the file is cut back to its synced
length), and in the ``posix`` models may also be torn (cut in the middle of
the unsynced bytes). A file's data and its name are independent: a name
may survive with its data lost (an empty file) and the other way round
(unreachable data is simply gone).

The states of a crash point are enumerated exhaustively when the model
allows at most ``Budget.exhaustive`` of them; otherwise: the extreme states
(every pending operation kept or none; all unsynced data kept or lost),
each unsynced file lost or torn alone, in ``posix`` every state that loses
exactly one pending operation or keeps exactly one (so a single missing
barrier is found whatever the seed), in ``ext4`` evenly spaced prefixes,
and ``Budget.sample`` random states drawn from a seeded ``random.Random``.
Replayed states are identified by their content, so each distinct folder
is materialised and checked once.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from dataclasses import dataclass, field

__all__ = ["Recorder", "Log", "Op", "Budget", "CrashState", "MODELS", "VARIANTS",
           "crash_states", "posix_state", "full_state", "replay", "materialise", "read_tree",
           "RecorderError"]

MODELS = ("ext4", "posix")
#: ``posix-dst``: ``posix`` where a rename is durable only once its destination
#: folder is fsynced (a stricter reading: fsync of the source folder is not enough).
VARIANTS = ("posix-dst",)
_TXID = re.compile(r"[0-9a-f]{8,}-\d+-[0-9a-f]{8}")
DIR_OPS = ("link", "unlink", "rename")


class RecorderError(BaseException):
    """The recorder lost track of the tree (a harness bug, never the store's).

    A ``BaseException``, so the store does not catch it as an I/O error."""


@dataclass(frozen=True, slots=True)
class Op:
    """One logical operation. ``src``/``dst`` are ``(folder id, name)``;
    ``ino`` the file or folder concerned (for ``fsync_dir`` the folder synced)."""

    kind: str
    ino: int
    src: tuple[int, str] | None = None
    dst: tuple[int, str] | None = None
    data: bytes = b""
    desc: str = ""
    folder: bool = False  # a link that makes a folder

    @property
    def dirs(self) -> tuple[int, ...]:
        """The folders whose entries this operation changes."""
        return tuple(part[0] for part in (self.src, self.dst) if part is not None)


@dataclass
class Log:
    """What a workload did: the starting tree, the operations, the step ends."""

    base: int  # id of the folder everything is under
    entries: dict[int, dict[str, int]]  # folder id -> name -> id, when recording began
    initial: dict[int, bytes]  # file id -> its bytes, when recording began
    ops: list[Op] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)  # len(ops) when each step returned

    def __post_init__(self) -> None:
        self._forced: dict[bool, list[int]] = {}

    def forced_at(self, by_destination: bool = False) -> list[int]:
        """For each operation: the index of the first ``fsync_dir`` after it on
        one of its folders (``len(ops)`` + 1 when none), so it is durable in a
        crash after ``k`` operations when ``forced_at()[i] < k``. With
        ``by_destination``, a rename counts as an operation on its destination
        folder only."""
        if by_destination not in self._forced:
            never = len(self.ops) + 1
            out = [never] * len(self.ops)
            waiting: dict[int, list[int]] = {}
            for i, op in enumerate(self.ops):
                if op.kind in DIR_OPS:
                    dirs = (op.dst[0],) if by_destination and op.kind == "rename" else op.dirs
                    for d in set(dirs):
                        waiting.setdefault(d, []).append(i)
                elif op.kind == "fsync_dir":
                    for j in waiting.pop(op.ino, []):
                        out[j] = min(out[j], i)
            self._forced[by_destination] = out
        return self._forced[by_destination]

    def what(self, ino: int) -> str:
        """The operation that made file or folder ``ino`` (for messages)."""
        return next((op.desc for op in self.ops if op.kind == "link" and op.ino == ino),
                    f"file #{ino}")

    def data_at(self, k: int) -> dict[int, tuple[bytes, int]]:
        """file id -> (bytes written before crash point k, how many are fsynced)."""
        written: dict[int, bytearray] = {}
        synced: dict[int, int] = {}
        for op in self.ops[:k]:
            if op.kind == "write":
                written.setdefault(op.ino, bytearray()).extend(op.data)
            elif op.kind == "fsync" and op.ino in written:
                synced[op.ino] = len(written[op.ino])
        return {ino: (bytes(b), synced.get(ino, 0)) for ino, b in written.items()}


class Recorder:
    """The observer of ``a3s_store._fs``: logs every mutating call under ``base``."""

    def __init__(self, base: str) -> None:
        self.base_path = os.path.abspath(os.fspath(base))
        self._next = 0
        self.live: dict[int, dict[str, int]] = {}  # folder id -> entries, as it is now
        initial: dict[int, bytes] = {}
        base_id = self._new()
        self.live[base_id] = {}
        self.real_dirs = {os.lstat(self.base_path).st_ino: base_id}  # real inode -> id
        stack = [(base_id, self.base_path)]
        while stack:
            folder, path = stack.pop()
            for entry in sorted(os.scandir(path), key=lambda e: e.name):
                ino = self._new()
                self.live[folder][entry.name] = ino
                if entry.is_dir(follow_symlinks=False):
                    self.live[ino] = {}
                    self.real_dirs[entry.inode()] = ino
                    stack.append((ino, entry.path))
                elif entry.is_file(follow_symlinks=False):
                    with open(entry.path, "rb") as fh:
                        initial[ino] = fh.read()
                else:
                    raise RecorderError(f"cannot model {entry.path} (not a file or folder)")
        self.log = Log(base_id, {d: dict(e) for d, e in self.live.items()}, initial)
        self.fds: dict[int, tuple[int, int]] = {}  # fd -> (file id, real inode)

    def _new(self) -> int:
        self._next += 1
        return self._next

    def mark(self) -> None:
        """A step of the workload returned here."""
        self.log.marks.append(len(self.log.ops))

    # -- paths ---------------------------------------------------------------

    def _rel(self, path: str) -> str:
        rel = os.path.relpath(os.path.abspath(path), self.base_path)
        if rel == "." or rel.startswith(".." + os.sep) or rel == "..":
            raise RecorderError(f"a change outside the modelled folder: {path}")
        return rel

    @staticmethod
    def _short(rel: str) -> str:
        """``rel`` for messages: a transaction id (time-pid-random) shown as ``T``."""
        return _TXID.sub("T", rel)

    def _locate(self, path: str) -> tuple[int, str, str]:
        """(id of the parent folder, name, relative path) of ``path``."""
        rel = self._rel(path)
        parts = rel.split(os.sep)
        folder = self.log.base
        for part in parts[:-1]:
            nxt = self.live[folder].get(part)
            if nxt is None or nxt not in self.live:
                raise RecorderError(f"no folder {part!r} on the way to {rel}")
            folder = nxt
        return folder, parts[-1], rel

    def _folder(self, path: str) -> int:
        if os.path.abspath(path) == self.base_path:
            return self.log.base
        folder, name, rel = self._locate(path)
        ino = self.live[folder].get(name)
        if ino is None or ino not in self.live:
            raise RecorderError(f"{rel} is not a folder the recorder knows")
        return ino

    def _add(self, op: Op) -> None:
        self.log.ops.append(op)

    # -- the observer ----------------------------------------------------------

    def __call__(self, kind: str, details: dict) -> None:
        handler = getattr(self, "_on_" + kind, None)
        if handler is None:
            raise RecorderError(f"unknown observed call {kind!r}")
        handler(**details)

    def _on_mkdir(self, path: str) -> None:
        rel = self._rel(path)
        parts = rel.split(os.sep)
        folder = self.log.base
        for i, part in enumerate(parts):  # os.makedirs may have made parents too
            nxt = self.live[folder].get(part)
            if nxt is None:
                nxt = self._new()
                self.live[nxt] = {}
                self.live[folder][part] = nxt
                self.real_dirs[os.lstat(os.path.join(self.base_path, *parts[:i + 1])).st_ino] = nxt
                self._add(Op("link", nxt, dst=(folder, part), folder=True,
                             desc=f"mkdir {self._short(os.sep.join(parts[:i + 1]))}"))
            folder = nxt

    def _on_create(self, path: str, fd: int) -> None:
        folder, name, rel = self._locate(path)
        ino = self._new()
        self.live[folder][name] = ino
        self.fds[fd] = (ino, os.fstat(fd).st_ino)
        self._add(Op("link", ino, dst=(folder, name), desc=f"create {self._short(rel)}"))

    def _file_of(self, fd: int, what: str) -> int:
        known = self.fds.get(fd)
        if known is None or os.fstat(fd).st_ino != known[1]:
            raise RecorderError(f"{what} on descriptor {fd}, not one the recorder saw created")
        return known[0]

    def _on_write(self, fd: int, data: bytes) -> None:
        self._add(Op("write", self._file_of(fd, "write"), data=bytes(data),
                     desc=f"write {len(data)} bytes"))

    def _on_fsync(self, fd: int) -> None:
        self._add(Op("fsync", self._file_of(fd, "fsync"), desc="fsync"))

    def _on_close(self, fd: int) -> None:
        self.fds.pop(fd, None)  # also the lock, opened without being created

    def _on_fsync_dir(self, path: str, fd: int | None = None) -> None:
        if fd is None:  # by path (stale once the folder was moved)
            folder = self._folder(path)
        else:  # by identity
            folder = self.real_dirs.get(os.fstat(fd).st_ino)
            if folder is None:
                raise RecorderError(f"fsync_dir of {path}, a folder the recorder does not know")
        rel = os.path.relpath(os.path.abspath(path), self.base_path)
        self._add(Op("fsync_dir", folder, desc=f"fsync_dir {self._short(rel)}"))

    def _on_unlink(self, path: str, kind: str = "unlink") -> None:
        folder, name, rel = self._locate(path)
        ino = self.live[folder].pop(name, None)
        if ino is None:
            raise RecorderError(f"{kind} of {rel}, which the recorder does not know")
        self._add(Op("unlink", ino, src=(folder, name), desc=f"{kind} {self._short(rel)}"))

    def _on_rmdir(self, path: str) -> None:
        self._on_unlink(path, "rmdir")

    def _on_rename(self, src: str, dst: str) -> None:
        sfolder, sname, srel = self._locate(src)
        dfolder, dname, drel = self._locate(dst)
        ino = self.live[sfolder].pop(sname, None)
        if ino is None:
            raise RecorderError(f"rename of {srel}, which the recorder does not know")
        self.live[dfolder][dname] = ino
        self._add(Op("rename", ino, src=(sfolder, sname), dst=(dfolder, dname),
                     desc=f"rename {self._short(srel)} -> {self._short(drel)}"))


# -- crash states ----------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """How many states per crash point: all of them up to ``exhaustive``,
    else the deterministic neighbours of the extremes plus ``sample`` random."""

    exhaustive: int = 256
    sample: int = 24
    torn: bool = True  # posix models: also cut unsynced bytes in the middle


@dataclass(frozen=True, slots=True)
class CrashState:
    """Which directory operations persisted, and each unsynced file's length."""

    k: int
    kept: frozenset[int]  # indices of the directory operations that persisted
    pending: tuple[int, ...]  # every pending directory operation at k
    lengths: tuple[tuple[int, int], ...]  # (file id, bytes kept) of files with unsynced data

    def dropped(self) -> tuple[int, ...]:
        return tuple(i for i in self.pending if i not in self.kept)


def _data_options(log: Log, k: int, model: str, budget: Budget):
    """[(file id, [lengths it may have: whole first])] of the files with unsynced bytes."""
    options = []
    for ino, (content, synced) in sorted(log.data_at(k).items()):
        if synced < len(content):
            lengths = [len(content), synced]
            if model != "ext4" and budget.torn and len(content) - synced > 1:
                lengths.append(synced + (len(content) - synced) // 2)
            options.append((ino, lengths))
    return options


def crash_states(log: Log, k: int, model: str, budget: Budget, rng: random.Random):
    """The crash states of ``model`` after the first ``k`` operations (a list)."""
    if model not in MODELS + VARIANTS:
        raise ValueError(f"unknown model {model!r}")
    forced = log.forced_at(by_destination=model == "posix-dst")
    dir_ops = [i for i in range(k) if log.ops[i].kind in DIR_OPS]
    durable = frozenset(i for i in dir_ops if forced[i] < k)
    options = _data_options(log, k, model, budget)
    if model == "ext4":
        last = max((j for j, i in enumerate(dir_ops) if i in durable), default=-1)
        pending = tuple(dir_ops[last + 1:])
        # everything up to the last forced operation, and p more after it
        choices = [frozenset(dir_ops[:last + 1 + p]) for p in range(len(pending) + 1)]
    else:
        pending = tuple(i for i in dir_ops if i not in durable)
        choices = None
    n_dir = len(choices) if choices is not None else 2 ** len(pending)
    total = n_dir
    for _, lengths in options:
        total *= len(lengths)
    whole = tuple((ino, lengths[0]) for ino, lengths in options)

    def state(kept, lengths=whole) -> CrashState:
        return CrashState(k, durable | frozenset(kept), pending, lengths)

    if total <= budget.exhaustive:
        if choices is None:
            choices = [frozenset(c) for r in range(len(pending) + 1)
                       for c in itertools.combinations(pending, r)]
        data_choices = itertools.product(*[[(ino, n) for n in lengths]
                                           for ino, lengths in options])
        return [state(kept, lengths) for lengths in data_choices for kept in choices]
    every = frozenset(dir_ops)
    least = choices[0] if choices is not None else frozenset()
    out = {state(every), state(least), state(every, tuple((i, ls[1]) for i, ls in options))}
    if choices is None:
        for i in pending:
            out.add(state(every - {i}))
            out.add(state({i}))
    else:
        out.update(state(c) for c in choices[:: max(1, len(choices) // budget.sample)])
    for n, (ino, lengths) in enumerate(options):  # each file's data lost or torn alone
        for length in lengths[1:]:
            out.add(state(every, whole[:n] + ((ino, length),) + whole[n + 1:]))
    for _ in range(budget.sample):
        if choices is None:
            kept = frozenset(i for i in pending if rng.random() < 0.5)
        else:
            kept = rng.choice(choices)
        out.add(state(kept, tuple((ino, rng.choice(ls)) for ino, ls in options)))
    return sorted(out, key=lambda s: (len(s.kept), sorted(s.kept), s.lengths))


def posix_state(log: Log, k: int, drop, *, by_destination: bool = False) -> CrashState:
    """The ``posix`` crash state after ``k`` operations that keeps every pending
    directory operation but those for which ``drop(op)`` is true (all data whole).

    A matching operation that is already durable (an fsync covered it) is
    kept: the state asked for cannot happen, and the nearest one that can is
    returned. Raises ``ValueError`` when no operation before ``k`` matches."""
    forced = log.forced_at(by_destination)
    dir_ops = [i for i in range(k) if log.ops[i].kind in DIR_OPS]
    pending = tuple(i for i in dir_ops if forced[i] >= k)
    if not any(drop(log.ops[i]) for i in dir_ops):
        raise ValueError(f"no directory operation before crash point {k} to drop")
    gone = {i for i in pending if drop(log.ops[i])}
    return CrashState(k, frozenset(dir_ops) - gone, pending, ())


def full_state(log: Log, k: int) -> CrashState:
    """Everything the first ``k`` operations did, all of it persisted."""
    return CrashState(k, frozenset(i for i in range(k) if log.ops[i].kind in DIR_OPS), (), ())


def replay(log: Log, st: CrashState, data=None) -> tuple:
    """The tree of a crash state: a sorted tuple of (relative path, bytes or None
    for a folder), everything reachable from the base folder."""
    entries = {d: dict(e) for d, e in log.entries.items()}
    entries.update((op.ino, {}) for op in log.ops[:st.k] if op.folder)
    for i in sorted(st.kept):
        op = log.ops[i]
        if op.src is not None:
            entries[op.src[0]].pop(op.src[1], None)
        if op.dst is not None:
            entries[op.dst[0]][op.dst[1]] = op.ino
    if data is None:
        data = log.data_at(st.k)
    cut = dict(st.lengths)
    out = []
    stack = [(log.base, "")]
    seen = set()
    while stack:
        folder, prefix = stack.pop()
        if folder in seen:
            continue
        seen.add(folder)
        for name, ino in entries.get(folder, {}).items():
            rel = prefix + name
            if ino in entries:
                out.append((rel, None))
                stack.append((ino, rel + "/"))
            elif ino in log.initial:
                out.append((rel, log.initial[ino]))
            else:
                content = data.get(ino, (b"", 0))[0]
                out.append((rel, content[:cut.get(ino, len(content))]))
    return tuple(sorted(out))


def read_tree(path: str) -> tuple:
    """A real folder in the form :func:`replay` gives (symlinks and special
    files count as empty files: the store never makes them)."""
    out = []
    stack = [(path, "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    out.append((rel, None))
                    stack.append((entry.path, rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    with open(entry.path, "rb") as fh:
                        out.append((rel, fh.read()))
                else:
                    out.append((rel, b""))
    return tuple(sorted(out))


def materialise(tree: tuple, dest: str) -> None:
    """Write a replayed tree as real folders (0700) and files (0600) under ``dest``."""
    os.makedirs(dest, exist_ok=True)
    for rel, content in tree:  # sorted: every folder comes before what it holds
        path = os.path.join(dest, rel)
        if content is None:
            os.mkdir(path, 0o700)
        else:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, content)
            finally:
                os.close(fd)
