"""Monte Carlo of a testing campaign under a design: what the closed forms promise, checked
by running the same stage rules that decode real results.

Model, per replicate:

* **Infections.** Without households (or with ``attack_rate == 0``) each resident is
  infected independently with probability ``prevalence``. With ``household_sizes``
  (residents listed household by household, in that order) and an attack rate ``a``:
  each resident is an *index* case independently with rate ``r``; then in every
  household holding an index case, each other member is infected with probability ``a``
  (one generation, no chains). ``r`` solves
  ``sum_h w_h [r + (1-r)(1-(1-r)^(h-1)) a] = prevalence`` (``w_h``: share of residents
  living in households of size h), so the overall prevalence stays ``prevalence`` while
  infections cluster in households (and so in pools, since pools follow the list order).
* **Assay.** A pool tested at stage s is positive with probability ``se[s]`` when it is
  detectable and ``1 - sp[s]`` when not. It is detectable when it holds an infected
  member and, with a ``DilutionModel``, its Ct ``-log2(mean 2^-Ct_i)`` (negatives adding
  nothing; each infected person's Ct drawn once, Normal(ct_mean, ct_sd)) is at most
  ``limit_ct``.
* **Stages and calls.** The design's rules (``poolab.kernels.decode_staged``).

Reported (``summary.py``): tests per person, PSe, PSp, PPPV and PNPV as ratios of sums
over all replicates (the quantities ``plan opchar`` defines), tests, rounds, infected,
missed and false positives per campaign as means, each with a 99% interval (delta method
for the ratios); and, apart, the mean over campaigns of each campaign's own ratios.

The layout is ``designs.design_for``'s at the same prevalence and Se/Sp, so an array's
leftovers are tested as ``plan opchar --residents`` assumes.

Three kernels run the same model (the tally has the same distribution; the numbers are
drawn in another order): without household clustering, Dorfman and individual testing are
counted per pool from their runs of pool sizes, never laid out
(``kernels.simulate_counts``: a city of ten million in seconds); other tree designs
(hierarchical) walk only the pools that can test positive (``kernels.simulate_tree``);
arrays, non-adaptive designs and household clustering draw every person
(``kernels.simulate``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
import numpy as np

from poolab.errors import PoolabError
from poolab.i18n import _
from poolab.kernels import simulate as k
from poolab.kernels import simulate_counts as kc
from poolab.kernels import simulate_tree as kt
from poolab.plan.designs import Design, design_for
from poolab.plan.dilution import DilutionModel
from poolab.plan.memory import check_fits
from poolab.plan.spec import DesignSpec
from poolab.plan.summary import KEYS, Summary, summarise


class BadParameter(PoolabError):
    """A simulation parameter outside its range."""


@attrs.frozen(slots=True, eq=False)
class SimulationResult:
    """The figures over all replicates (``summary.py``), their 99% intervals, the
    per-campaign view of the ratios, and the raw per-replicate tally."""

    design: str
    residents: int
    replicates: int
    prevalence: float
    summary: Summary
    tally: np.ndarray  # int64[replicates, 7]: tests, rounds, infected, tp, fp, fn, tn

    @property
    def means(self) -> dict[str, float]:
        """Each figure of ``summary.KEYS``: ratios of sums, or means per campaign."""
        return self.summary.values

    @property
    def ci99(self) -> dict[str, tuple[float, float]]:
        """Each figure's 99% interval."""
        return self.summary.intervals

    def __getattr__(self, name: str) -> float:
        # result.pse, result.expected_tests_per_individual, ... read the figures
        if name in KEYS:
            return self.summary.values[name]
        raise AttributeError(name)

    def as_dict(self) -> dict[str, object]:
        """The ``--json`` object: design, the five fixed keys, the rest, replicates, ci99,
        and ``per_campaign`` (each campaign's own ratios averaged, with their intervals and
        the number of campaigns where each is defined)."""

        def clean(x: float) -> float | None:
            return None if math.isnan(x) else x

        out: dict[str, object] = {"design": self.design}
        out.update({key: clean(self.means[key]) for key in KEYS})
        out["residents"] = self.residents
        out["prevalence"] = self.prevalence
        out["replicates"] = self.replicates
        out["ci99"] = {key: [clean(lo), clean(hi)] for key, (lo, hi) in self.ci99.items()}
        s = self.summary
        out["per_campaign"] = {
            key: {
                "mean": clean(s.per_campaign[key]),
                "ci99": [clean(v) for v in s.per_campaign_intervals[key]],
                "campaigns": s.per_campaign_counts[key],
            }
            for key in s.per_campaign
        }
        return out


