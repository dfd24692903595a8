"""The scripts in examples/ run and do what their docstrings say."""

from __future__ import annotations

import pathlib
import signal
import subprocess
import sys

import pytest

from a3s_store import FileSessionStore

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_resumable_agent_survives_a_kill_half_way(tmp_path):
    store_dir = tmp_path / "store"
    done = subprocess.run([sys.executable, str(EXAMPLES / "resumable_agent.py"), str(store_dir)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["turn 1: What is 2 + 2? -> 4", "turn 2: Times 3? -> 12",
                         "turn 3: Minus 5? -> 7"]
    assert lines[3] == f"agent process killed (exit status {-signal.SIGKILL})"
    assert lines[4] == "resumed with 6 messages"  # turns 1-3; the unsaved turn 4 is redone
    assert lines[-1] == "done: 12 messages, 72 tokens"
    saved = FileSessionStore(store_dir).load("resumable-demo")
    assert [m.role for m in saved.messages] == ["user", "assistant"] * 6


def _run(name: str, *args) -> list[str]:
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *map(str, args)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_long_run_survives_a_kill_in_its_middle(tmp_path):
    lines = _run("long_run.py", tmp_path / "store")
    assert lines == [
        "round 1: wc README.md", "round 2: wc setup.cfg", "round 3: wc pyproject.toml",
        f"agent process killed (exit status {-signal.SIGKILL})",
        "resumed the interrupted run after round 3 (7 messages)",  # rounds 1-3 kept
        "round 4: wc LICENSE", "round 5: wc CHANGELOG.md", "round 6: wc Makefile",
        "done: 210 lines, 14 messages, runs ['failed', 'completed']",
    ]
    store = FileSessionStore(tmp_path / "store")
    saved = store.load_snapshot("long-run-demo")
    assert len(saved.session.messages) == 14
    first, last = saved.run_records
    assert first.snapshot.error == f"interrupted; resumed as run {last.snapshot.id!r}"


def test_a_notebook_fork_leaves_the_original_as_it_was(tmp_path):
    lines = _run("notebook_fork.py", tmp_path / "store")
    assert lines == [
        "forked 'trip-rainy' in /tmp/trip-rainy; 'trip' untouched: True",
        "trip: 4 messages; Where to eat? / Time Out Market.",
        "trip-rainy: 4 messages; And if it rains? / Museums: Gulbenkian, then tiles at MNAz.",
    ]
    assert FileSessionStore(tmp_path / "store").list() == ["trip", "trip-rainy"]


def test_transcript_renders_the_markdown_of_agents_and_refuses_script(tmp_path):
    table_path, html_path, md_path = _run("transcript.py", tmp_path)
    table = pathlib.Path(table_path).read_text(encoding="utf-8")
    assert "<table" in table and table.count("<tr") == 5 and "夜间构建 nightly build" in table
    html = pathlib.Path(html_path).read_text(encoding="utf-8")
    for rendered in ("<h4>Plan</h4>", "<ol><li>", "<blockquote>", '<th style="text-align:right">',
                     "<del>A regex</del>", "<strong>the parser drops the time zone</strong>",
                     '<a href="https://docs.python.org/3/library/datetime.html"'):
        assert rendered in html
    assert "python</div>" in html or ">python<" in html  # the fence's language is shown
    assert "<script" not in html.lower() and 'href="javascript' not in html
    assert "&lt;script&gt;alert" in html
    assert "Content-Security-Policy\" content=\"default-src 'none';" in html
    markdown = pathlib.Path(md_path).read_text(encoding="utf-8")
    assert "\\<script>" in markdown and "](javascript:" not in markdown


def test_every_benchmark_script_imports():
    """The benchmarks are never run by the tests (speed is not asserted), but a
    script that no longer imports (a helper renamed in another one) is caught."""
    bench = EXAMPLES.parent / "benchmarks"
    names = sorted(p.stem for p in bench.glob("*.py"))
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
            "for name in sys.argv[3:]: __import__(name)")
    done = subprocess.run([sys.executable, "-c", code, str(bench), str(bench.parent), *names],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"bench", "bench_sql", "listing_rows"} <= set(names)
