"""Damaged files (reliability.md §2.6, §3.6 "Files"): one documented error, nothing lost.

Every damaged file - placed at the session file, at each side file, at the
artifact manifest and at both checkpoints - makes its load raise
:class:`CorruptDataError` (or its subclass :class:`UnsupportedVersionError`)
naming the file, never ``RecursionError``, ``UnicodeDecodeError``,
``MemoryError``, ``KeyError``, ``TypeError``..., and never hangs. The load
leaves the file exactly as it was, and the store still lists its other
sessions. Data that is damaged only in ways a3s-code would still read (a
missing optional key, a value nested 100 deep under an unknown key) may
load; it never fails any other way.
"""

from __future__ import annotations

import itertools
import json
import os
import random

import pytest

import factories as f
from a3s_store import (
    ArtifactStore,
    CorruptDataError,
    FileSessionStore,
    InvalidDataError,
    InvalidIdError,
    LoopCheckpoint,
    RunRecord,
    SessionSnapshot,
    SubagentTaskSnapshot,
    TraceEvent,
    UnsupportedVersionError,
    VerificationReport,
    WorkflowCheckpoint,
    _codec,
)
from a3s_store._components import LOOP, WORKFLOW
from a3s_store.store import checked_checkpoint
from crashkit import leftovers
from hostile import FORBIDDEN, hang_guard, seed_from_env

VICTIM, RUN, FLOW = "victim", "run-v", "wf-v"

#: location -> (path under the root, loader, the record type, kind of top-level value)
LOCATIONS = {
    "session": ("victim.json", lambda s: s.load(VICTIM), "object"),
    "traces": ("traces/victim.json", lambda s: s.load_trace_events(VICTIM), "array"),
    "runs": ("runs/victim.json", lambda s: s.load_run_records(VICTIM), "array"),
    "verification": ("verification/victim.json",
                     lambda s: s.load_verification_reports(VICTIM), "array"),
    "subagent_tasks": ("subagent_tasks/victim.json",
                       lambda s: s.load_subagent_tasks(VICTIM), "array"),
    "artifacts": ("artifacts/victim/artifacts.json", lambda s: s.load_artifacts(VICTIM),
                  "object"),
    "loop": ("loop_checkpoints/run-v.json", lambda s: s.load_loop_checkpoint(RUN), "object"),
    "workflow": ("workflow_checkpoints/wf-v.json", lambda s: s.load_workflow_checkpoint(FLOW),
                 "object"),
}
PER_SESSION = {"session", "traces", "runs", "verification", "subagent_tasks", "artifacts"}


def _fill(store: FileSessionStore, sid: str, run: str, flow: str) -> None:
    store.save_snapshot(SessionSnapshot(
        session=f.session(sid, messages=1), artifacts=f.artifact_store("art \u00e9"),
        trace_events=[f.trace_event()], run_records=[f.run_record(sid)],
        verification_reports=[f.verification_report()], subagent_tasks=[f.subagent_task(sid)]))
    store.save_loop_checkpoint(run, f.loop_checkpoint(run, sid))
    store.save_workflow_checkpoint(flow, f.workflow_checkpoint(flow, steps=1))


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> dict[str, bytes]:
    """The bytes the store writes at each location (the templates of the damage)."""
    root = tmp_path_factory.mktemp("templates") / "store"
    _fill(FileSessionStore(root, durable=False), VICTIM, RUN, FLOW)
    return {loc: (root / rel).read_bytes() for loc, (rel, _, _) in LOCATIONS.items()}


class Site:
    """A store holding the victim and a bystander; damage goes at one location."""

    def __init__(self, root, valid):
        self.root = root
        self.store = FileSessionStore(root, durable=False)
        _fill(self.store, VICTIM, RUN, FLOW)
        _fill(self.store, "bystander", "run-b", "wf-b")
        self.valid = valid
        self.cases = 0

    def path(self, loc) -> str:
        return os.fspath(self.root / LOCATIONS[loc][0])

    def place(self, loc: str, data: bytes) -> None:
        path = self.path(loc)
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        elif os.path.lexists(path):
            os.unlink(path)
        with open(path, "wb") as fh:
            fh.write(data)

    def check(self, loc: str, data: bytes | None, *, expect: str = "error", case: str = "",
              match: str | None = None, store: FileSessionStore | None = None,
              path: str | None = None, thorough: bool = True) -> None:
        """Load the damaged ``loc`` and hold the rule; ``data`` None = already placed.

        ``expect``: "error" (CorruptDataError, not a subclass), "version"
        (UnsupportedVersionError), "either" (loads, or CorruptDataError).
        """
        self.cases += 1
        if data is not None:
            self.place(loc, data)
        store = store or self.store
        path = path or self.path(loc)
        before = _state(path)
        loader = LOCATIONS[loc][1]
        where = f"{loc} / {case}"
        loaders = [loader]
        if thorough and loc in PER_SESSION:
            loaders.append(lambda s: s.load_snapshot(VICTIM))
        for load in loaders:
            try:
                with hang_guard(20):
                    load(store)
            except CorruptDataError as exc:
                if expect == "version":
                    assert type(exc) is UnsupportedVersionError, (where, exc)
                elif expect == "error":
                    assert type(exc) is CorruptDataError, (where, repr(exc))
                assert exc.path == path, (where, exc.path, str(exc))
                assert path in str(exc), where
                if match:
                    assert match in str(exc), (where, str(exc))
            except FORBIDDEN as exc:
                raise AssertionError(f"{where}: {type(exc).__name__} escaped: {exc}") from exc
            else:
                assert expect == "either", f"{where}: loaded without an error"
        assert _state(path) == before, f"{where}: the damaged file was changed by a load"
        if thorough:
            assert "bystander" in self.store.list(), where
            assert "bystander" in [s.id for s in self.store.list_summaries()], where
            assert self.store.load_trace_events("bystander") is not None, where


