"""``poolab receive``, ``poolab results import``, ``poolab results enter``"""

from __future__ import annotations

import click

from .common import AppContext, encoding_option, next_step, pass_app, reports_errors
from .sampling import report_scans


@click.command()
@click.argument("name")
@click.argument("file", default="-", type=click.Path(allow_dash=True, dir_okay=False))
@pass_app
@reports_errors
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
    from poolab.reception import receive as receive_scans
    from poolab.scans import scan_lines, source_name

    report = receive_scans(app.store(), name, scan_lines(file), source=source_name(file), operator=app.operator)
    report_scans(report, "tubes", label=f"receive-{name}")


@click.group()
def results() -> None:
    """Lab results: import a CSV, or key them in."""


@results.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--amend", is_flag=True, help="Correct results already recorded (needs --reason).")
@click.option("--reason", help="Why the results are corrected (kept with the correction).")
@encoding_option
@pass_app
@reports_errors
def results_import(
    app: AppContext, name: str, file: str, amend: bool, reason: str | None, encoding: str | None
) -> None:
    """Import pool or individual results of campaign NAME from a CSV.

    Columns: tube_barcode,result[,ct_orf1ab,ct_n]; result is positive, negative,
    inconclusive or invalid. All or nothing: any bad line rejects the file and every
    problem is listed. A tube whose result is invalid takes its re-run's result; any
    other change needs --amend --reason (the old result stays beside the correction).
    The same file imported again is a no-op.
    """
    from poolab.results import import_results

    s = import_results(app.store(), name, file, operator=app.operator, amend=amend, reason=reason, encoding=encoding)
    if s.already_imported:
        click.echo(f"{file}: already imported; nothing to do")
        return
    extra = f", {s.amended} amended" if s.amended else ""
    click.echo(f"{file}: {s.rows} rows; {s.recorded} recorded, {s.unchanged} unchanged{extra}")
    next_step(app, f"retest {name} -o {name}-retest.csv", f"rerun {name} -o {name}-rerun.csv")
    if s.ignored_columns:
        click.echo(f"note: columns not used: {', '.join(s.ignored_columns)}", err=True)


@results.command("enter")
@click.argument("name")
@click.option("--amend", is_flag=True, help="Let keyed calls correct recorded ones (needs --reason).")
@click.option("--reason", help="Why results are corrected in this session (kept with each correction).")
@pass_app
@reports_errors
def results_enter(app: AppContext, name: str, amend: bool, reason: str | None) -> None:
    """Key in results for campaign NAME: scan a tube, key its result, see it recorded.

    \b
    Keys: p positive, n negative, i inconclusive, x invalid,
          optionally followed by the Ct values: "p 28.1 29.4" (ORF1ab, N)
    q (or Ctrl-D) ends the session with a summary; empty lines are ignored (a
    scanner may send one). A wrong key, a Ct outside 0-50 or an unknown tube
    records nothing and says why.
    """
    from poolab.errors import PoolabError
    from poolab.results import KeyedEntry

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
