"""City scale: the roster-to-results path at millions of residents, through the CLI.

Run from the repository root: ``.venv/bin/python benchmarks/bench_city.py [--residents
2000000 [10000000 ...]] [--stores sqlite postgresql] [--pg URL] [--tmp DIR] [--markdown]``
(``make bench-city`` runs 2 and 10 million residents on both stores).

For each size, ``poolab roster demo`` writes a city (the seed district's proportions:
0.6046 households per resident, one compound per 2,565 residents). Then, on each store,
the day's commands run as subprocesses of ``.venv/bin/poolab``, each one timed (wall) and
measured (peak RSS of the command's own process, ``wait4``'s rusage): ``roster import``,
``campaign new``, ``manifest -o FILE``, ``receive`` of every tube, ``results import`` of
every tube. Beside each, a raw baseline runs as its own process too
(``benchmarks/_city_raw.py``): on SQLite ``csv.reader`` + one ``sqlite3.executemany`` into
a fresh store for the import, and the very rows each command wrote inserted with
``executemany`` into a fresh store; on PostgreSQL a plain psycopg ``COPY`` of the same
file, and ``COPY`` of the same rows. Exports beside a raw ``SELECT`` (SQLite) or
``COPY (SELECT ...) TO STDOUT`` (PostgreSQL) of the same join written to a file. The raw
figures are the baseline's own timed part (the process start is not in it).

Targets (issue 13): on SQLite the import at most 1.5x the raw script, peak memory under
600 MB at 2 million and 1.5 GB at 10 million; ``campaign new`` at 10 million under 60 s
and 1.5 GB; the 10 million manifest under 60 s. On PostgreSQL the import within 1.5x the
plain ``COPY``.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, format_table, machine_lines

POOLAB = str(Path(sys.executable).with_name("poolab"))
RAW_PYTHON = sys.executable
RAW = str(Path(__file__).resolve().with_name("_city_raw.py"))
CAMPAIGN = "city1"
STEPS = 5
MB = 1024 * 1024


class Measured:
    """One process run: wall seconds, peak RSS in bytes, what it printed."""

    def __init__(self, args: Sequence[str], stdin: str | None = None, env: dict[str, str] | None = None) -> None:
        t0 = time.perf_counter()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            stdin_file = open(stdin, "rb") if stdin else subprocess.DEVNULL  # closed below
            proc = subprocess.Popen(args, stdin=stdin_file, stdout=out, stderr=err, cwd=ROOT, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.seconds = time.perf_counter() - t0
            if stdin:
                stdin_file.close()  # type: ignore[union-attr]
            out.seek(0)
            err.seek(0)
            self.stdout = out.read().decode("utf-8", "replace")
            self.stderr = err.read().decode("utf-8", "replace")
        self.peak = usage.ru_maxrss * 1024  # kilobytes on Linux
        self.cpu = usage.ru_utime + usage.ru_stime  # the process's own CPU seconds (not the server's)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{self.stdout}\n{self.stderr}")

    @property
    def reported(self) -> float:
        """The seconds a raw baseline printed on its last line."""
        return float(self.stdout.strip().splitlines()[-1])


CODE: str | None = None
"""``--code DIR``: run the commands from another tree of poolab (``git archive REV poolab
cli`` with ``poolab_cli`` linked to ``cli``), for before/after figures in one session."""


def poolab(db: str, *args: str, stdin: str | None = None) -> Measured:
    command, env = [POOLAB], None
    if CODE is not None:
        command = [sys.executable, "-P", "-c", "import sys; from poolab_cli.main import main; sys.exit(main())"]
        env = dict(os.environ, PYTHONPATH=CODE)  # ahead of this tree (-P: not the working folder either)
    return Measured([*command, "--db", db, "--operator", "bench", *args], stdin=stdin, env=env)


def raw(*args: str) -> Measured:
    return Measured([RAW_PYTHON, RAW, *args])


def city_counts(residents: int) -> tuple[int, int]:
    """(households, compounds) in the seed district's proportions."""
    return max(1, round(residents * 58937 / 97488)), max(1, round(residents * 38 / 97488))


