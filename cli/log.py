"""``poolab log``"""

from __future__ import annotations

import click

from .common import AppContext, echo_json, pass_app


@click.command()
@click.argument("name")
@click.option(
    "--tube", "barcode", metavar="BARCODE", help="The life of one tube instead: created, collected, received, results."
)
@click.option(
    "--resident",
    "resident_id",
    metavar="ID",
    help="One resident across the rounds of the chain ending at NAME instead: what each round did "
    "with them (sampled, isolated, close contact, pending), their tubes, results and retests.",
)
@click.option("--limit", type=click.IntRange(1), help="Only the newest N lines (a scan stream is one line).")
@click.option("--json", "as_json", is_flag=True, help='One JSON object on stdout: {"events": [...]}.')
@pass_app
def log(
    app: AppContext, name: str, barcode: str | None, resident_id: str | None, limit: int | None, as_json: bool
) -> None:
    """The event trail of campaign NAME, read-only: who did what and when, with the
    reason of every correction. Times are local. A scan stream (a station's receive or
    collect, stored a second's worth at a time) is one line with its count, its
    batches and when its last one came.

    \b
    Examples:
      poolab log day1
      poolab log day1 --limit 20
      poolab log day1 --tube P000000123K     # one tube: its receipt, plates, results, corrections
      poolab log day3 --resident R0001234    # one resident, day1 to day3
    """
    from poolab.errors import PoolabError
    from poolab.reports.history import campaign_log, tube_log
    from poolab.reports.log_text import log_lines

    if barcode and resident_id:
        raise PoolabError("--tube and --resident each give a log of their own: give one of them")
    store = app.store()
    if resident_id:
        from poolab.reports.resident_log import resident_log

        entries = resident_log(store, name, resident_id)
    else:
        entries = tube_log(store, name, barcode) if barcode else campaign_log(store, name, limit=limit)
    if as_json:
        echo_json({"events": [e.as_json() for e in entries]})
        return
    for line in log_lines(entries, barcode or name):
        click.echo(line)