def _state(path: str):
    """What a load must not change: the bytes (or kind) and the times of ``path``."""
    st = os.lstat(path)
    if os.path.isfile(path) and st.st_size < 1 << 24:
        with open(path, "rb") as fh:
            return st.st_mode, st.st_mtime_ns, st.st_ino, fh.read()
    return st.st_mode, st.st_mtime_ns, st.st_ino, st.st_size


@pytest.fixture
def site(tmp_path, valid) -> Site:
    return Site(tmp_path / "store", valid)


# -- document surgery -----------------------------------------------------------------


def _doc(data: bytes):
    return json.loads(data)


def _first_object(doc):
    """The object to damage: the document itself, or the first element of an array."""
    return doc if isinstance(doc, dict) else doc[0]


def _dump(doc, raw: dict[str, str] | None = None) -> bytes:
    """JSON text of ``doc``; string values equal to a key of ``raw`` become its raw text."""
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    for marker, replacement in (raw or {}).items():
        text = text.replace(json.dumps(marker), replacement)
    return text.encode("utf-8", "surrogatepass")


_TYPED_NUMBER = {"session": ("created_at",), "traces": ("duration_ms",), "runs": ("snapshot",
                 "created_at_ms"), "verification": None, "subagent_tasks": ("started_ms",),
                 "artifacts": None, "loop": ("turn",), "workflow": ("checkpoint_ms",)}
_TYPED_STRING = {"session": ("config", "name"), "traces": ("name",), "runs": ("snapshot",
                 "prompt"), "verification": ("subject",), "subagent_tasks": ("agent",),
                 "artifacts": None, "loop": ("session_id",), "workflow": ("workflow_id",)}


def _with_value(data: bytes, keys, raw_value: str) -> bytes:
    """``data`` with the value at ``keys`` (inside the first object) replaced by raw text."""
    doc = _doc(data)
    target = _first_object(doc)
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = "@@VALUE@@"
    return _dump(doc, {"@@VALUE@@": raw_value})


def _with_unknown_key(data: bytes, raw_value: str) -> bytes:
    doc = _doc(data)
    _first_object(doc)["x_unknown"] = "@@VALUE@@"
    return _dump(doc, {"@@VALUE@@": raw_value})


def _placements(loc: str, data: bytes, raw_value: str):
    """(where, bytes): ``raw_value`` at a typed field, and under an unknown key."""
    out = []
    for table, name in ((_TYPED_NUMBER, "number field"), (_TYPED_STRING, "string field")):
        if table[loc] is not None:
            out.append((name, _with_value(data, table[loc], raw_value)))
    out.append(("unknown key", _with_unknown_key(data, raw_value)))
    return out


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _utf16(data: bytes, codec: str) -> bytes:
    return data.decode("utf-8").encode(codec)


def _named_cases(loc: str, data: bytes):
    """(case, bytes, expect) for every named damage of reliability.md §3.6 at ``loc``."""
    top = LOCATIONS[loc][2]
    cases = [("empty", b"", "error"), ("whitespace", b" \n\t ", "error")]
    cases += [(f"trailing {g!r}", data + g, "error")
              for g in (b"x", b" {}", b"\x00", b"]", b"\n\n}", b",")]
    for value in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1E999"):
        cases += [(f"{value} at {where}", d, "error") for where, d in _placements(loc, data, value)]
    cases += [(f"5,000-digit integer at {where}", d, "error")
              for where, d in _placements(loc, data, "9" * 5000)]
    for depth, at_unknown in ((100, "either"), (1000, "either"), (100_000, "error")):
        cases += [(f"nesting {depth} at {where}", d,
                   at_unknown if where == "unknown key" else "error")
                  for where, d in _placements(loc, data, _nested(depth))]
    cases += [(f"lone surrogate {s} at {where}", d, "error")
              for s in ('"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"')
              for where, d in _placements(loc, data, s)]
    first = next(iter(_first_object(_doc(data))))
    dup = _doc(data)
    obj = _first_object(dup)
    value = obj[first]
    obj["@@DUP@@"] = 0
    cases.append(("duplicate key", _dump(dup).replace(
        b'"@@DUP@@": 0', f'"{first}": {json.dumps(value, ensure_ascii=False)}'.encode()),
        "error"))
    cases += [("UTF-8 BOM", b"\xef\xbb\xbf" + data, "error"),
              ("UTF-16 with BOM", _utf16(data, "utf-16"), "error"),
              ("UTF-16-LE", _utf16(data, "utf-16-le"), "error"),
              ("UTF-16-BE", _utf16(data, "utf-16-be"), "error"),
              ("UTF-32", _utf16(data, "utf-32"), "error")]
    quote = data.index(b'"', data.index(b":"))  # inside the first string value
    for bad in (b"\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf8\x88\x80\x80"):
        cases.append((f"invalid UTF-8 {bad!r}", data[:quote + 1] + bad + data[quote + 1:],
                      "error"))
    wrong_tops = ["null", "1", "1.5", "true", '"text"'] + (["[]", "[1]"] if top == "object"
                                                           else ["{}", '{"a": 1}'])
    cases += [(f"top-level {t}", t.encode(), "error") for t in wrong_tops]
    # Wrong types and missing keys, everywhere in the first object: documented
    # error or (for a lenient field) a load; nothing else.
    doc = _doc(data)
    for key in list(_first_object(doc)):
        fewer = _doc(data)
        del _first_object(fewer)[key]
        cases.append((f"missing {key}", _dump(fewer), "either"))
        for wrong in (None, True, 7, -1, 1.5, "s", [], {}, [None], {"a": None}):
            if type(wrong) is type(_first_object(doc)[key]):
                continue
            changed = _doc(data)
            _first_object(changed)[key] = wrong
            cases.append((f"{key} as {json.dumps(wrong)}", _dump(changed), "either"))
    return cases


