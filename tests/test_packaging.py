"""Packaging: no dependencies, one version, typed, public API documented, vendorable."""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
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



def test_the_three_lists_of_public_names_agree():
    # __init__ names each public name three times, because each reader needs
    # its own: type checkers the imports under TYPE_CHECKING, the lazy
    # __getattr__ its map, and `from a3s_store import *` and mypy a literal
    # __all__. They must name the same names, from the same modules.
    tree = ast.parse((ROOT / "a3s_store" / "__init__.py").read_text(encoding="utf-8"))
    checking = next(node for node in tree.body if isinstance(node, ast.If)
                    and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    imported = {alias.name: "." * node.level + (node.module or "")
                for node in checking.body if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assert imported == a3s_store._MODULE_OF
    assert sorted(imported) == a3s_store.__all__

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
    for version in released:  # each with its date and its link reference
        assert re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d\d-\d\d$", text, re.M)
        assert re.search(rf"^\[{re.escape(version)}\]: \S+$", text, re.M)
    assert re.search(r"^\[Unreleased\]: \S+$", text, re.M) or not released


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


def _setuptools_builds_spdx_licenses() -> bool:
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2]) >= (77, 0)


def _build_wheel(out: pathlib.Path) -> subprocess.CompletedProcess:
    # Build from a copy, so that setuptools' build/ folder never lands in the checkout.
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "__pycache__", "results", ".venv"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
               "-v", "-w", str(out), str(source)]
    if _setuptools_builds_spdx_licenses():  # offline, with the setuptools at hand
        return subprocess.run(command[:4] + ["--no-build-isolation"] + command[4:],
                              capture_output=True, text=True, timeout=300)
    # An older setuptools cannot read `license = "MIT"`: let pip fetch the
    # declared build requirement from the package index into an isolated environment.
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> tuple[pathlib.Path, str]:
    """The wheel built from this checkout, and everything the build printed."""
    out = tmp_path_factory.mktemp("wheel")
    done = _build_wheel(out)
    if done.returncode != 0 and ("No module named pip" in done.stderr
                                 or "Could not find a version" in done.stderr
                                 or "NewConnectionError" in done.stderr):
        pytest.skip("no way to build a wheel here: " + done.stderr.strip().splitlines()[-1])
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return next(out.glob("a3s_store-*.whl")), done.stdout + done.stderr


def test_the_wheel_ships_py_typed(built_wheel):
    names = zipfile.ZipFile(built_wheel[0]).namelist()
    assert "a3s_store/py.typed" in names
    assert "a3s_store/records/__init__.py" in names
    assert not any(n.startswith("tests/") for n in names)


def test_the_wheel_ships_every_module_of_the_package(built_wheel):
    """An installed package has every module a vendored copy has (a sub-package
    missing from the build would fail only after `pip install`)."""
    names = set(zipfile.ZipFile(built_wheel[0]).namelist())
    package = ROOT / "a3s_store"
    modules = {path.relative_to(ROOT).as_posix() for path in package.rglob("*.py")
               if "__pycache__" not in path.parts}
    assert modules - names == set()


def test_the_wheel_builds_without_deprecation_warnings(built_wheel):
    # setuptools stops building projects with a license table or license
    # classifiers after 2027-02-18; it warns until then.
    log = built_wheel[1]
    warnings = [line for line in log.splitlines() if "Deprecat" in line]
    assert warnings == []


def test_the_wheel_metadata_names_license_authors_urls_and_versions(built_wheel):
    wheel = zipfile.ZipFile(built_wheel[0])
    metadata_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    head = wheel.read(metadata_name).decode("utf-8").split("\n\n", 1)[0]
    fields = [tuple(line.split(": ", 1)) for line in head.splitlines() if ": " in line]
    values = {}
    for key, value in fields:
        values.setdefault(key, []).append(value)
    assert values["License-Expression"] == ["MIT"]
    assert any(f.endswith("LICENSE") for f in values["License-File"])
    assert not any(c.startswith("License ::") for c in values["Classifier"])
    assert values["Author"] and values["Keywords"] and values["Project-URL"]
    pythons = [c.rsplit(" ", 1)[1] for c in values["Classifier"]
               if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    assert pythons == ["3.10", "3.11", "3.12", "3.13"]


@pytest.mark.skipif(PYPROJECT is None, reason="tomllib needs Python 3.11")
def test_the_license_is_the_spdx_name_of_the_license_file():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert not any(c.startswith("License ::") for c in project["classifiers"])


@pytest.mark.skipif(PYPROJECT is None, reason="tomllib needs Python 3.11")
def test_operating_system_classifiers_are_what_the_readme_claims():
    # The README claims POSIX local filesystems and is tested on Linux; it
    # does not claim Windows (simulated only) nor macOS.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    systems = [c.split(" :: ")[-1] for c in PYPROJECT["project"]["classifiers"]
               if c.startswith("Operating System ::")]
    assert systems == ["POSIX", "Linux"]
    assert all(name in readme for name in systems)
    assert "Operating System :: OS Independent" not in PYPROJECT["project"]["classifiers"]


def test_a_vendored_copy_passes_its_doctests_under_another_name(tmp_path):
    # A host project runs `pytest --doctest-modules` over its vendored folder:
    # no doctest may import the package by its own name or expect that name
    # in a traceback. The host's conftest makes `import a3s_store` fail, so an
    # installed copy cannot hide such a doctest.
    vendored = tmp_path / "vendored" / "agentstore"
    shutil.copytree(pathlib.Path(a3s_store.__file__).parent, vendored,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "conftest.py").write_text("import sys\nsys.modules['a3s_store'] = None\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # a host's plugins are not ours to load
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--doctest-modules",
         "vendored/agentstore"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    ours = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--doctest-modules",
         "--collect-only", "a3s_store"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300)
    expected = sum(1 for line in ours.stdout.splitlines() if "::" in line)
    assert re.match(rf"{expected} passed\b", summary), (summary, expected)


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
