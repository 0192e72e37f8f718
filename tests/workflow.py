"""Helpers for workflow tests: run the CLI against a store, read CSVs back."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner, Result

from poolab_cli.main import cli

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from poolab.store.engine import Store


def run(url: str, *args: str, input: str | bytes | None = None, operator: str = "tester") -> Result:
    """``poolab --db URL --operator tester ARGS`` through Click's test runner."""
    return CliRunner().invoke(cli, ["--db", url, "--operator", operator, *args], input=input, catch_exceptions=False)


def read_csv(path: Path | str) -> list[dict[str, str]]:
    """Rows of a CSV written by poolab."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_results(
    path: Path, rows: Sequence[Sequence[str]], header: str = "tube_barcode,result,ct_orf1ab,ct_n"
) -> Path:
    """A results CSV."""
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def record_calls(store: Store, campaign: str, calls: dict[str, str], *, operator: str = "tester") -> None:
    """Tubes of ``campaign`` received and called (``calls``: barcode -> call), through
    the store's own receipt and result rows, in one transaction."""
    from poolab.store.campaigns import campaign_by_name
    from poolab.store.events import now, record_event
    from poolab.store.tubes import NewResult, insert_receipts, insert_results, tube_states

    def work(conn: Connection) -> None:
        info = campaign_by_name(conn, name=campaign)
        states = tube_states(conn, barcodes=list(calls))
        event_id = record_event(conn, operator=operator, action="results.import", campaign_id=info.id)
        at = now()
        insert_receipts(conn, tube_ids=[states[b].id for b in calls], at=at, event_id=event_id)
        rows = [NewResult(states[b].id, call, None, None, "test") for b, call in calls.items()]
        insert_results(conn, results=rows, event_id=event_id, at=at)

    if calls:
        store.write(work)
