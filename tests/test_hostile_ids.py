"""Hostile ids (reliability.md §2.7, §3.6): each round-trips exactly or is refused before I/O.

Every id of the corpus is either stored - through every method that takes a
session, run or workflow id - under a3s-code's name for it when that name is
free and another of its names when not, and comes back exactly, or is refused
with :class:`InvalidIdError` before the first filesystem call. Either way
nothing outside the store's root changes.
"""

from __future__ import annotations

import os
import random
import unicodedata

import pytest

import factories as f
from a3s_store import FileSessionStore, InvalidIdError, SessionSnapshot
from a3s_store._names import MAX_NAME_BYTES, candidates, check_id, folder_name, rust_stem
from hostile import IOAttempted, no_io, seed_from_env, tree_outside
from strength import count

INTERNAL = ".a3s_store"


class Tagged(str):
    """A str subclass that lies about itself: the store must use its plain value."""

    def __str__(self):
        return "lie"

    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


#: (id, reason) - the reason says why the id is in the corpus.
CORPUS = [
    ("", "empty"),
    (".", "dot"),
    ("..", "dot-dot"),
    ("...", "three dots"),
    ("../x", "parent traversal"),
    ("../../etc/passwd", "deep traversal"),
    ("a/b", "slash"),
    ("a\\b", "backslash"),
    ("a_b", "what Rust maps a/b to"),
    ("a..b", "what Rust maps to a_b too"),
    ("/abs", "absolute path"),
    ("C:evil", "Windows drive-relative"),
    ("C:\\x", "Windows drive path"),
    ("\\\\server\\share\\x", "UNC path"),
    ("a:b", "NTFS stream"),
    ("a::$DATA", "NTFS default stream"),
    ("CON", "device"),
    ("con", "device, lower case"),
    ("con.json", "device with extension"),
    ("NUL", "device"),
    ("nul.txt", "device with extension"),
    ("AUX", "device"),
    ("PRN", "device"),
    ("COM1", "device"),
    ("COM0", "device (newer list)"),
    ("LPT9", "device"),
    ("lpt0", "device (newer list)"),
    ("COM\u00b9", "superscript device"),
    ("COM\u00b2", "superscript device"),
    ("LPT\u00b3", "superscript device"),
    ("lpt\u00b9.txt", "superscript device with extension"),
    ("CONIN$", "console device"),
    ("CONOUT$", "console device"),
    ("a.", "trailing dot"),
    ("a ", "trailing space"),
    (" a", "leading space"),
    ("a. . ", "trailing dots and spaces"),
    ("-rf", "option-like"),
    ("~", "home"),
    ("x\x00y", "NUL"),
    ("\x00", "only NUL"),
    ("\n", "newline"),
    ("\r\n\t", "control characters"),
    ("\x1b[31m", "terminal escape"),
    ("\x7f", "DEL"),
    ("<>:\"|?*", "Windows-forbidden characters"),
    ("A", "case pair (upper)"),
    ("a", "case pair (lower)"),
    ("Ab-C", "mixed case"),
    ("ab-c", "mixed case, lower"),
    ("\u00e9", "NFC"),
    ("e\u0301", "NFD"),
    ("\u212a", "Kelvin sign (casefolds to k)"),
    ("k", "plain k"),
    ("\u00df", "sharp s (casefolds to ss)"),
    ("ss", "plain ss"),
    ("\ufb01", "ligature fi (NFKC fi)"),
    ("\u0130", "dotted capital I"),
    ("\u202e", "right-to-left override"),
    ("\u200d", "zero-width joiner"),
    ("\ufeff", "byte order mark"),
    ("\uff0e\uff0e", "full-width dots"),
    ("\uff0f", "full-width slash"),
    ("%2e%2e", "percent-escaped dots"),
    ("%2F", "percent-escaped slash"),
    ("%", "escape character"),
    ("%%41", "escape-looking"),
    ("\u4f1a\u8bdd", "CJK"),
    ("\U0001f600", "emoji"),
    ("x.json", "ends in .json"),
    (".json", "only .json"),
    ("x.tmp", "ends in .tmp"),
    ("x.json.1700000000000000000.42.0.tmp", "a3s-code temporary name"),
    ("18c5e1f0a2b3c4d5-4242-deadbeef.tmp", "the store's temporary name"),
    ("18c5e1f0a2b3c4d5-4242-deadbeef.commit", "the store's commit record name"),
    (".lock", "lock name"),
    ("lock", "the store's lock file"),
    (".a3s_store", "the store's folder"),
    ("sessions", "a folder name"),
    ("artifacts", "a category folder"),
    ("traces", "a category folder"),
    ("loop_checkpoints", "a category folder"),
    ("meta", "an internal folder"),
    ("quarantine", "an internal folder"),
    ("x" * MAX_NAME_BYTES, "longest id stored under a3s-code's name"),
    ("x" * (MAX_NAME_BYTES + 1), "one past it (a hashed name)"),
    ("x" * 255, "255 bytes"),
    ("x" * 256, "256 bytes"),
    ("\U0001f600" * 64, "64 four-byte emoji (256 bytes)"),
    ("\u00e9" * 22, "escaped, just under the limit"),
    ("x" * 1000, "1,000 characters"),
    ("x" * 1_000_000, "1 MB"),
    ("\ud800", "lone high surrogate"),
    ("a\udc80b", "lone low surrogate"),
    ("\udfff\ud800", "reversed pair"),
    ("ok\udcff", "lone surrogate at the end"),
    (Tagged("tagged"), "str subclass that lies"),
    (None, "None"),
    (1, "int"),
    (1.5, "float"),
    (True, "bool"),
    (b"x", "bytes"),
    (bytearray(b"x"), "bytearray"),
    (["a"], "list"),
    (("a",), "tuple"),
    ({"id": "a"}, "dict"),
    (object(), "object"),
    (memoryview(b"x"), "memoryview"),
    (frozenset({"a"}), "frozenset"),
]

