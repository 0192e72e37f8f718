"""PostgreSQL first roster import (issue 25): ``poolab roster import`` of a 974,880-resident
roster (ten districts) into an empty store, beside a bare ``COPY`` of the same file into a
``resident`` table with only a primary key, and the same ``COPY`` into the store's own table
(its secondary indexes and unique key maintained row by row), all in the same run.

Goal: the import within 2x the primary-key-only ``COPY``. Each run is its own process
(wall seconds, peak RSS from ``wait4``), each on a fresh schema. ``--code DIR`` runs the
poolab command from another tree (before/after, as ``bench_city.py --code``).

    .venv/bin/python benchmarks/bench_pg_import.py [--residents 974880] [--pg URL] [--code DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_city
from bench_city import MB, _schema_url, city_counts, poolab, raw

DEFAULT_URL = os.environ.get("POOLAB_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=974_880)
    parser.add_argument("--pg", default=DEFAULT_URL)
    parser.add_argument("--code", default=None, help="run the poolab command from this tree (before/after)")
    args = parser.parse_args()
    bench_city.CODE = args.code
    import psycopg

    base, n = args.pg, args.residents
    households, compounds = city_counts(n)
    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "city.csv"
        demo = poolab(str(Path(tmp) / "unused.db"), "roster", "demo", "-o", str(roster), "--residents", str(n),
                      "--households", str(households), "--compounds", str(compounds))  # fmt: skip
        names = [f"first_{uuid.uuid4().hex[:8]}" for _ in range(3)]
        ours, own_table, pk_only = names
        with psycopg.connect(base, autocommit=True) as con:
            for s in names:
                con.execute(f'CREATE SCHEMA "{s}"')
        try:
            poolab(_schema_url(base, ours), "init")
            poolab(_schema_url(base, own_table), "init")
            ours_run = poolab(_schema_url(base, ours), "roster", "import", str(roster))
            own = raw("pg-import", base, own_table, str(roster))
            bare = raw("pg-import-pk", base, pk_only, str(roster))
        finally:
            with psycopg.connect(base, autocommit=True) as con:
                for s in names:
                    con.execute(f'DROP SCHEMA "{s}" CASCADE')
    print(f"PostgreSQL first roster import, {n:,} residents; load average {os.getloadavg()[0]:.1f}")
    print(f"roster demo (writing the file): {demo.seconds:.1f} s, peak {demo.peak / MB:.0f} MB")
    rows = [
        ("poolab roster import (command)", ours_run.seconds, ours_run.peak, ours_run.cpu),
        ("COPY into the store's own table", own.reported, own.peak, own.cpu),
        ("COPY into a primary-key-only table", bare.reported, bare.peak, bare.cpu),
    ]
    # CPU: the client process's own (start-up included), not the server's
    print(f"{'run':<40} {'seconds':>8} {'x bare':>7} {'peak MB':>8} {'CPU s':>6}")
    for label, secs, peak, cpu in rows:
        print(f"{label:<40} {secs:>8.2f} {secs / bare.reported:>7.2f} {peak / MB:>8.0f} {cpu:>6.2f}")


if __name__ == "__main__":
    main()
