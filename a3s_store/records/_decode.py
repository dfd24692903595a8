# mypy: disable-error-code="no-any-return"
# (each decoder builds its record through an untyped twin, then switches the
# class: what it returns is the declared type; see the docstring)
"""Fast decoding of messages and content blocks (internal).

Decoding is on the hot path of every session load (a session may hold
10,000 messages), so these decoders check exact types (``type(x) is str``),
test for unknown keys by counting them, dispatch blocks on ``type`` through
a dict, and build the frozen instances through a plain slotted "twin" class
whose ``__class__`` is then switched: about 2.5x faster than the frozen
dataclass ``__init__`` (which goes through ``object.__setattr__``), and the
twin has exactly the frozen class's slots, so the result is an ordinary
instance. Errors are located (``content[2].text``) only once something
failed, so the happy path pays nothing for them.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any, Literal, overload

from ..errors import CorruptDataError, InvalidDataError
from ._fields import Conv
from ._keys import MISSING, field_error, nest, read_error
from .messages import (
    _IMAGE_KEYS,
    _MESSAGE_KEYS,
    _SOURCE_KEYS,
    _TEXT_KEYS,
    _TOOL_RESULT_KEYS,
    _TOOL_USE_KEYS,
    ContentBlock,
    ImageBlock,
    ImageSource,
    Message,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UnknownBlock,
)


def _twin(cls: type) -> type:
    slots: tuple[str, ...] = getattr(cls, "__slots__")  # noqa: B009 (type has no __slots__ statically)
    return type(f"_{cls.__name__}Builder", (), {"__slots__": slots})


# The twins are built untyped; the instances they become are the frozen classes.
_new: Callable[[type], Any] = object.__new__
_SourceB = _twin(ImageSource)
_TextB = _twin(TextBlock)
_ImageB = _twin(ImageBlock)
_ToolUseB = _twin(ToolUseBlock)
_ToolResultB = _twin(ToolResultBlock)
_UnknownB = _twin(UnknownBlock)
_MessageB = _twin(Message)


def _extra(data: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in known}


def _first_missing(data: dict[str, Any], keys: tuple[str, ...]) -> CorruptDataError:
    for key in keys:
        if key not in data:
            return CorruptDataError("missing required key", key=key)
    return CorruptDataError("missing required key")  # pragma: no cover


def _locate(err: CorruptDataError, items: list[Any], decode: Callable[[Any], object],
            prefix: str) -> CorruptDataError:
    """Find which item of ``items`` fails and prefix the error with it."""
    for index, item in enumerate(items):
        try:
            decode(item)
        except CorruptDataError as again:
            return nest(again, f"{prefix}[{index}]")
    return nest(err, prefix)


def image_source(data: Any) -> ImageSource:
    if type(data) is not dict:
        raise read_error("an object", data)
    kind = data.get("type", MISSING)
    media_type = data.get("media_type", MISSING)
    payload = data.get("data", MISSING)
    if type(kind) is not str:
        raise field_error(data, "type", "a string")
    if type(media_type) is not str:
        raise field_error(data, "media_type", "a string")
    if type(payload) is not str:
        raise field_error(data, "data", "a string")
    s = _new(_SourceB)
    s.source_type = kind
    s.media_type = media_type
    s.data = payload
    s.extra = {} if len(data) == 3 else _extra(data, _SOURCE_KEYS)
    s.__class__ = ImageSource
    return s


def _text(data: dict[str, Any]) -> TextBlock:
    text = data.get("text", MISSING)
    if type(text) is not str:
        raise field_error(data, "text", "a string")
    b = _new(_TextB)
    b.text = text
    b.extra = {} if len(data) == 2 else _extra(data, _TEXT_KEYS)
    b.__class__ = TextBlock
    return b


def _image(data: dict[str, Any]) -> ImageBlock:
    if "source" not in data:
        raise CorruptDataError("missing required key", key="source")
    try:
        source = image_source(data["source"])
    except CorruptDataError as err:
        raise nest(err, "source")
    b = _new(_ImageB)
    b.source = source
    b.extra = {} if len(data) == 2 else _extra(data, _IMAGE_KEYS)
    b.__class__ = ImageBlock
    return b


def _tool_use(data: dict[str, Any]) -> ToolUseBlock:
    try:
        ident = data["id"]
        name = data["name"]
        tool_input = data["input"]
    except KeyError:
        raise _first_missing(data, ("id", "name", "input")) from None
    if type(ident) is not str:
        raise read_error("a string", ident, "id")
    if type(name) is not str:
        raise read_error("a string", name, "name")
    b = _new(_ToolUseB)
    b.id = ident
    b.name = name
    b.input = tool_input
    b.extra = {} if len(data) == 4 else _extra(data, _TOOL_USE_KEYS)
    b.__class__ = ToolUseBlock
    return b


def _tool_result(data: dict[str, Any]) -> ToolResultBlock:
    try:
        tool_use_id = data["tool_use_id"]
        content = data["content"]
    except KeyError:
        raise _first_missing(data, ("tool_use_id", "content")) from None
    if type(tool_use_id) is not str:
        raise read_error("a string", tool_use_id, "tool_use_id")
    if type(content) is not str:
        if type(content) is not list:
            raise read_error("a string or an array of text/image items", content, "content")
        try:
            content = tuple(map(_result_item, content))
        except CorruptDataError as err:
            raise _locate(err, content, _result_item, "content")
    is_error = data.get("is_error")
    if is_error is not None and type(is_error) is not bool:
        raise read_error("a boolean or null", is_error, "is_error")
    n = len(data)
    b = _new(_ToolResultB)
    b.tool_use_id = tool_use_id
    b.content = content
    b.is_error = is_error
    if n == 4 and (is_error is not None or "is_error" in data):
        b.extra = {}
    else:
        b.extra = {} if n == 3 and "is_error" not in data else _extra(data, _TOOL_RESULT_KEYS)
    b.__class__ = ToolResultBlock
    return b


def unknown(data: dict[str, Any]) -> UnknownBlock:
    b = _new(_UnknownB)
    b.data = data
    b.__class__ = UnknownBlock
    return b


_BLOCK_DECODERS: dict[str, Callable[[dict[str, Any]], ContentBlock]] = {
    "text": _text,
    "image": _image,
    "tool_use": _tool_use,
    "tool_result": _tool_result,
}
_ITEM_DECODERS: dict[str, Callable[[dict[str, Any]], ContentBlock]] = {
    "text": _text, "image": _image}


def _block(data: Any) -> Any:
    if type(data) is dict:
        kind = data.get("type")
        if kind == "text" and len(data) == 2:  # the common case, inlined
            text = data.get("text")
            if type(text) is str:
                b = _new(_TextB)
                b.text = text
                b.extra = {}
                b.__class__ = TextBlock
                return b
        if type(kind) is str:
            decode = _BLOCK_DECODERS.get(kind)
            return decode(data) if decode is not None else unknown(data)
        raise field_error(data, "type", "a string")
    raise read_error("an object", data)


def _result_item(data: Any) -> Any:
    if type(data) is dict:
        kind = data.get("type")
        if type(kind) is str:
            decode = _ITEM_DECODERS.get(kind)
            return decode(data) if decode is not None else unknown(data)
        raise field_error(data, "type", "a string")
    raise read_error("an object", data)


@overload
def typed(data: Any, kind: Literal["text"]) -> TextBlock: ...
@overload
def typed(data: Any, kind: Literal["image"]) -> ImageBlock: ...
@overload
def typed(data: Any, kind: Literal["tool_use"]) -> ToolUseBlock: ...
@overload
def typed(data: Any, kind: Literal["tool_result"]) -> ToolResultBlock: ...


def typed(data: Any, kind: str) -> ContentBlock:
    """``XBlock.from_dict``: an object whose ``type`` is ``kind``."""
    if type(data) is not dict:
        raise read_error("an object", data)
    if data.get("type") != kind:
        raise CorruptDataError(
            f"expected a {kind!r} block, found type {data.get('type')!r}", key="type"
        )
    return _BLOCK_DECODERS[kind](data)


def message(data: Any) -> Message:
    if type(data) is not dict:
        raise read_error("an object", data)
    try:
        role = data["role"]
        content = data["content"]
    except KeyError:
        raise _first_missing(data, ("role", "content")) from None
    if type(role) is not str:
        raise read_error("a string", role, "role")
    if type(content) is not list:
        raise read_error("an array of content blocks", content, "content")
    try:
        count = len(content)
        if count == 1:
            blocks: tuple[ContentBlock, ...] = (_block(content[0]),)
        elif count == 2:
            blocks = (_block(content[0]), _block(content[1]))
        else:
            blocks = tuple([_block(item) for item in content])
    except CorruptDataError as err:
        raise _locate(err, content, _block, "content")
    if len(data) == 2:
        reasoning = None
        extra = {}
    else:
        reasoning = data.get("reasoning_content")
        if reasoning is not None and type(reasoning) is not str:
            raise read_error("a string or null", reasoning, "reasoning_content")
        known = 3 if "reasoning_content" in data else 2
        extra = {} if len(data) == known else _extra(data, _MESSAGE_KEYS)
    m = _new(_MessageB)
    m.role = role
    m.content = blocks
    m.reasoning_content = reasoning
    m.extra = extra
    m.__class__ = Message
    return m


#: Lists at least this long are decoded with the cyclic GC paused.
GC_PAUSE_MIN = 256


def decode_messages(items: Any) -> list[Message]:
    """Decode a JSON array of messages; errors name ``[i]...`` (internal).

    For a long list the cyclic garbage collector is paused while the
    messages are built: every object made here stays referenced, so the
    collections that the allocations would trigger (each walking the whole
    young, and now and then the whole old, generation, including the just
    parsed document) find nothing; skipping them halves the time. The
    pending collection runs once afterwards. The collector is re-enabled
    only if it was enabled on entry.
    """
    if type(items) is not list:
        raise read_error("an array of messages", items)
    paused = len(items) >= GC_PAUSE_MIN and gc.isenabled()
    if paused:
        gc.disable()
    try:
        return [message(item) for item in items]
    except CorruptDataError as err:
        raise _locate(err, items, message, "")
    finally:
        if paused:
            gc.enable()


def _message_dict(message: Any) -> dict[str, Any]:
    if type(message) is not Message and not isinstance(message, Message):
        raise InvalidDataError(f"expected a Message, got {type(message).__name__}")
    return message.to_dict()


def encode_messages(messages: Any) -> list[dict[str, Any]]:
    """The JSON array of a list of :class:`Message` (internal)."""
    if not isinstance(messages, (list, tuple)):
        raise InvalidDataError(f"expected a list of Message, got {type(messages).__name__}")
    try:
        return [_message_dict(m) for m in messages]
    except InvalidDataError as err:
        for index, m in enumerate(messages):
            try:
                _message_dict(m)
            except InvalidDataError as again:
                raise nest(again, f"[{index}]") from None
        raise err


class MessagesConv(Conv):
    """A JSON array of :class:`Message` for record schemas (internal)."""

    __slots__ = ()

    def read(self, value: Any) -> list[Message]:
        return decode_messages(value)

    def write(self, value: Any) -> list[dict[str, Any]]:
        return encode_messages(value)
