"""Monte Carlo of whole campaigns: infections, Ct values, every stage's pool tests, calls.

One replicate is one campaign over the design's n people. Replicates run in parallel,
each thread with its own buffers; numba's generator is reseeded at the start of every
replicate from ``seeds[r]``, so replicate r draws the same numbers on any thread count.
The stage rules are the decoder's (``_rules.flag_stage`` and ``_rules.final_calls``).

Model: each person is an index case with ``Infection.index_rate``; in every household
(``household_ptr``, CSR over the people) holding an index case each other member is
infected with ``attack``. Each infected person's Ct is Normal(ct_mean, ct_sd), drawn once.
A pool is *detectable* when it holds an infected member and, with ``Assay.use_dilution``,
its concentration (the mean of 2^-Ct over its members) is at least ``limit_conc``
(= 2^-limit_ct); a detectable pool of stage s tests positive with ``se[s]``, any other
with ``1 - sp[s]``.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from poolab.kernels._jit import kernel, parallel_kernel, prange
from poolab.kernels._rules import final_calls, flag_stage
from poolab.kernels.layout import StagedDesign, check_staged

# columns of the per-replicate tally
TESTS, ROUNDS, INFECTED, TP, FP, FN, TN = range(7)
NCOLS = 7
_LN2 = 0.6931471805599453


class Assay(NamedTuple):
    """Per-stage Se/Sp (float64[nstages]) and the dilution limit."""

    se: np.ndarray
    sp: np.ndarray
    use_dilution: bool
    limit_conc: float  # 2**-limit_ct


class Infection(NamedTuple):
    """How infections are drawn (see the module docstring)."""

    index_rate: float
    household_ptr: np.ndarray  # int64[households+1]; [0] when there are no households
    attack: float
    ct_mean: float
    ct_sd: float


@kernel
def _infect(f, status, conc):
    """Index infections iid at ``f.index_rate``; then, in each household with an index
    case, every other member is infected with probability ``f.attack``. Ct ~ Normal per
    infected person."""
    n = status.shape[0]
    status[:] = False
    # skip ahead by geometric gaps: about n*rate draws instead of n
    if f.index_rate >= 1.0:
        status[:] = True
    elif f.index_rate > 0.0:
        log_q = np.log1p(-f.index_rate)
        i = -1
        while True:
            i += 1 + np.int64(np.floor(np.log1p(-np.random.random()) / log_q))
            if i >= n:
                break
            status[i] = True
    if f.attack > 0.0:
        ptr = f.household_ptr
        for h in range(ptr.shape[0] - 1):
            seeded = False
            for i in range(ptr[h], ptr[h + 1]):
                if status[i]:
                    seeded = True
                    break
            if seeded:
                for i in range(ptr[h], ptr[h + 1]):
                    if not status[i] and np.random.random() < f.attack:
                        status[i] = True
    for i in range(n):
        if status[i]:  # concentration 2**-Ct; read only where status is True
            conc[i] = np.exp(-_LN2 * (f.ct_mean + f.ct_sd * np.random.standard_normal()))


@kernel
def _campaign(d, a, status, conc, required, positive, any_row, any_col, comp_calls, calls, tally):
    """Run every stage of one campaign on drawn infections; fill ``tally`` and ``calls``."""
    positive[:] = False
    tests = 0
    rounds = 0
    for s in range(d.stage_ptr.shape[0] - 1):
        flag_stage(d, s, positive, any_row, any_col, comp_calls, required)
        used = 0
        for p in range(d.stage_ptr[s], d.stage_ptr[s + 1]):
            if not required[p]:
                continue
            used += 1
            lo = d.pool_ptr[p]
            hi = d.pool_ptr[p + 1]
            infected = 0
            total = 0.0
            for j in range(lo, hi):
                m = d.pool_members[j]
                if status[m]:
                    infected += 1
                    total += conc[m]
            # pool Ct = -log2(mean concentration) <= limit  <=>  total >= size * 2**-limit
            detectable = infected > 0 and (not a.use_dilution or total >= (hi - lo) * a.limit_conc)
            u = np.random.random()
            positive[p] = u < a.se[s] if detectable else u < 1.0 - a.sp[s]
        tests += used
        if used > 0:
            rounds += 1
    final_calls(d, positive, comp_calls, calls)
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
def _simulate(d, a, f, seeds, nthreads, out):
    """Replicate r -> out[r, :]; thread t runs replicates t, t+nthreads, ... on its buffers."""
    n = d.leaf_of_member.shape[0]
    npools = d.pool_ptr.shape[0] - 1
    reps = seeds.shape[0]
    for t in prange(nthreads):
        status = np.zeros(n, dtype=np.bool_)
        conc = np.zeros(n, dtype=np.float64)
        required = np.zeros(npools, dtype=np.bool_)
        positive = np.zeros(npools, dtype=np.bool_)
        any_row = np.zeros(d.nblocks, dtype=np.bool_)
        any_col = np.zeros(d.nblocks, dtype=np.bool_)
        comp_calls = np.zeros(n, dtype=np.bool_)
        calls = np.zeros(n, dtype=np.bool_)
        for r in range(t, reps, nthreads):
            np.random.seed(seeds[r])
            _infect(f, status, conc)
            _campaign(d, a, status, conc, required, positive, any_row, any_col, comp_calls, calls, out[r])


@kernel
def _one(d, a, status, conc, seed, calls, tally):
    np.random.seed(seed)
    npools = d.pool_ptr.shape[0] - 1
    _campaign(
        d, a, status, conc, np.zeros(npools, dtype=np.bool_), np.zeros(npools, dtype=np.bool_),
        np.zeros(d.nblocks, dtype=np.bool_), np.zeros(d.nblocks, dtype=np.bool_),
        np.zeros(status.shape[0], dtype=np.bool_), calls, tally,
    )  # fmt: skip


def _stage_values(name: str, values: np.ndarray, nstages: int) -> np.ndarray:
    if not isinstance(values, np.ndarray) or values.dtype != np.float64 or values.shape != (nstages,):
        raise TypeError(f"{name} must be float64 with one value per stage ({nstages})")
    if not np.all((values >= 0.0) & (values <= 1.0)):
        raise ValueError(f"{name} values must lie in [0, 1], got {values.tolist()}")
    return np.ascontiguousarray(values)


def assay(design: StagedDesign, se: np.ndarray, sp: np.ndarray, limit_ct: float | None = None) -> Assay:
    """An ``Assay`` for ``design``: ``se``/``sp`` float64 per stage; ``limit_ct`` turns dilution on."""
    nstages = design.stage_ptr.shape[0] - 1
    return Assay(
        _stage_values("se", se, nstages),
        _stage_values("sp", sp, nstages),
        limit_ct is not None,
        float(2.0 ** (-limit_ct)) if limit_ct is not None else 0.0,
    )


def infection(
    n: int,
    index_rate: float,
    household_ptr: np.ndarray | None = None,
    attack: float = 0.0,
    ct_mean: float = 27.2,
    ct_sd: float = 7.6,
) -> Infection:
    """An ``Infection`` over ``n`` people; ``household_ptr`` (int64 CSR ending at n) with ``attack``."""
    if not 0.0 <= index_rate <= 1.0 or not 0.0 <= attack <= 1.0:
        raise ValueError(f"index rate and attack rate must lie in [0, 1], got {index_rate}, {attack}")
    ptr = np.zeros(1, dtype=np.int64) if household_ptr is None else household_ptr
    if ptr.dtype != np.int64 or ptr.ndim != 1 or ptr[0] != 0 or (ptr.shape[0] > 1 and ptr[-1] != n):
        raise ValueError(f"household_ptr must be int64 rising from 0 to {n}")
    if np.any(np.diff(ptr) < 0):
        raise ValueError("household_ptr must not fall")
    return Infection(float(index_rate), np.ascontiguousarray(ptr), float(attack), float(ct_mean), float(ct_sd))


def simulate_tally(design: StagedDesign, a: Assay, f: Infection, seeds: np.ndarray) -> np.ndarray:
    """One campaign per seed (int64) on every core: the tally int64[replicates, NCOLS]
    (columns TESTS, ROUNDS, INFECTED, TP, FP, FN, TN)."""
    d = check_staged(design)
    nstages = d.stage_ptr.shape[0] - 1
    if not isinstance(a, Assay) or a.se.shape != (nstages,) or a.sp.shape != (nstages,):
        raise TypeError(f"a must be an Assay with one Se/Sp per stage ({nstages}); build it with assay()")
    if not isinstance(f, Infection) or (
        f.household_ptr.shape[0] > 1 and f.household_ptr[-1] != d.leaf_of_member.shape[0]
    ):
        raise TypeError("f must be an Infection over the design's people; build it with infection()")
    if not isinstance(seeds, np.ndarray) or seeds.dtype != np.int64 or seeds.ndim != 1:
        raise TypeError("seeds must be a 1-D numpy array of int64")
    out = np.zeros((seeds.shape[0], NCOLS), dtype=np.int64)
    _simulate(d, a, f, seeds, numba.get_num_threads(), out)
    return out


def run_campaign(
    design: StagedDesign, a: Assay, status: np.ndarray, conc: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """One campaign on given infections (bool per person) and concentrations (float64, read
    where infected): (tally int64[NCOLS], calls bool per person)."""
    d = check_staged(design)
    n = d.leaf_of_member.shape[0]
    if not isinstance(status, np.ndarray) or status.dtype != np.bool_ or status.shape != (n,):
        raise TypeError(f"status must be bool with one entry per person ({n})")
    if not isinstance(conc, np.ndarray) or conc.dtype != np.float64 or conc.shape != (n,):
        raise TypeError(f"conc must be float64 with one entry per person ({n})")
    nstages = d.stage_ptr.shape[0] - 1
    if not isinstance(a, Assay) or a.se.shape != (nstages,):
        raise TypeError("a must be an Assay with one Se/Sp per stage; build it with assay()")
    tally = np.zeros(NCOLS, dtype=np.int64)
    calls = np.zeros(n, dtype=np.bool_)
    _one(d, a, status, conc, np.int64(seed), calls, tally)
    return tally, calls
