"""``api_key`` never reaches disk through any path of the store: every byte is scanned."""

from __future__ import annotations

import json
import os

import pytest

import factories as f
from a3s_store import FileSessionStore, LlmConfigData, SessionSnapshot

SECRET = "sk-THISISASECRETKEY0123456789"


def _every_byte(root) -> bytes:
    """The contents of every file under ``root``, and every name, concatenated."""
    out = []
    for dirpath, dirs, files in os.walk(root):
        out += [n.encode("utf-8", "surrogateescape") for n in dirs + files]
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as fh:
                out.append(fh.read())
    return b"\0".join(out)


def _assert_no_secret(root) -> None:
    data = _every_byte(root)
    for form in (SECRET.encode(), SECRET.encode("utf-16-le"), SECRET[3:].lower().encode()):
        assert form not in data


def _with_key(session_id: str) -> dict:
    d = f.session_dict(session_id)
    d["model_name"] = "openai/gpt-4o"
    d["llm_config"] = {"provider": "openai", "model": "gpt-4o", "api_key": SECRET,
                       "base_url": None}
    return d


def test_a_session_read_with_an_api_key_is_saved_without_it_through_every_path(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root, durable=False)
    # Hand-edited files holding a key: two at a3s-code's names ("a/b" is at
    # a_b.json), one at the escaped name older versions of this package gave
    # "c/d" (a save moves it to a3s-code's name).
    os.makedirs(root, exist_ok=True)
    (root / "hand.json").write_text(json.dumps(_with_key("hand"), indent=2))
    (root / "a_b.json").write_text(json.dumps(_with_key("a/b"), indent=2))
    (root / "%c%2Fd.json").write_text(json.dumps(_with_key("c/d"), indent=2))
    hand = store.load("hand")
    assert hand.llm_config.api_key == SECRET  # read, as a3s-code reads it
    revision = store.save(hand, expected_revision=hand.revision)
    store.save_snapshot(SessionSnapshot(session=store.load("a/b"), trace_events=[
        f.trace_event()]))
    # Saving only side data moves the old file to a3s-code's name: the copy
    # must not carry the key either (regression: it was copied byte for byte).
    store.save_trace_events("c/d", [f.trace_event()])
    store.save_artifacts("c/d", f.artifact_store())
    # Built in code, with a key set.
    built = f.session("built")
    built.llm_config = LlmConfigData(provider="openai", model="gpt-4o", api_key=SECRET)
    store.save(built)
    store.save_snapshot(SessionSnapshot(session=built, run_records=[f.run_record("built")]))
    store.save_loop_checkpoint("r", f.loop_checkpoint("r", "built"))
    assert store.load("hand").revision == revision
    assert not (root / "%c%2Fd.json").exists() and (root / "c_d.json").exists()
    assert {s.id for s in store.list_summaries()} == {"hand", "a/b", "c/d", "built"}
    for sid in ("hand", "a/b", "c/d", "built"):
        loaded = store.load(sid)
        assert loaded.llm_config.provider == "openai" and loaded.llm_config.api_key is None
    _assert_no_secret(root)


ENDPOINT = "https://private-endpoint.example/v1"


def test_the_persistence_helper_never_writes_an_api_key_or_a_base_url(tmp_path):
    resume = pytest.importorskip("a3s_store.resume", reason="the persistence helper is not "
                                 "merged yet")
    from a3s_store import AgentSession, SessionOptions

    root = tmp_path / "store"
    store = FileSessionStore(root, durable=False)
    os.makedirs(root, exist_ok=True)
    hand = _with_key("hand")
    hand["llm_config"]["base_url"] = ENDPOINT + "/hand"
    (root / "hand.json").write_text(json.dumps(hand, indent=2))
    live = resume.resume_session(store, "hand", SessionOptions(api_key=SECRET + "2",
                                                                base_url=ENDPOINT + "/2"))
    live.save()
    fresh = AgentSession.from_options(SessionOptions(model="openai/gpt-4o", api_key=SECRET,
                                                     base_url=ENDPOINT), store=store)
    fresh.save()
    data = _every_byte(root)
    for form in (SECRET, ENDPOINT, "private-endpoint"):
        assert form.encode() not in data
    assert store.load("hand").llm_config.base_url is None
