"""Saving a live session: SessionPersistence and build_session_data_snapshot.

Ports of a3s-code 3.4's persistence tests (format.md §4.B, §4.D) plus the
gaps of its §5 items 21-31 that a3s_store closes (evolution.md §1.16).
"""

from __future__ import annotations

import logging
import pathlib

import pytest

import factories as f
from a3s_store import (
    AgentConfig,
    AgentSession,
    ConfirmationPolicy,
    ConflictError,
    FileSessionStore,
    InvalidDataError,
    LlmConfigData,
    LlmCostRecord,
    MemorySessionStore,
    PermissionPolicy,
    SessionData,
    SessionQueueConfig,
    SessionSnapshot,
    TokenUsage,
    build_session_data_snapshot,
    restore_persisted_session_state,
    resume_session,
)
from factories import msg
from fake_stores import CountingStore, FailingStore

LOGGER = "a3s_store.persistence"



class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- save() -------------------------------------------------------------------------


def test_session_save_no_store_is_a_noop():
    session = AgentSession(session_id="no-store")
    session.history.append(msg("user", "hi"))
    assert session.save() is None


def test_session_save_and_load(store):
    session = AgentSession(session_id="persist-test", store=store)
    revision = session.save()
    assert revision is not None
    loaded = store.load("persist-test")
    assert loaded.id == "persist-test"
    assert loaded.messages == []


def test_session_save_with_history(store):
    session = AgentSession(session_id="history-test", store=store)
    session.history += [msg("user", "Hello"), msg("assistant", "Hi there")]
    session.save()
    assert store.load("history-test").messages == session.history


def test_session_save_uses_exactly_one_aggregate_store_call():
    store = CountingStore()
    session = AgentSession(session_id="s", store=store)
    session.history.append(msg("user", "hi"))
    session.artifacts = f.artifact_store("out")
    session.trace_events.append(f.trace_event())
    session.run_records.append(f.run_record("s"))
    session.verification_reports.append(f.verification_report())
    session.subagent_tasks.append(f.subagent_task("s"))
    session.save()
    assert store.writes() == {"save_snapshot": 1}
    snap = store.inner.load_snapshot("s")
    assert (len(snap.artifacts), len(snap.trace_events), len(snap.run_records),
            len(snap.verification_reports), len(snap.subagent_tasks)) == (1, 1, 1, 1, 1)


def test_session_save_persists_runtime_config(store):
    config = AgentConfig(
        queue_config=SessionQueueConfig(),
        confirmation_policy=ConfirmationPolicy(enabled=True),
        permission_policy=PermissionPolicy.from_dict({"allow": ["Bash(cargo:*)"]}),
        tool_names=["bash", "read"],
    )
    session = AgentSession(session_id="cfg", model="openai/gpt-4o", config=config, store=store)
    session.save()
    data = store.load("cfg")
    assert data.model_name == "openai/gpt-4o"
    assert (data.llm_config.provider, data.llm_config.model) == ("openai", "gpt-4o")
    assert data.config.queue_config == SessionQueueConfig()
    assert data.config.confirmation_policy.enabled is True
    assert len(data.config.permission_policy.allow) == 1
    assert data.tool_names == ["bash", "read"]


def test_first_save_fills_what_no_generation_gave_yet():
    store = MemorySessionStore()
    clock = Clock(1700000000.7)
    session = AgentSession(session_id="new", workspace="/ws", store=store)
    session.persistence.clock = clock
    session.save()
    data = store.load("new")
    assert (data.created_at, data.updated_at) == (1700000000, 1700000000)
    assert str(data.state) == "Active" and data.config.name == ""
    assert data.config.workspace == "/ws"
    assert data.total_usage == TokenUsage() and data.total_cost == 0.0
    assert data.config.max_parallel_tasks is None and data.config.auto_delegation is None


