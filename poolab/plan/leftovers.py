"""What an array design does with the people left over after its full R×R squares.

``array:R`` and ``array-master:R`` on N people fill N // R² full squares; the last
N mod R² people (all N when N < R²) are the leftovers. Three ways to test them:

* ``rectangle``: one more block filled row-major into rows of R, its last row short (with
  a master pool over it for array-master), tested like a square (``array_block``);
* ``dorfman``: pools of R (the row size, so no pool is larger than the design's), the
  last holding the rest, every member of a positive pool tested alone;
* ``individual``: each tested alone.

The rule: the one with the fewest expected tests at the planned prevalence and Se/Sp, by
the closed forms (``array_block.array_block``, ``blocks.dorfman_block``,
``blocks.individual_block``); ties go to the rectangle, then Dorfman. The layout
(``designs.array``), the simulator and ``plan opchar --residents`` all take the choice
from here, so the three agree. The choice is made with the plain assay's closed forms
even under dilution (dilution changes the figures, not the layout).

Which assay stage tests what: a rectangle's rows and columns are the row/column stage,
its cells the individual stage; Dorfman pools are the row/column stage (they are R
people, as a row is) and their retests the individual stage; individual leftovers are
the individual stage. With a master pool the row/column stage is the second stage, so
Dorfman pools and individual leftovers are tested in the second and third rounds.
"""

from __future__ import annotations

from collections.abc import Sequence

from poolab.plan.array_block import array_block
from poolab.plan.blocks import NO_PEOPLE, BlockTotals, dorfman_block, individual_block

LEFTOVER_LAYOUTS = ("rectangle", "dorfman", "individual")
_TIE = 1e-12


def _stages(master: bool, se: Sequence[float], sp: Sequence[float]) -> tuple[tuple[float, float], ...]:
    """(master, line, individual) (Se, Sp) pairs; (1, 1) stands in for the master pool an
    array without one does not have."""
    if master:
        return (se[0], sp[0]), (se[1], sp[1]), (se[2], sp[2])
    return (1.0, 1.0), (se[0], sp[0]), (se[1], sp[1])


def leftover_totals(
    layout: str, master: bool, r: int, count: int, p: float, se: Sequence[float], sp: Sequence[float]
) -> BlockTotals:
    """Totals of ``count`` leftovers of ``array:R`` (``master``: array-master) laid out as
    ``layout``, plain assay; ``se``/``sp`` one per stage of the family."""
    if count == 0:
        return NO_PEOPLE
    mast, line, alone = _stages(master, se, sp)
    if layout == "rectangle":
        return array_block(count, r, p, line, alone, mast if master else None)
    if layout == "dorfman":
        whole, rest = divmod(count, r)
        out = dorfman_block(r, p, line, alone).times(whole)
        return out + dorfman_block(rest, p, line, alone) if rest else out
    if layout == "individual":
        return individual_block(count, *alone)
    raise ValueError(f"leftover layout {layout!r} is not one of {', '.join(LEFTOVER_LAYOUTS)}")


def choose_leftovers(master: bool, r: int, count: int, p: float, se: Sequence[float], sp: Sequence[float]) -> str:
    """The leftover layout with the fewest expected tests (ties: rectangle, then dorfman)."""
    if count == 0:
        return "rectangle"
    costs = [leftover_totals(layout, master, r, count, p, se, sp).tests for layout in LEFTOVER_LAYOUTS]
    best = min(costs)
    return next(layout for layout, cost in zip(LEFTOVER_LAYOUTS, costs, strict=True) if cost <= best + _TIE)
