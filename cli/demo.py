"""``poolab demo``"""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING

import click

from poolab.i18n import _, ngettext

if TYPE_CHECKING:
    from poolab.demo.run import DemoStep


@click.command()
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the district and of the infections.")
@click.option(
    "--infected",
    default=25,
    show_default=True,
    type=click.IntRange(0),
    help="Infected residents (with --files: among those of the two plates the day imports).",
)
@click.option("--residents", default=97488, show_default=True, type=click.IntRange(1))
@click.option("--households", default=58937, show_default=True, type=click.IntRange(1))
@click.option("--compounds", default=38, show_default=True, type=click.IntRange(1))
@click.option(
    "--folder",
    default="poolab-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the store and every CSV go (an earlier demo there is replaced).",
)
@click.option(
    "--files",
    "files_folder",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Instead of the timed demo, write into DIR the scanner and instrument files the README's "
    '"A day in a district" uses (field and reception scans, a qPCR export, a results CSV, the '
    "retest tubes' scans and results), for a fresh store holding the district `poolab roster demo` "
    "writes with the same --seed, --residents, --households and --compounds.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace a store in FOLDER even if it is not an earlier demo's (one with other campaigns, "
    "or an imported roster and no campaign yet); with --files, replace files of the same names.",
)
@click.option(
    "--paper",
    is_flag=True,
    help="Also print: labels.pdf (tube labels), manifest.pdf (the sampling team's sheet) and "
    "retest-labels.pdf. Needs the print extra; adds about 15 s for the district, so not by default.",
)
@click.option(
    "--plate-size",
    type=click.Choice(["96", "384"]),
    default="384",
    show_default=True,
    help="Wells per plate at the simulated bench (a QuantStudio export per plate).",
)
@click.option(
    "--days",
    default=1,
    show_default=True,
    type=click.IntRange(1, 30),
    help="Days of the silent period, one round a day, each after the one before (campaign new "
    "--after): isolated positives left out, their contacts and the residents whose retest was "
    "lost swabbed alone, home visits for the elderly living alone; infections carried forward.",
)
@click.option(
    "--household-attack",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="With --days: the chance that a day at home with one infected household member infects a resident.",
)
def demo(
    seed: int,
    infected: int,
    residents: int,
    households: int,
    compounds: int,
    folder: str,
    paper: bool,
    plate_size: str,
    force: bool,
    days: int,
    household_attack: float,
    files_folder: str | None,
) -> None:
    """Run the whole district loop on a synthetic district, timing every step.

    Generates the seed district (97,488 residents by default), imports it into a new
    SQLite store, creates a 10-in-1 campaign, writes the manifest, simulates
    collection, reception and a lab bench: tubes onto plates with their controls, a
    QuantStudio export per plate imported as it is (INFECTED residents with Ct values;
    pools dilute them), failed runs onto a later plate; resolves the pools, simulates
    the individual retests and lists the confirmed positives. The store and every file stay in FOLDER to open and to use
    with the other commands (poolab --db sqlite:///poolab-demo/poolab.db status demo-day1).

    With --days 3: the district's silent period, day after day (demo-day1, demo-day2,
    demo-day3), ending with the run of days that poolab rounds shows.

    \b
    Examples:
      poolab demo                 # the district's loop, timed; the store stays in poolab-demo/
      poolab demo --days 3        # the silent period, three rounds each after the one before
      poolab demo --paper         # the same, printing labels and the team's PDF sheet too
      poolab demo --files .       # the files the README's "A day in a district" reads
    """
    if files_folder is not None:
        _write_day_files(files_folder, seed, infected, residents, households, compounds, force)
        return
    from poolab.demo.run import run_demo

    click.echo(
        _("poolab demo: {residents} residents, {infected} infected, seed {seed} -> {folder}/").format(
            residents=residents, infected=infected, seed=seed, folder=folder
        )
    )

    width = 28 if days == 1 else 36  # "day 2: retest receive + plates"

    def show(step: DemoStep) -> None:
        click.echo(
            _("  {step} {seconds:7.2f} s  {detail}").format(
                step=step.name.ljust(width), seconds=step.seconds, detail=step.detail
            )
        )

    report = run_demo(
        folder,
        seed=seed,
        infected=infected,
        residents=residents,
        households=households,
        compounds=compounds,
        on_step=show,
        paper=paper,
        plate_size=int(plate_size),
        force=force,
        days=days,
        household_attack=household_attack,
    )
    click.echo(
        _("  {step} {seconds:7.2f} s  {detail}")
        .format(step=_("total").ljust(width), seconds=report.total_seconds, detail="")
        .rstrip()
    )
    for d in report.days:
        mark = "" if d.exact else _("  MISMATCH with the detectable infected residents")
        click.echo(
            _("{campaign}: infected {infected}, detectable {detectable}, confirmed {confirmed}: {residents}").format(
                campaign=d.campaign,
                infected=len(d.infected),
                detectable=len(d.detectable),
                confirmed=len(d.confirmed),
                residents=_(", ").join(d.confirmed) or _("none"),
            )
            + mark
        )
    db = shlex.quote(os.path.join(folder, "poolab.db"))
    if report.rounds is not None:
        n = report.rounds.rounds_without_new_positive
        days_said = " -> ".join(
            _("{campaign} {new} new").format(campaign=r.campaign, new=r.new_positives) for r in report.rounds.rounds
        )
        click.echo(
            ngettext(
                "rounds: {rounds}; {n} round in a row without a new positive ({command})",
                "rounds: {rounds}; {n} rounds in a row without a new positive ({command})",
                n,
            ).format(rounds=days_said, n=n, command=f"poolab --db {db} rounds {report.campaign}")
        )
    click.echo(
        _("confirmed positives ({count}): {residents}").format(
            count=len(report.confirmed), residents=_(", ").join(report.confirmed) or _("none")
        )
    )
    click.echo(
        _(
            "infected {infected}; detectable by the simulated assay {detectable}; "
            "missed (diluted or below the limit) {missed}"
        ).format(infected=len(report.infected), detectable=len(report.detectable), missed=len(report.missed))
    )
    click.echo(
        _("confirmed positives are exactly the detectable infected residents")
        if report.exact
        else _("confirmed positives are MISMATCH with the detectable infected residents")
    )
    if not paper:
        click.echo(
            _("labels and the team's PDF sheet too: {command} (needs poolab[print])").format(
                command="poolab demo --paper"
            )
        )
    click.echo(
        _("watch it in a browser: {command}  (then open {url}; needs poolab[web])").format(
            command=f"poolab --db {db} serve", url=f"http://127.0.0.1:8000/campaigns/{report.campaign}"
        )
    )
    if not report.exact:
        raise SystemExit(1)


def _write_day_files(
    folder: str, seed: int, infected: int, residents: int, households: int, compounds: int, force: bool
) -> None:
    """``--files DIR``: rehearse the README's day and write the files it reads."""
    from poolab.demo.dayfiles import DAY, write_day_files

    click.echo(f"rehearsing the day ({residents} residents, seed {seed}) in a scratch store...")
    done = write_day_files(
        folder,
        seed=seed,
        residents=residents,
        households=households,
        compounds=compounds,
        infected=infected,
        force=force,
        on_step=lambda step: click.echo(f"  {step}"),
    )
    for f in done.files:
        click.echo(f"wrote {os.path.join(folder, f.name)} ({f.rows:,} lines), for: {f.command}")
    roster = ["poolab", "roster", "demo", "-o", "district.csv"]
    for option, value, default in (
        ("--residents", residents, 97488),
        ("--households", households, 58937),
        ("--compounds", compounds, 38),
        ("--seed", seed, 0),
    ):
        roster += [option, str(value)] if value != default else []
    click.echo(
        f"they fit a fresh store holding the district of `{shlex.join(roster)}` and campaign {DAY}, "
        "the README's steps taken in its order (A day in a district)"
    )
