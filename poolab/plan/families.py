"""Closed-form operating characteristics of one full block of each family, vectorised over
pool sizes (homogeneous prevalence). Partial blocks and whole layouts: ``residents.py``;
std:Q-K-G with G >= 2: ``transversal.py``.

Formulas follow binGroup2 (Hitt, Bilder, Tebbs, McMahan), which implements Kim, Hudgens,
Dreyfuss, Westreich & Pilcher (2007, Biometrics 63:1152) for hierarchical and array
testing with an imperfect assay whose Se/Sp may differ by stage:

* ``dorfman:K`` (D2): E/n = 1/K + Se1 - (Se1+Sp1-1)(1-p)^K, PSe = Se1*Se2
  (binGroup2 ``hierarchical.desc2``, two-stage branch).
* ``hier:K1-K2`` (D3): subpools of K2, the last holding the remainder; a subpool of one
  is that person's own test and is final (binGroup2 ``Exp.T.3step``, ``ProbY.0/1``).
* ``array:R`` (A2): R*R, rows and columns, then the people at positive intersections (or
  all people in positive rows/columns when no column/row is positive) (binGroup2
  ``Array.Measures``, homogeneous case summed in closed form over binomial counts).
* ``array-master:R`` (A2M): a master pool of R*R first (binGroup2
  ``MasterPool.Array.Measures``, with its 2025 correction of E(T)). One deliberate
  difference: where binGroup2's ``mu.y`` uses the row/column Sp for the master pool, we use
  the master pool's own Sp; the two agree whenever those Sp are equal.

Overall PSe/PSp/PPPV/PNPV are the prevalence-weighted averages over the people of the
design (Altman & Bland, as in binGroup2's ``Overall`` accuracy).

Every function here is numpy-vectorised over pool sizes so that the optimiser evaluates a
whole family in one call. With a ``DilutionModel``, dorfman, hier, array and array-master
are computed exactly under the simulator's concentration model (``exact_dilution.py``:
a pool's detectability depends on how many positives it holds and how much virus each
carries); ``individual`` is exact too (a positive is detectable alone with Phi(z_1), and
one that is not still tests positive with 1 - Sp); ``std:Q-K`` is exact too (its pools are
independent given a person's own concentration: ``std_dilution.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from poolab.i18n import _
from poolab.plan.dilution import DilutionModel, detectable_fraction_array
from poolab.plan.inputs import STAGES, BadPlanInput

Arr = npt.NDArray[np.float64]


def _log_factorials(n_max: int) -> Arr:
    out = np.zeros(n_max + 2)
    out[2:] = np.cumsum(np.log(np.arange(2, n_max + 2, dtype=np.float64)))
    return out


def _binom_pmf(n: Arr, r: Arr, a: Arr, lf: Arr) -> Arr:
    """P(Binomial(n, a) = r), zero where r < 0 or r > n; broadcasts (n, a) against r."""
    ok = (r >= 0) & (r <= n)
    rr = np.where(ok, r, 0)
    nr = np.where(ok, n - r, 0)
    nn = np.where(ok, n, 0).astype(np.int64)
    logc = lf[nn] - lf[rr.astype(np.int64)] - lf[nr.astype(np.int64)]
    return np.where(ok, np.exp(logc) * a**rr * (1.0 - a) ** nr, 0.0)


def predictive(p: float, pse: Arr, psp: Arr) -> tuple[Arr, Arr]:
    pppv = p * pse / (p * pse + (1.0 - p) * (1.0 - psp))
    pnpv = (1.0 - p) * psp / ((1.0 - p) * psp + p * (1.0 - pse))
    return pppv, pnpv


def _p_positive(all_negative: Arr | float, se: Arr | float, sp: float) -> Arr:
    """P(a pool tests positive) when its members are all negative with probability
    ``all_negative``: a true positive (Se) or a false one (1 - Sp)."""
    return np.asarray(se * (1.0 - all_negative) + (1.0 - sp) * all_negative, dtype=np.float64)


def _detect(k: Arr, dilution: DilutionModel | None) -> Arr:
    if dilution is None:
        return np.ones_like(k, dtype=np.float64)
    return detectable_fraction_array(k, dilution)


def dorfman_arrays(
    k: npt.ArrayLike,
    p: float,
    se: Sequence[float],
    sp: Sequence[float],
) -> tuple[Arr, Arr, Arr]:
    """(E/n, PSe, PSp) of ``dorfman:K`` for every K in ``k`` (no dilution)."""
    kk = np.asarray(k, dtype=np.float64)
    q = 1.0 - p
    se1 = se[0]
    se2, sp1, sp2 = se[1], sp[0], sp[1]
    e = 1.0 / kk + _p_positive(q**kk, se1, sp1)
    pse = np.full_like(kk, se1 * se2)
    qo = q ** (kk - 1.0)
    psp = 1.0 - ((1.0 - sp1) * (1.0 - sp2) * qo + se1 * (1.0 - sp2) * (1.0 - qo))
    return e, pse, psp


def hier_arrays(
    k1: npt.ArrayLike,
    k2: npt.ArrayLike,
    p: float,
    se: Sequence[float],
    sp: Sequence[float],
) -> tuple[Arr, Arr, Arr]:
    """(E/n, PSe, PSp) of ``hier:K1-K2`` for every pair (broadcast ``k1`` with ``k2``; no dilution)."""
    n1, n2 = np.broadcast_arrays(np.asarray(k1, dtype=np.int64), np.asarray(k2, dtype=np.int64))
    n = n1.astype(np.float64)
    m = n2.astype(np.float64)
    full = (n1 // n2).astype(np.float64)
    rem = (n1 % n2).astype(np.float64)
    groups = full + (rem > 0)
    q = 1.0 - p
    se1 = se[0]
    se2, se3 = se[1], se[2]
    sp1, sp2, sp3 = sp
    qn = q**n
    p1 = (1.0 - sp1) * qn + se1 * (1.0 - qn)

    def retested(s: Arr) -> Arr:
        # expected third-stage tests of a subpool of s > 1 people
        qs = q**s
        t = (1.0 - sp1) * (1.0 - sp2) * qn + se1 * (1.0 - sp2) * qs * (1.0 - q ** (n - s))
        return np.where(s > 1, s * (t + se1 * se2 * (1.0 - qs)), 0.0)

    def psp_sub(s: Arr) -> Arr:
        # PSp of a negative in a subpool of s > 1
        qs1, qn1 = q ** (s - 1.0), q ** (n - 1.0)
        fp = (1.0 - sp1) * (1.0 - sp2) * (1.0 - sp3) * qn1
        fp = fp + se1 * (1.0 - sp2) * (1.0 - sp3) * (qs1 - qn1)
        fp = fp + se1 * se2 * (1.0 - sp3) * (1.0 - qs1)
        return 1.0 - fp

    qn1 = q ** (n - 1.0)
    psp_single = 1.0 - ((1.0 - sp1) * (1.0 - sp2) * qn1 + se1 * (1.0 - sp2) * (1.0 - qn1))
    single = (rem == 1).astype(np.float64)
    multi_rem = np.where(rem > 1, rem, 0.0)
    e = (1.0 + groups * p1 + full * retested(m) + retested(multi_rem)) / n
    pse = ((n - single) * se1 * se2 * se3 + single * se1 * se2) / n
    psp_rem = np.where(rem > 1, psp_sub(np.maximum(rem, 2.0)), 0.0)
    psp = (full * m * psp_sub(m) + multi_rem * psp_rem + single * psp_single) / n
    return e, pse, psp


def _array_core(
    nn: Arr, p: float, se_rc: Arr, sp_rc: float, se_ind: float, sp_ind: float, se_rc_base: float
) -> tuple[Arr, Arr, Arr]:
    """A2 per individual: (E/n^2, PSe, PSp); ``se_rc`` per R, ``se_rc_base`` for PSe."""
    n_max = int(nn.max())
    lf = _log_factorials(n_max + 1)
    n = nn[:, None]
    r = np.arange(n_max + 1, dtype=np.float64)[None, :]
    se = se_rc[:, None]
    sp = sp_rc
    q = 1.0 - p
    a_row = 1.0 - q**n  # a row (column) holds a positive
    a_row1 = 1.0 - q ** (n - 1.0)  # ... among n-1 of its members
    inside = r <= n
    w = np.where(inside, (1.0 - se) ** r * sp ** np.where(inside, n - r, 0.0), 0.0)
    qn, qn1 = q**n, q ** (n - 1.0)

    # E(T): P(tested individually) = P(no row +, own column +) * 2 + P(own row +, own column +)
    ra = _binom_pmf(n, r, a_row, lf)
    raj = _binom_pmf(n, r, a_row1, lf)
    a1 = np.sum(w * ((1.0 - sp) * qn * raj + se * (ra - qn * raj)), axis=1)
    s = se_rc
    a3 = s**2 + (1.0 - s - sp) ** 2 * q ** (2.0 * nn - 1.0) + 2.0 * (s * (1.0 - sp) - s**2) * q**nn
    e = 2.0 / nn + 2.0 * a1 + a3

    # PSp: the same events given that this individual is negative
    raj_neg = a_row1 * _binom_pmf(n - 1.0, r - 1.0, a_row, lf)
    raj_neg = raj_neg + (1.0 - a_row1) * _binom_pmf(n - 1.0, r, a_row, lf)
    b1 = np.sum(w * ((1.0 - sp) * qn1 * raj + se * (raj_neg - qn1 * raj)), axis=1)
    b3 = (s + (1.0 - s - sp) * q ** (nn - 1.0)) ** 2
    psp = 1.0 - (1.0 - sp_ind) * (2.0 * b1 + b3)

    # PSe (base Se: the caller multiplies by the detectable share)
    sb = se_rc_base
    c0 = 1.0 - _p_positive(q**nn, s, sp)
    pse = se_ind * sb**2 + 2.0 * se_ind * sb * (1.0 - sb) * c0 ** (nn - 1.0)
    return e, pse, psp


def array_arrays(
    r: npt.ArrayLike,
    p: float,
    se: Sequence[float],
    sp: Sequence[float],
) -> tuple[Arr, Arr, Arr]:
    """(E/n, PSe, PSp) of ``array:R`` for every R in ``r`` (no dilution)."""
    nn = np.atleast_1d(np.asarray(r, dtype=np.float64))
    return _array_core(nn, p, np.full_like(nn, se[0]), sp[0], se[1], sp[1], se[0])


def array_master_arrays(
    r: npt.ArrayLike,
    p: float,
    se: Sequence[float],
    sp: Sequence[float],
) -> tuple[Arr, Arr, Arr]:
    """(E/n, PSe, PSp) of ``array-master:R`` (master pool of R*R) for every R in ``r`` (no dilution)."""
    nn = np.atleast_1d(np.asarray(r, dtype=np.float64))
    se_m = se[0]
    se_m_base, se_rc, se_ind = se
    sp_m, sp_rc, sp_ind = sp
    q = 1.0 - p
    e_a2, pse_a2, _psp_a2 = _array_core(nn, p, np.full_like(nn, se_rc), sp_rc, se_ind, sp_ind, se_rc)
    # master negative ends the array; otherwise run A2 (binGroup2 E(T), corrected 2025)
    all_neg_a2 = 2.0 / nn + (1.0 - sp_rc) ** 2 + 2.0 * (1.0 - sp_rc) * sp_rc**nn
    e = 1.0 / nn**2 + (1.0 - se_m - sp_m) * q ** (nn * nn) * all_neg_a2 + se_m * e_a2

    pse: Arr = np.asarray(se_m_base * se_rc**2 * se_ind, dtype=np.float64)
    line_clear = 1.0 - _p_positive(q**nn, se_rc, sp_rc)  # a row or column tests negative
    pse = pse + 2.0 * se_m_base * se_rc * se_ind * (1.0 - se_rc) * line_clear ** (nn - 1.0)

    # PSp (Kim et al. 2007 mu and nu; given this individual is negative)
    qn1 = q ** (nn - 1.0)
    mu = _p_positive(q ** ((nn - 1.0) ** 2), se_m, sp_m) * ((1.0 - sp_rc) * qn1) ** 2
    mu = mu + se_m * se_rc * (1.0 - qn1) * ((1.0 - sp_rc) * qn1 + _p_positive(qn1, se_rc, sp_rc))
    n_max = int(nn.max())
    lf = _log_factorials(n_max + 1)
    n = nn[:, None]
    c = np.arange(1, n_max + 1, dtype=np.float64)[None, :]
    inside = c <= n
    a_col = 1.0 - q**n
    # own row negative, exactly c positive columns, given this individual negative
    beta0y = _choose(n, c, lf) * q ** (n * n - n * c + c - 1.0) * (1.0 - q ** (n - 1.0)) ** c
    beta0y = np.where(inside, beta0y, 0.0)
    # own row positive, exactly c positive columns, given this individual negative
    beta1y = _choose(n - 1.0, c, lf) * a_col**c * q ** (n * n - n * c - 1.0)
    beta1y = beta1y + _choose(n - 1.0, c - 1.0, lf) * a_col ** (c - 1.0) * q ** (n * n - n * c) * (1.0 - q ** (n - 1.0))
    beta1y = np.where(inside, beta1y - beta0y, 0.0)
    spn = np.where(inside, sp_rc ** np.where(inside, n - c, 0.0), 0.0)
    gamma0 = (1.0 - sp_rc) * (1.0 - se_rc) ** c * spn
    gamma1 = se_rc * spn * (1.0 - se_rc) ** c
    bsum = np.sum(beta0y * gamma0 + beta1y * gamma1, axis=1)
    nu = (1.0 - sp_m) * q ** (nn * nn - 1.0) * (1.0 - sp_rc) * sp_rc**nn + se_m * bsum
    psp = 1.0 - (1.0 - sp_ind) * (mu + 2.0 * nu)
    return e, pse, psp


def _choose(n: Arr, k: Arr, lf: Arr) -> Arr:
    ok = (k >= 0) & (k <= n)
    nn = np.where(ok, n, 0).astype(np.int64)
    kk = np.where(ok, k, 0).astype(np.int64)
    return np.where(ok, np.exp(lf[nn] - lf[kk] - lf[nn - kk]), 0.0)


# ---------------------------------------------------------------- one design


def std_arrays(
    q: npt.ArrayLike,
    k: npt.ArrayLike,
    p: float,
    se: Sequence[float],
    sp: Sequence[float],
    dilution: DilutionModel | None = None,
) -> tuple[Arr, Arr, Arr]:
    """(E/n, PSe, PSp) of the shifted transversal design ``std:Q-K`` with COMP's
    candidates confirmed alone (Thierry-Mieg 2006), for full blocks of Q² people.

    Each person is in K pools of Q people, and two people share at most one pool, so the
    other members of one person's K pools are disjoint and those pools' results are
    independent given the person's status: a negative person is a candidate when all K
    pools test positive, each with P0 = Se1·(1 − (1−p)^(Q−1)) + (1 − Sp1)·(1−p)^(Q−1);
    a positive one when all K of its pools do (Se1^K). Tests per person: K/Q for the
    pools, then one confirmation per candidate. Under dilution: ``std_dilution.py`` (the
    same independence given the person's own concentration, exact).
    """
    if dilution is not None:
        return _std_diluted(q, k, p, se, sp, dilution)
    qq, kk = np.broadcast_arrays(np.asarray(q, dtype=np.float64), np.asarray(k, dtype=np.float64))
    neg = (1.0 - p) ** (qq - 1.0)
    p0 = _p_positive(neg, se[0], sp[0])
    candidate_pos = se[0] ** kk
    candidate_neg = p0**kk
    e = kk / qq + p * candidate_pos + (1.0 - p) * candidate_neg
    pse = candidate_pos * se[1]
    psp = 1.0 - candidate_neg * (1.0 - sp[1])
    return e, pse, psp


def _std_diluted(
    q: npt.ArrayLike, k: npt.ArrayLike, p: float, se: Sequence[float], sp: Sequence[float], dilution: DilutionModel
) -> tuple[Arr, Arr, Arr]:
    """``std_arrays`` under dilution: ``std_dilution.full_blocks``, one lattice per Q."""
    from poolab.plan import std_dilution
    from poolab.plan.concentration import LognormalLaw

    qq, kk = (a.ravel() for a in np.broadcast_arrays(np.asarray(q, dtype=np.int64), np.asarray(k, dtype=np.int64)))
    out = np.empty((3, qq.shape[0]))
    law = LognormalLaw.from_model(dilution)
    for value in np.unique(qq).tolist():
        rows = np.flatnonzero(qq == value)
        for i, totals in zip(
            rows.tolist(), std_dilution.full_blocks(value, kk[rows].tolist(), 1, p, se, sp, law), strict=True
        ):
            out[:, i] = totals.per_person
    return out[0], out[1], out[2]


def family_arrays(
    family: str,
    sizes: npt.ArrayLike,
    p: float,
    se: Sequence[float],
    sp: Sequence[float],
    dilution: DilutionModel | None = None,
    k2: npt.ArrayLike | None = None,
) -> tuple[Arr, Arr, Arr]:
    """(E/n, PSe, PSp) of ``family`` over ``sizes`` (and ``k2`` for hier)."""
    if dilution is not None and family in EXACT_UNDER_DILUTION:
        return _exact(family, sizes, p, se, sp, dilution, k2)
    if family == "dorfman":
        return dorfman_arrays(sizes, p, se, sp)
    if family == "hier":
        if k2 is None:
            raise BadPlanInput(_("hier needs subpool sizes (K2)"))
        return hier_arrays(sizes, k2, p, se, sp)
    if family == "array":
        return array_arrays(sizes, p, se, sp)
    if family == "array-master":
        return array_master_arrays(sizes, p, se, sp)
    if family == "std":
        if k2 is None:
            raise BadPlanInput(_("std needs the number of pools per person (K)"))
        return std_arrays(sizes, k2, p, se, sp, dilution)
    if family == "individual":
        ones = np.ones_like(np.atleast_1d(np.asarray(sizes, dtype=np.float64)))
        d = _detect(ones, dilution)  # a positive too dilute alone still tests positive with 1 - Sp
        return ones, se[0] * d + (1.0 - sp[0]) * (1.0 - d), sp[0] * ones
    raise BadPlanInput(
        _("unknown family {family}; use one of: {families}").format(family=repr(family), families=", ".join(STAGES))
    )


EXACT_UNDER_DILUTION = ("dorfman", "hier", "array", "array-master")


def _exact(
    family: str,
    sizes: npt.ArrayLike,
    p: float,
    se: Sequence[float],
    sp: Sequence[float],
    dilution: DilutionModel,
    k2: npt.ArrayLike | None,
) -> tuple[Arr, Arr, Arr]:
    from poolab.plan import exact_dilution as x
    from poolab.plan.concentration import LognormalLaw

    law = LognormalLaw.from_model(dilution)
    if family == "hier":
        if k2 is None:
            raise BadPlanInput(_("hier needs subpool sizes (K2)"))
        if int(np.max(sizes)) > x.HIER_MAX:
            raise BadPlanInput(
                _(
                    "hier under dilution is computed for K1 up to {most} (its cost grows as K1³); "
                    "use a smaller design or --max-pool-size {most}"
                ).format(most=x.HIER_MAX)
            )
        return x.hier_exact(sizes, k2, p, se, sp, law)
    fn = {"dorfman": x.dorfman_exact, "array": x.array_exact, "array-master": x.array_master_exact}[family]
    return fn(sizes, p, se, sp, law)