def per_stage(value: float | Sequence[float], nstages: int, name: str) -> np.ndarray:
    """One value per stage from a scalar, a one-element or an nstages-element sequence."""
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.ndim != 1 or arr.shape[0] not in (1, nstages):
        raise BadParameter(
            _("{name} needs one value or one per stage ({stages} stages), got {values}").format(
                name=name, stages=nstages, values=arr.tolist()
            )
        )
    if not np.all((arr >= 0.0) & (arr <= 1.0)):
        raise BadParameter(_("{name} values must lie in [0, 1], got {values}").format(name=name, values=arr.tolist()))
    return np.broadcast_to(arr, (nstages,)).copy()


def index_rate(prevalence: float, household_sizes: np.ndarray, attack: float) -> float:
    """The index-case rate that keeps the overall prevalence at ``prevalence``."""
    sizes, counts = np.unique(household_sizes, return_counts=True)
    weights = sizes * counts / float(np.sum(sizes * counts))

    def overall(r: float) -> float:
        return float(np.sum(weights * (r + (1 - r) * (1 - (1 - r) ** (sizes - 1)) * attack)))

    lo, hi = 0.0, prevalence  # overall(r) >= r, so r <= prevalence
    for _step in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if overall(mid) < prevalence else (lo, mid)
    return 0.5 * (lo + hi)


def replicate_seeds(seed: int, replicates: int) -> np.ndarray:
    """Independent 32-bit seeds, one per replicate, from one user seed."""
    return np.random.SeedSequence(seed).generate_state(replicates).astype(np.int64)


def simulate_design(
    design: Design,
    prevalence: float,
    se: float | Sequence[float] = 1.0,
    sp: float | Sequence[float] = 1.0,
    replicates: int = 1000,
    seed: int = 0,
    household_sizes: np.ndarray | None = None,
    attack_rate: float = 0.0,
    dilution: DilutionModel | None = None,
) -> SimulationResult:
    """``simulate`` on an already laid-out design (e.g. ``shifted_transversal``)."""
    if not 0.0 <= prevalence <= 1.0:
        raise BadParameter(_("prevalence must lie in [0, 1], got {value}").format(value=prevalence))
    if not 0.0 <= attack_rate <= 1.0:
        raise BadParameter(_("attack rate must lie in [0, 1], got {value}").format(value=attack_rate))
    if replicates < 1:
        raise BadParameter(_("replicates must be at least 1, got {value}").format(value=replicates))
    se_s = per_stage(se, design.nstages, "se")
    sp_s = per_stage(sp, design.nstages, "sp")
    rate = prevalence
    household_ptr = np.zeros(1, dtype=np.int64)
    if household_sizes is not None and attack_rate > 0.0:
        sizes = np.asarray(household_sizes, dtype=np.int64)
        if sizes.ndim != 1 or np.any(sizes < 1) or int(sizes.sum()) != design.n:
            raise BadParameter(
                _("household sizes must be >= 1 and sum to the {residents} residents, they sum to {total}").format(
                    residents=design.n, total=int(sizes.sum())
                )
            )
        household_ptr = np.zeros(sizes.shape[0] + 1, dtype=np.int64)
        np.cumsum(sizes, out=household_ptr[1:])
        rate = index_rate(prevalence, sizes, attack_rate)
    dil = dilution or DilutionModel()
    a = k.assay(design.staged, se_s, sp_s, dil.limit_ct if dilution is not None else None)
    seeds = replicate_seeds(seed, replicates)
    # independent infections on a tree design: walk only the pools that can be positive,
    # and count, not walk, where every positive pool's members are retested alone
    tree = kt.tree_of(design.staged) if household_ptr.shape[0] == 1 else None
    counted = kc.counted_of(design.staged, tree) if tree is not None else None
    if counted is not None:
        tally = kc.simulate_counted_tally(counted, a, rate, seeds, dil.ct_mean, dil.ct_sd)
    elif tree is not None:
        tally = kt.simulate_tree_tally(design.staged, tree, a, rate, seeds, dil.ct_mean, dil.ct_sd)
    else:
        f = k.infection(design.n, rate, household_ptr, float(attack_rate), dil.ct_mean, dil.ct_sd)
        tally = k.simulate_tally(design.staged, a, f, seeds)
    return SimulationResult(design.name, design.n, replicates, prevalence, summarise(tally, design.n), tally)


