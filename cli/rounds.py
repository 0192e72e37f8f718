"""``poolab rounds NAME``: the run of days of a silent period."""

from __future__ import annotations

import click

from poolab.i18n import _, ngettext

from .common import VERBATIM, AppContext, echo_json, pad, pass_app
from .estimate import accuracy_values


@click.command(
    help=_(
        "The rounds of the chain ending at campaign NAME, oldest first: residents "
        "sampled, isolated positives left out, close contacts swabbed alone and left out, "
        "pool tubes, positive pools (inconclusive ones included), new positives, and the "
        "prevalence estimate with its {level} interval (as poolab estimate gives it)."
    ).format(level="95%")
    + "\n\n"
    + _(
        "Then how many rounds in a row, newest first, found no new positive: what decides "
        "when the silence is lifted. A round counts once its results are complete; the "
        "newest rounds still under way are passed over."
    )
    + VERBATIM
    + _("JSON (--json): {layout}; prevalence and ci95 are null while a round has no pool result.").format(
        layout='{"rounds": [{"campaign", "residents_sampled", "isolated",\n'
        '"contacts_single", "contacts_excluded", "tubes", "positive_pools",\n'
        '"new_positives", "prevalence", "ci95"}, ...], "rounds_without_new_positive": n}'
    )
    + VERBATIM
    + _("Examples:")
    + "\n"
    "  poolab rounds day3\n"
    "  poolab rounds day3 --json"
)
@click.argument("name")
@click.option(
    "--se",
    default="1",
    show_default=True,
    metavar="S[,S]",
    help=_("Sensitivity of the pool test (and of the individual test after a comma) for the estimates."),
)
@click.option(
    "--sp",
    default="1",
    show_default=True,
    metavar="S[,S]",
    help=_("Specificity of the pool test (and of the individual test after a comma) for the estimates."),
)
@click.option("--json", "as_json", is_flag=True, help=_("Print one JSON object instead of text."))
@pass_app
def rounds(app: AppContext, name: str, se: str, sp: str, as_json: bool) -> None:
    from poolab.reports.rounds import campaign_rounds
    from poolab.reports.rounds import percent_text as _pct

    report = campaign_rounds(app.store(), name, se=accuracy_values(se, "se"), sp=accuracy_values(sp, "sp"))
    if as_json:
        echo_json(report.as_json())
        return
    h_round = _("round")
    h_sampled = _("sampled")
    h_isolated = _("isolated")
    h_alone = _("alone")
    h_out = _("out")
    h_tubes = _("tubes")
    h_pos_pools = _("pos.pools")
    h_new_pos = _("new pos.")
    h_prevalence = _("prevalence ({level} interval)").format(level="95%")
    click.echo(
        f"{pad(h_round, 16)} {pad(h_sampled, 8, '>')} {pad(h_isolated, 8, '>')} {pad(h_alone, 6, '>')} "
        f"{pad(h_out, 5, '>')} {pad(h_tubes, 7, '>')} {pad(h_pos_pools, 9, '>')} "
        f"{pad(h_new_pos, 8, '>')}  {pad(h_prevalence, 32)}".rstrip()
    )
    for r in report.rounds:
        interval = (
            _("{estimate} ({low} to {high})").format(
                estimate=_pct(r.prevalence), low=_pct(r.ci95[0]), high=_pct(r.ci95[1])
            )
            if r.ci95
            else "-"
        )
        state = "" if r.complete else _("  results incomplete")
        click.echo(
            f"{r.campaign:<16} {r.residents_sampled:>8,} {r.isolated:>8,} {r.contacts_single:>6,} "
            f"{r.contacts_excluded:>5,} {r.tubes:>7,} {r.positive_pools:>9,} {r.new_positives:>8,}  "
            f"{pad(interval, 32)}{state}".rstrip()
        )
    click.echo(_("alone: close contacts each in a tube of their own; out: close contacts left out"))
    n = report.rounds_without_new_positive
    click.echo(
        ngettext("{n} round in a row without a new positive", "{n} rounds in a row without a new positive", n).format(
            n=n
        )
    )
