"""Simulator throughput: dorfman:10 on a district (97,488 residents) x 1,000 replicates;
with ``--city``, on ten million residents instead.

Target (docs/numbers.md): under 5 s on 2 cores, warm. Baseline: the same campaigns in
vectorised numpy (one replicate at a time), timed on a few replicates and scaled.

``--city [N]`` (issue 25; default 10,000,000 residents): ``poolab simulate -d dorfman:10``
as a command, 100 and 1,000 replicates (goal: under 6 s and 60 s, under 1.5 GB), each
its own process (wall and CPU seconds, peak RSS from ``wait4``), beside the baseline in
the same run: the per-person kernel (``kernels.simulate``, what ``simulate`` ran before
issue 25) on the same layout, 20 replicates, in a process of its own; and the household
option (``--attack-rate 0.3``, still per person) at 20 replicates.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

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


POOLAB = str(Path(sys.executable).with_name("poolab"))
PER_PERSON = """
import sys, numpy as np
from poolab.kernels import simulate as k
from poolab.plan.designs import design_for
from poolab.plan.simulate import replicate_seeds
from poolab.plan.spec import parse_spec
n, reps = int(sys.argv[1]), int(sys.argv[2])
design = design_for(parse_spec("dorfman:10"), n)
a = k.assay(design.staged, np.full(2, 0.95), np.full(2, 0.99))
f = k.infection(n, 0.01)
tally = k.simulate_tally(design.staged, a, f, replicate_seeds(1, reps))
print(tally[:, k.TESTS].mean() / n)
"""


def measured(args: list[str]) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, last line printed) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed")
    last = out.strip().splitlines()[-1] if out.strip() else ""
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, last


def city(n: int) -> None:
    """The city figures (module docstring)."""
    common = ["simulate", "-d", f"dorfman:{K}", "-n", str(n), "-p", "0.01", "--se", "0.95", "--sp", "0.99"]
    measured([POOLAB, *common, "-n", "1000", "-r", "2"])  # numba's cache warm
    rows = []
    for label, args in [
        ("poolab simulate, 100 replicates", [POOLAB, *common, "-r", "100", "--seed", "1", "--json"]),
        ("poolab simulate, 1000 replicates", [POOLAB, *common, "-r", "1000", "--seed", "1", "--json"]),
        (
            "poolab simulate, households a=0.3, 20 replicates",
            [POOLAB, *common, "-r", "20", "--seed", "1", "--attack-rate", "0.3", "--json"],
        ),
        ("baseline: per-person kernel, 20 replicates", [sys.executable, "-c", PER_PERSON, str(n), "20"]),
    ]:
        wall, cpu, peak, last = measured(args)
        tests = last if not last.startswith("{") else ""
        rows.append((label, wall, cpu, peak, tests))
    print(f"simulate dorfman:{K} p=0.01 Se .95 Sp .99, {n:,} residents, {numba.get_num_threads()} threads")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'run':<52} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    for label, wall, cpu, peak, _ in rows:
        print(f"{label:<52} {wall:>8.1f} {cpu:>8.1f} {peak:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", nargs="?", type=int, const=10_000_000, help="residents (default 10,000,000)")
    options = parser.parse_args()
    if options.city:
        city(options.city)
        return
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