IDS = [ident for ident, _ in CORPUS]


def _accepted(identifier) -> bool:
    try:
        check_id(identifier)
    except InvalidIdError:
        return False
    return True


def _expected_names(values) -> dict[str, str]:
    """id -> the name the store must write it under, ids saved in this order into
    an empty store: the first of its names that no earlier id took."""
    taken: dict[str, str] = {}
    return {value: _first_free(value, taken) for value in values}


def _first_free(value: str, taken: dict[str, str]) -> str:
    """The first name of ``value`` not in ``taken`` (name -> id), which it then takes.
    The names of the artifacts folders of "" and "." are never a new file's."""
    for name in candidates(value):
        if taken.get(name, value) == value and name not in ("%F", "%F%2E"):
            taken[name] = value
            return name
    raise AssertionError(f"no name for {value!r}")


def _why_refused(identifier) -> str:
    """The reason the refusal message must give (worked out independently of _names)."""
    if not isinstance(identifier, str):
        return "must be a str"
    assert any(0xD800 <= ord(c) <= 0xDFFF for c in identifier)
    return "Unicode"


def test_the_corpus_is_big_and_covers_both_outcomes():
    assert len(CORPUS) >= 60
    assert len({repr(i) for i in IDS}) == len(IDS)
    accepted = [i for i in IDS if _accepted(i)]
    assert len(accepted) >= 60 and len(IDS) - len(accepted) >= 15


# -- refused ids ---------------------------------------------------------------


