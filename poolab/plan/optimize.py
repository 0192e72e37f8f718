"""The design of a family with the fewest expected tests per individual (binGroup2 ``OTC1``).

Every candidate of the family is evaluated in one vectorised call of the closed forms:
``dorfman:K`` for K = 2..max, ``hier:K1-K2`` for 3 <= K1 <= max and 2 <= K2 < K1,
``array:R`` and ``array-master:R`` for R = 2..max (as in binGroup2, the size bound applies
to the row/column pool; the master pool holds R*R). The minimum of E/n wins; ties (within
1e-12) go to the smaller pool (then the smaller subpool), because candidates are ordered
that way and the first minimum is taken.

Constraints a lab has: ``min_pse`` drops designs whose pooling sensitivity is below it,
and a ``DilutionModel`` makes pools lose sensitivity with their size (exactly, for
dorfman, hier, array and array-master: ``exact_dilution.py``; hier under dilution costs
about K³ and takes about a second up to K = 100).

binGroup2's D3 search also tries unequal subpool sizes (every partition of K1); the SPEC
grammar only has equal subpools plus a remainder, which is what is searched here.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import numpy.typing as npt

from poolab.plan.dilution import DilutionModel
from poolab.plan.opchar import (
    BadPlanInput,
    OperatingCharacteristics,
    check_prevalence,
    family_arrays,
    from_arrays,
    stage_values,
)
from poolab.plan.spec import DesignSpec

FAMILIES = ("dorfman", "hier", "array", "array-master", "std")
MAX_POOL_SIZE = 1000
_TIE = 1e-12


@attrs.frozen(slots=True)
class Optimum:
    """The best design of a family, the runners-up and how many candidates were tried."""

    family: str
    spec: DesignSpec
    best: OperatingCharacteristics
    ranked: tuple[OperatingCharacteristics, ...]
    candidates: int
    feasible: int


def candidates(family: str, max_pool_size: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None]:
    """Candidate sizes of ``family`` in search order (smaller pools first)."""
    if family not in FAMILIES:
        raise BadPlanInput(f"unknown family {family!r}; use one of: {', '.join(FAMILIES)}")
    lowest = 3 if family == "hier" else 2
    if not (lowest <= max_pool_size <= MAX_POOL_SIZE):
        raise BadPlanInput(
            f"max pool size for {family} must be between {lowest} and {MAX_POOL_SIZE} (value {max_pool_size!r})"
        )
    if family == "std":  # std:Q-K: Q prime (the pool size), 1 <= K <= Q pools per person
        primes = [q for q in range(2, max_pool_size + 1) if all(q % d for d in range(2, int(q**0.5) + 1))]
        qs = np.asarray([q for q in primes for _ in range(1, q + 1)], dtype=np.int64)
        ks = np.asarray([k for q in primes for k in range(1, q + 1)], dtype=np.int64)
        return qs, ks
    if family != "hier":
        return np.arange(2, max_pool_size + 1, dtype=np.int64), None
    k1, k2 = np.meshgrid(
        np.arange(3, max_pool_size + 1, dtype=np.int64),
        np.arange(2, max_pool_size, dtype=np.int64),
        indexing="ij",
    )
    keep = k2 < k1
    return k1[keep], k2[keep]


def _spec(family: str, k1: int, k2: int | None) -> DesignSpec:
    return DesignSpec(family, (k1, k2) if k2 is not None else (k1,))


def optimize(
    family: str,
    prevalence: float,
    se: float | Sequence[float] = 1.0,
    sp: float | Sequence[float] = 1.0,
    max_pool_size: int = 100,
    min_pse: float | None = None,
    dilution: DilutionModel | None = None,
    top: int = 5,
) -> Optimum:
    """Search ``family`` for the fewest expected tests per individual under the constraints."""
    p = check_prevalence(prevalence)
    fam = family.strip().lower()
    k1, k2 = candidates(fam, int(max_pool_size))
    ses = stage_values(se, fam, "se")
    sps = stage_values(sp, fam, "sp")
    if min_pse is not None and not (0.0 <= min_pse <= 1.0):
        raise BadPlanInput(f"min PSe must be in [0, 1] (value {min_pse!r})")
    e, pse, psp = family_arrays(fam, k1, p, ses, sps, dilution, k2)
    ok = np.isfinite(e)
    if min_pse is not None:
        ok &= pse >= min_pse - _TIE
    if not ok.any():
        best_pse = float(np.max(pse[np.isfinite(pse)]))
        raise BadPlanInput(
            f"no {fam} design up to pool size {max_pool_size} reaches PSe >= {min_pse} "
            f"at prevalence {p}; the highest PSe is {best_pse:.4f}"
        )
    idx = np.flatnonzero(ok)
    score = e[idx]
    # stable sort: equal E/n keeps the search order, i.e. the smaller pool first
    order = idx[np.argsort(score, kind="stable")]
    best_e = float(e[order[0]])
    ties = order[e[order] <= best_e + _TIE]
    first = int(ties.min())  # candidates are ordered by size: smallest index = smallest pool
    ranked_idx = [first] + [int(i) for i in order if int(i) != first][: max(top - 1, 0)]

    def wrap(i: int) -> OperatingCharacteristics:
        spec = _spec(fam, int(k1[i]), None if k2 is None else int(k2[i]))
        return from_arrays(str(spec), p, float(e[i]), float(pse[i]), float(psp[i]))

    ranked = tuple(wrap(i) for i in ranked_idx)
    best_spec = _spec(fam, int(k1[first]), None if k2 is None else int(k2[first]))
    return Optimum(
        family=fam,
        spec=best_spec,
        best=ranked[0],
        ranked=ranked,
        candidates=int(k1.size),
        feasible=int(idx.size),
    )
