"""Each individual's posterior probability of infection from pool results.

Model: infections independent with prior ``p``; a tested pool is positive with
probability Se when it holds an infected member and 1 - Sp when not (Se, Sp per pool, so
per stage). The factor graph links each person to the tested pools holding them; its
connected components are independent, and each is solved on its own:

* **tree components** (edges = people + pools - 1; every Dorfman and hierarchical
  campaign, and any pool whose people meet no other pool): belief propagation, which is
  exact on a tree;
* **small components with cycles** (at most ``max_exact`` people, e.g. one R×R array
  with R <= 4): exact enumeration of all 2^m infection patterns;
* **larger components with cycles** (big arrays, non-adaptive designs): loopy belief
  propagation (undamped by default). Justification: the graphs are sparse with long cycles (an array's
  shortest cycle passes 4 people and 4 pools; two people of an STD share at most gamma
  pools), and at screening prevalences the messages stay near the prior, the regime
  where loopy BP is known to be accurate for noisy-OR-type group testing (Sejdinovic &
  Johnson 2010, "Note on noisy group testing: asymptotic bounds and belief propagation
  reconstruction"). The tests measure its error against enumeration on small arrays.
  ``Posterior.exact`` says which people got an exact value.

Se and Sp are clipped to [1e-12, 1 - 1e-12] so that results a perfect assay could not
produce (a negative pool holding a confirmed positive) give finite posteriors.
"""

from __future__ import annotations

import attrs
import numpy as np

from poolab.kernels._jit import kernel

CLIP = 1e-12


@kernel
def _find(parent, i):  # type: ignore[no-untyped-def]
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@kernel
def _components(n, pool_ptr, pool_members, tested, label):  # type: ignore[no-untyped-def]
    """label[i] = root of i's component over tested pools (union-find)."""
    parent = np.arange(n)
    for p in range(pool_ptr.shape[0] - 1):
        if not tested[p] or pool_ptr[p + 1] == pool_ptr[p]:
            continue
        a = _find(parent, pool_members[pool_ptr[p]])
        for j in range(pool_ptr[p] + 1, pool_ptr[p + 1]):
            b = _find(parent, pool_members[j])
            if a != b:
                parent[b] = a
    for i in range(n):
        label[i] = _find(parent, i)


@kernel
def _likelihoods(y, se, sp):  # type: ignore[no-untyped-def]
    """(P(y | some infected), P(y | none infected)) with clipped Se, Sp."""
    s = min(max(se, CLIP), 1.0 - CLIP)
    c = min(max(sp, CLIP), 1.0 - CLIP)
    if y == 1:
        return s, 1.0 - c
    return 1.0 - s, c


@kernel
def _bp(n, pool_ptr, pool_members, result, se, sp, prior, iters, damping, out):  # type: ignore[no-untyped-def]  # noqa: E501
    """Belief propagation in log-likelihood-ratio form; out[i] = posterior of i."""
    nnz = pool_ptr[-1]
    llr = np.zeros(nnz)  # factor -> variable: log P(y|x=1)/P(y|x=0)
    q = np.zeros(nnz)  # variable -> factor: P(x=1)
    total = np.zeros(n)
    base = np.log(prior) - np.log1p(-prior)
    buf = np.zeros(nnz + 1)
    for i in range(n):
        total[i] = base
    for j in range(nnz):
        q[j] = prior
    for _ in range(iters):
        change = 0.0
        for p in range(pool_ptr.shape[0] - 1):
            if result[p] < 0:
                continue
            lo = pool_ptr[p]
            hi = pool_ptr[p + 1]
            a, b = _likelihoods(result[p], se[p], sp[p])
            # leave-one-out products of (1 - q) via prefix (buf) and a running suffix
            buf[lo] = 1.0
            for j in range(lo, hi):
                buf[j + 1] = buf[j] * (1.0 - q[j])
            suffix = 1.0
            for j in range(hi - 1, lo - 1, -1):
                z = buf[j] * suffix  # all other members negative
                new = np.log(a) - np.log(a * (1.0 - z) + b * z)
                new = damping * llr[j] + (1.0 - damping) * new
                change = max(change, abs(new - llr[j]))
                llr[j] = new
                suffix *= 1.0 - q[j]
        for i in range(n):
            total[i] = base
        for j in range(nnz):
            total[pool_members[j]] += llr[j]
        for j in range(nnz):
            q[j] = 1.0 / (1.0 + np.exp(-(total[pool_members[j]] - llr[j])))
        if change < 1e-12:
            break
    for i in range(n):
        out[i] = 1.0 / (1.0 + np.exp(-total[i]))


