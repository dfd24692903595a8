"""The typed API type-checks, and the code is lint-clean (issue 16, "Types").

* ``mypy --strict`` passes on the package, and on the README's Python
  examples and ``examples/*.py`` checked as a user's code against it.
* ``ruff check`` (the configuration in ``pyproject.toml``) is clean over the
  package, the tests, the benchmarks and the examples.
* ``__all__`` is a plain list literal, so that type checkers can read it.

mypy and ruff are CI-only tools (``.ci/run`` installs them): where they are
not installed, those checks are skipped with a reason.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

import a3s_store

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = pathlib.Path(a3s_store.__file__).parent
# A cache shared by runs (a cold strict check of the package takes ~20 s).
MYPY_CACHE = pathlib.Path(tempfile.gettempdir()) / f"a3s_store-mypy-cache-{os.getuid()}"

needs_mypy = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed (CI installs it)")
needs_ruff = pytest.mark.skipif(shutil.which("ruff") is None
                                and importlib.util.find_spec("ruff") is None,
                                reason="ruff is not installed (CI installs it)")


def _mypy(*args: str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MYPYPATH=str(PACKAGE.parent))
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(MYPY_CACHE),
         "--no-error-summary", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=600)


def readme_examples() -> str:
    """The README's Python blocks, in order, as one script (as test_readme runs them)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```python\n(.*?)```", text, re.S))


@needs_mypy
def test_the_package_passes_mypy_strict():
    done = _mypy(str(PACKAGE), cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_mypy
def test_the_readme_and_the_examples_pass_mypy_strict_as_user_code(tmp_path):
    script = tmp_path / "readme_examples.py"
    script.write_text(readme_examples(), encoding="utf-8")
    examples = sorted(str(p) for p in (ROOT / "examples").glob("*.py"))
    assert examples
    # Run outside the checkout, so that only the code given is the user's: errors
    # inside the package (found through MYPYPATH) would show here too.
    done = _mypy(str(script), *examples, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_mypy
def test_mypy_finds_a_type_error_in_user_code(tmp_path):
    """The check above can fail: a content list of strings is refused."""
    bad = tmp_path / "bad.py"
    bad.write_text('from a3s_store import Message\nMessage(role="user", content=["hi"])\n',
                   encoding="utf-8")
    done = _mypy(str(bad), cwd=tmp_path)
    assert done.returncode == 1 and '[list-item]' in done.stdout, done.stdout


def _ruff() -> list[str]:
    exe = shutil.which("ruff")
    return [exe] if exe else [sys.executable, "-m", "ruff"]


@needs_ruff
def test_ruff_is_clean():
    done = subprocess.run([*_ruff(), "check", "--no-cache", "a3s_store", "tests", "benchmarks",
                           "examples"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_all_is_a_sorted_list_literal():
    """``__all__ = sorted([...])`` hides the public names from type checkers
    (``from a3s_store import X`` fails under --strict): a literal does not."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    [value] = [node.value for node in tree.body if isinstance(node, ast.Assign)
               and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)]
    assert isinstance(value, ast.List)
    names = [item.value for item in value.elts if isinstance(item, ast.Constant)]
    assert len(names) == len(value.elts) and names == sorted(names)
    assert names == a3s_store.__all__
