"""Prevalence from pool results: binGroup2's published examples, a brute-force likelihood,
the equal-size closed form, coverage on synthetic campaigns; the risk test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.reports.prevalence import CHI2_95, Accuracy, BadEstimateInput, PoolRows, _Likelihood, contradictions, fit
from poolab.reports.risk import holm, upper_tail
from tests.naive import holm_naive, pool_loglik_naive, upper_tail_naive
from tests.strategies import pool_rows


def _fit_counts(groups: list[tuple[int, int, int]], acc: Accuracy | None = None) -> tuple[float, float, float]:
    """Fit pools given as (size, how many, how many positive)."""
    sizes, positive = [], []
    for m, n, x in groups:
        sizes += [m] * n
        positive += [True] * x + [False] * (n - x)
    f = fit(PoolRows.simple(sizes, positive), acc or Accuracy())
    return float(f.prevalence[0]), float(f.low[0]), float(f.high[0])


# binGroup2 documentation, propCI examples (bdhitt/binGroup2, reference/propCI.html),
# "Recalculate the example given in Hepworth (1996), table 5": groups of 5 (2 of them) and
# of 2 (3 of them), x positive of each; printed MLE (4 significant digits).
HEPWORTH_TABLE5 = [
    ((0, 0), 0.0),
    ((0, 1), 0.06459),
    ((0, 2), 0.134),
    ((0, 3), 0.2094),
    ((1, 0), 0.0722),
    ((1, 1), 0.1523),
    ((1, 2), 0.2435),
    ((1, 3), 0.3516),
    ((2, 0), 0.1781),
    ((2, 1), 0.2979),
    ((2, 2), 0.4699),
    ((2, 3), 1.0),
]


@pytest.mark.parametrize("x, expected", HEPWORTH_TABLE5)
def test_mle_matches_bingroup2_hepworth_table5(x: tuple[int, int], expected: float) -> None:
    """Unequal pool sizes: the MLE equals binGroup2 propCI's printed MLE (Hepworth 1996 Table 5)."""
    p, _, _ = _fit_counts([(5, 2, x[0]), (2, 3, x[1])])
    assert expected == float(f"{p:.4g}")


@pytest.mark.parametrize(
    "x, expected",
    # propCI(x, m = c(20, 5), n = c(8, 8), pt.method = "Firth", ci.method = "lrt"), binGroup2's
    # reproduction of Hepworth & Biggerstaff (2017) Table 1 (printed to 4 significant digits)
    [((1, 2), (0.004033, 0.04142)), ((7, 8), (0.109, 0.3515))],
)
def test_lr_interval_matches_bingroup2_hepworth_biggerstaff(x: tuple[int, int], expected: tuple[float, float]) -> None:
    """The likelihood-ratio interval equals binGroup2 propCI's "lrt" interval."""
    _, lo, hi = _fit_counts([(20, 8, x[0]), (5, 8, x[1])])
    assert expected == (float(f"{lo:.4g}"), float(f"{hi:.4g}"))


def test_equal_sizes_match_bingroup2_tebbs_bilder() -> None:
    """3 of 24 pools of 7 positive: MLE 0.0189 (binGroup2 propCI, Tebbs & Bilder 2004 example)."""
    p, _, _ = _fit_counts([(7, 24, 3)])
    assert 0.0189 == round(p, 4)


@given(
    m=st.integers(1, 20),
    n=st.integers(5, 60),
    data=st.data(),
    se=st.floats(0.8, 1.0),
    sp=st.floats(0.9, 1.0),
)
def test_equal_sizes_closed_form_under_se_sp(m: int, n: int, data: st.DataObject, se: float, sp: float) -> None:
    """Equal pools: the MLE is the invariance transform of x/n, 1 - ((Se - x/n)/(Se + Sp - 1))^(1/m),
    whenever x/n lies strictly between 1 - Sp and Se (to 1e-5: a maximum found from values of
    ℓ, which is flat there, is good to about half the digits of ℓ; hypothesis found 1.2e-6
    at p = 0.85, Se = 0.878, 36 of 41 pools of 5 positive; and 1.3e-5 relative at 1 positive of
    25 single tubes, Se = 1, Sp = 0.96, just inside the boundary x/n = 1 - Sp where p is small:
    hence an absolute 1e-7 beside the relative bound)."""
    x = data.draw(st.integers(0, n))
    theta = x / n
    if not 1 - sp + 1e-9 < theta < se - 1e-9:
        return  # at a boundary the estimate is 0 or 1 (found: theta = 0.1 = 1 - Sp to the last bit)
    expected = 1 - ((se - theta) / (se + sp - 1)) ** (1 / m)
    p, _, _ = _fit_counts([(m, n, x)], Accuracy(se, sp))
    assert math.isclose(expected, p, rel_tol=1e-5, abs_tol=1e-7)