_MUST_FAIL = {
    "session": [("id", 1), ("id", None), ("messages", {}), ("config", []), ("created_at", "x")],
    "loop": [("run_id", 1), ("schema_version", "1"), ("turn", "x")],
    "workflow": [("workflow_id", None), ("steps", {}), ("schema_version", 1.5)],
    "traces": [("success", "yes")],
    "artifacts": [("artifacts", {})],
}
_MUST_FAIL_MISSING = {"session": ["id", "config"], "loop": ["run_id"], "workflow": ["workflow_id"],
                      "artifacts": ["artifacts"]}


# -- the named cases, at every location -----------------------------------------------


@pytest.mark.parametrize("loc", list(LOCATIONS))
def test_named_damage_gives_one_documented_error_naming_the_file(site, loc):
    data = site.valid[loc]
    for case, damaged, expect in _named_cases(loc, data):
        site.check(loc, damaged, expect=expect, case=case)
    for key, wrong in _MUST_FAIL.get(loc, []):
        changed = _doc(data)
        _first_object(changed)[key] = wrong
        site.check(loc, _dump(changed), case=f"{key} = {wrong!r}", match=key)
    for key in _MUST_FAIL_MISSING.get(loc, []):
        fewer = _doc(data)
        del _first_object(fewer)[key]
        site.check(loc, _dump(fewer), case=f"missing {key}", match=key)
    site.place(loc, data)
    assert LOCATIONS[loc][1](site.store) is not None  # the valid file still loads


@pytest.mark.parametrize("loc", list(LOCATIONS))
def test_every_truncation_is_an_error(site, loc):
    data = site.valid[loc]
    for n in range(len(data)):
        site.check(loc, data[:n], case=f"first {n} of {len(data)} bytes",
                   thorough=n % 97 == 0)


@pytest.mark.parametrize("loc", ["loop", "workflow"])
def test_a_checkpoint_from_the_future_is_unsupported_version(site, loc):
    for version in ("2", "99", str(2**63), "2.0"):
        damaged = _with_value(site.valid[loc], ("schema_version",), version)
        expect = "error" if version == "2.0" else "version"
        site.check(loc, damaged, expect=expect, case=f"schema_version {version}",
                   match="schema")


@pytest.mark.parametrize("loc,key", [("session", ("id",)), ("loop", ("run_id",)),
                                     ("workflow", ("workflow_id",))])
def test_an_id_inside_the_file_that_is_not_its_own_is_an_error(site, loc, key):
    damaged = _with_value(site.valid[loc], key, '"bystander"')
    site.check(loc, damaged, case="another id inside", match="bystander")


@pytest.mark.parametrize("loc", list(LOCATIONS))
def test_a_folder_or_fifo_where_the_file_belongs_is_an_error_and_never_hangs(site, loc):
    path = site.path(loc)
    os.unlink(path)
    os.mkdir(path)
    site.check(loc, None, case="a folder")
    os.rmdir(path)
    os.mkfifo(path)
    site.check(loc, None, case="a FIFO")
    os.unlink(path)
    os.symlink("/dev/zero", path)  # an endless device behind a link: never opened
    with pytest.raises(Exception) as info:
        LOCATIONS[loc][1](site.store)
    assert type(info.value).__name__ == "UnsafePathError" and info.value.path == path


def test_a_file_where_the_artifact_folder_belongs_is_an_error(site):
    folder = site.root / "artifacts" / VICTIM
    for name in os.listdir(folder):
        os.unlink(folder / name)
    os.rmdir(folder)
    folder.write_bytes(b'{"artifacts": []}')
    site.check("artifacts", None, path=os.fspath(folder), case="a file at the folder")


@pytest.mark.parametrize("loc", list(LOCATIONS))
def test_a_file_above_the_size_limit_is_refused_before_parsing(site, loc):
    data = site.valid[loc]
    small = FileSessionStore(site.root, durable=False, max_file_bytes=len(data) + 10)
    assert LOCATIONS[loc][1](small) is not None  # under the limit: fine
    padded = data + b" " * 11  # valid JSON, one byte too many
    site.check(loc, padded, store=small, case="limit + 1", match="byte limit", thorough=False)
    site.place(loc, data)
    with open(site.path(loc), "r+b") as fh:
        fh.truncate(10 * 1024**3)  # sparse 10 GiB: refused by size, never read
    site.check(loc, None, case="sparse 10 GiB", match="byte limit")


