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
    cleared, pool_ptr, pool_members, result = clear_by_perfect_negatives(n, pool_ptr, pool_members, result, se, sp)
    comp_ptr, comp_members, cpool_ptr, cpools, kind = components(n, pool_ptr, pool_members, result, max_exact)
    prob = np.empty(n, dtype=np.float64)
    _solve(comp_ptr, comp_members, cpool_ptr, cpools, kind, pool_ptr, pool_members, result, se, sp, float(prior), prob)
    # A certain person's normalised posterior can round to a hair outside [0, 1] (1 + 4e-16).
    np.clip(prob, 0.0, 1.0, out=prob)
    exact = np.repeat(kind != LOOPY, np.diff(comp_ptr))
    exact_of = np.empty(n, dtype=np.bool_)
    exact_of[comp_members] = exact
    prob[cleared] = 0.0
    exact_of[cleared] = True
    return Posterior(prob, exact_of)


def clear_by_perfect_negatives(
    n: int, pool_ptr: np.ndarray, pool_members: np.ndarray, result: np.ndarray, se: np.ndarray, sp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(cleared, pool_ptr, pool_members, result) with every member of a negative pool of a
    perfect assay (Se = 1 exactly) taken out: such a person is clear for certain.

    The reduction is exact: a cleared person is not infected in any pattern the data
    allow, so they change no other pool's likelihood; a negative pool of cleared people
    and a positive pool left empty have the same likelihood in every remaining pattern and
    are left untested. Why it is done here and not left to the solvers: Se is clipped to
    1 - 1e-12 inside them, and loopy BP on a large crossing design (std:5-5 with 6 of 25
    infected) then settles on a fixed point where a negative pool is "explained" by a
    member it wrongly believes infected and a missed detection, leaving its other members
    near the prior instead of at 0.

    Results a perfect assay cannot give (a positive pool with Sp = 1 whose members were all
    cleared) are left to the solvers' clipped Se and Sp, as before: that pool's component
    is not reduced."""
    perfect_negative = (result == 0) & (se >= 1.0)
    cleared = np.zeros(n, dtype=np.bool_)
    if not perfect_negative.any():
        return cleared, pool_ptr, pool_members, result
    sizes = np.diff(pool_ptr)
    owner = np.repeat(np.arange(sizes.shape[0], dtype=np.int64), sizes)
    cleared[pool_members[perfect_negative[owner]]] = True
    keep = ~cleared[pool_members]
    kept_sizes = np.bincount(owner[keep], minlength=sizes.shape[0])
    contradicted = (result == 1) & (sp >= 1.0) & (kept_sizes == 0) & (sizes > 0)
    if contradicted.any():
        # the whole component of such a pool stays as it was: under the clipped model its
        # every pattern costs one "impossible" result, so no member is negligible
        comp_ptr, comp_members, _cpool_ptr, _cpools, _kind = components(n, pool_ptr, pool_members, result, 0)
        comp_of = np.empty(n, dtype=np.int64)
        comp_of[comp_members] = np.repeat(np.arange(comp_ptr.shape[0] - 1), np.diff(comp_ptr))
        hit = np.zeros(comp_ptr.shape[0] - 1, dtype=np.bool_)
        hit[comp_of[pool_members[contradicted[owner]]]] = True
        cleared &= ~hit[comp_of]
        keep = ~cleared[pool_members]
        kept_sizes = np.bincount(owner[keep], minlength=sizes.shape[0])
    kept_ptr = np.zeros(sizes.shape[0] + 1, dtype=np.int64)
    np.cumsum(kept_sizes, out=kept_ptr[1:])
    kept_result = result.copy()
    kept_result[kept_sizes == 0] = -1
    return cleared, kept_ptr, np.ascontiguousarray(pool_members[keep]), kept_result