# ---------------------------------------------------------------- brute-force likelihood


def _naive_rows(rows: PoolRows) -> list[tuple[int, int, bool, list[tuple[int, bool, bool]]]]:
    out = []
    for r in range(rows.group.shape[0]):
        tests = [
            (int(rows.ind_member[i]), bool(rows.ind_inside[i]), bool(rows.ind_positive[i]))
            for i in np.flatnonzero(rows.ind_row == r)
        ]
        out.append((int(rows.inside[r]), int(rows.outside[r]), bool(rows.positive[r]), tests))
    return out


_acc = st.builds(Accuracy, st.floats(0.8, 1.0), st.floats(0.9, 1.0), st.floats(0.8, 1.0), st.floats(0.9, 1.0))


@given(rows=pool_rows(), acc=_acc, offset=st.floats(0.0, 0.3), p=st.floats(0.0, 1.0))
def test_likelihood_equals_enumeration(rows: PoolRows, acc: Accuracy, offset: float, p: float) -> None:
    """ℓ(p) with individual retests and out-of-group members equals the sum over every
    combination of who is positive."""
    args = (acc.se_pool, acc.sp_pool, acc.se_individual, acc.sp_individual)
    expected = pool_loglik_naive(p, offset, _naive_rows(rows), *args)
    actual = float(_Likelihood(rows, acc, offset).at(np.array([[p]]))[0, 0])
    if math.isinf(expected):
        # impossible, or below the smallest double where the enumeration's products underflow
        # (the log-space likelihood still tells these apart)
        assert actual < math.log(2.2250738585072014e-308)
    else:
        assert math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)


@given(rows=pool_rows(), acc=_acc, offset=st.floats(0.0, 0.3))
def test_estimate_and_interval_maximise_the_enumerated_likelihood(rows: PoolRows, acc: Accuracy, offset: float) -> None:
    """p̂ maximises the brute-force likelihood and the interval ends sit where it has fallen
    by χ²₁(0.95)/2 (or at 0 / 1 when it never falls that far)."""
    args = (acc.se_pool, acc.sp_pool, acc.se_individual, acc.sp_individual)
    table = _naive_rows(rows)

    def ll(p: float) -> float:
        return float(pool_loglik_naive(p, offset, table, *args))

    f = fit(rows, acc, offset)
    p_hat, lo, hi = float(f.prevalence[0]), float(f.low[0]), float(f.high[0])
    grid = np.linspace(0.0, 1.0, 2001)
    values = np.array([ll(float(p)) for p in grid])
    if f.impossible[0]:  # no estimate (tested below)
        return
    assert ll(p_hat) >= values.max() - 1e-9
    cut = ll(p_hat) - CHI2_95 / 2
    for end, edge in ((lo, 0.0), (hi, 1.0)):
        if end == edge:
            assert ll(edge) >= cut - 1e-9
        else:
            assert math.isclose(ll(end), cut, abs_tol=1e-6)


_perfect_or_not = st.sampled_from([1.0]) | st.floats(0.8, 1.0)
_acc_or_perfect = st.builds(Accuracy, _perfect_or_not, _perfect_or_not, _perfect_or_not, _perfect_or_not)


# An offset is 0 or a district's prevalence: tiny ones (1e-272) make the enumeration's products
# underflow to zero where the likelihood is only very small, so the reference, not the fit,
# would be wrong there.
_offsets = st.just(0.0) | st.floats(1e-6, 0.3)


