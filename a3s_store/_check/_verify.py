"""``verify``: check every file of the store and report what is wrong (nothing is changed).

Every session file and side file parses as its record type; the id inside a
session file (and the run or workflow id inside a checkpoint) maps to the
file's name, either the store's name or a3s-code's lossy one; the files of
each session are the generation the store last wrote (the metadata records
the size, mtime and inode of each), where a difference is a *note*, since
a3s-code writes these files without the store; and nothing is left of
interrupted saves (journal files in ``.a3s_store``) or of a3s-code's atomic
writes (``*.json.<nanos>.<pid>.<n>.tmp``). Problems make the command fail;
notes are informational (a run left unfinished by a process that is gone
is a note too). Checks run in batches, each one engine operation
under the shared lock, so writers are held back for a batch, not a scan.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from .. import _commit, _fs, _json, _recovery
from .._components import CHECKPOINTS, RUNS, SESSION, SIDE, Component
from .._layout import INTERNAL, META, QUARANTINE
from .._run_owner import owner_pids, stale_runs, this_process
from .._shape import looks_like_session
from ..errors import CorruptDataError, UnsafePathError, UnsupportedVersionError
from ._findings import Finding, Scan, matches
from ._view import FileSig, Folder, View

if TYPE_CHECKING:
    from ..records import RunRecord
    from . import Checker

__all__ = ["scan", "check_checkpoint", "BATCH"]

BATCH = 64
#: How a "changed outside a3s_store" note says to accept the change.
_ADOPT = " (verify --adopt accepts it as the store's own)"
_KINDS = {kind.folder: kind for kind in CHECKPOINTS}


def _why(exc: CorruptDataError) -> str:
    return f"{exc.key}: {exc.message}" if exc.key else exc.message


def _component_of(folder: tuple[str, ...]) -> Component:
    return next(c for c in SIDE if c.folder == folder[:len(c.folder)])


def journal(view: View, findings: list[Finding]) -> None:
    """Interrupted saves and temporary files of the store's own writers."""
    places = [((INTERNAL,), False)] + [((INTERNAL, legacy), True)
                                       for legacy in _commit.LEGACY_FOLDERS]
    for folder, every_name in places:
        txs: dict[str, list[str]] = {}
        for entry in view.entries(folder):
            txid = (entry.name.split(".", 1)[0] if every_name
                    else _commit.journal_id(entry.name))
            if txid is not None:
                txs.setdefault(txid, []).append(entry.name)
        blocked = {m["txid"]: m for m in _recovery.read_blocked(
            view.layout, {t for t, ns in txs.items() if f"{t}{_recovery.BLOCKED}" in ns})
        } if not every_name else {}
        for txid, names in sorted(txs.items()):
            if txid in blocked:
                m = blocked[txid]
                findings.append(Finding(
                    "problem", "blocked", m["marker"],
                    f"interrupted save that cannot be finished ({m['reason']}: {m['path']}); "
                    "--repair finishes it once that is fixed, or sets it aside", "recover"))
                continue
            committed = f"{txid}.commit" in names
            if not committed:
                if all(n.endswith(".tmp") for n in names):
                    findings.append(Finding("problem", "leftover", view.path(folder, names[0]),
                                            "temporary file of an interrupted write",
                                            "recover"))
                    continue
                what = "not committed; --repair rolls it back"
            elif _recovery.will_finish(view.layout, txid):
                what = "committed; --repair finishes it"
            else:  # stopped before its first rename, or its staged files are damaged
                what = "committed, not started or damaged; --repair rolls it back"
            first = f"{txid}.commit" if committed else sorted(names)[0]
            findings.append(Finding("problem", "interrupted", view.path(folder, first),
                                    f"interrupted save ({what})", "recover"))


