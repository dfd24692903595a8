"""Contract cases: saving, loading, listing and deleting sessions.

The first ones port the Rust crate's store tests (``src/store/tests.rs``,
named after them); the rest are the promises a3s_store adds: ids that the
Rust layout cannot keep apart, refused ids, copies in and out, opaque JSON,
and histories edited between saves.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import InvalidDataError, InvalidIdError
from ..records import (
    ImageBlock,
    ImageSource,
    Message,
    SessionData,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UnknownBlock,
)
from ..store import SessionStore
from . import samples as s
from ._registry import Reopen, Store, case, raises


@case
def store_save_and_load(store: Store) -> None:
    """A saved session loads with its fields."""
    store.save(s.session())
    loaded = store.load("test-session-1")
    assert loaded.id == "test-session-1"
    assert loaded.config.name == "Test Session"
    assert len(loaded.messages) == 2
    assert loaded.state.value == "Active"


@case
def store_load_nonexistent_returns_none(store: Store) -> None:
    """Loading an id never saved gives None."""
    assert store.load("nonexistent") is None


@case
def store_delete(store: Store) -> None:
    """A deleted session no longer exists or loads."""
    store.save(s.session())
    assert store.exists("test-session-1")
    store.delete("test-session-1")
    assert not store.exists("test-session-1")
    assert store.load("test-session-1") is None


@case
def store_delete_unknown_id_is_not_an_error(store: Store) -> None:
    """Deleting an unknown id does nothing."""
    store.delete("never-saved")


@case
def store_list(store: Store) -> None:
    """``list`` gives the ids of the sessions, sorted."""
    assert store.list() == []
    for i in (3, 1, 2):
        store.save(s.session(f"session-{i}"))
    assert store.list() == ["session-1", "session-2", "session-3"]


@case
def store_overwrite(store: Store) -> None:
    """A save replaces the session."""
    store.save(s.session())
    store.save(s.session(messages=3, updated_at=1700000200))
    loaded = store.load("test-session-1")
    assert len(loaded.messages) == 3
    assert loaded.updated_at == 1700000200


@case
def store_path_traversal_id_round_trips(store: Store) -> None:
    """An id shaped like a path is an id like any other."""
    sid = "../../../etc/passwd"
    store.save(s.session(sid))
    assert store.load(sid).id == sid
    assert store.list() == [sid]


@case
def store_with_policies(store: Store) -> None:
    """Session policies survive a round trip."""
    d = s.session_dict()
    d["config"]["confirmation_policy"] = {"enabled": True, "default_timeout_ms": 30000,
                                          "timeout_action": "Reject", "yolo_lanes": []}
    d["config"]["permission_policy"] = {"allow": [{"rule": "Bash(cargo:*)"}]}
    d["config"]["queue_config"] = {}
    store.save(SessionData.from_dict(d))
    loaded = store.load("test-session-1")
    assert loaded.config.confirmation_policy is not None
    assert loaded.config.confirmation_policy.enabled is True
    assert len(loaded.config.permission_policy.allow) == 1
    assert loaded.config.queue_config is not None


@case
def store_with_llm_config_never_persists_api_key(store: Store) -> None:
    """The API key of an LLM configuration is never stored."""
    d = s.session_dict()
    d["llm_config"] = {"provider": "anthropic", "model": "claude", "api_key": "secret",
                       "base_url": None}
    store.save(SessionData.from_dict(d))
    loaded = store.load("test-session-1")
    assert loaded.llm_config.provider == "anthropic"
    assert loaded.llm_config.model == "claude"
    assert loaded.llm_config.api_key is None


@case
def store_exists(store: Store) -> None:
    """``exists`` follows saves and deletes."""
    assert not store.exists("test-session-1")
    store.save(s.session())
    assert store.exists("test-session-1")
    store.delete("test-session-1")
    assert not store.exists("test-session-1")


@case
def store_health_check_and_backend_name(store: Store) -> None:
    """A fresh store is healthy, names its backend and implements the protocol."""
    store.health_check()
    name = store.backend_name()
    assert isinstance(name, str) and name
    assert isinstance(store, SessionStore)


@case
def ids_that_collide_in_the_rust_layout_stay_distinct(store: Store) -> None:
    """Ids that a3s-code would map to one file name stay distinct."""
    ids = ["tenant/session", "tenant_session", "tenant\\session", "tenant..session",
           "tenant_.session"]
    for i, sid in enumerate(ids):
        store.save(s.session(sid, messages=i + 1))
        store.save_trace_events(sid, [s.trace_event(f"tool-{i}")])
    assert store.list() == sorted(ids)
    for i, sid in enumerate(ids):
        assert len(store.load(sid).messages) == i + 1
        assert store.load_trace_events(sid)[0].name == f"tool-{i}"
    store.delete("tenant/session")
    assert store.load("tenant/session") is None
    assert store.load_trace_events("tenant_session")[0].name == "tool-1"


#: Ids every store keeps apart and gives back exactly (control characters,
#: case, normalisation, bidi marks, the escape character of the SQL store).
AWKWARD_IDS = ("x\x00y", "\x01", "\x01\x01", "A", "a", "\u00e9", "e\u0301", "\u202e",
               "\n", "CON", "con.json", "%2e%2e", "\u3000", "~", "-rf", "a" * 150)


@case
def awkward_ids_round_trip_without_collision(store: Store) -> None:
    """Awkward ids round-trip, stay distinct and list in code-point order."""
    for i, sid in enumerate(AWKWARD_IDS):
        store.save(s.session(sid, messages=i % 3, name=f"n{i}"))
    assert store.list() == sorted(AWKWARD_IDS)
    for i, sid in enumerate(AWKWARD_IDS):
        loaded = store.load(sid)
        assert loaded.id == sid and loaded.config.name == f"n{i}", repr(sid)
    assert [x.id for x in store.list_summaries()] == sorted(AWKWARD_IDS)


@case
def invalid_ids_are_refused_before_any_io(store: Store) -> None:
    """Ids that are not strings, not Unicode or too long raise InvalidIdError."""
    for bad in (None, 1, b"x", "\ud800", "x\udfff"):
        with raises(InvalidIdError):
            store.load(bad)
        with raises(InvalidIdError):
            store.exists(bad)
        with raises(InvalidIdError):
            store.save_trace_events(bad, [])
    assert store.list() == []


@case
def bad_records_are_refused_before_writing(store: Store) -> None:
    """What is not a record raises InvalidDataError and writes nothing."""
    with raises(InvalidDataError):
        store.save("not a session")
    with raises(InvalidDataError):
        store.save_trace_events("s", ["not a trace event"])
    assert store.load_trace_events("s") is None
    session = s.session()
    session.messages.append("not a message")  # type: ignore[arg-type]  # deliberately wrong: refused
    with raises(InvalidDataError):
        store.save(session)
    assert store.load("test-session-1") is None


@case
def artifacts_of_the_wrong_type_are_refused(store: Store) -> None:
    """Saving what is not an ArtifactStore as artifacts raises InvalidDataError."""
    bad: object
    for bad in (["not an artifact store"], dict(artifacts=[]), None):
        with raises(InvalidDataError):
            store.save_artifacts("s", bad)
    assert store.load_artifacts("s") is None


@case
def mutating_after_save_or_load_changes_nothing_stored(store: Store) -> None:
    """Saves copy in and loads copy out."""
    session = s.session()
    store.save(session)
    session.config.name = "mutated"
    session.messages.append(session.messages[0])
    loaded = store.load("test-session-1")
    assert loaded.config.name == "Test Session" and len(loaded.messages) == 2
    loaded.config.name = "mutated again"
    loaded.messages.clear()
    assert store.load("test-session-1").config.name == "Test Session"
    assert len(store.load("test-session-1").messages) == 2


@case
def a_message_changed_in_place_is_saved_as_it_is_now(store: Store, reopen: Reopen) -> None:
    """A save stores the session as it is, also what changed inside saved messages."""
    session = s.session(messages=0)
    use = ToolUseBlock(id="t1", name="bash", input={"command": "ls", "n": 1})
    unknown = UnknownBlock(data={"type": "thinking", "thinking": "hmm"})
    image = ImageBlock(source=ImageSource(source_type="base64", media_type="image/png",
                                          data="AAAA"))
    out = TextBlock(text="out")
    result = ToolResultBlock(tool_use_id="t1", content=[out, image])
    session.messages.extend([Message(role="user", content=[TextBlock(text="hi")]),
                             Message(role="assistant", content=[use, unknown]),
                             Message(role="user", content=[result])])
    store.save(session)
    changes: list[Callable[[], object]] = [
        lambda: use.input.__setitem__("n", 2),
        lambda: use.input.__setitem__("n", 2.0),  # equal in Python, not in JSON
        lambda: use.input.__setitem__("n", True),
        lambda: use.input.update({"n": 1, "command": "ls"}) or use.input.pop("command"),
        lambda: use.input.__setitem__("command", "ls"),  # the same keys, in another order
        lambda: session.messages[0].extra.__setitem__("transcript_text", "new key"),
        lambda: unknown.data.__setitem__("thinking", "changed"),
        lambda: image.source.extra.__setitem__("detail", "high"),
        lambda: out.extra.__setitem__("cache", True),  # inside the tool result
        lambda: session.messages.append(Message(role="user", content=[TextBlock(text="x")])),
    ]
    for change in changes:
        change()
        store.save(session)
        # Read through another store object: a load by the writer would reset
        # what it remembers of the session, and hide a stale save.
        got = reopen().load(session.id)
        assert [m.to_dict() for m in got.messages] == [m.to_dict() for m in session.messages]
        assert repr(got.messages[1].content[0].input) == repr(use.input)  # types, key order
    assert store.load(session.id).messages == session.messages


@case
def a_history_edited_between_saves_is_stored_as_given(store: Store, reopen: Reopen) -> None:
    """Appends, truncations, replacements and reorderings of the history are all kept."""
    session = s.session(messages=30)
    store.save(session)
    msgs = session.messages
    edits: list[Callable[[], object]] = [
        lambda: msgs.extend(Message(role="user", content=[TextBlock(text=f"more {i}")])
                            for i in range(5)),
        lambda: msgs.__delitem__(slice(20, None)),
        lambda: msgs.__setitem__(7, Message(role="assistant", content=[TextBlock(text="7!")])),
        lambda: msgs.reverse(),
        lambda: msgs.insert(0, Message(role="user", content=[TextBlock(text="first")])),
        lambda: msgs.clear(),
        lambda: msgs.append(Message(role="user", content=[TextBlock(text="again")])),
    ]
    for edit in edits:
        edit()
        store.save(session)
        assert reopen().load(session.id).messages == msgs  # not the writer (see above)
    loaded = store.load(session.id)
    loaded.messages.append(Message(role="user", content=[TextBlock(text="after load")]))
    store.save(loaded)
    assert reopen().load(session.id).messages == loaded.messages


@case
def unknown_keys_and_blocks_are_kept(store: Store) -> None:
    """Keys and block types a record does not know come back as they were."""
    d = s.session_dict()
    d["future_field"] = {"nested": [1, 2.5, None, "x"]}
    d["messages"].append({"role": "assistant", "future": True, "content": [
        {"type": "thinking", "thinking": "...", "signature": "sig"}]})
    session = SessionData.from_dict(d)
    store.save(session)
    loaded = store.load("test-session-1")
    assert loaded == session
    assert loaded.to_dict() == session.to_dict()
    assert list(loaded.to_dict()) == list(session.to_dict())


@case
def another_store_on_the_same_data_sees_each_save(store: Store, reopen: Reopen) -> None:
    """What one store object saves, another one on the same data loads."""
    store.save(s.session(messages=3))
    other = reopen()
    assert len(other.load("test-session-1").messages) == 3
    other.save(s.session(messages=5, name="other"))
    loaded = store.load("test-session-1")
    assert len(loaded.messages) == 5 and loaded.config.name == "other"
    other.delete("test-session-1")
    assert store.load("test-session-1") is None and store.list() == []


@case
def a_save_after_another_writer_stores_exactly_the_session_given(store: Store,
                                                                 reopen: Reopen) -> None:
    """A store that saved a session before another writer replaced it still saves
    exactly what it is given next (no rows of the other writer's history survive)."""
    session = s.session(messages=3)
    store.save(session)
    reopen().save(s.session(messages=5, name="other"))
    session.messages.append(Message(role="user", content=[TextBlock(text="mine")]))
    store.save(session)
    for reader in (store, reopen()):
        loaded = reader.load(session.id)
        assert loaded.messages == session.messages
        assert loaded.config.name == "Test Session"
