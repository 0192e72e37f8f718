"""Each individual's posterior probability of infection from pool results.

Model: infections independent with prior ``p``; a tested pool is positive with
probability Se when it holds an infected member and 1 - Sp when not (Se, Sp per pool, so
per stage). The factor graph links each person to the tested pools holding them; its
connected components are independent (a district is thousands of them: a Dorfman pool
with its retests, a hierarchical block, one R×R array), so they are labelled once
(union-find over the tested pools, ``_layout``) and each is solved on its own, dealt out
to both cores (``_solve``); no component waits on another's convergence:

* **tree components** (edges = people + pools - 1: a Dorfman pool with its individual
  retests, a negative pool of any design, an untested person): belief propagation, which
  is exact on a tree. EXACT.
* **nested components with cycles** (every two pools nested or disjoint: a positive
  ``hier:K1-K2`` block, whose pool and subpools share members, with its individual
  tests): one sweep up and one down the tree of pools by containment
  (``_nested_component``). EXACT. (Before, blocks of more than ``max_exact`` people got
  loopy BP, off by up to 0.08 on a district under ``hier:20-5``.)
* **other small components with cycles** (at most ``max_exact`` people, e.g. one R×R
  array with R <= 4): exact enumeration of all 2^m infection patterns. EXACT.
* **larger components with crossing pools** (arrays with R >= 5, with or without a master
  pool; non-adaptive designs): loopy belief propagation (undamped by default), iterated
  on that component until no message moves by 1e-12 (or ``iters``
  passes). APPROXIMATE. Justification: the graphs are sparse with long cycles (an array's
  shortest cycle passes 4 people and 4 pools; two people of an STD share at most gamma
  pools), and at screening prevalences the messages stay near the prior, the regime
  where loopy BP is known to be accurate for noisy-OR-type group testing (Sejdinovic &
  Johnson 2010, "Note on noisy group testing: asymptotic bounds and belief propagation
  reconstruction"). The tests measure its error against enumeration on small arrays.

``Posterior.exact`` says which people got an exact value. BP on one component at a time
runs the same message updates as BP on the whole graph at once (components share no
message), so it reaches the same fixed point; only the stopping pass differs, by less
than the 1e-12 tolerance (the tests compare it with the global schedule, ``loopy_bp_naive``).
Every probability that may be close to 1 is carried beside its complement rather than
subtracted from 1, so near-perfect assays cost no precision.

Se and Sp are clipped to [1e-12, 1 - 1e-12] so that results a perfect assay could not
produce (a negative pool holding a confirmed positive) give finite posteriors.
"""

from __future__ import annotations

import attrs
import numpy as np

from poolab.kernels._jit import kernel, parallel_kernel, prange

CLIP = 1e-12
CHUNKS = 64  # components dealt round-robin to this many chunks, so both cores stay busy


TREE, SMALL, LOOPY, NESTED = 0, 1, 2, 3  # how a component is solved