def test_a_damaged_session_does_not_hide_the_others_from_listings(site):
    for content in (b"", b"{", b'{"id": "victim"', b"\xff\xfe", b"[]", b"9" * 5000):
        site.place("session", content)
        assert "bystander" in site.store.list()
        assert [s.id for s in site.store.list_summaries() if s.id == "bystander"]
    os.unlink(site.path("session"))
    os.mkfifo(site.path("session"))
    with hang_guard(20):
        assert "bystander" in site.store.list()
        assert "bystander" in [s.id for s in site.store.list_summaries()]


# -- the random mutation sweep ----------------------------------------------------------

_TOKENS = [b"{", b"}", b"[", b"]", b'"', b"\\", b",", b":", b"null", b"true", b"NaN",
           b"Infinity", b"-", b"1e400", b"0", b"-0", b"1.5e-400", b"\\ud800", b"\\u0000",
           b"\\udfff", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b" ", b"\n",
           b"18446744073709551616", b"-9223372036854775809", b"9" * 4400, b"[" * 3000,
           b'"id"', b'"x"', b'{"type": "nope"}', b'"schema_version": 7,', b'"\xf0\x9f\x98\x80"']

_DECODERS = {
    "session": lambda d, s, p: _codec.decode_session(d, strict=s, path=p, session_id=VICTIM),
    "traces": lambda d, s, p: _codec.decode_list(d, TraceEvent, strict=s, path=p),
    "runs": lambda d, s, p: _codec.decode_list(d, RunRecord, strict=s, path=p),
    "verification": lambda d, s, p: _codec.decode_list(d, VerificationReport, strict=s, path=p),
    "subagent_tasks": lambda d, s, p: _codec.decode_list(d, SubagentTaskSnapshot, strict=s,
                                                          path=p),
    "artifacts": lambda d, s, p: _codec.decode_artifacts(d, strict=s, path=p),
    "loop": lambda d, s, p: checked_checkpoint(
        LOOP, RUN, _codec.decode_record(d, LoopCheckpoint, strict=s, path=p), p),
    "workflow": lambda d, s, p: checked_checkpoint(
        WORKFLOW, FLOW, _codec.decode_record(d, WorkflowCheckpoint, strict=s, path=p), p),
}


def _encode_back(loc: str, record) -> None:
    """A record that loaded can be written back, or is refused as InvalidDataError."""
    try:
        if loc == "session":
            _codec.encode_session(record)
        elif loc == "artifacts":
            assert isinstance(record, ArtifactStore)
            _codec.encode_artifacts(record)
        elif loc in ("loop", "workflow"):
            _codec.encode_record(record)
        else:
            _codec.encode_list(record)
    except InvalidDataError:
        pass


def _mutant(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        pos = rng.randrange(len(out) + 1)
        op = rng.random()
        if op < 0.3 and out:  # flip a bit or set a byte
            pos = min(pos, len(out) - 1)
            out[pos] = out[pos] ^ (1 << rng.randrange(8)) if rng.random() < 0.5 \
                else rng.randrange(256)
        elif op < 0.55:  # cut
            del out[pos:pos + rng.choice((1, 1, 2, 5, 20, 200))]
        elif op < 0.9:  # insert a token
            out[pos:pos] = rng.choice(_TOKENS)
        else:  # copy a slice elsewhere
            start = rng.randrange(len(out) + 1)
            out[pos:pos] = out[start:start + rng.randrange(1, 60)]
    return bytes(out)


_VALUES = [None, True, False, 0, -1, 1, 2**31, 2**63, 2**64, -(2**63) - 1, 0.5, -0.0, 1e308,
           "", "x", "\u00e9", "text", "tool_use", "Active", "user", [], [None], [1, "a"], {},
           {"type": "text"}, {"type": "tool_use"}, {"a": {"b": []}}]


def _structural_mutant(rng: random.Random, data: bytes) -> bytes:
    """Replace, delete or add one value anywhere in the document (type confusion deep
    inside records, which byte edits rarely reach while keeping the JSON valid)."""
    doc = json.loads(data)
    nodes = []  # (container, key)

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                nodes.append((node, k))
                walk(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                nodes.append((node, i))
                walk(v)

    walk(doc)
    if not nodes:
        return data
    container, key = rng.choice(nodes)
    op = rng.random()
    if op < 0.7:
        container[key] = rng.choice(_VALUES)
    elif op < 0.85 and isinstance(container, dict):
        del container[key]
    elif isinstance(container, dict):
        container["x_" + str(rng.randrange(9))] = rng.choice(_VALUES)
    else:
        container.insert(rng.randrange(len(container) + 1), rng.choice(_VALUES))
    return json.dumps(doc, indent=rng.choice([None, 2])).encode()


def _templates(valid: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """The valid files, plus a richer session (tool calls, unicode, unknown keys)."""
    rich = f.session_dict(VICTIM, messages=3)
    rich["messages"].append({"role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "bash", "input": {"cmd": "ls \u00e9", "n": [1,
                                                                     2.5, None, {"x": True}]}},
        {"type": "text", "text": "\u4f1a\u8bdd \U0001f600"}]})
    rich["future_key"] = {"nested": [1, {"a": "b"}]}
    out = list(valid.items()) + [("session", json.dumps(rich, indent=2).encode())]
    # The golden documents of the records tests hold every record type and field.
    golden = os.path.join(os.path.dirname(__file__), "golden")
    kinds = {"session": "session", "artifacts": "artifacts", "loop": "loop", "runs": "runs",
             "workflow": "workflow", "subagent": "subagent_tasks", "traces": "traces",
             "verification": "verification"}
    for name in sorted(os.listdir(golden)) if os.path.isdir(golden) else ():
        loc = kinds.get(name.split("_")[0].split(".")[0])
        if loc is not None and name.endswith(".json"):
            with open(os.path.join(golden, name), "rb") as fh:
                data = fh.read()
            if loc in ("loop", "workflow"):  # keyed by the id the decoders check
                doc = json.loads(data)
                doc["run_id" if loc == "loop" else "workflow_id"] = RUN if loc == "loop" else FLOW
                data = json.dumps(doc, indent=2, ensure_ascii=False).encode()
            out.append((loc, data))
    return out


