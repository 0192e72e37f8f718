"""The city simulator (``kernels.simulate_tree``): its kernel against a slow twin drawing
the same numbers, and its figures against the per-person simulator (``kernels.simulate``)
in distribution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from poolab.kernels import simulate as ks
from poolab.kernels import simulate_tree as kt
from poolab.plan import designs as d
from poolab.plan.simulate import household_sizes_for, index_rate, replicate_seeds, simulate
from poolab.plan.spec import parse_spec

_LN2 = 0.6931471805599453


@st.composite
def tree_designs(draw: st.DrawFn, max_n: int = 80) -> d.Design:
    """Individual testing, Dorfman or a hierarchical design on a few people."""
    n = draw(st.integers(1, max_n))
    family = draw(st.sampled_from(["individual", "dorfman", "hier"]))
    if family == "individual":
        return d.individual(n)
    if family == "dorfman":
        return d.dorfman(n, draw(st.integers(2, 12)))
    k2 = draw(st.integers(2, 6))
    return d.hierarchical(n, draw(st.integers(k2 + 1, 16)), k2)


def twin_campaign(design: d.Design, a: ks.Assay, rate: float, seed: int, ct_mean: float, ct_sd: float) -> list[int]:
    """One campaign, slowly and plainly, drawing numpy's legacy Mersenne Twister (the
    generator numba reseeds) in the kernel's order: infected people by geometric gaps,
    their Cts, the first-stage pools holding them, false positives by gaps over the rest,
    then each positive pool's children, each in its stage. Calls: the leaf's result."""
    s = design.staged
    rng = np.random.RandomState(seed)
    n = design.n
    pools = [list(s.pool_members[s.pool_ptr[p] : s.pool_ptr[p + 1]]) for p in range(s.pool_ptr.shape[0] - 1)]
    stage_of = {p: int(design.staged.stage_ptr.searchsorted(p, side="right")) - 1 for p in range(len(pools))}
    children: dict[int, list[int]] = {}
    for p in range(int(s.stage_ptr[1]), len(pools)):
        children.setdefault(int(s.pool_parent[p]), []).append(p)

    def gaps(rate_: float, count: int) -> list[int]:
        if rate_ >= 1.0:
            return list(range(count))
        if rate_ <= 0.0:
            return []
        hits, i = [], -1
        while True:
            i += 1 + math.floor(math.log1p(-rng.random_sample()) / math.log1p(-rate_))
            if i >= count:
                return hits
            hits.append(i)

    infected = gaps(rate, n)
    conc = {i: math.exp(-_LN2 * (ct_mean + ct_sd * rng.standard_normal())) for i in infected} if a.use_dilution else {}
    positive: set[int] = set()

    def test(p: int) -> bool:
        ill = [m for m in pools[p] if m in set(infected)]
        detectable = bool(ill) and (not a.use_dilution or sum(conc[m] for m in ill) >= len(pools[p]) * a.limit_conc)
        u = rng.random_sample()
        return bool(u < a.se[stage_of[p]]) if detectable else bool(u < 1.0 - a.sp[stage_of[p]])

    roots = list(dict.fromkeys(int(s.member_pools[i]) for i in infected))  # first seen first
    frontier = [p for p in roots if test(p)]
    frontier += [p for p in gaps(1.0 - a.sp[0], int(s.stage_ptr[1])) if p not in roots]
    positive.update(frontier)
    tests, rounds = int(s.stage_ptr[1]), int(s.stage_ptr[1] > 0)
    pending = [c for p in frontier for c in children.get(p, [])]
    for stage in range(1, s.stage_ptr.shape[0] - 1):
        kept, tested = [], 0
        for c in pending:
            if stage_of[c] != stage:
                kept.append(c)
                continue
            tested += 1
            if test(c):
                positive.add(c)
                kept += children.get(c, [])
        pending = kept
        tests += tested
        rounds += tested > 0
    calls = [int(s.leaf_of_member[i]) in positive for i in range(n)]
    tp = sum(calls[i] for i in infected)
    fp = sum(calls) - tp
    return [tests, rounds, len(infected), tp, fp, len(infected) - tp, n - len(infected) - fp]


stage_values = st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0])


@given(
    design=tree_designs(),
    rate=st.sampled_from([0.0, 0.01, 0.1, 0.4, 1.0]),
    se=stage_values,
    sp=stage_values,
    dilution=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_kernel_matches_twin(design: d.Design, rate: float, se: float, sp: float, dilution: bool, seed: int) -> None:
    """Replicate by replicate, the kernel's tally is the twin's on the same seeds."""
    s = design.staged
    ones = np.ones(design.nstages)
    a = ks.assay(s, se * ones, sp * ones, 30.0 if dilution else None)
    tree = kt.tree_of(s)
    assert tree is not None
    seeds = replicate_seeds(seed, 3)
    tally = kt.simulate_tree_tally(s, tree, a, rate, seeds, 27.2, 7.6)
    for r, sd in enumerate(seeds):
        assert tally[r].tolist() == twin_campaign(design, a, rate, int(sd), 27.2, 7.6)


def test_only_tree_designs_take_the_walk() -> None:
    """Arrays and non-adaptive designs keep the per-person kernel."""
    assert kt.tree_of(d.dorfman(95, 10).staged) is not None
    assert kt.tree_of(d.hierarchical(95, 12, 3).staged) is not None
    assert kt.tree_of(d.individual(7).staged) is not None
    assert kt.tree_of(d.array(100, 5, master=False, leftovers="rectangle").staged) is None
    assert kt.tree_of(d.array(100, 5, master=True, leftovers="rectangle").staged) is None
    assert kt.tree_of(d.shifted_transversal(49, 7, 2, 1, confirm=True).staged) is None


def _per_person(design: d.Design, a: ks.Assay, rate: float, seed: int, replicates: int) -> np.ndarray:
    f = ks.infection(design.n, rate, None, 0.0, 27.2, 7.6)
    return ks.simulate_tally(design.staged, a, f, replicate_seeds(seed, replicates))


def _tree(design: d.Design, a: ks.Assay, rate: float, seed: int, replicates: int) -> np.ndarray:
    tree = kt.tree_of(design.staged)
    assert tree is not None
    return kt.simulate_tree_tally(design.staged, tree, a, rate, replicate_seeds(seed, replicates), 27.2, 7.6)


def _means_agree(x: np.ndarray, y: np.ndarray, z: float = 4.0) -> None:
    """Every tally column: the two means within z standard errors of their difference
    (equal when both columns are constant)."""
    for col in range(ks.NCOLS):
        a, b = x[:, col].astype(float), y[:, col].astype(float)
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        assert abs(a.mean() - b.mean()) <= z * se + 1e-12, (col, a.mean(), b.mean(), se)


@settings(derandomize=True, max_examples=25)
@given(
    design=tree_designs(max_n=300),
    rate=st.sampled_from([0.005, 0.03, 0.2]),
    se=st.sampled_from([0.8, 0.95, 1.0]),
    sp=st.sampled_from([0.9, 0.99, 1.0]),
    dilution=st.booleans(),
)
def test_means_agree_with_the_per_person_simulator(
    design: d.Design, rate: float, se: float, sp: float, dilution: bool
) -> None:
    """Each tally column's mean over 400 replicates, fixed seeds: within 4 standard errors."""
    ones = np.ones(design.nstages)
    a = ks.assay(design.staged, se * ones, sp * ones, 33.0 if dilution else None)
    _means_agree(_per_person(design, a, rate, 5, 400), _tree(design, a, rate, 6, 400))


