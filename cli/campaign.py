"""``poolab campaign new``"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

import click

from .common import AppContext, hint, next_step, pass_app, stderr_progress

if TYPE_CHECKING:
    from poolab.field.campaigns import CampaignSummary


@click.group()
def campaign() -> None:
    """Testing rounds (campaigns) and their pools."""


@campaign.command("new")
@click.argument("name")
@click.option(
    "--pool-size", default=10, show_default=True, type=click.IntRange(1, 100), help="Swabs per tube (10 for 十混一)."
)
@click.option("--one-tube-per-household", is_flag=True, help="1户1管: each household its own tube (sealed compounds).")
@click.option(
    "--compound",
    "compounds",
    multiple=True,
    metavar="C",
    help="Only this compound (repeat for several). Default: every compound.",
)
@click.option(
    "--field-binding",
    is_flag=True,
    help="Pre-printed tubes bound in the field by scanning (poolab collect); no tubes are laid out now.",
)
@click.option(
    "--after",
    metavar="PREV",
    help="The round this one follows (a silent period, day after day): the chain's confirmed "
    "positives are left out, their close contacts handled by --contacts, and PREV's residents "
    "still waiting for an individual result each get a tube of their own.",
)
@click.option(
    "--contacts",
    type=click.Choice(["single", "exclude", "pool"]),
    default=None,
    help="With --after: close contacts of the isolated positives each get a tube of their own "
    "(single, 单采单检; the default), are left out (exclude: quarantined elsewhere), or are pooled "
    "as everyone else (pool).",
)
@click.option(
    "--contacts-of",
    type=click.Choice(["household", "room"]),
    default=None,
    help="With --after: who is a close contact: the positive's household (the default), or "
    "everyone living in the positive's room together with their own households.",
)
@click.option(
    "--isolation-rounds",
    type=click.IntRange(1),
    default=None,
    metavar="N",
    help="With --after: a confirmed positive stays out of the N rounds after the one that "
    "confirmed them (their contacts with them). Default: every later round of the chain.",
)
@click.option(
    "--risk-buildings",
    type=click.Path(exists=True, dir_okay=False),
    metavar="FILE",
    help="CSV with compound,building (what `poolab estimate --by building -o` writes; with a flag "
    "column above_district, only its true rows; an empty building means the whole compound): "
    "their residents are pooled at --risk-pool-size.",
)
@click.option(
    "--risk-pool-size",
    type=int,
    default=None,
    metavar="K",
    help="Swabs per tube in the risk buildings, 1 (single tubes) to the pool size. Default: 5.",
)
@pass_app
def campaign_new(
    app: AppContext,
    name: str,
    pool_size: int,
    one_tube_per_household: bool,
    compounds: tuple[str, ...],
    field_binding: bool,
    after: str | None,
    contacts: str | None,
    contacts_of: str | None,
    isolation_rounds: int | None,
    risk_buildings: str | None,
    risk_pool_size: int | None,
) -> None:
    """Create testing round NAME and its pool tubes.

    Residents are pooled in walk order (compound, building, unit, room), households
    kept together, no tube crossing a compound, with as few tubes as possible; each
    tube gets a barcode with a check character. Residents the roster marks home_visit
    are pooled among themselves (per compound, households together) on a manifest of
    their own: poolab manifest NAME --home-visits.

    A round that follows another (--after PREV) leaves out the residents confirmed
    positive in PREV or any earlier round of its chain, handles their close contacts
    as --contacts says, and gives each resident of PREV's positive or inconclusive
    pools who has no individual result yet a tube of their own.

    \b
    Examples:
      poolab campaign new day1
      poolab campaign new day2 --after day1
      poolab estimate day1 --by building -o day1-risk.csv
      poolab campaign new day2 --after day1 --risk-buildings day1-risk.csv --risk-pool-size 3
      poolab campaign new day3 --after day2 --contacts exclude --isolation-rounds 14
      poolab campaign new day1-sealed --one-tube-per-household --compound 东风家园  # of the demo roster
      poolab campaign new day2-field --field-binding
    """
    from poolab.errors import PoolabError
    from poolab.field.campaigns import DEFAULT_RISK_POOL_SIZE, create_campaign
    from poolab.field.rounds import RoundRules

    if risk_pool_size is not None and risk_buildings is None:
        raise PoolabError("--risk-pool-size needs --risk-buildings FILE")
    chosen = {"contacts": contacts, "contacts_of": contacts_of, "isolation_rounds": isolation_rounds}
    given = {k: v for k, v in chosen.items() if v is not None}
    rules = RoundRules(**given) if given else None  # type: ignore[arg-type]
    if after is not None and rules is None:
        rules = RoundRules()
    store = app.store()
    with stderr_progress() as progress:
        s = create_campaign(
            store,
            name,
            operator=app.operator,
            pool_size=pool_size,
            one_tube_per_household=one_tube_per_household,
            compounds=compounds,
            field_binding=field_binding,
            progress=progress,
            after=after,
            rules=rules,
            risk_buildings=risk_buildings,
            risk_pool_size=DEFAULT_RISK_POOL_SIZE if risk_pool_size is None else risk_pool_size,
        )
    if s.field_binding:
        click.echo(
            f"campaign {s.name}: {s.residents} residents; tubes are bound in the field "
            f"({shlex.join(['poolab', 'collect', s.name])})"
        )
        return
    click.echo(
        f"campaign {s.name}: {s.residents} residents in {s.tubes} tubes of up to {s.pool_size} "
        f"(lower bound {s.lower_bound}, {s.tubes / max(s.lower_bound, 1):.4f}×; "
        f"{100 * s.single_building_share:.1f}% of tubes inside one building){_groups(s)}"
    )
    next_step(
        app,
        hint("manifest", s.name, "-o", f"{s.name}-manifest.csv"),
        hint("labels", s.name, "-o", f"{s.name}-labels.pdf"),
    )


def _groups(s: CampaignSummary) -> str:
    """The summary line's count of each group a round or a home-visit roster makes."""
    parts = []
    if s.after is not None:
        parts.append(
            f"after {s.after}: {s.isolated} isolated left out, {s.contacts_excluded} contacts left out, "
            f"{s.contacts_single} contacts and {s.pending} pending residents each in a tube of their own, "
            f"{s.contacts_pooled} contacts pooled"
        )
    if s.risk_pool_size:
        parts.append(f"{s.risk_residents} residents of risk buildings in tubes of up to {s.risk_pool_size}")
    if s.home_visits:
        parts.append(f"{s.home_visits} home visits in {s.home_visit_tubes} tubes")
    return "; " + "; ".join(parts) if parts else ""


@campaign.command("list")
@pass_app
def campaign_list(app: AppContext) -> None:
    """The campaigns in the store, oldest first: pool size, mode, when and by whom
    they were created, and how many pool tubes they have."""
    from poolab.field.campaigns import list_campaigns

    rows = list_campaigns(app.store())
    if not rows:
        click.echo("no campaigns yet; create one with: poolab campaign new NAME")
        return
    click.echo(f"{'campaign':<24} {'pool':>4}  {'mode':<22} {'created (UTC)':<16}  {'by':<12} {'tubes':>7}")
    for name, k, one, field, at, op, tubes in rows:
        mode = "field binding" if field else ("one tube per household" if one else "pooled")
        click.echo(f"{name:<24} {k:>4}  {mode:<22} {at:<16}  {op:<12} {tubes:>7}")
