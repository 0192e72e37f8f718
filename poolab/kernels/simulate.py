"""Monte Carlo of whole campaigns: infections, Ct values, every stage's pool tests, calls.

One replicate is one campaign over the design's n people. Replicates run in parallel,
each thread with its own buffers; numba's generator is reseeded at the start of every
replicate from ``seeds[r]``, so replicate r draws the same numbers on any thread count.
The stage rules are the decode kernels' (``_flag_stage``, built on ``_flag_children``).
"""

from __future__ import annotations

import numpy as np

from poolab.kernels._jit import kernel, parallel_kernel, prange
from poolab.kernels.decode_staged import _final_calls, _flag_stage

# columns of the per-replicate tally
TESTS, ROUNDS, INFECTED, TP, FP, FN, TN = range(7)
NCOLS = 7
_LN2 = 0.6931471805599453


@kernel
def _infect(index_rate, household_ptr, attack, ct_mean, ct_sd, status, conc):  # type: ignore[no-untyped-def]  # noqa: E501
    """Index infections iid at ``index_rate``; then, in each household with an index case,
    every other member is infected with probability ``attack``. Ct ~ Normal per infected."""
    n = status.shape[0]
    status[:] = False
    # skip ahead by geometric gaps: about n*rate draws instead of n
    if index_rate >= 1.0:
        status[:] = True
    elif index_rate > 0.0:
        log_q = np.log1p(-index_rate)
        i = -1
        while True:
            i += 1 + np.int64(np.floor(np.log1p(-np.random.random()) / log_q))
            if i >= n:
                break
            status[i] = True
    if attack > 0.0:
        for h in range(household_ptr.shape[0] - 1):
            lo = household_ptr[h]
            hi = household_ptr[h + 1]
            seeded = False
            for i in range(lo, hi):
                if status[i]:
                    seeded = True
                    break
            if seeded:
                for i in range(lo, hi):
                    if not status[i] and np.random.random() < attack:
                        status[i] = True
    for i in range(n):
        if status[i]:  # concentration 2**-Ct; read only where status is True
            conc[i] = np.exp(-_LN2 * (ct_mean + ct_sd * np.random.standard_normal()))


@kernel
def _one_campaign(
    stage_ptr,
    stage_rule,
    pool_ptr,
    pool_members,
    pool_stage,
    parent,
    parent2,
    block,
    kind,
    member_ptr,
    member_pools,
    leaf_of_member,
    se,
    sp,
    use_dilution,
    limit_conc,
    status,
    conc,
    required,
    positive,
    any_row,
    any_col,
    comp,
    calls,
    tally,
):  # type: ignore[no-untyped-def]  # noqa: E501
    """Run every stage of one campaign on drawn infections; fill ``tally``."""
    positive[:] = False
    tests = 0
    rounds = 0
    for s in range(stage_rule.shape[0]):
        _flag_stage(
            s,
            stage_ptr,
            stage_rule,
            pool_ptr,
            pool_members,
            parent,
            parent2,
            block,
            kind,
            member_ptr,
            member_pools,
            positive,
            any_row,
            any_col,
            comp,
            required,
        )  # noqa: E501
        used = 0
        for p in range(stage_ptr[s], stage_ptr[s + 1]):
            if not required[p]:
                continue
            used += 1
            lo = pool_ptr[p]
            hi = pool_ptr[p + 1]
            infected = 0
            total = 0.0
            for j in range(lo, hi):
                m = pool_members[j]
                if status[m]:
                    infected += 1
                    total += conc[m]
            # pool Ct = -log2(mean concentration) <= limit  <=>  total >= size * 2**-limit
            detectable = infected > 0 and (not use_dilution or total >= (hi - lo) * limit_conc)
            u = np.random.random()
            positive[p] = u < se[s] if detectable else u < 1.0 - sp[s]
        tests += used
        if used > 0:
            rounds += 1
    _final_calls(leaf_of_member, positive, comp, member_ptr, member_pools, calls)
    inf = 0
    tp = 0
    fp = 0
    for i in range(status.shape[0]):
        if status[i]:
            inf += 1
            if calls[i]:
                tp += 1
        elif calls[i]:
            fp += 1
    n = status.shape[0]
    tally[TESTS] = tests
    tally[ROUNDS] = rounds
    tally[INFECTED] = inf
    tally[TP] = tp
    tally[FP] = fp
    tally[FN] = inf - tp
    tally[TN] = n - inf - fp


@parallel_kernel
def _simulate(
    stage_ptr,
    stage_rule,
    pool_ptr,
    pool_members,
    pool_stage,
    parent,
    parent2,
    block,
    kind,
    member_ptr,
    member_pools,
    leaf_of_member,
    nblocks,
    se,
    sp,
    index_rate,
    household_ptr,
    attack,
    use_dilution,
    ct_mean,
    ct_sd,
    limit_conc,
    seeds,
    nthreads,
    out,
):  # type: ignore[no-untyped-def]  # noqa: E501
    """Replicate r -> out[r, :]; thread t runs replicates t, t+nthreads, ... on its buffers."""
    n = leaf_of_member.shape[0]
    npools = pool_ptr.shape[0] - 1
    reps = seeds.shape[0]
    for t in prange(nthreads):
        status = np.zeros(n, dtype=np.bool_)
        conc = np.zeros(n, dtype=np.float64)
        required = np.zeros(npools, dtype=np.bool_)
        positive = np.zeros(npools, dtype=np.bool_)
        any_row = np.zeros(nblocks, dtype=np.bool_)
        any_col = np.zeros(nblocks, dtype=np.bool_)
        comp = np.zeros(n, dtype=np.bool_)
        calls = np.zeros(n, dtype=np.bool_)
        for r in range(t, reps, nthreads):
            np.random.seed(seeds[r])
            _infect(index_rate, household_ptr, attack, ct_mean, ct_sd, status, conc)
            _one_campaign(
                stage_ptr,
                stage_rule,
                pool_ptr,
                pool_members,
                pool_stage,
                parent,
                parent2,
                block,
                kind,
                member_ptr,
                member_pools,
                leaf_of_member,
                se,
                sp,
                use_dilution,
                limit_conc,
                status,
                conc,
                required,
                positive,
                any_row,
                any_col,
                comp,
                calls,
                out[r],
            )  # noqa: E501
