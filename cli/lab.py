"""``poolab receive``, ``poolab results import``, ``poolab results watch``, ``poolab results enter``"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import click

from poolab.i18n import _

from .collector import resume_collector
from .common import VERBATIM, AppContext, HelpGroup, Hint, encoding_option, hint, next_step, pass_app
from .sampling import report_scans

if TYPE_CHECKING:
    from poolab.lab.bench.batch import FileOutcome
    from poolab.lab.bench.exports import BenchImportSummary
    from poolab.lab.results import ResultImportSummary

F = TypeVar("F", bound=Any)


@click.command(
    help=_(
        "Lab reception: tube barcodes of campaign NAME, one per line, from FILE or "
        "standard input (a scanner in keyboard mode)."
    )
    + "\n\n"
    + _(
        "Each scan is checked at once: wrong check character, unknown tube, tube of another "
        'campaign, tube scanned twice (here, or at another station: "already received at '
        '09:12 by 王芳"). Good scans are kept, bad ones listed with their line; the exit '
        "status is 1 if any line was refused. Scans are stored within about a second, also "
        "while the input stays open (a scanner, a station script)."
    )
    + VERBATIM
    + _(
        "Examples:\n"
        "  poolab receive day1 scans.txt\n"
        "  poolab receive day1            # scan into the terminal, Ctrl-D to finish"
    )
)
@click.argument("name")
@click.argument("file", default="-", type=click.Path(allow_dash=True, dir_okay=False))
@pass_app
def receive(app: AppContext, name: str, file: str) -> None:
    from poolab.field.scans import scan_lines, source_name
    from poolab.lab.reception import receive as receive_scans

    if file == "-":  # a scanner's session: hours
        resume_collector()
    report = receive_scans(app.store(), name, scan_lines(file), source=source_name(file), operator=app.operator)
    report_scans(report, "tubes", label=f"receive-{name}")


@click.group(cls=HelpGroup, help=_("Lab results: import a CSV, or key them in."))
def results() -> None:
    pass


_FORMATS = ["auto", "csv", "results", "long", "quantstudio", "designandanalysis", "cfx"]


def import_options(fn: F) -> F:
    """The options every way of importing exports shares (results import, results watch)."""
    for option in reversed(
        [
            click.option(
                "--format",
                "fmt",
                type=click.Choice(_FORMATS),
                default="auto",
                show_default=True,
                help=_(
                    "What the files are; auto tells by content (a workbook by its sheets, never by its name). "
                    "csv: a results CSV or a long CSV, by its header. quantstudio: the text export or the classic "
                    "export saved as Excel. designandanalysis: the Design & Analysis workbook."
                ),
            ),
            click.option(
                "--kit",
                help=_(
                    "Kit rules: a TOML file (detect_ct, targets, internal_control, ignore_flags) or a shipped "
                    "kit's name (daan-orf1ab-n, sansure-orf1ab-n, biogerm-orf1ab-n). Default: ORF1ab + N, IC, Ct < 40."
                ),
            ),
            click.option(
                "--columns",
                help=_(
                    "A long CSV under its own column names: {mapping} (e.g. a SLAN-96P or Gentier export as it is)."
                ).format(mapping="well=COL,target=COL,ct=COL[,sample=COL]"),
            ),
            click.option("--amend", is_flag=True, help=_("Correct results already recorded (needs --reason).")),
            click.option("--reason", help=_("Why the results are corrected (kept with the correction).")),
            encoding_option,
        ]
    ):
        fn = option(fn)
    return fn


def summary_line(file: str, b: BenchImportSummary) -> list[str]:
    """What one imported file did: its line, and a line per failed control."""
    s = b.results
    if s.already_imported:
        return [_("{file}: already imported; nothing to do").format(file=file)]
    extra = _(", {amended} amended").format(amended=s.amended) if s.amended else ""
    if b.plate is None:
        return [
            _("{file}: {rows} rows; {recorded} recorded, {unchanged} unchanged").format(
                file=file, rows=s.rows, recorded=s.recorded, unchanged=s.unchanged
            )
            + extra
        ]
    # the call words (positive, negative, ...) are the files' own: they stay as they are
    calls = _(", ").join(f"{n} {c}" for c, n in b.calls) or _("no samples")
    voided = len(b.instrument_voided)
    said = _("; {count} well(s) omitted or flagged on the instrument").format(count=voided) if voided else ""
    lines = [
        _("{file}: plate {plate} ({format}, kit {kit}): {calls}; {recorded} recorded, {unchanged} unchanged").format(
            file=file,
            plate=b.plate,
            format=b.format,
            kit=b.kit,
            calls=calls,
            recorded=s.recorded,
            unchanged=s.unchanged,
        )
        + extra
        + said
    ]
    lines += [_("  well {well} (no call: on the rerun list)").format(well=w) for w in b.instrument_voided]
    lines += [
        _("  plate {plate} has no valid result: {failure}; its samples are on the rerun list").format(
            plate=b.plate, failure=failure
        )
        for failure in b.control_failures
    ]
    return lines


def _next_steps(name: str, imported: list[ResultImportSummary]) -> list[Hint]:
    """What comes after results: pool tubes' members to resample and failed runs to re-run;
    after retest tubes, who is confirmed."""
    steps = []
    if any(s.rows > s.individual for s in imported):
        steps += [hint("retest", name, "-o", f"{name}-retest.csv"), hint("rerun", name, "-o", f"{name}-rerun.csv")]
    if any(s.individual for s in imported):
        steps.append(hint("positives", name, "-o", f"{name}-positives.csv"))
    return steps


def outcome_lines(outcome: FileOutcome) -> list[str]:
    """A batch's or a watch's line for one file: its summary, or its refusal's first line,
    a few of its problems and where all of them are."""
    if outcome.summary is not None:
        return summary_line(outcome.path, outcome.summary)
    from poolab.errors import InputRejected

    exc = outcome.error
    if isinstance(exc, InputRejected):
        lines = [_("refused: {problem}").format(problem=exc.shown(3))]
        if outcome.problems_file and len(exc.problems) > 3:
            lines.append(
                _("  ... all {count} problems in {path}").format(count=len(exc.problems), path=outcome.problems_file)
            )
        elif outcome.problems_file:
            lines.append(_("  problems written to {path}").format(path=outcome.problems_file))
        return lines
    return [_("refused: {problem}").format(problem=exc)]


@results.command(
    "import",
    help=_(
        "Import results of campaign NAME: a results CSV, or instrument exports as they "
        "come off the machine (one file, or a day's plates at once)."
    )
    + VERBATIM
    + _("Results CSV: {columns}; result is positive, negative, inconclusive or invalid.").format(
        columns="tube_barcode,result[,ct_orf1ab,ct_n]"
    )
    + "\n"
    + _(
        "Instrument exports (one row per well and target, with Ct):\n"
        "  QuantStudio / ViiA 7 text export ([Results] section, Undetermined for no Ct)\n"
        "  QuantStudio export saved as Excel (.xlsx/.xls: sheet Results, CT column)\n"
        "  Design & Analysis export (.xlsx/.xls: sheet Results, Sample, Target, Cq)\n"
        "  Bio-Rad CFX Maestro CSV (Well A01, Target, Content, Sample, Cq; NaN for no Cq)\n"
        "  long CSV: well,target,ct (any other instrument; --columns maps its own names)"
    )
    + "\n\n"
    + _(
        "An export's wells are matched to its plate's map (poolab plate new/import); a sample "
        "name that holds a tube barcode must be the map's tube in that well. The instrument's "
        "own verdict comes first: a well set to Omit, or flagged ({flags} = Y; Amp Status "
        "INCONCLUSIVE; any Result Quality Issue), gets no call and goes to the rerun list with "
        "the reason named (a kit's ignore_flags can leave some flags aside). Every other well is "
        "called by the kit: both targets positive, one inconclusive, neither with the internal "
        "control negative, neither without it invalid. A plate whose positive control misses a "
        "target, or whose negative control shows one, or whose control the instrument omitted or "
        "flagged, has no valid result: every sample goes to the rerun list."
    ).format(flags="EXPFAIL, THOLDFAIL, BADROX, NOISE, SPIKE, PRFDROP")
    + "\n\n"
    + _(
        "Each file is all or nothing, with its own line: any bad line refuses that file (its "
        "problems listed, all of them in FILE.problems.csv) and the others go on; the exit "
        "status is 1 if any file was refused. A tube whose result is invalid takes its "
        "re-run's result (a re-run is a later plate); any other change needs --amend --reason "
        "(the old result stays beside the correction). The same file imported again is a "
        "no-op."
    )
    + VERBATIM
    + _(
        "Examples:\n"
        "  poolab results import day1 run-L000000012N.txt\n"
        "  poolab results import day1 exports/*.xlsx          # a day's plates\n"
        "  poolab results import day1 cfx.csv --plate L000000020N"
    ),
)
@click.argument("name")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--plate", help=_("The plate the export is for (default: the barcode the export carries); one file only.")
)
@import_options
@pass_app
def results_import(
    app: AppContext,
    name: str,
    files: tuple[str, ...],
    fmt: str,
    plate: str | None,
    kit: str | None,
    columns: str | None,
    amend: bool,
    reason: str | None,
    encoding: str | None,
) -> None:
    if plate and len(files) > 1:
        raise click.UsageError(_("--plate names the plate of one export: give it with a single file"))
    if len(files) == 1:
        from poolab.lab.bench.exports import import_file

        b = import_file(
            app.store(),
            name,
            files[0],
            operator=app.operator,
            fmt=fmt,
            plate=plate,
            kit=kit,
            columns=columns,
            amend=amend,
            reason=reason,
            encoding=encoding,
        )
        for line in summary_line(files[0], b):
            click.echo(line)
        if not b.results.already_imported:
            next_step(app, *_next_steps(name, [b.results]))
        if b.results.ignored_columns:
            click.echo(
                _("note: columns not used: {columns}").format(columns=", ".join(b.results.ignored_columns)), err=True
            )
        return
    from poolab.lab.bench.batch import ImportOptions, import_files

    options = ImportOptions(fmt=fmt, kit=kit, columns=columns, amend=amend, reason=reason, encoding=encoding)
    refused = imported = 0
    done: list[ResultImportSummary] = []
    for outcome in import_files(app.store(), name, files, operator=app.operator, options=options):
        for line in outcome_lines(outcome):
            click.echo(line)
        refused += outcome.refused
        imported += not outcome.refused
        if outcome.summary is not None and not outcome.summary.results.already_imported:
            done.append(outcome.summary.results)
    click.echo(
        _("{files} files: {imported} imported or already in, {refused} refused").format(
            files=len(files), imported=imported, refused=refused
        )
    )
    if done:
        next_step(app, *_next_steps(name, done))
    if refused:
        raise click.exceptions.Exit(1)


@results.command(
    "watch",
    help=_(
        "Watch FOLDER (the instrument PC's export folder) and import every export that "
        "appears in it into campaign NAME, once each, with one line per file."
    )
    + "\n\n"
    + _(
        "A file is taken when it has stopped changing for --settle seconds: renamed into "
        "FOLDER (complete at once), or written there slowly (taken when it stops growing). "
        "Exports already in FOLDER when the watch starts are taken too (one imported before "
        "is a no-op). Each file is imported as results import imports it, all or nothing; a "
        "refused file gets its problems file beside it (FILE.problems.csv), and the watch "
        "goes on; fixed or exported again, it is taken again. Hidden files, Office lock "
        "files (~$...) and problems files are left alone; only .txt, .csv, .tsv, .xls, "
        ".xlsx and .xlsm files are taken."
    )
    + "\n\n"
    + _(
        "Ctrl-C or SIGTERM (kill) ends the watch cleanly: a file half-way through its "
        "import is left unrecorded, and taken by the next watch."
    )
    + VERBATIM
    + _("Examples:")
    + "\n"
    "  poolab results watch day1 /srv/qpcr-exports\n"
    "  poolab results watch day1 /mnt/instrument-pc/exports --poll --kit daan-orf1ab-n",
)
@click.argument("name")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--settle",
    type=click.FloatRange(min=0.0),
    default=2.0,
    show_default=True,
    help=_(
        "Seconds a file must stay unchanged before it is taken (an export written slowly is taken when "
        "it stops growing; one renamed into FOLDER after this pause)."
    ),
)
@click.option(
    "--poll",
    is_flag=True,
    help=_(
        "Read the folder every quarter second instead of waiting for file events: for a folder mounted "
        "from another machine (SMB, NFS), whose writes send no events."
    ),
)
@import_options
@pass_app
def results_watch(
    app: AppContext,
    name: str,
    folder: str,
    settle: float,
    poll: bool,
    fmt: str,
    kit: str | None,
    columns: str | None,
    amend: bool,
    reason: str | None,
    encoding: str | None,
) -> None:
    from poolab.lab.bench.batch import ImportOptions
    from poolab.lab.bench.watch import watch_folder

    options = ImportOptions(fmt=fmt, kit=kit, columns=columns, amend=amend, reason=reason, encoding=encoding)
    refused = imported = 0
    resume_collector()  # a watch runs for hours
    outcomes = watch_folder(app.store(), name, folder, operator=app.operator, options=options, settle=settle, poll=poll)
    click.echo(_("watching {folder} for exports of campaign {name}; Ctrl-C to stop").format(folder=folder, name=name))
    try:
        for outcome in outcomes:
            for line in outcome_lines(outcome):
                click.echo(line)
            refused += outcome.refused
            imported += not outcome.refused
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM while a file was imported: its transaction was rolled back
    click.echo(
        _("stopped watching {folder}: {imported} imported or already in, {refused} refused").format(
            folder=folder, imported=imported, refused=refused
        )
    )


@results.command(
    "enter",
    help=_("Key in results for campaign NAME: scan a tube, key its result, see it recorded.")
    + VERBATIM
    + _(
        "Keys: p positive, n negative, i inconclusive, x invalid,\n"
        '      optionally followed by the Ct values: "p 28.1 29.4" (ORF1ab, N)'
    )
    + "\n"
    + _(
        "q (or Ctrl-D) ends the session with a summary; empty lines are ignored (a "
        "scanner may send one). A wrong key, a Ct outside 0-50 or an unknown tube "
        "records nothing and says why; the exit status is then 1."
    ),
)
@click.argument("name")
@click.option("--amend", is_flag=True, help=_("Let keyed calls correct recorded ones (needs --reason)."))
@click.option("--reason", help=_("Why results are corrected in this session (kept with each correction)."))
@pass_app
def results_enter(app: AppContext, name: str, amend: bool, reason: str | None) -> None:
    from poolab.errors import PoolabError
    from poolab.lab.results import KeyedEntry

    resume_collector()  # a keying session runs for hours
    session = KeyedEntry(app.store(), name, operator=app.operator, amend=amend, reason=reason)
    mode = _("correcting (reason: {reason})").format(reason=reason) if amend else _("new results only")
    click.echo(
        _("campaign {name}: keying results as {operator}, {mode}").format(
            name=session.info.name, operator=app.operator, mode=mode
        )
    )
    click.echo(_("scan a tube, then key p/n/i/x (and Ct values: p 28.1 29.4); q or Ctrl-D to finish"))
    try:
        while True:
            raw = click.prompt(_("tube"), default="", show_default=False, prompt_suffix="> ")
            if not raw.strip():
                continue
            if raw.strip().lower() in ("q", "quit"):
                break
            try:
                state = session.tube(raw)
            except PoolabError as exc:
                click.echo(f"  ✗ {exc}")
                continue
            prompt = (
                _("  {barcode} (recorded: {call}) result").format(barcode=state.barcode, call=state.current_call)
                if state.current_call
                else _("  {barcode} result").format(barcode=state.barcode)
            )
            answer = ""
            while not answer.strip():
                answer = click.prompt(prompt, default="", show_default=False)
            if answer.strip().lower() in ("q", "quit"):
                break
            try:
                out = session.enter(state.barcode, answer)
            except PoolabError as exc:
                click.echo(f"  ✗ {exc}")
                continue
            click.echo(f"  ✓ {out.message}")
    except (click.Abort, EOFError):
        click.echo("")  # Ctrl-C or Ctrl-D: end the session like q
    click.echo(
        _("{recorded} recorded, {corrected} corrected, {refused} refused (campaign {name})").format(
            recorded=session.recorded, corrected=session.corrected, refused=session.refused, name=session.info.name
        )
    )
    if session.refused:  # a script keying from a file sees that something was not recorded
        raise click.exceptions.Exit(1)
