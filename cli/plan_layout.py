"""``poolab plan layout`` and ``poolab plan decode``: the plate to pipette, and the calls
from the lab's pool results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from .common import echo_json, output_option, output_target
from .plan_options import leftovers_option

F = TypeVar("F", bound=Callable[..., Any])


def _layout_options(fn: F) -> F:
    fn = leftovers_option(fn)
    fn = click.option(
        "--prevalence",
        "-p",
        type=float,
        default=None,
        help="The planned prevalence: lays an array's leftovers out as the planner does "
        "(needed for arrays whose last square is partial, unless --leftovers); bayes: the prior.",
    )(fn)
    fn = click.option(
        "--sp", default="1", show_default=True, metavar="S[,S...]", help="Specificity, one or per stage."
    )(fn)
    fn = click.option(
        "--se", default="1", show_default=True, metavar="S[,S...]", help="Sensitivity, one or per stage."
    )(fn)
    fn = click.option(
        "--residents",
        "-n",
        type=int,
        required=True,
        help="Individuals to lay out, numbered 1..N in the order you pool them (keep households together).",
    )(fn)
    return click.option(
        "--design", "-d", required=True, metavar="SPEC", help="The design, e.g. dorfman:10, hier:20-5, std:13-3."
    )(fn)


@click.command("layout")
@_layout_options
@output_option()
def layout_cmd(
    design: str, residents: int, se: str, sp: str, prevalence: float | None, leftovers: str | None, output: str
) -> None:
    """Write which individuals go into which pool, stage by stage: the plate to pipette.

    CSV pool,stage,kind,members,result,design,residents: pools numbered 1..P, stage
    1..S, kind pool, subpool, master, row, column or individual, members the individual
    numbers 1..N separated by spaces, result empty for the lab to fill in, and the design
    and N on every row. Test the stage-1 pools now, fill in their results, and give the
    file to `poolab plan decode --results`: it says which pools come next, and refuses
    results laid out for another design or N.
    An array whose last square is partial tests its leftovers the cheapest way at the
    planned --prevalence (with --se/--sp as planned), or as --leftovers says.

    \b
    Examples:
      poolab plan layout --design dorfman:10 --residents 200 -o layout.csv
      poolab plan layout --design array:8 -n 64 -o -
      poolab plan layout --design array:10 -n 1050 -p 0.01 --se 0.98 -o layout.csv
      poolab plan layout --design std:7-4-3 -n 1000 -o layout.csv
    """
    from poolab.plan.commands import layout_command
    from poolab.plan.report import layout_line

    d = layout_command(design, residents, output_target(output), prevalence, se, sp, leftovers)
    if output != "-":
        click.echo(layout_line(output, d, residents))


@click.command("decode")
@_layout_options
@click.option(
    "--results",
    "-r",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="CSV pool,result (positive, negative, inconclusive = positive, invalid = re-run; empty or absent: "
    "untested), e.g. the layout file with its result column filled in; its design and residents columns, "
    "when it has them, must match --design and --residents.",
)
@click.option(
    "--decoder",
    type=click.Choice(["staged", "comp", "dd", "scomp", "bayes"]),
    default=None,
    help="staged (the design's retest rule; default), comp/dd/scomp (std designs; default comp), "
    "bayes (posterior per individual, any design).",
)
@click.option(
    "--threshold", type=float, default=0.5, show_default=True, help="bayes: positive when the posterior is above it."
)
@output_option()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object of counts and next pools.")
def decode_cmd(
    design: str,
    residents: int,
    se: str,
    sp: str,
    prevalence: float | None,
    leftovers: str | None,
    results: str,
    decoder: str | None,
    threshold: float,
    output: str,
    as_json: bool,
) -> None:
    """Decode a design's pool results: each individual's call, and which pools to test next.

    Writes CSV individual,call,posterior,next_pools: call positive, negative or pending
    (waiting for a pool still to be tested), posterior from --decoder bayes only,
    next_pools the pools holding a pending individual that are to be tested next. Pool
    and individual numbers are those of `poolab plan layout` with the same design, N
    (and --prevalence/--se/--sp or --leftovers for an array's leftovers). A results file
    that records its layout (the layout file filled in: design and residents columns) is
    refused for any other design or N; one without that record is read for the design
    and N given, which nothing can check: the summary says so.

    \b
    Worked example (Dorfman 10-in-1 on 200 people):
      poolab plan layout -d dorfman:10 -n 200 -o layout.csv     # pipette pools 1..20
      # the lab fills in the result column of pools 1..20 (positive, negative, ...)
      poolab plan decode -d dorfman:10 -n 200 -r layout.csv -o calls.csv
      # calls.csv lists the pending people and their pools; fill in those results and run again
      poolab plan decode -d dorfman:10 -n 200 -r layout.csv -o calls.csv --json
    \b
    Other decoders:
      poolab plan decode -d std:13-3 -n 1000 -r r.csv --decoder dd -o calls.csv
      poolab plan decode -d array:10 -n 400 -r r.csv --decoder bayes -p 0.01 --se 0.95 --sp 0.99 -o post.csv
    """
    from poolab.plan.commands import decode_command
    from poolab.plan.report import decode_lines

    d, report = decode_command(
        design, residents, results, output_target(output), decoder, se, sp, prevalence, threshold, leftovers, as_json
    )
    if as_json:
        echo_json(report.as_dict())
        return
    if output != "-":
        for line in decode_lines(output, results, d, report):
            click.echo(line)
