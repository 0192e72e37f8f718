"""Exact posteriors of one small component of the factor graph by enumerating every
infection pattern of its people (at most ``graph.MAX_EXACT`` of them). EXACT."""

from __future__ import annotations

import numpy as np

from poolab.kernels._jit import kernel
from poolab.kernels.bayes.graph import MAX_EXACT, check_pools, likelihoods, tested_pools


def scratch_size(people: int, pools: int) -> int:
    """float64 scratch ``enumerate_component`` needs for a component of this size."""
    return 2 * pools + (pools + 5) * (1 << ((people + 1) // 2))


@kernel
def enumerate_component(people, pools, pool_ptr, pool_members, result, se, sp, prior, local, masks, fbuf, out):
    """Exact posteriors of one component by summing over all 2^m infection patterns.

    A pattern is (high bits, low bits). The prior weight and the likelihood of a pool
    lying wholly in one half factor over the halves, so they are tabulated once per half
    (``thi``, ``tlo``); only pools straddling both halves are evaluated per pattern.
    ``masks`` (int64, at least one per pool) and ``fbuf`` (float64, at least
    2 * pools + (pools + 5) * 2^ceil(m/2)) are this thread's scratch."""
    m = people.shape[0]
    for k in range(m):
        local[people[k]] = k
    npool = pools.shape[0]
    low = m // 2
    nlo = np.int64(1) << low
    nhi = np.int64(1) << (m - low)
    lomask = nlo - 1
    like1 = fbuf[:npool]
    like0 = fbuf[npool : 2 * npool]
    at = 2 * npool
    thi = fbuf[at : at + nhi]
    hisum = fbuf[at + nhi : at + 2 * nhi]
    tlo = fbuf[at + 2 * nhi : at + 2 * nhi + nlo]
    losum = fbuf[at + 2 * nhi + nlo : at + 2 * nhi + 2 * nlo]
    for hi in range(nhi):
        thi[hi] = 1.0
        for k in range(m - low):
            thi[hi] *= prior if (hi >> k) & 1 else 1.0 - prior
    for lo in range(nlo):
        tlo[lo] = 1.0
        for k in range(low):
            tlo[lo] *= prior if (lo >> k) & 1 else 1.0 - prior
    nmixed = 0  # straddling pools, compacted to the front of masks / like1 / like0
    for t in range(npool):
        p = pools[t]
        mask = np.int64(0)
        for j in range(pool_ptr[p], pool_ptr[p + 1]):
            mask |= np.int64(1) << local[pool_members[j]]
        l1, l0 = likelihoods(result[p], se[p], sp[p])
        if mask & lomask and mask >> low:
            masks[nmixed] = mask
            like1[nmixed] = l1
            like0[nmixed] = l0
            nmixed += 1
        elif mask & lomask:
            for lo in range(nlo):
                tlo[lo] *= l1 if lo & mask else l0
        else:
            for hi in range(nhi):
                thi[hi] *= l1 if hi & (mask >> low) else l0
    # per high half: straddling pools it hits contribute like1 whatever the low half;
    # the others a table over the low half (branch-free inner loops, vectorised)
    for t in range(nmixed):
        g = fbuf[at + 2 * nhi + 2 * nlo + (t + 1) * nlo : at + 2 * nhi + 2 * nlo + (t + 2) * nlo]
        for lo in range(nlo):
            g[lo] = like1[t] if lo & masks[t] else like0[t]
    row = fbuf[at + 2 * nhi + 2 * nlo : at + 2 * nhi + 3 * nlo]
    losum[:] = 0.0
    for hi in range(nhi):
        c = thi[hi]
        for t in range(nmixed):
            if (masks[t] >> low) & hi:
                c *= like1[t]
        for lo in range(nlo):
            row[lo] = c * tlo[lo]
        for t in range(nmixed):
            if not (masks[t] >> low) & hi:
                g = fbuf[at + 2 * nhi + 2 * nlo + (t + 1) * nlo : at + 2 * nhi + 2 * nlo + (t + 2) * nlo]
                for lo in range(nlo):
                    row[lo] *= g[lo]
        total = 0.0
        for lo in range(nlo):
            total += row[lo]
            losum[lo] += row[lo]
        hisum[hi] = total
    # a person's marginal sums the patterns with their bit set: over the half it lies in
    norm = 0.0
    for hi in range(nhi):
        norm += hisum[hi]
    for k in range(m):
        marg = 0.0
        if k < low:
            for lo in range(nlo):
                if (lo >> k) & 1:
                    marg += losum[lo]
        else:
            for hi in range(nhi):
                if (hi >> (k - low)) & 1:
                    marg += hisum[hi]
        out[people[k]] = marg / norm


def enumerate_posterior(
    n: int,
    pool_ptr: np.ndarray,
    pool_members: np.ndarray,
    result: np.ndarray,
    se: np.ndarray,
    sp: np.ndarray,
    prior: float,
) -> np.ndarray:
    """Exact posteriors of all ``n`` people (at most ``MAX_EXACT``) together, every
    tested pool included: float64[n] (arguments as ``poolab.kernels.bayes.posterior``)."""
    check_pools(n, pool_ptr, pool_members, result, se, sp, prior)
    if n > MAX_EXACT:
        raise ValueError(f"enumeration takes at most {MAX_EXACT} people (2^{MAX_EXACT} patterns), got {n}")
    pools = tested_pools(pool_ptr, result)
    out = np.empty(n, dtype=np.float64)
    enumerate_component(
        np.arange(n, dtype=np.int64), pools, pool_ptr, pool_members, result, se, sp, float(prior),
        np.empty(n, dtype=np.int64), np.empty(max(pools.shape[0], 1), dtype=np.int64),
        np.empty(scratch_size(n, pools.shape[0])), out,
    )  # fmt: skip
    return out
