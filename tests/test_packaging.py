"""Packaging: no dependencies, one version, typed, public API documented, vendorable."""

from __future__ import annotations

import configparser
import os
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

import a3s_store

ROOT = pathlib.Path(__file__).resolve().parent.parent
try:
    import tomllib
except ImportError:  # Python 3.10: the metadata test is skipped
    tomllib = None
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text()) if tomllib else None


def test_public_api_is_sorted_and_every_name_is_documented():
    assert a3s_store.__all__ == sorted(a3s_store.__all__)
    missing = [name for name in a3s_store.__all__
               if not isinstance(getattr(a3s_store, name), (str, int))
               and not (getattr(a3s_store, name).__doc__ or "").strip()]
    assert missing == []


def test_every_exported_name_exists_and_nothing_private_is_exported():
    for name in a3s_store.__all__:
        assert hasattr(a3s_store, name), name
        assert not name.startswith("_") or name == "__version__"


@pytest.mark.skipif(PYPROJECT is None, reason="tomllib needs Python 3.11")
def test_metadata_lives_only_in_pyproject_and_has_no_dependencies():
    project = PYPROJECT["project"]
    assert project["dependencies"] == []
    assert project["requires-python"] == ">=3.10"
    assert "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "a3s_store.__version__"}
    setup_cfg = configparser.ConfigParser()
    setup_cfg.read(ROOT / "setup.cfg")
    assert "metadata" not in setup_cfg and "options" not in setup_cfg


def test_the_version_is_written_once():
    hits = [p for p in (ROOT / "a3s_store").rglob("*.py")
            if "__version__ = " in p.read_text(encoding="utf-8")]
    assert [p.relative_to(ROOT).as_posix() for p in hits] == ["a3s_store/__init__.py"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", a3s_store.__version__)


def test_the_changelog_keeps_an_unreleased_section_with_known_headings():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    headings = set(re.findall(r"^### (\w+)", text, re.M))
    assert headings <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", text, re.M)
    if released:  # the newest release heading is the package version
        assert released[0] == a3s_store.__version__


def test_a_vendored_copy_under_another_name_works(tmp_path):
    vendored = tmp_path / "thirdparty" / "sessionstore"
    shutil.copytree(pathlib.Path(a3s_store.__file__).parent, vendored,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "thirdparty" / "__init__.py").write_text("")
    script = tmp_path / "use_it.py"
    script.write_text(
        "import sys, tempfile\n"
        "from thirdparty.sessionstore import FileSessionStore, SessionData, SessionSnapshot\n"
        "assert 'a3s_store' not in sys.modules\n"
        "store = FileSessionStore(tempfile.mkdtemp())\n"
        "store.save_snapshot(SessionSnapshot(session=SessionData(id='v/1')))\n"
        "print(store.list(), store.load('v/1').id)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-s", "-E", str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['v/1'] v/1"


def _build_wheel(out: pathlib.Path) -> subprocess.CompletedProcess:
    # Build from a copy, so that setuptools' build/ folder never lands in the checkout.
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "__pycache__", "results"))
    base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
            "-q", "-w", str(out), str(source)]
    done = subprocess.run(base[:4] + ["--no-build-isolation"] + base[4:], capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0 and "bdist_wheel" in done.stderr:
        # This setuptools needs the 'wheel' package: let pip fetch the build
        # requirements from the package index into an isolated environment.
        done = subprocess.run(base, capture_output=True, text=True, timeout=600)
    return done


def test_the_wheel_ships_py_typed(tmp_path):
    done = _build_wheel(tmp_path)
    if done.returncode != 0 and ("No module named pip" in done.stderr
                                 or "Could not find a version" in done.stderr
                                 or "NewConnectionError" in done.stderr):
        pytest.skip("no way to build a wheel here: " + done.stderr.strip().splitlines()[-1])
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("a3s_store-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "a3s_store/py.typed" in names
    assert "a3s_store/records/__init__.py" in names
    assert not any(n.startswith("tests/") for n in names)


def test_importing_the_package_imports_none_of_its_modules_until_a_name_is_used():
    # Every CLI call and script pays for `import a3s_store`: the public names
    # are imported on first use (issue 14); the time is measured in benchmarks/.
    code = ("import sys, a3s_store\n"
            "before = sorted(m for m in sys.modules if m.startswith('a3s_store.'))\n"
            "a3s_store.FileSessionStore\n"
            "print(before, 'a3s_store.file_store' in sys.modules, 'a3s_store.sql' in sys.modules,"
            " 'open_store' in dir(a3s_store))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["[]", "True", "False", "True"]
    with pytest.raises(AttributeError, match="no_such_name"):
        a3s_store.no_such_name  # noqa: B018
