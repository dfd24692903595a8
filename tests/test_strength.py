"""The default run samples, ``A3S_FULL=1`` runs everything (strength.py)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

import strength

ROOT = pathlib.Path(__file__).resolve().parent.parent
SLOW_CASE = "tests/test_strength.py::test_a_slow_test_runs_only_at_full_strength_or_when_chosen"


def test_a_sample_keeps_both_ends_and_is_drawn_from_the_seed(monkeypatch):
    monkeypatch.setattr(strength, "FULL", False)
    items = list(range(100))
    picked = strength.sample(items, 10, seed=7)
    assert len(picked) == 10 and picked == sorted(picked)
    assert picked[0] == 0 and picked[-1] == 99
    assert strength.sample(items, 10, seed=7) == picked
    assert any(strength.sample(items, 10, seed=s) != picked for s in range(8, 12))
    assert strength.sample(items[:5], 10, seed=7) == items[:5]
    assert strength.count(3, 30) == 3


def test_full_strength_takes_every_item_and_the_full_count(monkeypatch):
    monkeypatch.setattr(strength, "FULL", True)
    assert strength.sample(list(range(100)), 10, seed=7) == list(range(100))
    assert strength.count(3, 30) == 30


@pytest.mark.slow
def test_a_slow_test_runs_only_at_full_strength_or_when_chosen(request):
    # The subject of the next test: if conftest failed to skip it, this fails.
    assert strength.FULL or "slow" in (request.config.getoption("markexpr") or "")


def _run(*args: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "A3S_FULL"}
    clean["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the check needs no plugin; each costs ~1 s
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
                          timeout=300)
    return done.stdout.strip().splitlines()[-1]


def test_a_slow_test_is_skipped_by_default_and_runs_with_a3s_full():
    assert _run(SLOW_CASE).startswith("1 skipped")
    assert _run(SLOW_CASE, A3S_FULL="1").startswith("1 passed")
    assert _run(SLOW_CASE, A3S_FULL="0").startswith("1 skipped")
    assert _run("-m", "slow", SLOW_CASE).startswith("1 passed")