@pytest.mark.parametrize(
    ("spec", "se", "sp", "limit"),
    [("dorfman:10", 0.95, 0.99, None), ("hier:16-4", 0.9, 0.98, None), ("dorfman:8", 1.0, 1.0, 33.0)],
)
def test_distributions_agree_with_the_per_person_simulator(
    spec: str, se: float, sp: float, limit: float | None
) -> None:
    """5,000 people at 2% x 2,000 replicates each way, fixed seeds: the means within 4
    standard errors, and the tests, infected, missed and false positives per campaign
    pass a two-sample Kolmogorov-Smirnov test at the 0.1% level."""
    design = d.design_for(parse_spec(spec), 5000, prevalence=0.02)
    ones = np.ones(design.nstages)
    a = ks.assay(design.staged, se * ones, sp * ones, limit)
    x = _per_person(design, a, 0.02, 21, 2000)
    y = _tree(design, a, 0.02, 22, 2000)
    _means_agree(x, y)
    for col in (ks.TESTS, ks.INFECTED, ks.FN, ks.FP):
        if np.ptp(x[:, col]) or np.ptp(y[:, col]):
            assert stats.ks_2samp(x[:, col], y[:, col]).pvalue > 1e-3, col


def test_the_agreement_test_can_fail() -> None:
    """The same checks tell a 2% city from a 2.2% one."""
    design = d.dorfman(5000, 10)
    ones = np.ones(design.nstages)
    a = ks.assay(design.staged, 0.95 * ones, 0.99 * ones)
    x = _per_person(design, a, 0.02, 21, 2000)
    y = _tree(design, a, 0.022, 22, 2000)
    with pytest.raises(AssertionError):
        _means_agree(x, y)
    assert stats.ks_2samp(x[:, ks.TESTS], y[:, ks.TESTS]).pvalue < 1e-3


def test_simulate_picks_the_walk_only_without_households() -> None:
    """``simulate`` on dorfman:10 gives the tree kernel's tally; with households (attack
    rate > 0) the per-person kernel's, as before."""
    spec, n = parse_spec("dorfman:10"), 2000
    design = d.design_for(spec, n, prevalence=0.01)
    ones = np.ones(design.nstages)
    a = ks.assay(design.staged, 0.9 * ones, 0.99 * ones)
    plain = simulate(spec, n, 0.01, se=0.9, sp=0.99, replicates=30, seed=4)
    assert np.array_equal(plain.tally, _tree(design, a, 0.01, 4, 30))
    sizes = household_sizes_for(n, 1.65, 0)
    clustered = simulate(spec, n, 0.01, se=0.9, sp=0.99, replicates=30, seed=4, household_sizes=sizes, attack_rate=0.3)
    ptr = np.zeros(sizes.shape[0] + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    f = ks.infection(n, index_rate(0.01, sizes, 0.3), ptr, 0.3, 27.2, 7.6)
    assert np.array_equal(clustered.tally, ks.simulate_tally(design.staged, a, f, replicate_seeds(4, 30)))