@pytest.mark.parametrize("make, expected", [
    (lambda tmp: FileSessionStore(tmp / "s"), "file"),
    (lambda tmp: MemorySessionStore(), "memory"),
    (lambda tmp: CountingStore(FailingStore()), "custom"),
])
def test_first_save_records_the_real_backend(tmp_path, make, expected):
    store = make(tmp_path)
    if expected == "custom":
        store.inner.backend_name = lambda: "sqlite"  # a third-party backend
    AgentSession(session_id="b", store=store).save()
    loaded = store.load("b") if expected != "custom" else store.inner.inner.load("b")
    assert str(loaded.config.storage_type) == expected


def test_max_context_length_is_capped_at_u32(store):
    session = AgentSession(session_id="big", config=AgentConfig(max_context_tokens=2**40),
                           store=store)
    session.save()
    assert store.load("big").config.max_context_length == 2**32 - 1


# -- re-saving is lossless --------------------------------------------------------------


def _seeded_generation() -> SessionSnapshot:
    """A generation as a3s-code (or another tool) wrote it, with everything the
    live session does not own filled in."""
    d = f.session_dict("lossless", name="Named session")
    d.update({
        "state": "Paused",
        "created_at": 42, "updated_at": 50,
        "total_usage": {"prompt_tokens": 600, "completion_tokens": 300, "total_tokens": 900,
                        "cache_read_tokens": 25},
        "context_usage": {"used_tokens": 900, "max_tokens": 200000, "percent": 0.45,
                          "turns": 3},
        "total_cost": 1.25,
        "cost_records": [{"model": "gpt-4o", "provider": "openai", "prompt_tokens": 600,
                          "completion_tokens": 300, "total_tokens": 900, "cost_usd": 1.25,
                          "timestamp": "2026-05-23T10:11:12Z", "session_id": "lossless"}],
        "tasks": [{"id": "t1", "content": "write tests", "status": "in_progress"}],
        "parent_id": "parent-1",
        "thinking_enabled": True, "thinking_budget": 2048,
        "future_key": {"kept": True},
    })
    d["config"].update({"storage_type": "custom", "parent_id": "parent-1",
                        "future_config_key": 7})
    return SessionSnapshot(session=SessionData.from_dict(d))


def test_repeated_saves_preserve_restored_metadata_usage_cost_and_tasks(store):
    store.save_snapshot(_seeded_generation())
    session = resume_session(store, "lossless")
    clock = Clock(1800000000)
    session.persistence.clock = clock
    session.record_usage(TokenUsage(prompt_tokens=10, completion_tokens=5, total_tokens=15,
                                    cache_read_tokens=2, cache_write_tokens=3),
                         cost=0.5, cost_records=[LlmCostRecord(
                             model="gpt-4o", provider="openai", prompt_tokens=10,
                             completion_tokens=5, total_tokens=15, cost_usd=0.5,
                             timestamp="2026-05-24T00:00:00Z", session_id="lossless")])
    session.history.append(msg("user", "more"))
    session.save()
    clock.now += 60
    session.save()
    data = store.load("lossless")
    usage = data.total_usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (610, 305, 915)
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (27, 3)
    assert data.total_cost == pytest.approx(1.75)
    assert [r.total_tokens for r in data.cost_records] == [900, 15]
    assert (data.created_at, data.updated_at) == (42, 1800000060)
    assert [t.id for t in data.tasks] == ["t1"]
    assert data.config.name == "Named session"
    assert str(data.config.storage_type) == "custom"
    assert data.config.parent_id == "parent-1" and data.parent_id == "parent-1"
    assert (data.thinking_enabled, data.thinking_budget) == (True, 2048)
    assert str(data.state) == "Paused"
    assert data.context_usage.turns == 3
    assert data.extra == {"future_key": {"kept": True}}
    assert data.config.extra == {"future_config_key": 7}
    assert len(data.messages) == 3


