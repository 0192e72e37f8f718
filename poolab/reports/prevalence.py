"""Prevalence from pool results: maximum likelihood for pools of unequal size under an
imperfect assay, with a likelihood-ratio 95% interval, for many groups at once.

The model is binGroup2's (``propCI`` for unequal pool sizes with Se = Sp = 1; ``gtReg``,
intercept only, with Se/Sp and individual retests, Vansteelandt et al. 2000, Xie 2001):
each person is positive independently with prevalence p; a pool holding a positive tests
positive with the pool test's Se, a pool without one with 1 - Sp; an individual test
likewise with the individual Se/Sp; results are independent given who is positive.

**Individual retests refine the estimate** through the likelihood of each pool's results
together: for a pool whose members j have individual results z_j (none for most),

    L = P(y | nobody positive) · A + P(y | somebody positive) · (B - A),
    A = Π_j (1 - p_j) P(z_j | negative),   B = Π_j [(1 - p_j) P(z_j | negative) + p_j P(z_j | positive)],

with P(z_j | ·) = 1 for a member without an individual result (so a pool without any is
just ``Se - (Se + Sp - 1)(1 - p)^m`` positive). A member with several individual results
contributes all of them. ``p_j`` is the group's p for its own members; for members of a
pool that belong to another group (a pool shared by two buildings) it is a fixed offset
(the district's estimate), so a shared pool informs each of its buildings.

**Interval**: likelihood ratio, {p : 2(ℓ(p̂) - ℓ(p)) <= χ²₁(0.95) = 3.8415}, as binGroup2's
``propCI(ci.method = "lrt")`` (Biggerstaff 2008, J Agric Biol Environ Stat 13:478); its
published values (Hepworth & Biggerstaff 2017, Table 1, reproduced in binGroup2's
``propCI`` examples) are checked in the tests. Unlike ``propCI``, the same interval is
used when no pool is positive (p̂ = 0: the interval is [0, upper]).

**Results no prevalence explains.** Each pool's likelihood is a sum of terms
c·p^a·(1 - p)^b with c >= 0, so inside (0, 1) it is either positive everywhere or zero
everywhere; it is zero everywhere exactly when the assay as given could not have produced
its results whoever is positive (under Se = Sp = 1: a positive pool whose members all tested
negative alone, or a negative pool with a member positive alone). Then the likelihood of
the whole group is zero at every p: there is no estimate, and no interval (the cut-off
below a maximum of -inf would take in all of [0, 1]). ``fit`` marks such groups
``impossible`` (their figures are NaN) and ``contradictions`` names the pools.

Every group is fitted at once: the log-likelihood of all groups is evaluated on a grid
of p, then each group's maximum and interval ends are refined by vectorised golden
section and bisection (the likelihood is unimodal in p for these data).
"""

from __future__ import annotations

import math

import attrs
import numpy as np
import numpy.typing as npt

from poolab.errors import PoolabError
from poolab.i18n import _

Arr = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

CHI2_95 = 3.841458820694124  # χ²₁ 0.95 quantile (scipy.stats.chi2.ppf(0.95, 1))
_GRID = np.unique(np.concatenate([[0.0], np.geomspace(1e-9, 0.5, 121), 1.0 - np.geomspace(0.5, 1e-9, 61), [1.0]]))


class BadEstimateInput(PoolabError):
    """Se/Sp or results the model cannot use."""


@attrs.frozen(slots=True)
class Accuracy:
    """Se/Sp of the pool test and of the individual test."""

    se_pool: float = 1.0
    sp_pool: float = 1.0
    se_individual: float = 1.0
    sp_individual: float = 1.0

    def __attrs_post_init__(self) -> None:
        for name in ("se_pool", "sp_pool", "se_individual", "sp_individual"):
            v = getattr(self, name)
            if not 0.5 < v <= 1.0:
                raise BadEstimateInput(
                    _("{name} must be in (0.5, 1] (value {value})").format(name=name.replace("_", " "), value=repr(v))
                )


