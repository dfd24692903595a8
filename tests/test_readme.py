"""The README's Python examples run, top to bottom, as one script."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_python_examples_run_in_order(tmp_path):
    blocks = _python_blocks()
    assert len(blocks) >= 5
    script = tmp_path / "readme_examples.py"
    script.write_text("\n".join(blocks), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "2 openai/gpt-4o" in done.stdout


def test_readme_starts_with_the_two_fresh_machine_commands():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    assert "python3 -m a3s_store demo" in first_block
    assert "python3 -m pytest -q" in first_block
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m pytest -q" in ci and "pip install" in ci


def test_demo_command_runs(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), A3S_STORE_ROOT=str(tmp_path / "root"))
    done = subprocess.run([sys.executable, "-m", "a3s_store", "demo"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "demo-session" in done.stdout and "tool result" in done.stdout
    assert (tmp_path / "root" / "demo-session.json").is_file()
