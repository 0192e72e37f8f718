"""``poolab plan curve`` and ``poolab plan advise``: curves to compare designs, and the
design for a campaign's next round from its results."""

from __future__ import annotations

import click

from .common import AppContext, echo_json, pass_app
from .plan_options import dilution_options


@click.command("curve")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option(
    "--design",
    "-d",
    "designs",
    multiple=True,
    metavar="SPEC",
    help="A design to draw (repeatable), in both panels. "
    "Default: dorfman:5, dorfman:10, hier:25-5, array:10, array-master:10.",
)
@click.option(
    "--min-prevalence", type=float, default=0.001, show_default=True, help="Left end of the prevalence axis (0..1)."
)
@click.option(
    "--max-prevalence", type=float, default=0.2, show_default=True, help="Right end of the prevalence axis (0..1)."
)
@click.option("--se", type=float, default=1.0, show_default=True, help="Sensitivity (every stage), in (0, 1].")
@click.option("--sp", type=float, default=1.0, show_default=True, help="Specificity (every stage), in (0, 1].")
@click.option(
    "--max-pool-size", "-k", type=int, default=50, show_default=True, help="Right panel: pool sizes up to K (2..1000)."
)
@click.option(
    "--estimate",
    "campaign",
    metavar="NAME",
    default=None,
    help="Mark campaign NAME's estimated prevalence and 95% interval (as `poolab estimate NAME`, with --se/--sp).",
)
@dilution_options()
@pass_app
def curve_cmd(
    app: AppContext,
    output: str,
    designs: tuple[str, ...],
    min_prevalence: float,
    max_prevalence: float,
    se: float,
    sp: float,
    max_pool_size: int,
    campaign: str | None,
    dilution: bool,
    ct_mean: float | None,
    ct_sd: float | None,
    limit_ct: float | None,
) -> None:
    """Draw tests per person against prevalence, and each design's PSe against its pool
    size, to a PNG.

    The right panel follows the designs given with -d: each one's family as its first
    size varies (K, K1 for hier, R for arrays, Q for std), its own size marked, under
    dilution and (dotted) without. Needs matplotlib (pip install 'poolab[plot]').

    \b
    Examples:
      poolab plan curve -o curves.png
      poolab plan curve -o c.png -d dorfman:10 -d array:12 --se 0.99 --sp 0.99 --dilution
      poolab plan curve -o day1.png --estimate day1 -d dorfman:10 -d dorfman:20 --dilution
    """
    from poolab.plan.commands import Dilution, curve_command
    from poolab.plan.report import curve_line

    store = app.store() if campaign is not None else None
    path, est = curve_command(
        output, designs, min_prevalence, max_prevalence, se, sp, max_pool_size,
        Dilution(dilution, ct_mean, ct_sd, limit_ct), store, campaign,
    )  # fmt: skip
    click.echo(curve_line(path, est))


@click.command("advise")
@click.argument("name")
@click.option(
    "--family",
    "-f",
    default="dorfman",
    show_default=True,
    metavar="F",
    help="dorfman, hier, array, array-master or std.",
)
@click.option(
    "--se",
    default="1",
    show_default=True,
    metavar="S[,S...]",
    help="Sensitivity: one value, or one per stage of the family; the estimate uses the first and the last.",
)
@click.option(
    "--sp",
    default="1",
    show_default=True,
    metavar="S[,S...]",
    help="Specificity: one value, or one per stage of the family; the estimate uses the first and the last.",
)
@click.option(
    "--max-pool-size",
    "-k",
    type=int,
    default=100,
    show_default=True,
    help="Largest pool (row/column for arrays) to try, 2..1000 people.",
)
@click.option(
    "--max-loss",
    type=float,
    default=0.10,
    show_default=True,
    help="Under dilution: the largest share (0..1) of the positives that pools of one would find "
    "which the design may lose; sets the PSe floor.",
)
@click.option(
    "--min-pse", type=click.FloatRange(0.0, 1.0), default=None, help="A PSe floor (0..1) instead of --max-loss."
)
@dilution_options(default=True, sense="the Ct model of `plan opchar --dilution`")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@pass_app
def advise_cmd(
    app: AppContext,
    name: str,
    family: str,
    se: str,
    sp: str,
    max_pool_size: int,
    max_loss: float,
    min_pse: float | None,
    dilution: bool,
    ct_mean: float | None,
    ct_sd: float | None,
    limit_ct: float | None,
    as_json: bool,
) -> None:
    """The design for the next round of campaign NAME, from its results.

    Estimates the prevalence (as `poolab estimate NAME`) and runs the optimiser at the
    estimate and at both ends of its 95% interval: the same design at all three means the
    choice does not hang on the estimate. Single tubes are always a candidate: "individual"
    (test singly) when no design of the family needs fewer tests than one per person.
    Under dilution (the default) a PSe floor keeps pools from losing more than --max-loss
    of the positives pools of one would find.

    \b
    Examples:
      poolab plan advise day1
      poolab plan advise day1 --se 0.95,0.98 --sp 0.998 --json
      poolab plan advise day1 --family hier --max-pool-size 40 --no-dilution
    """
    from poolab.plan.commands import Dilution, advise_command
    from poolab.plan.report import advise_lines

    result = advise_command(
        app.store(),
        name,
        family,
        se,
        sp,
        max_pool_size,
        max_loss,
        min_pse,
        Dilution(dilution, ct_mean, ct_sd, limit_ct),
    )
    if as_json:
        echo_json(result.as_dict())
        return
    for line in advise_lines(result):
        click.echo(line)
