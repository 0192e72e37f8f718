"""What a simulation's replicates add up to: the figures ``plan opchar`` defines, as ratios
of sums over all replicates, each with an interval.

Per replicate the simulator counts tests, rounds, infected, true and false positives and
negatives (``poolab.kernels.simulate``'s tally). Over R replicates:

* ``expected_tests_per_individual`` = Σ tests / (N·R), the mean of the replicates' tests
  per person;
* ``pse`` = Σ TP / Σ (TP + FN), ``psp`` = Σ TN / Σ (TN + FP), ``pppv`` = Σ TP / Σ (TP + FP),
  ``pnpv`` = Σ TN / Σ (TN + FN): ratios of sums, which estimate the ratios of expectations
  opchar computes (P(called positive | infected) for a person picked at random, and so
  on). Averaging each campaign's own ratio estimates something else (a campaign with few
  calls weighs as much as one with many), which is why that view is kept apart, as
  ``per_campaign``;
* tests, rounds, infected, missed and false positives per campaign: plain means.

Intervals. Replicates are independent and identically distributed, so a mean gets
mean ± z·sd/sqrt(R). A ratio of sums R̂ = ΣA/ΣB gets the delta method (first-order
Taylor expansion of A/B about the means): its standard error is
se = sd(A - R̂·B) / (mean(B)·sqrt(R)), the sd taken over replicates; the interval is
built on the logit scale, logit(R̂) ± z·se / (R̂·(1 - R̂)), and mapped back, so it stays
inside (0, 1) and follows the skew of a proportion near 1 (PSp, PNPV), where a symmetric
interval covers less than it says. z = 2.5758 for 99%. tests/test_plan_agreement.py
measures how often these intervals cover the exact value over many seeds, at 90% (both
ways) and 99%; per-campaign counts with heavy tails (std designs with very large pools at
a low prevalence) need more replicates before they cover at the nominal rate.

Rare events: when the replicates hold fewer than ``RARE`` of a ratio's minority events
(false positives for PSp, say, when Sp is 0.995 and pools are clear), the delta method
has too little to go on (with none it would give a zero-width interval). The interval is
then widened to hold the exact Poisson (Garwood) interval of that count, at the same
level, mapped onto the ratio: e.g. PSp in [1 - hi/ΣB, 1 - lo/ΣB] for a false-positive
count with Poisson interval [lo, hi].
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs
import numpy as np

from poolab.kernels import simulate as k

Z99 = 2.5758293035489004

RATIOS = {  # key: (numerator columns, denominator columns)
    "pse": ((k.TP,), (k.TP, k.FN)),
    "psp": ((k.TN,), (k.TN, k.FP)),
    "pppv": ((k.TP,), (k.TP, k.FP)),
    "pnpv": ((k.TN,), (k.TN, k.FN)),
}
MEANS = {  # key: column; per campaign
    "tests_used": k.TESTS,
    "rounds": k.ROUNDS,
    "infected": k.INFECTED,
    "missed_positives": k.FN,
    "false_positives": k.FP,
}
KEYS = ("expected_tests_per_individual", *RATIOS, *MEANS)

Interval = tuple[float, float]
NAN_INTERVAL = (math.nan, math.nan)
RARE = 20


@attrs.frozen(slots=True)
class Summary:
    """Each figure (``KEYS``), its interval, and the per-campaign view of the ratios."""

    values: dict[str, float]
    intervals: dict[str, Interval]
    per_campaign: dict[str, float]  # mean over campaigns of each campaign's own ratio
    per_campaign_intervals: dict[str, Interval]
    per_campaign_counts: dict[str, int]  # campaigns where that ratio is defined


def mean_interval(x: np.ndarray, z: float = Z99) -> tuple[float, Interval]:
    """Mean of ``x`` and mean ± z·sd/sqrt(len) (NaN interval with fewer than 2 values)."""
    if x.shape[0] == 0:
        return math.nan, NAN_INTERVAL
    mean = float(x.mean())
    if x.shape[0] < 2:
        return mean, NAN_INTERVAL
    half = z * float(x.std(ddof=1)) / math.sqrt(x.shape[0])
    return mean, (mean - half, mean + half)


def ratio_interval(a: np.ndarray, b: np.ndarray, z: float = Z99) -> tuple[float, Interval]:
    """ΣA/ΣB over replicates (0 <= A <= B) and its delta-method interval on the logit
    scale (NaN when ΣB = 0), widened by the exact Poisson interval of the rarer of the
    two counts when that count is below ``RARE`` (see the module docstring)."""
    total = float(b.sum())
    if total == 0.0:
        return math.nan, NAN_INTERVAL
    hits = float(a.sum())
    ratio = hits / total
    if a.shape[0] < 2:
        return ratio, NAN_INTERVAL
    low, high = ratio, ratio
    if 0.0 < ratio < 1.0:
        se = float((a - ratio * b).std(ddof=1)) / (float(b.mean()) * math.sqrt(a.shape[0]))
        centre = math.log(ratio) - math.log1p(-ratio)
        half = z * se / (ratio * (1.0 - ratio))
        low, high = _expit(centre - half), _expit(centre + half)
    misses = total - hits
    if min(hits, misses) < RARE:
        alpha = math.erfc(z / math.sqrt(2.0))  # two-sided
        if hits <= misses:
            lo, hi = poisson_interval(int(round(hits)), alpha)
            low, high = min(low, lo / total), max(high, min(hi / total, 1.0))
        else:
            lo, hi = poisson_interval(int(round(misses)), alpha)
            low, high = min(low, max(1.0 - hi / total, 0.0)), max(high, 1.0 - lo / total)
    return ratio, (low, high)


def poisson_interval(count: int, alpha: float) -> Interval:
    """The exact (Garwood) two-sided 1 - alpha interval of a Poisson mean from one count."""

    def cdf(k: int, lam: float) -> float:  # P(X <= k)
        term = math.exp(-lam)
        total = term
        for i in range(1, k + 1):
            term *= lam / i
            total += term
        return total

    def solve(f: Callable[[float], float], target: float) -> float:  # f falls from 1 to 0 as lambda grows
        lo, hi = 0.0, 10.0 + 10.0 * count
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if f(mid) > target else (lo, mid)
        return 0.5 * (lo + hi)

    upper = solve(lambda lam: cdf(count, lam), alpha / 2)
    lower = 0.0 if count == 0 else solve(lambda lam: cdf(count - 1, lam), 1.0 - alpha / 2)
    return lower, upper


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def summarise(tally: np.ndarray, n: int, z: float = Z99) -> Summary:
    """The figures of a tally (int64[replicates, NCOLS]) over ``n`` people per campaign,
    with intervals at ``z`` (2.5758: 99%)."""
    t = tally.astype(np.float64)
    values: dict[str, float] = {}
    intervals: dict[str, Interval] = {}
    values["expected_tests_per_individual"], intervals["expected_tests_per_individual"] = mean_interval(
        t[:, k.TESTS] / n, z
    )
    per: dict[str, float] = {}
    per_ci: dict[str, Interval] = {}
    counts: dict[str, int] = {}
    for key, (top, bottom) in RATIOS.items():
        a = t[:, list(top)].sum(axis=1)
        b = t[:, list(bottom)].sum(axis=1)
        values[key], intervals[key] = ratio_interval(a, b, z)
        defined = b > 0
        per[key], per_ci[key] = mean_interval(a[defined] / b[defined], z)
        counts[key] = int(defined.sum())
    for key, col in MEANS.items():
        values[key], intervals[key] = mean_interval(t[:, col], z)
    return Summary(values, intervals, per, per_ci, counts)
