"""``poolab rounds NAME``: the run of days of a silent period."""

from __future__ import annotations

import click

from .common import AppContext, echo_json, pass_app
from .estimate import accuracy_values


@click.command()
@click.argument("name")
@click.option(
    "--se",
    default="1",
    show_default=True,
    metavar="S[,S]",
    help="Sensitivity of the pool test (and of the individual test after a comma) for the estimates.",
)
@click.option(
    "--sp",
    default="1",
    show_default=True,
    metavar="S[,S]",
    help="Specificity of the pool test (and of the individual test after a comma) for the estimates.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@pass_app
def rounds(app: AppContext, name: str, se: str, sp: str, as_json: bool) -> None:
    """The rounds of the chain ending at campaign NAME, oldest first: residents
    sampled, isolated positives left out, close contacts swabbed alone and left out,
    pool tubes, positive pools (inconclusive ones included), new positives, and the
    prevalence estimate with its 95% interval (as poolab estimate gives it).

    Then how many rounds in a row, newest first, found no new positive: what decides
    when the silence is lifted. A round counts once its results are complete; the
    newest rounds still under way are passed over.

    \b
    JSON (--json): {"rounds": [{"campaign", "residents_sampled", "isolated",
    "contacts_single", "contacts_excluded", "tubes", "positive_pools",
    "new_positives", "prevalence", "ci95"}, ...], "rounds_without_new_positive": n};
    prevalence and ci95 are null while a round has no pool result.

    \b
    Examples:
      poolab rounds day3
      poolab rounds day3 --json
    """
    from poolab.reports.rounds import campaign_rounds
    from poolab.reports.rounds_text import rounds_lines

    report = campaign_rounds(app.store(), name, se=accuracy_values(se, "se"), sp=accuracy_values(sp, "sp"))
    if as_json:
        echo_json(report.as_json())
        return
    for line in rounds_lines(report):
        click.echo(line)
