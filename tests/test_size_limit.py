"""The size cap: reads are bounded before and while reading; big saves write nothing."""

from __future__ import annotations

import os

import pytest

import factories as f
from a3s_store import (
    DEFAULT_MAX_FILE_BYTES,
    CorruptDataError,
    FileSessionStore,
    InvalidDataError,
    SessionSnapshot,
    _fs,
)
from hostile import IOAttempted, no_io


def test_the_default_cap_is_256_mib_as_in_newer_a3s_code(tmp_path):
    assert DEFAULT_MAX_FILE_BYTES == 256 * 1024 * 1024
    assert FileSessionStore(tmp_path / "s").max_file_bytes == DEFAULT_MAX_FILE_BYTES


def _calls_during(operation) -> list[str]:
    calls: list[str] = []
    previous, _fs.hooks.fault_hook = _fs.hooks.fault_hook, calls.append
    try:
        operation()
    finally:
        _fs.hooks.fault_hook = previous
    return calls


def test_a_file_above_the_cap_is_refused_by_fstat_without_reading_a_byte(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    store.save(f.session("s"))
    with open(root / "s.json", "r+b") as fh:
        fh.truncate(DEFAULT_MAX_FILE_BYTES + 1)  # sparse: costs no disk
    errors = []
    calls = _calls_during(lambda: errors.append(pytest.raises(CorruptDataError, store.load, "s")))
    assert "byte limit" in str(errors[0].value) and errors[0].value.path == str(root / "s.json")
    assert "fstat" in calls and "read" not in calls


def test_the_cap_is_inclusive_and_configurable(tmp_path):
    root = tmp_path / "store"
    store = FileSessionStore(root)
    store.save(f.session("s"))
    size = os.path.getsize(root / "s.json")
    assert FileSessionStore(root, max_file_bytes=size).load("s").id == "s"
    with pytest.raises(CorruptDataError, match=f"{size} bytes exceeds the byte limit of "
                                               f"{size - 1}"):
        FileSessionStore(root, max_file_bytes=size - 1).load("s")


@pytest.mark.parametrize("growth", [1, 100_000])
def test_a_file_that_grows_during_the_read_is_cut_off_at_the_cap(tmp_path, growth):
    root = tmp_path / "store"
    limit = 4096
    store = FileSessionStore(root, max_file_bytes=limit)
    store.save(f.session("s"))
    path = root / "s.json"
    size = os.path.getsize(path)
    grown = []

    def grow(name):
        # The file is opened and fstat'ed at `size` bytes; before the first
        # read, a writer appends past the cap.
        if name == "read" and not grown:
            with open(path, "ab") as fh:
                fh.write(b" " * (limit - size + growth))
            grown.append(True)

    previous, _fs.hooks.fault_hook = _fs.hooks.fault_hook, grow
    try:
        with pytest.raises(CorruptDataError, match="grew past the byte limit") as info:
            store.load("s")
    finally:
        _fs.hooks.fault_hook = previous
    assert grown and info.value.path == str(path)


def _big(n: int) -> str:
    return "x" * n


@pytest.mark.parametrize("operation", [
    "save", "save_snapshot", "save_trace_events", "save_artifacts", "save_run_records",
    "save_loop_checkpoint", "save_workflow_checkpoint"])
def test_a_save_above_the_cap_is_refused_before_anything_is_written(tmp_path, operation):
    root = tmp_path / "store"
    store = FileSessionStore(root, max_file_bytes=3000)
    store.save_snapshot(SessionSnapshot(session=f.session("s"), trace_events=[f.trace_event()]))
    store.save_loop_checkpoint("r", f.loop_checkpoint("r"))
    store.save_workflow_checkpoint("w", f.workflow_checkpoint("w"))
    before = {p: (root / p).read_bytes() for p in ("s.json", "traces/s.json",
                                                   "loop_checkpoints/r.json")}
    big_session = f.session("s", name=_big(4000))
    calls = {
        "save": lambda: store.save(big_session),
        "save_snapshot": lambda: store.save_snapshot(SessionSnapshot(
            session=f.session("s"), trace_events=[f.trace_event(_big(4000))])),
        "save_trace_events": lambda: store.save_trace_events("s", [f.trace_event(_big(4000))]),
        "save_artifacts": lambda: store.save_artifacts("s", f.artifact_store(_big(4000))),
        "save_run_records": lambda: store.save_run_records("s", [f.run_record(
            "s", prompt=_big(4000))]),
        "save_loop_checkpoint": lambda: store.save_loop_checkpoint(
            "r", f.loop_checkpoint("r", session_id=_big(4000))),
        "save_workflow_checkpoint": lambda: store.save_workflow_checkpoint(
            "w", f.workflow_checkpoint("w", steps=60)),
    }
    with no_io():
        try:
            calls[operation]()
        except InvalidDataError as exc:
            assert "byte limit" in str(exc) and "nothing was written" in str(exc)
        except IOAttempted as exc:
            pytest.fail(f"{operation} touched the filesystem ({exc}) before refusing")
        else:
            pytest.fail(f"{operation} saved a document above the cap")
    assert {p: (root / p).read_bytes() for p in before} == before


# -- memory: objects and arrays per byte -------------------------------------------


def _with_containers(count: int, size: int) -> bytes:
    """A JSON array of ``count - 1`` empty objects, padded with spaces to ``size`` bytes."""
    body = b"[" + b",".join([b"{}"] * (count - 1)) + b"]"
    assert len(body) <= size
    return body + b" " * (size - len(body))


def test_the_container_cap_holds_at_its_limit_and_refuses_one_more():
    from a3s_store._json import decode
    from a3s_store._json._decode import container_limit

    size = 2_000_000
    limit = container_limit(size)
    assert len(decode(_with_containers(limit, size))) == limit - 1  # at the cap: loads
    with pytest.raises(CorruptDataError, match="objects and arrays"):
        decode(_with_containers(limit + 1, size))
    # Braces inside strings are not containers: code in a tool output is fine.
    text = b'["' + b"{[" * size + b'"]'
    assert len(decode(text)[0]) == 2 * size


def test_a_session_whose_unknown_key_holds_millions_of_objects_is_refused_in_bounded_memory(
        tmp_path):
    # Regression: a valid 24 MiB session file whose unknown key held
    # [{},{},...] took 652 MiB to load (27 times its size).
    import tracemalloc

    store = FileSessionStore(tmp_path / "store")
    store.save(f.session("big"))
    path = tmp_path / "store" / "big.json"
    doc = path.read_bytes()
    padding = b'"later_key": [' + b"{}," * 8_000_000 + b"{}],\n  "
    hostile = doc.replace(b'"config"', padding + b'"config"', 1)
    assert len(hostile) > 24_000_000
    path.write_bytes(hostile)
    tracemalloc.start()
    try:
        with pytest.raises(CorruptDataError) as info:
            store.load("big")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.path == str(path) and "objects and arrays" in str(info.value)
    assert peak < 3 * len(hostile), peak / len(hostile)
    assert path.read_bytes() == hostile  # a read never changes the file
