"""Ids to file names: the plain names of a3s-code, and escaped names for the rest."""

from __future__ import annotations

import random
import unicodedata

import pytest

from a3s_store import InvalidIdError
from a3s_store._names import MAX_NAME_BYTES, file_stem, id_from_stem, is_plain, legacy_stem


@pytest.mark.parametrize("identifier", ["session-1", "a", "A", "a.b", "x_y", "-rf", "v1.2.3",
                                        "0", "con1", "com10", "x" * MAX_NAME_BYTES])
def test_plain_ids_keep_the_rust_name(identifier):
    assert file_stem(identifier) == identifier
    assert id_from_stem(identifier) == identifier


@pytest.mark.parametrize("identifier", ["", ".", "..", "...", ".a", "a.", "a..b", "a/b", "a\\b",
                                        "CON", "con", "con.json", "nul.txt", "COM1", "lpt9",
                                        "LPT0", "CONIN$", "conout$", "COM¹", "a b", " a", "a ",
                                        "C:evil", "a:b", "x\x00y", "\n", "é", "%", "%2F",
                                        "é" * 10])
def test_other_ids_are_escaped_and_reversible(identifier):
    stem = file_stem(identifier)
    assert stem.startswith("%")
    assert id_from_stem(stem) == identifier
    assert not stem.endswith((".", " "))
    assert "/" not in stem and "\\" not in stem and ":" not in stem and "\x00" not in stem


def test_a_plain_name_never_contains_the_escape_character():
    assert not is_plain("%abc")
    assert id_from_stem("%abc%2") is None  # not canonical
    assert id_from_stem("%%61") is None  # 'a' must be written literally
    assert id_from_stem("%abc") is None  # "abc" is plain: its name is "abc"


def test_non_strings_lone_surrogates_and_long_ids_are_refused():
    for bad in (None, 1, b"x", ["a"]):
        with pytest.raises(InvalidIdError, match="must be a str"):
            file_stem(bad)
    with pytest.raises(InvalidIdError, match="Unicode"):
        file_stem("a\ud800")
    with pytest.raises(InvalidIdError, match="too long"):
        file_stem("x" * (MAX_NAME_BYTES + 1))
    with pytest.raises(InvalidIdError, match="too long"):
        file_stem("é" * 100)
    with pytest.raises(InvalidIdError, match="too long"):
        file_stem("x" * 1_000_000)


def test_legacy_stem_is_the_rust_sanitiser():
    assert legacy_stem("foo\\bar\\baz") == "foo_bar_baz"
    assert legacy_stem("foo/bar\\baz..qux") == "foo_bar_baz_qux"
    assert legacy_stem("../../../etc/passwd") == "______etc_passwd"
    assert legacy_stem("plain-id") is None


def test_generated_ids_never_share_a_name_even_after_casefold_and_normalisation():
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    alphabet = "aAbB._-/\\: %é\u0301\u00e9\x00\x1f~EeÉ" + "".join(map(chr, range(0x30, 0x3a)))
    names: dict[str, str] = {}
    for _ in range(10_000):
        identifier = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        if rng.random() < 0.1:
            identifier = unicodedata.normalize(rng.choice(["NFC", "NFD"]), identifier)
        stem = file_stem(identifier)
        assert id_from_stem(stem) == identifier, f"seed={seed} id={identifier!r}"
        for variant in {stem.casefold(), unicodedata.normalize("NFC", stem.casefold()),
                        unicodedata.normalize("NFD", stem.casefold())}:
            if not is_plain(identifier):  # plain names are a3s-code's; case pairs are detected
                other = names.setdefault(variant, identifier)
                assert other == identifier, f"seed={seed}: {other!r} and {identifier!r} collide"
