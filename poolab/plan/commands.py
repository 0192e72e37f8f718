"""The planner as the command line calls it: one function per command, taking the option
values as given (Se/Sp as the comma lists typed, the dilution switches as set), checking
them and building what the command needs, so each command makes one library call."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import attrs

from poolab.i18n import _
from poolab.plan.decode_io import BadDecodeInput, DecodeReport, decode, read_results, write_layout, write_report
from poolab.plan.designs import Design, design_for
from poolab.plan.dilution import DilutionModel
from poolab.plan.inputs import (
    BadPlanInput,
    check_prevalence,
    check_residents,
    dilution_model,
    parse_values,
    stage_values,
)
from poolab.plan.memory import check_fits
from poolab.plan.opchar import OperatingCharacteristics, opchar
from poolab.plan.optimize import Optimum, check_max_pool_size, optimize
from poolab.plan.spec import parse_spec

if TYPE_CHECKING:
    from poolab.plan.advise import Advice
    from poolab.plan.simulate import SimulationResult
    from poolab.reports.estimate import CampaignEstimate
    from poolab.store.engine import Store

Output = str | BinaryIO


@attrs.frozen(slots=True)
class Dilution:
    """The dilution options as set: off, or on with these Ct values (None: the default)."""

    enabled: bool = False
    ct_mean: float | None = None
    ct_sd: float | None = None
    limit_ct: float | None = None

    def model(self) -> DilutionModel | None:
        """The model (None when off), checked."""
        return dilution_model(self.enabled, self.ct_mean, self.ct_sd, self.limit_ct)


def opchar_command(
    design: str, prevalence: float, se: str, sp: str, dilution: Dilution, residents: int | None = None
) -> OperatingCharacteristics:
    """``plan opchar``: one design's figures, per block or laid out on ``residents``."""
    return opchar(design, prevalence, parse_values(se, "se"), parse_values(sp, "sp"), dilution.model(), residents)


def optimize_command(
    family: str,
    prevalence: float,
    se: str,
    sp: str,
    max_pool_size: int,
    min_pse: float | None,
    dilution: Dilution,
    residents: int | None = None,
) -> Optimum:
    """``plan optimize``: the family's design with the fewest expected tests. Under
    dilution the search keeps to a PSe floor unless ``min_pse`` names one: pools may lose
    at most ``advise.MAX_LOSS`` of what testing one by one finds (``advise.pse_floor``),
    so the cheapest design is not one that misses a quarter of the positives."""
    from poolab.plan.advise import pse_floor

    model = dilution.model()
    ses = parse_values(se, "se")
    if min_pse is None and model is not None:
        min_pse = pse_floor(family, ses, model)
    found = optimize(
        family, prevalence, ses, parse_values(sp, "sp"), max_pool_size, min_pse, model, residents=residents
    )
    return attrs.evolve(found, min_pse=min_pse)


def _layout(design: str, residents: int, prevalence: float | None, se: str, sp: str, leftovers: str | None) -> Design:
    n = check_residents(residents)
    if n is None:
        raise BadPlanInput(_("a layout needs the number of people (--residents)"))
    check_fits(n)
    p = None if prevalence is None else check_prevalence(prevalence)
    return design_for(
        parse_spec(design), n, prevalence=p, se=parse_values(se, "se"), sp=parse_values(sp, "sp"), leftovers=leftovers
    )


def layout_command(
    design: str, residents: int, output: Output, prevalence: float | None = None, se: str = "1", sp: str = "1",
    leftovers: str | None = None,
) -> Design:  # fmt: skip
    """``plan layout``: lay the design out on ``residents`` people and write the layout CSV."""
    laid = _layout(design, residents, prevalence, se, sp, leftovers)
    write_layout(laid, output)
    return laid