def check_session(view: View, name: str, findings: list[Finding]
                  ) -> tuple[str, FileSig] | None:
    """Check ``<root>/name``; return (session id, sig) when it is sound."""
    got = view.read((), name, findings)
    if got is None:
        return None
    data, sig = got
    try:
        session = SESSION.decode(data, strict=True, path=None)
    except CorruptDataError as exc:
        if looks_like_session(data):
            findings.append(view.damaged((), name, _why(exc), sig))
        else:  # a project's package.json: never the store's to move
            findings.append(Finding("note", "not-a-session", view.path((), name),
                                    "not a session file; left alone"))
        return None
    if not matches(name[:-5], session.id, "session"):
        findings.append(Finding("problem", "id-mismatch", view.path((), name),
                                f"holds session {session.id!r}, whose file name is not this "
                                "one", "quarantine", (), name, sig))
        return None
    return session.id, sig


def check_side(view: View, folder: Folder, name: str, findings: list[Finding]
               ) -> FileSig | None:
    got = view.read(folder, name, findings)
    if got is None:
        return None
    data, sig = got
    component = _component_of(folder)
    try:
        value = component.decode(data, strict=True, path=None)
    except CorruptDataError as exc:
        findings.append(view.damaged(folder, name, _why(exc), sig))
        return None
    if component is RUNS:
        findings.extend(stale_run_notes(view.path(folder, name), value))
    return sig


def stale_run_notes(path: str, records: list[RunRecord]) -> list[Finding]:
    """A note for each run left unfinished by a process that is gone (it
    started the run on this host, and no longer runs)."""
    host = this_process().host
    processes = {pid: _fs.process_start_ms(pid) for pid in owner_pids(records, host)
                 if _fs.process_running(pid)}
    notes = []
    for stale in stale_runs(records, now_ms=int(time.time() * 1000), this_host=host,
                            processes=processes):
        owner = stale.owner
        who = f"process {owner.pid} on {owner.host}" if owner is not None else "its process"
        notes.append(Finding("note", "stale-run", path,
                             f"run {stale.run_id!r} was left unfinished by {who}, which is "
                             f"gone ({stale.reason}); resume it (resume_run) or end it"))
    return notes


def check_meta(view: View, stem: str, session_id: str,
               sigs: dict[str, tuple[Folder, str, FileSig]], reported: set[str],
               findings: list[Finding]) -> None:
    """Compare the files of a session with the generation the store last wrote."""
    try:
        got = view.layout.read(META, stem + ".json")
        meta = _json.decode(got[0], strict=False) if got else None
    except (CorruptDataError, UnsafePathError):
        findings.append(Finding("note", "metadata", view.path(META, stem + ".json"),
                                "unreadable metadata (rebuilt by the next save; --repair "
                                "removes it)", "drop-meta", META, stem + ".json"))
        return
    if type(meta) is not dict or meta.get("id") != session_id:
        return  # never saved by a3s_store (or saved under its a3s-code name)
    recorded: dict[str, Any] = meta["files"] if type(meta.get("files")) is dict else {}
    by_name = {c.name: c for c in (SESSION, *SIDE)}
    adopt = ("adopt", META, stem + ".json")
    for component in sorted((set(recorded) | set(sigs)) - reported):
        where = sigs.get(component)
        if where is None:
            if component in by_name:
                folder, name = by_name[component].where(stem)
                findings.append(Finding("note", "changed", view.path(folder, name),
                                        "removed outside a3s_store since its last save" + _ADOPT,
                                        *adopt))
            continue
        folder, name, sig = where
        before = recorded.get(component)
        if before is None:
            findings.append(Finding("note", "changed", view.path(folder, name),
                                    "written outside a3s_store since its last save" + _ADOPT,
                                    *adopt))
        elif list(sig) != before:
            findings.append(Finding("note", "changed", view.path(folder, name),
                                    "changed outside a3s_store since its last save" + _ADOPT,
                                    *adopt))


