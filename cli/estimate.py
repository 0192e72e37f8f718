"""``poolab estimate NAME``: the day's prevalence from the campaign's results."""

from __future__ import annotations

import click

from poolab.i18n import _

from .common import VERBATIM, AppContext, echo_json, output_target, pad, pass_app


def accuracy_values(text: str, name: str) -> list[float]:
    """``S`` or ``S,S`` as numbers (range checked by the library)."""
    from poolab.reports.prevalence import BadEstimateInput

    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise BadEstimateInput(
            _("{option} takes a number or two separated by a comma (value {value!r})").format(
                option=f"--{name}", value=text
            )
        ) from None
    if not values:
        raise BadEstimateInput(_("{option} needs a value").format(option=f"--{name}"))
    return values


def _pct(p: float) -> str:
    return f"{100 * p:.4g}%"


@click.command(
    help=_("Prevalence of campaign NAME estimated from its pool results, with a {level} interval.").format(level="95%")
    + "\n\n"
    + _(
        "Maximum likelihood for pools of unequal size under the assay's Se/Sp (binGroup2's "
        "model); the individual retests of positive pools refine it. The interval is the "
        "likelihood-ratio one. Pools without a result (or with an invalid one) are left out "
        "and counted; inconclusive counts as positive."
    )
    + "\n\n"
    + _(
        "With --by building, buildings whose positive pools are significantly more than the "
        "district's prevalence explains (one-sided exact test, Holm-adjusted at 5%) are listed: "
        "candidates for one tube per household (1户1管) or individual tests next round; -o "
        "writes every building's figures with an above_district flag (1 or 0)."
    )
    + "\n\n"
    + _(
        "Results that no prevalence explains under the Se/Sp given are refused, naming the "
        "pools: under the default Se = Sp = 1, a positive pool whose members all tested "
        "negative alone. Give the kit's --se/--sp, or correct the result (results import "
        "--amend --reason)."
    )
    + VERBATIM
    + _("Examples:")
    + "\n"
    "  poolab estimate day1\n"
    "  poolab estimate day1 --se 0.95,0.98 --sp 0.998 --json\n"
    "  poolab estimate day1 --by building -o day1-risk.csv"
)
@click.argument("name")
@click.option(
    "--se",
    default="1",
    show_default=True,
    metavar="S[,S]",
    help=_("Sensitivity of the pool test, and of the individual test after a comma; each in (0.5, 1]."),
)
@click.option(
    "--sp",
    default="1",
    show_default=True,
    metavar="S[,S]",
    help=_("Specificity of the pool test, and of the individual test after a comma; each in (0.5, 1]."),
)
@click.option(
    "--by",
    type=click.Choice(["compound", "building"]),
    default=None,
    help=_("Also estimate per compound or per building, and flag those significantly above the district."),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help=_(
        "With --by: write every compound's or building's figures as CSV, above_district 1 for those "
        "flagged (UTF-8, header row; '-' is stdout)."
    ),
)
@click.option("--json", "as_json", is_flag=True, help=_("Print one JSON object instead of text."))
@pass_app
def estimate(app: AppContext, name: str, se: str, sp: str, by: str | None, output: str | None, as_json: bool) -> None:
    from poolab.reports.estimate import estimate_campaign
    from poolab.reports.prevalence import BadEstimateInput

    if output == "-" and as_json:
        raise BadEstimateInput(_("--json prints to stdout: write the CSV to a file (-o FILE), not '-'"))
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
    lo, hi = result.ci95
    click.echo(
        _("campaign {name}: prevalence {estimate} ({level} interval {low} to {high})").format(
            level="95%", name=result.campaign, estimate=_pct(result.prevalence), low=_pct(lo), high=_pct(hi)
        )
    )
    click.echo(
        _(
            "  from {pools} pools ({positive} positive) holding {people} people, and {individual} individual "
            "results; {without} pools without a result"
        ).format(
            pools=result.pools,
            positive=result.positive_pools,
            people=result.people,
            individual=result.individual_results,
            without=result.pools_without_result,
        )
    )
    if by is None:
        return
    if by == "compound":
        # names last: CJK names are two columns wide and would push the figures out of line
        h_pools = _("pools")
        h_pos = _("pos")
        h_prevalence = _("prevalence")
        h_95_interval = _("{level} interval").format(level="95%")
        h_compound = _("compound")
        click.echo(
            f"  {pad(h_pools, 6, '>')} {pad(h_pos, 4, '>')} {pad(h_prevalence, 11, '>')}  "
            f"{pad(h_95_interval, 24)} {h_compound}"
        )
        for g in result.groups:
            interval = _("{low} to {high}").format(low=_pct(g.ci95[0]), high=_pct(g.ci95[1]))
            click.echo(
                f"  {g.pools:>6} {g.positive_pools:>4} {_pct(g.prevalence):>11}  {pad(interval, 24)} {g.compound}"
            )
    above = result.above_district
    flagged = (
        _("  {above} of {groups} compounds above the district (exact test, Holm 5%)")
        if by == "compound"
        else _("  {above} of {groups} buildings above the district (exact test, Holm 5%)")
    )
    click.echo(flagged.format(above=len(above), groups=len(result.groups)) + (_(":") if above else ""))
    for g in above:
        where = g.compound + (_(" / building {building}").format(building=g.building) if g.building is not None else "")
        click.echo(
            _(
                "    {where}: {positive} of {pools} pools positive, prevalence {estimate} ({low} to {high}), "
                "p = {p_value:.2g}"
            ).format(
                where=where,
                positive=g.positive_pools,
                pools=g.pools,
                estimate=_pct(g.prevalence),
                low=_pct(g.ci95[0]),
                high=_pct(g.ci95[1]),
                p_value=g.p_value,
            )
        )
    if output is not None:
        wrote = (
            _("wrote {file}: {groups} compounds, {above} of them above the district")
            if by == "compound"
            else _("wrote {file}: {groups} buildings, {above} of them above the district")
        )
        click.echo(wrote.format(file=output, groups=len(result.groups), above=len(above)))
    elif by == "building":
        click.echo(_("  (every building's figures: --json)"))
