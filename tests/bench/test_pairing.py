"""The bench's ratios are side by side: each scenario's run beside its baseline's run, and the
ratio the median of those pairs (no database, no server: the order and the arithmetic only)."""

from __future__ import annotations

import argparse

import pytest

from bench import run
from bench.scenarios import BARE, INSERT, SCENARIOS, WGER_LIST


def test_every_compared_scenario_runs_once_a_round_and_baselines_only_beside_them() -> None:
    order = run.paired_order([*SCENARIOS, WGER_LIST])
    names = [s.name for s in order]
    assert BARE.name not in names and INSERT.name not in names
    assert len(names) == len(set(names)) == len(SCENARIOS) - 2 + 1
    assert all(s.baseline in {BARE.name, INSERT.name} for s in order)
    # Our list and wger's run seconds apart: their ratio is taken round by round.
    at = names.index("GET /api/v1/exercises/")
    assert names[at + 1] == WGER_LIST.name


def test_a_baseline_selected_alone_runs_alone() -> None:
    assert run.paired_order([BARE]) == [BARE]


def _measure(rate: float, cpu_ms: float = 1.0) -> run.Measure:
    return run.Measure(rate=rate, cpu_ms=cpu_ms)


def test_the_ratio_is_the_median_of_the_side_by_side_ratios(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The machine swings from 2,000/s to 500/s between rounds; each round the scenario makes
    a half of its baseline. The ratio of medians would say 0.5 only by luck (here 0.33); the
    median of pairs says 0.5."""
    me = next(s for s in SCENARIOS if s.name == "GET /api/v1/me/")
    bases = [2000.0, 500.0, 1500.0]
    mine = [1000.0, 250.0, 500.0]  # the third round: bare 1,500, me 500 (1/3)
    pairs = [
        run.Pair(measured=_measure(m, 2.0), baseline=_measure(b, 1.0))
        for m, b in zip(mine, bases, strict=True)
    ]
    results = {BARE.name: [_measure(b) for b in bases], me.name: [p.measured for p in pairs]}
    args = argparse.Namespace(rounds=3, duration=5.0, workers=2, threads=2, connections=8)
    run.report([BARE, me], results, {BARE.name: [], me.name: pairs}, args, loads=(0.0, 0.0))
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(me.name))
    assert "  0.50  " in line  # median of 0.5, 0.5, 0.33
    assert "0.33-0.50" in line
    assert "NOT met" in line  # target 0.6
    assert "  0.50  " in line.split("0.33-0.50")[1]  # CPU ratio: 1.0 / 2.0
