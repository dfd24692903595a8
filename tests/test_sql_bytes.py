"""The SQL store keeps the file store's bytes.

* A message row is the message's document as serde_json pretty-prints it.
* The session file spliced from the rows is, byte for byte, the file the
  file store writes for the same session; so is every side file.
* A session copied from SQL into a folder is byte-identical to one the file
  store wrote, and a3s-code's layout holds it.
* The listed size of a session is the size of that file.

Sessions are generated from a seed (``A3S_SEED`` replays one).
"""

from __future__ import annotations

import json
import random

import factories as f
from a3s_store import (
    FileSessionStore,
    Message,
    SessionData,
    SessionSnapshot,
    _json,
    copy_store,
)
from a3s_store._components import SIDE
from a3s_store.sql import _rows
from crashkit import seed_from_env, visible

WORDS = ("tool", "é", "中文", "\u2028", "quote\"", "back\\slash", "tab\t", "nul\x00",
         "emoji \U0001F600", "<b>", "line\nbreak")


def random_message(rng: random.Random, i: int) -> dict:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
    kind = rng.randrange(5)
    if kind == 0:
        return {"role": "user", "content": [{"type": "text", "text": text}]}
    if kind == 1:
        return {"role": "assistant", "reasoning_content": text, "content": [
            {"type": "tool_use", "id": f"c{i}", "name": "bash",
             "input": {"cmd": text, "n": rng.choice([0, 1, -7, 2 ** 53, 1.5, 1e-7, 1e21,
                                                     True, None]),
                       "nested": {"list": [1, 2.0, "x", {}], "empty": []}}}]}
    if kind == 2:
        return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"c{i}",
                                             "content": text, "is_error": rng.random() < .2}]}
    if kind == 3:
        return {"role": "assistant", "future_key": {"x": [text]}, "content": [
            {"type": "thinking", "thinking": text, "signature": "s"}]}
    return {"role": "user", "content": []}


def random_snapshot(rng: random.Random, sid: str, n: int) -> SessionSnapshot:
    d = f.session_dict(sid, messages=0, name=rng.choice(WORDS))
    d["messages"] = [random_message(rng, i) for i in range(n)]
    d["total_cost"] = rng.choice([0.0, 0.1 + 0.2, 1e-9])
    d["model_name"] = rng.choice([None, "openai/gpt-4o"])
    d["unknown_top_level"] = {"kept": [1, "two"]}
    return SessionSnapshot(session=SessionData.from_dict(d),
                           artifacts=f.artifact_store(*rng.sample(WORDS, 3)),
                           trace_events=[f.trace_event(rng.choice(WORDS))],
                           run_records=[f.run_record(sid, events=rng.randint(0, 4))],
                           verification_reports=[f.verification_report()],
                           subagent_tasks=[f.subagent_task(sid)])


def stored_rows(target, sid: str) -> tuple[str, list[str]]:
    key = _rows.key(sid)
    head = target.sql("SELECT document FROM a3s_sessions WHERE id = ?", (key,))[0][0]
    rows = target.sql("SELECT message FROM a3s_messages WHERE session_id = ? "
                      "ORDER BY position", (key,))
    return head, [r[0] for r in rows]


def test_rows_are_serde_bytes_and_splice_into_the_file_store_file(target, tmp_path):
    seed = seed_from_env()
    rng = random.Random(seed)
    store = target.open()
    files = FileSessionStore(tmp_path / "files")
    for i in range(6):
        sid = rng.choice(["plain", "tenant/é", "x\x00y"]) + f"-{i}"
        snap = random_snapshot(rng, sid, rng.randint(0, 40))
        store.save_snapshot(snap)
        files.save_snapshot(snap)
        head, rows = stored_rows(target, sid)
        for row, message in zip(rows, snap.session.messages):
            assert row == _json.encode(message.to_dict()), seed
            json.loads(row)
        assert "\n  \"messages\": []" in head and json.loads(head)["messages"] == []
        written = (tmp_path / "files" / (_file_stem(sid) + ".json")).read_bytes()
        assert _rows.document(head, rows) == written, seed
        summary = {s.id: s for s in store.list_summaries()}[sid]
        assert summary.size_bytes == len(written), seed
        assert summary == {s.id: s for s in files.list_summaries()}[sid], seed


