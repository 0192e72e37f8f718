"""Monte Carlo of tree designs (individual, Dorfman, hierarchical) that touches only the
pools that can test positive: the city simulator.

A *tree* design: every person is in exactly one first-stage pool (all tested), every later
pool is tested when its parent in the stage before tested positive, and every person has a
leaf pool whose result is the call. Infections are independent (no households).

Per replicate the cost follows the positives, not the people:

* infected people are drawn by geometric gaps (about n * p draws), which gives each
  first-stage pool its binomial number of infected members;
* the first-stage pools holding an infected member get one draw each (Se, or 1 - Sp when
  diluted below the limit); the false positives among the other pools are drawn by
  geometric gaps over the pools at rate 1 - Sp;
* only the children of positive pools are tested, stage after stage; where they are
  one-person tests (Dorfman's second stage, a hierarchical design's last), three
  binomial draws say how many of the detectable, undetectable and clear members test
  positive, instead of one draw per person;
* calls come from the positive pools alone (a person whose leaf was never tested, or
  tested negative, is called negative).

The model and the stage rules are those of ``simulate.py`` (which stays for households,
arrays and non-adaptive designs), so the tally has the same distribution; the random
numbers are drawn in another order, so single replicates differ. Each replicate reseeds
numba's generator from ``seeds[r]``: the same seed gives the same tally on any thread count.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from poolab.kernels._jit import kernel, parallel_kernel, prange
from poolab.kernels.layout import ROOT, TREE, StagedDesign, check_staged
from poolab.kernels.simulate import FN, FP, INFECTED, NCOLS, ROUNDS, TESTS, TN, TP, Assay

_LN2 = 0.6931471805599453


class Tree(NamedTuple):
    """What the walk needs beyond the design: each pool's children (CSR) and stage."""

    child_ptr: np.ndarray  # int64[npools+1]
    child_pool: np.ndarray  # int64[npools - first-stage pools]
    pool_stage: np.ndarray  # int8[npools]
    singles: np.ndarray  # bool[npools]: every child a one-person leaf test, all in one stage


def tree_of(design: StagedDesign) -> Tree | None:
    """The ``Tree`` of ``design``, or None when it is not a tree design (see the module
    docstring): arrays, non-adaptive designs and COMP calls take ``simulate.py``."""
    d = check_staged(design)
    nstages = d.stage_ptr.shape[0] - 1
    n = d.leaf_of_member.shape[0]
    if nstages < 1 or nstages > 127 or d.stage_rule[0] != ROOT:
        return None
    empty = d.stage_ptr[1:] == d.stage_ptr[:-1]
    if np.any((d.stage_rule[1:] != TREE) & ~empty[1:]):
        return None
    if not _counts_up(d.member_ptr):
        return None  # someone in no first-stage pool, or in several
    if n and int(d.leaf_of_member.min()) < 0:
        return None
    npools = d.pool_ptr.shape[0] - 1
    pool_stage = np.repeat(np.arange(nstages, dtype=np.int8), np.diff(d.stage_ptr))
    later = slice(int(d.stage_ptr[1]), npools)
    parents = d.pool_parent[later]
    if parents.size and np.any(pool_stage[parents] >= pool_stage[later]):
        return None  # a parent not in an earlier stage
    child_ptr = np.zeros(npools + 1, dtype=np.int64)
    np.cumsum(np.bincount(parents, minlength=npools), out=child_ptr[1:])
    if parents.size < 2 or bool(np.all(parents[1:] >= parents[:-1])):
        child_pool = np.arange(later.start, npools, dtype=np.int64)  # laid out parent by parent
    else:
        child_pool = later.start + np.argsort(parents, kind="stable").astype(np.int64)
    return Tree(child_ptr, child_pool, pool_stage, _singles(d, child_ptr, child_pool, pool_stage))


def _singles(d: StagedDesign, child_ptr: np.ndarray, child_pool: np.ndarray, pool_stage: np.ndarray) -> np.ndarray:
    """Per pool: it has children, each tests one person alone as that person's leaf, has
    no children of its own, and all are in one stage (Dorfman's retests, a hierarchical
    subpool's individuals): the walk draws how many of them are positive, not each."""
    out = np.zeros(child_ptr.shape[0] - 1, dtype=np.bool_)
    _mark_singles(d.pool_ptr, d.pool_members, d.leaf_of_member, child_ptr, child_pool, pool_stage, out)
    return out


