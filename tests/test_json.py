"""Tests of a3s_store._json: serde_json's bytes out, CorruptDataError in."""

from __future__ import annotations

import json
import random

import pytest

from a3s_store._json import (
    F32,
    MAX_DEPTH,
    Raw,
    decode,
    encode,
    encode_bytes,
    format_f32,
    format_f64,
)
from a3s_store.errors import CorruptDataError, InvalidDataError

# ------------------------------------------------------------ encode errors


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_encode_rejects_non_finite_floats_with_path(bad):
    with pytest.raises(InvalidDataError) as info:
        encode({"a": [1, {"b": bad}]})
    assert info.value.key == "a[1].b"
    with pytest.raises(InvalidDataError):
        encode(bad)
    with pytest.raises(InvalidDataError):
        encode(F32(bad))


def test_encode_rejects_f32_overflow():
    with pytest.raises(InvalidDataError) as info:
        encode({"x": F32(1e39)})
    assert info.value.key == "x"
    assert encode(F32(3.4028234663852886e38)) == "3.4028235e38"


@pytest.mark.parametrize("key", [1, 1.5, None, True, (1, 2), b"k"])
def test_encode_rejects_non_str_keys(key):
    with pytest.raises(InvalidDataError) as info:
        encode({"outer": {key: 1}})
    assert info.value.key == "outer"
    assert "keys must be strings" in info.value.message


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", object(), 1j, bytearray(b"x")])
def test_encode_rejects_unsupported_types(value):
    with pytest.raises(InvalidDataError) as info:
        encode({"list": [0, value]})
    assert info.value.key == "list[1]"


def _nested(depth: int) -> object:
    value: object = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_encode_nesting_limit_matches_serde_json():
    # serde_json reads 127 nested containers and refuses 128.
    encode(_nested(MAX_DEPTH))
    for depth in (MAX_DEPTH + 1, 1_000, 100_000):
        with pytest.raises(InvalidDataError) as info:
            encode(_nested(depth))
        assert "nesting" in info.value.message
    # level counts: a value starting at level 1 may nest one less
    encode(_nested(MAX_DEPTH - 1), level=1)
    with pytest.raises(InvalidDataError):
        encode(_nested(MAX_DEPTH), level=1)


def test_encode_deep_dicts_never_raise_recursion_error():
    value: dict = {}
    for _ in range(50_000):
        value = {"k": value}
    with pytest.raises(InvalidDataError):
        encode(value)


def test_encode_bytes_names_the_lone_surrogate():
    with pytest.raises(InvalidDataError) as info:
        encode_bytes({"messages": [{"text": "ok"}, {"text": "bad \ud800 here"}]})
    assert info.value.key == "messages[1].text"
    assert "surrogate" in info.value.message
    with pytest.raises(InvalidDataError) as info:
        encode_bytes({"a": {"key\udfff": 1}})
    assert info.value.key == "a"


def test_encode_level_must_be_valid():
    with pytest.raises(ValueError):
        encode([], level=-1)
    with pytest.raises(ValueError):
        encode([], level="1")  # type: ignore[arg-type]


# ------------------------------------------------------------ encode bytes


def test_encode_matches_serde_pretty_layout():
    value = {
        "a": [],
        "b": {},
        "c": [1, [2, []], {"d": None}],
        "e": True,
        "f": False,
        "g": -5,
        "h": "x",
    }
    assert encode(value) == (
        "{\n"
        '  "a": [],\n'
        '  "b": {},\n'
        '  "c": [\n'
        "    1,\n"
        "    [\n"
        "      2,\n"
        "      []\n"
        "    ],\n"
        "    {\n"
        '      "d": null\n'
        "    }\n"
        "  ],\n"
        '  "e": true,\n'
        '  "f": false,\n'
        '  "g": -5,\n'
        '  "h": "x"\n'
        "}"
    )
    assert encode([]) == "[]" and encode({}) == "{}" and encode(None) == "null"
    assert encode((1, 2)) == "[\n  1,\n  2\n]"


def test_encode_strings_like_serde_json():
    text = "\"\\/\b\f\n\r\t\x00\x01\x1f\x7f\u2028\u2029é日🚀"
    assert encode(text) == '"\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\x7f\u2028\u2029é日🚀"'
    assert encode_bytes({"k": "é"}) == '{\n  "k": "é"\n}'.encode()


def test_encode_bool_is_not_int_and_subclasses_work():
    import enum

    class Color(str, enum.Enum):
        RED = "Red"

    class Level(enum.IntEnum):
        HIGH = 3

    assert encode([True, 1, False, 0]) == "[\n  true,\n  1,\n  false,\n  0\n]"
    assert encode({"c": Color.RED, "l": Level.HIGH}) == '{\n  "c": "Red",\n  "l": 3\n}'
    assert encode(Color.RED) == '"Red"'


