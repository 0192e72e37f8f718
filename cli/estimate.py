"""``poolab estimate NAME``: the day's prevalence from the campaign's results."""

from __future__ import annotations

import click

from .common import AppContext, echo_json, output_target, pass_app


def accuracy_values(text: str, name: str) -> list[float]:
    """``S`` or ``S,S`` as numbers (range checked by the library)."""
    from poolab.reports.prevalence import BadEstimateInput

    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise BadEstimateInput(f"--{name} takes a number or two separated by a comma (value {text!r})") from None
    if not values:
        raise BadEstimateInput(f"--{name} needs a value")
    return values


@click.command()
@click.argument("name")
@click.option(
    "--se",
    default="1",
    show_default=True,
    metavar="S[,S]",
    help="Sensitivity of the pool test, and of the individual test after a comma; each in (0.5, 1].",
)
@click.option(
    "--sp",
    default="1",
    show_default=True,
    metavar="S[,S]",
    help="Specificity of the pool test, and of the individual test after a comma; each in (0.5, 1].",
)
@click.option(
    "--by",
    type=click.Choice(["compound", "building"]),
    default=None,
    help="Also estimate per compound or per building, and flag those significantly above the district.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="With --by: write every compound's or building's figures as CSV, above_district 1 for those "
    "flagged (UTF-8, header row; '-' is stdout).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@pass_app
def estimate(app: AppContext, name: str, se: str, sp: str, by: str | None, output: str | None, as_json: bool) -> None:
    """Prevalence of campaign NAME estimated from its pool results, with a 95% interval.

    Maximum likelihood for pools of unequal size under the assay's Se/Sp (binGroup2's
    model); the individual retests of positive pools refine it. The interval is the
    likelihood-ratio one. Pools without a result (or with an invalid one) are left out
    and counted; inconclusive counts as positive.

    With --by building, buildings whose positive pools are significantly more than the
    district's prevalence explains (one-sided exact test, Holm-adjusted at 5%) are listed:
    candidates for one tube per household (1户1管) or individual tests next round; -o
    writes every building's figures with an above_district flag (1 or 0).

    Results that no prevalence explains under the Se/Sp given are refused, naming the
    pools: under the default Se = Sp = 1, a positive pool whose members all tested
    negative alone. Give the kit's --se/--sp, or correct the result (results import
    --amend --reason).

    \b
    Examples:
      poolab estimate day1
      poolab estimate day1 --se 0.95,0.98 --sp 0.998 --json
      poolab estimate day1 --by building -o day1-risk.csv
    """
    from poolab.reports.estimate import estimate_campaign
    from poolab.reports.estimate_text import estimate_lines
    from poolab.reports.prevalence import BadEstimateInput

    if output == "-" and as_json:
        raise BadEstimateInput("--json prints to stdout: write the CSV to a file (-o FILE), not '-'")
    result = estimate_campaign(
        app.store(),
        name,
        se=accuracy_values(se, "se"),
        sp=accuracy_values(sp, "sp"),
        by=by,
        risk_output=output_target(output) if output is not None else None,
    )
    if as_json:
        echo_json(result.as_dict())
        return
    if output == "-":
        return
    for line in estimate_lines(result, written=output):
        click.echo(line)
