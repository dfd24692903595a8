"""The command line, run as users run it: ``python -m a3s_store``.

Each test builds a store in a temporary folder with the library, runs a
command against it (``--root`` or ``A3S_STORE_ROOT``) and checks what it
prints and its exit code. Error cases first. ``run`` starts a process at
full strength and calls ``main`` in this process in the default run
(``clirun.py``); the first test checks that both give the same answers.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import re
import stat
import subprocess
import sys

import pytest

import factories
from a3s_store import (
    FileSessionStore,
    Message,
    SessionSnapshot,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from a3s_store._term import display_width
from a3s_store.cli import main
from clirun import REPO, in_a_process, in_this_process, run

COMMANDS = ["list", "show", "export", "delete", "verify", "gc", "stats", "copy", "demo"]


LONG_OUTPUT = "\n".join(f"line {i}" for i in range(200))


def sample_snapshot(session_id: str = "chat-1", *, updated_at: int = 1700000100,
                    name: str = "Test Session") -> SessionSnapshot:
    session = factories.session(session_id, messages=2, name=name, updated_at=updated_at)
    session.model_name = "openai/gpt-4o"
    session.messages += [
        Message(role="assistant", content=[
            TextBlock(text="Let me look."),
            ToolUseBlock(id="call-1", name="bash", input={"command": "ls -la"})],
            reasoning_content="Listing answers it."),
        Message(role="user", content=[ToolResultBlock(tool_use_id="call-1", content=LONG_OUTPUT,
                                                      is_error=False)]),
        Message(role="assistant", content=[TextBlock(text="Two hundred lines.")]),
    ]
    return SessionSnapshot(
        session=session, artifacts=factories.artifact_store("artifact body"),
        trace_events=[factories.trace_event()],
        run_records=[factories.run_record(session_id, events=3)],
        verification_reports=[factories.verification_report()],
        subagent_tasks=[factories.subagent_task(session_id)])


@pytest.fixture
def root(tmp_path) -> pathlib.Path:
    """A store with two sessions: chat-1 (older, full) and chat-2 (newer)."""
    path = tmp_path / "store"
    store = FileSessionStore(path)
    store.save_snapshot(sample_snapshot("chat-1", updated_at=1700000100))
    store.save_snapshot(sample_snapshot("chat-2", updated_at=1700009999, name="Second"))
    return path


# -- main() in this process answers as a process does -------------------------------

# What a user types, on the two-session store of `root`: answers, errors and usage. The
# default run tries the first six, a process each.
SAME_EITHER_WAY = [
    "list --json", "show chat-1", "export chat-1 -f json", "show nope", "",
    "--root {missing} list",
    "list", "list -n 1", "show chat-1 --full", "show ch", "export chat-1 -f markdown",
    "export chat-2 -f html", "stats --json", "verify", "verify --json", "list -n -1",
    "--version", "show --help", "gc --older-than soon",
]


def _untimed(answer: tuple[int, str, str]) -> tuple[int, str, str]:
    """An answer with the export's "Exported by a3s_store on <time>" blanked."""
    code, out, err = answer
    return code, re.sub(r"on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "on <time>", out), err


def _either_way() -> list:
    """(command, via the environment?) pairs; the default run tries each of
    the first six one way, alternating."""
    return [pytest.param(command, via_env, id=f"{command or '(none)'}-{via}",
                         marks=[] if i < 6 and via_env == (i % 2 == 1) else [pytest.mark.slow])
            for i, command in enumerate(SAME_EITHER_WAY)
            for via_env, via in ((False, "root"), (True, "env"))]


@pytest.mark.parametrize(("command", "via_env"), _either_way())
def test_main_in_this_process_answers_as_a_process_does(root, tmp_path, command, via_env):
    args = command.format(missing=tmp_path / "missing").split()
    env_root = root if via_env else None
    if not via_env:
        args = ["--root", str(root), *args]
    assert _untimed(in_this_process(args, env_root)) == _untimed(in_a_process(args, env_root))


# -- errors ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["list", "show x", "export x", "delete x", "verify", "gc",
                                     "stats"])
def test_a_missing_root_is_one_line_and_exit_code_2(tmp_path, command):
    missing = tmp_path / "nowhere"
    code, out, err = run("--root", str(missing), *command.split())
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and str(missing) in err and "does not exist" in err
    assert not missing.exists()  # nothing was created


