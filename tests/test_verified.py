"""Files another program wrote are checked by the strict parser once per version
(``_verified``): later loads of the same bytes take the fast parser."""

from __future__ import annotations

import json
import os
import pathlib

import pytest

import factories as f
from a3s_store import CorruptDataError, FileSessionStore, _json
from a3s_store._check import Checker


@pytest.fixture
def strict_flags(monkeypatch):
    """The ``strict`` flag of every decode of a session file."""
    flags: list = []
    real = _json.decode

    def spy(data, *, strict=True):
        if data[:20].lstrip().startswith(b'{\n  "id"'):
            flags.append(strict)
        return real(data, strict=strict)

    monkeypatch.setattr(_json, "decode", spy)
    return flags


def _written_by_a3s_code(root, session) -> str:
    """The session's file as another program writes it: plain bytes, no metadata,
    in a store (the store saved another session there)."""
    FileSessionStore(root).save(f.session("saved-by-the-store"))
    path = os.path.join(root, f"{session.id}.json")
    with open(path, "wb") as fh:
        fh.write(_json.encode_bytes(session.to_dict()))
    return path


def test_a_file_another_program_wrote_is_checked_strictly_once(tmp_path, strict_flags):
    root = str(tmp_path / "s")
    store = FileSessionStore(root)
    session = f.session(messages=4)
    _written_by_a3s_code(root, session)
    for _ in range(3):
        assert store.load(session.id).messages == session.messages
    assert FileSessionStore(root).load(session.id) == store.load(session.id)
    assert strict_flags == [True, False, False, False, False]


def test_a_changed_file_is_checked_again_and_refused_when_bad(tmp_path, strict_flags):
    root = str(tmp_path / "s")
    store = FileSessionStore(root)
    session = f.session(messages=2)
    path = _written_by_a3s_code(root, session)
    store.load(session.id)
    text = pathlib.Path(path).read_text(encoding="utf-8")
    with open(path, "w", encoding="utf-8") as fh:  # in place: the same inode
        fh.write(text.replace('"state": "Active"', '"state": "Active", "state": "Paused"'))
    with pytest.raises(CorruptDataError, match="duplicate key"):
        store.load(session.id)
    assert strict_flags == [True, True]


def _loaded_once(tmp_path) -> tuple[str, FileSessionStore, str, list[str]]:
    """A store holding a session another program wrote, loaded once: the root,
    the store, the session id and the paths of the records in the cache."""
    root = str(tmp_path / "s")
    store = FileSessionStore(root)
    session = f.session(messages=2)
    _written_by_a3s_code(root, session)
    store.load(session.id)
    cache = os.path.join(root, ".a3s_store", "cache")
    records = [os.path.join(cache, n) for n in os.listdir(cache) if n.startswith("verified-")]
    return root, store, session.id, records


def test_the_records_are_caches_verify_does_not_report(tmp_path):
    root, _, session_id, records = _loaded_once(tmp_path)
    assert len(records) == 1
    assert json.loads(pathlib.Path(records[0]).read_bytes())["file"] == f"{session_id}.json"
    assert [n for n in os.listdir(os.path.join(root, ".a3s_store")) if n.endswith(".tmp")] == []
    with Checker(root) as checker:
        assert checker.scan().problems == []


def test_a_record_for_another_file_or_a_damaged_one_is_not_trusted(tmp_path, strict_flags):
    _, store, session_id, (record,) = _loaded_once(tmp_path)
    doc = json.loads(pathlib.Path(record).read_bytes())
    for bad in (b"{", json.dumps({**doc, "file": "other.json"}).encode()):
        with open(record, "wb") as fh:
            fh.write(bad)
        store.load(session_id)
    assert strict_flags == [True, True, True]
