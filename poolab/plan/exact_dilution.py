"""Exact operating characteristics under dilution, for dorfman, hier, array and array-master.

The model is the simulator's (``poolab.kernels.simulate``): each positive carries one
concentration ``x`` (limit units, ``concentration.py``); a pool of ``s`` is *detectable*
when the sum of its positives' ``x`` is at least ``s``, whatever stage it belongs to (an
individual test is a pool of one); a detectable pool tests positive with its stage's Se,
any other pool with 1 - Sp, independently. So the chance a pool tests positive is
``π(d) = (1 - Sp) + (Se + Sp - 1)·d`` with ``d`` its detectability, and every figure is an
expectation of products of such terms over the members' concentrations.

The members' concentrations are independent, and each pool's detectability depends on a
sum of them, so every expectation below is a sum over convolutions of the one-member law
``λ = (1 - p)·δ0 + p·law`` (``concentration.cell``): the "sum over the binomial
distribution of positives" with each count's concentration law included. The focal person
(whose PSe or PSp is computed) enters with its own law split by its own detectability
(``concentration.focal``). Laws live on lattices (``lattice.py``) with ``RESOLUTION``
cells up to the smallest pool threshold; tests check the result against an exact
enumeration of small pools (``tests/naive.py``) and against the simulator.

Per family, focal person at row 1, column 1 (arrays) or in a subpool of size ``s``:

* ``dorfman:K``: pool+ = π1(S_K ≥ K); PSe = E[ind(x)·π1(x + S_{K-1} ≥ K)] with ``ind`` the
  individual test's chance to be positive (Se2 when ``x >= 1``, else 1 - Sp2).
* ``hier:K1-K2``: the subpool's and the pool's detectabilities share the subpool's
  positives: E[π1(T + U ≥ K1)·π2(T ≥ s)] with T the subpool's sum, U the rest of the pool.
* ``array:R``: given the focal value x, its row and its column are independent; a
  column j ≠ 1 is negative with chance ``1 - ρ(y_j)`` where y_j is its row-1 member and
  ``ρ(y) = E[π(y + S_{R-1} ≥ R)]``. The focal is tested when row and column are positive
  (ρ(x)²), or its row is positive and every column negative (and the mirror case):
  ``(1 - ρ(x))·Ψ(x)`` with ``Ψ(x) = ∫ π(x + s ≥ R) μ^{*(R-1)}(ds)``, ``μ = (1 - ρ)·λ``.
* ``array-master:R``: as for arrays, but every event also needs the master pool (the
  sum of all R² members) to test positive, which couples a row's sum with the total;
  columns j ≠ 1 are convolved as a 2-D law of (row-1 member, column total), the totals on
  a coarser lattice (``array_master_exact``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from poolab.plan.concentration import ConcentrationLaw, cell, focal
from poolab.plan.lattice import Arr, Lattice, convolve, detect, fast_length, power, powers, tails, weights

RESOLUTION = 64
"""Lattice cells up to the smallest pool threshold: each threshold probability then
carries an error of about 1e-6 (measured against numerical integration in the tests)."""

ARRAY_RESOLUTION = 256
"""Arrays need more: a member of row 1 that is alone in its row and in its column decides
both at once, and the lattice's half-weight ties get that case wrong by O(h) (the focal
person is held so that it does not, ``concentration.Focal``). At 256 cells the error in
E/n stays below about 3e-6; the lattice is that small and costs little."""

Stages = Sequence[float]


def _pi(se: float, sp: float, d: Arr | float) -> Arr:
    """Chance a pool tests positive when detectable with weight ``d`` (0, ½ or 1, or a mean)."""
    return np.asarray((1.0 - sp) + (se + sp - 1.0) * np.asarray(d), dtype=np.float64)


# ---------------------------------------------------------------- dorfman


def dorfman_exact(
    k: npt.ArrayLike, p: float, se: Stages, sp: Stages, law: ConcentrationLaw, resolution: int = RESOLUTION
) -> tuple[Arr, Arr, Arr]:
    """(E/n, PSe, PSp) of ``dorfman:K`` for every K in ``k``, one lattice per K."""
    ks = np.atleast_1d(np.asarray(k, dtype=np.int64))
    e, pse, psp = (np.empty(ks.shape[0]) for _ in range(3))
    b1 = se[0] + sp[0] - 1.0
    for i, kk in enumerate(ks.tolist()):
        lattice = Lattice(kk / resolution, resolution)
        lam = cell(law, p, lattice)
        others = power(lam, kk - 1)
        me = focal(law, lattice)
        top = resolution
        whole = tails(convolve(others, lam))[top]
        e[i] = 1.0 / kk + (1.0 - sp[0]) + b1 * whole
        g = detect(others, top, me.tie)  # P(x + others reach K) for each focal value x
        pool_hi = (1.0 - sp[0]) * me.hi.sum() + b1 * float(me.hi @ g)
        pool_lo = (1.0 - sp[0]) * me.lo.sum() + b1 * float(me.lo @ g)
        pse[i] = se[1] * pool_hi + (1.0 - sp[1]) * pool_lo
        psp[i] = 1.0 - (1.0 - sp[1]) * ((1.0 - sp[0]) + b1 * tails(others)[top])
    return e, pse, psp


# ---------------------------------------------------------------- hier


def _both(t: Arr, w_sub: Arr, g_pool: Arr) -> tuple[float, float, float, float]:
    """For a subpool-sum law ``t``: (mass, P(subpool detectable), P(pool detectable),
    P(both)), given the subpool's threshold weights and the rest of the pool's ``detect``."""
    tw = t * w_sub
    return float(t.sum()), float(tw.sum()), float(t @ g_pool), float(tw @ g_pool)


def _stages2(m: float, a: float, b: float, q: float, s1: tuple[float, float], s2: tuple[float, float]) -> float:
    """E[π1(pool) π2(subpool)] from the mass and the three detectability probabilities."""
    (se1, sp1), (se2, sp2) = s1, s2
    b1, b2 = se1 + sp1 - 1.0, se2 + sp2 - 1.0
    return m * (1.0 - sp1) * (1.0 - sp2) + (1.0 - sp1) * b2 * a + b1 * (1.0 - sp2) * b + b1 * b2 * q


HIER_MAX = 200
"""Largest K1 ``hier_exact`` takes: its cost grows as K1³ (about a second for every pair
up to K1 = 100, several up to 200)."""


def _sums(lam: Arr, n1: npt.NDArray[np.int64], n2: npt.NDArray[np.int64]) -> dict[int, Arr]:
    """The laws of sums of k members for every k the pairs (K1, K2) need: all of 0..max K1
    by successive convolution when there are many pairs, else each one by powering."""
    needed: set[int] = set()
    for n, m in zip(n1.tolist(), n2.tolist(), strict=True):
        r = n % m
        needed |= {n, n - 1, m, m - 1, n - m, r, max(r - 1, 0), n - r}
    top = max(needed)
    if len(needed) * 8 > top:
        rows = powers(lam, top)
        return {k: rows[k] for k in needed}
    return {k: power(lam, k) for k in needed}


def hier_exact(
    k1: npt.ArrayLike,
    k2: npt.ArrayLike,
    p: float,
    se: Stages,
    sp: Stages,
    law: ConcentrationLaw,
    resolution: int = RESOLUTION,
) -> tuple[Arr, Arr, Arr]:
    """(E/n, PSe, PSp) of ``hier:K1-K2`` for every pair; one lattice for all of them (step
    ``2 / resolution``, so a subpool of two has ``resolution`` cells), its sums of ``k``
    members computed once for every ``k``. Cost grows as K1³: meant for K1 up to a few hundred."""
    n1, n2 = np.broadcast_arrays(np.atleast_1d(np.asarray(k1, dtype=np.int64)), np.asarray(k2, dtype=np.int64))
    n1, n2 = n1.ravel(), n2.ravel()
    g = math.ceil(resolution / 2)
    nmax = int(n1.max())
    if nmax > HIER_MAX:
        raise ValueError(f"hier under dilution is computed for K1 up to {HIER_MAX} (asked {nmax})")
    lattice = Lattice(1.0 / g, nmax * g)
    lam = cell(law, p, lattice)
    sums = _sums(lam, n1, n2)  # sums[k]: law of the sum of k members (the k needed)
    sum_tails = {k: tails(v) for k, v in sums.items()}
    me = focal(law, lattice)
    # the focal person plus the s - 1 others of its subpool, by the focal's own detectability
    with_hi: dict[int, Arr] = {}
    with_lo: dict[int, Arr] = {}
    s1, s2 = (se[0], sp[0]), (se[1], sp[1])
    b1 = se[0] + sp[0] - 1.0
    e, pse, psp = (np.empty(n1.shape[0]) for _ in range(3))
    for i, (n, m) in enumerate(zip(n1.tolist(), n2.tolist(), strict=True)):
        full, r = divmod(n, m)
        kn = n * g
        tests = 1.0 + (full + (r > 0)) * float(_pi(se[0], sp[0], sum_tails[n][kn]))
        found = 0.0  # Σ over positions of P(called positive | positive)
        false = 0.0  # Σ over positions of P(called positive | negative)
        for size, count in ((m, full), (r, 1)):
            if count == 0 or size == 0:
                continue
            if size == 1:  # a subpool of one is the person's final test (stage 2)
                g1 = detect(sums[n - 1], kn, me.tie)
                found += se[1] * ((1.0 - sp[0]) * me.hi.sum() + b1 * float(me.hi @ g1))
                found += (1.0 - sp[1]) * ((1.0 - sp[0]) * me.lo.sum() + b1 * float(me.lo @ g1))
                false += (1.0 - sp[1]) * float(_pi(se[0], sp[0], sum_tails[n - 1][kn]))
                continue
            g_pool = detect(sums[n - size], kn)
            w_sub = weights(lattice.n, size * g)
            tests += count * size * _stages2(*_both(sums[size], w_sub, g_pool), s1, s2)
            false += count * size * (1.0 - sp[2]) * _stages2(*_both(sums[size - 1], w_sub, g_pool), s1, s2)
            if size not in with_hi:
                with_hi[size] = convolve(me.hi, sums[size - 1])
                with_lo[size] = convolve(me.lo, sums[size - 1])
            g_focal = detect(sums[n - size], kn, me.tie)
            w_focal = weights(lattice.n, size * g, me.tie)
            pos = se[2] * _stages2(*_both(with_hi[size], w_focal, g_focal), s1, s2)
            pos += (1.0 - sp[2]) * _stages2(*_both(with_lo[size], w_focal, g_focal), s1, s2)
            found += count * size * pos
        e[i] = tests / n
        pse[i] = found / n
        psp[i] = 1.0 - false / n
    return e, pse, psp


# ---------------------------------------------------------------- array


def _array_tested(others: Arr, rest: Arr, top: int, se1: float, sp1: float, tie: float) -> Arr:
    """P(focal tested | its value): row and column positive, or one of them positive and
    every line across negative (``others``: a line's other members; ``rest``: the other
    lines across, each weighted by testing negative)."""
    own = _pi(se1, sp1, detect(others, top, tie))
    psi = (1.0 - sp1) * rest.sum() + (se1 + sp1 - 1.0) * detect(rest, top, tie)
    return np.asarray(own * own + 2.0 * (1.0 - own) * psi, dtype=np.float64)


def array_exact(
    r: npt.ArrayLike, p: float, se: Stages, sp: Stages, law: ConcentrationLaw, resolution: int = ARRAY_RESOLUTION
) -> tuple[Arr, Arr, Arr]:
    """(E/n, PSe, PSp) of ``array:R`` for every R in ``r``, one lattice per R."""
    rs = np.atleast_1d(np.asarray(r, dtype=np.int64))
    e, pse, psp = (np.empty(rs.shape[0]) for _ in range(3))
    se1, sp1 = se[0], sp[0]
    top = resolution
    for i, rr in enumerate(rs.tolist()):
        lattice = Lattice(rr / resolution, resolution)
        lam = cell(law, p, lattice)
        others = power(lam, rr - 1)
        # rho(y): P(a line holding value y, besides its R-1 other members, tests positive)
        rho = _pi(se1, sp1, detect(others, top))
        rest = power((1.0 - rho) * lam, rr - 1)  # the other R-1 lines across, each negative

        me = focal(law, lattice)
        # the focal value 0 is exact: its ties with the others count half
        negative = float(_array_tested(others, rest, top, se1, sp1, 0.5)[0])
        positive = _array_tested(others, rest, top, se1, sp1, me.tie)
        e[i] = 2.0 / rr + (1.0 - p) * negative + p * float((me.lo + me.hi) @ positive)
        pse[i] = se[1] * float(me.hi @ positive) + (1.0 - sp[1]) * float(me.lo @ positive)
        psp[i] = 1.0 - (1.0 - sp[1]) * negative
    return e, pse, psp


# ---------------------------------------------------------------- array-master


def _shift(v: Arr, j: int) -> Arr:
    """The measure of ``value + j·h`` (lattice ``v``); what passes the top joins the overflow."""
    n = v.shape[0] - 2
    out = np.zeros_like(v)
    if j <= n:
        out[j : n + 1] = v[: n + 1 - j]
    out[n + 1] = v.sum() - out[: n + 1].sum()
    return out


def _rebin(v: Arr, ratio: int, n: int) -> Arr:
    """Fine lattice values ``k·h`` (``v``, all at or below the fine top) onto the coarse
    lattice of step ``ratio·h``, each split between its two coarse neighbours keeping its mean."""
    k = np.arange(v.shape[0])
    j, frac = np.divmod(k, ratio)
    f = frac / ratio
    out = np.bincount(j, v * (1.0 - f), minlength=n + 2)[: n + 2]
    out += np.bincount(j + 1, v * f, minlength=n + 2)[: n + 2]
    return np.asarray(out, dtype=np.float64)


def _fold2(z: Arr, n: int) -> Arr:
    """A full 2-D convolution folded back: index n+1 on either axis is that axis' overflow."""
    out = np.zeros((n + 2, n + 2))
    out[: n + 1, : n + 1] = z[: n + 1, : n + 1]
    out[n + 1, : n + 1] = z[n + 1 :, : n + 1].sum(axis=0)
    out[: n + 1, n + 1] = z[: n + 1, n + 1 :].sum(axis=1)
    out[n + 1, n + 1] = z[n + 1 :, n + 1 :].sum()
    return out


