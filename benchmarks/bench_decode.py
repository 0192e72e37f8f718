"""Decoding a whole district's results (97,488 people) under every design, warm.

Target (docs/numbers.md): under 50 ms for any design. Baselines: the lab's retest rule as a
Python loop, the naive staged walk (tests/naive.py) on a 2,000-person slice, scaled, and
for the Bayesian posteriors belief propagation over the whole graph at once in Python
(``loopy_bp_naive``, the schedule the kernel used before it went component by component)
on a 2,000-person slice, scaled.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from poolab.kernels.decode_nonadaptive import decode_nonadaptive
from poolab.kernels.decode_staged import decode_staged, members_to_retest
from poolab.plan import designs as d
from poolab.plan.bayes import design_posterior

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.naive import decode_staged_naive, loopy_bp_naive

N = 97_488
P = 0.01


def best_of(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def truth(design: d.Design, status: np.ndarray) -> np.ndarray:
    owner = np.repeat(np.arange(design.npools), np.diff(design.pool_ptr))
    pos = np.zeros(design.npools, dtype=np.int64)
    np.add.at(pos, owner, status[design.pool_members])
    return (pos > 0).astype(np.int8)


def main() -> None:
    rng = np.random.default_rng(0)
    status = rng.random(N) < P
    designs = [
        d.individual(N),
        d.dorfman(N, 10),
        d.hierarchical(N, 20, 5),
        d.array(N, 10),
        d.array(N, 10, master=True),
        d.shifted_transversal(N, 13, 3),
    ]
    print(f"decoding {N} people, prevalence {P}, perfect results (best of 5, warm)")
    print(f"{'what':<44} {'ms':>9} {'naive ms':>10}")
    for design in designs:
        result = truth(design, status)
        ms = best_of(lambda: decode_staged(design.staged, result)) * 1e3  # noqa: B023
        small = {
            "individual": d.individual,
            "dorfman": lambda n: d.dorfman(n, 10),
            "hier": lambda n: d.hierarchical(n, 20, 5),
            "array": lambda n: d.array(n, 10),
            "array-master": lambda n: d.array(n, 10, True),
            "std": lambda n: d.shifted_transversal(n, 13, 3),
        }[design.family]
        sd = small(2000)
        sr = truth(sd, status[:2000])
        start = time.perf_counter()
        decode_staged_naive(sd, sr)
        naive = (time.perf_counter() - start) * 1e3 * N / 2000
        print(f"{'decode_staged ' + design.name:<44} {ms:>9.2f} {naive:>10.0f}")
    dorf = designs[1]
    pom = dorf.pool_of_member(0)
    pos = truth(dorf, status)[: dorf.stage_ptr[1]].astype(bool)
    ms = best_of(lambda: members_to_retest(pom, pos)) * 1e3
    pom_l, pos_l = pom.tolist(), pos.tolist()
    loop = best_of(lambda: [p >= 0 and pos_l[p] for p in pom_l]) * 1e3
    print(f"{'members_to_retest (lab retest list)':<44} {ms:>9.2f} {loop:>10.2f}")
    std = designs[5]
    ptr, members = std.stage_incidence(0)
    pos0 = truth(std, status)[: std.stage_ptr[1]].astype(bool)
    ms = best_of(lambda: decode_nonadaptive(N, ptr, members, pos0)) * 1e3
    print(f"{'COMP+DD+SCOMP ' + std.name:<44} {ms:>9.2f} {'':>10}")
    # every design, plus 3x3 arrays (components solved by enumeration); per row also the
    # share of people whose posterior is exact
    bayes = [(make(N), make(2000)) for make in (
        d.individual, lambda n: d.dorfman(n, 10), lambda n: d.hierarchical(n, 20, 5), lambda n: d.array(n, 10),
        lambda n: d.array(n, 10, True), lambda n: d.array(n, 3), lambda n: d.shifted_transversal(n, 13, 3),
    )]  # fmt: skip
    print(f"{'posterior (Bayes), 2 threads':<44} {'ms':>9} {'naive ms':>10} {'exact':>6}")
    for design, sd in bayes:
        res = required_results(design, status)
        ms = best_of(lambda: design_posterior(design, res, 0.95, 0.99, P), repeat=10) * 1e3  # noqa: B023
        # baseline: BP over the whole graph at once in Python (tests/naive.py), 2,000 people, scaled
        sr = required_results(sd, status[:2000])
        pools = [sd.pool_members[sd.pool_ptr[q] : sd.pool_ptr[q + 1]].tolist() for q in range(sd.npools)]
        se, sp = [0.95] * sd.npools, [0.99] * sd.npools
        start = time.perf_counter()
        loopy_bp_naive(sd.n, pools, sr.tolist(), se, sp, P)
        naive = (time.perf_counter() - start) * 1e3 * N / 2000
        exact = design_posterior(design, res, 0.95, 0.99, P).exact.mean()
        print(f"{'posterior (Bayes) ' + design.name:<44} {ms:>9.2f} {naive:>10.0f} {exact:>6.1%}")


def required_results(design: d.Design, status: np.ndarray) -> np.ndarray:
    """Perfect results of the tests the design would have run; -1 for the others."""
    res = truth(design, status)
    res[~decode_staged(design.staged, res).required] = -1
    return res


if __name__ == "__main__":
    main()
