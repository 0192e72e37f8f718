"""``poolab manifest`` and ``poolab collect``"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from poolab.i18n import _

from .collector import resume_collector
from .common import (
    VERBATIM,
    AppContext,
    hint,
    next_step,
    output_target,
    pass_app,
    stderr_progress,
    unmasked_option,
)

if TYPE_CHECKING:
    from poolab.field.scans import ScanReport


@click.command(
    help=_(
        "The sampling manifest of campaign NAME: one row per resident in walk order, "
        "which tube (barcode) and slot each swab goes into. Home-visit tubes are on a "
        "manifest of their own (--home-visits), tube by tube, building by building."
    )
    + "\n\n"
    + _("Columns: {columns}. Names are masked (张*明) unless --unmasked.").format(
        columns="tube_barcode,slot,resident_id,name,compound,building,unit,room,household_id"
    )
    + "\n\n"
    + _(
        "When FILE ends in .pdf, the sheet a sampling team walks with instead: one section "
        "per building in walk order, each tube's barcode (scannable) beside its residents by "
        "unit and room, a tick box per resident, and on every page the campaign, compound, "
        "building, date and page numbers. Needs the print extra: {install}."
    ).format(install="pip install 'poolab[print]'")
    + VERBATIM
    + _("Examples:")
    + "\n"
    "  poolab manifest day1 -o day1-manifest.csv\n"
    "  poolab manifest day1 -o day1-manifest.pdf\n"
    "  poolab manifest day1 --home-visits -o day1-home-visits.pdf"
)
@click.argument("name")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, allow_dash=True),
    required=True,
    help=_("CSV file to write ('-' writes to stdout), or a .pdf file: the printed sheet for the sampling team."),
)
@unmasked_option
@click.option(
    "--home-visits",
    is_flag=True,
    help=_(
        "Only the home-visit tubes (residents the roster marks home_visit, sampled at home), "
        "for the home-visit team; without it the manifest leaves them out."
    ),
)
@pass_app
def manifest(app: AppContext, name: str, output: str, unmasked: bool, home_visits: bool) -> None:
    if output.lower().endswith(".pdf"):
        from poolab.paper.jobs import write_manifest_pdf

        with stderr_progress(unit=_("pages")) as progress:
            p = write_manifest_pdf(
                app.store(), name, output, unmasked=unmasked, home_visits=home_visits, progress=progress
            )
        click.echo(
            _("wrote {file}: {tubes} tubes, {residents} residents on {pages} pages").format(
                file=p.path, tubes=p.items, residents=p.residents, pages=p.pages
            )
        )
        return
    from poolab.field.sampling import write_manifest

    with stderr_progress() as progress:
        s = write_manifest(
            app.store(), name, output_target(output), unmasked=unmasked, progress=progress, home_visits=home_visits
        )
    if output != "-":
        click.echo(_("wrote {file}: {residents} residents").format(file=s.path, residents=s.rows))
        next_step(app, hint("receive", name, when=_("as the tubes reach the lab")))


def report_scans(report: ScanReport, what: str, *, label: str) -> None:
    """Print a stream's refusals grouped by reason (a few lines each; all of them in a
    problems file when not every one was shown) and a summary of what was kept (``what``:
    "tubes" or "scans"); exit 1 if any scan was refused or the store failed part-way (what
    was committed stays)."""
    from poolab.files.atomic import OutputFailed
    from poolab.files.problems import EXAMPLES, group_by_reason, problems_path, write_problems

    problems = report.problems
    for note in report.notes:
        click.echo(_("note: {note}").format(note=note), err=True)
    groups = group_by_reason(problems)
    for g in groups:
        if g.count > EXAMPLES:
            click.echo(
                _("refused {count} scans: {reason}; the first {shown}:").format(
                    count=g.count, reason=g.reason, shown=EXAMPLES
                ),
                err=True,
            )
        for p in g.examples:
            click.echo(_("refused: {problem}").format(problem=p), err=True)
    if any(g.count > EXAMPLES for g in groups):
        try:
            path = write_problems(problems, problems_path(problems[0].source, label=label))
            click.echo(
                _("all {count} refused scans, line by line: {path}").format(count=len(problems), path=path), err=True
            )
        except OutputFailed as failed:  # a full disk: the summary and where to rescan still follow
            click.echo(_("the refused scans could not all be listed: {reason}").format(reason=failed), err=True)
    summary = (
        _("{accepted} tubes accepted, {refused} refused")
        if what == "tubes"
        else _("{accepted} scans accepted, {refused} refused")
    )
    click.echo(summary.format(accepted=report.accepted, refused=len(problems)))
    if report.interrupted:
        click.echo(_("stopped (interrupted): every scan read so far is stored"), err=True)
    if report.fault is not None:
        click.echo(_("Error: {message}").format(message=report.fault), err=True)
        if report.lost:
            lost = (
                _("none of these tubes is stored: scan every line again, from line {line} on, when the store is back")
                if what == "tubes"
                else _(
                    "none of these scans is stored: scan every line again, from line {line} on, when the store is back"
                )
            )
            click.echo(lost.format(line=report.unsaved_from), err=True)
        else:
            unsaved = (
                _(
                    "the {accepted} tubes above are stored; scans from line {line} on were not: scan them again "
                    "when the store is back"
                )
                if what == "tubes"
                else _(
                    "the {accepted} scans above are stored; scans from line {line} on were not: scan them again "
                    "when the store is back"
                )
            )
            click.echo(unsaved.format(accepted=report.accepted, line=report.unsaved_from), err=True)
        sys.exit(1)
    if problems:
        sys.exit(1)


@click.command(
    help=_("Field scans for campaign NAME, one scan per line, from FILE or standard input.")
    + "\n\n"
    + _(
        "In a --field-binding campaign: scan a pre-printed tube to open it, then each "
        "resident's code (resident_id or ID number) to put them in it; the tube closes when "
        "full or when the next tube is scanned. A resident bound twice is refused."
    )
    + "\n\n"
    + _(
        "In a manifest campaign: scanning a tube records it as collected; resident scans "
        "after it are checked against the manifest."
    )
    + "\n\n"
    + _(
        "Every good scan is kept; every bad one is reported with its line; the exit status "
        "is 1 if any scan was refused."
    )
)
@click.argument("name")
@click.argument("file", default="-", type=click.Path(allow_dash=True, dir_okay=False))
@pass_app
def collect(app: AppContext, name: str, file: str) -> None:
    from poolab.field.sampling import collect as collect_scans
    from poolab.field.scans import scan_lines, source_name

    if file == "-":  # a scanner's session: hours
        resume_collector()
    report = collect_scans(app.store(), name, scan_lines(file), source=source_name(file), operator=app.operator)
    report_scans(report, "scans", label=f"collect-{name}")
