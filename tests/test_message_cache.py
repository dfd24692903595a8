"""The file store's encoding cache (``_message_cache``): a save reuses the bytes
of messages saved or loaded before, and the file is always byte-identical to
a full encode of the session, whatever was changed, and however."""

from __future__ import annotations

import json
import random

import pytest

import factories as f
from a3s_store import FileSessionStore, Message, TextBlock, ToolUseBlock, _codec, _json
from a3s_store._message_cache import MessageCache


def _tool_message(i: int) -> Message:
    return Message(role="assistant", content=[
        TextBlock(text=f"call {i}"),
        ToolUseBlock(id=f"t{i}", name="bash", input={"command": f"ls {i}", "n": i,
                                                      "env": {"LANG": "C"}})])


def _change(rng: random.Random, messages: list) -> str:
    """One change an agent or a caller makes to a history, in place or not."""
    kind = rng.choice(["append", "append", "append", "replace", "delete", "truncate",
                       "insert", "input", "nested", "extra", "type", "nothing"])
    uses = [b for m in messages for b in m.content if type(b) is ToolUseBlock]
    i = rng.randrange(len(messages)) if messages else 0
    if kind == "append" or not messages:
        messages.append(_tool_message(rng.randrange(10**6)) if rng.random() < 0.5
                        else f.msg("user", f"u{rng.random()}"))
    elif kind == "replace":
        messages[i] = f.msg("user", "replaced")
    elif kind == "delete":
        del messages[i]
    elif kind == "truncate":
        del messages[i:]
    elif kind == "insert":
        messages.insert(i, _tool_message(i))
    elif kind in ("input", "nested", "type") and uses:
        use = rng.choice(uses)
        if kind == "input":
            use.input["command"] = "changed"
        elif kind == "nested":
            use.input["env"]["LANG"] = "fr_FR"
        else:
            use.input["n"] = float(use.input["n"])  # == in Python, not in JSON
    elif kind == "extra":
        messages[i].content[0].extra["cache_control"] = {"type": "ephemeral"}
    return kind


@pytest.mark.parametrize("seed", range(6))
def test_every_save_writes_the_bytes_of_a_full_encode(tmp_path, seed):
    rng = random.Random(seed)
    store = FileSessionStore(tmp_path / "s", durable=False)
    session = f.session(messages=0)
    session.messages.extend(_tool_message(i) for i in range(5))
    store.save(session)
    done = []
    for step in range(60):
        if rng.random() < 0.15:  # a load seeds the cache from the file's bytes
            session = store.load(session.id)
            done.append("load")
        done.append(_change(rng, session.messages))
        store.save(session)
        on_disk = (tmp_path / "s" / f"{session.id}.json").read_bytes()
        assert on_disk == _json.encode_bytes(session.to_dict()), \
            f"seed {seed}, step {step}: {done}"


def test_the_first_save_after_a_load_does_not_encode_the_loaded_messages(tmp_path,
                                                                          monkeypatch):
    store = FileSessionStore(tmp_path / "s", durable=False)
    session = f.session(messages=0)
    session.messages.extend(_tool_message(i) for i in range(50))
    store.save(session)
    fresh = FileSessionStore(tmp_path / "s", durable=False)
    loaded = fresh.load(session.id)
    encoded: list = []
    real = Message.to_dict
    monkeypatch.setattr(Message, "to_dict", lambda m: encoded.append(m) or real(m))
    loaded.messages.append(f.msg("user", "next"))
    fresh.save(loaded)
    assert encoded == [loaded.messages[-1]]
    path = tmp_path / "s" / f"{session.id}.json"
    assert path.read_bytes() == _json.encode_bytes(loaded.to_dict())


def test_a_change_in_place_after_a_load_is_written(tmp_path):
    store = FileSessionStore(tmp_path / "s", durable=False)
    session = f.session(messages=0)
    session.messages.extend(_tool_message(i) for i in range(5))
    store.save(session)
    loaded = store.load(session.id)
    loaded.messages[2].content[1].input["env"]["LANG"] = "de_DE"
    store.save(loaded)
    again = FileSessionStore(tmp_path / "s").load(session.id)
    assert again.messages[2].content[1].input["env"] == {"LANG": "de_DE"}


def test_a_file_another_program_wrote_does_not_seed_the_cache(tmp_path):
    # Its bytes need not be the store's encoding: here each message has its
    # keys in another order, which a seeded cache would copy into the file.
    store = FileSessionStore(tmp_path / "s", durable=False)
    session = f.session(messages=3)
    store.save(session)
    doc = session.to_dict()
    doc["messages"] = [dict(reversed(m.items())) for m in doc["messages"]]
    path = tmp_path / "s" / f"{session.id}.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False))
    loaded = store.load(session.id)
    loaded.messages.append(f.msg("user", "next"))
    store.save(loaded)
    assert path.read_bytes() == _json.encode_bytes(loaded.to_dict())


def test_the_cache_keeps_few_sessions_and_forgets_deleted_ones():
    cache = MessageCache(max_sessions=2)
    sessions = [f.session(f"s{i}", messages=3) for i in range(3)]
    for s in sessions:
        assert cache.encode_session(s) == _codec.encode_session(s)
    assert list(cache._sessions) == ["s1", "s2"]
    cache.forget("s2")
    assert list(cache._sessions) == ["s1"]
