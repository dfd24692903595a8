"""Chat messages and their content blocks (Rust ``crate::llm``).

A :class:`Message` is an immutable value: ``role``, a tuple of content
blocks, and the optional ``reasoning_content``. Messages and blocks are
hashable (opaque values such as ``input`` and ``extra`` are left out of the
hash, not out of ``==``). Blocks are tagged by
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

Decoding lives in :mod:`._decode` (the hot path of every session load),
which imports these classes; ``from_dict`` imports it when first called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union, final

from ..errors import InvalidDataError
from ._keys import check_extra, field_error, merge_extra, read_error

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
    extra: dict[str, Any] = field(default_factory=dict, repr=False, hash=False)

    def __post_init__(self) -> None:
        _need_str(self.source_type, "type")
        _need_str(self.media_type, "media_type")
        _need_str(self.data, "data")
        check_extra(self.extra, _SOURCE_KEYS)

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"type", "media_type", "data"}`` plus unknown keys."""
        out = {"type": self.source_type, "media_type": self.media_type, "data": self.data}
        return merge_extra(out, self.extra, _SOURCE_KEYS) if self.extra else out

    @classmethod
    def from_dict(cls, data: Any) -> ImageSource:
        """Build from decoded JSON; :class:`CorruptDataError` if bad."""
        from . import _decode  # decoding imports these classes: import it late
        return _decode.image_source(data)


@final  # exact types: the codecs dispatch on type(block)
@dataclass(slots=True, kw_only=True, frozen=True)
class TextBlock:
    """``{"type": "text", "text": ...}``."""

    text: str
    extra: dict[str, Any] = field(default_factory=dict, repr=False, hash=False)

    def __post_init__(self) -> None:
        _need_str(self.text, "text")
        check_extra(self.extra, _TEXT_KEYS)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object of this block."""
        out = {"type": "text", "text": self.text}
        return merge_extra(out, self.extra, _TEXT_KEYS) if self.extra else out

    @classmethod
    def from_dict(cls, data: Any) -> TextBlock:
        """Build from decoded JSON; :class:`CorruptDataError` if bad."""
        from . import _decode  # decoding imports these classes: import it late
        return _decode.typed(data, "text")

    @property
    def type(self) -> str:
        """The JSON tag, ``"text"``."""
        return "text"


@final  # exact types: the codecs dispatch on type(block)
@dataclass(slots=True, kw_only=True, frozen=True)
class ImageBlock:
    """``{"type": "image", "source": {...}}``."""

    source: ImageSource
    extra: dict[str, Any] = field(default_factory=dict, repr=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.source, ImageSource):
            raise InvalidDataError(
                f"expected an ImageSource, got {type(self.source).__name__}", key="source"
            )
        check_extra(self.extra, _IMAGE_KEYS)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object of this block."""
        out = {"type": "image", "source": self.source.to_dict()}
        return merge_extra(out, self.extra, _IMAGE_KEYS) if self.extra else out

    @classmethod
    def from_dict(cls, data: Any) -> ImageBlock:
        """Build from decoded JSON; :class:`CorruptDataError` if bad."""
        from . import _decode  # decoding imports these classes: import it late
        return _decode.typed(data, "image")

    @property
    def type(self) -> str:
        """The JSON tag, ``"image"``."""
        return "image"


@final  # exact types: the codecs dispatch on type(block)
@dataclass(slots=True, kw_only=True, frozen=True)
class ToolUseBlock:
    """``{"type": "tool_use", "id", "name", "input"}``; ``input`` is opaque
    JSON (usually an object), kept as given."""

    id: str
    name: str
    input: Any = field(default_factory=dict, hash=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False, hash=False)

    def __post_init__(self) -> None:
        _need_str(self.id, "id")
        _need_str(self.name, "name")
        check_extra(self.extra, _TOOL_USE_KEYS)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object of this block."""
        out = {"type": "tool_use", "id": self.id, "name": self.name, "input": self.input}
        return merge_extra(out, self.extra, _TOOL_USE_KEYS) if self.extra else out

    @classmethod
    def from_dict(cls, data: Any) -> ToolUseBlock:
        """Build from decoded JSON; :class:`CorruptDataError` if bad."""
        from . import _decode  # decoding imports these classes: import it late
        return _decode.typed(data, "tool_use")

    @property
    def type(self) -> str:
        """The JSON tag, ``"tool_use"``."""
        return "tool_use"


@final  # exact types: the codecs dispatch on type(block)
@dataclass(slots=True, kw_only=True, frozen=True)
class ToolResultBlock:
    """``{"type": "tool_result", "tool_use_id", "content", "is_error"}``.

    ``content`` is a string, or a tuple of :class:`TextBlock` /
    :class:`ImageBlock` items (:class:`UnknownBlock` for other types); a
    list given to the constructor is stored as a tuple. ``is_error`` None is
    written as ``null``.
    """

    tool_use_id: str
    #: A string, or the items (any sequence given; a tuple once built).
    content: str | Sequence[TextBlock | ImageBlock | UnknownBlock] = ""
    is_error: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, hash=False)

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

    def to_dict(self) -> dict[str, Any]:
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
        from . import _decode  # decoding imports these classes: import it late
        return _decode.typed(data, "tool_result")

    @property
    def type(self) -> str:
        """The JSON tag, ``"tool_result"``."""
        return "tool_result"


@final  # exact types: the codecs dispatch on type(block)
@dataclass(slots=True, kw_only=True, frozen=True)
class UnknownBlock:
    """A block whose ``type`` this version does not know, kept verbatim.

    ``data`` is the whole JSON object (including ``"type"``).
    """

    data: dict[str, Any] = field(hash=False)

    def __post_init__(self) -> None:
        if type(self.data) is not dict or not isinstance(self.data.get("type"), str):
            raise InvalidDataError("expected a dict with a string 'type'", key="data")

    def to_dict(self) -> dict[str, Any]:
        """Return (a shallow copy of) the object as read."""
        return dict(self.data)

    @classmethod
    def from_dict(cls, data: Any) -> UnknownBlock:
        """Keep ``data`` (an object with a string ``type``) as it is."""
        if type(data) is not dict:
            raise read_error("an object", data)
        if type(data.get("type")) is not str:
            raise field_error(data, "type", "a string")
        from . import _decode  # decoding imports these classes: import it late
        return _decode.unknown(data)

    @property
    def type(self) -> str:
        """The JSON tag as read."""
        tag: str = self.data["type"]  # checked to be a str when built
        return tag


# A typing.Union, as released (X | Y would be another runtime object)
ContentBlock = Union[TextBlock, ImageBlock, ToolUseBlock, ToolResultBlock, UnknownBlock]  # noqa: UP007
_BLOCK_CLASSES = (TextBlock, ImageBlock, ToolUseBlock, ToolResultBlock, UnknownBlock)


@dataclass(slots=True, kw_only=True, frozen=True)
class Message:
    """One chat message: ``role``, ``content`` blocks, ``reasoning_content``.

    ``role`` is free text (``"user"``/``"assistant"``; tool results travel
    as ``"user"``). ``content`` is stored as a tuple. ``reasoning_content``
    is omitted from the JSON when None.
    """

    role: str
    #: The blocks (any sequence given, e.g. a list; a tuple once built).
    content: Sequence[ContentBlock] = ()
    reasoning_content: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, hash=False)

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

    def to_dict(self) -> dict[str, Any]:
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
        from . import _decode  # decoding imports these classes: import it late
        message = _decode.message(data)
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

