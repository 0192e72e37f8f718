"""PostgreSQL ``receive`` of a million tubes from a file (issue 25), beside a bare ``COPY``
of the same receipts, in the same run.

A roster of ``--tubes`` residents pooled one per tube (``campaign new --pool-size 1``)
gives that many tubes; the scan file lists every tube once. ``poolab receive`` runs as its
own process (wall seconds, its own CPU seconds, peak RSS), then the raw baseline
(``_city_raw.py pg-rows``): the receipts it wrote, ``COPY``'d into a fresh store's
``receipt`` table. ``--code DIR`` runs the poolab commands from another tree
(before/after, as ``bench_city.py --code``); ``--repeat`` alternates the receive and its
baseline on the same store (its receipts removed in between), and with ``--before DIR``
a receive from that tree after each (before/after from one run). For each run, also the
server's side when the server runs on this machine: the CPU seconds of its processes
(read from ``/proc`` every 50 ms while the run lasts, so a backend that ends is counted
too) and the write-ahead log it wrote.

    .venv/bin/python benchmarks/bench_pg_receive.py [--tubes 1000000] [--pg URL] [--code DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_city
from bench_city import MB, _schema_url, city_counts, poolab, raw

DEFAULT_URL = os.environ.get("POOLAB_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tubes", type=int, default=1_000_000)
    parser.add_argument("--pg", default=DEFAULT_URL)
    parser.add_argument("--code", default=None, help="run the poolab commands from this tree (before/after)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--before", default=None, help="also run receive from this tree, alternating, on the same store"
    )
    args = parser.parse_args()
    bench_city.CODE = args.code
    import psycopg

    base, n = args.pg, args.tubes
    households, compounds = city_counts(n)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        roster, manifest, scans = tmp / "city.csv", tmp / "manifest.csv", tmp / "scans.txt"
        poolab(str(tmp / "unused.db"), "roster", "demo", "-o", str(roster), "--residents", str(n),
               "--households", str(households), "--compounds", str(compounds))  # fmt: skip
        ours, copy_to = (f"receive_{uuid.uuid4().hex[:8]}" for _ in range(2))
        with psycopg.connect(base, autocommit=True) as con:
            for s in (ours, copy_to):
                con.execute(f'CREATE SCHEMA "{s}"')
        try:
            for s in (ours, copy_to):
                poolab(_schema_url(base, s), "init")
            url = _schema_url(base, ours)
            poolab(url, "roster", "import", str(roster))
            poolab(url, "campaign", "new", "day1", "--pool-size", "1")
            poolab(url, "manifest", "day1", "-o", str(manifest))
            seen: dict[str, None] = {}
            with open(manifest, encoding="utf-8", newline="") as f:
                next(f)
                for row in csv.reader(f):
                    seen[row[0]] = None
            scans.write_text("\n".join(seen) + "\n", encoding="utf-8")
            count = len(seen)
            del seen  # a forked command's peak RSS counts the parent's memory until its exec
            print(f"PostgreSQL receive of {count:,} tubes from a file")
            print(
                f"{'run':<28} {'seconds':>8} {'x COPY':>7} {'peak MB':>8} {'CPU s':>6} "
                f"{'server CPU s':>12} {'WAL MB':>7} {'load':>5}"
            )
            trees = [("poolab receive", args.code)] + ([("before: receive", args.before)] if args.before else [])
            for _ in range(args.repeat):
                for label, tree in trees:
                    bench_city.CODE = tree
                    run_once(base, ours, copy_to, url, scans, count, label)
        finally:
            with psycopg.connect(base, autocommit=True) as con:
                for s in (ours, copy_to):
                    con.execute(f'DROP SCHEMA "{s}" CASCADE')


def run_once(base: str, ours: str, copy_to: str, url: str, scans: Path, count: int, label: str) -> None:
    """One receive of every tube into a store without receipts, then its raw baseline."""
    import psycopg

    with psycopg.connect(base, options=f"-csearch_path={ours}", autocommit=True) as con:
        con.execute("DELETE FROM receipt")
        # the running counts the receives added (the campaign's planned tubes stay)
        con.execute("DELETE FROM tube_tally WHERE NOT (what = 'step' AND step = 0 AND tubes > 0)")
        con.execute("DELETE FROM event WHERE action = 'receive'")
        con.execute("VACUUM ANALYZE receipt")
    with psycopg.connect(base, options=f"-csearch_path={copy_to}", autocommit=True) as con:
        con.execute("TRUNCATE receipt")
    with server_side(base) as ours_server:
        m = poolab(url, "receive", "day1", str(scans))
    assert f"{count} tubes accepted, 0 refused" in m.stdout, m.stdout
    with server_side(base) as copy_server:
        b = raw("pg-rows", base, ours, copy_to, "receipt")
    load = os.getloadavg()[0]
    cpu, wal = ours_server()
    print(f"{label:<28} {m.seconds:>8.2f} {m.seconds / b.reported:>7.2f} "
          f"{m.peak / MB:>8.0f} {m.cpu:>6.2f} {cpu:>12.2f} {wal / MB:>7.0f} {load:>5.1f}")  # fmt: skip
    cpu, wal = copy_server()
    print(
        f"{'  COPY of the same receipts':<28} {b.reported:>8.2f} {1:>7.2f} {b.peak / MB:>8.0f} {b.cpu:>6.2f} "
        f"{cpu:>12.2f} {wal / MB:>7.0f}",
        flush=True,
    )


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL server process on this machine."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds: dict[int, float] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        if "(postgres)" in stat:
            fields = stat.rsplit(")", 1)[1].split()
            seconds[int(pid)] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return seconds


@contextmanager
def server_side(base: str) -> Iterator[Callable[[], tuple[float, float]]]:
    """What the server spent while the block ran: its processes' CPU seconds (each read
    every 50 ms, so a backend that ends meanwhile counts up to its last reading; 0 when the
    server is elsewhere) and the bytes of write-ahead log, given by the returned call."""
    import psycopg

    def lsn() -> int:
        with psycopg.connect(base, autocommit=True) as con:
            row = con.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()
        return int(row[0]) if row else 0

    start, last = _postgres_cpu(), {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            last.update(_postgres_cpu())

    wal = lsn()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    figures = [0.0, 0.0]
    try:
        yield lambda: (figures[0], figures[1])
    finally:
        done.set()
        sampler.join()
        last.update(_postgres_cpu())
        figures[0] = sum(v - start.get(pid, 0.0) for pid, v in last.items())
        figures[1] = lsn() - wal


if __name__ == "__main__":
    main()
