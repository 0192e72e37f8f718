"""``poolab retest``, ``poolab rerun``, ``poolab positives``, ``poolab status``"""

from __future__ import annotations

import click

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


@click.command()
@click.argument("name")
@output_option()
@unmasked_option
@pass_app
def retest(app: AppContext, name: str, output: str, unmasked: bool) -> None:
    """Individuals of campaign NAME to resample (单采单检): every member of a positive
    or inconclusive pool, and anyone whose individual tube was inconclusive, each with
    a new tube barcode. Asked again, the same people keep the same tubes.

    Columns: resident_id,name,compound,building,unit,room,household_id,
    pool_tube_barcode,retest_tube_barcode.
    """
    from poolab.lab.resolve import write_retest

    s = write_retest(app.store(), name, output_target(output), operator=app.operator, unmasked=unmasked)
    if output != "-":
        click.echo(f"wrote {s.path}: {s.rows} residents to resample ({s.new} new tubes)")
        next_step(
            app,
            hint("labels", name, "--what", "retest", "-o", f"{name}-retest-labels.pdf"),
            hint("receive", name, when="as the new tubes arrive"),
        )


@click.command()
@click.argument("name")
@output_option()
@pass_app
def rerun(app: AppContext, name: str, output: str) -> None:
    """Tubes of campaign NAME whose run failed (result invalid): re-run from the same
    tube. Columns: tube_barcode,reason."""
    from poolab.lab.resolve import write_rerun

    s = write_rerun(app.store(), name, output_target(output))
    if output != "-":
        click.echo(f"wrote {s.path}: {s.rows} tubes to re-run")
        if s.rows:
            next_step(
                app,
                hint("plate", "new", name, "-o", f"{name}-plates-rerun.csv"),
                hint("results", "import", name, "FILE", when="once the plate is run"),
            )


@click.command()
@click.argument("name")
@output_option()
@unmasked_option
@pass_app
def positives(app: AppContext, name: str, output: str, unmasked: bool) -> None:
    """Confirmed positive residents of campaign NAME (positive individual tubes).

    Columns: resident_id,name,compound,building,unit,room,household_id,tube_barcode.
    """
    from poolab.lab.resolve import write_positives

    s = write_positives(app.store(), name, output_target(output), unmasked=unmasked)
    if output != "-":
        click.echo(f"wrote {s.path}: {s.rows} confirmed positive residents")
        next_step(app, hint("status", name))


@click.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@click.option("--missing", is_flag=True, help="Also list the barcodes still waiting for receipt or a result.")
@late_options
@pass_app
def status(app: AppContext, name: str, as_json: bool, missing: bool, late_receipt: float, late_result: float) -> None:
    """Where every tube of campaign NAME stands: tubes by furthest step (planned,
    collected, received, resulted), results by call, retests, confirmed positives,
    and what is still missing; turnaround (collection to receipt, receipt to first
    result: median and 90th percentile) and late tubes. JSON adds `turnaround` and
    `late` to the keys of docs/formats.md."""
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
