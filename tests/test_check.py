"""verify, verify --repair and gc: planted problems are found, fixed, quarantined.

Problems are planted the way they happen: a save interrupted by a crash
(through the fault hook of the I/O layer), temporary files of dead writers
(ours and a3s-code's), a torn or foreign file, a file holding another id,
a file rewritten by a3s-code. The checker runs in-process; a few tests run
the command line in a subprocess for the output and exit code.
"""

from __future__ import annotations

import os
import pathlib
import random
import shutil
import subprocess
import sys
import time

import pytest

import factories
from a3s_store import FileSessionStore, SessionSnapshot
from a3s_store._check import TEMP_GRACE_SECONDS, Checker, Finding
from a3s_store._check._repair import _quarantine
from a3s_store._commit import is_journal_name
from faults import SimulatedCrash, hooked

REPO = pathlib.Path(__file__).resolve().parent.parent
RUST_TMP = "chat-1.json.1700000000123456789.4242.0.tmp"


def snapshot(session_id: str = "chat-1", messages: int = 2) -> SessionSnapshot:
    return SessionSnapshot(
        session=factories.session(session_id, messages=messages),
        artifacts=factories.artifact_store("body"),
        trace_events=[factories.trace_event()],
        run_records=[factories.run_record(session_id)],
        verification_reports=[factories.verification_report()],
        subagent_tasks=[factories.subagent_task(session_id)])


@pytest.fixture
def root(tmp_path) -> pathlib.Path:
    path = tmp_path / "store"
    store = FileSessionStore(path)
    store.save_snapshot(snapshot("chat-1"))
    store.save_snapshot(snapshot("chat-2"))
    return path


def scan(root):
    with Checker(str(root)) as checker:
        return checker.scan()


def repair(root):
    with Checker(str(root)) as checker:
        return checker.repair()


def problems(result) -> list[tuple[str, str]]:
    return [(f.kind, f.path) for f in result.problems]


