"""Several stations on one PostgreSQL store at once: throughput, and nothing lost or doubled.

Run from the repository root: ``.venv/bin/python benchmarks/bench_stations.py
[--url URL] [--stations 2 4 8] [--markdown]`` (default URL: ``POOLAB_BENCH_PG_URL``, else
``postgresql://postgres@127.0.0.1:5432/test``; without a server that answers it says so
and exits 0).

For each station count N, in a fresh schema holding the district (97,488 residents,
9,764 pool tubes): N station processes (spawned, warmed up, released together at a
barrier) each scan a shuffled stream of their own share of the tubes plus 500 tubes
every station scans, through ``receive`` over loopback; then each imports a results file
for the same tubes (its own plus the shared 500, the shared ones with the same calls in
every file). Reported: wall time from release to the last station's end, scans and
result rows per second, and the counts that must be zero: tubes scanned but never
received (lost), tubes with two receipts or two results (doubled), and stations that
ended with a traceback or an error. The baseline is one station doing the same work
alone (N = 1).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_report
from bench_postgres import Schemas, psycopg_connect, schema_url, server_answers

SHARED = 500
CAMPAIGN = "D1"


def _station(url: str, barrier: Any, scans: list[str], results_csv: str, operator: str, out: Any) -> None:
    from poolab.field.scans import Scan
    from poolab.lab.reception import receive
    from poolab.lab.results import import_results
    from poolab.store.engine import open_store

    store = open_store(url)
    with store.read():
        pass  # connect before the race
    barrier.wait(timeout=300)
    t0 = time.perf_counter()
    errors = 0
    try:
        report = receive(store, CAMPAIGN, map(Scan._make, enumerate(scans, 1)), source="scans", operator=operator)
        if report.fault is not None:
            errors += 1
            print(f"{operator}: receive stopped: {report.fault}", file=sys.stderr)
    except Exception as exc:  # counted and shown, not hidden: the benchmark's point is that this stays 0
        errors += 1
        print(f"{operator}: receive failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    t1 = time.perf_counter()
    barrier.wait(timeout=300)
    t2 = time.perf_counter()
    try:
        import_results(store, CAMPAIGN, results_csv, operator=operator)
    except Exception as exc:
        errors += 1
        print(f"{operator}: results import failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    t3 = time.perf_counter()
    store.dispose()
    out.put((t1 - t0, t3 - t2, errors))


def _integrity(base: str, schema: str, scanned: set[str]) -> tuple[int, int, int]:
    with psycopg_connect(base, schema) as con:
        received = {
            r[0] for r in con.execute("SELECT t.barcode FROM receipt r JOIN tube t ON t.id = r.tube_id").fetchall()
        }
        doubled_receipts = con.execute(
            "SELECT count(*) FROM (SELECT tube_id FROM receipt GROUP BY tube_id HAVING count(*) > 1) d"
        ).fetchone()[0]
        doubled_results = con.execute(
            "SELECT count(*) FROM (SELECT tube_id FROM result GROUP BY tube_id HAVING count(*) > 1) d"
        ).fetchone()[0]
        resulted = con.execute("SELECT count(DISTINCT tube_id) FROM result").fetchone()[0]
    lost = len(scanned - received) + (len(scanned) - resulted)
    return lost, int(doubled_receipts), int(doubled_results)


def run(base: str, schemas: Schemas, roster_csv: Path, tmp: Path, n: int) -> tuple[str, ...]:
    from poolab.field.campaigns import create_campaign
    from poolab.field.sampling import mark_collected
    from poolab.files.csvio import write_csv
    from poolab.roster.importing import import_roster
    from poolab.store.engine import init_store

    schema = schemas.new()
    url = schema_url(base, schema)
    store, _ = init_store(url)
    import_roster(store, roster_csv, operator="setup")
    create_campaign(store, CAMPAIGN, operator="setup")
    mark_collected(store, CAMPAIGN, operator="setup")
    store.dispose()
    with psycopg_connect(base, schema) as con:
        codes = [r[0] for r in con.execute("SELECT barcode FROM tube ORDER BY id").fetchall()]
    rng = random.Random(n)
    shared, rest = codes[:SHARED], codes[SHARED:]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n)
    out = ctx.Queue()
    procs = []
    for i in range(n):
        own = rest[i::n]
        scans = own + shared
        rng.shuffle(scans)
        results_csv = tmp / f"results-{n}-{i}.csv"
        write_csv(results_csv, ("tube_barcode", "result"), [(c, "negative") for c in scans])
        procs.append(ctx.Process(target=_station, args=(url, barrier, scans, str(results_csv), f"station-{i}", out)))
    for p in procs:
        p.start()
    outcomes = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    receive_wall = max(o[0] for o in outcomes)
    results_wall = max(o[1] for o in outcomes)
    errors = sum(o[2] for o in outcomes)
    lost, doubled_receipts, doubled_results = _integrity(base, schema, set(codes))
    scans_total = len(codes) + SHARED * (n - 1)
    return (
        str(n),
        f"{scans_total:,}",
        f"{receive_wall:.2f}",
        f"{scans_total / receive_wall:,.0f}",
        f"{scans_total:,}",
        f"{results_wall:.2f}",
        f"{scans_total / results_wall:,.0f}",
        str(lost),
        f"{doubled_receipts}/{doubled_results}",
        str(errors),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("POOLAB_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--stations", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if not server_answers(args.url):
        return
    from poolab.roster.file import write_roster_csv
    from poolab.roster.synthetic import generate_district

    schemas = Schemas(args.url)
    table = []
    try:
        with tempfile.TemporaryDirectory(prefix="poolab-bench-stations-") as tmp_name:
            tmp = Path(tmp_name)
            write_roster_csv(generate_district(97488, 58937, 38, seed=0), tmp / "roster.csv")
            for n in args.stations:
                table.append(run(args.url, schemas, tmp / "roster.csv", tmp, n))
    finally:
        schemas.drop_all()
    header = (
        "stations",
        "scans",
        "receive s",
        "scans/s",
        "result rows",
        "import s",
        "rows/s",
        "lost",
        "doubled (receipts/results)",
        "errors",
    )
    title = (
        f"stations racing on one PostgreSQL store ({args.url}): 9,764 tubes, {SHARED} scanned by every station; "
        "lost, doubled and errors must be 0"
    )
    print_report(title, header, table, markdown=args.markdown)


if __name__ == "__main__":
    main()
