"""``poolab roster demo`` and ``poolab roster import``"""

from __future__ import annotations

import click

from poolab.i18n import _

from .common import (
    VERBATIM,
    AppContext,
    HelpGroup,
    encoding_option,
    hint,
    next_step,
    output_target,
    pass_app,
    stderr_progress,
)


@click.group(cls=HelpGroup, help=_("Residents: import the neighbourhood committee's roster, or make a synthetic one."))
def roster() -> None:
    pass


@roster.command(
    "demo",
    help=_(
        "Write a synthetic district roster (by default the size of the real district: "
        "97,488 residents, 58,937 households, 38 compounds), with buildings, units, rooms, "
        "Chinese names and valid ID numbers of district 230102."
    )
    + VERBATIM
    + _("Examples:")
    + "\n"
    "  poolab roster demo -o district.csv --seed 7\n"
    "  poolab roster demo -o small.csv --residents 500 --households 300 --compounds 3\n"
    "  poolab roster demo -o district.csv --home-visits",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help=_("Roster CSV to write ('-' for stdout)."),
)
@click.option("--residents", default=97488, show_default=True, type=click.IntRange(1), help=_("Residents."))
@click.option("--households", default=58937, show_default=True, type=click.IntRange(1), help=_("Households."))
@click.option("--compounds", default=38, show_default=True, type=click.IntRange(1), help=_("Compounds."))
@click.option("--seed", default=0, show_default=True, type=int, help=_("Same seed, same district."))
@click.option(
    "--encoding",
    type=click.Choice(["utf-8", "utf-8-sig", "gb18030"]),
    default="utf-8",
    show_default=True,
    help=_("utf-8-sig adds the BOM Excel expects; gb18030 as many committees send."),
)
@click.option(
    "--home-visits",
    is_flag=True,
    help=_(
        "Add the home_visit column: residents of 80 or more living alone are sampled at home "
        "(about {share} of the district). The residents are the same either way."
    ).format(share="0.6%"),
)
def roster_demo(
    output: str, residents: int, households: int, compounds: int, seed: int, encoding: str, home_visits: bool
) -> None:
    from poolab.roster.synthetic import write_district

    n = write_district(
        output_target(output),
        residents=residents,
        households=households,
        compounds=compounds,
        seed=seed,
        encoding=encoding,
        home_visits=home_visits,
    )
    if output != "-":
        click.echo(
            _("wrote {file}: {residents} residents, {households} households, {compounds} compounds").format(
                file=output, residents=n, households=households, compounds=compounds
            ),
            err=True,
        )


@roster.command(
    "import",
    help=_("Import or update residents from a roster CSV (UTF-8, UTF-8 with BOM or GB18030).")
    + "\n\n"
    + _(
        "Columns: {columns}, and optionally home_visit (1/0, true/false, y/n, 是/否; empty is no): "
        "residents sampled at home, pooled among themselves on a manifest of their own. Required: "
        "{required} (resident_id unique). An id_number is checked (18 characters, ISO 7064 MOD 11-2 "
        "check character). A file without home_visit leaves the stored flags as they are."
    ).format(
        columns="resident_id,name,id_number,phone,compound,building,unit,room,household_id",
        required="resident_id, compound, building, household_id",
    )
    + "\n\n"
    + _(
        "All or nothing: any bad line rejects the whole file and every problem is listed "
        "with its line. Importing the same file again changes nothing; a changed file "
        "updates the residents it changes (the old values are kept in the history)."
    )
    + "\n\n"
    + _(
        "A city's roster is read a block at a time (memory stays flat at any size); on a "
        "terminal a long import shows its progress on stderr."
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@encoding_option
@pass_app
def roster_import(app: AppContext, file: str, encoding: str | None) -> None:
    from poolab.roster.importing import import_roster

    store = app.store()
    with stderr_progress() as progress:
        s = import_roster(store, file, operator=app.operator, encoding=encoding, progress=progress)
    click.echo(
        _("{file} ({encoding}): {rows} rows; {inserted} new, {updated} updated, {unchanged} unchanged").format(
            file=file, encoding=s.encoding, rows=s.rows, inserted=s.inserted, updated=s.updated, unchanged=s.unchanged
        )
    )
    next_step(app, hint("campaign", "new", "NAME"))
