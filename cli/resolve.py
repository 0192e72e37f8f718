"""``poolab retest``, ``poolab rerun``, ``poolab positives``, ``poolab status``"""

from __future__ import annotations

import click

from poolab.i18n import _

from .common import (
    AppContext,
    echo_json,
    hint,
    next_step,
    output_option,
    output_target,
    pass_app,
    unmasked_option,
)
from .late import late_options


@click.command(
    help=_(
        "Individuals of campaign NAME to resample (单采单检): every member of a positive "
        "or inconclusive pool, and anyone whose individual tube was inconclusive, each with "
        "a new tube barcode. Asked again, the same people keep the same tubes."
    )
    + "\n\n"
    + _("Columns: {columns}.").format(
        columns="resident_id,name,compound,building,unit,room,household_id,pool_tube_barcode,retest_tube_barcode"
    )
)
@click.argument("name")
@output_option()
@unmasked_option
@pass_app
def retest(app: AppContext, name: str, output: str, unmasked: bool) -> None:
    from poolab.lab.resolve import write_retest

    s = write_retest(app.store(), name, output_target(output), operator=app.operator, unmasked=unmasked)
    if output != "-":
        click.echo(
            _("wrote {file}: {residents} residents to resample ({new} new tubes)").format(
                file=s.path, residents=s.rows, new=s.new
            )
        )
        next_step(
            app,
            hint("labels", name, "--what", "retest", "-o", f"{name}-retest-labels.pdf"),
            hint("receive", name, when=_("as the new tubes arrive")),
        )


@click.command(
    help=_(
        "Tubes of campaign NAME whose run failed (result invalid): re-run from the same tube. Columns: {columns}."
    ).format(columns="tube_barcode,reason")
)
@click.argument("name")
@output_option()
@pass_app
def rerun(app: AppContext, name: str, output: str) -> None:
    from poolab.lab.resolve import write_rerun

    s = write_rerun(app.store(), name, output_target(output))
    if output != "-":
        click.echo(_("wrote {file}: {tubes} tubes to re-run").format(file=s.path, tubes=s.rows))
        if s.rows:
            next_step(
                app,
                hint("plate", "new", name, "-o", f"{name}-plates-rerun.csv"),
                hint("results", "import", name, "FILE", when=_("once the plate is run")),
            )


@click.command(
    help=_("Confirmed positive residents of campaign NAME (positive individual tubes).")
    + "\n\n"
    + _("Columns: {columns}.").format(columns="resident_id,name,compound,building,unit,room,household_id,tube_barcode")
)
@click.argument("name")
@output_option()
@unmasked_option
@pass_app
def positives(app: AppContext, name: str, output: str, unmasked: bool) -> None:
    from poolab.lab.resolve import write_positives

    s = write_positives(app.store(), name, output_target(output), unmasked=unmasked)
    if output != "-":
        click.echo(_("wrote {file}: {residents} confirmed positive residents").format(file=s.path, residents=s.rows))
        next_step(app, hint("status", name))


@click.command(
    help=_(
        "Where every tube of campaign NAME stands: tubes by furthest step (planned, "
        "collected, received, resulted), results by call, retests, confirmed positives, "
        "and what is still missing; turnaround (collection to receipt, receipt to first "
        "result: median and 90th percentile) and late tubes. JSON adds `turnaround` and "
        "`late` to the keys of docs/formats.md."
    )
)
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help=_("One JSON object on stdout."))
@click.option("--missing", is_flag=True, help=_("Also list the barcodes still waiting for receipt or a result."))
@late_options
@pass_app
def status(app: AppContext, name: str, as_json: bool, missing: bool, late_receipt: float, late_result: float) -> None:
    from poolab.reports.status import campaign_status, missing_tubes
    from poolab.reports.status_text import status_lines
    from poolab.reports.timing import LateRule

    store = app.store()
    s = campaign_status(store, name, late=LateRule(late_receipt, late_result))
    lists = missing_tubes(store, name) if missing else None
    if as_json:
        obj = s.as_json()
        if lists is not None:
            obj["missing"] = lists
        echo_json(obj)
        return
    for line in status_lines(s, lists):
        click.echo(line)
