"""``poolab plan ...``: the group, and its operating characteristics and optimiser.

The other subcommands live beside it: ``plan layout`` and ``plan decode`` in
``plan_layout.py``, ``plan curve`` and ``plan advise`` in ``plan_advice.py``."""

from __future__ import annotations

from typing import Any

import click

from .common import echo_json
from .plan_advice import advise_cmd, curve_cmd
from .plan_layout import decode_cmd, layout_cmd
from .plan_options import accuracy_options, dilution_options, json_option, residents_option


@click.group()
def plan() -> None:
    """Plan a pooling design: operating characteristics, optimum, curves, layouts.

    \b
    Designs (SPEC): individual, dorfman:K, hier:K1-K2, array:R, array-master:R,
    std:Q-K and std:Q-K-G (shifted transversal, non-adaptive: Q prime, each person in
    K pools of Q^G, blocks of Q^(G+1) people, any two sharing at most G pools).
    Families:       dorfman, hier, array, array-master, std.
    Se/Sp: one value for every stage, or one per stage separated by commas
    (dorfman: pool,individual; hier: pool,subpool,individual; array: row/column,individual;
    array-master: master,row/column,individual; std: pool,confirmation). Default 1.
    """


_RESIDENTS = "The figures of the actual layout of N people (partial last block included); without it, of full blocks."


@plan.command("opchar")
@click.option("--design", "-d", required=True, metavar="SPEC", help="The design, e.g. dorfman:10 or std:7-4-3.")
@accuracy_options
@residents_option(False, _RESIDENTS)
@dilution_options()
@json_option
def opchar_cmd(
    design: str,
    prevalence: float,
    se: str,
    sp: str,
    residents: int | None,
    dilution: bool,
    ct_mean: float | None,
    ct_sd: float | None,
    limit_ct: float | None,
    as_json: bool,
) -> None:
    """Expected tests per person and pooling accuracy of one design.

    \b
    Examples:
      poolab plan opchar --design dorfman:10 -p 0.01
      poolab plan opchar --design dorfman:10 -p 0.01 --se 0.99 --sp 0.99 --json
      poolab plan opchar --design hier:20-5 -p 0.005 --se 0.95,0.95,0.99 --sp 0.98
      poolab plan opchar --design array:10 -p 0.01 --dilution
      poolab plan opchar --design std:7-4-3 -p 0.005 --residents 1000

    Tests/person: expected tests (every stage) per person. PSe: chance an infected
    person is called positive; PSp: chance a person who is not infected is called
    negative; PPPV/PNPV: chance that a positive/negative call is right.
    """
    from poolab.plan.commands import Dilution, opchar_command
    from poolab.plan.report import opchar_lines

    result = opchar_command(design, prevalence, se, sp, Dilution(dilution, ct_mean, ct_sd, limit_ct), residents)
    if as_json:
        echo_json(result.as_dict())
        return
    for line in opchar_lines(result, prevalence, se, sp, dilution=dilution, residents=residents):
        click.echo(line)


@plan.command("optimize")
@click.option("--family", "-f", required=True, metavar="F", help="dorfman, hier, array, array-master or std.")
@accuracy_options
@click.option(
    "--max-pool-size",
    "-k",
    type=int,
    default=100,
    show_default=True,
    help="Largest pool (row/column for arrays, Q^G for std) to try, at most 1000.",
)
@click.option(
    "--min-pse",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Only designs with PSe (the share of positives found) at least this, 0-1. Under --dilution the default "
    "keeps pools to at most 10% fewer positives found than testing one by one.",
)
@residents_option(False, _RESIDENTS)
@dilution_options()
@json_option
def optimize_cmd(
    family: str,
    prevalence: float,
    se: str,
    sp: str,
    max_pool_size: int,
    min_pse: float | None,
    residents: int | None,
    dilution: bool,
    ct_mean: float | None,
    ct_sd: float | None,
    limit_ct: float | None,
    as_json: bool,
) -> None:
    """The design of a family with the fewest expected tests per person.

    Ties go to the smaller pool. The search covers every pool size 2..K (for hier every
    K1 <= K and subpool K2 < K1; for std every prime Q, compression power G with pools of
    Q^G <= K, and K = 1..Q pools per person), and single tubes: when no design of the
    family needs fewer tests than one per person, the answer is "individual" (test singly).
    With --residents N each design is judged as laid out on N people.

    \b
    Examples:
      poolab plan optimize --family dorfman -p 0.01
      poolab plan optimize --family hier -p 0.005 --se 0.99 --sp 0.99 --json
      poolab plan optimize --family dorfman -p 0.001 --se 0.99 --dilution --min-pse 0.8
      poolab plan optimize --family std -p 0.005 --residents 1000 --max-pool-size 400
    """
    from poolab.plan.commands import Dilution, optimize_command
    from poolab.plan.report import optimize_lines, optimize_warning

    found = optimize_command(
        family, prevalence, se, sp, max_pool_size, min_pse, Dilution(dilution, ct_mean, ct_sd, limit_ct), residents
    )
    if as_json:
        out: dict[str, Any] = found.best.as_dict()
        out.update(
            family=found.family,
            candidates=found.candidates,
            feasible=found.feasible,
            ranked=[r.as_dict() for r in found.ranked],
        )
        echo_json(out)
        return
    for line in optimize_lines(found, prevalence):
        click.echo(line)
    warning = optimize_warning(found)
    if warning is not None:
        click.echo(warning, err=True)


plan.add_command(layout_cmd)
plan.add_command(decode_cmd)
plan.add_command(curve_cmd)
plan.add_command(advise_cmd)
