"""The house rules of the package, read from its source (issue 11).

* The layers: the public stores (``file_store``, ``memory_store``, ``store``)
  never reach the I/O layer (``_fs``) or the journal (``_commit``) directly,
  only through the engine; the checker never imports ``file_store``.
* The component table is the one place that names the folders of the
  layout: no other module (the record schema aside, whose JSON keys happen
  to share a name) spells one as a string literal.
* No import cycle at run time: the graph of module-level imports (those in
  ``if TYPE_CHECKING:`` blocks excluded) has none.
* Small modules and functions: no module over 400 lines, no function over
  60 lines outside the record schema.

Every rule is checked against a planted violation too, so the checks can fail.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import a3s_store
from a3s_store import _components

PACKAGE = pathlib.Path(a3s_store.__file__).parent
NAME = PACKAGE.name
FOLDERS = {c.folder[0] for c in (*_components.SIDE, *_components.CHECKPOINTS)}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
FORBIDDEN = {
    "file_store": {"_fs", "_commit"},
    "memory_store": {"_fs", "_commit"},
    "store": {"_fs", "_commit"},
    "_check": {"file_store"},
}


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, pathlib.Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_level_imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    """The imports that run when the module is imported (not in functions, not
    under ``if TYPE_CHECKING:``)."""
    found: list = []
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            pending[:0] = node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending[:0] = node.body + node.orelse + node.finalbody + [
                n for h in node.handlers for n in h.body]
    return found


def targets_of(name: str, path: pathlib.Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The absolute modules (and names) an import statement of module ``name`` reaches."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level == 0:
        return [node.module or ""]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    target = f"{base}.{node.module}" if node.module else base
    return [target] + [f"{target}.{a.name}" for a in node.names]


def import_edges(name: str, path: pathlib.Path, known: set[str]) -> set[str]:
    """The package modules ``name`` imports when it is imported.

    ``from . import b`` reaches the module ``b`` when there is one (the package
    itself is already initialised then, whoever imports it), else a name
    defined by the package's ``__init__``.
    """
    tree = ast.parse(path.read_text("utf-8"))
    edges = set()
    for node in module_level_imports(tree):
        targets = [t for t in targets_of(name, path, node) if t in known]
        if isinstance(node, ast.ImportFrom) and node.module is None and len(targets) > 1:
            targets = targets[1:]  # submodules named: not the package they sit in
        edges.update(targets)
    edges.discard(name)
    return edges


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle found by a depth-first walk (one per back edge)."""
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def forbidden_imports(name: str, path: pathlib.Path) -> list[str]:
    """Imports anywhere in module ``name`` that its layer must not make."""
    parts = name.split(".")
    banned = FORBIDDEN.get(parts[1], set()) if len(parts) > 1 else set()
    bad = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in targets_of(name, path, node):
                inner = target.split(".")
                if len(inner) > 1 and inner[0] == parts[0] and inner[1] in banned:
                    bad.append(f"{name}:{node.lineno} imports {inner[1]}")
    return sorted(set(bad))


def folder_literals(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return [f"{path.name}:{n.lineno}: {n.value!r}" for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in FOLDERS]


def function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function, its docstring left out (documentation is not length)."""
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def long_functions(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return [f"{path.name}:{n.lineno}: {n.name} ({function_lines(n)} lines)"
            for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and function_lines(n) > MAX_FUNCTION_LINES]


def _in_record_schema(path: pathlib.Path) -> bool:
    """The record schema: the JSON shapes a3s-code defines (its keys may share a
    folder's name: the manifest's "artifacts", the envelope's "subagent_tasks")."""
    rel = path.relative_to(PACKAGE)
    return "records" in rel.parts or rel.name == "_envelope.py"


# -- the rules ---------------------------------------------------------------------


def test_the_public_stores_reach_files_only_through_the_engine():
    bad = []
    for name, path in modules().items():
        bad += forbidden_imports(name, path)
    assert bad == []


def test_only_the_component_table_names_the_folders_of_the_layout():
    bad = []
    for name, path in modules().items():
        if name == f"{NAME}._components" or _in_record_schema(path):
            continue
        bad += folder_literals(path)
    assert bad == []


def test_there_is_no_import_cycle():
    known = set(modules())
    graph = {name: import_edges(name, path, known) for name, path in modules().items()}
    assert cycles(graph) == []




def test_modules_and_functions_are_small():
    too_big = [f"{path.relative_to(PACKAGE)}: {path.read_text('utf-8').count(chr(10))} lines"
               for path in modules().values()
               if path.read_text("utf-8").count("\n") > MAX_MODULE_LINES]
    too_long = [line for path in modules().values() if not _in_record_schema(path)
                for line in long_functions(path)]
    assert too_big == [] and too_long == []


# -- the checks themselves can fail ------------------------------------------------------


def test_each_check_catches_a_planted_violation(tmp_path):
    pkg = tmp_path / NAME
    (pkg / "_check").mkdir(parents=True)
    (pkg / "store.py").write_text("from ._fs import lock\nfrom . import _commit\n")
    (pkg / "_check" / "verify.py").write_text("from ..file_store import X\n")
    (pkg / "side.py").write_text("FOLDER = 'traces'\n")
    long_body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    (pkg / "big.py").write_text(f"def f():\n{long_body}\n")
    (pkg / "documented.py").write_text(f'def f():\n    """{"doc" + chr(10) * 80}"""\n    x = 1\n')
    assert len(forbidden_imports(f"{NAME}.store", pkg / "store.py")) == 2
    assert forbidden_imports(f"{NAME}._check.verify", pkg / "_check" / "verify.py") == [
        f"{NAME}._check.verify:1 imports file_store"]
    assert folder_literals(pkg / "side.py") == ["side.py:1: 'traces'"]
    assert len(long_functions(pkg / "big.py")) == 1
    assert long_functions(pkg / "documented.py") == []
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]


@pytest.mark.parametrize("source,edges", [
    ("from .b import x\n", {"p.b"}),
    ("from . import b\n", {"p.b"}),
    ("from . import not_a_module\n", {"p"}),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import x\n", set()),
    ("def f():\n    from .b import x\n", set()),
])
def test_the_import_graph_reads_what_runs_at_import_time(tmp_path, source, edges):
    path = tmp_path / "a.py"
    path.write_text(source)
    assert import_edges("p.a", path, {"p", "p.a", "p.b"}) == edges
