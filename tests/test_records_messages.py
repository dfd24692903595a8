"""Message and content blocks: frozen values, fast decoding, round trips."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from a3s_store._json import decode, encode
from a3s_store.errors import CorruptDataError, InvalidDataError
from a3s_store.records import (
    ImageBlock,
    ImageSource,
    Message,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UnknownBlock,
)

ALL_KINDS = {
    "role": "user",
    "content": [
        {"type": "text", "text": "look"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}},
        {"type": "tool_use", "id": "t1", "name": "read", "input": {"file_path": "a.rs"}},
        {"type": "tool_result", "tool_use_id": "t1", "content": "text", "is_error": False},
        {"type": "tool_result", "tool_use_id": "t2",
         "content": [{"type": "text", "text": "x"},
                     {"type": "image", "source": {"type": "base64", "media_type": "image/gif",
                                                  "data": ""}}],
         "is_error": None},
        {"type": "redacted_thinking", "data": "opaque"},
    ],
    "reasoning_content": "because",
}


def _built() -> Message:
    source = ImageSource(media_type="image/png", data="AA==")
    return Message(
        role="user",
        content=[
            TextBlock(text="look"),
            ImageBlock(source=source),
            ToolUseBlock(id="t1", name="read", input={"file_path": "a.rs"}),
            ToolResultBlock(tool_use_id="t1", content="text", is_error=False),
            ToolResultBlock(
                tool_use_id="t2",
                content=[TextBlock(text="x"),
                         ImageBlock(source=ImageSource(media_type="image/gif", data=""))],
            ),
            UnknownBlock(data={"type": "redacted_thinking", "data": "opaque"}),
        ],
        reasoning_content="because",
    )


def test_fast_decoder_builds_the_same_values_as_the_constructors():
    decoded = Message.from_dict(ALL_KINDS)
    assert decoded == _built()
    assert decoded.to_dict() == ALL_KINDS
    assert type(decoded) is Message and type(decoded.content[0]) is TextBlock
    assert [b.type for b in decoded.content] == [
        "text", "image", "tool_use", "tool_result", "tool_result", "redacted_thinking"]
    assert repr(decoded) == repr(_built())


def test_messages_and_blocks_are_frozen():
    m = Message.from_dict(ALL_KINDS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.role = "assistant"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.content[0].text = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.content[1].source.data = ""  # type: ignore[misc]
    assert isinstance(m.content, tuple) and isinstance(m.content[4].content, tuple)
    built = Message(role="user", content=[TextBlock(text="a")])
    assert built.content == (TextBlock(text="a"),)
    assert hash(Message.from_dict(ALL_KINDS)) == hash(_built())
    assert len({Message.from_dict(ALL_KINDS), _built()}) == 1


def test_reasoning_content_is_omitted_when_none():
    out = Message(role="assistant", content=[]).to_dict()
    assert out == {"role": "assistant", "content": []}
    assert Message.from_dict({"role": "a", "content": [], "reasoning_content": None}) == Message(
        role="a", content=())


def test_tool_result_is_error_null_or_missing_reads_as_none_and_writes_null():
    block = ToolResultBlock.from_dict({"type": "tool_result", "tool_use_id": "x", "content": ""})
    assert block.is_error is None
    assert block.to_dict() == {"type": "tool_result", "tool_use_id": "x", "content": "",
                               "is_error": None}


def test_unknown_block_round_trips_verbatim():
    data = {"type": "server_tool_use", "id": "s1", "weird": [1, {"a": None}], "z": 1.5}
    m = Message.from_dict({"role": "assistant", "content": [data]})
    assert isinstance(m.content[0], UnknownBlock) and m.content[0].data == data
    text = encode(m.to_dict())
    assert decode(text.encode()) == {"role": "assistant", "content": [data]}
    assert list(m.to_dict()["content"][0]) == list(data)


def test_unknown_keys_in_messages_and_blocks_round_trip():
    data = {
        "role": "user",
        "content": [
            {"type": "text", "text": "t", "cache_control": {"type": "ephemeral"}},
            {"type": "tool_use", "id": "i", "name": "n", "input": None, "x": 1},
            {"type": "tool_result", "tool_use_id": "i", "content": "c", "trust": "low"},
            {"type": "tool_result", "tool_use_id": "i", "content": "c", "is_error": True,
             "extra_flag": False},
            {"type": "image", "source": {"type": "url", "media_type": "image/png", "data": "",
                                         "url": "https://x"}, "alt": "a"},
        ],
        "transcript_text": "t",
    }
    m = Message.from_dict(data)
    assert m.extra == {"transcript_text": "t"}
    assert m.content[0].extra == {"cache_control": {"type": "ephemeral"}}
    assert m.content[1].input is None and m.content[1].extra == {"x": 1}
    assert m.content[2].extra == {"trust": "low"} and m.content[2].is_error is None
    assert m.content[3].extra == {"extra_flag": False}
    assert m.content[4].source.extra == {"url": "https://x"}
    out = m.to_dict()
    # is_error (known) is written as null before the unknown key
    assert list(out["content"][2]) == ["type", "tool_use_id", "content", "is_error", "trust"]
    del out["content"][2]["is_error"]
    assert out == data


def test_block_from_dict_checks_the_type():
    assert TextBlock.from_dict({"type": "text", "text": "a"}) == TextBlock(text="a")
    with pytest.raises(CorruptDataError) as info:
        TextBlock.from_dict({"type": "image", "text": "a"})
    assert info.value.key == "type"
    assert UnknownBlock.from_dict({"type": "x"}).type == "x"
    with pytest.raises(CorruptDataError):
        UnknownBlock.from_dict({"kind": "x"})


@pytest.mark.parametrize(
    "make, key",
    [
        (lambda: Message(role=1, content=[]), "role"),
        (lambda: Message(role="user", content="hello"), "content"),
        (lambda: Message(role="user", content=[{"type": "text", "text": "x"}]), "content[0]"),
        (lambda: Message(role="user", content=[], reasoning_content=5), "reasoning_content"),
        (lambda: Message(role="user", content=[], extra={"role": "x"}), "role"),
        (lambda: TextBlock(text=None), "text"),
        (lambda: TextBlock(text="a", extra={"type": "image"}), "type"),
        (lambda: ToolUseBlock(id="i", name=None), "name"),
        (lambda: ToolResultBlock(tool_use_id="i", content=5), "content"),
        (lambda: ToolResultBlock(tool_use_id="i", content=[ToolUseBlock(id="i", name="n")]),
         "content[0]"),
        (lambda: ToolResultBlock(tool_use_id="i", is_error=0), "is_error"),
        (lambda: ImageBlock(source={"type": "base64"}), "source"),
        (lambda: ImageSource(media_type="m", data=b"bytes"), "data"),
        (lambda: UnknownBlock(data={"no": "type"}), "data"),
    ],
)
def test_constructors_validate(make, key):
    with pytest.raises(InvalidDataError) as info:
        make()
    assert info.value.key == key


def test_to_dict_rechecks_mutated_extra():
    block = TextBlock(text="a")
    block.extra["type"] = "image"
    with pytest.raises(InvalidDataError) as info:
        Message(role="user", content=[block]).to_dict()
    assert info.value.key == "type"


def test_message_copy_pickle_and_subclass():
    m = Message.from_dict(ALL_KINDS)
    assert copy.deepcopy(m) == m and copy.copy(m) == m
    assert pickle.loads(pickle.dumps(m)) == m

    class Tagged(Message):
        __slots__ = ()

    t = Tagged.from_dict(ALL_KINDS)
    assert type(t) is Tagged and t.content == m.content


def test_decoded_message_equals_and_reprs_like_built():
    m = Message.from_dict({"role": "user", "content": [{"type": "text", "text": "hi"}]})
    assert m == Message(role="user", content=(TextBlock(text="hi"),))
    assert repr(m) == (
        "Message(role='user', content=(TextBlock(text='hi'),), reasoning_content=None)"
    )


def test_long_message_lists_restore_the_gc_state():
    import gc

    from a3s_store.records import SessionData
    from a3s_store.records._decode import GC_PAUSE_MIN, decode_messages

    items = [{"role": "user", "content": [{"type": "text", "text": str(i)}]}
             for i in range(GC_PAUSE_MIN + 1)]
    assert gc.isenabled()
    assert len(decode_messages(items)) == GC_PAUSE_MIN + 1
    assert gc.isenabled()
    bad = list(items)
    bad[-1] = {"role": "user"}
    with pytest.raises(CorruptDataError) as info:
        decode_messages(bad)
    assert info.value.key == f"[{GC_PAUSE_MIN}].content" and gc.isenabled()
    gc.disable()
    try:
        decode_messages(items)
        assert not gc.isenabled()
    finally:
        gc.enable()
    session = SessionData(id="s", created_at=0, updated_at=0).to_dict()
    session["messages"] = items
    assert len(SessionData.from_dict(session).messages) == GC_PAUSE_MIN + 1