@kernel
def _mark_singles(pool_ptr, pool_members, leaf_of_member, child_ptr, child_pool, pool_stage, out):
    """``_singles`` in one pass (a city's design is too big for numpy's temporaries)."""
    for p in range(out.shape[0]):
        lo = child_ptr[p]
        hi = child_ptr[p + 1]
        ok = hi > lo
        for j in range(lo, hi):
            c = child_pool[j]
            if not ok:
                break
            ok = (
                pool_ptr[c + 1] - pool_ptr[c] == 1
                and leaf_of_member[pool_members[pool_ptr[c]]] == c
                and child_ptr[c + 1] == child_ptr[c]
                and pool_stage[c] == pool_stage[child_pool[lo]]
            )
        out[p] = ok


@kernel
def _counts_up(ptr):
    """ptr is 0, 1, 2, ..., len - 1."""
    for i in range(ptr.shape[0]):
        if ptr[i] != i:
            return False
    return True


@kernel
def _push(buf, k, value):
    """buf[k] = value, growing ``buf`` (doubling) when full; returns the buffer to use."""
    if k == buf.shape[0]:
        grown = np.empty(max(16, 2 * k), dtype=buf.dtype)
        grown[:k] = buf[:k]
        buf = grown
    buf[k] = value
    return buf


@kernel
def _gap(log_q):
    """People (or pools) to skip before the next hit at rate 1 - exp(log_q), plus one."""
    return 1 + np.int64(np.floor(np.log1p(-np.random.random()) / log_q))


@kernel
def _test(d, a, stage, p, status, conc):
    """Draw pool p's result at ``stage`` from its members' infections (one uniform)."""
    lo = d.pool_ptr[p]
    hi = d.pool_ptr[p + 1]
    infected = 0
    total = 0.0
    for j in range(lo, hi):
        m = d.pool_members[j]
        if status[m]:
            infected += 1
            if a.use_dilution:
                total += conc[m]
    detectable = infected > 0 and (not a.use_dilution or total >= (hi - lo) * a.limit_conc)
    u = np.random.random()
    return u < a.se[stage] if detectable else u < 1.0 - a.sp[stage]


@kernel
def _calls(d, p, status, tally):
    """Count the members whose leaf is the positive pool p as called positive."""
    for j in range(d.pool_ptr[p], d.pool_ptr[p + 1]):
        m = d.pool_members[j]
        if d.leaf_of_member[m] == p:
            if status[m]:
                tally[TP] += 1
            else:
                tally[FP] += 1


