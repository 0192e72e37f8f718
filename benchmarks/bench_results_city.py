"""`poolab results import` of a city's day: a results CSV of a million tubes, as a command.

Run from the repository root: ``.venv/bin/python benchmarks/bench_results_city.py
[--tubes 1000000] [--keep DIR] [--code DIR] [--repeat 3] [--pg URL]``.

The store is built once through the library (``--keep DIR`` keeps it, and the results
file, for the next run): one campaign of ``--tubes`` pool tubes, every one received, none
resulted, as ``campaign new`` and ``receive`` leave a city of ten times as many residents
(the tubes' pool memberships are not made: the import never reads them). The results file
has a line for every tube, one in 400 positive with its Cts (as ``bench_city.py`` writes).

Each repeat imports the file into a fresh copy of the store as a command (wall time, CPU
time and the peak RSS of the command's own process, ``wait4``), then the raw baseline of
``bench_city.py`` inserts the same result rows with one ``sqlite3.executemany`` into a
fresh store, its own process (``_city_raw.py sqlite-rows``). ``--code DIR`` adds a
command from another tree (``git archive REV poolab cli`` with ``poolab_cli`` linked to
``cli``) run beside ours in each repeat, alternating, for before/after figures. ``--pg``
runs the same import on PostgreSQL (a schema per run) beside ``COPY`` of the same rows.

Target (issue 25): peak RSS under 600 MB for a million tubes.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import format_table, machine_lines
from bench_city import MB, Measured, raw

CAMPAIGN = "city1"
TARGET_MB = 600


def build(url: str, tubes: int, results_csv: Path) -> None:
    """The campaign of ``tubes`` received pool tubes, and the results file for them."""
    from poolab.store.bulk import gc_paused
    from poolab.store.campaigns import insert_campaign, insert_tubes, issue_tube_barcodes
    from poolab.store.engine import init_store
    from poolab.store.events import record_event
    from poolab.store.tubes import insert_receipts

    store, _ = init_store(url)

    def work(conn):  # type: ignore[no-untyped-def]
        event_id = record_event(conn, operator="bench", action="campaign.new", detail={"bench": "results city"})
        cid = insert_campaign(
            conn,
            name=CAMPAIGN,
            pool_size=10,
            one_tube_per_household=False,
            field_binding=False,
            compounds=["bench"],
            event_id=event_id,
        )
        codes = issue_tube_barcodes(conn, prefix="P", count=tubes)
        insert_tubes(
            conn, campaign_id=cid, kind="pool", barcodes=codes, positions=range(tubes), event_id=event_id
        )  # fmt: skip
        ids = [r[0] for r in conn.exec_driver_sql(f"SELECT id FROM tube WHERE campaign_id = {int(cid)}")]
        insert_receipts(conn, tube_ids=ids, at=datetime.now(UTC), event_id=event_id)
        return codes

    try:
        with gc_paused():
            codes = store.write(work)
    finally:
        store.dispose()
    with open(results_csv, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("tube_barcode", "result", "ct_orf1ab", "ct_n"))
        w.writerows(
            (c, "positive", "31.20", "32.05") if i % 400 == 0 else (c, "negative", "", "") for i, c in enumerate(codes)
        )


def build_apart(url: str, tubes: int, results_csv: Path) -> None:
    """``build`` in a process of its own: a command started from this one would otherwise
    count this process's memory in its own peak (the high-water mark survives fork and exec)."""
    subprocess.run([sys.executable, __file__, "--build", url, str(tubes), str(results_csv)], check=True)