def test_random_mutants_decode_or_fail_with_the_documented_error(valid):
    seed = seed_from_env()
    rng = random.Random(seed)
    ctx = f"seed={seed} (replay with A3S_SEED={seed})"
    templates = _templates(valid)
    outcomes = {"loaded": 0, "corrupt": 0, "version": 0}
    total = int(os.environ.get("A3S_MUTANTS", "12000"))  # raise it for a nightly run
    for n in range(total):
        loc, data = templates[n % len(templates)]
        mutant = _mutant(rng, data) if n % 3 else _structural_mutant(rng, data)
        strict = n % 10 != 0  # the store reads its own recognised files non-strictly
        path = f"/store/{loc}.json"
        try:
            record = _DECODERS[loc](mutant, strict, path)
        except UnsupportedVersionError as exc:
            assert exc.path == path, (ctx, loc, mutant)
            outcomes["version"] += 1
        except CorruptDataError as exc:
            assert type(exc) is CorruptDataError and exc.path == path, (ctx, loc, exc, mutant)
            outcomes["corrupt"] += 1
        except BaseException as exc:
            raise AssertionError(f"{ctx}: {loc} mutant #{n} raised {type(exc).__name__}: {exc}"
                                 f"\n{mutant[:500]!r}") from exc
        else:
            outcomes["loaded"] += 1
            try:
                _encode_back(loc, record)
            except BaseException as exc:
                raise AssertionError(f"{ctx}: {loc} mutant #{n} loaded but writing it back "
                                     f"raised {type(exc).__name__}: {exc}\n{mutant[:500]!r}"
                                     ) from exc
    assert outcomes["corrupt"] > total // 2, (ctx, outcomes)
    print(f"mutants: {total} decoded, {outcomes}; {ctx}")


def test_random_mutants_through_the_store_keep_the_file_and_the_others(site):
    seed = seed_from_env()
    rng = random.Random(seed)
    templates = list(site.valid.items())
    for n in range(400):
        loc, data = templates[n % len(templates)]
        mutant = _mutant(rng, data)
        try:
            site.check(loc, mutant, expect="either", case=f"mutant #{n}",
                       thorough=n % 20 == 0)
        except AssertionError as exc:
            raise AssertionError(f"seed={seed} (replay with A3S_SEED={seed}): {exc}"
                                 f"\n{mutant[:500]!r}") from exc
        site.place(loc, data)


# -- the store's own records: metadata and commit records -----------------------------


def _meta_cases(good: dict) -> list:
    summary = good["summary"]
    return [
        b"", b"{", b"[]", b'"x"', b"null",
        {"id": VICTIM, "files": 5}, {"id": VICTIM, "files": [1]},
        {"id": VICTIM, "files": {"session": 3}}, {"id": VICTIM},
        dict(good, files=dict(good["files"], session=None)),
        dict(good, summary={"bogus": 1}), dict(good, summary=[1]), dict(good, summary="x"),
        dict(good, summary={**summary, "messages": "many"}),
        dict(good, summary={**summary, "name": None}),
        dict(good, summary={k: v for k, v in summary.items() if k != "state"}),
        dict(good, counter="x"), dict(good, counter=None), dict(good, revision=5),
        dict(good, revision=None), dict(good, id=5), dict(good, id="bystander"),
    ]