@attrs.frozen(slots=True, eq=False)
class PoolRows:
    """The data: one row per (pool, group it counts for).

    Per row: ``group`` (0..groups-1), ``inside`` members of the group and ``outside``
    members of other groups, ``positive`` (the pool's result). Per individual result:
    ``ind_row`` (its pool's row), ``ind_member`` (an id of the person, unique within the
    row), ``ind_inside`` (the person belongs to the row's group) and ``ind_positive``.
    """

    group: Ints
    inside: Ints
    outside: Ints
    positive: npt.NDArray[np.bool_]
    ind_row: Ints
    ind_member: Ints
    ind_inside: npt.NDArray[np.bool_]
    ind_positive: npt.NDArray[np.bool_]
    groups: int

    @classmethod
    def simple(cls, sizes: npt.ArrayLike, positive: npt.ArrayLike) -> PoolRows:
        """One group of pools without individual results."""
        s = np.asarray(sizes, dtype=np.int64)
        z = np.zeros(0, dtype=np.int64)
        return cls(
            np.zeros_like(s),
            s,
            np.zeros_like(s),
            np.asarray(positive, dtype=np.bool_),
            z,
            z,
            z.astype(bool),
            z.astype(bool),
            1,
        )


@attrs.frozen(slots=True, eq=False)
class Fit:
    """Per group: the maximum-likelihood prevalence, the 95% interval, pools and positives;
    ``impossible`` where no prevalence gives the results a chance above zero (the figures
    are NaN there: see the module docstring)."""

    prevalence: Arr
    low: Arr
    high: Arr
    pools: Ints
    positive_pools: Ints
    impossible: npt.NDArray[np.bool_]


class _Likelihood:
    """ℓ_g(p) for every group g at once: ``at(p)`` takes p of shape (groups, k)."""

    def __init__(self, rows: PoolRows, acc: Accuracy, offset: float) -> None:
        self.acc = acc
        self.groups = rows.groups
        self.offset = offset
        self.log_q_out = math.log1p(-offset) if offset < 1.0 else -math.inf
        nrows = rows.group.shape[0]
        rich = np.zeros(nrows, dtype=bool)
        rich[rows.ind_row] = True
        # rows without individual results, merged by (group, inside, outside, result)
        plain = np.stack([rows.group, rows.inside, rows.outside, rows.positive.astype(np.int64)])[:, ~rich]
        keys, counts = np.unique(plain, axis=1, return_counts=True)
        self.p_group, self.p_in, self.p_out, p_pos = keys
        self.p_pos = p_pos.astype(bool)
        self.p_sum = _summing(self.p_group, counts.astype(np.float64), self.groups)
        # rows with individual results, one by one, and their tested people
        rich_ids = np.flatnonzero(rich)
        self.r_group = rows.group[rich_ids]
        self.r_pos = rows.positive[rich_ids]
        self.r_sum = _summing(self.r_group, np.ones(rich_ids.shape[0]), self.groups)
        local = np.full(nrows, -1, dtype=np.int64)
        local[rich_ids] = np.arange(rich_ids.shape[0])
        people, which = np.unique(np.stack([local[rows.ind_row], rows.ind_member]), axis=1, return_inverse=True)
        which = np.asarray(which).ravel()
        npeople = people.shape[1]
        n_pos = np.bincount(which, rows.ind_positive, npeople).astype(np.int64)
        n_neg = np.bincount(which, ~rows.ind_positive, npeople).astype(np.int64)
        inside = np.zeros(npeople, dtype=np.int64)
        inside[which] = rows.ind_inside
        # people of one row alike in (inside, results) are one term with a count
        kinds, count = np.unique(np.stack([people[0], inside, n_pos, n_neg]), axis=1, return_counts=True)
        self.m_row, m_in, k_pos, k_neg = kinds
        self.m_in = m_in.astype(bool)
        # log P(this person's results | positive), ... | negative)
        self.m_l1 = _times(k_pos, _log(acc.se_individual)) + _times(k_neg, _log(1.0 - acc.se_individual))
        self.m_l0 = _times(k_pos, _log(1.0 - acc.sp_individual)) + _times(k_neg, _log(acc.sp_individual))
        self.m_group = self.r_group[self.m_row]
        nrich = rich_ids.shape[0]
        self.m_sum = _summing(self.m_row, count.astype(np.float64), nrich)
        # members of rich rows without an individual result
        self.r_in_untested = rows.inside[rich_ids] - np.bincount(self.m_row[self.m_in], count[self.m_in], nrich)
        self.r_out_untested = rows.outside[rich_ids] - np.bincount(self.m_row[~self.m_in], count[~self.m_in], nrich)

    def _terms(self, log_b: Arr, d: Arr, positive: npt.NDArray[np.bool_]) -> Arr:
        """log L of rows from log B and d = log(A/B) <= 0 (see the module docstring)."""
        a = self.acc
        beta = a.se_pool + a.sp_pool - 1.0
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            # positive: Se - β·A/B. Near A/B = 1 (small p) as (1 - Sp) - β·expm1(d), exact when
            # A/B is within 1e-16 of 1; below A/B = 1/2 as log Se + log1p(-β/Se·A/B), exact when
            # A/B is tiny (p near 1, where every pool positive makes ℓ rise by less than 1e-16)
            near = _log(np.maximum((1.0 - a.sp_pool) - beta * np.expm1(d), 0.0))
            far = math.log(a.se_pool) + np.log1p(-(beta / a.se_pool) * np.exp(np.minimum(d, 0.0)))
            pos = np.where(d > -_LOG2, near, far)
            # negative: (1 - Se) + β·A/B in log space, exact when A/B underflows
            neg = np.logaddexp(_log(1.0 - a.se_pool), math.log(beta) + d)
            out = log_b + np.where(positive[:, None], pos, neg)
        return np.where(np.isnan(out), -np.inf, out)

    def at(self, p: Arr) -> Arr:
        """ℓ_g at every p[g, j]."""
        with np.errstate(divide="ignore"):
            log_q = np.log1p(-p)  # exact for tiny p, where log(1 - p) would round to 0
        log_p = _log(p)
        out = np.zeros(p.shape)
        if self.p_group.shape[0]:
            log_a = _times(self.p_in[:, None], log_q[self.p_group]) + _times(self.p_out[:, None], self.log_q_out)
            out += self.p_sum @ self._terms(np.zeros_like(log_a), log_a, self.p_pos)
        if self.r_group.shape[0]:
            inside = self.m_in[:, None]
            lq = np.where(inside, log_q[self.m_group], self.log_q_out)
            lp = np.where(inside, log_p[self.m_group], _log(self.offset))
            la = lq + self.m_l0[:, None]
            lb = np.logaddexp(la, lp + self.m_l1[:, None])
            untested_in = _times(self.r_in_untested[:, None], log_q[self.r_group])
            untested_out = _times(self.r_out_untested[:, None], self.log_q_out)
            log_a = self.m_sum @ la + untested_in + untested_out
            log_b = self.m_sum @ lb
            # log(B/A) as a sum of log(b/a) per person, log1p(p·P(z|+) / (q·P(z|-))) for the
            # tested and -log q for the rest: exact where log(A/B) is tiny (p = 1e-280 makes it so)
            with np.errstate(invalid="ignore"):
                rise = np.logaddexp(0.0, lp + self.m_l1[:, None] - la)
                up = self.m_sum @ np.where(np.isnan(rise), 0.0, rise) - untested_in - untested_out
                d = np.where(np.isfinite(up), -up, log_a - log_b)
            out += self.r_sum @ self._terms(log_b, d, self.r_pos)
        return out


