"""Tool artifacts and the bounded ``ArtifactStore`` that holds them.

The manifest ``artifacts/<id>/artifacts.json`` is ``{"artifacts": [...]}``
in insertion order. The store keeps at most ``max_artifacts`` items and
``max_bytes`` bytes of ``content`` (UTF-8), evicting the oldest first:

>>> store = ArtifactStore(max_artifacts=2)
>>> for n in range(3):
...     _ = store.put(ToolArtifact(artifact_id=f"a{n}", artifact_uri=f"u{n}",
...                                tool_name="bash", content="x", original_bytes=1,
...                                shown_bytes=1))
>>> [a.artifact_uri for a in store.artifacts()]
['u1', 'u2']

Unlike Rust's ``load_from_dir``, :meth:`ArtifactStore.from_dict` never
evicts: it raises the limits to what the manifest holds.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import CorruptDataError, InvalidDataError
from ._fields import STR, U64
from ._keys import check_extra, merge_extra, nest, read_error, split_extra
from ._schema import Field, Record, Schema

__all__ = [
    "DEFAULT_MAX_ARTIFACTS",
    "DEFAULT_MAX_ARTIFACT_BYTES",
    "ArtifactStore",
    "ToolArtifact",
]

#: Rust's default item limit of an artifact store.
DEFAULT_MAX_ARTIFACTS = 256
#: Rust's default byte limit (16 MiB of ``content``, UTF-8).
DEFAULT_MAX_ARTIFACT_BYTES = 16 * 1024 * 1024


@dataclass(slots=True, kw_only=True)
class ToolArtifact(Record):
    """The full output of a tool call, kept aside from the conversation."""

    artifact_id: str
    artifact_uri: str
    tool_name: str
    content: str
    original_bytes: int
    shown_bytes: int
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


ToolArtifact._schema = Schema(
    [
        Field("artifact_id", STR),
        Field("artifact_uri", STR),
        Field("tool_name", STR),
        Field("content", STR),
        Field("original_bytes", U64),
        Field("shown_bytes", U64),
    ]
)


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


_MANIFEST_KEYS = frozenset({"artifacts"})


class ArtifactStore:
    """Artifacts by URI, in insertion order, within count and byte limits.

    A deep :meth:`copy` is what a store should save and hand out: the Rust
    store is a shared handle, which made saved artifacts change with the
    live session (format.md §5 item 31).
    """

    __slots__ = ("max_artifacts", "max_bytes", "extra", "_items", "_sizes", "_total")

    def __init__(
        self,
        *,
        max_artifacts: int = DEFAULT_MAX_ARTIFACTS,
        max_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES,
        extra: dict[str, Any] | None = None,
    ) -> None:
        for name, value in (("max_artifacts", max_artifacts), ("max_bytes", max_bytes)):
            if type(value) is not int or value < 0:
                raise InvalidDataError(f"{name} must be a non-negative int, got {value!r}")
        self.max_artifacts = max_artifacts
        self.max_bytes = max_bytes
        #: Manifest keys this version does not know (e.g. ``retained_uris``).
        self.extra: dict[str, Any] = {} if extra is None else extra
        self._items: dict[str, ToolArtifact] = {}
        self._sizes: dict[str, int] = {}
        self._total = 0

    def put(self, artifact: ToolArtifact) -> list[ToolArtifact]:
        """Add ``artifact`` as the newest (replacing one with the same URI),
        then evict the oldest until both limits hold; return the evicted."""
        if not isinstance(artifact, ToolArtifact):
            raise InvalidDataError(f"expected a ToolArtifact, got {type(artifact).__name__}")
        uri = artifact.artifact_uri
        if not isinstance(uri, str) or not isinstance(artifact.content, str):
            raise InvalidDataError("artifact_uri and content must be strings")
        if uri in self._items:
            del self._items[uri]
            self._total -= self._sizes.pop(uri)
        size = _utf8_len(artifact.content)
        self._items[uri] = artifact
        self._sizes[uri] = size
        self._total += size
        evicted = []
        while self._items and (
            len(self._items) > self.max_artifacts or self._total > self.max_bytes
        ):
            oldest = next(iter(self._items))
            evicted.append(self._items.pop(oldest))
            self._total -= self._sizes.pop(oldest)
        return evicted

    def get(self, uri: str) -> ToolArtifact | None:
        """The artifact stored under ``uri``, or None."""
        return self._items.get(uri)

    def artifacts(self) -> list[ToolArtifact]:
        """All artifacts, oldest first."""
        return list(self._items.values())

    @property
    def total_bytes(self) -> int:
        """Sum of the UTF-8 lengths of every artifact's ``content``."""
        return self._total

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, uri: object) -> bool:
        return uri in self._items

    def __iter__(self) -> Iterator[ToolArtifact]:
        return iter(list(self._items.values()))

    def __eq__(self, other: object) -> bool:
        """Same artifacts in the same order and the same unknown keys
        (the limits are not compared)."""
        if not isinstance(other, ArtifactStore):
            return NotImplemented
        return self.artifacts() == other.artifacts() and self.extra == other.extra

    __hash__ = None  # type: ignore[assignment]  # mutable, equal by value: unhashable

    def __repr__(self) -> str:
        return (
            f"ArtifactStore({len(self)} artifacts, {self._total} bytes, "
            f"max_artifacts={self.max_artifacts}, max_bytes={self.max_bytes})"
        )

    def copy(self) -> ArtifactStore:
        """A deep copy (artifacts, unknown keys, limits)."""
        new = ArtifactStore(
            max_artifacts=self.max_artifacts,
            max_bytes=self.max_bytes,
            extra=_copy.deepcopy(self.extra),
        )
        for uri, artifact in self._items.items():
            new._items[uri] = _copy.deepcopy(artifact)
        new._sizes = dict(self._sizes)
        new._total = self._total
        return new

    def to_dict(self) -> dict[str, Any]:
        """The manifest ``{"artifacts": [...]}`` plus unknown manifest keys.

        :raises InvalidDataError: a bad artifact; ``key`` is
            ``artifacts[i].<key>``.
        """
        items = []
        for index, artifact in enumerate(self._items.values()):
            try:
                items.append(artifact.to_dict())
            except InvalidDataError as err:
                raise nest(err, f"artifacts[{index}]")
        out: dict[str, Any] = {"artifacts": items}
        if self.extra or type(self.extra) is not dict:
            check_extra(self.extra, _MANIFEST_KEYS)
            merge_extra(out, self.extra, _MANIFEST_KEYS)
        return out

    @classmethod
    def from_dict(cls, data: Any) -> ArtifactStore:
        """Load a manifest; the limits are raised to fit it, so nothing is
        evicted (Rust's loader silently dropped the oldest; §5 item 26).

        :raises CorruptDataError: a bad manifest; ``key`` names the value.
        """
        if type(data) is not dict:
            raise read_error("an object", data)
        if "artifacts" not in data:
            raise CorruptDataError("missing required key", key="artifacts")
        raw = data["artifacts"]
        if type(raw) is not list:
            raise read_error("an array", raw, "artifacts")
        artifacts = []
        for index, item in enumerate(raw):
            try:
                artifacts.append(ToolArtifact.from_dict(item))
            except CorruptDataError as err:
                raise nest(err, f"artifacts[{index}]")
        needed_bytes = sum(_utf8_len(a.content) for a in artifacts)
        store = cls(
            max_artifacts=max(DEFAULT_MAX_ARTIFACTS, len(artifacts)),
            max_bytes=max(DEFAULT_MAX_ARTIFACT_BYTES, needed_bytes),
            extra=split_extra(data, _MANIFEST_KEYS),
        )
        for artifact in artifacts:
            store.put(artifact)
        return store
