"""The shifted transversal design std:Q-K-G (Thierry-Mieg 2006): its layout and its exact
operating characteristics with COMP's candidates confirmed alone.

Layout. A block holds Q^(G+1) people; person ``i`` of a block has base-Q digits
i_0 .. i_G (i_0 least significant) and, in layer j (0 <= j < K <= Q), sits in pool
``d_i(j) = Σ_c i_c·j^c mod Q`` of that layer: Q pools of Q^G per layer. Two people i, m
share the pools of the layers j where the nonzero polynomial d_i - d_m (degree <= G)
vanishes: at most G of them. So a person's K pools hold, besides it, people who share 1
to G of them with it, and the design is d-disjunct for d = (K - 1) // G.

Operating characteristics (plain Se/Sp assay; stage 1 the pools, stage 2 the
confirmations). A positive is a candidate when all K of its pools test positive: Se1^K,
whatever G (each of its pools holds a positive). For a negative person, write a pool's
chance to test positive as Se1 - c·Z with c = Se1 + Sp1 - 1 and Z = 1 when the pool's
other members are all negative. Expanding the product over its K pools,

    P(candidate | negative) = Σ_S Se1^(K-|S|)·(-c)^|S|·(1-p)^u(S)

over the sets S of its layers, u(S) being how many other people share a pool with it in
some layer of S. Exact, no approximation:

* G = 1: the other members of its K pools are disjoint, the sum factors into
  Π_j (Se1 - c·(1-p)^(s_j - 1)) with s_j the size of its pool in layer j.
* A full block, any G: u(S) depends only on |S| = s, because the evaluation code of the
  polynomials of degree <= G at s distinct points is MDS. Counting the polynomials with no
  root among s points by inclusion and exclusion, N(s) = Σ_t (-1)^t C(s,t) Q^max(G+1-t, 0),
  gives u(s) = Q^(G+1) - 1 - N(s) for s >= 1 (u(0) = 0), and the sum runs over s = 0..K with
  C(K, s) sets each (computed in extended precision: the terms alternate).
* A partial last block, G >= 2: people are no longer alike, so the sum is taken person
  by person from how many others share each set of its layers (a subset-sum transform
  over the 2^K sets). Exact while that is small enough to compute (``EXACT_BUDGET``);
  beyond it ``NotComputed`` says so and ``poolab simulate`` gives the figure with its
  interval.

Tests per person: the pools (K·Q per full block, the non-empty ones of a partial block)
plus one confirmation per candidate. Under dilution: ``std_dilution.py`` (exact for G = 1,
within a proven bound for G >= 2, which ``BlockTotals.slack`` carries).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from poolab.i18n import _
from poolab.plan import std_dilution
from poolab.plan.blocks import BlockTotals, NotComputed, from_rates
from poolab.plan.concentration import LognormalLaw
from poolab.plan.dilution import DilutionModel
from poolab.plan.std_layout import EXACT_BUDGET, layer_pools, sharing, union_sizes


def candidate_if_clear(q: int, k: int, g: int, p: float, se1: float, sp1: float) -> float:
    """P(all K pools of a negative person test positive) in a full block."""
    u = union_sizes(q, k, g)
    c = np.longdouble(se1 + sp1 - 1.0)
    log_clear = np.log1p(np.longdouble(-p))
    total = np.longdouble(0.0)
    for s in range(k + 1):
        total += math.comb(k, s) * np.longdouble(se1) ** (k - s) * (-c) ** s * np.exp(u[s] * log_clear)
    return min(max(float(total), 0.0), 1.0)


def _law(dilution: DilutionModel) -> LognormalLaw:
    return LognormalLaw.from_model(dilution)


def full_block(
    q: int,
    k: int,
    g: int,
    p: float,
    se: tuple[float, ...],
    sp: tuple[float, ...],
    dilution: DilutionModel | None = None,
) -> tuple[float, float, float]:
    """(E/n, PSe, PSp) of one full block of std:Q-K-G (under dilution with G >= 2: the
    midpoints of ``full_block_totals``' intervals)."""
    if dilution is not None:
        return full_block_totals(q, k, g, p, se, sp, dilution).per_person
    clear = candidate_if_clear(q, k, g, p, se[0], sp[0])
    infected = se[0] ** k
    e = k / q**g + p * infected + (1.0 - p) * clear
    return e, infected * se[1], 1.0 - clear * (1.0 - sp[1])


def full_block_totals(
    q: int, k: int, g: int, p: float, se: tuple[float, ...], sp: tuple[float, ...],
    dilution: DilutionModel | None = None,
) -> BlockTotals:  # fmt: skip
    """Totals of one full block of std:Q-K-G, with the bound of its figures under dilution."""
    if dilution is not None:
        return std_dilution.full_blocks(q, [k], g, p, se, sp, _law(dilution))[0]
    return from_rates(q ** (g + 1), *full_block(q, k, g, p, se, sp))


def _partial_g1(pools: npt.NDArray[np.int64], q: int, p: float, se1: float, sp1: float) -> npt.NDArray[np.float64]:
    """P(candidate | negative) per person, G = 1: a product over its layers."""
    c = se1 + sp1 - 1.0
    out = np.ones(pools.shape[1])
    for layer in pools:
        sizes = np.bincount(layer, minlength=q)[layer]
        out *= se1 - c * (1.0 - p) ** (sizes - 1)
    return out


def _partial_exact(pools: npt.NDArray[np.int64], p: float, se1: float, sp1: float) -> npt.NDArray[np.float64]:
    """P(candidate | negative) per person, any G: the sum over the sets of its layers."""
    k, r = pools.shape
    full = (1 << k) - 1
    rows, inverse = sharing(pools)
    zeta = rows.astype(np.float64)  # zeta[:, A]: others whose shared layers all lie in A
    for j in range(k):
        bit = 1 << j
        with_bit = np.flatnonzero(np.arange(1 << k) & bit)
        zeta[:, with_bit] += zeta[:, with_bit ^ bit]
    sets = np.arange(1 << k)
    size = np.array([bin(int(s)).count("1") for s in sets])
    c = np.longdouble(se1 + sp1 - 1.0)
    coef = np.longdouble(se1) ** (k - size) * (-c) ** size
    shared = (r - 1) - zeta[:, full ^ sets]  # u(S) per distinct person, per set S
    values = (coef[None, :] * np.exp(shared.astype(np.longdouble) * np.log1p(np.longdouble(-p)))).sum(axis=1)
    return np.clip(values.astype(np.float64), 0.0, 1.0)[inverse]


def partial_block(
    q: int, k: int, g: int, r: int, p: float, se: tuple[float, ...], sp: tuple[float, ...],
    dilution: DilutionModel | None = None,
) -> BlockTotals:  # fmt: skip
    """Totals of the first ``r`` people of a block (a partial last block, exact)."""
    if dilution is not None:
        return std_dilution.partial_block(q, k, g, r, p, se, sp, _law(dilution))
    pools = layer_pools(np.arange(r, dtype=np.int64), q, k, g)
    se1 = se[0]
    if g == 1:
        clear = _partial_g1(pools, q, p, se1, sp[0])
    else:
        if r * max(r, 1 << k) > EXACT_BUDGET:
            raise NotComputed(
                _(
                    "std:{q}-{k}-{g}: a partial block of {r} people in {k} layers is beyond the exact sum's budget; "
                    "use poolab simulate for its figures"
                ).format(q=q, k=k, g=g, r=r)
            )
        clear = _partial_exact(pools, p, se1, sp[0])
    npools = sum(int(np.unique(layer).shape[0]) for layer in pools)
    infected = se[0] ** k
    tests = npools + r * p * infected + (1.0 - p) * float(clear.sum())
    return BlockTotals(r, tests, r * infected * se[1], (1.0 - sp[1]) * float(clear.sum()))


def layout_totals(
    q: int, k: int, g: int, n: int, p: float, se: tuple[float, ...], sp: tuple[float, ...],
    dilution: DilutionModel | None = None,
) -> BlockTotals:  # fmt: skip
    """Totals of std:Q-K-G laid out on ``n`` people: whole blocks, then the partial one."""
    block = q ** (g + 1)
    whole, rest = divmod(n, block)
    out = full_block_totals(q, k, g, p, se, sp, dilution).times(whole) if whole else BlockTotals(0, 0.0, 0.0, 0.0)
    if rest:
        out = out + partial_block(q, k, g, rest, p, se, sp, dilution)
    return out


def g1_layouts(
    q: int, n: int, p: float, se: tuple[float, ...], sp: tuple[float, ...], dilution: DilutionModel | None = None
) -> list[BlockTotals]:
    """Totals of std:Q-K on ``n`` people for every K = 1..Q at once (the optimiser's
    search): the layers of a partial block are computed once, and its candidates'
    product over layers is a running product over K (under dilution:
    ``std_dilution.g1_layouts``)."""
    if dilution is not None:
        return std_dilution.g1_layouts(q, n, p, se, sp, _law(dilution))
    block = q * q
    whole, rest = divmod(n, block)
    se1 = se[0]
    out = []
    if rest:
        pools = layer_pools(np.arange(rest, dtype=np.int64), q, q, 1)
        c = se1 + sp[0] - 1.0
        factors = np.empty((q, rest))
        counts = np.empty(q)
        for j in range(q):
            sizes = np.bincount(pools[j], minlength=q)
            factors[j] = se1 - c * (1.0 - p) ** (sizes[pools[j]] - 1)
            counts[j] = np.count_nonzero(sizes)
        clear_by_k = np.cumprod(factors, axis=0).sum(axis=1)  # Σ over people, for K = 1..q
        pools_by_k = np.cumsum(counts)
    for k in range(1, q + 1):
        e, pse, psp = full_block(q, k, 1, p, se, sp, dilution) if whole else (0.0, 0.0, 1.0)
        total = BlockTotals(whole * block, e * whole * block, pse * whole * block, (1.0 - psp) * whole * block)
        if rest:
            infected = se[0] ** k
            clear = float(clear_by_k[k - 1])
            tests = float(pools_by_k[k - 1]) + rest * p * infected + (1.0 - p) * clear
            total = total + BlockTotals(rest, tests, rest * infected * se[1], (1.0 - sp[1]) * clear)
        out.append(total)
    return out