def simulate(
    spec: DesignSpec,
    residents: int,
    prevalence: float,
    se: float | Sequence[float] = 1.0,
    sp: float | Sequence[float] = 1.0,
    replicates: int = 1000,
    seed: int = 0,
    household_sizes: np.ndarray | None = None,
    attack_rate: float = 0.0,
    dilution: DilutionModel | None = None,
    leftovers: str | None = None,
) -> SimulationResult:
    """Simulate ``replicates`` campaigns of ``residents`` people under the design ``spec``.

    ``se``/``sp``: one value or one per stage of the design. ``household_sizes``: sizes
    summing to ``residents`` (residents in household order); used with ``attack_rate``.
    An array's leftovers are laid out as ``leftovers`` says, or as the planner picks at
    this prevalence and Se/Sp (``leftovers.py``).
    """
    if residents < 1:
        raise BadParameter(_("residents must be at least 1, got {value}").format(value=residents))
    if replicates < 1:
        raise BadParameter(_("replicates must be at least 1, got {value}").format(value=replicates))
    check_fits(residents, replicates)  # as before: the counts need less
    if spec.family in ("dorfman", "individual") and (household_sizes is None or attack_rate == 0.0):
        # the city's case: no layout is built, only the runs of pool sizes (counts per pool)
        return _simulate_by_counts(spec, residents, prevalence, se, sp, replicates, seed, attack_rate, dilution)
    if not 0.0 < prevalence < 1.0 and leftovers is None and spec.family in ("array", "array-master"):
        leftovers = "rectangle"  # nobody or everybody infected: every layout finds the same
    design = design_for(spec, residents, prevalence=prevalence, se=se, sp=sp, leftovers=leftovers)
    return simulate_design(design, prevalence, se, sp, replicates, seed, household_sizes, attack_rate, dilution)


def household_sizes_for(residents: int, mean_size: float, seed: int = 0) -> np.ndarray:
    """Synthetic household sizes summing to ``residents``: 1 + Poisson(mean_size - 1)
    (so the mean is ``mean_size``), the last household cut to fit."""
    if mean_size < 1.0:
        raise BadParameter(_("household size mean must be at least 1, got {value}").format(value=mean_size))
    rng = np.random.default_rng(seed)
    sizes = 1 + rng.poisson(mean_size - 1.0, size=int(residents / mean_size) + 16)
    while sizes.sum() < residents:
        sizes = np.concatenate([sizes, 1 + rng.poisson(mean_size - 1.0, size=sizes.shape[0])])
    ends = np.cumsum(sizes)
    last = int(np.searchsorted(ends, residents))
    out = sizes[: last + 1].astype(np.int64)
    out[-1] -= int(ends[last] - residents)
    return out


def counted_layout(spec: DesignSpec, residents: int) -> kc.Counted:
    """``dorfman:K`` or ``individual`` on ``residents`` people as ``simulate_counts`` sees
    it, without laying the design out: ``designs.dorfman``'s consecutive pools of K (the
    last holds the rest), each retested member by member; or everyone tested alone.
    Equal to ``counted_of`` of the laid-out design (tests/test_simulate_tree.py)."""
    if spec.family == "individual":
        runs, stage, nstages = [(residents, 1)], -1, 1
    elif spec.family == "dorfman":
        k = spec.sizes[0]
        runs, stage, nstages = [(residents // k, k), (1 if residents % k else 0, residents % k)], 1, 2
    else:
        raise ValueError(f"no counted layout for {spec}")
    runs = [(count, size) for count, size in runs if count]
    start = np.zeros(len(runs) + 1, dtype=np.int64)
    np.cumsum([count for count, _size in runs], out=start[1:])
    sizes = np.asarray([size for _count, size in runs], dtype=np.int64)
    return kc.Counted(start, sizes, np.full(int(start[-1]), stage, dtype=np.int8), residents, nstages)


def _simulate_by_counts(
    spec: DesignSpec,
    residents: int,
    prevalence: float,
    se: float | Sequence[float],
    sp: float | Sequence[float],
    replicates: int,
    seed: int,
    attack_rate: float,
    dilution: DilutionModel | None,
) -> SimulationResult:
    """``simulate`` of Dorfman or individual testing with independent infections."""
    if not 0.0 <= prevalence <= 1.0:
        raise BadParameter(_("prevalence must lie in [0, 1], got {value}").format(value=prevalence))
    if not 0.0 <= attack_rate <= 1.0:
        raise BadParameter(_("attack rate must lie in [0, 1], got {value}").format(value=attack_rate))
    layout = counted_layout(spec, residents)
    se_s = per_stage(se, layout.nstages, "se")
    sp_s = per_stage(sp, layout.nstages, "sp")
    dil = dilution or DilutionModel()
    limit = dil.limit_ct if dilution is not None else None
    a = k.Assay(se_s, sp_s, limit is not None, float(2.0 ** (-limit)) if limit is not None else 0.0)
    tally = kc.simulate_counted_tally(layout, a, prevalence, replicate_seeds(seed, replicates), dil.ct_mean, dil.ct_sd)
    name = "individual" if spec.family == "individual" else f"dorfman:{spec.sizes[0]}"
    return SimulationResult(name, residents, replicates, prevalence, summarise(tally, residents), tally)