@kernel
def _enumerate(
    comps, comp_ptr, comp_members, cpool_ptr, cpools, pool_ptr, pool_members, result, se, sp, prior, local, out
):  # type: ignore[no-untyped-def]  # noqa: E501
    """Exact posteriors of the listed components by summing over all 2^m patterns."""
    for c in comps:
        lo = comp_ptr[c]
        m = comp_ptr[c + 1] - lo
        for k in range(m):
            local[comp_members[lo + k]] = k
        npool = cpool_ptr[c + 1] - cpool_ptr[c]
        masks = np.zeros(npool, dtype=np.int64)
        like1 = np.zeros(npool)
        like0 = np.zeros(npool)
        for t in range(npool):
            p = cpools[cpool_ptr[c] + t]
            for j in range(pool_ptr[p], pool_ptr[p + 1]):
                masks[t] |= np.int64(1) << local[pool_members[j]]
            like1[t], like0[t] = _likelihoods(result[p], se[p], sp[p])
        marg = np.zeros(m)
        norm = 0.0
        for x in range(np.int64(1) << m):
            w = 1.0
            for k in range(m):
                w *= prior if (x >> k) & 1 else 1.0 - prior
            for t in range(npool):
                w *= like1[t] if x & masks[t] else like0[t]
            norm += w
            for k in range(m):
                if (x >> k) & 1:
                    marg[k] += w
        for k in range(m):
            out[comp_members[lo + k]] = marg[k] / norm


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
    tested = result >= 0
    label = np.empty(n, dtype=np.int64)
    _components(n, pool_ptr, pool_members, tested, label)
    prob = np.empty(n, dtype=np.float64)
    _bp(n, pool_ptr, pool_members, result, se, sp, prior, iters, damping, prob)
    # component sizes: people, tested pools, edges
    _, comp_of, people = np.unique(label, return_inverse=True, return_counts=True)
    sizes = np.diff(pool_ptr)
    tested_ids = np.flatnonzero(tested & (sizes > 0))
    pool_comp = comp_of[pool_members[pool_ptr[tested_ids]]]
    ncomp = people.shape[0]
    pools = np.bincount(pool_comp, minlength=ncomp)
    edges = np.bincount(pool_comp, weights=sizes[tested_ids], minlength=ncomp).astype(np.int64)
    tree = edges == people + pools - 1
    tree |= pools == 0
    small = ~tree & (people <= max_exact)
    if small.any():
        order = np.argsort(comp_of, kind="stable")
        comp_ptr = np.zeros(ncomp + 1, dtype=np.int64)
        np.cumsum(people, out=comp_ptr[1:])
        porder = np.argsort(pool_comp, kind="stable")
        cpool_ptr = np.zeros(ncomp + 1, dtype=np.int64)
        np.cumsum(pools, out=cpool_ptr[1:])
        _enumerate(
            np.flatnonzero(small), comp_ptr, order.astype(np.int64), cpool_ptr,
            tested_ids[porder], pool_ptr, pool_members, result, se, sp, prior,
            np.zeros(n, dtype=np.int64), prob,
        )  # fmt: skip
    return Posterior(prob, (tree | small)[comp_of])


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
