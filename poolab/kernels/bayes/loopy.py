"""Belief propagation on one component of the factor graph: exact on a tree, loopy
(APPROXIMATE) on a component with cycles.

Flooding schedule: every message of every pool each pass, until no message moves by 1e-12
(relative) or ``MAX_PASSES`` passes, undamped. Justification for cycles: the graphs are
sparse with long cycles (an array's shortest cycle passes 4 people and 4 pools; two people
of an STD share at most G pools), and at screening prevalences the messages stay near the
prior, the regime where loopy BP is known to be accurate for noisy-OR-type group testing
(Sejdinovic & Johnson 2010, "Note on noisy group testing: asymptotic bounds and belief
propagation reconstruction"). The tests measure its error against enumeration.
"""

from __future__ import annotations

import numpy as np

from poolab.kernels._jit import kernel
from poolab.kernels.bayes.graph import check_pools, likelihoods, tested_pools

MAX_PASSES = 200


@kernel
def bp_component(
    members, m0, m1, cpools, p0, p1, pool_ptr, pool_members, result, se, sp, prior, ratio, q, nq, odds, buf, out
):
    """BP on one component, its people ``members[m0:m1]`` and its tested pools
    ``cpools[p0:p1]`` (ranges, not slices: a slice costs an atomic reference count, and
    threads would contend for it); out[i] = posterior. ``ratio``, ``q``, ``nq`` = 1 - q
    (per edge) and ``odds`` (per person) are shared by all components, which touch
    disjoint entries; ``buf`` is this thread's scratch, (max pool size + 1, 2).

    Messages are likelihood ratios, not their logs, so a pass costs no log or exp: a
    person's odds are the prior odds times its ratios, and what it tells one pool is those
    odds without that pool's ratio. The posterior is summed in logs at the end. Every
    probability that may be close to 1 is carried beside its complement rather than
    subtracted from 1, so near-perfect assays cost no precision."""
    # ratio: factor -> variable, P(y|x=1)/P(y|x=0); q: variable -> factor, P(x=1);
    # odds: the prior odds times every incoming ratio
    prior_odds = prior / (1.0 - prior)
    for t in range(p0, p1):
        p = cpools[t]
        for j in range(pool_ptr[p], pool_ptr[p + 1]):
            ratio[j] = 1.0
            q[j] = prior
            nq[j] = 1.0 - prior
    for _ in range(MAX_PASSES):
        change = 0.0
        for t in range(p0, p1):
            p = cpools[t]
            lo = pool_ptr[p]
            hi = pool_ptr[p + 1]
            a, b = likelihoods(result[p], se[p], sp[p])
            # leave-one-out P(all others negative), P(some other positive) from prefix
            # (buf) and running suffix pairs; the second is built up, never taken as
            # 1 - (the first), which would cancel when a member is almost surely positive
            buf[0, 0] = 1.0
            buf[0, 1] = 0.0
            for j in range(lo, hi):
                buf[j - lo + 1, 0] = buf[j - lo, 0] * nq[j]
                buf[j - lo + 1, 1] = buf[j - lo, 1] + buf[j - lo, 0] * q[j]
            sn = 1.0
            ss = 0.0
            for j in range(hi - 1, lo - 1, -1):
                z = buf[j - lo, 0] * sn
                zs = buf[j - lo, 1] + buf[j - lo, 0] * ss
                r = a / (a * zs + b * z)
                change = max(change, abs(r - ratio[j]) / ratio[j])  # = |change of log r|
                ratio[j] = r
                ss += sn * q[j]
                sn *= nq[j]
        # one pool: its members hear nothing else, so the first pass is the fixed point
        if change < 1e-12 or p1 - p0 == 1:
            break
        for k in range(m0, m1):
            i = members[k]
            odds[i] = prior_odds
        for t in range(p0, p1):
            p = cpools[t]
            for j in range(pool_ptr[p], pool_ptr[p + 1]):
                odds[pool_members[j]] *= ratio[j]
        # q = O/r / (1 + O/r) and 1 - q, each without a subtraction; written so that odds
        # of 0 or inf (a person in very many pools) still give 0 or 1 rather than nan
        for t in range(p0, p1):
            p = cpools[t]
            for j in range(pool_ptr[p], pool_ptr[p + 1]):
                u = ratio[j] / odds[pool_members[j]]
                q[j] = 1.0 / (1.0 + u)
                nq[j] = u * q[j] if u < np.inf else 1.0
    total = odds  # reused: the posterior log-odds, summed in logs so that nothing overflows
    for k in range(m0, m1):
        i = members[k]
        total[i] = np.log(prior) - np.log1p(-prior)
    for t in range(p0, p1):
        p = cpools[t]
        for j in range(pool_ptr[p], pool_ptr[p + 1]):
            total[pool_members[j]] += np.log(ratio[j])
    for k in range(m0, m1):
        i = members[k]
        out[i] = 1.0 / (1.0 + np.exp(-total[i]))


def loopy_posterior(
    n: int,
    pool_ptr: np.ndarray,
    pool_members: np.ndarray,
    result: np.ndarray,
    se: np.ndarray,
    sp: np.ndarray,
    prior: float,
) -> np.ndarray:
    """BP over the whole graph at once (every person, every tested pool): float64[n]
    posteriors (arguments as ``poolab.kernels.bayes.posterior``)."""
    check_pools(n, pool_ptr, pool_members, result, se, sp, prior)
    nnz = pool_members.shape[0]
    sizes = np.diff(pool_ptr)
    pools = tested_pools(pool_ptr, result)
    out = np.empty(n, dtype=np.float64)
    bp_component(
        np.arange(n, dtype=np.int64), 0, n, pools, 0, pools.shape[0], pool_ptr, pool_members, result, se, sp,
        float(prior), np.empty(nnz), np.empty(nnz), np.empty(nnz), np.empty(n),
        np.empty((int(sizes.max(initial=0)) + 1, 2)), out,
    )  # fmt: skip
    return out
