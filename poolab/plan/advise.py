"""Tomorrow's design from today's results: the optimiser at the estimated prevalence and at
both ends of its 95% interval, so a planner sees whether the choice depends on it.

Under dilution the cheapest design at a low prevalence uses huge pools that lose many
positives (dorfman:39 finds 84% of what single tubes find at p = 0.001), so the advice
keeps a PSe floor: pools may lose at most ``max_loss`` (10% by default) of the positives
that the same stages would find in pools of one, ``(1 - max_loss)·Π Se·Phi(z_1)``. That is
the lab's own rule of thumb for 10-in-1: a pool of 10 keeps 91% of the sensitivity of
single tubes (Bateman et al. 2021, J Med Virol, doi:10.1002/jmv.26519; see dilution.py).

Prevalences below 1e-6 (no positive pool yet) are planned at 1e-6, above 0.5 at 0.5:
the optimiser needs 0 < p < 1, and beyond these every design it considers is the same.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs

from poolab.i18n import _
from poolab.plan.dilution import DilutionModel, detectable_fraction
from poolab.plan.inputs import BadPlanInput, stage_values
from poolab.plan.optimize import Optimum, optimize
from poolab.reports.estimate import CampaignEstimate, estimate_campaign
from poolab.store.engine import Store

MAX_LOSS = 0.10
PLAN_RANGE = (1e-6, 0.5)


@attrs.frozen(slots=True)
class Advice:
    """The optimiser's choice at the estimate and at the ends of its interval."""

    estimate: CampaignEstimate
    family: str
    min_pse: float | None
    dilution: bool
    at_estimate: Optimum
    at_low: Optimum
    at_high: Optimum
    planned: tuple[float, float, float]  # the prevalences the optimiser ran at

    @property
    def robust(self) -> bool:
        """The same design at the estimate and at both ends of the interval."""
        return self.at_low.spec == self.at_estimate.spec == self.at_high.spec

    def as_dict(self) -> dict[str, Any]:
        """``plan optimize``'s keys for the design at the estimate, plus ``prevalence``."""
        out = _optimum_dict(self.at_estimate)
        out["prevalence"] = self.estimate.prevalence
        out["ci95"] = list(self.estimate.ci95)
        if self.planned[1] != self.estimate.prevalence:
            out["planned_prevalence"] = self.planned[1]
        low, high = _optimum_dict(self.at_low), _optimum_dict(self.at_high)
        low["prevalence"], high["prevalence"] = self.planned[0], self.planned[2]
        out["at_ci95"] = {"low": low, "high": high}
        out.update(
            robust=self.robust,
            min_pse=self.min_pse,
            dilution=self.dilution,
            campaign=self.estimate.campaign,
            pools=self.estimate.pools,
            positive_pools=self.estimate.positive_pools,
        )
        return out


def _optimum_dict(found: Optimum) -> dict[str, Any]:
    out: dict[str, Any] = found.best.as_dict()
    out.update(
        family=found.family,
        candidates=found.candidates,
        feasible=found.feasible,
        ranked=[r.as_dict() for r in found.ranked],
    )
    return out


def pse_floor(family: str, se: Sequence[float], dilution: DilutionModel, max_loss: float = MAX_LOSS) -> float:
    """``(1 - max_loss)`` times the PSe of the family's stages with pools of one."""
    if not 0.0 <= max_loss < 1.0:
        raise BadPlanInput(
            _("the largest dilution loss must be in [0, 1) (value {value})").format(value=repr(max_loss))
        )
    return (1.0 - max_loss) * math.prod(stage_values(se, family, "se")) * detectable_fraction(1, dilution)


def advise(
    store: Store,
    campaign: str,
    *,
    family: str = "dorfman",
    se: Sequence[float] = (1.0,),
    sp: Sequence[float] = (1.0,),
    max_pool_size: int = 100,
    dilution: DilutionModel | None = None,
    min_pse: float | None = None,
    max_loss: float = MAX_LOSS,
) -> Advice:
    """The ``family`` design the optimiser picks for the next round of ``campaign``.

    ``se``/``sp``: one value, or one per stage of ``family``; the estimate uses the first
    (the pool test) and the last (the individual test). ``min_pse``: overrides the floor
    that dilution sets (``pse_floor``).
    """
    fam = family.strip().lower()
    ses, sps = stage_values(se, fam, "se"), stage_values(sp, fam, "sp")
    est = estimate_campaign(store, campaign, se=(ses[0], ses[-1]), sp=(sps[0], sps[-1]))
    floor = min_pse
    if floor is None and dilution is not None:
        floor = pse_floor(fam, ses, dilution, max_loss)
    lo, hi = PLAN_RANGE
    planned = tuple(min(max(v, lo), hi) for v in (est.ci95[0], est.prevalence, est.ci95[1]))
    found = [optimize(fam, p, ses, sps, max_pool_size, floor, dilution) for p in planned]
    return Advice(
        estimate=est,
        family=fam,
        min_pse=floor,
        dilution=dilution is not None,
        at_estimate=found[1],
        at_low=found[0],
        at_high=found[2],
        planned=(planned[0], planned[1], planned[2]),
    )