def test_encode_level_and_raw_splicing():
    message = {"role": "user", "content": [{"type": "text", "text": "hi"}]}
    document = {"id": "s", "messages": [message, message]}
    chunk = Raw(encode(message, level=2))
    assert encode({"id": "s", "messages": [chunk, chunk]}) == encode(document)
    assert encode({"x": Raw("123")}) == '{\n  "x": 123\n}'
    assert encode([1], level=1) == "[\n    1\n  ]"


@pytest.mark.parametrize(
    "value, text",
    [
        (1e-6, "1e-6"),
        (1.5e-7, "1.5e-7"),
        (0.00001, "0.00001"),
        (0.000015, "0.000015"),
        (0.0001, "0.0001"),
        (1e16, "1e16"),
        (1.2345678901234568e17, "1.2345678901234568e17"),
        (9999999999999998.0, "9999999999999998.0"),
        (1e15, "1000000000000000.0"),
        (2.0, "2.0"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (0.8, "0.8"),
        (-1.5e-300, "-1.5e-300"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e308"),
        (123.456, "123.456"),
    ],
)
def test_format_f64_like_ryu(value, text):
    assert format_f64(value) == text
    assert encode(value) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (0.8, "0.8"),
        (0.72, "0.72"),
        (0.0005, "0.0005"),
        (0.1 + 0.2, "0.3"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1e12, "1000000000000.0"),
        (1e13, "1e13"),
        (16777217.0, "16777216.0"),
        (2.0, "2.0"),
        (-0.0, "-0.0"),
        (1.401298464324817e-45, "1e-45"),
        (3.4028234663852886e38, "3.4028235e38"),
        (1 / 3, "0.33333334"),
    ],
)
def test_format_f32_like_ryu(value, text):
    assert format_f32(value) == text
    assert encode(F32(value)) == text


def test_f32_repr():
    assert repr(F32(0.72)) == "F32(0.72)"


def test_encode_agrees_with_json_dumps_on_float_free_data():
    seed = random.randrange(2**32)
    rng = random.Random(seed)

    def value(depth: int = 0) -> object:
        kind = rng.randrange(8 if depth < 5 else 5)
        if kind == 0:
            return rng.choice([None, True, False])
        if kind == 1:
            return rng.randrange(-(2**70), 2**70)
        if kind in (2, 3, 4):
            return "".join(chr(rng.choice([rng.randrange(0x20), rng.randrange(0x20, 0xD800),
                                           rng.randrange(0xE000, 0x110000)]))
                           for _ in range(rng.randrange(8)))
        if kind in (5, 6):
            return {str(value(depth + 1)): value(depth + 1) for _ in range(rng.randrange(4))}
        return [value(depth + 1) for _ in range(rng.randrange(4))]

    for _ in range(300):
        doc = value()
        expected = json.dumps(doc, indent=2, ensure_ascii=False)
        assert encode(doc) == expected, f"seed {seed}"


# ------------------------------------------------------------------ decode

_VALID = (
    b'{\n  "id": "s-1",\n  "n": [1, -2.5e-3, true, null, {"k": "\\u00e9\\ud83d\\ude80"}],'
    b'\n  "t": "caf\xc3\xa9"\n}'
)


def test_decode_valid_documents():
    assert decode(_VALID) == {
        "id": "s-1",
        "n": [1, -0.0025, True, None, {"k": "é🚀"}],
        "t": "café",
    }
    assert decode(bytearray(b"[1]")) == [1]
    assert decode(memoryview(b" 2 ")) == 2
    assert decode(_VALID, strict=False) == decode(_VALID)


def test_decode_requires_bytes():
    with pytest.raises(TypeError):
        decode("{}")  # type: ignore[arg-type]


def _corrupt(data: bytes, strict: bool = True) -> CorruptDataError:
    with pytest.raises(CorruptDataError) as info:
        decode(data, strict=strict)
    return info.value


@pytest.mark.parametrize("strict", [True, False])
def test_decode_empty(strict):
    assert "empty" in _corrupt(b"", strict).message
    assert "empty" in _corrupt(b" \n\t ", strict).message


