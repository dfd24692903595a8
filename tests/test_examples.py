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
