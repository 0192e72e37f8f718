"""The city simulator (``kernels.simulate_tree``, ``kernels.simulate_counts``): each kernel
against a slow twin drawing the same numbers, and their figures against the per-person
simulator (``kernels.simulate``) in distribution."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from poolab.kernels import simulate as ks
from poolab.kernels import simulate_counts as kc
from poolab.kernels import simulate_tree as kt
from poolab.plan import designs as d
from poolab.plan.simulate import counted_layout, household_sizes_for, index_rate, replicate_seeds, simulate
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
    their Cts (drawn with or without a limit), the first-stage pools holding them, false
    positives by gaps over the rest, then each positive pool's children, each in its
    stage; one-person children of one pool as binomial counts. Calls: the leaf's result."""
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
        hits: list[int] = []
        i = -1
        while True:
            i += 1 + math.floor(math.log1p(-rng.random_sample()) / math.log1p(-rate_))
            if i >= count:
                return hits
            hits.append(i)

    infected = gaps(rate, n)
    conc = {i: math.exp(-_LN2 * (ct_mean + ct_sd * rng.standard_normal())) for i in infected}
    positive: set[int] = set()

    def test(p: int) -> bool:
        ill = [m for m in pools[p] if m in set(infected)]
        detectable = bool(ill) and (not a.use_dilution or sum(conc[m] for m in ill) >= len(pools[p]) * a.limit_conc)
        u = rng.random_sample()
        return bool(u < a.se[stage_of[p]]) if detectable else bool(u < 1.0 - a.sp[stage_of[p]])

    def singles(p: int) -> bool:
        """Every child tests one person alone, as that person's leaf, childless, one stage."""
        kids = children.get(p, [])
        return (
            bool(kids)
            and all(len(pools[c]) == 1 and s.leaf_of_member[pools[c][0]] == c and c not in children for c in kids)
            and len({stage_of[c] for c in kids}) == 1
        )

    def binomial(count: int, prob: float) -> int:
        return 0 if count <= 0 or prob <= 0.0 else count if prob >= 1.0 else int(rng.binomial(count, prob))

    used = [0] * (s.stage_ptr.shape[0] - 1)
    counted = [0, 0]  # true and false positives among one-person children drawn as counts

    def on_positive(p: int, queue: list[int]) -> None:
        positive.add(p)
        if not singles(p):
            queue += children.get(p, [])
            return
        kids = children[p]
        stage = stage_of[kids[0]]
        ill = [pools[c][0] for c in kids if pools[c][0] in set(infected)]
        hidden = sum(1 for m in ill if a.use_dilution and conc[m] < a.limit_conc)
        used[stage] += len(kids)
        counted[0] += binomial(len(ill) - hidden, a.se[stage]) + binomial(hidden, 1.0 - a.sp[stage])
        counted[1] += binomial(len(kids) - len(ill), 1.0 - a.sp[stage])

    roots = list(dict.fromkeys(int(s.member_pools[i]) for i in infected))  # first seen first
    frontier = [p for p in roots if test(p)]
    frontier += [p for p in gaps(1.0 - a.sp[0], int(s.stage_ptr[1])) if p not in roots]
    used[0] = int(s.stage_ptr[1])
    pending: list[int] = []
    for p in frontier:
        on_positive(p, pending)
    for stage in range(1, len(used)):
        kept: list[int] = []
        for c in pending:
            if stage_of[c] != stage:
                kept.append(c)
                continue
            used[stage] += 1
            if test(c):
                on_positive(c, kept)
        pending = kept
    calls = [int(s.leaf_of_member[i]) in positive for i in range(n)]
    tp = sum(calls[i] for i in infected) + counted[0]
    fp = sum(calls) - sum(calls[i] for i in infected) + counted[1]
    tests, rounds = sum(used), sum(u > 0 for u in used)
    return [tests, rounds, len(infected), tp, fp, len(infected) - tp, n - len(infected) - fp]


stage_values = st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0])


