"""Monte Carlo of Dorfman-like designs by counts per pool, never per person: the city
simulator's common case (``dorfman:K`` and ``individual`` on ten million people).

A *counted* design: every first-stage pool either tests one person alone as that person's
leaf, or is followed (when positive) by one-person tests of exactly its members, all in one
stage, each that person's leaf. Infections are independent at ``rate`` (no households).

Per replicate, for each run of first-stage pools of one size k:

* the pools holding at least one infected member come by geometric gaps at rate
  1 - (1 - rate)^k, and each one's number of infected members X by inversion from
  Binomial(k, rate) conditioned on X >= 1 (so every pool's X is Binomial(k, rate));
* with a ``DilutionModel`` each of the X draws its Ct (Normal), which decides whether the
  pool is detectable and which members alone are;
* the pool tests positive with Se (or 1 - Sp when diluted below the limit); the false
  positives among pools without an infected member come by geometric gaps at 1 - Sp;
* a positive pool's one-person tests are three binomial draws: how many of the detectable,
  undetectable and clear members test positive.

Same model and rules as ``simulate.py``, so the tally has the same distribution; the
numbers are drawn in another order. Each replicate reseeds numba's generator from
``seeds[r]``: the same seed gives the same tally on any thread count.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from poolab.kernels._jit import kernel, parallel_kernel, prange
from poolab.kernels.layout import StagedDesign, check_staged
from poolab.kernels.simulate import FN, FP, INFECTED, NCOLS, ROUNDS, TESTS, TN, TP, Assay
from poolab.kernels.simulate_tree import Tree, binomial_draw

_LN2 = 0.6931471805599453


class Counted(NamedTuple):
    """A counted design as the kernel sees it: runs of first-stage pools of one size and,
    per first-stage pool, the stage of its one-person tests (-1: it is its member's test)."""

    run_start: np.ndarray  # int64[runs+1]: first-stage pools run_start[j]:run_start[j+1] ...
    run_size: np.ndarray  # int64[runs]: ... hold run_size[j] people each
    retest_stage: np.ndarray  # int8[first-stage pools]
    npeople: int
    nstages: int


def counted_of(design: StagedDesign, tree: Tree) -> Counted | None:
    """The ``Counted`` form of a tree design (``simulate_tree.tree_of``), or None when some
    first-stage pool is neither its member's own test nor retested member by member."""
    d = check_staged(design)
    nroots = int(d.stage_ptr[1])
    npools = d.pool_ptr.shape[0] - 1
    roots = np.arange(nroots, dtype=np.int64)
    size = np.diff(d.pool_ptr[: nroots + 1])
    nchildren = np.diff(tree.child_ptr[: nroots + 1])
    first_member = d.pool_members[np.minimum(d.pool_ptr[:nroots], max(d.pool_members.shape[0] - 1, 0))]
    alone = (size == 1) & (nchildren == 0) & (d.leaf_of_member[first_member] == roots)
    retested = tree.singles[:nroots] & (nchildren == size)
    if not np.all(alone | retested):
        return None
    # a retested pool's children test its members, in its order (then nobody's leaf is the pool)
    later = tree.child_pool[: int(tree.child_ptr[nroots])]
    if later.size:
        child_member = d.pool_members[d.pool_ptr[later]]
        own = d.pool_members[: int(d.pool_ptr[nroots])][np.repeat(retested, size)]
        if not np.array_equal(child_member, own):
            return None
    if npools > nroots and int(tree.child_ptr[nroots]) != npools - nroots:
        return None  # pools below the retests
    stage = np.full(nroots, -1, dtype=np.int8)
    if later.size:
        first_child = tree.child_pool[tree.child_ptr[:nroots][retested]]
        stage[retested] = tree.pool_stage[first_child]
    change = np.flatnonzero(np.diff(size)) + 1 if nroots > 1 else np.zeros(0, dtype=np.int64)
    run_start = np.concatenate([[0], change, [nroots]]).astype(np.int64)
    run_size = size[run_start[:-1]].astype(np.int64) if nroots else np.zeros(0, dtype=np.int64)
    return Counted(run_start, run_size, stage, int(d.leaf_of_member.shape[0]), int(d.stage_ptr.shape[0] - 1))


@kernel
def _infected_given_some(k, rate, some):
    """X ~ Binomial(k, rate) given X >= 1 (``some`` = its chance), by inversion (one draw)."""
    if rate >= 1.0:
        return k
    target = np.random.random() * some
    odds = rate / (1.0 - rate)
    pmf = k * rate * np.exp((k - 1) * np.log1p(-rate))
    x = 1
    total = pmf
    while total < target and x < k:
        pmf *= (k - x) / (x + 1.0) * odds
        x += 1
        total += pmf
    return x


@kernel
def _positive(c, a, r, k, infected, hidden, used, tally):
    """First-stage pool r of k people, ``infected`` of them (``hidden`` below the limit
    alone), tested positive: its call, or its one-person tests by counts."""
    s = c.retest_stage[r]
    if s < 0:  # the pool is its one member's test
        if infected > 0:
            tally[TP] += 1
        else:
            tally[FP] += 1
        return
    used[s] += k
    tally[TP] += binomial_draw(infected - hidden, a.se[s]) + binomial_draw(hidden, 1.0 - a.sp[s])
    tally[FP] += binomial_draw(k - infected, 1.0 - a.sp[s])


@kernel
def _campaign(c, a, rate, ct_mean, ct_sd, touched, hit, tally):
    """One campaign; ``touched`` comes in all False and is left so; ``hit`` is scratch."""
    used = np.zeros(c.nstages, dtype=np.int64)
    nroots = c.run_start[c.run_start.shape[0] - 1]
    used[0] = nroots
    nhit = 0
    ninf = 0
    for j in range(c.run_size.shape[0]):
        k = c.run_size[j]
        lo = c.run_start[j]
        hi = c.run_start[j + 1]
        if rate <= 0.0:
            break
        log_none = k * np.log1p(-rate) if rate < 1.0 else -np.inf
        some = -np.expm1(log_none)  # a pool of k holds an infected member
        r = lo - 1
        while True:
            if some >= 1.0:
                r += 1
            else:
                r += 1 + np.int64(np.floor(np.log1p(-np.random.random()) / log_none))
            if r >= hi:
                break
            x = _infected_given_some(k, rate, some)
            ninf += x
            touched[r] = True
            hit[nhit] = r
            nhit += 1
            # the Cts are drawn with or without a limit, so that a limit no pool reaches
            # changes nothing, replicate by replicate
            total = 0.0
            hidden = 0
            for _ in range(x):
                conc = np.exp(-_LN2 * (ct_mean + ct_sd * np.random.standard_normal()))
                total += conc
                if conc < a.limit_conc:
                    hidden += 1
            if not a.use_dilution:
                hidden = 0
            detectable = not a.use_dilution or total >= k * a.limit_conc
            u = np.random.random()
            if u < a.se[0] if detectable else u < 1.0 - a.sp[0]:
                _positive(c, a, r, k, x, hidden, used, tally)
    q = 1.0 - a.sp[0]
    if q > 0.0:
        log_q = np.log1p(-q) if q < 1.0 else -np.inf
        j = 0
        r = -1
        while True:
            r += 1 if q >= 1.0 else 1 + np.int64(np.floor(np.log1p(-np.random.random()) / log_q))
            if r >= nroots:
                break
            if not touched[r]:
                while c.run_start[j + 1] <= r:
                    j += 1
                _positive(c, a, r, c.run_size[j], 0, 0, used, tally)
    for i in range(nhit):
        touched[hit[i]] = False
    tests = 0
    rounds = 0
    for s in range(c.nstages):
        tests += used[s]
        if used[s] > 0:
            rounds += 1
    tally[TESTS] = tests
    tally[ROUNDS] = rounds
    tally[INFECTED] = ninf
    tally[FN] = ninf - tally[TP]
    tally[TN] = c.npeople - ninf - tally[FP]


@parallel_kernel
def _simulate(c, a, rate, ct_mean, ct_sd, seeds, nthreads, out):
    """Replicate r -> out[r, :] (zeroed); thread t runs replicates t, t+nthreads, ..."""
    nroots = c.run_start[c.run_start.shape[0] - 1]
    reps = seeds.shape[0]
    for th in prange(nthreads):
        touched = np.zeros(nroots, dtype=np.bool_)
        hit = np.zeros(nroots, dtype=np.int64)
        for r in range(th, reps, nthreads):
            np.random.seed(seeds[r])
            _campaign(c, a, rate, ct_mean, ct_sd, touched, hit, out[r])


def simulate_counted_tally(
    c: Counted, a: Assay, rate: float, seeds: np.ndarray, ct_mean: float = 27.2, ct_sd: float = 7.6
) -> np.ndarray:
    """One campaign per seed (int64) on every core, infections iid at ``rate``: the tally
    int64[replicates, NCOLS] as ``simulate.simulate_tally`` returns it."""
    if not isinstance(c, Counted):
        raise TypeError("c must be a Counted design; build it with counted_of()")
    if not isinstance(a, Assay) or a.se.shape != (c.nstages,) or a.sp.shape != (c.nstages,):
        raise TypeError(f"a must be an Assay with one Se/Sp per stage ({c.nstages}); build it with assay()")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must lie in [0, 1], got {rate}")
    if not isinstance(seeds, np.ndarray) or seeds.dtype != np.int64 or seeds.ndim != 1:
        raise TypeError("seeds must be a 1-D numpy array of int64")
    out = np.zeros((seeds.shape[0], NCOLS), dtype=np.int64)
    _simulate(c, a, float(rate), float(ct_mean), float(ct_sd), seeds, numba.get_num_threads(), out)
    return out
