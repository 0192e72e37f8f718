"""Exact posteriors of a component whose pools are pairwise nested or disjoint (a
positive hierarchical block: its pool, subpools and individual tests, which has cycles),
by one sweep up and one down the tree of pools by containment. EXACT."""

from __future__ import annotations

import numpy as np

from poolab.kernels._jit import kernel
from poolab.kernels.bayes.graph import check_pools, likelihoods, tested_pools


@kernel
def nested_component(people, pools, pool_ptr, pool_members, result, se, sp, prior, local, out):
    """Exact posteriors of a component whose pools are pairwise nested or disjoint (a
    positive hierarchical block: its pool, subpools and individual tests), by one sweep up
    and one down the tree of pools by containment; returns False, writing nothing, if the
    pools are not so.

    A node (pool or person) carries (none, some): the weight of its people's patterns
    with nobody, or somebody, infected, including the likelihoods of the pools inside it.
    Two disjoint parts combine as (a a', s (a' + s') + a s'): no subtraction, so nothing
    cancels even with clipped, near-perfect assays. Pairs are rescaled freely: only
    ratios matter."""
    m = people.shape[0]
    npool = pools.shape[0]
    sizes = np.empty(npool, dtype=np.int64)
    for t in range(npool):
        sizes[t] = pool_ptr[pools[t] + 1] - pool_ptr[pools[t]]
    if sizes.max() != m:  # a connected nested family has a pool holding everyone
        return False
    order = np.argsort(-sizes, kind="mergesort")  # node r (0..npool-1): the r-th largest pool
    for k in range(m):
        local[people[k]] = k
    cur = np.full(m, -1, dtype=np.int64)  # each person's smallest pool so far
    parent = np.empty(npool + m, dtype=np.int64)  # nodes npool + k: the people
    for r in range(npool):
        p = pools[order[r]]
        u = cur[local[pool_members[pool_ptr[p]]]]
        for j in range(pool_ptr[p] + 1, pool_ptr[p + 1]):
            if cur[local[pool_members[j]]] != u:  # a larger pool holds only some of p
                return False
        parent[r] = u
        for j in range(pool_ptr[p], pool_ptr[p + 1]):
            cur[local[pool_members[j]]] = r
    for k in range(m):
        if cur[k] < 0:  # only with a person listed twice in one pool
            return False
        parent[npool + k] = cur[k]
    # children of each pool node, as CSR
    kptr = np.zeros(npool + 1, dtype=np.int64)
    for v in range(1, npool + m):
        kptr[parent[v] + 1] += 1
    for r in range(npool):
        kptr[r + 1] += kptr[r]
    fill = kptr[:-1].copy()
    kids = np.empty(npool + m - 1, dtype=np.int64)
    for v in range(1, npool + m):
        kids[fill[parent[v]]] = v
        fill[parent[v]] += 1
    like1 = np.empty(npool)
    like0 = np.empty(npool)
    for r in range(npool):
        p = pools[order[r]]
        like1[r], like0[r] = likelihoods(result[p], se[p], sp[p])
    none = np.empty(npool + m)
    some = np.empty(npool + m)
    for k in range(m):
        none[npool + k] = 1.0 - prior
        some[npool + k] = prior
    for r in range(npool - 1, -1, -1):  # children before parents
        a = 1.0
        s = 0.0
        for v in kids[kptr[r] : kptr[r + 1]]:
            a, s = a * none[v], s * (none[v] + some[v]) + a * some[v]
        a *= like0[r]
        s *= like1[r]
        none[r] = a / (a + s)
        some[r] = s / (a + s)
    # down: (onone, osome) = weight of everything outside a node given its state
    onone = np.empty(npool + m)
    osome = np.empty(npool + m)
    onone[0] = 1.0
    osome[0] = 1.0
    wide = 0
    for r in range(npool):
        wide = max(wide, kptr[r + 1] - kptr[r])
    pre = np.empty((wide + 1, 2))
    suf = np.empty((wide + 1, 2))
    for r in range(npool):
        g0 = like0[r] * onone[r]
        g1 = like1[r] * osome[r]
        lo = kptr[r]
        d = kptr[r + 1] - lo
        pre[0, 0], pre[0, 1] = 1.0, 0.0
        for j in range(d):
            v = kids[lo + j]
            a, s = pre[j, 0] * none[v], pre[j, 1] * (none[v] + some[v]) + pre[j, 0] * some[v]
            pre[j + 1, 0], pre[j + 1, 1] = a / (a + s), s / (a + s)
        suf[d, 0], suf[d, 1] = 1.0, 0.0
        for j in range(d - 1, -1, -1):
            v = kids[lo + j]
            a, s = suf[j + 1, 0] * none[v], suf[j + 1, 1] * (none[v] + some[v]) + suf[j + 1, 0] * some[v]
            suf[j, 0], suf[j, 1] = a / (a + s), s / (a + s)
        for j in range(d):
            v = kids[lo + j]
            # the rest of pool r: its other children combined
            a = pre[j, 0] * suf[j + 1, 0]
            s = pre[j, 1] * (suf[j + 1, 0] + suf[j + 1, 1]) + pre[j, 0] * suf[j + 1, 1]
            n0 = a * g0 + s * g1  # v clear: r is positive only if the rest is
            n1 = (a + s) * g1  # v infected: r holds an infected member
            onone[v] = n0 / (n0 + n1)
            osome[v] = n1 / (n0 + n1)
    for k in range(m):
        w1 = prior * osome[npool + k]
        out[people[k]] = w1 / (w1 + (1.0 - prior) * onone[npool + k])
    return True


def nested_posterior(
    n: int,
    pool_ptr: np.ndarray,
    pool_members: np.ndarray,
    result: np.ndarray,
    se: np.ndarray,
    sp: np.ndarray,
    prior: float,
) -> np.ndarray:
    """Exact posteriors of ``n`` people whose tested pools are pairwise nested or
    disjoint and include one pool holding everyone: float64[n] (arguments as
    ``poolab.kernels.bayes.posterior``); ValueError when the pools are not so."""
    check_pools(n, pool_ptr, pool_members, result, se, sp, prior)
    out = np.empty(n, dtype=np.float64)
    pools = tested_pools(pool_ptr, result)
    if pools.shape[0] == 0 or not nested_component(
        np.arange(n, dtype=np.int64), pools, pool_ptr, pool_members, result, se, sp, float(prior),
        np.empty(n, dtype=np.int64), out,
    ):  # fmt: skip
        raise ValueError("the tested pools are not nested (or none holds everyone)")
    return out
