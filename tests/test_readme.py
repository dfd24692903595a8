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


def _fresh_machine_commands() -> list[str]:
    # The README's first sh block, found as .ci/readme.sh finds it to run it.
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_starts_with_the_fresh_machine_commands_that_ci_runs():
    # A venv first: a PEP 668 Python (Debian, Ubuntu) refuses `pip install`
    # outside one. CI runs these lines as written on such a Python.
    assert _fresh_machine_commands() == [
        "python3 -m venv .venv && . .venv/bin/activate",
        "python3 -m a3s_store demo",
        "python3 -m pip install pytest && python3 -m pytest -q",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash .ci/readme.sh\n" in ci and "A3S_FULL=1 python3 -m pytest -q\n" in ci
    readme_sh = (ROOT / ".ci" / "readme.sh").read_text(encoding="utf-8")
    assert 'r"```sh\\n(.*?)```"' in readme_sh and "EXTERNALLY-MANAGED" in readme_sh


def test_demo_command_runs(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), A3S_STORE_ROOT=str(tmp_path / "root"))
    done = subprocess.run([sys.executable, "-m", "a3s_store", "demo"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "demo-session" in done.stdout and "tool result" in done.stdout
    assert (tmp_path / "root" / "demo-session.json").is_file()