def files(root: pathlib.Path) -> dict[str, bytes]:
    """Every file under the root (but the lock), by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink() and p.name != "lock"}


def quarantined(root: pathlib.Path) -> list[pathlib.Path]:
    q = root / ".a3s_store" / "quarantine"
    return sorted(p for p in q.rglob("*") if p.is_file()) if q.exists() else []


def old(path: pathlib.Path) -> None:
    past = time.time() - TEMP_GRACE_SECONDS - 60
    os.utime(path, (past, past))


def crash_during_save(root, k_call: str, nth: int = 1) -> None:
    """Save a new generation of chat-1 and 'die' at the nth call named ``k_call``."""
    store = FileSessionStore(root)
    seen = {"n": 0}

    def hook(name):
        if name == k_call:
            seen["n"] += 1
            if seen["n"] == nth:
                raise SimulatedCrash(name)

    new = snapshot("chat-1", messages=7)
    new.trace_events.append(factories.trace_event())  # a side file changes: a journal commit
    with hooked(hook):
        with pytest.raises(SimulatedCrash):
            store.save_snapshot(new)


# -- a sound store ------------------------------------------------------------------


def test_a_sound_store_has_no_findings(root):
    result = scan(root)
    assert result.findings == []
    assert (result.sessions, result.side_files, result.checkpoints) == (2, 10, 0)


def test_a_store_without_our_folder_is_checked_too(tmp_path):
    # A directory written only by a3s-code: no .a3s_store yet.
    (tmp_path / "s").mkdir()
    data = FileSessionStore(tmp_path / "seed")
    data.save(factories.session("plain"))
    shutil.copy(tmp_path / "seed" / "plain.json", tmp_path / "s" / "plain.json")
    result = scan(tmp_path / "s")
    assert result.findings == [] and result.sessions == 1


# -- interrupted saves ---------------------------------------------------------------


def test_an_interrupted_committed_save_is_reported_and_finished(root):
    crash_during_save(root, "replace", nth=2)  # after the first rename (the commit point)
    before = files(root)
    result = scan(root)
    assert files(root) == before  # verify changes nothing
    [finding] = result.problems
    assert finding.kind == "interrupted" and "committed; --repair finishes it" in finding.message
    assert os.path.dirname(finding.path) == str(root / ".a3s_store")
    assert is_journal_name(os.path.basename(finding.path))
    actions = repair(root)
    assert any("finished interrupted save" in a for _, a in actions)
    assert scan(root).problems == []
    assert len(FileSessionStore(root).load("chat-1").messages) == 7  # the new generation


def test_a_committed_save_stopped_before_its_first_rename_is_rolled_back(root):
    before = files(root)
    crash_during_save(root, "replace")  # the record is durable, nothing published yet
    [finding] = scan(root).problems
    assert finding.kind == "interrupted" and "not started" in finding.message
    actions = repair(root)
    assert any("rolled back interrupted save" in a for _, a in actions)
    assert scan(root).problems == []
    after = files(root)
    assert {k: v for k, v in after.items() if ".a3s_store" not in k} == \
        {k: v for k, v in before.items() if ".a3s_store" not in k}  # the old generation


def test_an_interrupted_uncommitted_save_is_rolled_back(root):
    before = files(root)
    crash_during_save(root, "write")  # while staging: no commit record
    [finding] = scan(root).problems
    assert finding.kind == "interrupted" and "not committed" in finding.message
    repair(root)
    assert scan(root).problems == []
    after = files(root)
    assert {k: v for k, v in after.items() if ".a3s_store" not in k} == \
        {k: v for k, v in before.items() if ".a3s_store" not in k}  # the old generation


def test_leftover_temporary_files_of_the_store_are_removed(root):
    dead = root / ".a3s_store" / "18edb6749256022-1-00000000.tmp"
    dead.write_bytes(b"half")
    assert problems(scan(root)) == [("leftover", str(dead))]
    repair(root)
    assert scan(root).problems == [] and not dead.exists()


def test_leftover_temporary_files_of_an_older_version_are_removed(root):
    (root / ".a3s_store" / "tmp").mkdir(exist_ok=True)
    (root / ".a3s_store" / "tmp" / "dead.tmp").write_bytes(b"half")
    assert problems(scan(root)) == [("leftover", str(root / ".a3s_store" / "tmp" / "dead.tmp"))]
    repair(root)
    assert scan(root).problems == []
    assert not (root / ".a3s_store" / "tmp" / "dead.tmp").exists()


def test_a3s_code_temporary_files_are_removed_once_old_enough(root):
    for folder in (root, root / "traces"):
        (folder / RUST_TMP).write_bytes(b"{")
    old(root / RUST_TMP)  # the one in traces/ is fresh: maybe a write in progress
    assert sorted(problems(scan(root))) == [("leftover", str(root / RUST_TMP)),
                                            ("leftover", str(root / "traces" / RUST_TMP))]
    actions = dict(repair(root))
    assert actions[str(root / RUST_TMP)] == "removed temporary file"
    assert "may belong to a write in progress" in actions[str(root / "traces" / RUST_TMP)]
    assert not (root / RUST_TMP).exists() and (root / "traces" / RUST_TMP).exists()
    assert problems(scan(root)) == [("leftover", str(root / "traces" / RUST_TMP))]


# -- damaged and foreign files ------------------------------------------------------------


@pytest.mark.parametrize("rel, expected_dir, damage", [
    ("chat-1.json", ".a3s_store/quarantine", b'{"id": "chat-1", "config": {'),
    ("chat-1.json", ".a3s_store/quarantine", b""),
    ("traces/chat-1.json", ".a3s_store/quarantine/traces", b'[{"schema": 1}]'),
    ("runs/chat-1.json", ".a3s_store/quarantine/runs", b"\xff\xfe not utf-8"),
    ("artifacts/chat-1/artifacts.json", ".a3s_store/quarantine/artifacts", b'{"artifacts": 3}'),
])
def test_a_damaged_file_is_reported_and_moved_into_quarantine(root, rel, expected_dir, damage):
    (root / rel).write_bytes(damage)
    result = scan(root)
    assert problems(result) == [("damaged", str(root / rel))]
    actions = repair(root)
    [moved] = quarantined(root)
    assert moved.parent == root / expected_dir and moved.name.startswith("chat-1.")
    assert moved.read_bytes() == damage  # never deleted, never changed
    assert (str(root / rel), f"damaged: moved to {moved}") in actions
    assert not (root / rel).exists()
    after = scan(root)
    assert after.problems == [] and after.quarantined == 1
    assert (root / "chat-2.json").exists()


def test_the_message_names_the_key_of_bad_data(root):
    (root / "traces" / "chat-1.json").write_text('[{"schema": 1}]')
    [finding] = scan(root).problems
    assert finding.message.startswith("[0].schema: expected a string")


def test_a_file_holding_another_id_is_reported_and_quarantined(root):
    shutil.copy(root / "chat-1.json", root / "chat-9.json")
    [finding] = scan(root).problems
    assert (finding.kind, finding.path) == ("id-mismatch", str(root / "chat-9.json"))
    assert "holds session 'chat-1'" in finding.message
    repair(root)
    assert [p.read_bytes() for p in quarantined(root)] == [(root / "chat-1.json").read_bytes()]
    assert not (root / "chat-9.json").exists() and scan(root).problems == []


def test_a_checkpoint_under_another_run_id_is_reported(root):
    store = FileSessionStore(root)
    store.save_loop_checkpoint("run-a", factories.loop_checkpoint("run-a"))
    store.save_workflow_checkpoint("wf-a", factories.workflow_checkpoint("wf-a"))
    shutil.copy(root / "loop_checkpoints" / "run-a.json", root / "loop_checkpoints" / "run-b.json")
    result = scan(root)
    assert result.checkpoints == 3
    assert problems(result) == [("id-mismatch", str(root / "loop_checkpoints" / "run-b.json"))]


def test_a_checkpoint_of_a_newer_schema_is_a_note_and_left_alone(root):
    FileSessionStore(root).save_loop_checkpoint("run-f", factories.loop_checkpoint("run-f"))
    path = root / "loop_checkpoints" / "run-f.json"
    path.write_text(path.read_text().replace('"schema_version": 1', '"schema_version": 2'))
    result = scan(root)
    assert result.problems == []
    assert [(f.kind, f.path) for f in result.notes] == [
        ("newer-version", str(root / "loop_checkpoints" / "run-f.json"))]
    repair(root)
    assert (root / "loop_checkpoints" / "run-f.json").exists() and quarantined(root) == []


def test_a_link_is_a_problem_that_repair_does_not_touch(root, tmp_path):
    (tmp_path / "elsewhere.json").write_bytes((root / "chat-1.json").read_bytes())
    (root / "link.json").symlink_to(tmp_path / "elsewhere.json")
    assert problems(scan(root)) == [("unsafe", str(root / "link.json"))]
    repair(root)
    assert (root / "link.json").is_symlink() and quarantined(root) == []


def test_a_file_that_changed_since_the_scan_is_not_moved(root):
    (root / "chat-1.json").write_bytes(b"{")
    with Checker(str(root)) as checker:
        [finding] = checker.scan().problems
        (root / "chat-1.json").write_bytes(b"{}")  # saved again (or changed) meanwhile
        stale = Finding(**{s: getattr(finding, s) for s in Finding.__slots__})
        assert _quarantine(checker, stale) == [(finding.path, "left: it changed while being "
                                                              "checked")]
    assert (root / "chat-1.json").read_bytes() == b"{}" and quarantined(root) == []


# -- generations ---------------------------------------------------------------------------


def test_files_changed_by_a3s_code_are_notes_not_problems(root):
    # a3s-code rewrites side files in place and the session file by rename.
    (root / "traces" / "chat-1.json").write_text("[]")
    tmp = root / "chat-2.json.new"
    tmp.write_bytes((root / "chat-2.json").read_bytes())
    tmp.replace(root / "chat-2.json")
    os.remove(root / "runs" / "chat-2.json")
    result = scan(root)
    assert result.problems == []
    adopt = " (verify --adopt accepts it as the store's own)"
    assert sorted((f.kind, f.path, f.message) for f in result.notes) == [
        ("changed", str(root / "chat-2.json"),
         "changed outside a3s_store since its last save" + adopt),
        ("changed", str(root / "runs" / "chat-2.json"),
         "removed outside a3s_store since its last save" + adopt),
        ("changed", str(root / "traces" / "chat-1.json"),
         "changed outside a3s_store since its last save" + adopt),
    ]


def test_a_side_file_written_outside_is_a_note(tmp_path):
    store = FileSessionStore(tmp_path / "s")
    store.save(factories.session("solo"))
    (tmp_path / "s" / "traces").mkdir()
    (tmp_path / "s" / "traces" / "solo.json").write_text("[]")
    [note] = scan(tmp_path / "s").findings
    assert note.message == ("written outside a3s_store since its last save (verify --adopt "
                            "accepts it as the store's own)")


def test_a_session_under_its_a3s_code_name_is_not_a_mismatch(root):
    data = (root / "chat-1.json").read_text().replace('"chat-1"', '"team/a"', 1)
    (root / "team_a.json").write_text(data)
    assert scan(root).findings == []


# -- gc ------------------------------------------------------------------------------------------


def test_gc_leaves_the_side_data_of_a_quarantined_session(root):
    (root / "chat-1.json").write_bytes(b"{")
    repair(root)
    notes = scan(root).notes
    assert notes and all("its session file is in quarantine; kept" in n.message for n in notes)
    with Checker(str(root)) as checker:
        assert checker.garbage(older_than=86400) == []


def test_gc_keeps_data_whose_session_came_back(root):
    os.remove(root / "chat-1.json")
    with Checker(str(root)) as checker:
        items = checker.garbage(older_than=86400)
        assert {pathlib.Path(g.path).name for g in items} >= {"chat-1.json", "chat-1"}
        FileSessionStore(root).save(factories.session("chat-1"))  # saved again meanwhile
        assert [g for g in checker.collect(items) if "chat-1" in g.path
                and ".a3s_store" not in g.path] == []
    assert (root / "traces" / "chat-1.json").exists() and (root / "artifacts" / "chat-1").exists()


# -- randomised: many problems at once ---------------------------------------------------------


def _damage(rng: random.Random, root: pathlib.Path) -> tuple[dict[str, bytes], set[str]]:
    """Plant 1-6 problems; return {path: bytes} of the files expected in
    quarantine and the paths of the leftovers expected to be removed."""
    planted: dict[str, bytes] = {}
    leftovers: set[str] = set()
    sessions = sorted(p for p in root.glob("s-*.json"))
    for i in range(rng.randint(1, 6)):
        kind = rng.choice(["truncate", "garbage-side", "foreign", "leftover"])
        victim = rng.choice(sessions)
        if kind == "truncate":
            data = victim.read_bytes()
            target, new = victim, data[: rng.randrange(len(data))]
        elif kind == "garbage-side":
            folder = rng.choice(["traces", "runs", "verification", "subagent_tasks"])
            target, new = root / folder / victim.name, b'{"not": "a list"}'
        elif kind == "foreign":
            target, new = root / f"ghost-{i}.json", victim.read_bytes()
        else:
            target = root / f"{victim.name}.{1700000000000000000 + i}.99.{i}.tmp"
            target.write_bytes(b"partial")
            old(target)
            leftovers.add(str(target))
            continue
        if str(target) in planted or not target.exists() and kind != "foreign":
            continue
        target.write_bytes(new)
        planted[str(target)] = new
    return planted, leftovers


@pytest.mark.parametrize("seed", [*range(int(os.environ.get("CHECK_SEEDS", "6"))), 47])
def test_random_damage_is_found_exactly_and_repaired(tmp_path, seed):
    rng = random.Random(seed)
    root = tmp_path / "store"
    store = FileSessionStore(root)
    for i in range(8):
        store.save_snapshot(snapshot(f"s-{i}", messages=rng.randint(1, 4)))
    planted, leftovers = _damage(rng, root)
    found = {f.path for f in scan(root).problems}
    assert found == set(planted) | leftovers, f"seed {seed}"
    repair(root)
    assert scan(root).problems == [], f"seed {seed}"
    assert sorted(p.read_bytes() for p in quarantined(root)) == sorted(planted.values()), \
        f"seed {seed}"
    for path in [*planted, *leftovers]:
        assert not os.path.exists(path), f"seed {seed}: {path}"


# -- the command line ---------------------------------------------------------------------------


def test_verify_on_the_command_line_reports_and_repairs_an_interrupted_save(root):
    crash_during_save(root, "replace", nth=2)
    env = {**os.environ, "PYTHONPATH": str(REPO), "A3S_STORE_ROOT": str(root)}

    def verify(*args):
        proc = subprocess.run([sys.executable, "-m", "a3s_store", "verify", *args],
                              capture_output=True, text=True, env=env, timeout=60)
        assert proc.stderr == ""
        return proc.returncode, proc.stdout

    code, out = verify()
    assert code == 1
    assert "problem  interrupted" in out and str(root / ".a3s_store") in out
    code, out = verify("--repair")
    assert code == 0
    assert f"repair   {root / '.a3s_store'}: finished interrupted save" in out
    assert "problem" not in out and ": ok" in out


def test_verify_notes_runs_left_executing_by_a_process_that_is_gone(tmp_path):
    # Issue 17: a run whose process died keeps status "executing"; verify says so.
    import socket

    from a3s_store import AgentSession

    root = tmp_path / "store"
    store = FileSessionStore(root)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - a process that starts a run and dies
        live = AgentSession(session_id="chat-1", store=FileSessionStore(root))
        live.start_run("left executing", run_id="run-dead")
        live.save()
        os._exit(0)
    os.waitpid(pid, 0)
    mine = AgentSession(session_id="chat-2", store=store)
    mine.start_run("still running here", run_id="run-live")
    mine.save()
    notes = [f for f in scan(root).notes if f.kind == "stale-run"]
    assert len(notes) == 1, notes
    assert "run-dead" in notes[0].message and f"process {pid} on {socket.gethostname()}" \
        in notes[0].message and notes[0].path == str(root / "runs" / "chat-1.json")