@kernel
def _find(parent, i):  # type: ignore[no-untyped-def]
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@kernel
def _layout(n, pool_ptr, pool_members, result, max_exact):  # type: ignore[no-untyped-def]
    """Components over tested, non-empty pools: (comp_ptr, comp_members, cpool_ptr, cpools,
    kind), people and pools of component c at comp_ptr[c]:comp_ptr[c+1] and likewise."""
    npools = pool_ptr.shape[0] - 1
    parent = np.arange(n)
    for p in range(npools):
        if result[p] < 0 or pool_ptr[p + 1] == pool_ptr[p]:
            continue
        a = _find(parent, pool_members[pool_ptr[p]])
        for j in range(pool_ptr[p] + 1, pool_ptr[p + 1]):
            b = _find(parent, pool_members[j])
            if a != b:
                parent[b] = a
    # number components by first member, then counting-sort people and pools into them
    cid = np.full(n, -1, dtype=np.int64)
    comp_of = np.empty(n, dtype=np.int64)
    ncomp = 0
    for i in range(n):
        r = _find(parent, i)
        if cid[r] < 0:
            cid[r] = ncomp
            ncomp += 1
        comp_of[i] = cid[r]
    comp_ptr = np.zeros(ncomp + 1, dtype=np.int64)
    for i in range(n):
        comp_ptr[comp_of[i] + 1] += 1
    for c in range(ncomp):
        comp_ptr[c + 1] += comp_ptr[c]
    fill = comp_ptr[:-1].copy()
    comp_members = np.empty(n, dtype=np.int64)
    for i in range(n):
        comp_members[fill[comp_of[i]]] = i
        fill[comp_of[i]] += 1
    cpool_ptr = np.zeros(ncomp + 1, dtype=np.int64)
    edges = np.zeros(ncomp, dtype=np.int64)
    for p in range(npools):
        if result[p] < 0 or pool_ptr[p + 1] == pool_ptr[p]:
            continue
        c = comp_of[pool_members[pool_ptr[p]]]
        cpool_ptr[c + 1] += 1
        edges[c] += pool_ptr[p + 1] - pool_ptr[p]
    for c in range(ncomp):
        cpool_ptr[c + 1] += cpool_ptr[c]
    fill = cpool_ptr[:-1].copy()
    cpools = np.empty(cpool_ptr[ncomp], dtype=np.int64)
    for p in range(npools):
        if result[p] < 0 or pool_ptr[p + 1] == pool_ptr[p]:
            continue
        c = comp_of[pool_members[pool_ptr[p]]]
        cpools[fill[c]] = p
        fill[c] += 1
    kind = np.empty(ncomp, dtype=np.int8)
    for c in range(ncomp):
        people = comp_ptr[c + 1] - comp_ptr[c]
        pools = cpool_ptr[c + 1] - cpool_ptr[c]
        if pools == 0 or edges[c] == people + pools - 1:
            kind[c] = TREE
        elif people <= max_exact:
            kind[c] = SMALL
        else:
            kind[c] = LOOPY
    return comp_ptr, comp_members, cpool_ptr, cpools, kind


@kernel
def _likelihoods(y, se, sp):  # type: ignore[no-untyped-def]
    """(P(y | some infected), P(y | none infected)) with clipped Se, Sp."""
    s = min(max(se, CLIP), 1.0 - CLIP)
    c = min(max(sp, CLIP), 1.0 - CLIP)
    if y == 1:
        return s, 1.0 - c
    return 1.0 - s, c


@kernel
def _bp_component(
    members,
    m0,
    m1,
    cpools,
    p0,
    p1,
    pool_ptr,
    pool_members,
    result,
    se,
    sp,
    prior,
    iters,
    damping,
    ratio,
    q,
    nq,
    odds,
    buf,
    out,
):  # type: ignore[no-untyped-def]  # noqa: E501
    """Belief propagation (flooding) on one component, its people ``members[m0:m1]`` and
    its tested pools ``cpools[p0:p1]`` (ranges, not slices: a slice costs an atomic
    reference count, and both threads would contend for it), until no message moves by
    1e-12 (relative); out[i] = posterior. ``ratio``, ``q``, ``nq`` = 1 - q (per edge) and
    ``odds`` (per person) are shared by all components, which touch disjoint entries;
    ``buf`` is this thread's scratch, (max pool size + 1, 2).

    Messages are likelihood ratios, not their logs, so a pass costs no log or exp: a
    person's odds are the prior odds times its ratios, and what it tells one pool is those
    odds without that pool's ratio. The posterior is summed in logs at the end."""
    # ratio: factor -> variable, P(y|x=1)/P(y|x=0); q: variable -> factor, P(x=1);
    # odds: the prior odds times every incoming ratio
    prior_odds = prior / (1.0 - prior)
    for t in range(p0, p1):
        p = cpools[t]
        for j in range(pool_ptr[p], pool_ptr[p + 1]):
            ratio[j] = 1.0
            q[j] = prior
            nq[j] = 1.0 - prior
    for _ in range(iters):
        change = 0.0
        for t in range(p0, p1):
            p = cpools[t]
            lo = pool_ptr[p]
            hi = pool_ptr[p + 1]
            a, b = _likelihoods(result[p], se[p], sp[p])
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
                if damping != 0.0:
                    r = np.exp(damping * np.log(ratio[j]) + (1.0 - damping) * np.log(r))
                change = max(change, abs(r - ratio[j]) / ratio[j])  # = |change of log r|
                ratio[j] = r
                ss += sn * q[j]
                sn *= nq[j]
        # one pool: its members hear nothing else, so the first pass is the fixed point
        if change < 1e-12 or (p1 - p0 == 1 and damping == 0.0):
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


