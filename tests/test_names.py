"""Ids to file names: a3s-code's own name first, names of ours only where it cannot be."""

from __future__ import annotations

import random
import unicodedata

import pytest

from a3s_store import InvalidIdError, _names
from a3s_store._names import (
    MAX_NAME_BYTES,
    candidates,
    check_id,
    creatable,
    folder_name,
    hashed_stem,
    own_stem,
    rust_stem,
    usable,
)
from crashkit import seed_from_env


def safe_session_id(identifier: str) -> str:
    """a3s-code-core 3.4's sanitiser, written out from format.md §3.2 (not from _names)."""
    return identifier.replace("/", "_").replace("\\", "_").replace("..", "_")


def decode_own(stem: str) -> str:
    """The id an escaped name stands for (the inverse of own_stem, written here)."""
    assert stem.startswith("%")
    out, i = bytearray(), 1
    while i < len(stem):
        if stem[i] == "%":
            out.append(int(stem[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(ord(stem[i]))
            i += 1
    return out.decode("utf-8")


@pytest.mark.parametrize("identifier, expected", [
    ("foo\\bar\\baz", "foo_bar_baz"),
    ("foo/bar\\baz..qux", "foo_bar_baz_qux"),
    ("../../../etc/passwd", "______etc_passwd"),
    ("tenant/chat-1", "tenant_chat-1"),
    ("user@example.com", "user@example.com"),
    ("a b", "a b"),
    ("a..b", "a_b"),
    ("Grüße", "Grüße"),
    ("...", "_."),
])
def test_the_first_name_is_a3s_codes(identifier, expected):
    assert rust_stem(identifier) == safe_session_id(identifier) == expected
    assert candidates(identifier)[0] == expected


def test_a_name_of_ours_comes_next_and_never_meets_another_ids():
    assert candidates("tenant/chat-1") == ["tenant_chat-1", "%tenant%2Fchat-1",
                                           hashed_stem("tenant/chat-1")]
    assert candidates("Chat")[:2] == ["Chat", "%%43hat"]  # upper case is escaped
    assert decode_own(own_stem("tenant/Chat 1")) == "tenant/Chat 1"


def test_a_hashed_name_is_the_last_resort_and_never_an_escaped_one():
    # a3s-code stores the id "%41" at %41.json, the escaped name of "A": the
    # hashed name is left for "A". "H" is escaped in our names, so "%H..." is
    # never one of them.
    assert candidates("A") == ["A", "%%41", hashed_stem("A")]
    assert hashed_stem("A").startswith("%H") and not own_stem("H...").startswith("%H")


def test_only_the_names_kept_for_two_artifacts_folders_are_never_a_new_file():
    assert not creatable("%F") and not creatable("%F%2E")
    assert creatable("%41") and creatable("a_b") and creatable(own_stem("%F"))


@pytest.mark.parametrize("identifier", ["", "."])
def test_ids_whose_a3s_code_name_cannot_hold_an_artifacts_folder_keep_it_elsewhere(
        identifier):
    # a3s-code stores "" as ".json" and "." as "..json"; their artifacts folder
    # would be artifacts/ itself, so theirs has a name of its own.
    assert candidates(identifier)[0] == identifier
    assert folder_name(identifier) not in ("", ".") and folder_name(identifier).startswith("%F")
    assert not creatable("%F")  # a3s-code's name of the id "%F": never a new file


def test_the_length_limit_is_a_file_names_255_bytes_less_json():
    assert MAX_NAME_BYTES == 250
    assert usable("x" * 250) and not usable("x" * 251)
    assert usable("é" * 125) and not usable("é" * 126)  # bytes, not characters
    # a3s-code's names past the old 200-byte limit are a3s-code's names still
    for identifier in ("x" * 201, "会话" * 12 * 2):
        assert candidates(identifier)[0] == identifier
    # an id whose names are all too long gets a hashed one, always short
    long = "x" * 300
    assert candidates(long) == [hashed_stem(long)] and len(hashed_stem(long)) == 42


@pytest.mark.parametrize("stem", ["..", "a/b", "x\x00y"])
def test_names_that_cannot_be_a_file_name_anywhere(stem):
    assert not usable(stem)


@pytest.mark.parametrize("stem", ["CON", "nul.txt", "COM¹", "a:b", "a.", "a ", "x<y", "\x01"])
def test_windows_names_are_refused_on_windows_only(monkeypatch, stem):
    assert usable(stem)
    monkeypatch.setattr(_names, "WINDOWS", True)
    assert not usable(stem)


def test_non_strings_and_lone_surrogates_are_refused_a_subclass_is_its_plain_value():
    for bad in (None, 1, b"x", ["a"]):
        with pytest.raises(InvalidIdError, match="must be a str"):
            check_id(bad)
    with pytest.raises(InvalidIdError, match="Unicode"):
        check_id("a\ud800")

    class Lying(str):
        def __str__(self):
            return "lie"

    assert check_id(Lying("tagged")) == "tagged" and type(check_id(Lying("t"))) is str


def test_escaped_names_never_meet_even_after_casefold_and_normalisation():
    seed = seed_from_env()
    rng = random.Random(seed)
    alphabet = "aAbB._-/\\: %é\u0301\u00e9\x00\x1f~EeÉ" + "".join(map(chr, range(0x30, 0x3a)))
    seen: dict[str, str] = {}
    for _ in range(10_000):
        identifier = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        if rng.random() < 0.1:
            identifier = unicodedata.normalize(rng.choice(["NFC", "NFD"]), identifier)
        stem = own_stem(identifier)
        assert decode_own(stem) == identifier, f"seed={seed} id={identifier!r}"
        for variant in {stem.casefold(), unicodedata.normalize("NFC", stem.casefold()),
                        unicodedata.normalize("NFD", stem.casefold())}:
            other = seen.setdefault(variant, identifier)
            assert other == identifier, f"seed={seed}: {other!r} and {identifier!r} collide"