def test_updated_at_moves_forward_and_created_at_stays(store):
    session = AgentSession(session_id="times", store=store)
    clock = Clock(1000)
    session.persistence.clock = clock
    session.save()
    clock.now = 2000
    session.save()
    assert (store.load("times").created_at, store.load("times").updated_at) == (1000, 2000)
    clock.now = 1500  # the wall clock stepped back
    session.save()
    assert store.load("times").updated_at == 2000


def test_build_session_data_snapshot_without_previous_generation():
    session = AgentSession(session_id="s", model="unknown")
    data = build_session_data_snapshot(session, now=7)
    assert (data.created_at, data.updated_at) == (7, 7)
    assert data.model_name is None and data.llm_config is None


# -- secrets ------------------------------------------------------------------------------

SECRET_KEY = "sk-SECRET-api-key-0123456789"
SECRET_URL = "https://secret-endpoint.example.internal/v1"


def _all_bytes(root: pathlib.Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_secrets_never_reach_disk(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    session = AgentSession(session_id="secret", model="openai/gpt-4o", api_key=SECRET_KEY,
                           base_url=SECRET_URL, store=store)
    session.save()
    # A restored generation that carried both (a hand-edited file, §5 item 18).
    carried = SessionData(id="secret", llm_config=LlmConfigData(
        provider="openai", model="gpt-4o", api_key=SECRET_KEY, base_url=SECRET_URL))
    restore_persisted_session_state(session, store, SessionSnapshot(session=carried))
    session.history.append(msg("user", "hello"))
    session.save(overwrite=True)
    with session.start_run("go") as run:
        run.checkpoint()
        session.save()
        assert store.load_loop_checkpoint(run.run_id) is not None
        snapshots = [_all_bytes(root)]  # with the loop checkpoint on disk
    snapshots.append(_all_bytes(root))
    for written in snapshots:
        assert b"hello" in written and b"gpt-4o" in written  # the scan sees the data
        assert SECRET_KEY.encode() not in written
        assert SECRET_URL.encode() not in written
        assert b"api_key" not in written and b'"base_url": null' in written


def test_secrets_are_not_in_reprs():
    session = AgentSession(session_id="s", api_key=SECRET_KEY, base_url=SECRET_URL)
    assert SECRET_KEY not in repr(session) and SECRET_URL not in repr(session)


# -- conflicts: a save never overwrites a generation it has not seen ---------------------


def test_first_save_does_not_overwrite_another_session_with_the_same_id(store):
    store.save(f.session("taken"))
    session = AgentSession(session_id="taken", store=store)
    with pytest.raises(ConflictError, match="resume the session .* overwrite=True"):
        session.save()
    assert store.load("taken").config.name == "Test Session"
    session.save(overwrite=True)
    assert store.load("taken").config.name == ""


def test_save_after_another_writer_saved_is_a_conflict(store):
    AgentSession(session_id="shared", store=store).save()
    first = resume_session(store, "shared")
    second = resume_session(store, "shared")
    first.history.append(msg("user", "from the first"))
    first.save()
    second.history.append(msg("user", "from the second"))
    with pytest.raises(ConflictError):
        second.save()
    assert store.load("shared").messages == first.history
    first.history.append(msg("assistant", "again"))
    first.save()  # its own saves go on


def test_save_refuses_a_live_session_that_could_not_be_resumed(store):
    session = AgentSession(session_id="mine", store=store)
    session.run_records.append(f.run_record("someone-else"))
    with pytest.raises(InvalidDataError, match="belongs to session 'someone-else'"):
        session.save()
    assert store.load("mine") is None


# -- record_result -----------------------------------------------------------------------


def test_record_result_replaces_history_and_does_not_duplicate_reports():
    session = AgentSession(session_id="s")
    session.history.append(msg("user", "old"))
    session.verification_reports.append(f.verification_report("earlier"))

    class Result:
        messages = (msg("user", "q"), msg("assistant", "a"))
        verification_reports = [f.verification_report("tests pass")]

    session.record_result(Result())
    session.record_result(Result())
    assert session.history == list(Result.messages)
    assert [r.subject for r in session.verification_reports] == ["earlier", "tests pass"]


def test_record_result_without_reports():
    session = AgentSession(session_id="s")

    class Result:
        messages = [msg("assistant", "a")]

    session.record_result(Result())
    assert session.history == Result.messages and session.history is not Result.messages


# -- the calls that never raise ------------------------------------------------------------


def test_auto_save_if_enabled_saves_only_when_enabled(store):
    session = AgentSession(session_id="auto", store=store)
    assert session.auto_save_if_enabled() is False
    assert store.load("auto") is None
    session.auto_save = True
    assert session.auto_save_if_enabled() is True
    assert store.load("auto") is not None


def test_auto_save_never_raises_and_logs_a_warning(caplog):
    session = AgentSession(session_id="auto", auto_save=True,
                           store=FailingStore("save_snapshot"))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert session.auto_save_if_enabled() is False
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.name == LOGGER
    assert "'auto'" in record.getMessage() and "No space left" in record.getMessage()


def test_auto_save_conflict_is_logged_not_raised(caplog):
    store = MemorySessionStore()
    store.save(f.session("auto"))
    session = AgentSession(session_id="auto", auto_save=True, store=store)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert session.auto_save_if_enabled() is False
    assert "already exists" in caplog.text


def test_clear_loop_checkpoint_deletes_and_never_raises(store, caplog):
    store.save_loop_checkpoint("run-x", f.loop_checkpoint("run-x"))
    session = AgentSession(session_id="s", store=store)
    session.persistence.clear_loop_checkpoint("run-x")
    assert store.load_loop_checkpoint("run-x") is None
    session.persistence.clear_loop_checkpoint("never-existed")
    failing = AgentSession(session_id="s", store=FailingStore("delete_loop_checkpoint"))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        failing.persistence.clear_loop_checkpoint("run-x")
    assert "run-x" in caplog.text and caplog.records[0].levelno == logging.WARNING
    AgentSession(session_id="s").persistence.clear_loop_checkpoint("run-x")  # no store


def test_the_library_never_configures_logging():
    logger = logging.getLogger(LOGGER)
    assert logger.handlers == [] and logger.level == logging.NOTSET and logger.propagate
    assert logging.getLogger("a3s_store").handlers == []


@pytest.mark.parametrize("kwargs", [
    dict(usage={"prompt_tokens": 1}),
    dict(usage=TokenUsage(prompt_tokens=-1)),
    dict(cost=float("nan")),
    dict(cost="0.5"),
    dict(cost_records=[{"model": "m"}]),
])
def test_record_usage_refuses_what_could_not_be_saved(store, kwargs):
    session = AgentSession(session_id="s", store=store)
    session.record_usage(TokenUsage(prompt_tokens=1, total_tokens=1))
    with pytest.raises(InvalidDataError):
        session.record_usage(**kwargs)
    session.save()  # the bad value did not poison the pending totals
    assert store.load("s").total_usage.prompt_tokens == 1


def test_recorded_usage_is_copied():
    store = MemorySessionStore()
    session = AgentSession(session_id="s", store=store)
    usage = TokenUsage(prompt_tokens=5, total_tokens=5)
    session.record_usage(usage)
    usage.prompt_tokens = 500
    session.save()
    assert store.load("s").total_usage.prompt_tokens == 5


# -- the helper's own rules ------------------------------------------------------------------

HELPER = ["persistable", "_helper_common", "generation", "session_options", "persistence",
          "restore", "agent_run", "run_resume", "agent_session", "resume", "_identity",
          "_run_meta", "_run_owner"]
# What the helper may build on: the public store API, the records, the errors, the
# component table (names only, no I/O), itself.
ALLOWED_INTERNAL = {"store", "snapshot", "records", "errors", "_components", *HELPER}
FORBIDDEN = {"json", "os", "pathlib", "shutil", "tempfile", "io"}
# The one name of os the helper may use: the pid that names a run's owner.
ALLOWED_FROM_OS = {"getpid"}


def _module_tree(name: str):
    import ast

    import a3s_store
    path = pathlib.Path(a3s_store.__file__).parent / f"{name}.py"
    return ast.parse(path.read_text("utf-8"))


def _package_imports(tree, *, type_checking: bool) -> set[str]:
    """The package modules a module imports at its top level (and, with
    ``type_checking``, under ``if TYPE_CHECKING:`` too)."""
    import ast
    found = set()
    for node in tree.body:  # module level: a function-level import would hide a cycle
        if (isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
                and not type_checking):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 1 and inner.module:
                found.add(inner.module.split(".")[0])
    return found


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(name, path):
        if name in path:
            return [*path[path.index(name):], name]
        if name in done:
            return None
        for imported in sorted(graph.get(name, ())):
            cycle = visit(imported, [*path, name])
            if cycle:
                return cycle
        done.add(name)
        return None

    for name in sorted(graph):
        cycle = visit(name, [])
        if cycle:
            return cycle
    return None


@pytest.mark.parametrize("name", HELPER)
def test_the_helper_never_reads_json_nor_touches_paths(name):
    import ast
    import sys

    tree = _module_tree(name)
    assert ast.get_docstring(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            assert (node.module or "").split(".")[0] in ALLOWED_INTERNAL, (name, node.module)
        elif (isinstance(node, ast.ImportFrom) and node.module == "os"
              and {a.name for a in node.names} <= ALLOWED_FROM_OS):
            continue
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module])
            for module in modules:
                top = module.split(".")[0]
                assert top in sys.stdlib_module_names, (name, module)
                assert top not in FORBIDDEN, name
        assert not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "open")