@given(rows=pool_rows(), acc=_acc_or_perfect, offset=_offsets)
def test_impossible_exactly_when_no_prevalence_explains_the_results(
    rows: PoolRows, acc: Accuracy, offset: float
) -> None:
    """A group is impossible (NaN figures) exactly when its enumerated likelihood is zero at
    every inner prevalence, and ``contradictions`` names exactly the rows whose own
    likelihood is zero there."""
    args = (acc.se_pool, acc.sp_pool, acc.se_individual, acc.sp_individual)
    table = _naive_rows(rows)
    inner = np.linspace(0.01, 0.99, 99)
    zero = all(math.isinf(pool_loglik_naive(float(p), offset, table, *args)) for p in inner)
    f = fit(rows, acc, offset)
    assert zero == bool(f.impossible[0])
    assert zero == bool(np.isnan([f.prevalence[0], f.low[0], f.high[0]]).all())
    expected = [r for r, row in enumerate(table) if math.isinf(pool_loglik_naive(0.5, offset, [row], *args))]
    assert expected == contradictions(rows, acc, offset).tolist()


def test_a_positive_pool_whose_members_all_tested_negative_is_named() -> None:
    """Under Se = Sp = 1: one positive pool of 10 with every member negative alone among
    consistent pools makes the fit impossible, and that pool is the one named; with an
    imperfect individual test the same data fit."""
    members = np.arange(10, dtype=np.int64)
    rows = PoolRows(
        group=np.zeros(4, dtype=np.int64),
        inside=np.full(4, 10, dtype=np.int64),
        outside=np.zeros(4, dtype=np.int64),
        positive=np.array([False, True, False, True]),
        ind_row=np.concatenate([np.full(10, 1), np.full(10, 3)]).astype(np.int64),
        ind_member=np.concatenate([members, members]),
        ind_inside=np.ones(20, dtype=bool),
        ind_positive=np.concatenate([np.zeros(10, dtype=bool), members == 4]),
        groups=1,
    )
    f = fit(rows, Accuracy())
    assert (True, [1]) == (bool(f.impossible[0]), contradictions(rows, Accuracy()).tolist())
    imperfect = fit(rows, Accuracy(1.0, 1.0, 0.95, 1.0))
    assert not imperfect.impossible[0] and 0.0 < imperfect.low[0] < imperfect.high[0] < 1.0


@given(rows=pool_rows(), acc=_acc, p=st.floats(0.0, 1.0))
def test_likelihood_with_every_other_member_positive_equals_enumeration(
    rows: PoolRows, acc: Accuracy, p: float
) -> None:
    """Offset 1 (the district's estimate is 100%: members of other groups all positive) is
    accepted, and ℓ(p) equals the enumeration there too."""
    args = (acc.se_pool, acc.sp_pool, acc.se_individual, acc.sp_individual)
    expected = pool_loglik_naive(p, 1.0, _naive_rows(rows), *args)
    actual = float(_Likelihood(rows, acc, 1.0).at(np.array([[p]]))[0, 0])
    if math.isinf(expected):
        assert actual < math.log(2.2250738585072014e-308)
    else:
        assert math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    fit(rows, acc, 1.0)  # no longer refused


@pytest.mark.parametrize("size", [10, 30])
def test_every_pool_positive_estimates_one(size: int) -> None:
    """Every pool positive, perfect assay: ℓ rises up to p = 1 (by less than 1e-16 near the
    end, which the log-likelihood still resolves), so the estimate is 1, not a point where
    rounding made ℓ look flat."""
    f = fit(PoolRows.simple([size] * 60, [True] * 60), Accuracy())
    assert (1.0, 1.0) == (float(f.prevalence[0]), float(f.high[0]))


# ---------------------------------------------------------------- synthetic campaigns


def _campaigns(seeds: int, p: float, acc: Accuracy, retest: bool, rng: np.random.Generator) -> PoolRows:
    """``seeds`` synthetic campaigns (one group each) of 300 pools of 10, 7 or 3 people,
    everyone positive with chance ``p``, pool results drawn under ``acc``, every member of
    a positive pool retested alone when ``retest``."""
    sizes = np.tile(np.repeat([10, 7, 3], [220, 60, 20]), seeds)
    pool_of = np.repeat(np.arange(sizes.shape[0]), sizes)
    status = rng.random(pool_of.shape[0]) < p
    holds = np.bincount(pool_of, status, minlength=sizes.shape[0]) > 0
    positive = rng.random(sizes.shape[0]) < np.where(holds, acc.se_pool, 1 - acc.sp_pool)
    tested = positive[pool_of] if retest else np.zeros(pool_of.shape[0], dtype=bool)
    slot = np.arange(pool_of.shape[0]) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    chance = np.where(status, acc.se_individual, 1 - acc.sp_individual)
    return PoolRows(
        group=np.repeat(np.arange(seeds), 300),
        inside=sizes,
        outside=np.zeros_like(sizes),
        positive=positive,
        ind_row=pool_of[tested],
        ind_member=slot[tested],
        ind_inside=np.ones(int(tested.sum()), dtype=bool),
        ind_positive=(rng.random(pool_of.shape[0]) < chance)[tested],
        groups=seeds,
    )