def _power2(a: Arr, k: int) -> Arr:
    """The k-fold 2-D convolution of ``a`` (binary powering; overflow folded each step)."""
    n = a.shape[0] - 2
    size = fast_length(2 * n + 3)
    shape = (size, size)

    def spectrum(x: Arr) -> Arr:
        return np.asarray(np.fft.rfft2(x, shape))

    def back(f: Arr) -> Arr:
        return _fold2(np.maximum(np.fft.irfft2(f, shape)[: 2 * n + 3, : 2 * n + 3], 0.0), n)

    result: Arr | None = None
    base, fbase = a, spectrum(a)
    while k > 0:
        if k & 1:
            result = base if result is None else back(spectrum(result) * fbase)
        k >>= 1
        if k:
            base = back(fbase * fbase)
            fbase = spectrum(base)
    if result is None:
        result = np.zeros_like(a)
        result[0, 0] = 1.0
    return result


def array_master_exact(
    r: npt.ArrayLike, p: float, se: Stages, sp: Stages, law: ConcentrationLaw, resolution: int = RESOLUTION
) -> tuple[Arr, Arr, Arr]:
    """(E/n, PSe, PSp) of ``array-master:R`` for every R in ``r``.

    Two lattices per R, each of ``resolution`` cells: a fine one up to R (rows, columns)
    and a coarse one up to R² (the master pool), fine values moved onto it by a
    mean-preserving split. The focal person sits at row 1, column 1; columns 2..R are
    convolved as a 2-D law of (their row-1 member on the fine lattice, the column's total
    on the coarse one), once as they are (for "row and column positive") and once weighted
    by each column testing negative (for "row positive, every column negative"). A focal
    value above R makes its row and column detectable; only the master pool still
    depends on the sums, on the coarse lattice.
    """
    rs = np.atleast_1d(np.asarray(r, dtype=np.int64))
    e, pse, psp = (np.empty(rs.shape[0]) for _ in range(3))
    (se_m, se_l, se_i), (sp_m, sp_l, sp_i) = se, sp
    b_m, b_l = se_m + sp_m - 1.0, se_l + sp_l - 1.0
    n = resolution
    for idx, rr in enumerate(rs.tolist()):
        fine = Lattice(rr / n, n)
        coarse = Lattice(rr * rr / n, n)
        lam_f = cell(law, p, fine)
        lam_c = cell(law, p, coarse)
        z_f = power(lam_f, rr - 1)  # a line's other R-1 members, fine
        z_c = power(lam_c, rr - 1)  # ... and coarse

        def column(i: int, tie: float, z_f: Arr = z_f, z_c: Arr = z_c, rr: int = rr) -> tuple[Arr, Arr]:
            """A column whose row-1 member has fine value i: the coarse law of its total,
            as it is and weighted by the column being detectable."""
            j, frac = divmod(i, rr)
            total = (1.0 - frac / rr) * _shift(z_c, j) + (frac / rr) * _shift(z_c, j + 1)
            under = _shift(z_f, i)[: n + 1] * (1.0 - weights(n, n, tie))[: n + 1]
            return total, total - _rebin(under, rr, n)

        # columns 2..R: their row-1 member below R on the fine lattice (ties half) ...
        member = lam_f[: n + 1] - p * law.measure(fine, rr, math.inf)[: n + 1]
        phi_a = np.zeros((n + 2, n + 2))
        phi_b = np.zeros((n + 2, n + 2))
        for i in range(n + 1):
            total, det = column(i, 0.5)
            phi_a[i] = member[i] * total
            phi_b[i] = member[i] * (sp_l * total - b_l * det)
        # ... or above R (its column detectable), on the coarse one
        above = p * law.measure(coarse, rr, math.inf)
        phi_a[n + 1] = convolve(above, z_c)
        phi_b[n + 1] = (1.0 - se_l) * phi_a[n + 1]
        big_a = _power2(phi_a, rr - 1)  # (row-1 others' sum, their columns' total)
        big_b = _power2(phi_b, rr - 1)

        def tested(i: int, tie: float, big_a: Arr = big_a, big_b: Arr = big_b) -> float:
            """P(master+, focal tested) for a focal value at fine point i (below R)."""
            rows = (1.0 - sp_l) + b_l * weights(n, n, tie)[np.minimum(i + np.arange(n + 2), n + 1)]
            total, det = column(i, tie)
            out = 0.0
            for big, col, times in (
                (big_a, (1.0 - sp_l) * total + b_l * det, 1.0),
                (big_b, sp_l * total - b_l * det, 2.0),
            ):
                master = (1.0 - sp_m) * col.sum() + b_m * detect(col, n)
                out += times * float(rows @ big @ master)
            return out

        def strong(nu: Arr, big_a: Arr = big_a, big_b: Arr = big_b, z_c: Arr = z_c) -> float:
            """The same for a focal law ``nu`` (coarse) of values above R."""
            x_col = convolve(nu, z_c)
            out = 0.0
            for big, col, times in ((big_a, se_l, 1.0), (big_b, 1.0 - se_l, 2.0)):
                totals = big.sum(axis=0)
                master = (1.0 - sp_m) * x_col.sum() * totals.sum() + b_m * tails(convolve(x_col, totals))[n]
                out += times * se_l * col * master
            return out

        me = focal(law, fine, top=rr)
        negative = tested(0, 0.5)  # the focal value 0 is exact: ties with the others count half
        positive = np.array([tested(i, me.tie) for i in range(n + 1)])
        strong_part = strong(law.measure(coarse, rr, math.inf))
        master_pos = float(_pi(se_m, sp_m, tails(power(lam_c, rr * rr))[n]))
        found_hi = float(me.hi[: n + 1] @ positive) + strong_part
        found_lo = float(me.lo[: n + 1] @ positive)
        e[idx] = 1.0 / (rr * rr) + 2.0 / rr * master_pos + (1.0 - p) * negative + p * (found_hi + found_lo)
        pse[idx] = se_i * found_hi + (1.0 - sp_i) * found_lo
        psp[idx] = 1.0 - (1.0 - sp_i) * negative
    return e, pse, psp
