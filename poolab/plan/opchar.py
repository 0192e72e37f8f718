"""Operating characteristics of one design at one prevalence: the per-block closed forms
(``families.py``, ``transversal.py``), or with ``residents`` those of the actual layout of
N people, partial last block and leftovers included (``residents.py``).

The figures (the keys of docs/formats.md), for a person of the layout picked at random, everyone
infected with the same prevalence p:

* ``expected_tests_per_individual``: expected tests (every stage) divided by the people;
* ``pse``: P(called positive | infected), the pooling sensitivity;
* ``psp``: P(called negative | not infected), the pooling specificity;
* ``pppv``: P(infected | called positive) = p·PSe / (p·PSe + (1 - p)·(1 - PSp));
* ``pnpv``: P(not infected | called negative) = (1 - p)·PSp / ((1 - p)·PSp + p·(1 - PSe)).

Over many campaigns these are the ratios of sums ``simulate`` reports: tests / people,
true positives / infected, and so on (Altman & Bland; binGroup2's ``Overall`` accuracy).

Every figure is exact (to about 1e-6 under dilution) except those of std:Q-K-G with G >= 2
under dilution, which are the midpoints of proven intervals (``std_dilution.py``): those
carry ``error_bound``, how far each figure may be from the exact one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from poolab.i18n import _
from poolab.plan.dilution import DilutionModel
from poolab.plan.families import family_arrays, predictive
from poolab.plan.inputs import BadPlanInput, check_prevalence, check_residents, stage_values
from poolab.plan.residents import layout_totals
from poolab.plan.spec import DesignSpec, parse_spec
from poolab.plan.transversal import full_block, full_block_totals

FIGURES = ("expected_tests_per_individual", "pse", "psp", "pppv", "pnpv")


@attrs.frozen(slots=True)
class ErrorBound:
    """How far each figure may be from the exact one (figures that are the midpoints of
    proven intervals: std:Q-K-G with G >= 2 under dilution)."""

    expected_tests_per_individual: float
    pse: float
    psp: float
    pppv: float
    pnpv: float

    def loose(self, figures: OperatingCharacteristics, limit: float) -> bool:
        """Some figure's bound is above ``limit`` times the figure (E/n, PSe, PSp)."""
        return any(getattr(self, k) > limit * abs(getattr(figures, k)) for k in FIGURES[:3])


@attrs.frozen(slots=True)
class OperatingCharacteristics:
    """Expected tests per individual and pooling accuracy of one design (the keys of
    docs/formats.md); ``error_bound`` where the figures are bounded rather than exact."""

    design: str
    expected_tests_per_individual: float
    pse: float
    psp: float
    pppv: float
    pnpv: float
    error_bound: ErrorBound | None = None

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` object: the six contract keys, in contract order; then
        ``error_bound`` (the same five figures' bounds) when the figures have one."""
        out: dict[str, Any] = {"design": self.design, **{k: getattr(self, k) for k in FIGURES}}
        if self.error_bound is not None:
            out["error_bound"] = attrs.asdict(self.error_bound)
        return out


def from_arrays(
    design: str, p: float, e: float, pse: float, psp: float, bound: tuple[float, float, float] | None = None
) -> OperatingCharacteristics:
    """Wrap one design's (E/n, PSe, PSp) with its predictive values; ``bound``: how far
    (E/n, PSe, PSp) may be from the exact figures, when they are not exact."""
    pppv, pnpv = predictive(p, np.asarray(pse), np.asarray(psp))
    error = None
    if bound is not None and any(b > 0.0 for b in bound):
        # both predictive values rise with PSe and PSp: their extremes are at the corners
        ends = [
            predictive(
                p,
                np.clip(np.asarray(pse + sign * bound[1]), 0.0, 1.0),
                np.clip(np.asarray(psp + sign * bound[2]), 0.0, 1.0),
            )
            for sign in (-1.0, 1.0)
        ]
        error = ErrorBound(
            float(bound[0]),
            float(bound[1]),
            float(bound[2]),
            float(max(abs(float(v[0]) - float(pppv)) for v in ends)),
            float(max(abs(float(v[1]) - float(pnpv)) for v in ends)),
        )
    return OperatingCharacteristics(
        design=design,
        expected_tests_per_individual=float(e),
        pse=float(pse),
        psp=float(psp),
        pppv=float(pppv),
        pnpv=float(pnpv),
        error_bound=error,
    )


def opchar(
    design: DesignSpec | str,
    prevalence: float,
    se: float | Sequence[float] = 1.0,
    sp: float | Sequence[float] = 1.0,
    dilution: DilutionModel | None = None,
    residents: int | None = None,
) -> OperatingCharacteristics:
    """Operating characteristics of one design at prevalence ``p``.

    ``se``/``sp``: one value for every stage, or one per stage in testing order (see
    ``inputs.STAGE_NAMES``). ``dilution``: pools lose sensitivity with their size and with
    how few positives they hold (exact for dorfman, hier, array, array-master and std:Q-K;
    std:Q-K-G with G >= 2 within a bound, ``error_bound``; see ``families.py`` and
    ``std_dilution.py``). ``residents``: the figures of the actual layout of that many
    people, partial last block and leftovers included (``residents.py``); without it,
    those of full blocks.
    """
    spec = parse_spec(design) if isinstance(design, str) else design
    p = check_prevalence(prevalence)
    ses = stage_values(se, spec.family, "se")
    sps = stage_values(sp, spec.family, "sp")
    n = check_residents(residents)
    bound = None
    if n is not None or (spec.family == "std" and dilution is not None):
        if n is not None:
            totals = layout_totals(spec, n, p, ses, sps, dilution)
        else:
            q, k, g = spec.sizes
            totals = full_block_totals(q, k, g, p, ses, sps, dilution)
        e1, pse1, psp1 = totals.per_person
        bound = totals.per_person_bound if totals.bounded else None
    elif spec.family == "std":
        q, k, g = spec.sizes
        e1, pse1, psp1 = full_block(q, k, g, p, ses, sps)
    else:
        sizes = spec.sizes[:1] if spec.sizes else (1,)
        k2 = spec.sizes[1:2] if spec.family == "hier" else None
        e, pse, psp = family_arrays(spec.family, sizes, p, ses, sps, dilution, k2)
        e1, pse1, psp1 = float(e[0]), float(pse[0]), float(psp[0])
    if not math.isfinite(e1):
        raise BadPlanInput(_("design {design} is too large to evaluate").format(design=spec))
    return from_arrays(str(spec), p, e1, pse1, psp1, bound)
