"""Chat messages and their content blocks (Rust ``crate::llm``).

A :class:`Message` is an immutable value: ``role``, a tuple of content
blocks, and the optional ``reasoning_content``. Blocks are tagged by
``"type"`` in JSON: :class:`TextBlock` (``text``), :class:`ImageBlock`
(``image``), :class:`ToolUseBlock` (``tool_use``) and
:class:`ToolResultBlock` (``tool_result``). A block of any other type is kept
verbatim as an :class:`UnknownBlock`, so files from newer builds still load
and are written back unchanged (a 3.4 Rust reader refuses them).

>>> m = Message(role="user", content=[TextBlock(text="Hello")])
>>> m.content
(TextBlock(text='Hello'),)
>>> m.to_dict()
{'role': 'user', 'content': [{'type': 'text', 'text': 'Hello'}]}
>>> Message.from_dict(m.to_dict()) == m
True

Decoding is on the hot path of every session load (a session may hold
10,000 messages), so the decoders below check exact types and build the
frozen instances through a plain slotted twin class whose ``__class__`` is
then switched (about 2.5x faster than the frozen dataclass ``__init__``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from ..errors import CorruptDataError, InvalidDataError
from ._fields import MISSING, Conv, check_extra, field_error, merge_extra, nest, read_error

__all__ = [
    "ContentBlock",
    "ImageBlock",
    "ImageSource",
    "Message",
    "TextBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "UnknownBlock",
]

_setattr = object.__setattr__


def _need_str(value: object, key: str, optional: bool = False) -> None:
    if type(value) is not str and not isinstance(value, str):
        if optional and value is None:
            return
        raise InvalidDataError(f"expected a string, got {type(value).__name__}", key=key)


@dataclass(slots=True, kw_only=True, frozen=True)
class ImageSource:
    """Where an image's bytes are: ``{"type", "media_type", "data"}``.

    ``source_type`` is the JSON ``type`` key (``"base64"`` in practice).
    """

    source_type: str = "base64"
    media_type: str
    data: str
    extra: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        _need_str(self.source_type, "type")
        _need_str(self.media_type, "media_type")
        _need_str(self.data, "data")
        check_extra(self.extra, _SOURCE_KEYS)

    def to_dict(self) -> dict:
        """Return ``{"type", "media_type", "data"}`` plus unknown keys."""
        out = {"type": self.source_type, "media_type": self.media_type, "data": self.data}
        return merge_extra(out, self.extra, _SOURCE_KEYS) if self.extra else out

    @classmethod
    def from_dict(cls, data: Any) -> ImageSource:
        """Build from decoded JSON; :class:`CorruptDataError` if bad."""
        return _image_source(data)


@dataclass(slots=True, kw_only=True, frozen=True)
class TextBlock:
    """``{"type": "text", "text": ...}``."""

    text: str
    extra: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        _need_str(self.text, "text")
        check_extra(self.extra, _TEXT_KEYS)

    def to_dict(self) -> dict:
        """Return the JSON object of this block."""
        out = {"type": "text", "text": self.text}
        return merge_extra(out, self.extra, _TEXT_KEYS) if self.extra else out

    @classmethod
    def from_dict(cls, data: Any) -> TextBlock:
        """Build from decoded JSON; :class:`CorruptDataError` if bad."""
        return _typed(data, "text", _text)

    @property
    def type(self) -> str:
        """The JSON tag, ``"text"``."""
        return "text"


@dataclass(slots=True, kw_only=True, frozen=True)
class ImageBlock:
    """``{"type": "image", "source": {...}}``."""

    source: ImageSource
    extra: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.source, ImageSource):
            raise InvalidDataError(
                f"expected an ImageSource, got {type(self.source).__name__}", key="source"
            )
        check_extra(self.extra, _IMAGE_KEYS)

    def to_dict(self) -> dict:
        """Return the JSON object of this block."""
        out = {"type": "image", "source": self.source.to_dict()}
        return merge_extra(out, self.extra, _IMAGE_KEYS) if self.extra else out

    @classmethod
    def from_dict(cls, data: Any) -> ImageBlock:
        """Build from decoded JSON; :class:`CorruptDataError` if bad."""
        return _typed(data, "image", _image)

    @property
    def type(self) -> str:
        """The JSON tag, ``"image"``."""
        return "image"


@dataclass(slots=True, kw_only=True, frozen=True)
class ToolUseBlock:
    """``{"type": "tool_use", "id", "name", "input"}``; ``input`` is opaque
    JSON (usually an object), kept as given."""

    id: str
    name: str
    input: Any = field(default_factory=dict)
    extra: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        _need_str(self.id, "id")
        _need_str(self.name, "name")
        check_extra(self.extra, _TOOL_USE_KEYS)

    def to_dict(self) -> dict:
        """Return the JSON object of this block."""
        out = {"type": "tool_use", "id": self.id, "name": self.name, "input": self.input}
        return merge_extra(out, self.extra, _TOOL_USE_KEYS) if self.extra else out

    @classmethod
    def from_dict(cls, data: Any) -> ToolUseBlock:
        """Build from decoded JSON; :class:`CorruptDataError` if bad."""
        return _typed(data, "tool_use", _tool_use)

    @property
    def type(self) -> str:
        """The JSON tag, ``"tool_use"``."""
        return "tool_use"


@dataclass(slots=True, kw_only=True, frozen=True)
class ToolResultBlock:
    """``{"type": "tool_result", "tool_use_id", "content", "is_error"}``.

    ``content`` is a string, or a tuple of :class:`TextBlock` /
    :class:`ImageBlock` items (:class:`UnknownBlock` for other types); a
    list given to the constructor is stored as a tuple. ``is_error`` None is
    written as ``null``.
    """

    tool_use_id: str
    content: str | tuple = ""
    is_error: bool | None = None
    extra: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        _need_str(self.tool_use_id, "tool_use_id")
        content = self.content
        if not isinstance(content, str):
            if not isinstance(content, (list, tuple)):
                raise InvalidDataError(
                    f"expected a string or a list of items, got {type(content).__name__}",
                    key="content",
                )
            content = tuple(content)
            for index, item in enumerate(content):
                if not isinstance(item, (TextBlock, ImageBlock, UnknownBlock)):
                    raise InvalidDataError(
                        f"expected a TextBlock, ImageBlock or UnknownBlock, "
                        f"got {type(item).__name__}",
                        key=f"content[{index}]",
                    )
            _setattr(self, "content", content)
        if self.is_error is not None and type(self.is_error) is not bool:
            raise InvalidDataError("expected a boolean or None", key="is_error")
        check_extra(self.extra, _TOOL_RESULT_KEYS)

    def to_dict(self) -> dict:
        """Return the JSON object of this block."""
        content = self.content
        out = {
            "type": "tool_result",
            "tool_use_id": self.tool_use_id,
            "content": content if isinstance(content, str) else [c.to_dict() for c in content],
            "is_error": self.is_error,
        }
        return merge_extra(out, self.extra, _TOOL_RESULT_KEYS) if self.extra else out

    @classmethod
    def from_dict(cls, data: Any) -> ToolResultBlock:
        """Build from decoded JSON; :class:`CorruptDataError` if bad."""
        return _typed(data, "tool_result", _tool_result)

    @property
    def type(self) -> str:
        """The JSON tag, ``"tool_result"``."""
        return "tool_result"


@dataclass(slots=True, kw_only=True, frozen=True)
class UnknownBlock:
    """A block whose ``type`` this version does not know, kept verbatim.

    ``data`` is the whole JSON object (including ``"type"``).
    """

    data: dict

    def __post_init__(self) -> None:
        if type(self.data) is not dict or not isinstance(self.data.get("type"), str):
            raise InvalidDataError("expected a dict with a string 'type'", key="data")

    def to_dict(self) -> dict:
        """Return (a shallow copy of) the object as read."""
        return dict(self.data)

    @classmethod
    def from_dict(cls, data: Any) -> UnknownBlock:
        """Keep ``data`` (an object with a string ``type``) as it is."""
        if type(data) is not dict:
            raise read_error("an object", data)
        if type(data.get("type")) is not str:
            raise field_error(data, "type", "a string")
        return _unknown(data)

    @property
    def type(self) -> str:
        """The JSON tag as read."""
        return self.data["type"]


ContentBlock = Union[TextBlock, ImageBlock, ToolUseBlock, ToolResultBlock, UnknownBlock]
_BLOCK_CLASSES = (TextBlock, ImageBlock, ToolUseBlock, ToolResultBlock, UnknownBlock)


@dataclass(slots=True, kw_only=True, frozen=True)
class Message:
    """One chat message: ``role``, ``content`` blocks, ``reasoning_content``.

    ``role`` is free text (``"user"``/``"assistant"``; tool results travel
    as ``"user"``). ``content`` is stored as a tuple. ``reasoning_content``
    is omitted from the JSON when None.
    """

    role: str
    content: tuple = ()
    reasoning_content: str | None = None
    extra: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        _need_str(self.role, "role")
        content = self.content
        if type(content) is not tuple:
            if not isinstance(content, (list, tuple)):
                raise InvalidDataError(
                    f"expected a list of content blocks, got {type(content).__name__}",
                    key="content",
                )
            content = tuple(content)
            _setattr(self, "content", content)
        for index, block in enumerate(content):
            if not isinstance(block, _BLOCK_CLASSES):
                raise InvalidDataError(
                    f"expected a content block, got {type(block).__name__}",
                    key=f"content[{index}]",
                )
        _need_str(self.reasoning_content, "reasoning_content", optional=True)
        check_extra(self.extra, _MESSAGE_KEYS)

    def to_dict(self) -> dict:
        """Return the JSON object of this message."""
        out = {"role": self.role, "content": [b.to_dict() for b in self.content]}
        if self.reasoning_content is not None:
            out["reasoning_content"] = self.reasoning_content
        return merge_extra(out, self.extra, _MESSAGE_KEYS) if self.extra else out

    @classmethod
    def from_dict(cls, data: Any) -> Message:
        """Build from decoded JSON.

        :raises CorruptDataError: a missing or mistyped key; ``key`` is the
            path inside the message, e.g. ``content[0].text``.
        """
        message = _message(data)
        if cls is not Message:
            return cls(
                role=message.role,
                content=message.content,
                reasoning_content=message.reasoning_content,
                extra=message.extra,
            )
        return message


_SOURCE_KEYS = frozenset({"type", "media_type", "data"})
_TEXT_KEYS = frozenset({"type", "text"})
_IMAGE_KEYS = frozenset({"type", "source"})
_TOOL_USE_KEYS = frozenset({"type", "id", "name", "input"})
_TOOL_RESULT_KEYS = frozenset({"type", "tool_use_id", "content", "is_error"})
_MESSAGE_KEYS = frozenset({"role", "content", "reasoning_content"})


# ------------------------------------------------------------- fast decode
#
# Each ``_Xb`` twin has exactly the slots of its frozen class, so an
# instance can be filled with plain attribute stores and then become the
# frozen class by ``__class__`` assignment.


def _twin(cls: type) -> type:
    return type(f"_{cls.__name__}Builder", (), {"__slots__": cls.__slots__})


_new = object.__new__
_SourceB = _twin(ImageSource)
_TextB = _twin(TextBlock)
_ImageB = _twin(ImageBlock)
_ToolUseB = _twin(ToolUseBlock)
_ToolResultB = _twin(ToolResultBlock)
_UnknownB = _twin(UnknownBlock)
_MessageB = _twin(Message)


def _extra(data: dict, known: frozenset) -> dict:
    return {k: v for k, v in data.items() if k not in known}


def _first_missing(data: dict, keys: tuple) -> CorruptDataError:
    for key in keys:
        if key not in data:
            return CorruptDataError("missing required key", key=key)
    return CorruptDataError("missing required key")  # pragma: no cover


def _locate(err: CorruptDataError, items: list, decode: Any, prefix: str) -> CorruptDataError:
    """Find which item of ``items`` fails and prefix the error with it."""
    for index, item in enumerate(items):
        try:
            decode(item)
        except CorruptDataError as again:
            return nest(again, f"{prefix}[{index}]")
    return nest(err, prefix)


def _image_source(data: Any) -> ImageSource:
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
    return s  # type: ignore[return-value]


def _text(data: dict) -> TextBlock:
    text = data.get("text", MISSING)
    if type(text) is not str:
        raise field_error(data, "text", "a string")
    b = _new(_TextB)
    b.text = text
    b.extra = {} if len(data) == 2 else _extra(data, _TEXT_KEYS)
    b.__class__ = TextBlock
    return b  # type: ignore[return-value]


def _image(data: dict) -> ImageBlock:
    if "source" not in data:
        raise CorruptDataError("missing required key", key="source")
    try:
        source = _image_source(data["source"])
    except CorruptDataError as err:
        raise nest(err, "source")
    b = _new(_ImageB)
    b.source = source
    b.extra = {} if len(data) == 2 else _extra(data, _IMAGE_KEYS)
    b.__class__ = ImageBlock
    return b  # type: ignore[return-value]


def _tool_use(data: dict) -> ToolUseBlock:
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
    return b  # type: ignore[return-value]


def _tool_result(data: dict) -> ToolResultBlock:
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
    return b  # type: ignore[return-value]


def _unknown(data: dict) -> UnknownBlock:
    b = _new(_UnknownB)
    b.data = data
    b.__class__ = UnknownBlock
    return b  # type: ignore[return-value]


_BLOCK_DECODERS = {
    "text": _text,
    "image": _image,
    "tool_use": _tool_use,
    "tool_result": _tool_result,
}
_ITEM_DECODERS = {"text": _text, "image": _image}


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
            return decode(data) if decode is not None else _unknown(data)
        raise field_error(data, "type", "a string")
    raise read_error("an object", data)


def _result_item(data: Any) -> Any:
    if type(data) is dict:
        kind = data.get("type")
        if type(kind) is str:
            decode = _ITEM_DECODERS.get(kind)
            return decode(data) if decode is not None else _unknown(data)
        raise field_error(data, "type", "a string")
    raise read_error("an object", data)


def _typed(data: Any, kind: str, decode: Any) -> Any:
    """``Block.from_dict``: an object whose ``type`` is ``kind``."""
    if type(data) is not dict:
        raise read_error("an object", data)
    if data.get("type") != kind:
        raise CorruptDataError(
            f"expected a {kind!r} block, found type {data.get('type')!r}", key="type"
        )
    return decode(data)


def _message(data: Any) -> Message:
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
        if len(content) == 1:
            blocks: tuple = (_block(content[0]),)
        else:
            blocks = tuple(map(_block, content))
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
    return m  # type: ignore[return-value]


def decode_messages(items: Any) -> list:
    """Decode a JSON array of messages; errors name ``[i]...`` (internal)."""
    if type(items) is not list:
        raise read_error("an array of messages", items)
    try:
        return [_message(item) for item in items]
    except CorruptDataError as err:
        raise _locate(err, items, _message, "")


def _message_dict(message: Any) -> dict:
    if type(message) is not Message and not isinstance(message, Message):
        raise InvalidDataError(f"expected a Message, got {type(message).__name__}")
    return message.to_dict()


def encode_messages(messages: Any) -> list:
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

    def read(self, value: Any) -> list:
        return decode_messages(value)

    def write(self, value: Any) -> list:
        return encode_messages(value)
