"""Laws of a positive's concentration, put on a lattice for the exact closed forms.

Concentrations are in units of the detection limit: ``x = 2**(limit_ct - Ct)``, so a
positive tested alone is detectable when ``x >= 1`` and a pool of ``s`` when the sum of its
positives' ``x`` is at least ``s`` (the simulator's rule, ``poolab.kernels.simulate``:
``sum of 2**-Ct >= s * 2**-limit_ct``). Under ``DilutionModel``, ``log2 x`` is
Normal(limit_ct - ct_mean, ct_sd).

Two laws: ``LognormalLaw`` (the model) and ``AtomLaw`` (finitely many values: an
empirical Ct histogram, or a law small enough to enumerate in tests). Either one gives,
for a lattice:

* ``cell(law, p, lattice)``: the law of one member of a pool, ``(1-p)·δ0 + p·law``;
* ``focal(law, lattice)``: the positive's own law split by its own detectability, the
  parts with ``x < 1`` and ``x >= 1`` (split exactly, whatever the lattice step), held
  as ``Focal`` explains.

The lognormal is put on the lattice by a mean-preserving split: the mass of each cell
``[k·h, (k+1)·h)`` goes to its two ends in the proportions that keep its mean. With the
half-weight ties of ``lattice.tails`` every threshold probability is then accurate to
O(h²) (trapezoid rule); ``tests/test_plan_exact_dilution.py`` checks the size of the error
against direct numerical integration.
"""

from __future__ import annotations

import math
from typing import Protocol

import attrs
import numpy as np

from poolab.plan.dilution import DilutionModel, check_model
from poolab.plan.lattice import Arr, Lattice

_LN2 = math.log(2.0)
_ERFC = np.frompyfunc(math.erfc, 1, 1)


def _ndtr(z: Arr) -> Arr:
    """Standard normal CDF through erfc (full relative precision in the lower tail)."""
    return np.asarray(0.5 * _ERFC(-np.asarray(z, dtype=np.float64) / math.sqrt(2.0)), dtype=np.float64)


class ConcentrationLaw(Protocol):
    """What the exact closed forms need of a law of ``x`` (see the module docstring)."""

    @property
    def tie(self) -> float:
        """How a focal value that meets a threshold exactly counts (``Focal.tie``)."""
        ...

    def measure(self, lattice: Lattice, lo: float, hi: float) -> Arr:
        """The law restricted to ``lo <= x < hi``, on ``lattice``, for any member of a pool."""
        ...

    def focal_measure(self, lattice: Lattice, lo: float, hi: float) -> Arr:
        """The same for the focal person (see ``Focal``)."""
        ...


@attrs.frozen(slots=True, eq=False)
class Focal:
    """The focal person's own law, split by its own detectability.

    ``lo``: the part with ``x < 1``; ``hi``: ``x >= 1``. ``tie``: the weight of a threshold
    its value meets exactly. A continuous law puts each cell's mass at the cell's left
    end and reads it just above (``tie = 1``): with every other term on the lattice, the
    thresholds only change where the focal value crosses a lattice point, so this is
    exact given the others, and it stays exact where the focal value alone decides two
    thresholds at once (its row and its column when both hold nobody else). An atomic
    law keeps its atoms and the ½ of every other term.
    """

    lo: Arr
    hi: Arr
    tie: float


def cell(law: ConcentrationLaw, p: float, lattice: Lattice) -> Arr:
    """The law of one pool member: negative with chance ``1 - p`` (x = 0), else ``law``."""
    out = p * law.measure(lattice, 0.0, math.inf)
    out[0] += 1.0 - p
    return out


def focal(law: ConcentrationLaw, lattice: Lattice, top: float = math.inf) -> Focal:
    """The positive's own law below ``top`` (all of it by default), split at ``x = 1``."""
    return Focal(law.focal_measure(lattice, 0.0, min(1.0, top)), law.focal_measure(lattice, 1.0, top), law.tie)


