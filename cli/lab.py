"""``poolab receive``, ``poolab results import``, ``poolab results enter``"""

from __future__ import annotations

import click

from .common import AppContext, encoding_option, hint, next_step, pass_app
from .sampling import report_scans


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


@results.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "csv", "results", "long", "quantstudio", "cfx"]),
    default="auto",
    show_default=True,
    help="What FILE is; auto tells by its content. csv: a results CSV or a long CSV, by its header.",
)
@click.option("--plate", help="The plate the export is for (default: the barcode the export carries).")
@click.option(
    "--kit",
    help="Kit rules: a TOML file (detect_ct, targets, internal_control) or a shipped kit's name "
    "(daan-orf1ab-n, sansure-orf1ab-n, biogerm-orf1ab-n). Default: ORF1ab + N, IC, Ct < 40.",
)
@click.option(
    "--columns",
    help="A long CSV under its own column names: well=COL,target=COL,ct=COL[,sample=COL] "
    "(e.g. a SLAN-96P or Gentier export as it is).",
)
@click.option("--amend", is_flag=True, help="Correct results already recorded (needs --reason).")
@click.option("--reason", help="Why the results are corrected (kept with the correction).")
@encoding_option
@pass_app
def results_import(
    app: AppContext,
    name: str,
    file: str,
    fmt: str,
    plate: str | None,
    kit: str | None,
    columns: str | None,
    amend: bool,
    reason: str | None,
    encoding: str | None,
) -> None:
    """Import results of campaign NAME: a results CSV, or an instrument export as it
    comes off the machine.

    \b
    Results CSV: tube_barcode,result[,ct_orf1ab,ct_n]; result is positive, negative,
    inconclusive or invalid.
    Instrument exports (one row per well and target, with Ct):
      QuantStudio / ViiA 7 text export ([Results] section, Undetermined for no Ct)
      Bio-Rad CFX Maestro CSV (Well A01, Target, Content, Sample, Cq; NaN for no Cq)
      long CSV: well,target,ct (any other instrument; --columns maps its own names)

    An export's wells are matched to its plate's map (poolab plate new/import); a sample
    name that holds a tube barcode must be the map's tube in that well. Each well is
    called by the kit: both targets positive, one inconclusive, neither with the internal
    control negative, neither without it invalid. A plate whose positive control misses a
    target, or whose negative control shows one, has no valid result: every sample goes
    to the rerun list, with the control and its Ct as the reason.

    All or nothing: any bad line refuses the file and every problem is listed. A tube
    whose result is invalid takes its re-run's result; any other change needs --amend
    --reason (the old result stays beside the correction). The same file imported again
    is a no-op.
    """
    from poolab.lab.bench.exports import import_file

    b = import_file(
        app.store(),
        name,
        file,
        operator=app.operator,
        fmt=fmt,
        plate=plate,
        kit=kit,
        columns=columns,
        amend=amend,
        reason=reason,
        encoding=encoding,
    )
    s = b.results
    if s.already_imported:
        click.echo(f"{file}: already imported; nothing to do")
        return
    extra = f", {s.amended} amended" if s.amended else ""
    if b.plate is None:
        click.echo(f"{file}: {s.rows} rows; {s.recorded} recorded, {s.unchanged} unchanged{extra}")
    else:
        calls = ", ".join(f"{n} {c}" for c, n in b.calls) or "no samples"
        click.echo(
            f"{file}: plate {b.plate} ({b.format}, kit {b.kit}): {calls}; "
            f"{s.recorded} recorded, {s.unchanged} unchanged{extra}"
        )
        for failure in b.control_failures:
            click.echo(f"  plate {b.plate} has no valid result: {failure}; its samples are on the rerun list")
    steps = []
    if s.rows > s.individual:  # pool tubes: their members to resample, failed runs to re-run
        steps += [hint("retest", name, "-o", f"{name}-retest.csv"), hint("rerun", name, "-o", f"{name}-rerun.csv")]
    if s.individual:  # retest tubes: who is confirmed
        steps.append(hint("positives", name, "-o", f"{name}-positives.csv"))
    next_step(app, *steps)
    if s.ignored_columns:
        click.echo(f"note: columns not used: {', '.join(s.ignored_columns)}", err=True)


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
    records nothing and says why.
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
