"""Not a timing: `plan opchar --residents N` beside `simulate` on a grid over every family
(partial blocks, every leftover layout of arrays, std:Q-K-G of G = 1..3), with plain 99%
intervals, and how often those intervals cover the exact figure over many seeds.

Run: .venv/bin/python benchmarks/bench_agreement.py [--replicates 20000] [--seeds 400] [--seed 1000]
Prints one line per figure outside its 99% interval (with its z), the count inside, and
the coverage table. Expect about 1% of the figures outside by chance.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from statistics import NormalDist

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from poolab.plan.opchar import opchar
from poolab.plan.simulate import simulate
from poolab.plan.spec import parse_spec
from poolab.plan.summary import summarise
from tests.test_plan_agreement import COVERAGE, FIGURES, GRID

EXTRA = [  # beyond the test's grid: district-sized layouts and larger compression
    ("dorfman:10", 97_488, 0.01, (0.95, 0.98), (0.97, 0.99)),
    ("hier:20-5", 97_488, 0.005, 0.97, 0.995),
    ("array:10", 97_488, 0.01, 0.95, 0.99),
    ("array-master:10", 97_488, 0.01, 0.95, 0.99),
    ("std:13-3", 1000, 0.01, 0.97, 0.99),
    ("std:7-4-3", 1000, 0.005, 0.95, 0.99),
    ("std:11-5-2", 1000, 0.005, 0.95, 0.99),
]


def grid(replicates: int, seed: int) -> None:
    inside = total = 0
    print(f"grid: {len(GRID) + len(EXTRA)} layouts x 5 figures, {replicates} replicates each, plain 99% intervals")
    for i, (spec, n, p, se, sp) in enumerate(GRID + EXTRA):
        closed = opchar(spec, p, se, sp, residents=n)
        reps = replicates if n < 10_000 else max(replicates // 20, 200)
        sim = simulate(parse_spec(spec), n, p, se=se, sp=sp, replicates=reps, seed=seed + i)  # type: ignore[arg-type]
        for key in FIGURES:
            lo, hi = sim.ci99[key]
            value = getattr(closed, key)
            total += 1
            if lo <= value <= hi:
                inside += 1
            else:
                half = (hi - lo) / 2 / 2.5758
                z = (value - (lo + hi) / 2) / half if half > 0 else float("inf")
                print(f"  outside: {spec:<16} N={n:<6} {key:<30} opchar {value:.6g} [{lo:.6g}, {hi:.6g}] z={z:+.2f}")
    print(f"  {inside} of {total} figures inside their 99% interval ({100 * inside / total:.1f}%)")


def coverage(seeds: int) -> None:
    z90 = NormalDist().inv_cdf(0.95)
    print(f"\ncoverage over {seeds} seeds: share of intervals holding the exact figure (90% / 99%)")
    print(f"{'design':<12} {'N':>5} " + " ".join(f"{k[:12]:>14}" for k in FIGURES))
    for spec, n, p, se, sp, replicates in COVERAGE:
        closed = opchar(spec, p, se, sp, residents=n)
        hit90 = dict.fromkeys(FIGURES, 0)
        hit99 = dict.fromkeys(FIGURES, 0)
        for seed in range(seeds):
            sim = simulate(parse_spec(spec), n, p, se=se, sp=sp, replicates=replicates, seed=seed)  # type: ignore[arg-type]
            at90 = summarise(sim.tally, n, z90).intervals
            for key in FIGURES:
                value = getattr(closed, key)
                hit90[key] += at90[key][0] <= value <= at90[key][1]
                hit99[key] += sim.ci99[key][0] <= value <= sim.ci99[key][1]
        cells = " ".join(f"{100 * hit90[k] / seeds:6.1f}/{100 * hit99[k] / seeds:5.1f}%" for k in FIGURES)
        print(f"{spec:<12} {n:>5} {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1000, help="the grid's first seed (one more per layout)")
    args = parser.parse_args()
    start = time.perf_counter()
    grid(args.replicates, args.seed)
    coverage(args.seeds)
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
