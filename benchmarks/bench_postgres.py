"""The district loop on PostgreSQL (the several-sites store), beside plain psycopg.

Run from the repository root: ``.venv/bin/python benchmarks/bench_postgres.py [--url URL]``
(default: ``POOLAB_BENCH_PG_URL``, else ``postgresql://postgres@127.0.0.1:5432/test``).
Without a server that answers, it says so and exits 0.

Each repetition runs the loop once in a fresh schema: roster import, pool creation,
manifest export, receipt of every tube, result import, each timed. The baseline inserts
the very rows each step wrote into a second fresh schema with the same tables, using
psycopg 3's ``executemany`` (pipelined) in one transaction per step. No docs/numbers.md target
applies to PostgreSQL; the SQLite targets are in ``bench_workflow.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median, print_report, timed
from bench_workflow import MEMBER_COLS, RESIDENT_COLS, RESULT_COLS, SCAN_COLS, TUBE_COLS

from poolab.field.campaigns import create_campaign
from poolab.field.sampling import mark_collected, write_manifest
from poolab.field.scans import Scan
from poolab.files.csvio import write_csv
from poolab.lab.reception import receive
from poolab.lab.results import import_results
from poolab.roster.file import write_roster_csv
from poolab.roster.importing import import_roster
from poolab.roster.synthetic import generate_district
from poolab.store.engine import Store, init_store, resolve_url

OPERATOR = "bench"
CAMPAIGN = "D1"


def schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def psycopg_connect(base: str, schema: str):  # type: ignore[no-untyped-def]
    import psycopg

    dsn = resolve_url(base).replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, options=f"-csearch_path={schema}")


class Schemas:
    """Fresh schemas on the server, all dropped at the end."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.names: list[str] = []

    def new(self) -> str:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg_connect(self.base, "public") as con:
            con.execute(f'CREATE SCHEMA "{name}"')
        self.names.append(name)
        return name

    def drop_all(self) -> None:
        with psycopg_connect(self.base, "public") as con:
            for name in self.names:
                con.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def rows_of(base: str, schema: str, table: str, cols: Sequence[str]) -> list[tuple[object, ...]]:
    with psycopg_connect(base, schema) as con:
        return con.execute(f'SELECT {",".join(cols)} FROM "{table}" ORDER BY id').fetchall()


def raw_insert(base: str, schema: str, tables: Sequence[tuple[str, Sequence[str], list[tuple[object, ...]]]]) -> None:
    """Plain psycopg: one transaction, one executemany per table."""
    with psycopg_connect(base, schema) as con:
        with con.cursor() as cur:
            for table, cols, rows in tables:
                marks = ",".join(["%s"] * len(cols))
                cur.executemany(f'INSERT INTO "{table}" ({",".join(cols)}) VALUES ({marks})', rows)


def run_once(base: str, schemas: Schemas, roster_csv: Path, tmp: Path) -> dict[str, tuple[int, float, float]]:
    """One pass of the loop and its baselines: step -> (rows, ours s, psycopg s)."""
    ours_schema = schemas.new()
    store, _ = init_store(schema_url(base, ours_schema))
    t: dict[str, float] = {}

    def step(name: str, fn: Callable[[Store], object]) -> object:
        seconds, value = timed(lambda: fn(store))
        t[name] = seconds
        return value

    step("roster import", lambda s: import_roster(s, roster_csv, operator=OPERATOR))
    step("pool creation", lambda s: create_campaign(s, CAMPAIGN, operator=OPERATOR))
    step("manifest export", lambda s: write_manifest(s, CAMPAIGN, tmp / "manifest.csv"))
    mark_collected(store, CAMPAIGN, operator=OPERATOR)
    barcodes = [r[0] for r in rows_of(base, ours_schema, "tube", ("barcode",))]
    step(
        "receipt of every tube",
        lambda s: receive(s, CAMPAIGN, map(Scan._make, enumerate(barcodes, 1)), source="scans", operator=OPERATOR),
    )
    results_csv = tmp / "results.csv"
    write_csv(
        results_csv,
        ("tube_barcode", "result", "ct_orf1ab", "ct_n"),
        [
            (c, "positive", "31.20", "32.05") if i % 400 == 0 else (c, "negative", "", "")
            for i, c in enumerate(barcodes)
        ],
    )
    step("result import", lambda s: import_results(s, CAMPAIGN, results_csv, operator=OPERATOR))
    store.dispose()

    residents = rows_of(base, ours_schema, "resident", RESIDENT_COLS)
    tubes = rows_of(base, ours_schema, "tube", TUBE_COLS)
    members = rows_of(base, ours_schema, "member", MEMBER_COLS)
    receipts = rows_of(base, ours_schema, "receipt", SCAN_COLS)
    results = rows_of(base, ours_schema, "result", RESULT_COLS)
    raw_schema = schemas.new()
    init_store(schema_url(base, raw_schema))[0].dispose()
    b = {
        "roster import": timed(lambda: raw_insert(base, raw_schema, [("resident", RESIDENT_COLS, residents)]))[0],
        "pool creation": timed(
            lambda: raw_insert(base, raw_schema, [("tube", TUBE_COLS, tubes), ("member", MEMBER_COLS, members)])
        )[0],
        "receipt of every tube": timed(lambda: raw_insert(base, raw_schema, [("receipt", SCAN_COLS, receipts)]))[0],
        "result import": timed(lambda: raw_insert(base, raw_schema, [("result", RESULT_COLS, results)]))[0],
    }
    n = {
        "roster import": len(residents),
        "pool creation": len(tubes) + len(members),
        "manifest export": len(residents),
        "receipt of every tube": len(receipts),
        "result import": len(results),
    }
    return {k: (n[k], t[k], b.get(k, float("nan"))) for k in t}


def server_answers(base: str) -> bool:
    try:
        with psycopg_connect(base, "public") as con:
            con.execute("SELECT 1")
        return True
    except Exception as e:  # any failure to connect means: no server to measure
        print(f"PostgreSQL at {base} does not answer ({type(e).__name__}: {e}); nothing measured")
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("POOLAB_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if not server_answers(args.url):
        return
    district = generate_district(97488, 58937, 38, seed=0)
    schemas = Schemas(args.url)
    runs: list[dict[str, tuple[int, float, float]]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="poolab-bench-pg-") as tmp_name:
            tmp = Path(tmp_name)
            write_roster_csv(district, tmp / "roster.csv")
            for _ in range(args.repeat):
                runs.append(run_once(args.url, schemas, tmp / "roster.csv", tmp))
    finally:
        schemas.drop_all()
    header = ("step", "rows", "ours s", "ours rows/s", "psycopg s", "psycopg rows/s", "ours/psycopg")
    table = []
    for step in runs[0]:
        n = runs[0][step][0]
        ours = median([r[step][1] for r in runs])
        base = median([r[step][2] for r in runs])
        has_base = base == base  # NaN: an export, no insert baseline
        table.append(
            (
                step,
                f"{n:,}",
                f"{ours:.3f}",
                f"{n / ours:,.0f}",
                f"{base:.3f}" if has_base else "",
                f"{n / base:,.0f}" if has_base else "",
                f"{base / ours:.2f}" if has_base else "",
            )
        )
    title = f"district workflow on PostgreSQL ({args.url}): 97,488 residents; median of {args.repeat}"
    title += ", fresh schema each"
    print_report(title, header, table, markdown=args.markdown)


if __name__ == "__main__":
    main()
