"""Non-adaptive decoders over a pools -> members incidence (CSR) and the pools' results.

With ``d`` pools per person and at most ``t`` positives where the design is t-disjunct,
all three recover the truth under a perfect assay. In general (perfect assay):

* COMP: positive unless in some negative pool; never misses a positive.
* DD: positive only if it is the sole possible positive (not cleared by a negative pool)
  of some positive pool; never calls a negative positive.
* SCOMP: DD's calls, then greedily adds the candidate explaining the most still
  unexplained positive pools (ties to the lowest index) until every positive pool holds a
  called positive; DD <= SCOMP <= COMP as sets.
"""

from __future__ import annotations

import attrs
import numpy as np

from poolab.kernels._jit import kernel
from poolab.kernels._rules import comp


@kernel
def _dd(pool_ptr, pool_members, pool_positive, candidate, out):
    """out[i] = i is the only COMP candidate in some positive pool."""
    out[:] = False
    for p in range(pool_ptr.shape[0] - 1):
        if not pool_positive[p]:
            continue
        only = -1
        count = 0
        for j in range(pool_ptr[p], pool_ptr[p + 1]):
            m = pool_members[j]
            if candidate[m]:
                count += 1
                only = m
                if count > 1:
                    break
        if count == 1:
            out[only] = True


@kernel
def _scomp(pool_ptr, pool_members, member_ptr, member_pools, pool_positive, candidate, out):
    """Greedy cover of the positive pools left unexplained by DD (``out`` holds DD's calls)."""
    npools = pool_ptr.shape[0] - 1
    n = member_ptr.shape[0] - 1
    explained = np.zeros(npools, dtype=np.bool_)
    for p in range(npools):
        if pool_positive[p]:
            for j in range(pool_ptr[p], pool_ptr[p + 1]):
                if out[pool_members[j]]:
                    explained[p] = True
                    break
    score = np.zeros(n, dtype=np.int64)
    while True:
        left = 0
        score[:] = 0
        for p in range(npools):
            if pool_positive[p] and not explained[p]:
                left += 1
                for j in range(pool_ptr[p], pool_ptr[p + 1]):
                    m = pool_members[j]
                    if candidate[m] and not out[m]:
                        score[m] += 1
        if left == 0:
            return
        best = -1
        for i in range(n):
            if score[i] > 0 and (best < 0 or score[i] > score[best]):
                best = i
        if best < 0:  # a positive pool with no candidate: nothing can explain it
            return
        out[best] = True
        for j in range(member_ptr[best], member_ptr[best + 1]):
            explained[member_pools[j]] = True


@attrs.frozen(slots=True, eq=False)
class NonadaptiveCalls:
    """Calls (bool per individual) of the three decoders on one set of pool results."""

    comp: np.ndarray
    dd: np.ndarray
    scomp: np.ndarray


def transpose(n: int, pool_ptr: np.ndarray, pool_members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Members -> pools CSR of a pools -> members CSR over ``n`` individuals."""
    sizes = np.diff(pool_ptr)
    owners = np.repeat(np.arange(sizes.shape[0], dtype=np.int64), sizes)
    order = np.argsort(pool_members, kind="stable")
    member_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pool_members, minlength=n), out=member_ptr[1:])
    return member_ptr, owners[order]


def decode_nonadaptive(
    n: int, pool_ptr: np.ndarray, pool_members: np.ndarray, pool_positive: np.ndarray
) -> NonadaptiveCalls:
    """COMP, DD and SCOMP calls for ``n`` individuals from one round of pool results.

    ``pool_ptr`` int64[npools+1], ``pool_members`` int64 (indices < n), ``pool_positive``
    bool[npools].
    """
    for name, a, dt in (
        ("pool_ptr", pool_ptr, np.int64),
        ("pool_members", pool_members, np.int64),
        ("pool_positive", pool_positive, np.bool_),
    ):
        if not isinstance(a, np.ndarray) or a.dtype != dt or a.ndim != 1:
            raise TypeError(f"{name} must be a 1-D numpy array of {np.dtype(dt)}")
    if pool_ptr.shape[0] != pool_positive.shape[0] + 1 or pool_ptr[-1] != pool_members.shape[0]:
        raise ValueError("pool_ptr must have npools+1 entries ending at len(pool_members)")
    if pool_members.size and (pool_members.min() < 0 or pool_members.max() >= n):
        raise ValueError(f"pool_members must lie in [0, {n - 1}]")
    member_ptr, member_pools = transpose(n, pool_ptr, pool_members)
    candidates = np.empty(n, dtype=np.bool_)
    comp(member_ptr, member_pools, pool_positive, candidates)
    dd = np.empty(n, dtype=np.bool_)
    _dd(pool_ptr, pool_members, pool_positive, candidates, dd)
    scomp = dd.copy()
    _scomp(pool_ptr, pool_members, member_ptr, member_pools, pool_positive, candidates, scomp)
    return NonadaptiveCalls(candidates, dd, scomp)
