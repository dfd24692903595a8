"""The public surface of the records package and the codec, and their rules."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import a3s_store._json as codec
import a3s_store.records as records
from a3s_store._json import decode, encode
from a3s_store.records import ContextUsage, LoopCheckpoint, WorkflowCheckpoint

PACKAGE = Path(records.__file__).parent.parent
MINE = [*sorted((PACKAGE / "_json").glob("*.py")), PACKAGE / "_floats.py",
        *sorted((PACKAGE / "records").glob("*.py"))]


def test_every_public_name_has_a_docstring():
    for module in (codec, records):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                assert inspect.getdoc(obj), f"{module.__name__}.{name}"
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(member):
                        assert inspect.getdoc(member), f"{name}.{attr}"
    for path in MINE:
        assert ast.get_docstring(ast.parse(path.read_text("utf-8"))), path.name


def test_all_is_sorted_and_complete():
    assert sorted(records.__all__, key=str.lower) == sorted(set(records.__all__), key=str.lower)
    for name in records.__all__:
        assert hasattr(records, name)


def test_imports_are_stdlib_or_relative_and_only_json_module_imports_json():
    for path in MINE:
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "open":
                raise AssertionError(f"{path.name} opens a file")
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    continue
                names = [(node.module or "").split(".")[0]]
            else:
                continue
            for name in names:
                assert name in sys.stdlib_module_names, f"{path.name}: {name}"
                if name == "json":
                    assert path.parent.name == "_json", path.name
                assert name not in {"os", "pathlib", "shutil", "tempfile", "io"}, path.name


def test_checkpoint_classes_expose_the_current_version():
    assert LoopCheckpoint.CURRENT_SCHEMA_VERSION == WorkflowCheckpoint.CURRENT_SCHEMA_VERSION == 1
    assert LoopCheckpoint(run_id="r", session_id="s").schema_version == 1


def test_integers_are_accepted_for_float_fields_and_bools_are_not_ints():
    usage = ContextUsage.from_dict({"used_tokens": 1, "max_tokens": 2, "percent": 1, "turns": 0})
    assert usage.percent == 1.0 and type(usage.percent) is float
    assert encode(usage.to_dict()["percent"]) == "1.0"
    data = decode(b'{"used_tokens": true, "max_tokens": 2, "percent": 1, "turns": 0}')
    try:
        ContextUsage.from_dict(data)
    except ValueError as err:
        assert getattr(err, "key", None) == "used_tokens"
    else:  # pragma: no cover
        raise AssertionError("a boolean was accepted as an integer")
