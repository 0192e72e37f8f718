"""The factor graph of pool results: likelihoods, input checks, and its connected
components (union-find over the tested pools), each labelled with the solver it gets."""

from __future__ import annotations

import attrs
import numpy as np

from poolab.kernels._jit import kernel

CLIP = 1e-12
"""Se and Sp are clipped to [CLIP, 1 - CLIP], so that results a perfect assay could not
produce (a negative pool holding a confirmed positive) give finite posteriors."""

TREE, SMALL, LOOPY, NESTED = 0, 1, 2, 3  # how a component is solved
MAX_EXACT = 25
"""Most people one component may have for enumeration (2^25 patterns)."""


@kernel
def likelihoods(y, se, sp):
    """(P(y | some infected), P(y | none infected)) of a pool result y, clipped Se, Sp."""
    s = min(max(se, CLIP), 1.0 - CLIP)
    c = min(max(sp, CLIP), 1.0 - CLIP)
    if y == 1:
        return s, 1.0 - c
    return 1.0 - s, c


def check_pools(
    n: int,
    pool_ptr: np.ndarray,
    pool_members: np.ndarray,
    result: np.ndarray,
    se: np.ndarray,
    sp: np.ndarray,
    prior: float,
) -> None:
    """Raise TypeError/ValueError unless the arrays are a posterior's inputs (see ``posterior``)."""
    for name, a, dt in (
        ("pool_ptr", pool_ptr, np.int64), ("pool_members", pool_members, np.int64),
        ("result", result, np.int8), ("se", se, np.float64), ("sp", sp, np.float64),
    ):  # fmt: skip
        if not isinstance(a, np.ndarray) or a.dtype != dt or a.ndim != 1:
            raise TypeError(f"{name} must be a 1-D numpy array of {np.dtype(dt)}")
    npools = pool_ptr.shape[0] - 1
    if npools < 0 or pool_ptr[0] != 0 or pool_ptr[-1] != pool_members.shape[0] or np.any(np.diff(pool_ptr) < 0):
        raise ValueError("pool_ptr must rise from 0 to len(pool_members)")
    if not (result.shape[0] == se.shape[0] == sp.shape[0] == npools):
        raise ValueError("result, se and sp need one entry per pool")
    if pool_members.size and (pool_members.min() < 0 or pool_members.max() >= n):
        raise ValueError(f"pool_members must lie in [0, {n - 1}]")
    if not 0.0 < prior < 1.0:
        raise ValueError(f"prior must lie strictly between 0 and 1, got {prior}")


@kernel
def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@kernel
def components(n, pool_ptr, pool_members, result, max_exact):
    """Components over tested, non-empty pools: (comp_ptr, comp_members, cpool_ptr, cpools,
    kind), people and pools of component c at comp_ptr[c]:comp_ptr[c+1] and likewise;
    kind TREE (edges = people + pools - 1), SMALL (at most ``max_exact`` people) or LOOPY."""
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


def tested_pools(pool_ptr: np.ndarray, result: np.ndarray) -> np.ndarray:
    """The tested, non-empty pools (int64 ids, ascending): the factor graph's factors."""
    return np.flatnonzero((result >= 0) & (np.diff(pool_ptr) > 0)).astype(np.int64)


@attrs.frozen(slots=True, eq=False)
class Components:
    """The factor graph's connected components: people and tested pools of component c at
    ``person_ptr[c]:person_ptr[c+1]`` (of ``people``) and ``pool_ptr[c]:pool_ptr[c+1]``
    (of ``pools``), and the solver each gets (TREE, SMALL or LOOPY)."""

    person_ptr: np.ndarray
    people: np.ndarray
    pool_ptr: np.ndarray
    pools: np.ndarray
    kind: np.ndarray


def connected_components(
    n: int, pool_ptr: np.ndarray, pool_members: np.ndarray, result: np.ndarray, max_exact: int = 16
) -> Components:
    """The components of ``n`` people linked by the tested pools (``result`` >= 0), checked
    as ``posterior``'s inputs are."""
    ones = np.ones(max(pool_ptr.shape[0] - 1, 0))
    check_pools(n, pool_ptr, pool_members, result, ones, ones, 0.5)
    return Components(*components(n, pool_ptr, pool_members, result, max_exact))