def command(code: str | None, db: str, results_csv: Path) -> Measured:
    args = ["--db", db, "--operator", "bench", "results", "import", CAMPAIGN, str(results_csv)]
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # .pyc files written and read, as installed
    if code is None:
        return Measured([str(Path(sys.executable).with_name("poolab")), *args], env=env)
    env["PYTHONPATH"] = code
    return Measured(
        [sys.executable, "-P", "-c", "import sys; from poolab_cli.main import main; sys.exit(main())", *args], env=env
    )


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def run_sqlite(folder: Path, work: Path, tubes: int, repeat: int, code: str | None) -> list[tuple[str, ...]]:
    kept = folder / f"results-city-{tubes}.db"
    results_csv = folder / f"results-city-{tubes}.csv"
    if not kept.exists() or not results_csv.exists():
        _remove(kept)
        build_apart(f"sqlite:///{kept}", tubes, results_csv)
        print(f"  built {tubes:,} tubes: {kept}", file=sys.stderr, flush=True)
    rows = []
    sides = [("ours", None)] + ([("before", code)] if code else [])
    for i in range(repeat):
        for label, tree in sides if i % 2 == 0 else sides[::-1]:
            db = work / "ours.db"
            shutil.copyfile(kept, db)
            m = command(tree, str(db), results_csv)
            dst = work / "raw.db"
            shutil.copyfile(kept, dst)
            b = raw("sqlite-rows", str(db), str(dst), "result")
            rows.append(_row(label, "sqlite", tubes, m, b))
            print("  " + "  ".join(rows[-1]), f"(load {os.getloadavg()[0]:.1f})", flush=True)
            _remove(db)
            _remove(dst)
    return rows


def run_postgres(
    url: str, folder: Path, work: Path, tubes: int, repeat: int, code: str | None
) -> list[tuple[str, ...]]:
    import psycopg

    results_csv = folder / f"results-city-{tubes}.csv"
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    rows = []
    sides = [("ours", None)] + ([("before", code)] if code else [])
    for i in range(repeat):
        for label, tree in sides if i % 2 == 0 else sides[::-1]:
            ours, copy = f"rc_{uuid.uuid4().hex[:8]}", f"rc_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(dsn, autocommit=True) as con:
                for s in (ours, copy):
                    con.execute(f'CREATE SCHEMA "{s}"')
            try:
                sep = "&" if "?" in url else "?"
                build_apart(f"{url}{sep}options=-csearch_path%3D{ours}", tubes, work / "pg-results.csv")
                build_apart(f"{url}{sep}options=-csearch_path%3D{copy}", 0, work / "empty.csv")  # the raw COPY's table
                with psycopg.connect(dsn, autocommit=True) as con:
                    con.execute("ANALYZE")  # what autovacuum does within a minute of a bulk load
                m = command(tree, f"{url}{sep}options=-csearch_path%3D{ours}", results_csv)
                b = raw("pg-rows", dsn, ours, copy, "result")
                rows.append(_row(label, "postgresql", tubes, m, b))
                print("  " + "  ".join(rows[-1]), f"(load {os.getloadavg()[0]:.1f})", flush=True)
            finally:
                with psycopg.connect(dsn, autocommit=True) as con:
                    for s in (ours, copy):
                        con.execute(f'DROP SCHEMA IF EXISTS "{s}" CASCADE')
    return rows


def _row(label: str, store: str, tubes: int, m: Measured, b: Measured) -> tuple[str, ...]:
    mb = m.peak / MB
    return (
        label,
        store,
        f"{tubes:,}",
        f"{m.seconds:.1f}",
        f"{m.cpu:.1f}",
        f"{mb:,.0f}",
        f"{b.reported:.1f}",
        f"{b.peak / MB:,.0f}",
        f"{m.seconds / b.reported:.2f}",
        f"< {TARGET_MB} MB: {'met' if mb < TARGET_MB else 'MISSED'}",
    )


def main() -> None:
    if sys.argv[1:2] == ["--build"]:  # build_apart's child
        build(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tubes", type=int, default=1_000_000)
    parser.add_argument("--keep", default=None, help="keep the store and the results file here, and reuse them")
    parser.add_argument("--code", default=None, help="also run the command from this tree (before/after)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default=None, help="also on PostgreSQL at this URL")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="poolab-results-city-"))
    folder = Path(args.keep) if args.keep else work
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, ...]] = []
    try:
        if not args.no_sqlite:
            rows += run_sqlite(folder, work, args.tubes, args.repeat, args.code)
        if args.pg:
            if not (folder / f"results-city-{args.tubes}.csv").exists():
                run_sqlite(folder, work, args.tubes, 0, None)  # builds the file (and the SQLite store)
            rows += run_postgres(args.pg, folder, work, args.tubes, args.repeat, args.code)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    header = ("code", "store", "tubes", "wall s", "CPU s", "peak MB", "raw s", "raw MB", "ours/raw", "target")
    print()
    print(format_table(header, rows))
    for line in machine_lines():
        print(f"# {line}")


if __name__ == "__main__":
    main()
