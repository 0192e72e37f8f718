"""The design of a family with the fewest expected tests per individual (binGroup2 ``OTC1``).

Candidates: ``dorfman:K`` for K = 2..max, ``hier:K1-K2`` for 3 <= K1 <= max and
2 <= K2 < K1, ``array:R`` and ``array-master:R`` for R = 2..max (as in binGroup2, the
size bound applies to the row/column pool; the master pool holds R*R), and
``std:Q-K-G`` for every prime Q, compression power G >= 1 with pools of Q^G <= max, and
1 <= K <= Q; and always single tubes (``individual``: one test per person, with the last
stage's Se/Sp, the test of one person), so the answer is "test singly" when no pooling design
of the family needs fewer tests (at a high prevalence, or under a PSe floor that pools
cannot keep). Without ``residents`` each is evaluated per full block, the whole family in
one vectorised call of the closed forms; with ``residents`` N, each as laid out on N
people, partial last block and leftovers included (``residents.py``). The minimum of E/n
wins; ties (within 1e-12) go to the smaller pool (then the smaller subpool, then fewer
pools per person; single tubes before any pool), because candidates are ordered that way
and the first minimum is taken.

Constraints a lab has: ``min_pse`` drops designs whose pooling sensitivity is below it,
and a ``DilutionModel`` makes pools lose sensitivity with their size (exactly, for
dorfman, hier, array, array-master and std:Q-K: ``exact_dilution.py``,
``std_dilution.py``; hier under dilution costs about K³ and takes about a second up to
K = 100). std:Q-K-G with G >= 2 under dilution is known within a proven bound: a design
whose bound is above ``LOOSE`` (1%) of any of its figures is left out, and the PSe floor
is held by the lowest PSe the bound allows.

binGroup2's D3 search also tries unequal subpool sizes (every partition of K1); the SPEC
grammar only has equal subpools plus a remainder, which is what is searched here.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import numpy.typing as npt

from poolab.i18n import _
from poolab.plan import std_dilution
from poolab.plan.blocks import NotComputed
from poolab.plan.concentration import LognormalLaw
from poolab.plan.dilution import DilutionModel
from poolab.plan.families import family_arrays
from poolab.plan.inputs import BadPlanInput, check_prevalence, check_residents, stage_values
from poolab.plan.opchar import OperatingCharacteristics, from_arrays
from poolab.plan.residents import hier_layouts, layout_totals
from poolab.plan.spec import MAX_PLANNED_POOL, DesignSpec, is_prime
from poolab.plan.transversal import full_block, g1_layouts

FAMILIES = ("dorfman", "hier", "array", "array-master", "std")
_TIE = 1e-12
Arr = npt.NDArray[np.float64]


@attrs.frozen(slots=True)
class Optimum:
    """The best design of a family (or single tubes, when no design of it needs fewer
    tests), the runners-up and how many candidates were tried."""

    family: str
    spec: DesignSpec
    best: OperatingCharacteristics
    ranked: tuple[OperatingCharacteristics, ...]
    candidates: int
    feasible: int
    min_pse: float | None = None  # the PSe floor the search kept to, if any

    @property
    def singly(self) -> bool:
        """Single tubes won: pooling does not pay at this prevalence (or under this floor)."""
        return self.spec.family == "individual"


LOOSE = 0.01
"""A design whose figures are known only within a bound (std:Q-K-G with G >= 2 under
dilution, ``std_dilution.py``) is left out when the bound of its tests per person, PSe or
PSp is above this share of the figure."""

LOW_PSE = 0.9
"""A recommendation that finds fewer positives than this comes with a warning."""


def check_max_pool_size(max_pool_size: int, family: str = "dorfman") -> int:
    """``max_pool_size`` if the optimiser can search up to it for ``family``."""
    lowest = 3 if family == "hier" else 2
    if isinstance(max_pool_size, bool) or not isinstance(max_pool_size, int | np.integer):
        raise BadPlanInput(_("max pool size must be a whole number (value {value})").format(value=repr(max_pool_size)))
    if not (lowest <= max_pool_size <= MAX_PLANNED_POOL):
        raise BadPlanInput(
            _("max pool size for {family} must be between {low} and {high} (value {value})").format(
                family=family, low=lowest, high=MAX_PLANNED_POOL, value=repr(max_pool_size)
            )
        )
    return int(max_pool_size)


def candidates(family: str, max_pool_size: int) -> npt.NDArray[np.int64]:
    """Candidate sizes of ``family`` in search order (smaller pools first), one row each:
    (K,) dorfman, (K1, K2) hier, (R,) arrays, (Q, K, G) std."""
    if family not in FAMILIES:
        raise BadPlanInput(
            _("unknown family {family}; use one of: {families}").format(
                family=repr(family), families=", ".join(FAMILIES)
            )
        )
    top = check_max_pool_size(max_pool_size, family)
    if family == "std":  # pools of Q^G <= top; 1 <= K <= Q pools per person
        rows = [
            (q, k, g)
            for q in range(2, top + 1)
            if is_prime(q)
            for g in range(1, 64)
            if q**g <= top
            for k in range(1, q + 1)
        ]
        rows.sort(key=lambda r: (r[0] ** r[2], r[0], r[1]))
        return np.asarray(rows, dtype=np.int64).reshape(-1, 3)
    if family != "hier":
        return np.arange(2, top + 1, dtype=np.int64)[:, None]
    k1, k2 = np.meshgrid(np.arange(3, top + 1, dtype=np.int64), np.arange(2, top, dtype=np.int64), indexing="ij")
    keep = k2 < k1
    return np.stack([k1[keep], k2[keep]], axis=1)


Figures = tuple[Arr, Arr, Arr, Arr]
"""(E/n, PSe, PSp) per candidate, and (3, candidates) of their bounds (0 where exact)."""


def _exact(e: Arr, pse: Arr, psp: Arr) -> Figures:
    return e, pse, psp, np.zeros((3, e.shape[0]))


def _per_block(
    family: str, sizes: npt.NDArray[np.int64], p: float, se: tuple[float, ...], sp: tuple[float, ...],
    dilution: DilutionModel | None,
) -> Figures:  # fmt: skip
    """(E/n, PSe, PSp) of every candidate, per full block, and their bounds."""
    if family == "hier":
        return _exact(*family_arrays("hier", sizes[:, 0], p, se, sp, dilution, sizes[:, 1]))
    if family != "std":
        return _exact(*family_arrays(family, sizes[:, 0], p, se, sp, dilution))
    e, pse, psp = (np.empty(sizes.shape[0]) for _ in range(3))
    bound = np.zeros((3, sizes.shape[0]))
    if dilution is not None:  # every K of one (Q, G) on one lattice
        law = LognormalLaw.from_model(dilution)
        for q, g in {(int(r[0]), int(r[2])) for r in sizes}:
            rows = np.flatnonzero((sizes[:, 0] == q) & (sizes[:, 2] == g))
            blocks = std_dilution.full_blocks(q, sizes[rows, 1].tolist(), g, p, se, sp, law)
            for i, totals in zip(rows.tolist(), blocks, strict=True):
                e[i], pse[i], psp[i] = totals.per_person
                bound[:, i] = totals.per_person_bound
        return e, pse, psp, bound
    plain = sizes[:, 2] == 1
    if plain.any():
        e[plain], pse[plain], psp[plain] = family_arrays("std", sizes[plain, 0], p, se, sp, None, sizes[plain, 1])
    for i in np.flatnonzero(~plain).tolist():
        q, k, g = (int(v) for v in sizes[i])
        e[i], pse[i], psp[i] = full_block(q, k, g, p, se, sp)
    return e, pse, psp, bound


def _laid_out(
    family: str, sizes: npt.NDArray[np.int64], n: int, p: float, se: tuple[float, ...], sp: tuple[float, ...],
    dilution: DilutionModel | None,
) -> Figures:  # fmt: skip
    """(E/n, PSe, PSp) of every candidate laid out on ``n`` people, and their bounds; NaN
    where the figure is not computed (a large partial std block with G >= 2)."""
    out = np.full((3, sizes.shape[0]), np.nan)
    bound = np.zeros((3, sizes.shape[0]))
    done = np.zeros(sizes.shape[0], dtype=bool)
    if family == "hier":  # every pair in one vectorised pass
        tests, found, false = hier_layouts(sizes[:, 0], sizes[:, 1], n, p, se, sp, dilution)
        return _exact(tests / n, found / n, 1.0 - false / n)
    if family == "std":  # every K of one Q (G = 1) in one pass
        for q in np.unique(sizes[sizes[:, 2] == 1, 0]).tolist():
            rows = np.flatnonzero((sizes[:, 0] == q) & (sizes[:, 2] == 1))
            totals = g1_layouts(q, n, p, se, sp, dilution)
            for i in rows.tolist():
                out[:, i] = totals[int(sizes[i, 1]) - 1].per_person
                done[i] = True
    for i in np.flatnonzero(~done).tolist():
        spec = _spec(family, sizes[i])
        try:
            laid = layout_totals(spec, n, p, se, sp, dilution)
        except NotComputed:
            continue
        out[:, i] = laid.per_person
        bound[:, i] = laid.per_person_bound
    return out[0], out[1], out[2], bound


def _spec(family: str, row: npt.NDArray[np.int64]) -> DesignSpec:
    return DesignSpec(family, tuple(int(v) for v in row))


def optimize(
    family: str,
    prevalence: float,
    se: float | Sequence[float] = 1.0,
    sp: float | Sequence[float] = 1.0,
    max_pool_size: int = 100,
    min_pse: float | None = None,
    dilution: DilutionModel | None = None,
    top: int = 5,
    residents: int | None = None,
) -> Optimum:
    """Search ``family`` for the fewest expected tests per individual under the
    constraints; with ``residents``, as laid out on that many people."""
    p = check_prevalence(prevalence)
    fam = family.strip().lower()
    sizes = candidates(fam, max_pool_size)
    ses = stage_values(se, fam, "se")
    sps = stage_values(sp, fam, "sp")
    n = check_residents(residents)
    if min_pse is not None and not (0.0 <= min_pse <= 1.0):
        raise BadPlanInput(_("min PSe must be in [0, 1] (value {value})").format(value=repr(min_pse)))
    if n is None:
        e, pse, psp, bound = _per_block(fam, sizes, p, ses, sps, dilution)
    else:
        e, pse, psp, bound = _laid_out(fam, sizes, n, p, ses, sps, dilution)
    # single tubes first: candidate 0, the smallest "pool", so it wins a tie
    alone = family_arrays("individual", [1], p, ses[-1:], sps[-1:], dilution)
    e, pse, psp = (np.concatenate([a, b]) for a, b in zip(alone, (e, pse, psp), strict=True))
    bound = np.concatenate([np.zeros((3, 1)), bound], axis=1)

    def spec_of(i: int) -> DesignSpec:
        return DesignSpec("individual") if i == 0 else _spec(fam, sizes[i - 1])

    ok = np.isfinite(e)
    # a figure known only within a bound wider than LOOSE of itself is no basis for a choice
    ok &= (bound[0] <= LOOSE * e) & (bound[1] <= LOOSE * pse) & (bound[2] <= LOOSE * psp)
    if min_pse is not None:  # the floor holds for the exact PSe: its lowest possible value
        ok &= pse - bound[1] >= min_pse - _TIE
    if not ok.any():
        best_pse = float(np.max(pse[np.isfinite(pse)]))
        raise BadPlanInput(
            _(
                "neither single tubes nor any {family} design up to pool size {size} reaches PSe >= {floor} at "
                "prevalence {prevalence}; the highest PSe is {best}"
            ).format(family=fam, size=max_pool_size, floor=min_pse, prevalence=p, best=f"{best_pse:.4f}")
        )
    idx = np.flatnonzero(ok)
    # stable sort: equal E/n keeps the search order, i.e. the smaller pool first
    order = idx[np.argsort(e[idx], kind="stable")]
    best_e = float(e[order[0]])
    ties = order[e[order] <= best_e + _TIE]
    first = int(ties.min())  # candidates are ordered by size: smallest index = smallest pool
    ranked_idx = [first] + [int(i) for i in order if int(i) != first][: max(top - 1, 0)]

    def wrap(i: int) -> OperatingCharacteristics:
        b = (float(bound[0, i]), float(bound[1, i]), float(bound[2, i]))
        return from_arrays(str(spec_of(i)), p, float(e[i]), float(pse[i]), float(psp[i]), b)

    ranked = tuple(wrap(i) for i in ranked_idx)
    return Optimum(
        family=fam,
        spec=spec_of(first),
        best=ranked[0],
        ranked=ranked,
        candidates=int(sizes.shape[0]) + 1,
        feasible=int(idx.size),
    )
