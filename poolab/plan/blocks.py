"""Operating characteristics as sums over people, so that blocks of different sizes add up.

A layout of N people is whole blocks plus a partial last one (or leftovers laid out
another way); each block's closed form gives its expected tests and, summed over its
people, P(called positive | infected) and P(called positive | not infected). Every person
is infected with the same prevalence, so the layout's PSe is the mean over people of
their PSe (Σ found / N), its PSp likewise, and the predictive values follow from those
(``opchar.from_arrays``): the ratios of expected sums that ``simulate`` estimates.
"""

from __future__ import annotations

import attrs

from poolab.errors import PoolabError


class NotComputed(PoolabError):
    """A figure the closed forms do not compute exactly at this size (the message says
    what to use instead)."""


@attrs.frozen(slots=True)
class BlockTotals:
    """Sums over the people of a block (or a layout): expected tests, Σ P(called
    positive | infected) and Σ P(called positive | not infected).

    ``slack``: how far each of the three sums may be from the exact one, where a closed
    form gives an interval rather than a value (std:Q-K-G with G >= 2 under dilution:
    ``std_dilution.py``); the sums are then the interval's midpoints. Zero when exact."""

    people: int
    tests: float
    found: float
    false: float
    slack: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __add__(self, other: BlockTotals) -> BlockTotals:
        a, b = self.slack, other.slack
        return BlockTotals(
            self.people + other.people,
            self.tests + other.tests,
            self.found + other.found,
            self.false + other.false,
            (a[0] + b[0], a[1] + b[1], a[2] + b[2]),
        )

    def times(self, k: int) -> BlockTotals:
        """``k`` copies of this block."""
        s = self.slack
        return BlockTotals(
            self.people * k, self.tests * k, self.found * k, self.false * k, (s[0] * k, s[1] * k, s[2] * k)
        )

    @property
    def per_person(self) -> tuple[float, float, float]:
        """(E/n, PSe, PSp)."""
        n = max(self.people, 1)
        return self.tests / n, self.found / n, 1.0 - self.false / n

    @property
    def bounded(self) -> bool:
        """The figures are midpoints of intervals (some slack), not exact values."""
        return any(v > 0.0 for v in self.slack)

    @property
    def per_person_bound(self) -> tuple[float, float, float]:
        """How far (E/n, PSe, PSp) may be from the exact figures (see ``slack``)."""
        n = max(self.people, 1)
        return self.slack[0] / n, self.slack[1] / n, self.slack[2] / n


NO_PEOPLE = BlockTotals(0, 0.0, 0.0, 0.0)


def from_rates(people: int, e: float, pse: float, psp: float) -> BlockTotals:
    """The totals of ``people`` whose per-person figures are (E/n, PSe, PSp)."""
    return BlockTotals(people, e * people, pse * people, (1.0 - psp) * people)


def individual_block(people: int, se: float, sp: float) -> BlockTotals:
    """``people`` tested alone once, plain assay."""
    return BlockTotals(people, float(people), se * people, (1.0 - sp) * people)


def dorfman_block(size: int, p: float, pool: tuple[float, float], alone: tuple[float, float]) -> BlockTotals:
    """One pool of ``size`` (its (Se, Sp)), every member of a positive pool tested alone
    (``alone``: (Se, Sp)); a pool of one is tested, then its member alone (the lab rule)."""
    (se1, sp1), (se2, sp2) = pool, alone
    q = 1.0 - p
    positive = se1 * (1.0 - q**size) + (1.0 - sp1) * q**size
    others = q ** (size - 1)
    positive_if_clear = se1 * (1.0 - others) + (1.0 - sp1) * others
    return BlockTotals(size, 1.0 + size * positive, size * se1 * se2, size * positive_if_clear * (1.0 - sp2))