def counted_twin(design: d.Design, a: ks.Assay, rate: float, seed: int, ct_mean: float, ct_sd: float) -> list[int]:
    """One campaign of ``simulate_counts``, slowly and plainly, on numpy's legacy Mersenne
    Twister in the kernel's order: per run of first-stage pools of one size k, the pools
    with an infected member by geometric gaps at 1 - (1 - rate)^k, each one's X infected
    (Binomial(k, rate) given X >= 1, by inversion), their Cts, the pool's test and its
    members' retests as three binomials; then false positives by gaps over the rest."""
    s = design.staged
    rng = np.random.RandomState(seed)
    nroots = int(s.stage_ptr[1])
    size = [int(s.pool_ptr[r + 1] - s.pool_ptr[r]) for r in range(nroots)]
    retest_stage = {int(s.pool_parent[c]): int(design.pool_stage[c]) for c in range(nroots, s.pool_ptr.shape[0] - 1)}
    used = [0] * (s.stage_ptr.shape[0] - 1)
    used[0] = nroots
    tally = {"tp": 0, "fp": 0, "infected": 0}

    def binomial(count: int, prob: float) -> int:
        return 0 if count <= 0 or prob <= 0.0 else count if prob >= 1.0 else int(rng.binomial(count, prob))

    def gap(log_q: float) -> int:
        return 1 + math.floor(math.log1p(-rng.random_sample()) / log_q)

    def positive(r: int, infected: int, hidden: int) -> None:
        if r not in retest_stage:
            tally["tp" if infected else "fp"] += 1
            return
        st_ = retest_stage[r]
        used[st_] += size[r]
        tally["tp"] += binomial(infected - hidden, a.se[st_]) + binomial(hidden, 1.0 - a.sp[st_])
        tally["fp"] += binomial(size[r] - infected, 1.0 - a.sp[st_])

    hit = set()
    runs = [list(g) for _, g in itertools.groupby(range(nroots), key=lambda r: size[r])]
    for run in runs if rate > 0.0 else []:
        k = size[run[0]]
        log_none = k * math.log1p(-rate) if rate < 1.0 else -math.inf
        some = -math.expm1(log_none)
        r = run[0] - 1
        while True:
            r += 1 if some >= 1.0 else gap(log_none)
            if r > run[-1]:
                break
            if rate >= 1.0:
                x = k
            else:  # inversion: the smallest x >= 1 whose cumulative chance reaches u * some
                target = rng.random_sample() * some
                x, total = 1, 0.0
                while True:
                    total += math.comb(k, x) * rate**x * (1 - rate) ** (k - x)
                    if total >= target or x == k:
                        break
                    x += 1
            tally["infected"] += x
            hit.add(r)
            concs = [math.exp(-_LN2 * (ct_mean + ct_sd * rng.standard_normal())) for _ in range(x)]
            detectable = not a.use_dilution or sum(concs) >= k * a.limit_conc
            hidden = sum(c < a.limit_conc for c in concs) if a.use_dilution else 0
            u = rng.random_sample()
            if (u < a.se[0]) if detectable else (u < 1.0 - a.sp[0]):
                positive(r, x, hidden)
    q = 1.0 - a.sp[0]
    if q > 0.0:
        r = -1
        while True:
            r += 1 if q >= 1.0 else gap(math.log1p(-q))
            if r >= nroots:
                break
            if r not in hit:
                positive(r, 0, 0)
    inf, tp, fp = tally["infected"], tally["tp"], tally["fp"]
    return [sum(used), sum(u > 0 for u in used), inf, tp, fp, inf - tp, design.n - inf - fp]


