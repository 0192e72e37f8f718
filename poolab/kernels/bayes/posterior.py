"""Each person's posterior probability of infection: every component of the factor graph
on its own, dealt out to every core, each by its solver (see the package docstring)."""

from __future__ import annotations

import attrs
import numpy as np

from poolab.kernels._jit import parallel_kernel, prange
from poolab.kernels.bayes.exact import enumerate_component
from poolab.kernels.bayes.graph import LOOPY, MAX_EXACT, NESTED, SMALL, TREE, check_pools, components, likelihoods
from poolab.kernels.bayes.loopy import bp_component
from poolab.kernels.bayes.nested import nested_component

CHUNKS = 64  # components dealt round-robin to this many chunks, so both cores stay busy


@parallel_kernel
def _solve(comp_ptr, comp_members, cpool_ptr, cpools, kind, pool_ptr, pool_members, result, se, sp, prior, out):
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
    # enumeration scratch, sized for the largest small component (exact.scratch_size)
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
            if kind[c] == TREE and p1 - p0 <= 1:
                # the most common components, an untested person or one pool (a negative
                # pool, an individual test), in closed form: BP's single pass
                r = 1.0
                if p1 > p0:
                    p = cpools[p0]
                    a, b = likelihoods(result[p], se[p], sp[p])
                    # all other members negative, or not (without cancellation)
                    z = np.exp((m1 - m0 - 1) * np.log1p(-prior))
                    zs = -np.expm1((m1 - m0 - 1) * np.log1p(-prior))
                    r = a / (a * zs + b * z)
                for k in range(m0, m1):
                    out[comp_members[k]] = prior_odds * r / (1.0 + prior_odds * r)
                continue
            people = comp_members[m0:m1]
            pools = cpools[p0:p1]
            if kind[c] != TREE and nested_component(
                people, pools, pool_ptr, pool_members, result, se, sp, prior, local, out
            ):
                kind[c] = NESTED
            elif kind[c] == SMALL:
                enumerate_component(
                    people, pools, pool_ptr, pool_members, result, se, sp, prior, local, masks, fbuf, out
                )
            else:
                bp_component(
                    comp_members, m0, m1, cpools, p0, p1, pool_ptr, pool_members, result, se, sp, prior,
                    ratio, q, nq, odds, buf, out,
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
) -> Posterior:
    """Posteriors of ``n`` people from pool results.

    ``pool_ptr``/``pool_members``: CSR pools (int64); ``result``: int8 per pool (-1
    untested, 0 negative, 1 positive); ``se``/``sp``: float64 per pool; ``prior``: the
    prevalence, strictly between 0 and 1; ``max_exact``: the largest component with
    crossing pools solved by enumeration (at most ``MAX_EXACT``), larger ones get loopy BP.
    """
    check_pools(n, pool_ptr, pool_members, result, se, sp, prior)
    if not 0 <= max_exact <= MAX_EXACT:
        raise ValueError(f"max_exact must lie in [0, {MAX_EXACT}] (2^{MAX_EXACT} patterns), got {max_exact}")
    comp_ptr, comp_members, cpool_ptr, cpools, kind = components(n, pool_ptr, pool_members, result, max_exact)
    prob = np.empty(n, dtype=np.float64)
    _solve(comp_ptr, comp_members, cpool_ptr, cpools, kind, pool_ptr, pool_members, result, se, sp, float(prior), prob)
    # A certain person's normalised posterior can round to a hair outside [0, 1] (1 + 4e-16).
    np.clip(prob, 0.0, 1.0, out=prob)
    exact = np.repeat(kind != LOOPY, np.diff(comp_ptr))
    exact_of = np.empty(n, dtype=np.bool_)
    exact_of[comp_members] = exact
    return Posterior(prob, exact_of)