def write_day_files(manifest: Path, scans: Path, results: Path) -> int:
    """Every tube of the manifest once as a scan, and a result for each (one in 400 positive)."""
    seen: dict[str, None] = {}
    with open(manifest, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            seen[row[0]] = None
    codes = list(seen)
    scans.write_text("\n".join(codes) + "\n", encoding="utf-8")
    with open(results, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("tube_barcode", "result", "ct_orf1ab", "ct_n"))
        w.writerows(
            (c, "positive", "31.20", "32.05") if i % 400 == 0 else (c, "negative", "", "") for i, c in enumerate(codes)
        )
    return len(codes)


Row = tuple[str, str, int, Measured, float | None, Measured | None]


def run_sqlite(tmp: Path, roster: Path, n: int) -> list[Row]:
    ours = str(tmp / "ours.db")
    poolab(ours, "init")
    rows: list[Row] = []

    def fresh(name: str) -> str:
        path = str(tmp / f"{name}.db")
        poolab(path, "init")
        return path

    m = poolab(ours, "roster", "import", str(roster))
    base_db = fresh("raw-import")
    b = raw("sqlite-import", base_db, str(roster))
    rows.append(("roster import", "sqlite", n, m, b.reported, b))
    os.remove(base_db)
    m = poolab(ours, "campaign", "new", CAMPAIGN)
    b = raw("sqlite-rows", ours, fresh("raw-pools"), "tube", "member")
    tubes = int(m.stdout.split(" tubes")[0].split()[-1]) if " tubes" in m.stdout else 0
    rows.append(("campaign new", "sqlite", n + tubes, m, b.reported, b))
    if STEPS <= 2:
        _remove(tmp, "ours.db", "raw-pools.db")
        return rows
    manifest = tmp / "manifest.csv"
    m = poolab(ours, "manifest", CAMPAIGN, "-o", str(manifest))
    b = raw("sqlite-manifest", ours, str(tmp / "raw-manifest.csv"))
    rows.append(("manifest", "sqlite", n, m, b.reported, b))
    tubes = write_day_files(manifest, tmp / "scans.txt", tmp / "results.csv")
    m = poolab(ours, "receive", CAMPAIGN, str(tmp / "scans.txt"))
    b = raw("sqlite-rows", ours, str(tmp / "raw-pools.db"), "receipt")
    rows.append(("receive", "sqlite", tubes, m, b.reported, b))
    m = poolab(ours, "results", "import", CAMPAIGN, str(tmp / "results.csv"))
    b = raw("sqlite-rows", ours, str(tmp / "raw-pools.db"), "result")
    rows.append(("results import", "sqlite", tubes, m, b.reported, b))
    _remove(tmp, "ours.db", "raw-pools.db", "raw-manifest.csv", "manifest.csv")
    return rows


def _remove(tmp: Path, *names: str) -> None:
    for name in names:
        for suffix in ("", "-wal", "-shm"):
            Path(tmp / (name + suffix)).unlink(missing_ok=True)


def _schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def run_postgres(tmp: Path, roster: Path, n: int, base: str) -> list[Row]:
    import psycopg

    dsn = base.replace("postgresql+psycopg://", "postgresql://")
    names = [f"city_{uuid.uuid4().hex[:8]}" for _ in range(3)]
    ours_s, raw_import_s, raw_rows_s = names
    with psycopg.connect(dsn, autocommit=True) as con:
        for s in names:
            con.execute(f'CREATE SCHEMA "{s}"')
    rows: list[Row] = []
    try:
        ours = _schema_url(base, ours_s)
        for s in names:
            poolab(_schema_url(base, s), "init")
        m = poolab(ours, "roster", "import", str(roster))
        b = raw("pg-import", dsn, raw_import_s, str(roster))
        rows.append(("roster import", "postgresql", n, m, b.reported, b))
        m = poolab(ours, "campaign", "new", CAMPAIGN)
        b = raw("pg-rows", dsn, ours_s, raw_rows_s, "tube", "member")
        tubes = int(m.stdout.split(" tubes")[0].split()[-1]) if " tubes" in m.stdout else 0
        rows.append(("campaign new", "postgresql", n + tubes, m, b.reported, b))
        if STEPS <= 2:
            return rows
        manifest = tmp / "manifest.csv"
        m = poolab(ours, "manifest", CAMPAIGN, "-o", str(manifest))
        b = raw("pg-manifest", dsn, ours_s, str(tmp / "raw-manifest.csv"))
        rows.append(("manifest", "postgresql", n, m, b.reported, b))
        tubes = write_day_files(manifest, tmp / "scans.txt", tmp / "results.csv")
        m = poolab(ours, "receive", CAMPAIGN, str(tmp / "scans.txt"))
        b = raw("pg-rows", dsn, ours_s, raw_rows_s, "receipt")
        rows.append(("receive", "postgresql", tubes, m, b.reported, b))
        m = poolab(ours, "results", "import", CAMPAIGN, str(tmp / "results.csv"))
        b = raw("pg-rows", dsn, ours_s, raw_rows_s, "result")
        rows.append(("results import", "postgresql", tubes, m, b.reported, b))
    finally:
        with psycopg.connect(dsn, autocommit=True) as con:
            for s in names:
                con.execute(f'DROP SCHEMA IF EXISTS "{s}" CASCADE')
        for name in ("raw-manifest.csv", "manifest.csv"):
            Path(tmp / name).unlink(missing_ok=True)
    return rows


TARGETS = {
    ("roster import", "sqlite"): (1.5, {2_000_000: 600, 10_000_000: 1536}),
    ("roster import", "postgresql"): (1.5, {}),
    ("campaign new", "sqlite"): (None, {10_000_000: 1536}),
}
SECONDS_TARGETS = {("campaign new", 10_000_000): 60.0, ("manifest", 10_000_000): 60.0}


def verdict(step: str, store: str, n: int, m: Measured, raw_s: float | None) -> str:
    parts = []
    ratio_target, rss = TARGETS.get((step, store), (None, {}))
    if ratio_target is not None and raw_s:
        ratio = m.seconds / raw_s
        parts.append(f"<= {ratio_target}x: {'met' if ratio <= ratio_target else 'MISSED'}")
    if n in rss:
        parts.append(f"< {rss[n]} MB: {'met' if m.peak / MB < rss[n] else 'MISSED'}")
    limit = SECONDS_TARGETS.get((step, n))
    if limit is not None and store == "sqlite":
        parts.append(f"< {limit:.0f} s: {'met' if m.seconds < limit else 'MISSED'}")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, nargs="+", default=[2_000_000])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--pg", default=os.environ.get("POOLAB_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--tmp", default=None, help="folder for the files (default: a temporary one)")
    parser.add_argument(
        "--roster", default=None, help="use this roster CSV (of --residents lines) instead of generating one"
    )
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--code", default=None, help="run the poolab commands from this tree (before/after)")
    parser.add_argument(
        "--steps", type=int, default=5, help="how many of the day's steps to run (2: import and campaign new)"
    )
    args = parser.parse_args()
    global CODE, STEPS
    CODE = args.code
    STEPS = args.steps
    header = ("step", "store", "rows", "ours s", "ours MB", "raw s", "raw MB", "ours/raw", "target")
    table: list[tuple[str, ...]] = []
    tmp = Path(tempfile.mkdtemp(prefix="poolab-city-", dir=args.tmp))
    try:
        for n in args.residents:
            households, compounds = city_counts(n)
            roster = tmp / "roster.csv"
            if args.roster:
                roster = Path(args.roster)
                print(f"{n:,} residents: {roster} ({roster.stat().st_size / MB:,.0f} MB)", flush=True)
            else:
                g = poolab(
                    "unused.db", "roster", "demo", "-o", str(roster), "--residents", str(n),
                    "--households", str(households), "--compounds", str(compounds),
                )  # fmt: skip
                print(
                    f"{n:,} residents ({households:,} households, {compounds:,} compounds): roster demo "
                    f"{g.seconds:.1f} s, {g.peak / MB:,.0f} MB, {roster.stat().st_size / MB:,.0f} MB of CSV",
                    flush=True,
                )
            rows: list[Row] = []
            if "sqlite" in args.stores:
                rows += run_sqlite(tmp, roster, n)
            if "postgresql" in args.stores:
                rows += run_postgres(tmp, roster, n, args.pg)
            for step, store, count, m, raw_s, b in rows:
                table.append(
                    (
                        f"{step} ({n / 1e6:g} M)",
                        store,
                        f"{count:,}",
                        f"{m.seconds:.1f}",
                        f"{m.peak / MB:,.0f}",
                        "" if raw_s is None else f"{raw_s:.1f}",
                        "" if b is None else f"{b.peak / MB:,.0f}",
                        "" if not raw_s else f"{m.seconds / raw_s:.2f}",
                        verdict(step, store, n, m, raw_s),
                    )
                )
                print("  " + "  ".join(table[-1]), f"(load {os.getloadavg()[0]:.1f})", flush=True)
            if not args.roster:
                roster.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(format_table(header, table))
    for line in machine_lines():
        print(f"# {line}")
    if args.markdown:
        print()
        print(format_table(header, table, markdown=True))


if __name__ == "__main__":
    main()