@pytest.mark.parametrize("strict", [True, False])
def test_decode_every_truncation(strict):
    for end in range(len(_VALID)):
        prefix = _VALID[:end]
        try:
            decode(prefix, strict=strict)
        except CorruptDataError:
            continue
        # a few prefixes are complete documents themselves (none here)
        pytest.fail(f"prefix {prefix!r} decoded")


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(
    "data", [b"{} x", b"[1] [2]", b'{"a": 1}}', b"1 2", b"nulls", b"{}\x00"]
)
def test_decode_trailing_garbage(strict, data):
    _corrupt(data, strict)


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(
    "data",
    [b"NaN", b"[Infinity]", b'{"a": -Infinity}', b"[1e400]", b"-1e400", b'{"x": [1.5e999]}'],
)
def test_decode_non_finite_numbers(strict, data):
    _corrupt(data, strict)


def test_decode_duplicate_keys():
    err = _corrupt(b'{"id": "a", "x": {"k": 1, "k": 2}}')
    assert err.message == "duplicate key 'k'"
    assert decode(b'{"k": 1, "k": 2}', strict=False) == {"k": 2}


@pytest.mark.parametrize("strict", [True, False])
def test_decode_huge_integer(strict):
    _corrupt(b"[" + b"9" * 5000 + b"]", strict)


@pytest.mark.parametrize("strict", [True, False])
def test_decode_nesting(strict):
    assert decode(b"[" * 100 + b"]" * 100, strict=strict) == _nested(100)
    # 80,000 levels is far past the parser's recursion guard, yet within the
    # container cap (one per 8 bytes beyond the first 65,536).
    depths = (1_000, 80_000) if strict else (80_000,)
    for depth in depths:
        for doc in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
            assert "nesting too deep" in _corrupt(doc, strict).message
    # Bare brackets 100,000 deep hold more containers than their size allows.
    assert "objects and arrays" in _corrupt(b"[" * 100_000 + b"]" * 100_000, strict).message


def test_decode_strict_nesting_limit_is_serde_json_s():
    """127 nested containers read, 128 do not (as serde_json), on any Python."""
    assert decode(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) == _nested(MAX_DEPTH)
    deep = MAX_DEPTH + 1
    for doc in (b"[" * deep + b"]" * deep,
                b'{"a": [' * (deep // 2) + b"{}" + b"]}" * (deep // 2),
                b'[1, "]]]]", {"k": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}]"):
        assert "nesting too deep" in _corrupt(doc).message
    # brackets inside strings do not count
    assert decode(b'["' + b"[" * 500 + b'"]') == ["[" * 500]


@pytest.mark.parametrize("strict", [True, False])
def test_decode_encodings(strict):
    assert "byte order mark" in _corrupt(b"\xef\xbb\xbf{}", strict).message
    for data in (
        "{}".encode("utf-16"),
        "{}".encode("utf-16-le"),
        "{}".encode("utf-16-be"),
        "{}".encode("utf-32"),
        "[1]".encode("utf-32-le"),
    ):
        assert "UTF-16" in _corrupt(data, strict).message
    err = _corrupt(b'{"a": "caf\xe9"}', strict)
    assert err.message == "invalid UTF-8 at byte 10"
    _corrupt(b'["\xed\xa0\x80"]', strict)  # a surrogate encoded in UTF-8
    _corrupt(b'["\xc0\xaf"]', strict)  # overlong


def test_decode_lone_surrogate_escapes():
    for doc in (b'"\\ud800"', b'["ok", {"k": "x\\uDFFF"}]', b'{"\\udbff": 1}', b'"\\ud83dx"'):
        _corrupt(doc)
    err = _corrupt(b'{"m": [{"text": "a\\ud800"}]}')
    assert err.key == "m[0].text"
    # paired escapes and escaped backslashes are fine
    assert decode(b'"\\ud83d\\ude80"') == "🚀"
    assert decode(b'"\\\\ud800"') == "\\ud800"
    # the fast path accepts them (the store only reads what it wrote)
    assert decode(b'"\\ud800"', strict=False) == "\ud800"


def test_decode_random_mutations_raise_only_corrupt_data():
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    base = bytearray(_VALID)
    for _ in range(2000):
        doc = bytearray(base)
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(3)
            pos = rng.randrange(len(doc) + 1)
            if op == 0 and doc:
                del doc[min(pos, len(doc) - 1)]
            elif op == 1:
                doc.insert(pos, rng.randrange(256))
            elif doc:
                doc[min(pos, len(doc) - 1)] = rng.choice(b'{}[]",:\\0-eE.ntfu\x00\xff ')
        for strict in (True, False):
            try:
                decode(bytes(doc), strict=strict)
            except CorruptDataError:
                pass
            except Exception as exc:  # pragma: no cover - the failure report
                pytest.fail(f"seed {seed}: {bytes(doc)!r} raised {exc!r}")


def test_decode_error_is_locatable():
    err = _corrupt(b"{")
    err.located(path="/store/s.json")
    assert str(err).startswith("/store/s.json: invalid JSON")
