"""Simulator throughput: dorfman:10 on a district (97,488 residents) x 1,000 replicates.

Target (docs/numbers.md): under 5 s on 2 cores, warm. Baseline: the same campaigns in
vectorised numpy (one replicate at a time), timed on a few replicates and scaled.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from poolab.plan.dilution import DilutionModel
from poolab.plan.simulate import household_sizes_for, simulate
from poolab.plan.spec import parse_spec

N = 97_488
K = 10


def numpy_dorfman(n: int, k: int, p: float, se: float, sp: float, reps: int, seed: int) -> float:
    """Mean tests per person of Dorfman campaigns, plain numpy per replicate."""
    rng = np.random.default_rng(seed)
    total = 0
    for _ in range(reps):
        status = rng.random(n) < p
        pad = (-n) % k
        pools = np.concatenate([status, np.zeros(pad, bool)]).reshape(-1, k).any(axis=1)
        u = rng.random(pools.shape[0])
        pos = np.where(pools, u < se, u < 1 - sp)
        members = np.repeat(pos, k)[:n]
        u2 = rng.random(n)
        _ = np.where(status, u2 < se, u2 < 1 - sp) & members
        total += pools.shape[0] + int(members.sum())
    return total / reps / n


def main() -> None:
    spec = parse_spec(f"dorfman:{K}")
    simulate(spec, 1000, 0.01, se=0.95, sp=0.99, replicates=4, seed=0)  # warm the JIT
    simulate(spec, 1000, 0.01, replicates=4, seed=0, dilution=DilutionModel())
    rows = []
    for label, kwargs in [
        ("iid p=0.01 Se.95 Sp.99", {}),
        ("households a=0.3", {"household_sizes": household_sizes_for(N, 1.65, 0), "attack_rate": 0.3}),
        ("dilution", {"dilution": DilutionModel()}),
    ]:
        start = time.perf_counter()
        result = simulate(spec, N, 0.01, se=0.95, sp=0.99, replicates=1000, seed=1, **kwargs)
        rows.append((f"poolab {label}", time.perf_counter() - start, result.expected_tests_per_individual))
    reps = 20
    start = time.perf_counter()
    e = numpy_dorfman(N, K, 0.01, 0.95, 0.99, reps, 1)
    rows.append(("numpy per replicate (x1000/20)", (time.perf_counter() - start) * 1000 / reps, e))
    print(f"simulate dorfman:{K}, {N} residents x 1000 replicates, {numba.get_num_threads()} threads")
    print(f"{'implementation':<36} {'seconds':>9} {'tests/person':>13}")
    for name, secs, tests in rows:
        print(f"{name:<36} {secs:>9.2f} {tests:>13.5f}")


if __name__ == "__main__":
    main()