@given(
    n=st.integers(1, 80),
    k=st.integers(1, 12),
    rate=st.sampled_from([0.0, 0.01, 0.1, 0.4, 0.9, 1.0]),
    se=stage_values,
    sp=stage_values,
    dilution=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_counted_kernel_matches_twin(
    n: int, k: int, rate: float, se: float, sp: float, dilution: bool, seed: int
) -> None:
    """Dorfman (k >= 2) or individual testing (k = 1): replicate by replicate, the
    counting kernel's tally is its twin's on the same seeds."""
    design = d.dorfman(n, k) if k >= 2 else d.individual(n)
    ones = np.ones(design.nstages)
    a = ks.assay(design.staged, se * ones, sp * ones, 30.0 if dilution else None)
    tree = kt.tree_of(design.staged)
    assert tree is not None
    counted = kc.counted_of(design.staged, tree)
    assert counted is not None
    seeds = replicate_seeds(seed, 3)
    tally = kc.simulate_counted_tally(counted, a, rate, seeds, 27.2, 7.6)
    for r, sd in enumerate(seeds):
        assert tally[r].tolist() == counted_twin(design, a, rate, int(sd), 27.2, 7.6)


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


def _counted(design: d.Design, a: ks.Assay, rate: float, seed: int, replicates: int) -> np.ndarray:
    tree = kt.tree_of(design.staged)
    counted = kc.counted_of(design.staged, tree) if tree is not None else None
    assert counted is not None
    return kc.simulate_counted_tally(counted, a, rate, replicate_seeds(seed, replicates), 27.2, 7.6)


def _fast_paths(design: d.Design) -> list[Callable[[d.Design, ks.Assay, float, int, int], np.ndarray]]:
    """The walk, and the counts where the design allows them."""
    tree = kt.tree_of(design.staged)
    assert tree is not None
    return [_tree] + ([_counted] if kc.counted_of(design.staged, tree) is not None else [])


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
    """Each tally column's mean over 400 replicates, fixed seeds: within 4 standard
    errors, for the walk and (Dorfman, individual) the counts."""
    ones = np.ones(design.nstages)
    a = ks.assay(design.staged, se * ones, sp * ones, 33.0 if dilution else None)
    reference = _per_person(design, a, rate, 5, 400)
    for fast in _fast_paths(design):
        _means_agree(reference, fast(design, a, rate, 6, 400))


@pytest.mark.parametrize(
    ("spec", "se", "sp", "limit"),
    [
        ("dorfman:10", 0.95, 0.99, None),
        ("hier:16-4", 0.9, 0.98, None),
        ("dorfman:8", 1.0, 1.0, 33.0),
        ("dorfman:6", 0.9, 0.97, 33.0),
        ("individual", 0.9, 0.995, 33.0),
    ],
)
def test_distributions_agree_with_the_per_person_simulator(
    spec: str, se: float, sp: float, limit: float | None
) -> None:
    """5,000 people at 2% x 2,000 replicates each way, fixed seeds: the means within 4
    standard errors, and the tests, infected, missed and false positives per campaign
    pass a two-sample Kolmogorov-Smirnov test at the 0.1% level; for each fast path."""
    design = d.design_for(parse_spec(spec), 5000, prevalence=0.02)
    ones = np.ones(design.nstages)
    a = ks.assay(design.staged, se * ones, sp * ones, limit)
    x = _per_person(design, a, 0.02, 21, 2000)
    for fast in _fast_paths(design):
        y = fast(design, a, 0.02, 22, 2000)
        _means_agree(x, y)
        for col in (ks.TESTS, ks.INFECTED, ks.FN, ks.FP):
            if np.ptp(x[:, col]) or np.ptp(y[:, col]):
                assert stats.ks_2samp(x[:, col], y[:, col]).pvalue > 1e-3, (fast.__name__, col)


def test_the_agreement_test_can_fail() -> None:
    """The same checks tell a 2% city from a 2.2% one, and Se 0.95 from 0.93."""
    design = d.dorfman(5000, 10)
    ones = np.ones(design.nstages)
    a = ks.assay(design.staged, 0.95 * ones, 0.99 * ones)
    x = _per_person(design, a, 0.02, 21, 2000)
    for fast in (_tree, _counted):
        y = fast(design, a, 0.022, 22, 2000)
        with pytest.raises(AssertionError):
            _means_agree(x, y)
        assert stats.ks_2samp(x[:, ks.TESTS], y[:, ks.TESTS]).pvalue < 1e-3
        with pytest.raises(AssertionError):
            _means_agree(x, fast(design, ks.assay(design.staged, 0.93 * ones, 0.99 * ones), 0.02, 22, 2000))


def test_simulate_picks_the_walk_only_without_households() -> None:
    """``simulate`` counts on dorfman:10 and walks on hier:12-3; with households (attack
    rate > 0) it runs the per-person kernel, as before; arrays too."""
    spec, n = parse_spec("dorfman:10"), 2000
    design = d.design_for(spec, n, prevalence=0.01)
    ones = np.ones(design.nstages)
    a = ks.assay(design.staged, 0.9 * ones, 0.99 * ones)
    plain = simulate(spec, n, 0.01, se=0.9, sp=0.99, replicates=30, seed=4)
    assert np.array_equal(plain.tally, _counted(design, a, 0.01, 4, 30))
    hier = d.design_for(parse_spec("hier:12-3"), n)
    walked = simulate(parse_spec("hier:12-3"), n, 0.01, se=0.9, sp=0.99, replicates=30, seed=4)
    a3 = ks.assay(hier.staged, 0.9 * np.ones(3), 0.99 * np.ones(3))
    assert np.array_equal(walked.tally, _tree(hier, a3, 0.01, 4, 30))
    square = d.design_for(parse_spec("array:5"), n, leftovers="rectangle")
    a_sq = ks.assay(square.staged, 0.9 * np.ones(square.nstages), 0.99 * np.ones(square.nstages))
    arr = simulate(parse_spec("array:5"), n, 0.01, se=0.9, sp=0.99, replicates=30, seed=4, leftovers="rectangle")
    assert np.array_equal(arr.tally, _per_person(square, a_sq, 0.01, 4, 30))
    sizes = household_sizes_for(n, 1.65, 0)
    clustered = simulate(spec, n, 0.01, se=0.9, sp=0.99, replicates=30, seed=4, household_sizes=sizes, attack_rate=0.3)
    ptr = np.zeros(sizes.shape[0] + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    f = ks.infection(n, index_rate(0.01, sizes, 0.3), ptr, 0.3, 27.2, 7.6)
    assert np.array_equal(clustered.tally, ks.simulate_tally(design.staged, a, f, replicate_seeds(4, 30)))


@given(n=st.integers(1, 400), k=st.integers(1, 12))
def test_counted_layout_is_the_laid_out_designs(n: int, k: int) -> None:
    """``simulate`` counts Dorfman and individual testing without laying them out: its
    runs of pool sizes are those ``counted_of`` finds in ``design_for``'s layout."""
    spec = parse_spec(f"dorfman:{k}" if k >= 2 else "individual")
    laid_out = d.design_for(spec, n)
    tree = kt.tree_of(laid_out.staged)
    assert tree is not None
    expected = kc.counted_of(laid_out.staged, tree)
    assert expected is not None
    got = counted_layout(spec, n)
    assert (got.npeople, got.nstages) == (expected.npeople, expected.nstages)
    for field in ("run_start", "run_size", "retest_stage"):
        assert getattr(got, field).tolist() == getattr(expected, field).tolist(), field
