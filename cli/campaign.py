"""``poolab campaign new``"""

from __future__ import annotations

import shlex

import click

from .common import AppContext, hint, next_step, pass_app, stderr_progress


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
@pass_app
def campaign_new(
    app: AppContext,
    name: str,
    pool_size: int,
    one_tube_per_household: bool,
    compounds: tuple[str, ...],
    field_binding: bool,
) -> None:
    """Create testing round NAME and its pool tubes.

    Residents are pooled in walk order (compound, building, unit, room), households
    kept together, no tube crossing a compound, with as few tubes as possible; each
    tube gets a barcode with a check character.

    \b
    Examples:
      poolab campaign new day1
      poolab campaign new day1-sealed --one-tube-per-household --compound 东风家园  # of the demo roster
      poolab campaign new day2-field --field-binding
    """
    from poolab.field.campaigns import create_campaign

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
        f"{100 * s.single_building_share:.1f}% of tubes inside one building)"
    )
    next_step(
        app,
        hint("manifest", s.name, "-o", f"{s.name}-manifest.csv"),
        hint("labels", s.name, "-o", f"{s.name}-labels.pdf"),
    )


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