def test_a_damaged_metadata_record_is_ignored_and_rebuilt(tmp_path, valid):
    # Regression: a record whose "files" was not an object made load, save and
    # list_summaries fail with AttributeError; a bad "summary" with TypeError.
    probe = Site(tmp_path / "probe", valid)
    good = json.loads((probe.root / ".a3s_store" / "meta" / "victim.json").read_bytes())
    for n, case in enumerate(_meta_cases(good)):
        site = Site(tmp_path / f"s{n}", valid)
        meta = site.root / ".a3s_store" / "meta" / "victim.json"
        if isinstance(case, bytes):
            meta.write_bytes(case)
        else:
            good_here = json.loads(meta.read_bytes())
            fixed = {**case, "files": good_here["files"]} if case.get("files") == good["files"] \
                else case
            meta.write_text(json.dumps(fixed))
        where = f"meta case {n}: {case!r}"
        try:
            loaded = site.store.load(VICTIM)
            assert loaded.id == VICTIM and type(loaded.revision) is str, where
            summaries = {s.id: s for s in site.store.list_summaries()}
            assert summaries[VICTIM].messages == 1 and summaries[VICTIM].name == "Test Session"
            assert site.store.list() == ["bystander", VICTIM], where
            assert site.store.exists(VICTIM), where
            revision = site.store.save(loaded, expected_revision=loaded.revision)
            assert site.store.load(VICTIM).revision == revision, where
            site.store.save_trace_events(VICTIM, [])
            site.store.delete(VICTIM)
            assert site.store.list() == ["bystander"], where
        except FORBIDDEN as exc:
            raise AssertionError(f"{where}: {type(exc).__name__}: {exc}") from exc


def _journal_cases(outside: str) -> list:
    sha = "0" * 64
    step = {"op": "remove", "folder": [], "name": "victim.json"}
    return [
        b"", b"{", b"[]", b"null", b'{"version": 1}', b'{"version": 2, "ops": []}',
        {"version": 1, "ops": 5}, {"version": 1, "ops": [5]}, {"version": 1, "ops": [None]},
        {"version": 1, "ops": [{"op": "explode"}]}, {"version": 1, "ops": [{"op": "remove"}]},
        {"version": 1, "ops": [dict(step, folder=[".."], name="outside")]},
        {"version": 1, "ops": [dict(step, folder=[], name="../outside/precious")]},
        {"version": 1, "ops": [dict(step, folder=[outside], name="precious")]},
        {"version": 1, "ops": [dict(step, name=outside + "/precious")]},
        {"version": 1, "ops": [{"op": "remove_tree", "folder": [".."], "name": "outside",
                                "trash": "t.0.trash"}]},
        {"version": 1, "ops": [{"op": "remove_tree", "folder": [], "name": "..",
                                "trash": "t.0.trash"}]},
        {"version": 1, "ops": [{"op": "move", "folder": [".."], "name": "outside",
                                "to_folder": [], "to_name": "mine"}]},
        {"version": 1, "ops": [{"op": "move", "folder": [], "name": "victim.json",
                                "to_folder": [".."], "to_name": "outside"}]},
        {"version": 1, "ops": [{"op": "put", "folder": [".."], "name": "outside", "src": "t.0",
                                "size": 1, "sha256": sha}]},
        {"version": 1, "ops": [{"op": "put", "folder": [], "name": "victim.json",
                                "src": "../../outside/precious", "size": 1, "sha256": sha}]},
        {"version": 1, "ops": [{"op": "put", "folder": [], "name": "x.json", "src": "t.0",
                                "size": "1", "sha256": sha}]},
        {"version": 1, "ops": [dict(step, folder="..")]},
        {"version": 1, "ops": [dict(step, extra=True)]},
        {"version": 1, "ops": [dict(step, name=7)]},
        "fifo", "folder", "link",
    ]


# Where a planted journal lives: in the folder of an older version (every name is
# its own) or in .a3s_store itself (journal names only); "t" is its transaction id.
JOURNALS = {"legacy": ("tx", "t"), "current": ("", "0-0-00000000")}


def _journal_place(root, where: str):
    sub, txid = JOURNALS[where]
    folder = root / ".a3s_store" / sub if sub else root / ".a3s_store"
    folder.mkdir(exist_ok=True)
    return folder, txid


def _as_txid(case, txid: str):
    """A planted record with its staged names moved to ``txid``."""
    if isinstance(case, dict):
        return json.loads(json.dumps(case).replace('"t.0', f'"{txid}.0'))
    return case


@pytest.mark.parametrize("place", sorted(JOURNALS))
def test_a_damaged_or_planted_commit_record_never_acts_outside_the_root(tmp_path, valid,
                                                                          place):
    # Regression: a record naming ".." made recovery delete a folder next to
    # the root; a record of the wrong shape raised AttributeError/TypeError
    # from every operation, as did a link or folder at the record's name.
    from hostile import tree

    outside = tmp_path / "outside"
    for n, case in enumerate(_journal_cases(os.fspath(outside))):
        outside.mkdir()
        (outside / "precious").write_bytes(b"keep me")
        site = Site(tmp_path / "store", valid)
        victim = (site.root / "victim.json").read_bytes()
        before = tree(tmp_path / "outside")
        tx, txid = _journal_place(site.root, place)
        case = _as_txid(case, txid)
        record = tx / f"{txid}.commit"
        if case == "fifo":
            os.mkfifo(record)
        elif case == "folder":
            record.mkdir()
            (record / "inner").write_bytes(b"x")
        elif case == "link":
            os.symlink(outside / "precious", record)
        else:
            (tx / f"{txid}.0").write_bytes(b"x")  # a staged file, for the put cases
            record.write_bytes(case if isinstance(case, bytes) else json.dumps(case).encode())
        where = f"journal case {n}: {case!r}"
        try:
            with hang_guard(20):
                assert site.store.list() == ["bystander", VICTIM], where
                assert site.store.load(VICTIM) is not None, where
                site.store.save(f.session("new"))
        except FORBIDDEN as exc:
            raise AssertionError(f"{where}: {type(exc).__name__}: {exc}") from exc
        assert (site.root / "victim.json").read_bytes() == victim, where
        assert leftovers(site.root) == [], where
        assert tree(tmp_path / "outside") == before, where
        import shutil

        shutil.rmtree(site.root)
        shutil.rmtree(outside)


