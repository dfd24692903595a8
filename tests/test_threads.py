"""Threads sharing one store object: every shared structure holds (issue 12).

The store is a single-threaded blocking API, but the README promises that
threads may share a store object: the lock excludes them from each other's
files, and the in-process structures (the message cache that lets a save
reuse what an earlier save encoded) are safe to share. The switch interval
is made very short so that threads are preempted in the middle of every
Python-level step.
"""

from __future__ import annotations

import sys
import threading

import pytest

import factories as f
from a3s_store import FileSessionStore, MemorySessionStore, SessionSnapshot, _codec
from a3s_store._message_cache import MessageCache
from strength import count

THREADS = 8
ROUNDS = 40
IDS = 12  # more sessions than the message cache keeps, so it evicts while others read


@pytest.fixture
def preempting():
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def _hammer(store, thread: int, sessions: list, errors: list) -> None:
    try:
        for n in range(ROUNDS):
            session = sessions[(thread + n) % IDS]
            if n % 5 == 4:
                store.save_snapshot(SessionSnapshot(session=session,
                                                    trace_events=[f.trace_event()]))
            else:
                store.save(session)
            if n % 7 == 6:
                store.delete(session.id)
    except Exception as exc:  # noqa: BLE001 - every error is a finding
        errors.append(f"thread {thread}: {exc!r}")


def test_the_message_cache_shared_by_threads_never_breaks(preempting):
    # Regression: "dictionary changed size during iteration" and KeyError in
    # the message cache that a store object's threads share (a save encodes
    # before it takes the store lock).
    cache = MessageCache()
    sessions = [f.session(f"s{i}", messages=200) for i in range(IDS)]
    errors: list[str] = []

    def encode(thread: int) -> None:
        try:
            for n in range(count(100, 300)):
                session = sessions[(thread + n) % IDS]
                data = cache.encode_session(session)
                assert data == _codec.encode_session(session)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"thread {thread}: {exc!r}")

    threads = [threading.Thread(target=encode, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_threads_saving_through_one_store_object_never_crash(tmp_path, preempting, kind):
    store = (FileSessionStore(tmp_path / "store", durable=False) if kind == "file"
             else MemorySessionStore())
    sessions = [f.session(f"s{i}", messages=150) for i in range(IDS)]
    errors: list[str] = []
    threads = [threading.Thread(target=_hammer, args=(store, t, sessions, errors))
               for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for session in sessions:  # whatever is stored is exactly what a thread saved
        loaded = store.load(session.id)
        assert loaded is None or loaded.messages == session.messages