@kernel
def binomial_draw(n, p):
    """Binomial(n, p) without a draw when the answer is certain."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    return np.random.binomial(n, p)


@kernel
def _positive(d, t, a, p, status, conc, used, tally, pending, npend):
    """Pool p tested positive: count its leaf members' calls, then either test its
    one-person children at once by counts (``Tree.singles``: how many of the detectable,
    undetectable and clear members test positive, three binomial draws) or queue its
    children for their stages. Returns the queue and its length."""
    _calls(d, p, status, tally)
    lo = t.child_ptr[p]
    hi = t.child_ptr[p + 1]
    if not t.singles[p]:
        for c in range(lo, hi):
            pending = _push(pending, npend, t.child_pool[c])
            npend += 1
        return pending, npend
    s = t.pool_stage[t.child_pool[lo]]
    detectable = 0
    hidden = 0
    for c in range(lo, hi):
        m = d.pool_members[d.pool_ptr[t.child_pool[c]]]
        if status[m]:
            if a.use_dilution and conc[m] < a.limit_conc:
                hidden += 1
            else:
                detectable += 1
    used[s] += hi - lo
    found = binomial_draw(detectable, a.se[s]) + binomial_draw(hidden, 1.0 - a.sp[s])
    tally[TP] += found
    tally[FP] += binomial_draw(hi - lo - detectable - hidden, 1.0 - a.sp[s])
    return pending, npend


@kernel
def _campaign(d, t, a, rate, ct_mean, ct_sd, status, conc, touched, tally):
    """One campaign; ``status``/``touched`` come in all False and are left so."""
    n = status.shape[0]
    nroots = d.stage_ptr[1]
    infected = np.empty(64, dtype=np.int64)
    ninf = 0
    if rate >= 1.0:
        for i in range(n):
            infected = _push(infected, ninf, i)
            ninf += 1
    elif rate > 0.0:
        log_q = np.log1p(-rate)
        i = _gap(log_q) - 1
        while i < n:
            infected = _push(infected, ninf, i)
            ninf += 1
            i += _gap(log_q)
    for k in range(ninf):
        i = infected[k]
        status[i] = True
        # concentration 2**-Ct, drawn with or without a limit (a limit no pool reaches
        # then changes nothing, replicate by replicate)
        conc[i] = np.exp(-_LN2 * (ct_mean + ct_sd * np.random.standard_normal()))
    # first stage: pools holding an infected member, then false positives among the rest
    hit = np.empty(64, dtype=np.int64)
    nhit = 0
    for k in range(ninf):
        r = d.member_pools[infected[k]]
        if not touched[r]:
            touched[r] = True
            hit = _push(hit, nhit, r)
            nhit += 1
    frontier = np.empty(64, dtype=np.int64)
    npos = 0
    for k in range(nhit):
        if _test(d, a, 0, hit[k], status, conc):
            frontier = _push(frontier, npos, hit[k])
            npos += 1
    q = 1.0 - a.sp[0]
    if q >= 1.0:
        for r in range(nroots):
            if not touched[r]:
                frontier = _push(frontier, npos, r)
                npos += 1
    elif q > 0.0:
        log_q = np.log1p(-q)
        r = _gap(log_q) - 1
        while r < nroots:
            if not touched[r]:
                frontier = _push(frontier, npos, r)
                npos += 1
            r += _gap(log_q)
    for k in range(nhit):
        touched[hit[k]] = False
    nstages = d.stage_ptr.shape[0] - 1
    used = np.zeros(nstages, dtype=np.int64)  # tests per stage
    used[0] = nroots
    # later stages: the children of the positive pools only, each in its own stage (a
    # leftover pool's individual tests may skip a stage)
    pending = np.empty(64, dtype=np.int64)
    npend = 0
    for k in range(npos):
        pending, npend = _positive(d, t, a, frontier[k], status, conc, used, tally, pending, npend)
    for s in range(1, nstages):
        nkept = 0
        for k in range(npend):
            child = pending[k]
            if t.pool_stage[child] != s:
                frontier = _push(frontier, nkept, child)  # a later stage's: kept in order
                nkept += 1
                continue
            used[s] += 1
            if _test(d, a, s, child, status, conc):
                frontier, nkept = _positive(d, t, a, child, status, conc, used, tally, frontier, nkept)
        frontier, pending = pending, frontier
        npend = nkept
    tests = 0
    rounds = 0
    for s in range(nstages):
        tests += used[s]
        if used[s] > 0:
            rounds += 1
    for k in range(ninf):
        status[infected[k]] = False
    tally[TESTS] = tests
    tally[ROUNDS] = rounds
    tally[INFECTED] = ninf
    tally[FN] = ninf - tally[TP]
    tally[TN] = n - ninf - tally[FP]


@parallel_kernel
def _simulate(d, t, a, rate, ct_mean, ct_sd, seeds, nthreads, out):
    """Replicate r -> out[r, :] (zeroed); thread t runs replicates t, t+nthreads, ..."""
    n = d.leaf_of_member.shape[0]
    nroots = d.stage_ptr[1]
    reps = seeds.shape[0]
    for th in prange(nthreads):
        status = np.zeros(n, dtype=np.bool_)
        conc = np.zeros(n, dtype=np.float64)
        touched = np.zeros(nroots, dtype=np.bool_)
        for r in range(th, reps, nthreads):
            np.random.seed(seeds[r])
            _campaign(d, t, a, rate, ct_mean, ct_sd, status, conc, touched, out[r])


def simulate_tree_tally(
    design: StagedDesign,
    tree: Tree,
    a: Assay,
    rate: float,
    seeds: np.ndarray,
    ct_mean: float = 27.2,
    ct_sd: float = 7.6,
) -> np.ndarray:
    """One campaign per seed (int64) on every core, infections iid at ``rate``: the tally
    int64[replicates, NCOLS] as ``simulate.simulate_tally`` returns it."""
    d = check_staged(design)
    nstages = d.stage_ptr.shape[0] - 1
    if not isinstance(tree, Tree) or tree.child_ptr.shape[0] != d.pool_ptr.shape[0]:
        raise TypeError("tree must be the Tree of this design; build it with tree_of()")
    if not isinstance(a, Assay) or a.se.shape != (nstages,) or a.sp.shape != (nstages,):
        raise TypeError(f"a must be an Assay with one Se/Sp per stage ({nstages}); build it with assay()")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must lie in [0, 1], got {rate}")
    if not isinstance(seeds, np.ndarray) or seeds.dtype != np.int64 or seeds.ndim != 1:
        raise TypeError("seeds must be a 1-D numpy array of int64")
    out = np.zeros((seeds.shape[0], NCOLS), dtype=np.int64)
    _simulate(d, tree, a, float(rate), float(ct_mean), float(ct_sd), seeds, numba.get_num_threads(), out)
    return out