def check_stem(view: View, stem: str, session_name: str | None,
               side_files: Iterable[tuple[Folder, str]], quarantined: set[str],
               scan_: Scan) -> tuple[str, FileSig] | None:
    """Check the files at one name; return (session id, sig) of a sound session file."""
    findings = scan_.findings
    sound = None
    if session_name is not None:
        before = len(findings)
        sound = check_session(view, session_name, findings)
        if not any(f.kind == "not-a-session" for f in findings[before:]):
            scan_.sessions += 1
    sigs: dict[str, tuple[Folder, str, FileSig]] = {}  # component -> the sound files
    reported: set[str] = set()  # components already reported as problems
    if sound is not None:
        sigs[SESSION.name] = ((), cast(str, session_name), sound[1])  # sound: it was read
    for folder, name in side_files:
        scan_.side_files += 1
        sig = check_side(view, folder, name, findings)
        component = _component_of(folder).name
        if sig is not None:
            sigs[component] = (folder, name, sig)
        else:
            reported.add(component)
        if session_name is None:
            where = ("its session file is in quarantine; kept" if stem in quarantined else
                     "its session is gone (gc removes it)")
            findings.append(Finding("note", "orphan", view.path(folder, name),
                                    f"side data of session file {stem}.json: {where}"))
    if sound is not None:
        check_meta(view, stem, sound[0], sigs, reported, findings)
    return sound


def copies(view: View, held: dict[str, list[tuple[str, FileSig]]]) -> list[Finding]:
    """A note for each session held by two files (an older build moved it, then
    a3s-code wrote it again at its own name): loads use the newer file, and the
    next save of the session removes the other."""
    notes = []
    for session_id, files in sorted(held.items()):
        if len(files) < 2:
            continue
        files = sorted(files, key=lambda item: item[1][1], reverse=True)  # newest first
        for name, _ in files[1:]:
            notes.append(Finding("note", "copy", view.path((), name),
                                 f"an older copy of session {session_id!r}; loads read the "
                                 f"newer {files[0][0]}, and its next save removes this one"))
    return notes


def check_checkpoint(view: View, folder: Folder, name: str, findings: list[Finding]
                     ) -> tuple[Any, FileSig] | None:
    """Check a checkpoint; return (record, sig) when it is sound."""
    kind = _KINDS[folder]
    got = view.read(folder, name, findings)
    if got is None:
        return None
    data, sig = got
    try:
        cp = kind.decode(data, strict=True, path=None)
        cp.ensure_loadable()
    except UnsupportedVersionError as exc:
        findings.append(Finding("note", "newer-version", view.path(folder, name),
                                f"{exc.message}; left as it is"))
        return None
    except CorruptDataError as exc:
        findings.append(view.damaged(folder, name, _why(exc), sig))
        return None
    owner = getattr(cp, kind.key_field)
    if not matches(name[:-5], owner, kind.id_kind):
        what = f"{kind.label} of {kind.id_kind}"
        findings.append(Finding("problem", "id-mismatch", view.path(folder, name),
                                f"holds the {what} {owner!r}, whose file name is not this one",
                                "quarantine", folder, name, sig))
        return None
    return cp, sig


def scan(checker: Checker) -> Scan:
    """Check everything (see the module docstring); nothing is changed."""
    result = Scan()
    with checker.view(exclusive=False) as view:
        journal(view, result.findings)
        inv = view.inventory(result.findings)
        result.quarantined = view.sizes(QUARANTINE)[0]
    by_stem = {name[:-5]: name for name in inv.sessions}
    stems = sorted(set(by_stem) | set(inv.side))
    total = len(stems) + len(inv.checkpoints)
    done = 0
    held: dict[str, list[tuple[str, FileSig]]] = {}  # session id -> (file name, sig)
    for i in range(0, len(stems), BATCH):
        with checker.view(exclusive=False) as view:
            for stem in stems[i:i + BATCH]:
                sound = check_stem(view, stem, by_stem.get(stem), inv.side.get(stem, ()),
                                   inv.quarantined, result)
                if sound is not None:
                    held.setdefault(sound[0], []).append((by_stem[stem], sound[1]))
        done += len(stems[i:i + BATCH])
        checker.step(done, total)
    with checker.view(exclusive=False) as view:
        result.findings.extend(copies(view, held))
    for i in range(0, len(inv.checkpoints), BATCH):
        with checker.view(exclusive=False) as view:
            for folder, name in inv.checkpoints[i:i + BATCH]:
                result.checkpoints += 1
                check_checkpoint(view, folder, name, result.findings)
        done += len(inv.checkpoints[i:i + BATCH])
        checker.step(done, total)
    return result