def _calls_taking(identifier):
    """Every store method that takes an id, bound to ``identifier``."""
    session = f.session("placeholder")
    session.id = identifier
    loop = f.loop_checkpoint("placeholder")
    loop.run_id = identifier
    flow = f.workflow_checkpoint("placeholder")
    flow.workflow_id = identifier
    return {
        "save": lambda s: s.save(session),
        "save_snapshot": lambda s: s.save_snapshot(SessionSnapshot(session=session)),
        "load": lambda s: s.load(identifier),
        "load_snapshot": lambda s: s.load_snapshot(identifier),
        "exists": lambda s: s.exists(identifier),
        "delete": lambda s: s.delete(identifier),
        "save_artifacts": lambda s: s.save_artifacts(identifier, f.artifact_store()),
        "load_artifacts": lambda s: s.load_artifacts(identifier),
        "save_trace_events": lambda s: s.save_trace_events(identifier, [f.trace_event()]),
        "load_trace_events": lambda s: s.load_trace_events(identifier),
        "save_run_records": lambda s: s.save_run_records(identifier, []),
        "load_run_records": lambda s: s.load_run_records(identifier),
        "save_verification_reports": lambda s: s.save_verification_reports(identifier, []),
        "load_verification_reports": lambda s: s.load_verification_reports(identifier),
        "save_subagent_tasks": lambda s: s.save_subagent_tasks(identifier, []),
        "load_subagent_tasks": lambda s: s.load_subagent_tasks(identifier),
        "save_loop_checkpoint": lambda s: s.save_loop_checkpoint(identifier, loop),
        "load_loop_checkpoint": lambda s: s.load_loop_checkpoint(identifier),
        "delete_loop_checkpoint": lambda s: s.delete_loop_checkpoint(identifier),
        "save_workflow_checkpoint": lambda s: s.save_workflow_checkpoint(identifier, flow),
        "load_workflow_checkpoint": lambda s: s.load_workflow_checkpoint(identifier),
        "delete_workflow_checkpoint": lambda s: s.delete_workflow_checkpoint(identifier),
    }


@pytest.mark.parametrize("identifier", [i for i in IDS if not _accepted(i)],
                         ids=lambda i: repr(i)[:30])
def test_refused_ids_are_refused_before_any_io_by_every_method(tmp_path, identifier):
    root = tmp_path / "parent" / "store"
    store = FileSessionStore(root, durable=False)
    before = tree_outside(tmp_path, root)
    inside = sorted(os.listdir(root))
    why = _why_refused(identifier)
    for method, call in _calls_taking(identifier).items():
        with no_io():
            try:
                call(store)
            except InvalidIdError as exc:
                assert why in str(exc), (method, str(exc))
                assert isinstance(exc, ValueError)
                assert len(str(exc)) < 400, "the message must not quote a huge id whole"
            except IOAttempted as exc:
                pytest.fail(f"{method} touched the filesystem ({exc}) before refusing the id")
            else:
                pytest.fail(f"{method} accepted {identifier!r}")
    assert sorted(os.listdir(root)) == inside
    assert tree_outside(tmp_path, root) == before


def test_a_str_subclass_is_stored_under_its_plain_value():
    # Regression: the stem came from str(), which a subclass can override.
    assert check_id(Tagged("tagged")) == "tagged"
    assert type(check_id(Tagged("a/b"))) is str and rust_stem(check_id(Tagged("a/b"))) == "a_b"


def test_exists_refuses_a_bad_id_before_any_io(tmp_path):
    # Regression: exists() opened the root and took the lock before naming the file.
    store = FileSessionStore(tmp_path / "store")
    with no_io(), pytest.raises(InvalidIdError, match="must be a str"):
        store.exists(None)


def test_save_loop_checkpoint_refuses_a_bad_run_id_as_an_id_error(tmp_path):
    # Regression: the key check ran first and said "cannot be saved under" for a bad id.
    store = FileSessionStore(tmp_path / "store")
    with no_io(), pytest.raises(InvalidIdError, match="Unicode"):
        store.save_loop_checkpoint("\ud800", f.loop_checkpoint("run-1"))
    with no_io(), pytest.raises(InvalidIdError, match="must be a str"):
        store.save_workflow_checkpoint(7, f.workflow_checkpoint("wf-1"))


# -- accepted ids: every method, all of them in one store ------------------------


def _plain_value(identifier) -> str:
    return str.__str__(identifier)


def _session(identifier, **kw):
    session = f.session("placeholder", **kw)
    session.id = identifier
    return session


def _loop(identifier, **kw):
    checkpoint = f.loop_checkpoint("placeholder", **kw)
    checkpoint.run_id = identifier
    return checkpoint