class _Summing:
    """Adds item i, times ``weight[i]``, into row ``index[i]`` of an (n, k) result:
    items sorted once by row, then one ``np.add.reduceat`` per call."""

    def __init__(self, index: Ints, weight: Arr, n: int) -> None:
        self.order = np.argsort(index, kind="stable")
        self.weight = weight[self.order][:, None]
        sorted_index = index[self.order]
        self.rows, self.starts = np.unique(sorted_index, return_index=True)
        self.n = n

    def __matmul__(self, values: Arr) -> Arr:
        out = np.zeros((self.n,) + values.shape[1:])
        if self.order.shape[0]:
            out[self.rows] = np.add.reduceat(values[self.order] * self.weight, self.starts, axis=0)
        return out


def _summing(index: Ints, weight: Arr, n: int) -> _Summing:
    """The (n × len(index)) sum that adds item i, times ``weight[i]``, into row index[i]."""
    return _Summing(index, weight, n)


def _times(n: npt.ArrayLike, log_x: npt.ArrayLike) -> Arr:
    """n·log x, with 0·log 0 = 0 (no member, no factor)."""
    nn = np.asarray(n)
    with np.errstate(invalid="ignore"):
        return np.asarray(np.where(nn == 0, 0.0, nn * np.asarray(log_x)), dtype=np.float64)


def _log(x: npt.ArrayLike) -> Arr:
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(x), dtype=np.float64)