def decode_command(
    design: str,
    residents: int,
    results: str | os.PathLike[str],
    output: Output,
    decoder: str | None = None,
    se: str = "1",
    sp: str = "1",
    prevalence: float | None = None,
    threshold: float = 0.5,
    leftovers: str | None = None,
    json_to_stdout: bool = False,
) -> tuple[Design, DecodeReport]:
    """``plan decode``: read the lab's pool results for the design laid out as ``plan
    layout`` did (refused when the file records another design or N), decode them and
    write the report CSV. The report says whether the file recorded its layout."""
    if json_to_stdout and output == "-":
        raise BadDecodeInput(_("--json prints to stdout: write the CSV to a file (-o FILE), not '-'"))
    laid = _layout(design, residents, prevalence, se, sp, leftovers)
    read = read_results(results, laid)
    report = decode(laid, read.result, decoder, parse_values(se, "se"), parse_values(sp, "sp"), prevalence, threshold)
    report = attrs.evolve(report, layout_checked=read.recorded)
    write_report(report, output)
    return laid, report


def curve_command(
    output: str,
    designs: Sequence[str],
    min_prevalence: float,
    max_prevalence: float,
    se: float,
    sp: float,
    max_pool_size: int,
    dilution: Dilution,
    store: Store | None = None,
    campaign: str | None = None,
) -> tuple[Path, CampaignEstimate | None]:
    """``plan curve``: the PNG, with ``campaign``'s estimate marked when given (read from
    ``store``)."""
    from poolab.plan.curve import DEFAULT_DESIGNS, write_campaign_curves, write_curves

    stage_values(se, "individual", "se")
    stage_values(sp, "individual", "sp")
    check_prevalence(min_prevalence)
    check_prevalence(max_prevalence)
    check_max_pool_size(max_pool_size)
    model = dilution.model()
    chosen = tuple(designs) or DEFAULT_DESIGNS
    if campaign is None or store is None:
        return write_curves(output, chosen, min_prevalence, max_prevalence, se, sp, model, max_pool_size), None
    return write_campaign_curves(
        store, campaign, output, chosen, min_prevalence, max_prevalence, se, sp, model, max_pool_size
    )


def advise_command(
    store: Store,
    campaign: str,
    family: str,
    se: str,
    sp: str,
    max_pool_size: int,
    max_loss: float,
    min_pse: float | None,
    dilution: Dilution,
) -> Advice:
    """``plan advise``: the optimiser at the campaign's estimated prevalence and its interval."""
    from poolab.plan.advise import advise

    if not 0.0 <= max_loss < 1.0:
        raise BadPlanInput(_("--max-loss must lie in [0, 1) (value {value})").format(value=repr(max_loss)))
    return advise(
        store, campaign, family=family, se=parse_values(se, "se"), sp=parse_values(sp, "sp"),
        max_pool_size=check_max_pool_size(max_pool_size, family.strip().lower()), dilution=dilution.model(),
        min_pse=min_pse, max_loss=max_loss,
    )  # fmt: skip


def simulate_command(
    design: str,
    residents: int,
    prevalence: float,
    se: str,
    sp: str,
    replicates: int,
    seed: int,
    attack_rate: float,
    household_size_mean: float,
    dilution: Dilution,
    leftovers: str | None = None,
) -> SimulationResult:
    """``simulate``: campaigns of ``residents`` people under the design (synthetic
    households of that mean size when ``attack_rate`` is above 0)."""
    from poolab.plan.simulate import BadParameter, household_sizes_for, simulate

    try:
        ses, sps = parse_values(se, "se"), parse_values(sp, "sp")
    except BadPlanInput as exc:
        raise BadParameter(str(exc)) from None
    households = household_sizes_for(residents, household_size_mean, seed) if attack_rate > 0 else None
    return simulate(
        parse_spec(design), residents, prevalence, se=ses, sp=sps, replicates=replicates, seed=seed,
        household_sizes=households, attack_rate=attack_rate, dilution=dilution.model(), leftovers=leftovers,
    )  # fmt: skip
