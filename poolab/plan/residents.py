"""Operating characteristics of the actual layout of N people: whole blocks, and the
partial last block (or an array's leftovers) as the layout really tests them.

``designs.design_for`` lays N people out so (the simulator runs that layout), and each
piece here is the closed form of one piece of it:

* ``individual``: N tests alone.
* ``dorfman:K``: N // K pools of K, then one pool of N mod K (a pool of one is tested,
  then its member alone: the lab rule).
* ``hier:K1-K2``: N // K1 blocks, then a block of r = N mod K1: with subpools of K2 when
  r > K2, straight to individual tests (individual stage) when 2 <= r <= K2, and a
  block of one is that person's only test (the pool stage).
* ``array:R`` / ``array-master:R``: N // R² squares, then the leftovers as
  ``leftovers.py`` lays them out (a partial square, Dorfman pools of R or tests alone,
  the cheapest at this prevalence and Se/Sp).
* ``std:Q-K-G``: N // Q^(G+1) full blocks, then the first N mod Q^(G+1) people of a
  block, exactly (``transversal.py``).

Under dilution every piece is exact (the dilution-aware closed forms of
``exact_dilution.py`` for pools, blocks and subpools of any size, ``std_dilution.py`` for
std:Q-K) except a partial array square, which takes the plain closed form with its rows'
and columns' Se scaled by the share of positives detectable in a pool of R (marked as
approximate where it is documented for users), and std:Q-K-G with G >= 2, whose figures
are midpoints with a proven bound (``BlockTotals.slack``, printed beside them).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from poolab.plan.array_block import array_block
from poolab.plan.blocks import NO_PEOPLE, BlockTotals, from_rates
from poolab.plan.dilution import DilutionModel, detectable_fraction
from poolab.plan.families import family_arrays
from poolab.plan.leftovers import choose_leftovers, leftover_totals
from poolab.plan.spec import DesignSpec
from poolab.plan.transversal import layout_totals as std_totals

Stages = tuple[float, ...]
Arr = npt.NDArray[np.float64]


def _family(
    family: str, size: int, people: int, p: float, se: Stages, sp: Stages, dilution: DilutionModel | None,
    k2: int | None = None,
) -> BlockTotals:  # fmt: skip
    """``people`` in blocks of ``family`` with first size ``size`` (each block full)."""
    if people == 0:
        return NO_PEOPLE
    e, pse, psp = family_arrays(family, [size], p, se, sp, dilution, None if k2 is None else [k2])
    return from_rates(people, float(e[0]), float(pse[0]), float(psp[0]))


def _dorfman(k: int, n: int, p: float, se: Stages, sp: Stages, dilution: DilutionModel | None) -> BlockTotals:
    whole, rest = divmod(n, k)
    out = _family("dorfman", k, whole * k, p, se, sp, dilution)
    return out + _family("dorfman", rest, rest, p, se, sp, dilution) if rest else out


def hier_layouts(
    k1: npt.NDArray[np.int64], k2: npt.NDArray[np.int64], n: int, p: float, se: Stages, sp: Stages,
    dilution: DilutionModel | None,
) -> tuple[Arr, Arr, Arr]:  # fmt: skip
    """Totals (tests, found, false) of ``hier:K1-K2`` on ``n`` people for every pair at
    once: whole blocks, then the last block by its size (see the module docstring)."""
    whole, rest = np.divmod(n, k1)
    e, pse, psp = family_arrays("hier", k1, p, se, sp, dilution, k2)
    people = (whole * k1).astype(np.float64)
    tests, found, false = e * people, pse * people, (1.0 - psp) * people
    parts = (
        (rest > k2, "hier", se, sp),  # subpools of K2
        ((rest >= 2) & (rest <= k2), "dorfman", (se[0], se[2]), (sp[0], sp[2])),  # pool, then alone
        (rest == 1, "individual", se[:1], sp[:1]),  # a block of one: its pool is the test
    )
    for mask, family, ses, sps in parts:
        if mask.any():
            m = rest[mask].astype(np.float64)
            k2m = k2[mask] if family == "hier" else None
            e, pse, psp = family_arrays(family, rest[mask], p, ses, sps, dilution, k2m)
            tests[mask] += e * m
            found[mask] += pse * m
            false[mask] += (1.0 - psp) * m
    return tests, found, false


def _hier(k1: int, k2: int, n: int, p: float, se: Stages, sp: Stages, dilution: DilutionModel | None) -> BlockTotals:
    one = np.asarray([k1], dtype=np.int64), np.asarray([k2], dtype=np.int64)
    tests, found, false = hier_layouts(*one, n, p, se, sp, dilution)
    return BlockTotals(n, float(tests[0]), float(found[0]), float(false[0]))


def array_leftovers(spec: DesignSpec, n: int, p: float, se: Stages, sp: Stages) -> str:
    """How ``array:R``/``array-master:R`` on ``n`` people tests its leftovers (``leftovers.py``)."""
    r = spec.sizes[0]
    return choose_leftovers(spec.family == "array-master", r, n % (r * r), p, se, sp)


def _array(spec: DesignSpec, n: int, p: float, se: Stages, sp: Stages, dilution: DilutionModel | None) -> BlockTotals:
    r = spec.sizes[0]
    master = spec.family == "array-master"
    whole, rest = divmod(n, r * r)
    out = _family(spec.family, r, whole * r * r, p, se, sp, dilution)
    if rest == 0:
        return out
    layout = array_leftovers(spec, n, p, se, sp)
    if dilution is None:
        return out + leftover_totals(layout, master, r, rest, p, se, sp)
    line, alone = (1, 2) if master else (0, 1)
    if layout == "individual":
        return out + _family("individual", 1, rest, p, se[alone:], sp[alone:], dilution)
    if layout == "dorfman":
        pools = (se[line], se[alone]), (sp[line], sp[alone])
        return out + _dorfman(r, rest, p, pools[0], pools[1], dilution)
    # a partial square: approximate (module docstring); the master pool holds `rest` people
    m = (se[0] * detectable_fraction(rest, dilution), sp[0]) if master else None
    lines = (se[line] * detectable_fraction(r, dilution), sp[line])
    return out + array_block(rest, r, p, lines, (se[alone], sp[alone]), m)


def layout_totals(
    spec: DesignSpec, n: int, p: float, se: Stages, sp: Stages, dilution: DilutionModel | None = None
) -> BlockTotals:
    """Totals of ``spec`` laid out on ``n`` people (``se``/``sp``: one per stage)."""
    if spec.family == "individual":
        return _family("individual", 1, n, p, se, sp, dilution)
    if spec.family == "dorfman":
        return _dorfman(spec.sizes[0], n, p, se, sp, dilution)
    if spec.family == "hier":
        return _hier(spec.sizes[0], spec.sizes[1], n, p, se, sp, dilution)
    if spec.family in ("array", "array-master"):
        return _array(spec, n, p, se, sp, dilution)
    if spec.family == "std":
        q, k, g = spec.sizes
        return std_totals(q, k, g, n, p, se, sp, dilution)
    raise ValueError(f"no layout for family {spec.family!r}")