def _flow(identifier, **kw):
    checkpoint = f.workflow_checkpoint("placeholder", **kw)
    checkpoint.workflow_id = identifier
    return checkpoint


def test_every_accepted_id_round_trips_through_every_method_without_sharing_a_file(tmp_path):
    root = tmp_path / "parent" / "store"
    (tmp_path / "parent" / "outside").mkdir(parents=True)
    (tmp_path / "parent" / "outside" / "passwd").write_bytes(b"root:x:0:0")
    (tmp_path / "etc").mkdir()
    store = FileSessionStore(root, durable=False)
    before = tree_outside(tmp_path, root)
    accepted = [i for i in IDS if _accepted(i)]
    values = [_plain_value(i) for i in accepted]
    assert len(set(values)) == len(values)

    for n, (ident, value) in enumerate(zip(accepted, values)):
        label = f"#{n}"
        store.save_snapshot(SessionSnapshot(
            session=_session(ident, name=label), artifacts=f.artifact_store(label),
            trace_events=[f.trace_event(label)], run_records=[f.run_record(value, prompt=label)],
            verification_reports=[f.verification_report(label)],
            subagent_tasks=[f.subagent_task(value)]))
        store.save_loop_checkpoint(ident, _loop(ident, session_id=label))
        store.save_workflow_checkpoint(ident, _flow(ident, steps=n % 3 + 1))
    # Separate saves too (the single-file path of each component).
    for n, ident in enumerate(accepted):
        store.save_trace_events(ident, [f.trace_event(f"#{n}"), f.trace_event("again")])

    assert store.list() == sorted(values)
    assert [s.id for s in store.list_summaries()] == sorted(values)
    for n, (ident, value) in enumerate(zip(accepted, values)):
        label = f"#{n}"
        assert store.exists(ident)
        session = store.load(ident)
        assert type(session.id) is str and session.id == value and session.config.name == label
        snap = store.load_snapshot(ident)
        assert snap.session.id == value and snap.revision == session.revision
        assert snap.artifacts.get("a3s://artifacts/art-0").content == label
        assert [e.name for e in snap.trace_events] == [label, "again"]
        assert snap.run_records[0].snapshot.prompt == label
        assert snap.verification_reports[0].subject == label
        assert snap.subagent_tasks[0].parent_session_id == value
        assert store.load_artifacts(ident).get("a3s://artifacts/art-0").content == label
        assert store.load_run_records(ident)[0].snapshot.prompt == label
        assert store.load_loop_checkpoint(ident).session_id == label
        assert len(store.load_workflow_checkpoint(ident).steps) == n % 3 + 1

    # One file per id in each folder: no two ids share a name, and each id is at
    # a3s-code's name unless an earlier id holds it.
    expected = _expected_names(values)
    stems = [expected[v] for v in values]
    assert len(set(stems)) == len(stems)
    assert sum(s == rust_stem(v) for s, v in zip(stems, values)) > len(values) // 2
    assert sorted(os.listdir(root)) == sorted(
        [s + ".json" for s in stems] + [INTERNAL, "artifacts", "traces", "runs", "verification",
                                        "subagent_tasks", "loop_checkpoints",
                                        "workflow_checkpoints"])
    for folder in ("traces", "runs", "verification", "subagent_tasks", "loop_checkpoints",
                   "workflow_checkpoints"):
        assert sorted(os.listdir(root / folder)) == sorted(s + ".json" for s in stems), folder
    assert sorted(os.listdir(root / "artifacts")) == sorted(folder_name(s) for s in stems)

    # Deleting one id removes its files only.
    for n, (ident, _value) in enumerate(zip(accepted, values)):
        if n % 2:
            store.delete(ident)
            store.delete_loop_checkpoint(ident)
            store.delete_workflow_checkpoint(ident)
    for n, (ident, _value) in enumerate(zip(accepted, values)):
        gone = bool(n % 2)
        assert store.exists(ident) is not gone
        assert (store.load(ident) is None) is gone
        assert (store.load_trace_events(ident) is None) is gone
        assert (store.load_artifacts(ident) is None) is gone
        assert (store.load_loop_checkpoint(ident) is None) is gone
        assert (store.load_workflow_checkpoint(ident) is None) is gone
        if not gone:
            assert store.load(ident).config.name == f"#{n}"
    assert store.list() == sorted(v for n, v in enumerate(values) if not n % 2)
    assert tree_outside(tmp_path, root) == before