@pytest.mark.parametrize("retest", [False, True])
def test_interval_covers_the_truth_95_percent(retest: bool) -> None:
    """Over 600 synthetic campaigns the 95% interval holds the true prevalence in 93-97%
    of them (600 campaigns: a binomial sd of 0.9 points), with and without retests."""
    acc = Accuracy(0.95, 0.995, 0.98, 0.999)
    f = fit(_campaigns(600, 0.01, acc, retest, np.random.default_rng(2026 + retest)), acc)
    covered = np.mean((f.low <= 0.01) & (0.01 <= f.high))
    assert 0.93 <= covered <= 0.97
    assert abs(np.median(f.prevalence) - 0.01) < 0.001


def test_retests_narrow_the_interval() -> None:
    """At 5%, where positive pools often hold several positives, the same pool results with
    their members' individual retests give narrower intervals: by about 11%, the square root
    of the ratio of Fisher informations, pools of 10 alone (m²q^(m-2)/(1-q^m) per pool) to
    everyone tested alone (1/pq per person), which retesting the positive pools nearly reaches."""
    acc = Accuracy(0.9, 0.99, 0.98, 0.999)
    rows = _campaigns(200, 0.05, acc, True, np.random.default_rng(7))
    none = np.zeros(0, dtype=np.int64)
    without = PoolRows(
        rows.group,
        rows.inside,
        rows.outside,
        rows.positive,
        none,
        none,
        none.astype(bool),
        none.astype(bool),
        rows.groups,
    )
    with_retests, pools_only = fit(rows, acc), fit(without, acc)
    width_with = np.median(with_retests.high - with_retests.low)
    width_without = np.median(pools_only.high - pools_only.low)
    assert width_with < 0.92 * width_without


def test_bad_accuracy_is_refused() -> None:
    """Se or Sp outside (0.5, 1] is refused with a message naming it."""
    with pytest.raises(BadEstimateInput, match="sp pool"):
        Accuracy(0.9, 0.4)


# ---------------------------------------------------------------- the risk test


@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=9),
    p=st.floats(1e-4, 0.3),
    se=st.floats(0.8, 1.0),
    sp=st.floats(0.9, 1.0),
    data=st.data(),
)
def test_upper_tail_equals_enumeration(sizes: list[int], p: float, se: float, sp: float, data: st.DataObject) -> None:
    """The exact test's p-value equals the enumeration of every pool result."""
    observed = data.draw(st.integers(0, len(sizes)))
    expected = upper_tail_naive(sizes, observed, p, se, sp)
    assert math.isclose(expected, upper_tail(sizes, observed, p, se, sp), rel_tol=1e-9, abs_tol=1e-15)


@given(pvalues=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30))
def test_holm_equals_its_definition(pvalues: list[float]) -> None:
    """Holm's step-down rejects what the textbook procedure rejects."""
    assert holm_naive(pvalues, 0.05) == holm(pvalues, 0.05).tolist()


def test_upper_tail_of_equal_pools_is_binomial() -> None:
    """A building of 20 pools of 10 with 3 positive at district prevalence 0.0005 (Se=Sp=1):
    p-value = P(Binomial(20, 1 - 0.9995^10) >= 3)."""
    theta = 1 - 0.9995**10
    expected = 1 - sum(math.comb(20, k) * theta**k * (1 - theta) ** (20 - k) for k in range(3))
    assert math.isclose(expected, upper_tail([10] * 20, 3, 0.0005, 1.0, 1.0), rel_tol=1e-9)
    # and the p-value is monotone in the count: more positives, smaller p
    assert upper_tail([10] * 20, 4, 0.0005, 1.0, 1.0) < upper_tail([10] * 20, 3, 0.0005, 1.0, 1.0)