@attrs.frozen(slots=True)
class LognormalLaw:
    """``log2 x ~ Normal(mu, sd)``; ``from_model`` reads a ``DilutionModel``."""

    mu: float
    sd: float

    @property
    def tie(self) -> float:
        """A focal value is read just above its cell's left end (``Focal``)."""
        return 1.0

    @classmethod
    def from_model(cls, model: DilutionModel) -> LognormalLaw:
        """``x = 2**(limit_ct - Ct)`` with ``Ct ~ Normal(ct_mean, ct_sd)``."""
        check_model(model)
        return cls(model.limit_ct - model.ct_mean, model.ct_sd)

    def _cdf(self, x: Arr) -> Arr:
        with np.errstate(divide="ignore"):
            z = (np.log2(x) - self.mu) / self.sd
        return _ndtr(z)

    def _partial_mean(self, x: Arr) -> Arr:
        """``E[x; x < b]`` at every ``b`` in ``x`` (the lognormal's first partial moment)."""
        s = self.sd * _LN2
        m = self.mu * _LN2
        with np.errstate(divide="ignore"):
            z = (np.log(x) - m - s * s) / s
        # in log space: exp(m + s²/2) alone overflows for a very wide Ct spread
        with np.errstate(divide="ignore"):
            return np.asarray(np.exp(m + s * s / 2.0 + np.log(_ndtr(z))), dtype=np.float64)

    def measure(self, lattice: Lattice, lo: float, hi: float) -> Arr:
        """Mean-preserving split of each cell (clipped to ``[lo, hi)``) onto its two ends;
        the mass at or above the top of the lattice goes to the overflow."""
        n, h = lattice.n, lattice.h
        # cells up to (n+1)·h: the last cell's upper share and everything above go to the
        # overflow, so a sum just above the top threshold counts as it would on a longer lattice
        edges = np.arange(n + 2, dtype=np.float64) * h
        a = np.clip(edges[:-1], lo, hi)
        b = np.clip(edges[1:], lo, hi)
        mass = self._cdf(b) - self._cdf(a)
        first = self._partial_mean(b) - self._partial_mean(a)
        safe = np.where(mass > 0.0, mass, 1.0)
        theta = np.clip((first / safe - edges[:-1]) / h, 0.0, 1.0)
        theta = np.where(mass > 0.0, theta, 0.0)
        out = np.zeros(n + 3)
        out[: n + 1] += mass * (1.0 - theta)
        out[1 : n + 2] += mass * theta
        top = max(lo, edges[-1])
        if hi > top:
            out[n + 2] = max(0.0, float(np.diff(self._cdf(np.asarray([top, hi])))[0]))
        out[n + 1] += out[n + 2]
        return out[: n + 2]

    def focal_measure(self, lattice: Lattice, lo: float, hi: float) -> Arr:
        """The mass of each cell ``[k·h, (k+1)·h)`` (clipped to ``[lo, hi)``) at its left end;
        at or above the top, the overflow."""
        n, h = lattice.n, lattice.h
        edges = np.clip(np.arange(n + 1, dtype=np.float64) * h, lo, hi)
        out = np.zeros(n + 2)
        cdf = self._cdf(np.append(edges, hi))
        out[:n] = np.diff(cdf[: n + 1])
        out[n + 1] = max(0.0, float(cdf[-1] - cdf[n]))
        return out


@attrs.frozen(slots=True)
class AtomLaw:
    """Finitely many concentrations ``values`` (limit units) with probabilities ``probs``.

    Values must be lattice points of every lattice used, or above its top.
    """

    values: tuple[float, ...]
    probs: tuple[float, ...]

    @property
    def tie(self) -> float:
        """An atom meeting a threshold exactly counts half, as every other sum does."""
        return 0.5

    def focal_measure(self, lattice: Lattice, lo: float, hi: float) -> Arr:
        """The atoms themselves."""
        return self.measure(lattice, lo, hi)

    def measure(self, lattice: Lattice, lo: float, hi: float) -> Arr:
        """The atoms with ``lo <= value < hi`` on the lattice (above its top: overflow)."""
        out = np.zeros(lattice.n + 2)
        for v, w in zip(self.values, self.probs, strict=True):
            if not lo <= v < hi:
                continue
            out[lattice.n + 1 if v > lattice.top else lattice.index(v)] += w
        return out
