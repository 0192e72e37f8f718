"""``poolab plate new``, ``plate import``, ``plate list``, ``plate map``"""

from __future__ import annotations

import shlex

import click

from poolab.i18n import _

from .common import VERBATIM, AppContext, HelpGroup, output_option, output_target, pad, pass_app

_SIZE = click.option(
    "--size",
    type=click.Choice(["96", "384"]),
    default="96",
    show_default=True,
    help=_("Wells per plate."),
)


@click.group(
    cls=HelpGroup,
    help=_("The lab bench's plates: tubes racked beside a positive and a negative control.")
    + VERBATIM
    + _(
        "A day at the bench:\n"
        "  poolab plate new day1 -o day1-plates.csv       # plate maps for the robot and the qPCR\n"
        "  poolab labels day1 --what plates -o day1-plate-labels.pdf\n"
        "  poolab results import day1 run-L000000012N.txt # the instrument's export, as it is\n"
        "  poolab plate list day1                         # mapped, resulted, failed control\n"
        "  poolab rerun day1 -o day1-rerun.csv            # failed runs, with the reason\n"
        "  poolab plate new day1 -o day1-plates-2.csv     # the re-runs go onto a later plate"
    ),
)
def plate() -> None:
    pass


@plate.command(
    "new",
    help=_("Put campaign NAME's received tubes that wait for a plate onto new plates.")
    + "\n\n"
    + _(
        "Tubes go in reception order, column by column (A1, B1, ... H1, A2, ...); the negative "
        "control takes the second-last well (G12; O24 on 384) and the positive control the "
        "last (H12; P24). A tube waits for a plate when it has no result yet, or its result is "
        "invalid and its plate has run (the re-run goes onto a later plate; the tube's history "
        "keeps both). Each plate gets a barcode: L, nine digits, a check character."
    )
    + "\n\n"
    + _("Writes the plate map CSV ({columns}), whole or not at all.").format(
        columns="plate_barcode,well,kind,tube_barcode"
    ),
)
@click.argument("name")
@_SIZE
@output_option()
@pass_app
def plate_new(app: AppContext, name: str, size: str, output: str) -> None:
    from poolab.lab.bench.plates import new_plates

    s = new_plates(app.store(), name, output_target(output), size=int(size), operator=app.operator)
    reruns = _(" ({reruns} re-runs)").format(reruns=s.reruns) if s.reruns else ""
    click.echo(
        _("{plates} plate(s), {tubes} tubes").format(plates=len(s.plates), tubes=s.samples)
        + reruns
        + f" -> {s.path}: {', '.join(s.plates)}"
    )


@plate.command(
    "import",
    help=_("Import plate maps made elsewhere (a rack scanner, the lab's own system).")
    + "\n\n"
    + _(
        "Columns: {columns}. kind is sample, positive_control, negative_control or empty; "
        "tube_barcode is empty except for samples. Wells are A1 (A01 is read too) within the "
        "plate's --size. Every plate needs a positive and a negative control well. Each tube must "
        "be of campaign NAME, received, named once, and waiting for a plate. All or nothing: any "
        "bad line refuses the file, every problem listed with its line. The same file imported "
        "again is a no-op."
    ).format(columns="plate_barcode,well,kind,tube_barcode"),
)
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_SIZE
@pass_app
def plate_import(app: AppContext, name: str, file: str, size: str) -> None:
    from poolab.lab.bench.plates import import_plate_map

    s = import_plate_map(app.store(), name, file, size=int(size), operator=app.operator)
    if s.already_imported:
        click.echo(_("{file}: already imported; nothing to do").format(file=file))
        return
    click.echo(
        f"{file}: "
        + _("{plates} plate(s), {tubes} tubes").format(plates=len(s.plates), tubes=s.samples)
        + f": {', '.join(s.plates)}"
    )


@plate.command(
    "list",
    help=_(
        "Campaign NAME's plates and where each stands: mapped (no export imported yet), "
        "resulted, or failed control (with the control that failed)."
    ),
)
@click.argument("name")
@pass_app
def plate_list(app: AppContext, name: str) -> None:
    from poolab.lab.bench.plates import list_plates, plate_state

    plates = list_plates(app.store(), name)
    if not plates:
        command = shlex.join(["poolab", "plate", "new", name, "-o", "FILE"])
        click.echo(_("no plates in {name} yet: {command}").format(name=name, command=command))
        return
    h_plate = _("plate")
    h_wells = _("wells")
    h_samples = _("samples")
    h_state = _("state")
    h_made = _("made")
    h_by = _("by")
    click.echo(
        f"{pad(h_plate, 12)} {pad(h_wells, 5, '>')} {pad(h_samples, 7, '>')}  "
        f"{pad(h_state, 15)} {pad(h_made, 16)}  {h_by}"
    )
    for p in plates:
        click.echo(
            f"{p.barcode:<12} {p.size:>5} {p.samples:>7}  {pad(plate_state(p), 15)} "
            f"{p.created:%Y-%m-%d %H:%M}  {p.operator}"
        )
        if p.message:
            click.echo(f"{'':<12} {p.message}")


@plate.command("map", help=_("Write campaign NAME's plate maps (or one plate's) again, as plate new wrote them."))
@click.argument("name")
@click.option("--plate", "plate_code", help=_("Only this plate's map."))
@output_option()
@pass_app
def plate_map(app: AppContext, name: str, plate_code: str | None, output: str) -> None:
    from poolab.lab.bench.plates import write_plate_maps

    n = write_plate_maps(app.store(), name, output_target(output), plate=plate_code)
    click.echo(_("{wells} wells -> {file}").format(wells=n, file=output))