@kernel
def _enumerate_component(people, pools, pool_ptr, pool_members, result, se, sp, prior, local, masks, fbuf, out):  # type: ignore[no-untyped-def]  # noqa: E501
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
        l1, l0 = _likelihoods(result[p], se[p], sp[p])
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


@kernel
def _nested_component(people, pools, pool_ptr, pool_members, result, se, sp, prior, local, out):  # type: ignore[no-untyped-def]  # noqa: E501
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
        like1[r], like0[r] = _likelihoods(result[p], se[p], sp[p])
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


@parallel_kernel
def _solve(  # type: ignore[no-untyped-def]
    comp_ptr, comp_members, cpool_ptr, cpools, kind, pool_ptr, pool_members, result, se, sp, prior, iters, damping, out
):
    """Every component on its own (they share no person and no pool, so no writes
    collide), components dealt round-robin to a few chunks per thread for balance."""
    n = out.shape[0]
    nnz = pool_ptr[-1]
    maxpool = 0
    for p in range(pool_ptr.shape[0] - 1):
        maxpool = max(maxpool, pool_ptr[p + 1] - pool_ptr[p])
    ratio = np.empty(nnz)
    q = np.empty(nnz)
    nq = np.empty(nnz)
    odds = np.empty(n)
    prior_odds = prior / (1.0 - prior)
    local = np.empty(n, dtype=np.int64)
    ncomp = kind.shape[0]
    # enumeration scratch, sized for the largest small component
    maxm = 0
    maxp = 0
    for c in range(ncomp):
        if kind[c] == SMALL:
            maxm = max(maxm, comp_ptr[c + 1] - comp_ptr[c])
            maxp = max(maxp, cpool_ptr[c + 1] - cpool_ptr[c])
    fsize = 2 * maxp + (maxp + 5) * (np.int64(1) << ((maxm + 1) // 2))
    nchunks = min(ncomp, CHUNKS)
    for t in prange(nchunks):
        buf = np.empty((maxpool + 1, 2))
        masks = np.empty(maxp, dtype=np.int64)
        fbuf = np.empty(fsize)
        for c in range(t, ncomp, nchunks):
            m0, m1, p0, p1 = comp_ptr[c], comp_ptr[c + 1], cpool_ptr[c], cpool_ptr[c + 1]
            if kind[c] == TREE and p1 - p0 <= 1 and damping == 0.0:
                # the most common components, an untested person or one pool (a negative
                # pool, an individual test), in closed form: BP's single pass
                r = 1.0
                if p1 > p0:
                    p = cpools[p0]
                    a, b = _likelihoods(result[p], se[p], sp[p])
                    # all other members negative, or not (without cancellation)
                    z = np.exp((m1 - m0 - 1) * np.log1p(-prior))
                    zs = -np.expm1((m1 - m0 - 1) * np.log1p(-prior))
                    r = a / (a * zs + b * z)
                for k in range(m0, m1):
                    out[comp_members[k]] = prior_odds * r / (1.0 + prior_odds * r)
                continue
            people = comp_members[m0:m1]
            pools = cpools[p0:p1]
            if kind[c] != TREE and _nested_component(
                people, pools, pool_ptr, pool_members, result, se, sp, prior, local, out
            ):
                kind[c] = NESTED
            elif kind[c] == SMALL:
                _enumerate_component(
                    people, pools, pool_ptr, pool_members, result, se, sp, prior, local, masks, fbuf, out
                )
            else:
                _bp_component(
                    comp_members, m0, m1, cpools, p0, p1, pool_ptr, pool_members, result, se, sp, prior, iters,
                    damping, ratio, q, nq, odds, buf, out,
                )  # fmt: skip


@attrs.frozen(slots=True, eq=False)
class Posterior:
    """Posterior probability of infection per person, and whether it is exact."""

    prob: np.ndarray  # float64[n]
    exact: np.ndarray  # bool[n]


def posterior(
    n: int,
    pool_ptr: np.ndarray,
    pool_members: np.ndarray,
    result: np.ndarray,
    se: np.ndarray,
    sp: np.ndarray,
    prior: float,
    max_exact: int = 16,
    iters: int = 200,
    damping: float = 0.0,
) -> Posterior:
    """Posteriors of ``n`` people from pool results.

    ``pool_ptr``/``pool_members``: CSR pools (int64); ``result``: int8 per pool (-1
    untested, 0 negative, 1 positive); ``se``/``sp``: float64 per pool; ``prior``: the
    prevalence, strictly between 0 and 1.
    """
    for name, a, dt in (
        ("pool_ptr", pool_ptr, np.int64), ("pool_members", pool_members, np.int64),
        ("result", result, np.int8), ("se", se, np.float64), ("sp", sp, np.float64),
    ):  # fmt: skip
        if not isinstance(a, np.ndarray) or a.dtype != dt or a.ndim != 1:
            raise TypeError(f"{name} must be a 1-D numpy array of {np.dtype(dt)}")
    npools = pool_ptr.shape[0] - 1
    if not (result.shape[0] == se.shape[0] == sp.shape[0] == npools):
        raise ValueError("result, se and sp need one entry per pool")
    if pool_members.size and (pool_members.min() < 0 or pool_members.max() >= n):
        raise ValueError(f"pool_members must lie in [0, {n - 1}]")
    if not 0.0 < prior < 1.0:
        raise ValueError(f"prior must lie strictly between 0 and 1, got {prior}")
    if max_exact > 25:
        raise ValueError("max_exact above 25 would enumerate more than 2^25 patterns")
    comp_ptr, comp_members, cpool_ptr, cpools, kind = _layout(n, pool_ptr, pool_members, result, max_exact)
    prob = np.empty(n, dtype=np.float64)
    _solve(
        comp_ptr, comp_members, cpool_ptr, cpools, kind, pool_ptr, pool_members, result, se, sp, prior, iters,
        damping, prob,
    )  # fmt: skip
    # A certain person's normalised posterior can round to a hair outside [0, 1] (1 + 4e-16).
    np.clip(prob, 0.0, 1.0, out=prob)
    exact = np.repeat(kind != LOOPY, np.diff(comp_ptr))
    exact_of = np.empty(n, dtype=np.bool_)
    exact_of[comp_members] = exact
    return Posterior(prob, exact_of)


def posterior_design(
    design, result: np.ndarray, se: float | np.ndarray, sp: float | np.ndarray, prior: float, max_exact: int = 16
) -> Posterior:  # type: ignore[no-untyped-def]  # noqa: E501
    """``posterior`` on a ``Design``'s pools; ``se``/``sp`` one value or one per stage."""
    se_stage = np.broadcast_to(np.asarray(se, dtype=np.float64), (design.nstages,))
    sp_stage = np.broadcast_to(np.asarray(sp, dtype=np.float64), (design.nstages,))
    return posterior(
        design.n, design.pool_ptr, design.pool_members, result,
        se_stage[design.pool_stage].copy(), sp_stage[design.pool_stage].copy(), prior, max_exact,
    )  # fmt: skip