@pytest.mark.parametrize("place", sorted(JOURNALS))
def test_a_link_planted_as_a_staged_file_is_never_read_or_applied(tmp_path, valid, place):
    site = Site(tmp_path / "store", valid)
    outside = tmp_path / "outside.json"
    outside.write_bytes(b"x")
    tx, txid = _journal_place(site.root, place)
    os.symlink(outside, tx / f"{txid}.0")
    import hashlib

    (tx / f"{txid}.commit").write_text(json.dumps({"version": 1, "txid": txid, "ops": [
        {"op": "put", "folder": [], "name": "victim.json", "src": f"{txid}.0", "size": 1,
         "sha256": hashlib.sha256(b"x").hexdigest()}]}))
    assert site.store.load(VICTIM).id == VICTIM
    assert outside.read_bytes() == b"x" and leftovers(site.root) == []


# -- deep folder trees -------------------------------------------------------------------


def _deep_tree(top, depth: int) -> None:
    """``depth`` nested folders under ``top`` (built relative to each folder, so no path
    grows past PATH_MAX), with a file every 100 levels."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for level in range(depth):
            os.mkdir("d", dir_fd=fd)
            if level % 100 == 0:
                os.close(os.open("f", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd))
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)


def test_a_very_deep_artifact_folder_is_deleted_without_recursion(site):
    # Regression: remove_tree recursed (and held a descriptor) per level:
    # RecursionError after the commit point, and every later operation too.
    _deep_tree(site.root / "artifacts" / VICTIM, 1100)
    site.store.delete(VICTIM)
    assert site.store.list() == ["bystander"]
    assert os.listdir(site.root / "artifacts") == ["bystander"]
    assert leftovers(site.root) == []


@pytest.mark.parametrize("place", sorted(JOURNALS))
def test_a_very_deep_tree_left_in_the_journal_is_swept(site, place):
    tmp, txid = _journal_place(site.root, place)
    (tmp / f"{txid}.tmp").mkdir()
    _deep_tree(tmp / f"{txid}.tmp", 1100)
    assert site.store.list() == ["bystander", VICTIM]
    assert leftovers(site.root) == []


def test_a_tree_removal_interrupted_midway_is_finished_by_the_next_operation(site):
    from a3s_store import _fs

    _deep_tree(site.root / "artifacts" / VICTIM, 30)
    seen = []

    def fail_once(name):
        if name == "rmdir":
            seen.append(name)
            if len(seen) == 10:
                raise OSError(5, "injected")

    previous, _fs.hooks.fault_hook = _fs.hooks.fault_hook, fail_once
    try:
        with pytest.raises(OSError, match="injected"):
            site.store.delete(VICTIM)  # fails after its commit point
    finally:
        _fs.hooks.fault_hook = previous
    assert site.store.list() == ["bystander"]  # recovery finished the delete
    assert os.listdir(site.root / "artifacts") == ["bystander"]
    assert leftovers(site.root) == []


# -- saving over damage ------------------------------------------------------------------

_SAVES = {
    "session": lambda s: s.save(f.session(VICTIM, messages=4)),
    "traces": lambda s: s.save_trace_events(VICTIM, [f.trace_event("new")]),
    "runs": lambda s: s.save_run_records(VICTIM, [f.run_record(VICTIM)]),
    "verification": lambda s: s.save_verification_reports(VICTIM, [f.verification_report()]),
    "subagent_tasks": lambda s: s.save_subagent_tasks(VICTIM, [f.subagent_task(VICTIM)]),
    "artifacts": lambda s: s.save_artifacts(VICTIM, f.artifact_store("new")),
    "loop": lambda s: s.save_loop_checkpoint(RUN, f.loop_checkpoint(RUN, VICTIM)),
    "workflow": lambda s: s.save_workflow_checkpoint(FLOW, f.workflow_checkpoint(FLOW)),
}


@pytest.mark.parametrize("damage", ["garbage", "folder", "fifo"])
@pytest.mark.parametrize("loc", list(LOCATIONS))
def test_a_save_over_damage_refuses_or_sets_it_aside_and_never_wedges(site, loc, damage):
    """The session file is moved to quarantine; a side file or checkpoint holding
    garbage is replaced (as a3s-code does); a folder or FIFO at a side file or
    checkpoint is refused, naming it. The store keeps working either way."""
    path = site.path(loc)
    os.unlink(path)
    if damage == "garbage":
        with open(path, "wb") as fh:
            fh.write(b"{torn")
    elif damage == "folder":
        os.mkdir(path)
    else:
        os.mkfifo(path)
    saves = [_SAVES[loc]]
    if loc in PER_SESSION:
        saves.append(lambda s: s.save_snapshot(SessionSnapshot(session=f.session(VICTIM))))
    for save in saves:
        try:
            with hang_guard(20):
                save(site.store)
        except CorruptDataError as exc:
            assert damage != "garbage" and loc != "session", exc
            assert exc.path == path and type(exc) is CorruptDataError
        except FORBIDDEN + (OSError,) as exc:
            raise AssertionError(f"{loc}/{damage}: {type(exc).__name__}: {exc}") from exc
        else:
            assert damage == "garbage" or loc == "session"
            assert LOCATIONS[loc][1](site.store) is not None
    if loc == "session":
        kept = os.listdir(site.root / ".a3s_store" / "quarantine")
        assert len(kept) == 1 and kept[0].startswith("victim.")
    assert leftovers(site.root) == []
    assert site.store.list() == ["bystander", VICTIM]
    assert site.store.load("bystander") is not None


def _index_cases(root_mtime: int, good_rows: list, good_ids: list) -> list:
    """(file, content) for index.json and ids.json, each with a version that
    claims to be fresh (built well after the folder's mtime) and one stale."""
    cases = []
    for built in (root_mtime + 3_000_000_000, root_mtime):
        def doc(key, value, **over):
            if key == "rows":  # the index holds its rows as columns
                key, value = "columns", _as_columns(value)
            return {"version": 2, "root_mtime_ns": root_mtime, "built_ns": built,
                    key: value, **over}

        row = list(good_rows[0])
        bad_rows = [[1] * 11, [["x"]] + row[1:], [row[0], 5] + row[2:],
                    row[:2] + [None, None, None, "many", None, None] + row[8:],
                    [row[0], ["a"]] + row[2:], [row[0], "\ud800"] + row[2:],
                    [None] + row[1:], row[:8] + ["s", "m", "i"], row + [1], row[:10]]
        cases += [("index.json", doc("rows", [r] + good_rows[1:])) for r in bad_rows]
        cases += [("index.json", doc("rows", 5)), ("index.json", doc("rows", [5])),
                  ("index.json", doc("rows", good_rows, version=1)),
                  ("index.json", doc("rows", good_rows, version=3)),
                  ("index.json", doc("rows", good_rows, root_mtime_ns="x")),
                  ("ids.json", doc("ids", [5])), ("ids.json", doc("ids", [None, "a"])),
                  ("ids.json", doc("ids", "victim")), ("ids.json", doc("ids", [["a"]])),
                  ("ids.json", doc("ids", good_ids, built_ns=None))]
    return cases + [(name, raw) for name in ("index.json", "ids.json")
                    for raw in (b"", b"{", b"[]", b"null", b"\xff", b"9" * 5000)]


def _as_columns(rows):
    """The index's column form of ``rows``; malformed rows stay malformed."""
    if type(rows) is not list or not all(type(r) is list for r in rows):
        return rows
    return [list(col) for col in itertools.zip_longest(*rows, fillvalue="<missing>")]


def _rows_of(index_doc: dict) -> list:
    return [list(r) for r in zip(*index_doc["columns"])]


def test_a_damaged_listing_index_never_breaks_a_listing(tmp_path, valid):
    # Regression: a row of the wrong types made list()/list_summaries() raise
    # TypeError or InvalidIdError, or list a session under the wrong summary.
    probe = Site(tmp_path / "probe", valid)
    truth_ids = probe.store.list()
    truth = probe.store.list_summaries()
    internal = probe.root / ".a3s_store" / "cache"
    good_rows = _rows_of(json.loads((internal / "index.json").read_bytes()))
    good_ids = json.loads((internal / "ids.json").read_bytes())["ids"]
    for n, (name, content) in enumerate(_index_cases(0, good_rows, good_ids)):
        site = Site(tmp_path / f"s{n}", valid)
        site.store.list_summaries()
        root_mtime = os.stat(site.root).st_mtime_ns
        if isinstance(content, dict):  # aim it at this folder
            content = dict(content, root_mtime_ns=root_mtime if content["root_mtime_ns"] == 0
                           else content["root_mtime_ns"])
            if type(content.get("built_ns")) is int:
                content["built_ns"] += root_mtime
            columns = content.get("columns")
            if type(columns) is list and len(columns) == 11 and \
                    all(type(c) is list for c in columns):  # keep file signatures current
                here = json.loads((site.root / ".a3s_store" / "cache" / "index.json").read_bytes())
                sigs = {r[0]: r[8:] for r in _rows_of(here)}
                rows = [list(r) for r in zip(*columns)]
                rows = [r[:8] + sigs.get(r[0], r[8:]) if type(r[0]) is str else r
                        for r in rows]
                content["columns"] = _as_columns(rows)
            raw = json.dumps(content).encode("utf-8", "surrogatepass")
        else:
            raw = content
        (site.root / ".a3s_store" / "cache" / name).write_bytes(raw)
        os.utime(site.root, ns=(root_mtime, root_mtime))
        where = f"index case {n}: {name} {content!r}"[:300]
        try:
            assert site.store.list() == truth_ids, where
            got = site.store.list_summaries()
            assert [(s.id, s.name, s.messages) for s in got] == \
                [(s.id, s.name, s.messages) for s in truth], where
            assert all(type(s.messages) is int and type(s.name) is str for s in got), where
        except FORBIDDEN + (InvalidIdError,) as exc:
            raise AssertionError(f"{where}: {type(exc).__name__}: {exc}") from exc
