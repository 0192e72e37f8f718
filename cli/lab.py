"""``poolab receive``, ``poolab results import``, ``poolab results watch``, ``poolab results enter``"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import click

from .common import AppContext, Hint, encoding_option, hint, next_step, pass_app
from .sampling import report_scans

if TYPE_CHECKING:
    from poolab.lab.bench.batch import FileOutcome
    from poolab.lab.bench.exports import BenchImportSummary
    from poolab.lab.results import ResultImportSummary

F = TypeVar("F", bound=Any)


@click.command()
@click.argument("name")
@click.argument("file", default="-", type=click.Path(allow_dash=True, dir_okay=False))
@pass_app
def receive(app: AppContext, name: str, file: str) -> None:
    """Lab reception: tube barcodes of campaign NAME, one per line, from FILE or
    standard input (a scanner in keyboard mode).

    Each scan is checked at once: wrong check character, unknown tube, tube of another
    campaign, tube scanned twice (here, or at another station: "already received at
    09:12 by 王芳"). Good scans are kept, bad ones listed with their line; the exit
    status is 1 if any line was refused. Scans are stored within about a second, also
    while the input stays open (a scanner, a station script).

    \b
    Examples:
      poolab receive day1 scans.txt
      poolab receive day1            # scan into the terminal, Ctrl-D to finish
    """
    from poolab.field.scans import scan_lines, source_name
    from poolab.lab.reception import receive as receive_scans

    report = receive_scans(app.store(), name, scan_lines(file), source=source_name(file), operator=app.operator)
    report_scans(report, "tubes", label=f"receive-{name}")


@click.group()
def results() -> None:
    """Lab results: import a CSV, or key them in."""


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
                help="What the files are; auto tells by content (a workbook by its sheets, never by its name). "
                "csv: a results CSV or a long CSV, by its header. quantstudio: the text export or the classic "
                "export saved as Excel. designandanalysis: the Design & Analysis workbook.",
            ),
            click.option(
                "--kit",
                help="Kit rules: a TOML file (detect_ct, targets, internal_control, ignore_flags) or a shipped "
                "kit's name (daan-orf1ab-n, sansure-orf1ab-n, biogerm-orf1ab-n). Default: ORF1ab + N, IC, Ct < 40.",
            ),
            click.option(
                "--columns",
                help="A long CSV under its own column names: well=COL,target=COL,ct=COL[,sample=COL] "
                "(e.g. a SLAN-96P or Gentier export as it is).",
            ),
            click.option("--amend", is_flag=True, help="Correct results already recorded (needs --reason)."),
            click.option("--reason", help="Why the results are corrected (kept with the correction)."),
            encoding_option,
        ]
    ):
        fn = option(fn)
    return fn


def summary_line(file: str, b: BenchImportSummary) -> list[str]:
    """What one imported file did: its line, and a line per failed control."""
    s = b.results
    if s.already_imported:
        return [f"{file}: already imported; nothing to do"]
    extra = f", {s.amended} amended" if s.amended else ""
    if b.plate is None:
        return [f"{file}: {s.rows} rows; {s.recorded} recorded, {s.unchanged} unchanged{extra}"]
    calls = ", ".join(f"{n} {c}" for c, n in b.calls) or "no samples"
    voided = len(b.instrument_voided)
    said = f"; {voided} well(s) omitted or flagged on the instrument" if voided else ""
    lines = [
        f"{file}: plate {b.plate} ({b.format}, kit {b.kit}): {calls}; "
        f"{s.recorded} recorded, {s.unchanged} unchanged{extra}{said}"
    ]
    lines += [f"  well {w} (no call: on the rerun list)" for w in b.instrument_voided]
    lines += [
        f"  plate {b.plate} has no valid result: {failure}; its samples are on the rerun list"
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
        lines = [f"refused: {exc.shown(3)}"]
        if outcome.problems_file and len(exc.problems) > 3:
            lines.append(f"  ... all {len(exc.problems)} problems in {outcome.problems_file}")
        elif outcome.problems_file:
            lines.append(f"  problems written to {outcome.problems_file}")
        return lines
    return [f"refused: {exc}"]


@results.command("import")
@click.argument("name")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--plate", help="The plate the export is for (default: the barcode the export carries); one file only.")
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
    """Import results of campaign NAME: a results CSV, or instrument exports as they
    come off the machine (one file, or a day's plates at once).

    \b
    Results CSV: tube_barcode,result[,ct_orf1ab,ct_n]; result is positive, negative,
    inconclusive or invalid.
    Instrument exports (one row per well and target, with Ct):
      QuantStudio / ViiA 7 text export ([Results] section, Undetermined for no Ct)
      QuantStudio export saved as Excel (.xlsx/.xls: sheet Results, CT column)
      Design & Analysis export (.xlsx/.xls: sheet Results, Sample, Target, Cq)
      Bio-Rad CFX Maestro CSV (Well A01, Target, Content, Sample, Cq; NaN for no Cq)
      long CSV: well,target,ct (any other instrument; --columns maps its own names)

    An export's wells are matched to its plate's map (poolab plate new/import); a sample
    name that holds a tube barcode must be the map's tube in that well. The instrument's
    own verdict comes first: a well set to Omit, or flagged (EXPFAIL, THOLDFAIL, BADROX,
    NOISE, SPIKE, PRFDROP = Y; Amp Status INCONCLUSIVE; any Result Quality Issue), gets
    no call and goes to the rerun list with the reason named (a kit's ignore_flags can
    leave some flags aside). Every other well is called by the kit: both targets
    positive, one inconclusive, neither with the internal control negative, neither
    without it invalid. A plate whose positive control misses a target, or whose
    negative control shows one, or whose control the instrument omitted or flagged, has
    no valid result: every sample goes to the rerun list.

    Each file is all or nothing, with its own line: any bad line refuses that file (its
    problems listed, all of them in FILE.problems.csv) and the others go on; the exit
    status is 1 if any file was refused. A tube whose result is invalid takes its
    re-run's result (a re-run is a later plate); any other change needs --amend --reason
    (the old result stays beside the correction). The same file imported again is a
    no-op.

    \b
    Examples:
      poolab results import day1 run-L000000012N.txt
      poolab results import day1 exports/*.xlsx          # a day's plates
      poolab results import day1 cfx.csv --plate L000000020N
    """
    if plate and len(files) > 1:
        raise click.UsageError("--plate names the plate of one export: give it with a single file")
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
            click.echo(f"note: columns not used: {', '.join(b.results.ignored_columns)}", err=True)
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
    click.echo(f"{len(files)} files: {imported} imported or already in, {refused} refused")
    if done:
        next_step(app, *_next_steps(name, done))
    if refused:
        raise click.exceptions.Exit(1)


@results.command("watch")
@click.argument("name")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--settle",
    type=click.FloatRange(min=0.0),
    default=2.0,
    show_default=True,
    help="Seconds a file must stay unchanged before it is taken (an export written slowly is taken when "
    "it stops growing; one renamed into FOLDER after this pause).",
)
@click.option(
    "--poll",
    is_flag=True,
    help="Read the folder every quarter second instead of waiting for file events: for a folder mounted "
    "from another machine (SMB, NFS), whose writes send no events.",
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
    """Watch FOLDER (the instrument PC's export folder) and import every export that
    appears in it into campaign NAME, once each, with one line per file.

    A file is taken when it has stopped changing for --settle seconds: renamed into
    FOLDER (complete at once), or written there slowly (taken when it stops growing).
    Exports already in FOLDER when the watch starts are taken too (one imported before
    is a no-op). Each file is imported as results import imports it, all or nothing; a
    refused file gets its problems file beside it (FILE.problems.csv), and the watch
    goes on; fixed or exported again, it is taken again. Hidden files, Office lock
    files (~$...) and problems files are left alone; only .txt, .csv, .tsv, .xls,
    .xlsx and .xlsm files are taken.

    Ctrl-C or SIGTERM (kill) ends the watch cleanly: a file half-way through its
    import is left unrecorded, and taken by the next watch.

    \b
    Examples:
      poolab results watch day1 /srv/qpcr-exports
      poolab results watch day1 /mnt/instrument-pc/exports --poll --kit daan-orf1ab-n
    """
    from poolab.lab.bench.batch import ImportOptions
    from poolab.lab.bench.watch import watch_folder

    options = ImportOptions(fmt=fmt, kit=kit, columns=columns, amend=amend, reason=reason, encoding=encoding)
    refused = imported = 0
    outcomes = watch_folder(app.store(), name, folder, operator=app.operator, options=options, settle=settle, poll=poll)
    click.echo(f"watching {folder} for exports of campaign {name}; Ctrl-C to stop")
    try:
        for outcome in outcomes:
            for line in outcome_lines(outcome):
                click.echo(line)
            refused += outcome.refused
            imported += not outcome.refused
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM while a file was imported: its transaction was rolled back
    click.echo(f"stopped watching {folder}: {imported} imported or already in, {refused} refused")


@results.command("enter")
@click.argument("name")
@click.option("--amend", is_flag=True, help="Let keyed calls correct recorded ones (needs --reason).")
@click.option("--reason", help="Why results are corrected in this session (kept with each correction).")
@pass_app
def results_enter(app: AppContext, name: str, amend: bool, reason: str | None) -> None:
    """Key in results for campaign NAME: scan a tube, key its result, see it recorded.

    \b
    Keys: p positive, n negative, i inconclusive, x invalid,
          optionally followed by the Ct values: "p 28.1 29.4" (ORF1ab, N)
    q (or Ctrl-D) ends the session with a summary; empty lines are ignored (a
    scanner may send one). A wrong key, a Ct outside 0-50 or an unknown tube
    records nothing and says why; the exit status is then 1.
    """
    from poolab.errors import PoolabError
    from poolab.lab.results import KeyedEntry

    session = KeyedEntry(app.store(), name, operator=app.operator, amend=amend, reason=reason)
    mode = f"correcting (reason: {reason})" if amend else "new results only"
    click.echo(f"campaign {session.info.name}: keying results as {app.operator}, {mode}")
    click.echo("scan a tube, then key p/n/i/x (and Ct values: p 28.1 29.4); q or Ctrl-D to finish")
    try:
        while True:
            raw = click.prompt("tube", default="", show_default=False, prompt_suffix="> ")
            if not raw.strip():
                continue
            if raw.strip().lower() in ("q", "quit"):
                break
            try:
                state = session.tube(raw)
            except PoolabError as exc:
                click.echo(f"  ✗ {exc}")
                continue
            now_call = f" (recorded: {state.current_call})" if state.current_call else ""
            answer = ""
            while not answer.strip():
                answer = click.prompt(f"  {state.barcode}{now_call} result", default="", show_default=False)
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
        f"{session.recorded} recorded, {session.corrected} corrected, {session.refused} refused "
        f"(campaign {session.info.name})"
    )
    if session.refused:  # a script keying from a file sees that something was not recorded
        raise click.exceptions.Exit(1)
