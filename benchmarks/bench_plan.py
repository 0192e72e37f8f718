"""Planner benchmark: `optimize` over pool sizes up to 100 for every family (std: pools of
Q^G up to 100; warm), and opchar throughput, beside a naive baseline (one opchar call per
candidate design).

Target (issue 3): `plan optimize` over pool sizes up to 100 for every family under 1 s.
Run: .venv/bin/python benchmarks/bench_plan.py
"""

from __future__ import annotations

import time

from poolab.plan.dilution import DilutionModel
from poolab.plan.opchar import opchar
from poolab.plan.optimize import candidates, optimize

FAMILIES = ("dorfman", "hier", "array", "array-master", "std")
P, SE, SP, MAX = 0.01, 0.99, 0.99, 100


def best_of(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    """Smallest wall time of ``repeat`` warm runs, in seconds."""
    fn()  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def naive_optimize(family: str) -> float:
    """Baseline: one scalar opchar call per candidate (what a plain loop would do)."""
    best = float("inf")
    for row in candidates(family, MAX).tolist():
        spec = f"{family}:{'-'.join(map(str, row))}"  # std rows are Q-K-G, a SPEC as they stand
        best = min(best, opchar(spec, P, SE, SP).expected_tests_per_individual)
    return best


def main() -> None:
    model = DilutionModel()
    print(f"optimize, pool sizes up to {MAX}, p={P}, Se=Sp={SE} (warm, best of 5)")
    head = f"{'family':<14}{'designs':>8}{'optimize ms':>13}{'+dilution ms':>14}"
    print(f"{head}{'naive loop ms':>15}  best")
    total = 0.0
    for fam in FAMILIES:
        n = candidates(fam, MAX).shape[0]
        t = best_of(lambda fam=fam: optimize(fam, P, SE, SP, MAX))
        td = best_of(lambda fam=fam: optimize(fam, P, SE, SP, MAX, min_pse=0.8, dilution=model))
        tn = best_of(lambda fam=fam: naive_optimize(fam), repeat=1)
        total += t
        best = optimize(fam, P, SE, SP, MAX).best.design
        print(f"{fam:<14}{n:>8}{t * 1e3:>13.2f}{td * 1e3:>14.2f}{tn * 1e3:>15.1f}  {best}")
    print(f"{'all families':<14}{'':>8}{total * 1e3:>13.2f}   (target < 1000 ms)")

    print("\nopchar throughput (scalar calls, warm)")
    for spec in ("dorfman:10", "hier:25-5", "array:10", "array-master:10", "array:100"):
        calls = 300
        t = best_of(lambda spec=spec: [opchar(spec, P, SE, SP) for _ in range(calls)], repeat=3)  # noqa: B023
        print(f"{spec:<16}{calls / t:>10.0f} calls/s  ({t / calls * 1e6:.0f} us/call)")


if __name__ == "__main__":
    main()
