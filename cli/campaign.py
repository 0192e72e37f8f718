"""``poolab campaign new``"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

import click

from poolab.i18n import _

from .common import VERBATIM, AppContext, HelpGroup, hint, next_step, pad, pass_app, stderr_progress

if TYPE_CHECKING:
    from poolab.field.campaigns import CampaignSummary


@click.group(cls=HelpGroup, help=_("Testing rounds (campaigns) and their pools."))
def campaign() -> None:
    pass


@campaign.command(
    "new",
    help=_("Create testing round NAME and its pool tubes.")
    + "\n\n"
    + _(
        "Residents are pooled in walk order (compound, building, unit, room), households "
        "kept together, no tube crossing a compound, with as few tubes as possible; each "
        "tube gets a barcode with a check character. Residents the roster marks home_visit "
        "are pooled among themselves (per compound, households together) on a manifest of "
        "their own: {command}."
    ).format(command="poolab manifest NAME --home-visits")
    + "\n\n"
    + _(
        "A round that follows another (--after PREV) leaves out the residents confirmed "
        "positive in PREV or any earlier round of its chain, handles their close contacts "
        "as --contacts says, and gives each resident of PREV's positive or inconclusive "
        "pools who has no individual result yet a tube of their own."
    )
    + VERBATIM
    + _(
        "Examples:\n"
        "  poolab campaign new day1\n"
        "  poolab campaign new day2 --after day1\n"
        "  poolab estimate day1 --by building -o day1-risk.csv\n"
        "  poolab campaign new day2 --after day1 --risk-buildings day1-risk.csv --risk-pool-size 3\n"
        "  poolab campaign new day3 --after day2 --contacts exclude --isolation-rounds 14\n"
        "  poolab campaign new day1-sealed --one-tube-per-household --compound 东风家园  # of the demo roster\n"
        "  poolab campaign new day2-field --field-binding"
    ),
)
@click.argument("name")
@click.option(
    "--pool-size", default=10, show_default=True, type=click.IntRange(1, 100), help=_("Swabs per tube (10 for 十混一).")
)
@click.option(
    "--one-tube-per-household", is_flag=True, help=_("1户1管: each household its own tube (sealed compounds).")
)
@click.option(
    "--compound",
    "compounds",
    multiple=True,
    metavar="C",
    help=_("Only this compound (repeat for several). Default: every compound."),
)
@click.option(
    "--field-binding",
    is_flag=True,
    help=_("Pre-printed tubes bound in the field by scanning (poolab collect); no tubes are laid out now."),
)
@click.option(
    "--after",
    metavar="PREV",
    help=_(
        "The round this one follows (a silent period, day after day): the chain's confirmed "
        "positives are left out, their close contacts handled by --contacts, and PREV's residents "
        "still waiting for an individual result each get a tube of their own."
    ),
)
@click.option(
    "--contacts",
    type=click.Choice(["single", "exclude", "pool"]),
    default=None,
    help=_(
        "With --after: close contacts of the isolated positives each get a tube of their own "
        "(single, 单采单检; the default), are left out (exclude: quarantined elsewhere), or are pooled "
        "as everyone else (pool)."
    ),
)
@click.option(
    "--contacts-of",
    type=click.Choice(["household", "room"]),
    default=None,
    help=_(
        "With --after: who is a close contact: the positive's household (the default), or "
        "everyone living in the positive's room together with their own households."
    ),
)
@click.option(
    "--isolation-rounds",
    type=click.IntRange(1),
    default=None,
    metavar="N",
    help=_(
        "With --after: a confirmed positive stays out of the N rounds after the one that "
        "confirmed them (their contacts with them). Default: every later round of the chain."
    ),
)
@click.option(
    "--risk-buildings",
    type=click.Path(exists=True, dir_okay=False),
    metavar="FILE",
    help=_(
        "CSV with columns {columns} (what `poolab estimate --by building -o` writes; with a flag "
        "column above_district, only its true rows; an empty building means the whole compound): "
        "their residents are pooled at --risk-pool-size."
    ).format(columns="compound,building"),
)
@click.option(
    "--risk-pool-size",
    type=int,
    default=None,
    metavar="K",
    help=_("Swabs per tube in the risk buildings, 1 (single tubes) to the pool size. Default: 5."),
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
    from poolab.errors import PoolabError
    from poolab.field.campaigns import DEFAULT_RISK_POOL_SIZE, create_campaign
    from poolab.field.rounds import RoundRules

    if risk_pool_size is not None and risk_buildings is None:
        raise PoolabError(_("--risk-pool-size needs --risk-buildings FILE"))
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
            _("campaign {name}: {residents} residents; tubes are bound in the field ({command})").format(
                name=s.name, residents=s.residents, command=shlex.join(["poolab", "collect", s.name])
            )
        )
        return
    click.echo(
        _(
            "campaign {name}: {residents} residents in {tubes} tubes of up to {pool_size} "
            "(lower bound {lower_bound}, {ratio:.4f}×; {share:.1%} of tubes inside one building)"
        ).format(
            name=s.name,
            residents=s.residents,
            tubes=s.tubes,
            pool_size=s.pool_size,
            lower_bound=s.lower_bound,
            ratio=s.tubes / max(s.lower_bound, 1),
            share=s.single_building_share,
        )
        + _groups(s)
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
            _(
                "after {previous}: {isolated} isolated left out, {excluded} contacts left out, "
                "{single} contacts and {pending} pending residents each in a tube of their own, "
                "{pooled} contacts pooled"
            ).format(
                previous=s.after,
                isolated=s.isolated,
                excluded=s.contacts_excluded,
                single=s.contacts_single,
                pending=s.pending,
                pooled=s.contacts_pooled,
            )
        )
    if s.risk_pool_size:
        parts.append(
            _("{residents} residents of risk buildings in tubes of up to {pool_size}").format(
                residents=s.risk_residents, pool_size=s.risk_pool_size
            )
        )
    if s.home_visits:
        parts.append(
            _("{home_visits} home visits in {tubes} tubes").format(home_visits=s.home_visits, tubes=s.home_visit_tubes)
        )
    return _("; ") + _("; ").join(parts) if parts else ""


@campaign.command(
    "list",
    help=_(
        "The campaigns in the store, oldest first: pool size, mode, when and by whom "
        "they were created, and how many pool tubes they have."
    ),
)
@pass_app
def campaign_list(app: AppContext) -> None:
    from poolab.field.campaigns import list_campaigns

    rows = list_campaigns(app.store())
    if not rows:
        click.echo(_("no campaigns yet; create one with: {command}").format(command="poolab campaign new NAME"))
        return
    h_campaign = _("campaign")
    h_pool = _("pool")
    h_mode = _("mode")
    h_created_utc = _("created (UTC)")
    h_by = _("by")
    h_tubes = _("tubes")
    click.echo(
        f"{pad(h_campaign, 24)} {pad(h_pool, 4, '>')}  {pad(h_mode, 22)} "
        f"{pad(h_created_utc, 16)}  {pad(h_by, 12)} {pad(h_tubes, 7, '>')}"
    )
    for name, k, one, field, at, op, tubes in rows:
        mode = _("field binding") if field else (_("one tube per household") if one else _("pooled"))
        click.echo(f"{pad(name, 24)} {k:>4}  {pad(mode, 22)} {at:<16}  {pad(op, 12)} {tubes:>7}")