def test_the_helper_modules_import_each_other_without_a_cycle():
    # Type-checking imports count too: the helper is layered (the protocol,
    # then saving, restoring, runs, the live session, resume), so even a
    # type checker sees no circle.
    graph = {name: _package_imports(_module_tree(name), type_checking=True) & set(HELPER)
             for name in HELPER}
    assert _find_cycle(graph) is None, " -> ".join(_find_cycle(graph))
    # Every module that builds on the helper is checked (a new one joins HELPER).
    import a3s_store
    package = pathlib.Path(a3s_store.__file__).parent
    users = {p.stem for p in package.glob("*.py") if {"persistence", "agent_run", "restore"}
             & _package_imports(_module_tree(p.stem), type_checking=True)}
    assert users <= set(HELPER) | {"__init__"}, users - set(HELPER)


def test_the_helper_modules_share_private_helpers_only_through_private_modules():
    import ast
    for name in HELPER:
        for node in ast.walk(_module_tree(name)):
            if (isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
                    and not node.module.startswith("_")):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, (name, node.module, private)


def test_the_import_checks_can_fail():
    import ast
    tree = ast.parse("from .a import x\nif TYPE_CHECKING:\n    from .b import y\n")
    assert _package_imports(tree, type_checking=False) == {"a"}
    assert _package_imports(tree, type_checking=True) == {"a", "b"}
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_public_name_of_the_helper_has_a_docstring():
    import importlib
    import inspect

    import a3s_store
    for name in HELPER:
        module = importlib.import_module(f"a3s_store.{name}")
        for public in getattr(module, "__all__", []):
            obj = getattr(module, public)
            assert inspect.getdoc(obj), f"{name}.{public}"
            assert name.startswith("_") or public in a3s_store.__all__, f"{public} not exported"
            for attr, member in vars(obj).items() if inspect.isclass(obj) else ():
                if not attr.startswith("_") and (inspect.isfunction(member)
                                                 or isinstance(member, property)):
                    assert inspect.getdoc(member), f"{public}.{attr}"