# -- generated ids ---------------------------------------------------------------

_ALPHABETS = [
    "abcxyzABCXYZ0189",
    "._-~ /\\:%",
    "\x00\x01\x1f\x7f\n\t",
    "\u00e9\u0301eE\u00c9\u212akK\u00dfs",
    "\u4f1a\u8bdd\U0001f600\u202e\u200d\ufeff\uff0e",
]


def _generated_id(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.05:  # a device name, maybe decorated
        base = rng.choice(["con", "CON", "nul", "Com1", "lpt\u00b9", "conin$", "aux"])
        return base + rng.choice(["", ".", ".txt", " ", ".json"])
    if shape < 0.08:  # near the length limit
        return rng.choice("xY-") * rng.randint(MAX_NAME_BYTES - 3, MAX_NAME_BYTES + 3)
    if shape < 0.10:  # a lone surrogate somewhere
        return "a" * rng.randint(0, 3) + chr(rng.randint(0xD800, 0xDFFF))
    alphabet = "".join(rng.sample(_ALPHABETS, rng.randint(1, len(_ALPHABETS))))
    ident = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
    if rng.random() < 0.2:
        ident = unicodedata.normalize(rng.choice(["NFC", "NFD", "NFKC"]), ident)
    return ident


def test_generated_ids_round_trip_and_never_collide(tmp_path):
    seed = seed_from_env()
    rng = random.Random(seed)
    ctx = f"seed={seed} (replay with A3S_SEED={seed})"
    root = tmp_path / "parent" / "store"
    store = FileSessionStore(root, durable=False)
    before = tree_outside(tmp_path, root)
    stored: dict[str, str] = {}  # file name -> id
    taken: dict[str, str] = {}  # name -> id, as the store must assign them
    refused = 0
    tried = 0
    while len(stored) < count(1_500, 10_000):  # see strength.py
        ident = _generated_id(rng)
        tried += 1
        try:
            check_id(ident)
        except InvalidIdError as exc:
            refused += 1
            assert _why_refused(ident) in str(exc), f"{ctx} id={ident!r}: {exc}"
            with no_io(), pytest.raises(InvalidIdError):
                store.save(_session(ident))
            continue
        try:
            store.save(_session(ident, messages=0, name=str(tried)))
        except BaseException:
            print(f"{ctx} id={ident!r}")
            raise
        stem = _first_free(ident, taken)
        stored[stem + ".json"] = ident
    assert 0 < refused < tried // 5, ctx
    ids = sorted(set(stored.values()))
    assert store.list() == ids, ctx
    names = set(os.listdir(root)) - {INTERNAL}
    assert names == set(stored), ctx

    # The names of ours never meet on a case-insensitive or normalising disk;
    # a3s-code's names may (it writes "Chat" and "chat" as they are), and on
    # such a disk the id inside the file tells them apart (test_two_way.py).
    seen: dict[str, str] = {}
    for name, ident in stored.items():
        if name[:-5] == rust_stem(ident):
            continue
        for variant in {name.casefold(), unicodedata.normalize("NFC", name.casefold()),
                        unicodedata.normalize("NFD", name.casefold()),
                        unicodedata.normalize("NFKC", name).casefold()}:
            other = seen.setdefault(variant, ident)
            assert other == ident, f"{ctx}: {other!r} and {ident!r} collide"

    sample = rng.sample(ids, min(500, len(ids)))
    for ident in sample:
        assert store.load(ident).id == ident, f"{ctx} id={ident!r}"
    dropped = set(sample[:250])
    for ident in dropped:
        store.delete(ident)
    assert store.list() == sorted(set(ids) - dropped), ctx
    assert tree_outside(tmp_path, root) == before, ctx
    print(f"generated ids: {tried} tried, {len(ids)} distinct stored, {refused} refused; {ctx}")