def test_a_missing_root_from_the_environment_is_exit_code_2(tmp_path):
    code, _, err = run("list", env_root=tmp_path / "nowhere")
    assert code == 2 and str(tmp_path / "nowhere") in err


def test_a_root_that_is_a_file_is_exit_code_2(tmp_path):
    (tmp_path / "file").write_text("x")
    code, out, err = run("--root", str(tmp_path / "file"), "list")
    assert (code, out) == (2, "")
    assert "not a folder" in err and err.count("\n") == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions and a user that they bind (not root)")
def test_an_unreadable_root_is_exit_code_2(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        code, out, err = run("--root", str(locked), "list")
    finally:
        locked.chmod(stat.S_IRWXU)
    assert (code, out) == (2, "")
    assert "cannot read" in err


def test_no_command_prints_help_and_exit_code_2():
    code, out, err = run()
    assert code == 2 and out == "" and "usage: a3s-store" in err


@pytest.mark.parametrize("command", ["show", "export", "delete"])
def test_an_unknown_id_names_the_id_and_the_root(root, command):
    code, out, err = run("--root", str(root), command, "nope")
    assert code == 1 and out == ""
    assert "'nope'" in err and str(root) in err and err.count("\n") == 1


def test_a_prefix_shared_by_several_ids_is_refused_with_the_candidates(root):
    code, _, err = run("--root", str(root), "show", "chat")
    assert code == 1
    assert "'chat-1'" in err and "'chat-2'" in err


def test_an_id_that_is_not_text_is_a_clean_error(root):
    # A byte that is not UTF-8 reaches argv as a lone surrogate: no id has it.
    code, _, err = run("--root", str(root), "show", "chat-\udcff")
    assert code == 1 and "not valid Unicode" in err and err.count("\n") == 1


def test_a_very_long_id_is_looked_up_like_any_other(root):
    code, _, err = run("--root", str(root), "show", "x" * 300)
    assert code == 1 and "no session 'xxx" in err and str(root) in err


def test_a_damaged_session_file_is_reported_with_its_path(root):
    (root / "chat-1.json").write_text('{"id": "chat-1", "config": {')
    code, out, err = run("--root", str(root), "show", "chat-1")
    assert code == 1 and out == ""
    assert str(root / "chat-1.json") in err


def test_a_bad_age_for_gc_is_a_usage_error(root):
    code, _, err = run("--root", str(root), "gc", "--older-than", "soon")
    assert code == 2 and "--older-than" in err


def test_export_into_a_missing_folder_is_a_clean_error(root, tmp_path):
    code, _, err = run("--root", str(root), "export", "chat-1", "-o",
                       str(tmp_path / "no" / "x.json"))
    assert code == 1 and str(tmp_path / "no") in err


# -- root, help, entry points --------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    code, out, _ = run(command, "--help")
    assert code == 0
    assert out.startswith(f"usage: a3s-store {command}")


def test_root_comes_from_the_option_before_or_after_the_command_or_the_environment(root, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    assert "chat-1" in run("--root", str(root), "list")[1]
    assert "chat-1" in run("list", "--root", str(root))[1]
    assert "chat-1" in run("list", env_root=root)[1]
    assert run("--root", str(other), "list", env_root=root)[1] == ""  # the option wins


def test_the_console_script_entry_point_is_main(tmp_path):
    text = (REPO / "pyproject.toml").read_text()
    assert 'a3s-store = "a3s_store.cli:main"' in text
    assert main(["--root", str(tmp_path / "nowhere"), "list"]) == 2


def test_demo_still_works(tmp_path):
    code, out, _ = run("--root", str(tmp_path / "demo"), "demo")
    assert code == 0 and "demo-session" in out
    assert run("--root", str(tmp_path / "demo"), "verify")[0] == 0


# -- list ------------------------------------------------------------------------------------


def test_list_is_a_table_newest_first(root):
    code, out, err = run("--root", str(root), "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "STATE", "MODEL", "MESSAGES", "UPDATED", "SIZE"]
    assert [line.split()[0] for line in lines[1:]] == ["chat-2", "chat-1"]
    assert "openai/gpt-4o" in lines[1] and "Active" in lines[1] and " 5 " in lines[1]
    assert "2023-11-14" in lines[2]  # updated_at 1700000100, long ago: a date
    assert "KiB" in lines[1]


def test_list_columns_line_up_with_wide_characters(tmp_path):
    store = FileSessionStore(tmp_path / "s")
    for i, name in enumerate(["会话 日本語のセッション", "Émoji 🎉 review", "plain"]):
        store.save_snapshot(sample_snapshot(f"chat-{i}", name=name, updated_at=1700000000 + i))
    code, out, _ = run("--root", str(tmp_path / "s"), "list")
    assert code == 0
    lines = out.splitlines()
    # STATE starts in the same terminal column on every line.
    columns = {display_width(line[:line.index(word)])
               for line, word in zip(lines, ["STATE", "Active", "Active", "Active"], strict=True)}
    assert len(columns) == 1, lines


def test_list_json_is_for_scripts(root):
    code, out, _ = run("--root", str(root), "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["chat-2", "chat-1"]
    assert rows[0]["messages"] == 5 and rows[0]["model"] == "openai/gpt-4o"
    assert rows[0]["size_bytes"] == (root / "chat-2.json").stat().st_size
    assert run("--root", str(root), "list", "--json", "-n", "1")[1].count('"id"') == 1


def test_list_of_an_empty_store_prints_nothing_when_piped(tmp_path):
    (tmp_path / "empty").mkdir()
    assert run("--root", str(tmp_path / "empty"), "list") == (0, "", "")


def test_terminal_escape_sequences_in_content_are_shown_not_sent(tmp_path):
    store = FileSessionStore(tmp_path / "s")
    snap = sample_snapshot("evil", name="x\x1b]0;pwned\x07\x1b[2J")
    snap.session.messages.append(Message(role="user", content=[TextBlock(text="hi\x1b[31m")]))
    store.save_snapshot(snap)
    for command in (["list"], ["show", "evil"]):
        code, out, _ = run("--root", str(tmp_path / "s"), *command)
        assert code == 0
        assert "\x1b" not in out and "\x07" not in out
        assert "\\x1b]0;pwned" in out


# -- show ---------------------------------------------------------------------------------


def test_show_prints_a_readable_transcript(root):
    code, out, err = run("--root", str(root), "show", "chat-1")
    assert code == 0 and err == ""
    assert out.startswith("session 'chat-1'  Test Session\n")
    assert "model openai/gpt-4o" in out and "usage: " in out
    assert "[0] user\n  message 0" in out
    assert "(reasoning)\n      Listing answers it." in out
    assert '-> bash {"command": "ls -la"}  (call-1)' in out
    assert "<- bash (call-1)" in out
    for section in ("artifacts (1)", "trace events (1)", "runs (1)",
                    "verification reports (1)", "subagent tasks (1)"):
        assert section in out


def test_show_shortens_long_tool_results_and_full_prints_them(root):
    short = run("--root", str(root), "show", "chat-1")[1]
    assert "line 11" in short and "line 12" not in short
    assert "[... 188 more lines; --full shows all]" in short
    full = run("--root", str(root), "show", "chat-1", "--full")[1]
    assert "line 199" in full and "--full shows all" not in full
    assert "c1: pytest (required)" in full  # the checks of a verification report


def test_show_takes_a_unique_start_of_an_id(root):
    code, out, _ = run("--root", str(root), "show", "chat-2")
    assert code == 0
    FileSessionStore(root).delete("chat-1")
    code, out, _ = run("--root", str(root), "show", "ch")
    assert code == 0 and out.startswith("session 'chat-2'")


# -- export -------------------------------------------------------------------------------


def test_export_json_is_one_document_of_the_whole_snapshot(root):
    code, out, _ = run("--root", str(root), "export", "chat-1", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "a3s_store.export.v1" and doc["id"] == "chat-1"
    assert len(doc["session"]["messages"]) == 5
    assert doc["artifacts"][0]["content"] == "artifact body"
    assert [len(doc[k]) for k in ("trace_events", "run_records", "verification_reports",
                                  "subagent_tasks")] == [1, 1, 1, 1]


def test_export_markdown_fences_cannot_be_closed_by_content(tmp_path):
    store = FileSessionStore(tmp_path / "s")
    snap = sample_snapshot("md")
    snap.session.messages.append(Message(role="user", content=[ToolResultBlock(
        tool_use_id="call-1", content="```\n# not a heading\n````", is_error=True)]))
    store.save_snapshot(snap)
    code, out, _ = run("--root", str(tmp_path / "s"), "export", "md", "-f", "markdown")
    assert code == 0
    assert out.startswith("# Test Session\n")
    assert "### 2. assistant" in out and "**Tool call** `bash` (call-1)" in out
    assert "`````\n```\n# not a heading\n````\n`````" in out
    assert "## Runs" in out and "## Verification" in out


def test_export_to_a_file_is_private_and_keeps_the_mode_of_an_existing_one(root, tmp_path):
    target = tmp_path / "out.html"
    code, out, err = run("--root", str(root), "export", "chat-1", "-f", "html", "-o",
                         str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    target.chmod(0o644)
    assert run("--root", str(root), "export", "chat-2", "-f", "html", "-o", str(target))[0] == 0
    assert "Second" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.html", "store"]  # no temp left


# -- delete, stats ------------------------------------------------------------------------


def test_delete_removes_the_session_and_its_side_files(root):
    code, out, _ = run("--root", str(root), "delete", "chat-1")
    assert code == 0 and "deleted session 'chat-1'" in out
    assert not (root / "chat-1.json").exists()
    assert not (root / "traces" / "chat-1.json").exists()
    assert not (root / "artifacts" / "chat-1").exists()
    assert (root / "chat-2.json").exists()
    assert "chat-1" not in run("--root", str(root), "list")[1]


def test_delete_does_not_take_a_prefix(root):
    assert run("--root", str(root), "delete", "chat")[0] == 1
    assert (root / "chat-1.json").exists() and (root / "chat-2.json").exists()


def _bytes_under(path: pathlib.Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()] if path.exists() else []
    return len(files), sum(p.stat().st_size for p in files)


def test_stats_counts_sessions_messages_and_bytes_per_category(root):
    code, out, _ = run("--root", str(root), "stats", "--json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["sessions"], doc["messages"]) == (2, 10)
    assert doc["oldest"]["id"] == "chat-1" and doc["newest"]["id"] == "chat-2"
    cats = doc["categories"]
    assert cats["sessions"] == {"files": 2, "bytes": sum(
        (root / f"chat-{i}.json").stat().st_size for i in (1, 2))}
    for folder in ("artifacts", "traces", "runs", "verification", "subagent_tasks"):
        files, size = _bytes_under(root / folder)
        assert cats[folder] == {"files": files, "bytes": size}, folder
    text = run("--root", str(root), "stats")[1]
    assert "sessions  2" in text and "messages  10" in text and "oldest    'chat-1'" in text


# -- gc -----------------------------------------------------------------------------------------


def test_gc_lists_old_checkpoints_and_orphans_and_removes_them_only_with_yes(root):
    store = FileSessionStore(root)
    store.save_loop_checkpoint("run-old", factories.loop_checkpoint("run-old"))  # 2023: old
    fresh = factories.loop_checkpoint("run-new")
    fresh.checkpoint_ms = int(__import__("time").time() * 1000)
    store.save_loop_checkpoint("run-new", fresh)
    store.save_workflow_checkpoint("wf-old", factories.workflow_checkpoint("wf-old"))
    (root / "chat-1.json").unlink()  # a3s-code deleted the session file, left its side data
    code, out, _ = run("--root", str(root), "gc")
    assert code == 0
    assert "would remove" in out and "run again with --yes" in out
    for gone in ("loop_checkpoints/run-old.json", "workflow_checkpoints/wf-old.json",
                 "traces/chat-1.json", "runs/chat-1.json", "artifacts/chat-1"):
        assert str(root / gone) in out, gone
        assert (root / gone).exists()  # only listed
    assert "run-new" not in out and "chat-2" not in out
    code, out, _ = run("--root", str(root), "gc", "--yes")
    assert code == 0 and "removed 8 items" in out
    assert not (root / "loop_checkpoints" / "run-old.json").exists()
    assert not (root / "artifacts" / "chat-1").exists()
    assert not (root / "traces" / "chat-1.json").exists()
    assert (root / "loop_checkpoints" / "run-new.json").exists()
    assert (root / "traces" / "chat-2.json").exists()
    assert "nothing to remove" in run("--root", str(root), "gc")[1]


def test_gc_older_than_takes_hours(root):
    store = FileSessionStore(root)
    cp = factories.loop_checkpoint("run-a")
    cp.checkpoint_ms = int((__import__("time").time() - 5 * 3600) * 1000)
    store.save_loop_checkpoint("run-a", cp)
    assert "run-a" not in run("--root", str(root), "gc", "--older-than", "12h")[1]
    assert "run-a" in run("--root", str(root), "gc", "--older-than", "4h")[1]


# -- verify ---------------------------------------------------------------------------------------


def test_verify_of_a_sound_store_exits_0(root):
    code, out, err = run("--root", str(root), "verify")
    assert (code, err) == (0, "")
    assert out == (f"checked 2 sessions, 10 side files, 0 checkpoints in {root}: ok\n")


def test_verify_reports_a_damaged_file_and_repair_quarantines_it(root):
    damaged = b'{"id": "chat-1", "config": {'
    (root / "chat-1.json").write_bytes(damaged)
    code, out, _ = run("--root", str(root), "verify")
    assert code == 1
    assert f"problem  damaged       {root / 'chat-1.json'}: " in out
    assert "1 problem (verify --repair fixes what it can)" in out
    code, out, _ = run("--root", str(root), "verify", "--repair")
    assert code == 0
    moved = list((root / ".a3s_store" / "quarantine").iterdir())
    assert len(moved) == 1 and moved[0].read_bytes() == damaged
    assert f"repair   {root / 'chat-1.json'}: damaged: moved to {moved[0]}" in out
    assert "1 file in quarantine" in out
    assert run("--root", str(root), "verify", "-q")[0] == 0


def test_verify_json_lists_the_findings(root):
    (root / "traces" / "chat-2.json").write_text("[1]")
    code, out, _ = run("--root", str(root), "verify", "--json")
    assert code == 1
    doc = json.loads(out)
    assert [(f["severity"], f["kind"], f["path"]) for f in doc["findings"]] == [
        ("problem", "damaged", str(root / "traces" / "chat-2.json"))]


def _cp_a(src: pathlib.Path, dst: pathlib.Path) -> pathlib.Path:
    """A restored backup: the same bytes and times under new inodes."""
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return dst


def _revisions(root: pathlib.Path) -> dict:
    store = FileSessionStore(root)
    return {sid: store.load(sid).revision for sid in store.list()}


@pytest.mark.skipif(os.name != "posix", reason="cp -a")
def test_a_store_restored_with_cp_a_is_adopted_and_its_notes_stop(root, tmp_path):
    copy = _cp_a(root, tmp_path / "restored")
    code, out, _ = run("--root", str(copy), "verify")
    notes = [line for line in out.splitlines() if line.startswith("note")]
    assert code == 0 and len(notes) == 12  # every file of both sessions
    assert all(line.endswith("(verify --adopt accepts it as the store's own)") for line in notes)
    before = _revisions(copy)
    code, out, _ = run("--root", str(copy), "verify", "--adopt")
    assert code == 0
    assert out.splitlines() == [
        f"adopt    {copy / 'chat-1.json'}: adopted its files as they are",
        f"adopt    {copy / 'chat-2.json'}: adopted its files as they are",
        f"checked 2 sessions, 10 side files, 0 checkpoints in {copy}: ok"]
    assert run("--root", str(copy), "verify")[1] == (
        f"checked 2 sessions, 10 side files, 0 checkpoints in {copy}: ok\n")
    assert _revisions(copy) == before  # what a caller holds still saves


@pytest.mark.skipif(os.name != "posix", reason="cp -a")
def test_adopt_never_hides_damage(root, tmp_path):
    copy = _cp_a(root, tmp_path / "restored")
    sound_trace = (copy / "traces" / "chat-1.json").read_bytes()
    (copy / "traces" / "chat-1.json").write_text("[1]")
    (copy / "chat-2.json").write_text('{"id": "chat-2", "config": {')
    code, out, _ = run("--root", str(copy), "verify", "--adopt")
    assert code == 1
    assert f"problem  damaged       {copy / 'traces' / 'chat-1.json'}: " in out
    assert f"problem  damaged       {copy / 'chat-2.json'}: " in out
    assert (f"adopt    {copy / 'chat-1.json'}: adopted, except the damaged "
            f"{copy / 'traces' / 'chat-1.json'}") in out
    assert f"adopt    {copy / 'chat-2.json'}" not in out  # its session file does not parse
    # The damaged trace kept its old record: put back, it is still not the store's own.
    (copy / "traces" / "chat-1.json").write_bytes(sound_trace)
    code, out, _ = run("--root", str(copy), "verify", "-q")
    assert f"{copy / 'chat-2.json'}" in out  # still a problem
    code, out, _ = run("--root", str(copy), "verify")
    assert f"note     changed       {copy / 'traces' / 'chat-1.json'}: changed outside" in out


def test_adopting_a_change_made_outside_keeps_a_stale_revision_in_conflict(root):
    from a3s_store import ConflictError

    store = FileSessionStore(root)
    held = store.load("chat-1")
    doc = json.loads((root / "chat-1.json").read_text())
    doc["config"]["name"] = "Renamed by a3s-code"
    (root / "chat-1.json").write_text(json.dumps(doc))
    assert run("--root", str(root), "verify", "--adopt")[0] == 0
    assert store.load("chat-1").config.name == "Renamed by a3s-code"
    assert "Renamed by a3s-code" in run("--root", str(root), "list")[1]  # its summary too
    with pytest.raises(ConflictError):
        store.save(held, expected_revision=held.revision)


# -- progress -------------------------------------------------------------------------------


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty, self.text = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_progress_is_drawn_on_a_terminal_and_erased():
    from a3s_store._term import Progress

    stream = _Stream(tty=True)
    progress = Progress("checking", stream)
    progress(1, 10_000)
    progress(10_000, 10_000)
    assert stream.text == "\rchecking 1/10,000\rchecking 10,000/10,000"
    progress.close()
    assert stream.text.endswith("\r" + " " * len("checking 10,000/10,000") + "\r")


def test_progress_is_silent_when_not_a_terminal():
    from a3s_store._term import Progress

    stream = _Stream(tty=False)
    progress = Progress("checking", stream)
    progress(1, 2)
    progress.close()
    assert stream.text == ""


def test_output_cut_short_by_the_reader_ends_quietly(tmp_path):
    # As `a3s-store show big | head`: the reader is gone before the output is written.
    store = FileSessionStore(tmp_path / "s", durable=False)
    session = factories.session("big")
    session.messages.append(Message(role="user", content=[TextBlock(text="z\n" * 200_000)]))
    store.save(session)
    env = {**os.environ, "PYTHONPATH": str(REPO), "A3S_STORE_ROOT": str(tmp_path / "s")}
    for command in (["show", "big", "--full"], ["export", "big", "-f", "markdown"]):
        proc = subprocess.Popen([sys.executable, "-m", "a3s_store", *command], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.close()
        err = proc.stderr.read()
        assert (proc.wait(timeout=120), err) == (0, b""), command


# -- errors name the user's paths (issue 16) ----------------------------------------------


def test_export_onto_a_folder_names_that_folder_not_a_temporary_file(root, tmp_path):
    (tmp_path / "somedir").mkdir()
    code, out, err = run("--root", str(root), "export", "chat-1", "-f", "json", "-o",
                         str(tmp_path / "somedir"))
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert f"{tmp_path / 'somedir'}: Is a directory" in err and "give a file name" in err
    assert ".tmp" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["somedir", "store"]


@pytest.mark.parametrize("refusal", [errno.EROFS, errno.EACCES],
                         ids=["read-only-mount", "no-write-permission"])
def test_a_read_only_store_lists_and_a_write_refused_names_the_store(root, monkeypatch, capsys,
                                                                     refusal):
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):  # as the kernel answers such a store
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(refusal, os.strerror(refusal), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    assert main(["--root", str(root), "list"]) == 0
    assert main(["--root", str(root), "delete", "chat-1"]) == 1
    monkeypatch.setattr(os, "open", real_open)
    out, err = capsys.readouterr()
    assert "chat-1" in out
    assert err.startswith(f"a3s-store: error: delete: {root}: {os.strerror(refusal)} (")
    assert ("read-only file system" if refusal == errno.EROFS else "permissions of") in err
    assert ".commit" not in err and ".tmp" not in err and ".a3s_store" not in err
    assert FileSessionStore(root).exists("chat-1")


# -- export: the format from the suffix ------------------------------------------------------


@pytest.mark.parametrize("name, start", [
    ("chat.html", "<!DOCTYPE html>"), ("chat.HTM", "<!DOCTYPE html>"),
    ("chat.md", "# Test Session\n"), ("chat.json", '{\n  "schema": "a3s_store.export.v1"'),
    ("chat.txt", "session 'chat-1'  Test Session\n"),
])
def test_export_to_a_file_takes_the_format_from_its_suffix(root, tmp_path, name, start):
    code, _, _ = run("--root", str(root), "export", "chat-1", "-o", str(tmp_path / name))
    assert code == 0
    assert (tmp_path / name).read_text().startswith(start)


def test_export_to_an_unknown_suffix_without_format_is_a_usage_error(root, tmp_path):
    code, out, err = run("--root", str(root), "export", "chat-1", "-o", str(tmp_path / "c.pdf"))
    assert (code, out) == (2, "")
    assert "cannot tell the format of" in err and "c.pdf" in err and "--format" in err
    assert not (tmp_path / "c.pdf").exists()
    assert run("--root", str(root), "export", "chat-1", "-f", "html", "-o",
               str(tmp_path / "c.pdf"))[0] == 0  # --format says it


# -- waiting on the store lock -----------------------------------------------------------------


def _hold_store_lock(root: pathlib.Path, seconds: float) -> subprocess.Popen:
    """Another process holding the store lock exclusively for ``seconds``."""
    code = ("import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(float(sys.argv[2]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(root / ".a3s_store" / "lock"),
                             str(seconds)], stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"held\n"
    return proc


@pytest.mark.skipif(os.name != "posix", reason="flock")
@pytest.mark.parametrize("terminal", [True, False])
def test_waiting_for_the_store_lock_is_said_on_a_terminal(root, monkeypatch, capsys, terminal):
    from a3s_store._fs import _lock

    FileSessionStore(root).list()  # the lock file exists
    monkeypatch.setattr(_lock, "WAIT_NOTICE_AFTER", 0.2)
    stream = _Stream(tty=terminal)
    monkeypatch.setattr(sys, "stderr", stream)
    holder = _hold_store_lock(root, 1.5)
    try:
        assert main(["--root", str(root), "list"]) == 0
    finally:
        holder.wait(timeout=30)
    assert "chat-1" in capsys.readouterr().out  # it waited, then listed
    if not terminal:
        assert stream.text == ""
        return
    assert stream.text.count("waiting for the store lock") == 1
    assert str(root / ".a3s_store" / "lock") in stream.text
    if os.path.exists("/proc/locks"):
        assert f"held by process {holder.pid}" in stream.text
    assert _lock._wait_notice is None  # removed when the command ended


# -- list: bad counts, empty stores, closed output ------------------------------------------------


@pytest.mark.parametrize("count", ["-1", "x"])
def test_list_refuses_a_count_that_is_not_a_number_of_sessions(root, count):
    code, out, err = run("--root", str(root), "list", "-n", count)
    assert (code, out) == (2, "")
    assert "usage: a3s-store list" in err and "-n/--limit" in err


def test_list_of_an_empty_store_says_so_on_a_terminal(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    terminal = _Stream(tty=True)
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["--root", str(tmp_path / "empty"), "list"]) == 0
    assert terminal.text == f"no sessions in {tmp_path / 'empty'}\n"
    terminal.text = ""
    assert main(["--root", str(tmp_path / "empty"), "list", "--json"]) == 0
    assert terminal.text == "[]\n"


def test_list_with_stdout_closed_ends_with_a_message_not_a_traceback(root):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(f'"{sys.executable}" -m a3s_store --root "{root}" list >&-',
                          shell=True, capture_output=True, env=env, timeout=120)
    err = proc.stderr.decode()
    assert "Traceback" not in err
    assert proc.returncode == 2 and "standard output is closed" in err


def test_list_read_by_a_reader_that_leaves_ends_quietly(tmp_path):
    # As `a3s-store list | head -1` with more rows than a pipe holds.
    store = FileSessionStore(tmp_path / "s", durable=False)
    for i in range(600):
        store.save(factories.session(f"session-with-a-long-id-{i:04}", name="n" * 40))
    env = {**os.environ, "PYTHONPATH": str(REPO), "A3S_STORE_ROOT": str(tmp_path / "s")}
    proc = subprocess.Popen([sys.executable, "-m", "a3s_store", "list"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"ID ")
    proc.stdout.close()
    assert (proc.wait(timeout=120), proc.stderr.read()) == (0, b"")
