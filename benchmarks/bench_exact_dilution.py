"""Exact dilution-aware planner against the simulator at district scale (issue 12's table).

Run from the repository root: ``.venv/bin/python benchmarks/bench_exact_dilution.py``.

For each case: ``poolab plan opchar --dilution --json`` and ``poolab simulate --dilution
-r 1000 --seed 1 --json`` on the largest whole number of blocks up to 97,490 people (Se =
Sp = 1, the default Ct model), as commands. Tests per person: the simulator's own 99%
interval. PSe: the ratio of sums over the replicates (TP / (TP + FN) from the raw tally
of the same simulation in process, 99% interval by the delta method), the figure ``plan
opchar`` defines; a bounded figure (std:Q-K-G, G >= 2) with its bound. Not a timing: it
shows where the closed forms sit in the intervals.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

POOLAB = str(Path(sys.executable).parent / "poolab")
CASES = [
    ("dorfman:10", 0.1),
    ("dorfman:50", 0.05),
    ("hier:20-5", 0.05),
    ("array:10", 0.05),
    ("array-master:8", 0.02),
    ("std:7-3", 0.02),  # exact
    ("std:7-5-2", 0.002),  # bounded (G = 2): figure ± bound
    ("std:7-5-2", 0.02),  # issue 20: the one-positive approximation said 0.148
]
Z99 = 2.5758293035489004


def _json(*args: str) -> dict[str, object]:
    """One ``poolab ... --dilution --json`` command's object."""
    out = subprocess.run([POOLAB, *args, "--dilution", "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> None:
    from poolab.kernels import simulate as ks
    from poolab.plan.dilution import DilutionModel
    from poolab.plan.simulate import simulate
    from poolab.plan.spec import parse_spec

    print("| case | opchar tests/person | simulate 99% interval | opchar PSe | simulate PSe 99% interval |")
    print("|---|---:|---|---:|---|")
    for design, p in CASES:
        spec = parse_spec(design)
        if spec.family == "std":
            block = spec.sizes[0] ** (spec.sizes[2] + 1)
        else:
            block = spec.sizes[0] ** 2 if spec.family.startswith("array") else spec.sizes[0]
        n = 97_490 // block * block

        planned = _json("plan", "opchar", "-d", design, "-p", str(p))
        simulated = _json("simulate", "-d", design, "-n", str(n), "-r", "1000", "--seed", "1", "-p", str(p))
        tally = simulate(spec, n, p, replicates=1000, seed=1, dilution=DilutionModel()).tally.astype(float)
        tp, infected = tally[:, ks.TP], tally[:, ks.TP] + tally[:, ks.FN]
        ratio = tp.sum() / infected.sum()
        half = Z99 * (tp - ratio * infected).std(ddof=1) / math.sqrt(tp.shape[0]) / infected.mean()
        lo, hi = simulated["ci99"]["expected_tests_per_individual"]  # type: ignore[index]
        bound = planned.get("error_bound") or {}
        tests, pse = (
            f"{planned[k]:.4f}" + (f" ± {bound[k]:.2g}" if k in bound else "")  # type: ignore[index]
            for k in ("expected_tests_per_individual", "pse")
        )
        print(
            f"| {design}, p={p} | {tests} | [{lo:.4f}, {hi:.4f}] | {pse} | [{ratio - half:.4f}, {ratio + half:.4f}] |"
        )


if __name__ == "__main__":
    main()
