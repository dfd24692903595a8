"""ToolArtifact and ArtifactStore (format.md §2.9, §4.C 49-51, §5 item 26)."""

from __future__ import annotations

import pytest

from a3s_store._json import decode, encode
from a3s_store.errors import CorruptDataError, InvalidDataError
from a3s_store.records import (
    DEFAULT_MAX_ARTIFACT_BYTES,
    DEFAULT_MAX_ARTIFACTS,
    ArtifactStore,
    ToolArtifact,
)


def _artifact(uri: str, content: str = "x") -> ToolArtifact:
    return ToolArtifact(
        artifact_id=f"id:{uri}",
        artifact_uri=uri,
        tool_name="bash",
        content=content,
        original_bytes=len(content),
        shown_bytes=min(4, len(content)),
    )


def test_artifact_store_saves_and_loads_manifest():
    """artifacts::test_artifact_store_saves_and_loads_manifest (§4.C 49)."""
    store = ArtifactStore()
    store.put(_artifact("a3s://tool-output/test/abc", "full output"))
    manifest = encode(store.to_dict()).encode()
    loaded = ArtifactStore.from_dict(decode(manifest))
    assert loaded.get("a3s://tool-output/test/abc") == _artifact(
        "a3s://tool-output/test/abc", "full output"
    )
    assert loaded == store and len(loaded) == 1


def test_artifact_store_load_missing_manifest_returns_empty_store():
    """artifacts::test_artifact_store_load_missing_manifest_returns_empty_store
    (§4.C 50): the record-level equivalent is an empty manifest."""
    assert len(ArtifactStore.from_dict({"artifacts": []})) == 0
    assert ArtifactStore().to_dict() == {"artifacts": []}
    assert encode(ArtifactStore().to_dict()) == '{\n  "artifacts": []\n}'


def test_artifact_store_evicts_oldest_by_count():
    """artifacts::test_artifact_store_evicts_oldest_by_count (§4.C 51)."""
    store = ArtifactStore(max_artifacts=2, max_bytes=1024)
    evicted = []
    for index in range(3):
        evicted += store.put(_artifact(f"uri-{index}"))
    assert [a.artifact_uri for a in store.artifacts()] == ["uri-1", "uri-2"]
    assert store.get("uri-0") is None and [a.artifact_uri for a in evicted] == ["uri-0"]


def test_artifact_store_evicts_oldest_by_bytes():
    """artifacts::test_artifact_store_evicts_oldest_by_bytes (§4.C 51)."""
    store = ArtifactStore(max_artifacts=10, max_bytes=8)
    store.put(_artifact("a", "aaaa"))
    store.put(_artifact("b", "bbbbb"))
    assert store.get("a") is None and store.get("b") is not None
    assert store.total_bytes == 5


def test_artifact_store_replacing_artifact_updates_order_and_bytes():
    """artifacts::test_artifact_store_replacing_artifact_updates_order_and_bytes (§4.C 51)."""
    store = ArtifactStore(max_artifacts=10, max_bytes=1024)
    store.put(_artifact("a", "aaaa"))
    store.put(_artifact("b", "bb"))
    store.put(_artifact("a", "aaaa"))
    assert [a.artifact_uri for a in store.artifacts()] == ["b", "a"]
    assert store.total_bytes == 6


def test_bytes_are_utf8_lengths_and_a_too_large_artifact_evicts_itself():
    store = ArtifactStore(max_bytes=4)
    store.put(_artifact("e", "é"))  # 2 bytes in UTF-8
    assert store.total_bytes == 2
    evicted = store.put(_artifact("big", "12345"))
    assert len(store) == 0 and store.total_bytes == 0
    assert [a.artifact_uri for a in evicted] == ["e", "big"]


def test_from_dict_never_evicts():
    """format.md §5 item 26: Rust's loader truncated big manifests silently."""
    many = {"artifacts": [_artifact(f"u{i}").to_dict() for i in range(DEFAULT_MAX_ARTIFACTS + 5)]}
    store = ArtifactStore.from_dict(many)
    assert len(store) == DEFAULT_MAX_ARTIFACTS + 5
    assert store.max_artifacts == DEFAULT_MAX_ARTIFACTS + 5
    big = "x" * (DEFAULT_MAX_ARTIFACT_BYTES // 2 + 1)
    store = ArtifactStore.from_dict(
        {"artifacts": [_artifact("a", big).to_dict(), _artifact("b", big).to_dict()]}
    )
    assert len(store) == 2 and store.max_bytes >= 2 * len(big)
    # a big artifact replaced later in the manifest does not evict older ones
    store = ArtifactStore.from_dict(
        {"artifacts": [_artifact("old", big).to_dict(), _artifact("r", big).to_dict(),
                       _artifact("r", "small").to_dict()]}
    )
    assert [a.artifact_uri for a in store.artifacts()] == ["old", "r"]
    assert ArtifactStore.from_dict({"artifacts": []}).max_artifacts == DEFAULT_MAX_ARTIFACTS


def test_copy_is_deep():
    store = ArtifactStore(max_artifacts=7, extra={"retained_uris": ["a"]})
    store.put(_artifact("a"))
    clone = store.copy()
    assert clone == store and clone.max_artifacts == 7
    clone.get("a").content = "changed"  # type: ignore[union-attr]
    clone.extra["retained_uris"].append("b")
    clone.put(_artifact("b"))
    assert store.get("a").content == "x" and len(store) == 1  # type: ignore[union-attr]
    assert store.extra == {"retained_uris": ["a"]}


def test_manifest_errors():
    with pytest.raises(CorruptDataError) as info:
        ArtifactStore.from_dict({})
    assert info.value.key == "artifacts"
    with pytest.raises(CorruptDataError) as info:
        ArtifactStore.from_dict({"artifacts": [{"artifact_id": "x"}]})
    assert info.value.key == "artifacts[0].artifact_uri"
    bad = _artifact("a").to_dict()
    bad["shown_bytes"] = -1
    with pytest.raises(CorruptDataError) as info:
        ArtifactStore.from_dict({"artifacts": [_artifact("z").to_dict(), bad]})
    assert info.value.key == "artifacts[1].shown_bytes"
    store = ArtifactStore()
    store.put(_artifact("a"))
    store.get("a").original_bytes = None  # type: ignore[union-attr]
    with pytest.raises(InvalidDataError) as info:
        store.to_dict()
    assert info.value.key == "artifacts[0].original_bytes"
    with pytest.raises(InvalidDataError):
        store.put({"artifact_uri": "x"})  # type: ignore[arg-type]
    with pytest.raises(InvalidDataError):
        ArtifactStore(max_artifacts=-1)


def test_store_api():
    store = ArtifactStore()
    store.put(_artifact("a"))
    assert "a" in store and "b" not in store
    assert [a.artifact_uri for a in store] == ["a"]
    assert "1 artifacts" in repr(store)
    assert store != ArtifactStore() and store != 1
