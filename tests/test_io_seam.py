"""Every filesystem call of the package goes through a3s_store._fs (the one I/O layer)."""

from __future__ import annotations

import ast
import pathlib
import sys

import a3s_store

PACKAGE = pathlib.Path(a3s_store.__file__).parent
SEAM = PACKAGE / "_fs"  # the I/O layer: a package of its own
FORBIDDEN_OS = {
    "open", "replace", "rename", "renames", "remove", "unlink", "rmdir", "removedirs", "mkdir",
    "makedirs", "scandir", "listdir", "stat", "lstat", "fsync", "fdatasync", "read", "write",
    "truncate", "ftruncate", "chmod", "fchmod", "chown", "link", "symlink", "walk", "fwalk",
    "utime", "mkfifo", "access",
}
FORBIDDEN_MODULES = {"shutil", "pathlib", "tempfile", "io", "fcntl", "msvcrt", "glob"}


def _violations(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "open"):
            found.append(f"{path.name}:{node.lineno}: open()")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "os" and node.attr in FORBIDDEN_OS:
                found.append(f"{path.name}:{node.lineno}: os.{node.attr}")
            if node.value.id == "os" and node.attr == "path":
                pass
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""])
            for name in names:
                if name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"{path.name}:{node.lineno}: import {name}")
    return found


def test_only_the_io_layer_touches_the_filesystem():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if SEAM in path.parents:
            continue
        bad += _violations(path)
    assert bad == []


def test_the_check_itself_can_fail(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os, shutil\nos.replace('a', 'b')\nopen('x')\n")
    assert len(_violations(sample)) == 3


def test_package_imports_only_the_standard_library_or_itself():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split(".")[0] not in sys.stdlib_module_names:
                    bad.append(f"{path.name}:{node.lineno}: {name}")
    assert bad == []
