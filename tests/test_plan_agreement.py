"""The planner's closed forms and the simulator agree, layout for layout, and the
simulator's intervals cover at their nominal rate.

A grid over every family, with partial last blocks, every way an array tests its
leftovers and std:Q-K-G of G = 1, 2, 3: each figure ``plan opchar --residents N`` gives
lies inside ``simulate``'s interval for the same design and N. One grid holds dozens of
figures, so the test asks for the family-wise 99% interval (Bonferroni: each at
1 - 0.01/m); ``benchmarks/bench_agreement.py`` reports the plain 99% intervals of a larger
grid. Under ``HYPOTHESIS_PROFILE=thorough`` (or ``POOLAB_THOROUGH=1``) the grid runs ten
times the replicates and the coverage check ten times the seeds.
"""

from __future__ import annotations

import os
from statistics import NormalDist

import pytest

from poolab.plan.inputs import stage_values
from poolab.plan.opchar import opchar
from poolab.plan.residents import array_leftovers
from poolab.plan.simulate import simulate
from poolab.plan.spec import parse_spec
from poolab.plan.summary import summarise

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough" or bool(os.environ.get("POOLAB_THOROUGH"))
SCALE = 10 if THOROUGH else 1
FIGURES = ("expected_tests_per_individual", "pse", "psp", "pppv", "pnpv")

# (design, N, prevalence, Se, Sp): each a layout the closed forms assemble differently
Accuracy = float | tuple[float, ...]
GRID: list[tuple[str, int, float, Accuracy, Accuracy]] = [
    ("individual", 300, 0.03, 0.95, 0.98),
    ("dorfman:7", 505, 0.04, (0.93, 0.97), (0.96, 0.99)),  # a last pool of one
    ("dorfman:10", 997, 0.02, 0.95, 0.98),  # a last pool of seven
    ("hier:12-4", 1009, 0.03, (0.9, 0.93, 0.97), 0.99),  # last block of 1: its pool is the test
    ("hier:12-4", 1003, 0.03, 0.95, 0.98),  # last block of 7 > K2: subpools 4 and 3
    ("hier:12-5", 1006, 0.03, 0.95, 0.98),  # last block of 10: subpools 5 and 5
    ("hier:12-5", 1004, 0.03, 0.95, 0.98),  # last block of 8: subpools 5 and 3
    ("hier:12-4", 1000, 0.03, 0.95, 0.98),  # last block of 4 <= K2: straight to individuals
    ("array:10", 1060, 0.05, 0.95, 0.98),  # 60 leftovers, a partial square
    ("array:5", 1010, 0.03, 0.95, 0.98),  # 10 leftovers in Dorfman pools of 5
    ("array:5", 1024, 0.4, 0.95, 0.98),  # 24 leftovers tested alone
    ("array-master:4", 1018, 0.03, (0.9, 0.95, 0.98), (0.97, 0.98, 0.99)),  # 10 leftovers, a partial square
    ("array-master:4", 1010, 0.03, 0.95, 0.98),  # 2 leftovers in a Dorfman pool
    ("array-master:4", 1013, 0.4, 0.95, 0.98),  # 5 leftovers alone
    ("std:5-3", 527, 0.02, 0.95, 0.98),  # 21 full blocks of 25, a partial one of 2
    ("std:7-4", 1000, 0.01, (0.9, 0.99), (0.97, 0.995)),
    ("std:3-3-2", 100, 0.02, 0.95, 0.98),  # 3 blocks of 27, a partial one of 19
    ("std:5-4-2", 700, 0.01, (0.9, 0.99), (0.97, 0.995)),  # 5 blocks of 125, one of 75
    ("std:3-2-3", 200, 0.02, 0.95, 0.98),  # 2 blocks of 81, one of 38
]


def test_the_grid_reaches_every_leftover_layout() -> None:
    """The array cases of the grid cover all three leftover layouts, for both array families."""
    chosen = set()
    for spec, n, p, se, sp in GRID:
        parsed = parse_spec(spec)
        if parsed.family.startswith("array"):
            ses, sps = stage_values(se, parsed.family, "se"), stage_values(sp, parsed.family, "sp")
            chosen.add((parsed.family, array_leftovers(parsed, n, p, ses, sps)))
    assert {(f, lo) for f in ("array", "array-master") for lo in ("rectangle", "dorfman", "individual")} == chosen


def test_every_opchar_figure_lies_inside_the_simulated_interval() -> None:
    """For each design and N of the grid, every figure opchar --residents N prints lies
    inside simulate's interval (family-wise 99% over the grid's figures)."""
    z = NormalDist().inv_cdf(1 - 0.01 / (2 * len(GRID) * len(FIGURES)))
    outside = []
    for i, (spec, n, p, se, sp) in enumerate(GRID):
        closed = opchar(spec, p, se, sp, residents=n)
        sim = simulate(parse_spec(spec), n, p, se=se, sp=sp, replicates=3000 * SCALE, seed=100 + i)
        intervals = summarise(sim.tally, n, z).intervals
        assert sim.design == closed.design
        for key in FIGURES:
            lo, hi = intervals[key]
            if not lo <= getattr(closed, key) <= hi:
                outside.append((spec, n, key, lo, getattr(closed, key), hi))
    assert [] == outside


COVERAGE = [  # (design, N, prevalence, Se, Sp, replicates per seed)
    ("dorfman:6", 101, 0.05, (0.93, 0.97), (0.96, 0.99), 200),
    ("array:4", 90, 0.05, 0.95, 0.97, 200),  # 10 leftovers
    # a std's tests per campaign are skewed (candidates come in clusters): more replicates
    ("std:3-3-2", 60, 0.05, 0.95, 0.97, 1000),  # a partial block of 33
]


@pytest.mark.parametrize(("spec", "n", "p", "se", "sp", "replicates"), COVERAGE)
def test_intervals_cover_at_their_nominal_rate(
    spec: str, n: int, p: float, se: object, sp: object, replicates: int
) -> None:
    """Over many seeds the 90% intervals miss the exact figure 10% of the time, within
    4.5 binomial sd either way, and the 99% intervals at most about 1% (below 3.5% of the
    seeds: P(Binomial(S, 0.01) above it) < 1e-4)."""
    seeds = 200 * SCALE
    closed = opchar(spec, p, se, sp, residents=n)  # type: ignore[arg-type]
    z90 = NormalDist().inv_cdf(0.95)
    miss90 = dict.fromkeys(FIGURES, 0)
    miss99 = dict.fromkeys(FIGURES, 0)
    for seed in range(seeds):
        sim = simulate(parse_spec(spec), n, p, se=se, sp=sp, replicates=replicates, seed=seed)  # type: ignore[arg-type]
        at90 = summarise(sim.tally, n, z90).intervals
        for key in FIGURES:
            value = getattr(closed, key)
            miss90[key] += not at90[key][0] <= value <= at90[key][1]
            miss99[key] += not sim.ci99[key][0] <= value <= sim.ci99[key][1]
    spread = 4.5 * (0.09 * seeds) ** 0.5
    assert all(abs(miss - 0.1 * seeds) <= spread for miss in miss90.values()), miss90
    assert all(miss <= 0.035 * seeds for miss in miss99.values()), miss99
