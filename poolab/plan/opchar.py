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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from poolab.plan.dilution import DilutionModel
from poolab.plan.families import family_arrays, predictive
from poolab.plan.inputs import BadPlanInput, check_prevalence, check_residents, stage_values
from poolab.plan.residents import layout_totals
from poolab.plan.spec import DesignSpec, parse_spec
from poolab.plan.transversal import full_block


@attrs.frozen(slots=True)
class OperatingCharacteristics:
    """Expected tests per individual and pooling accuracy of one design (the keys of docs/formats.md)."""

    design: str
    expected_tests_per_individual: float
    pse: float
    psp: float
    pppv: float
    pnpv: float

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` object: the six contract keys, in contract order."""
        return attrs.asdict(self)


def from_arrays(design: str, p: float, e: float, pse: float, psp: float) -> OperatingCharacteristics:
    """Wrap one design's (E/n, PSe, PSp) with its predictive values."""
    pppv, pnpv = predictive(p, np.asarray(pse), np.asarray(psp))
    return OperatingCharacteristics(
        design=design,
        expected_tests_per_individual=float(e),
        pse=float(pse),
        psp=float(psp),
        pppv=float(pppv),
        pnpv=float(pnpv),
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
    how few positives they hold (exact for dorfman, hier, array, array-master; std is
    approximate; see ``families.py``). ``residents``: the figures of the actual layout of
    that many people, partial last block and leftovers included (``residents.py``);
    without it, those of full blocks.
    """
    spec = parse_spec(design) if isinstance(design, str) else design
    p = check_prevalence(prevalence)
    ses = stage_values(se, spec.family, "se")
    sps = stage_values(sp, spec.family, "sp")
    n = check_residents(residents)
    if n is not None:
        e1, pse1, psp1 = layout_totals(spec, n, p, ses, sps, dilution).per_person
    elif spec.family == "std":
        q, k, g = spec.sizes
        e1, pse1, psp1 = full_block(q, k, g, p, ses, sps, dilution)
    else:
        sizes = spec.sizes[:1] if spec.sizes else (1,)
        k2 = spec.sizes[1:2] if spec.family == "hier" else None
        e, pse, psp = family_arrays(spec.family, sizes, p, ses, sps, dilution, k2)
        e1, pse1, psp1 = float(e[0]), float(pse[0]), float(psp[0])
    if not math.isfinite(e1):
        raise BadPlanInput(f"design {spec} is too large to evaluate")
    return from_arrays(str(spec), p, e1, pse1, psp1)