def _file_stem(sid: str) -> str:
    """The name a file store with no other session writes ``sid`` under."""
    from a3s_store._names import candidates
    return candidates(sid)[0]


def test_side_rows_are_the_side_files(target, tmp_path):
    rng = random.Random(seed_from_env())
    snap = random_snapshot(rng, "s-1", 3)
    target.open().save_snapshot(snap)
    FileSessionStore(tmp_path / "files").save_snapshot(snap)
    rows = dict(target.sql("SELECT component, document FROM a3s_components "
                           "WHERE session_id = ?", ("s-1",)))
    assert set(rows) == {c.name for c in SIDE}
    for component in SIDE:
        folder, name = component.where("s-1")
        assert rows[component.name].encode() == (tmp_path / "files").joinpath(
            *folder, name).read_bytes(), component.name


def test_a_session_copied_to_a_folder_is_the_file_store_s_folder(target, tmp_path):
    seed = seed_from_env()
    rng = random.Random(seed)
    store = target.open()
    direct = FileSessionStore(tmp_path / "direct")
    for i in range(5):
        snap = random_snapshot(rng, f"tenant/s-{i}", rng.randint(0, 60))
        # Saved in steps through the SQL store, so that appends go through the mirror.
        half = SessionData.from_dict({**snap.session.to_dict(),
                                      "messages": snap.session.to_dict()["messages"][:10]})
        store.save(half)
        half.messages.extend(snap.session.messages[10:])
        store.save(half)
        store.save_snapshot(snap)
        direct.save_snapshot(snap)
    store.save_loop_checkpoint("run-1", f.loop_checkpoint("run-1"))
    direct.save_loop_checkpoint("run-1", f.loop_checkpoint("run-1"))
    exported = FileSessionStore(tmp_path / "exported")
    result = copy_store(target.open(), exported)
    assert result.copied == 5 and not result.failed
    assert visible(tmp_path / "exported") == visible(tmp_path / "direct"), seed


def test_records_loaded_from_sql_equal_the_file_store_s(target, tmp_path):
    rng = random.Random(seed_from_env())
    snap = random_snapshot(rng, "s-1", 25)
    store = target.open()
    files = FileSessionStore(tmp_path / "files")
    store.save_snapshot(snap)
    files.save_snapshot(snap)
    from_sql, from_file = target.open().load_snapshot("s-1"), files.load_snapshot("s-1")
    assert from_sql == from_file == snap
    assert from_sql.session.to_dict() == from_file.session.to_dict()
    assert [m.to_dict() for m in from_sql.session.messages] == [
        m.to_dict() for m in from_file.session.messages]


def test_an_appended_message_is_stored_in_the_same_bytes(target, tmp_path):
    store = target.open()
    session = f.session(messages=3)
    store.save(session)
    session.messages.append(Message.from_dict(random_message(random.Random(1), 1)))
    store.save(session)
    files = FileSessionStore(tmp_path / "files")
    files.save(session)
    head, rows = stored_rows(target, session.id)
    assert _rows.document(head, rows) == (tmp_path / "files" / f"{session.id}.json").read_bytes()


def test_the_listed_size_follows_every_kind_of_edit(target, tmp_path):
    rng = random.Random(seed_from_env())
    store = target.open()
    files = FileSessionStore(tmp_path / "files")
    session = random_snapshot(rng, "s-1", 30).session
    more = [Message.from_dict(random_message(rng, i)) for i in range(10)]
    edits = [lambda: None, lambda: session.messages.extend(more[:4]),
             lambda: session.messages.__delitem__(slice(12, None)),
             lambda: session.messages.__setitem__(3, more[5]),
             lambda: session.messages.clear(), lambda: session.messages.extend(more)]
    for edit in edits:
        edit()
        store.save(session)
        files.save(session)
        size = (tmp_path / "files" / "s-1.json").stat().st_size
        assert store.list_summaries()[0].size_bytes == size
        assert target.open().list_summaries()[0].size_bytes == size
