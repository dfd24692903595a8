"""Terminal tables measured in display cells: wide CJK and emoji take two,
combining marks and zero-width characters none, so columns line up."""

from __future__ import annotations

import random

import pytest

from a3s_store._term import display_width, fit, table
from hostile import seed_from_env


@pytest.mark.parametrize("text, width", [
    ("", 0), ("abc", 3), ("日本語", 6), ("한국어", 6), ("ｆｕｌｌ", 8), ("　", 2),
    ("e\u0301", 1), ("a\u0308\u0323", 1),             # combining marks
    ("a\u200bb", 2), ("\u200d", 0), ("\ufeff", 0),     # zero-width characters
    ("🎉", 2), ("👍🏽", 2),                              # emoji, with a skin tone
    ("👨\u200d👩\u200d👧", 2),                           # a ZWJ family is one glyph
    ("🇫🇷", 2), ("🇫🇷🇩🇪", 4), ("🇫", 2),                    # flags: pairs of regional indicators
    ("❤", 1), ("❤\ufe0f", 2), ("1\ufe0f\u20e3", 2),     # VS16 asks for the emoji form
    ("\u1100\u1161\u11a8", 2),                         # Hangul jamo: one syllable
    ("café 日本 🎉!", 13),
    ("a\tb", 2), ("a\x1bb日", 4),                      # controls take no cell, ASCII or not
])
def test_display_width(text, width):
    assert display_width(text) == width


def test_fit_cuts_by_cells_and_never_splits_a_wide_character():
    assert fit("abcdef", 4) == "abc…" and fit("abc", 4) == "abc"
    assert fit("日本語のセッション", 7) == "日本語…"
    assert fit("日本語", 6) == "日本語" and fit("日本語", 5) == "日本…"
    assert fit("e\u0301e\u0301e\u0301", 2) == "e\u0301…"  # the accent stays with its letter


def _column_starts(line: str, cells: list[str]) -> list[int]:
    """Where (in display cells) each cell of a table line begins."""
    starts, pos = [], 0
    for cell in cells:
        pos = line.index(cell, pos)
        starts.append(display_width(line[:pos]))
        pos += len(cell)
    return starts


def test_table_columns_line_up_in_display_cells():
    rows = [["chat-1", "会话 日本語のセッション", "12"], ["chat-2", "Émoji 🎉 review", "3"],
            ["chat-3", "👨\u200d👩\u200d👧 family", "1,204"], ["x", "plain", "7"]]
    lines = table(["ID", "NAME", "N"], rows, right={2}).split("\n")
    starts = [_column_starts(line, cells)[:2] for line, cells in zip(lines[1:], rows, strict=True)]
    assert len({tuple(s) for s in starts}) == 1, lines
    ends = [display_width(line) for line in lines]
    assert len(set(ends)) == 1, lines  # the right-aligned last column ends in one place


def test_random_tables_line_up():
    seed = seed_from_env()
    rng = random.Random(seed)
    pool = ["a", "Z", "9", " ", "日", "本", "ｆ", "🎉", "👍🏽", "e\u0301", "\u200b", "🇫🇷",
            "❤\ufe0f"]
    for n in range(300):
        rows = [["".join(rng.choice(pool) for _ in range(rng.randrange(1, 8))).strip() or "x"
                 for _ in range(3)] + ["end"] for _ in range(rng.randrange(1, 6))]
        lines = table(["A", "B", "C", "D"], rows).split("\n")
        widths = {display_width(line[:line.rindex("end")]) for line in lines[1:]}
        assert len(widths) == 1, f"seed={seed} (replay with A3S_SEED={seed}), #{n}: {lines}"