def fit(rows: PoolRows, acc: Accuracy, offset: float = 0.0) -> Fit:
    """Maximum-likelihood prevalence and likelihood-ratio 95% interval of every group.

    ``offset``: the prevalence assumed for members a row's pool holds from other groups
    (1 when the district's estimate is 100%: they are all positive).
    """
    if not 0.0 <= offset <= 1.0:
        raise BadEstimateInput(_("offset prevalence must be in [0, 1] (value {value})").format(value=repr(offset)))
    lik = _Likelihood(rows, acc, offset)
    g = rows.groups
    values = lik.at(np.tile(_GRID, (g, 1)))
    best = np.argmax(values, axis=1)
    rows_ = np.arange(g)
    # golden section in log-odds between the grid neighbours of the best grid point
    k = _GRID.shape[0]
    a = np.clip(_logit(_GRID[np.maximum(best - 1, 0)]), -_EDGE, _EDGE)
    b = np.clip(_logit(_GRID[np.minimum(best + 1, k - 1)]), -_EDGE, _EDGE)
    inv = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - inv * (b - a), a + inv * (b - a)
    fc, fd = _at(lik, _expit(c)), _at(lik, _expit(d))
    for _step in range(64):
        left = fc >= fd  # the maximum is in [a, d]
        a, b = np.where(left, a, c), np.where(left, d, b)
        c_new = np.where(left, b - inv * (b - a), d)
        d_new = np.where(left, c, a + inv * (b - a))
        fc_new = np.where(left, np.nan, fd)
        fd_new = np.where(left, fc, np.nan)
        c, d = c_new, d_new
        fc = np.where(np.isnan(fc_new), _at(lik, _expit(c)), fc_new)
        fd = np.where(np.isnan(fd_new), _at(lik, _expit(d)), fd_new)
    refined = _expit((a + b) / 2.0)
    refined_value = _at(lik, refined)
    on_grid = values[rows_, best]
    p_hat = np.where(refined_value > on_grid, refined, _GRID[best])
    cut = np.maximum(refined_value, on_grid) - CHI2_95 / 2.0
    low = _crossing(lik, values, best, p_hat, cut, below=True)
    high = _crossing(lik, values, best, p_hat, cut, below=False)
    pools = np.bincount(rows.group, minlength=g).astype(np.int64)
    positive = np.bincount(rows.group[rows.positive], minlength=g).astype(np.int64)
    impossible = np.isneginf(np.maximum(refined_value, on_grid))
    nan = np.where(impossible, np.nan, 0.0)
    return Fit(p_hat + nan, low + nan, high + nan, pools, positive, impossible)


def contradictions(rows: PoolRows, acc: Accuracy, offset: float = 0.0) -> Ints:
    """The rows whose own likelihood is zero at every prevalence: results the assay as given
    cannot produce together (a positive pool whose members all tested negative alone, under
    Se = Sp = 1). Zero at one inner point means zero everywhere (module docstring), so each
    row is evaluated once, at p = 1/2, as a group of its own."""
    n = rows.group.shape[0]
    alone = attrs.evolve(rows, group=np.arange(n, dtype=np.int64), groups=n)
    values = _Likelihood(alone, acc, offset).at(np.full((n, 1), 0.5))[:, 0]
    return np.flatnonzero(np.isneginf(values) | np.isnan(values)).astype(np.int64)


_LOG2 = math.log(2.0)
_EDGE = 60.0  # |log-odds| beyond which p is 0 or 1 for every figure printed


def _at(lik: _Likelihood, p: Arr) -> Arr:
    return lik.at(np.asarray(p, dtype=np.float64)[:, None])[:, 0]


def _crossing(lik: _Likelihood, values: Arr, best: Ints, p_hat: Arr, cut: Arr, below: bool) -> Arr:
    """Where ℓ falls to ``cut`` below (or above) the maximum; 0 (or 1) if it stays above."""
    g, k = values.shape
    idx = np.arange(k)[None, :]
    under = ((idx < best[:, None]) if below else (idx > best[:, None])) & (values < cut[:, None])
    found = under.any(axis=1)
    # the grid point under the cut nearest the maximum
    j = k - 1 - np.argmax(under[:, ::-1], axis=1) if below else np.argmax(under, axis=1)
    outside = np.clip(_logit(np.where(found, _GRID[j], 0.5)), -_EDGE, _EDGE)
    inside = np.clip(_logit(p_hat), -_EDGE, _EDGE)
    for _step in range(64):
        mid = (outside + inside) / 2.0
        up = _at(lik, _expit(mid)) >= cut
        inside = np.where(up, mid, inside)
        outside = np.where(up, outside, mid)
    root = _expit((outside + inside) / 2.0)
    return np.where(found, root, 0.0 if below else 1.0)


def _logit(p: Arr) -> Arr:
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(p) - np.log1p(-p), dtype=np.float64)


def _expit(x: Arr) -> Arr:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * np.asarray(x))), dtype=np.float64)
