"""Which groups (buildings, compounds) have more positive pools than the district's
prevalence explains.

Test, per group: one-sided exact test of its number of positive pools. Under the null
hypothesis its members carry the district's estimated prevalence p_d, so each of its pools
(of m people) is positive independently with chance ``Se - (Se + Sp - 1)(1 - p_d)^m`` and the
count is a sum of binomials, one per pool size (Poisson-binomial); the p-value is the
chance of at least the observed count. Exact rather than asymptotic because a building
holds a few dozen pools and a handful of positives. p_d is treated as known (it is
estimated from the whole district, of which one building is a small part).

Many groups are tested at once, so the flags control the family-wise error rate with
Holm's step-down procedure (Holm 1979, Scand J Statist 6:65) at 5%: with 95% confidence,
no flagged group is above the district by chance.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

ALPHA = 0.05


def upper_tail(sizes: npt.ArrayLike, observed: int, p: float, se: float, sp: float) -> float:
    """P(at least ``observed`` of the pools of ``sizes`` test positive) at prevalence ``p``."""
    if observed <= 0:
        return 1.0
    size, count = np.unique(np.asarray(sizes, dtype=np.int64), return_counts=True)
    theta = se - (se + sp - 1.0) * (1.0 - p) ** size.astype(np.float64)
    pmf = np.ones(1)
    for n, t in zip(count.tolist(), theta.tolist(), strict=True):
        pmf = np.convolve(pmf, _binomial(n, t))
    return float(min(1.0, max(0.0, pmf[observed:].sum())))


def holm(pvalues: npt.ArrayLike, alpha: float = ALPHA) -> npt.NDArray[np.bool_]:
    """Holm's step-down: which hypotheses are rejected at family-wise level ``alpha``."""
    p = np.asarray(pvalues, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    limits = alpha / (p.shape[0] - np.arange(p.shape[0]))
    passed = p[order] <= limits
    # stop at the first hypothesis that is not rejected
    keep = np.cumprod(passed).astype(bool)
    out = np.zeros(p.shape[0], dtype=bool)
    out[order[keep]] = True
    return out


def _binomial(n: int, t: float) -> npt.NDArray[np.float64]:
    """P(k of n independent events of chance t) for k = 0..n, in log space (n up to thousands)."""
    k = np.arange(n + 1)
    if t <= 0.0 or t >= 1.0:
        return (k == (n if t >= 1.0 else 0)).astype(np.float64)
    log_choose = np.array([math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in range(n + 1)])
    return np.asarray(np.exp(log_choose + k * math.log(t) + (n - k) * math.log1p(-t)), dtype=np.float64)
