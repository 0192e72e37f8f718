"""The district workflow, step by step, each beside plain ``sqlite3`` on the same rows.

Run from the repository root: ``.venv/bin/python benchmarks/bench_workflow.py
[--markdown] [--repeat 3] [--residents N --households H --compounds C]
[--profile STEP]``.

The seed district (97,488 residents, ``generate_district`` seed 0) goes through the
loop once to build a template store after every step (untimed; this also warms the
JIT). Then each step is timed ``--repeat`` times, every time on a fresh copy of the
store it starts from, and so is its baseline: the store's own schema (``init_store``,
same tables and indexes, same WAL journal and ``synchronous=NORMAL``) opened with the
``sqlite3`` module, and the very rows our step wrote (read back from the template)
inserted with one ``executemany`` per table in one transaction; for the exports a raw
``SELECT`` of the same join written with ``csv.writer``. Figures are medians.

Target (docs/numbers.md): roster import, pool creation and result import reach at least half
the baseline's rows per second. Our side does more than the baseline: roster import
reads, decodes and validates the CSV; receipt and result import read and check every
line and look up every tube; exports mask names. ``store_roster`` (the insert path
alone, roster already read) is shown as well.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import pstats
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median, print_report, timed

from poolab.field.campaigns import create_campaign
from poolab.field.sampling import MANIFEST_COLUMNS, mark_collected, write_manifest
from poolab.field.scans import scan_lines
from poolab.files.csvio import write_csv
from poolab.lab.reception import receive
from poolab.lab.resolve import RETEST_COLUMNS, write_retest
from poolab.lab.results import import_results
from poolab.roster.file import ROSTER_COLUMNS, read_roster, write_roster_csv
from poolab.roster.importing import import_roster, store_roster
from poolab.roster.synthetic import generate_district
from poolab.store.engine import Store, init_store, open_store

OPERATOR = "bench"
CAMPAIGN = "bench-day1"
POSITIVE_POOLS = 25
TARGET_RATIO = 0.5
TARGETED = ("roster import", "pool creation", "result import")


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def settle(path: Path) -> None:
    """Fold the WAL into the main file so a plain file copy is the whole store."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


class Workdir:
    """Template stores (one per step reached) and throw-away copies of them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0
        self.copies: list[Path] = []

    def copy(self, template: Path) -> Path:
        self.count += 1
        path = self.root / f"copy-{self.count}.db"
        shutil.copyfile(template, path)
        self.copies.append(path)
        return path

    def clean(self) -> None:
        for p in self.copies:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{p}{suffix}").unlink(missing_ok=True)
        self.copies.clear()


def with_store(path: Path, fn: Callable[[Store], object]) -> Callable[[], object]:
    """A call of ``fn`` on the store at ``path``, opened outside the timed region."""
    store = open_store(url(path))

    def call() -> object:
        try:
            return fn(store)
        finally:
            store.dispose()

    return call


def raw_connect(path: Path) -> sqlite3.Connection:
    # The store's own settings: WAL is persistent in the file; synchronous is per connection.
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=NORMAL")
    return con


def raw_insert(path: Path, tables: Sequence[tuple[str, Sequence[str], list[tuple[object, ...]]]]) -> None:
    """Plain sqlite3: one transaction, one executemany per table."""
    con = raw_connect(path)
    con.execute("BEGIN")
    for table, columns, rows in tables:
        marks = ",".join("?" * len(columns))
        con.executemany(f'INSERT INTO "{table}" ({",".join(columns)}) VALUES ({marks})', rows)
    con.execute("COMMIT")
    con.close()


def raw_rows(path: Path, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    rows = con.execute(sql, params).fetchall()
    con.close()
    return rows


def raw_export(path: Path, sql: str, params: Sequence[object], header: Sequence[str], out: Path) -> int:
    """Plain sqlite3 SELECT written with csv.writer; returns the row count."""
    con = raw_connect(path)
    rows = con.execute(sql, params).fetchall()
    con.close()
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


MANIFEST_SQL = """
SELECT t.barcode, m.slot, r.resident_id, r.name, r.compound, r.building, r.unit, r.room, r.household_id
FROM member m JOIN tube t ON t.id = m.tube_id JOIN resident r ON r.id = m.resident_pk
WHERE m.campaign_id = ? ORDER BY t.position, m.slot
"""

# Members of pools whose current (newest) result is positive or inconclusive, with the
# individual tube each was given.
RETEST_SQL = """
SELECT r.resident_id, r.name, r.compound, r.building, r.unit, r.room, r.household_id, p.barcode, i.barcode
FROM result res
JOIN tube p ON p.id = res.tube_id
JOIN member m ON m.tube_id = p.id
JOIN resident r ON r.id = m.resident_pk
LEFT JOIN tube i ON i.parent_tube_id = p.id AND i.resident_pk = m.resident_pk
WHERE p.campaign_id = ? AND p.kind = 'pool' AND res.call IN ('positive', 'inconclusive')
  AND res.id = (SELECT MAX(r2.id) FROM result r2 WHERE r2.tube_id = res.tube_id)
ORDER BY p.position, m.slot
"""

RESIDENT_COLS = (*ROSTER_COLUMNS, "event_id")
TUBE_COLS = ("barcode", "campaign_id", "kind", "position", "parent_tube_id", "resident_pk", "event_id")
MEMBER_COLS = ("campaign_id", "tube_id", "resident_pk", "slot", "event_id")
SCAN_COLS = ("tube_id", "event_id", "at")
RESULT_COLS = ("tube_id", "call", "ct_orf1ab", "ct_n", "source", "supersedes_id", "reason", "event_id", "at")


def select_cols(path: Path, table: str, cols: Sequence[str], where: str = "") -> list[tuple[object, ...]]:
    return raw_rows(path, f'SELECT {",".join(cols)} FROM "{table}" {where} ORDER BY id')


class Bench:
    """Runs the steps and keeps one figure row per step."""

    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.work = Workdir(tmp)
        self.rows: list[tuple[str, int, float, float]] = []  # step, rows, ours s, baseline s

    def template(self, name: str, start: Path | None, fn: Callable[[Store], object]) -> tuple[Path, object]:
        """Run ``fn`` once on a copy of ``start`` and keep the result as template ``name``."""
        path = self.tmp / f"{name}.db"
        if start is None:
            store, _ = init_store(url(path))
        else:
            shutil.copyfile(start, path)
            store = open_store(url(path))
        value = fn(store)
        store.dispose()
        settle(path)
        return path, value

    def measure(
        self,
        step: str,
        rows: int,
        start: Path,
        ours: Callable[[Path], Callable[[], object]],
        baseline: Callable[[Path], Callable[[], object]],
        baseline_start: Path | None = None,
    ) -> None:
        """Median of ``--repeat`` timings, ours and baseline interleaved, fresh copies each."""
        t_ours, t_base = [], []
        for _ in range(self.args.repeat):
            call = ours(self.work.copy(start))
            t_ours.append(timed(call)[0])
            call = baseline(self.work.copy(baseline_start or start))
            t_base.append(timed(call)[0])
            self.work.clean()
        self.rows.append((step, rows, median(t_ours), median(t_base)))
        print(
            f"  {step}: ours {median(t_ours):.3f} s, baseline {median(t_base):.3f} s "
            f"(all ours {', '.join(f'{t:.3f}' for t in t_ours)})",
            file=sys.stderr,
            flush=True,
        )

    def profile(self, start: Path, ours: Callable[[Path], Callable[[], object]]) -> None:
        call = ours(self.work.copy(start))
        prof = cProfile.Profile()
        prof.runcall(call)
        self.work.clean()
        lines = int(os.environ.get("PROFILE_LINES", "25"))
        pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=97488)
    parser.add_argument("--households", type=int, default=58937)
    parser.add_argument("--compounds", type=int, default=38)
    parser.add_argument("--repeat", type=int, default=3, help="timings per step (median reported)")
    parser.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    parser.add_argument(
        "--profile",
        metavar="STEP",
        default="",
        help="cProfile our side of one step (roster, pools, manifest, collect, receive, "
        "results, retest) instead of the table",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="poolab-bench-") as tmp_name:
        tmp = Path(tmp_name)
        run(args, tmp)


def run(args: argparse.Namespace, tmp: Path) -> None:
    n = args.residents
    print(
        f"district: {n:,} residents, {args.households:,} households, {args.compounds} compounds, seed 0; "
        f"median of {args.repeat}",
        file=sys.stderr,
        flush=True,
    )
    district = generate_district(n, args.households, args.compounds, seed=0)
    roster_csv = tmp / "roster.csv"
    write_roster_csv(district, roster_csv)
    b = Bench(args, tmp)

    # --- templates: the loop once, untimed (also warms the JIT and the page cache)
    t0, _ = b.template("t0-empty", None, lambda s: None)
    t1, _ = b.template("t1-roster", t0, lambda s: import_roster(s, roster_csv, operator=OPERATOR))
    t2, camp = b.template("t2-pools", t1, lambda s: create_campaign(s, CAMPAIGN, operator=OPERATOR))
    campaign_id = raw_rows(t2, "SELECT id FROM campaign WHERE name = ?", (CAMPAIGN,))[0][0]
    t3, _ = b.template("t3-collected", t2, lambda s: mark_collected(s, CAMPAIGN, operator=OPERATOR))
    barcodes = [
        r[0] for r in raw_rows(t3, "SELECT barcode FROM tube WHERE campaign_id = ? ORDER BY position", (campaign_id,))
    ]
    n_tubes = len(barcodes)
    rng = np.random.default_rng(0)
    scans = tmp / "receive-scans.txt"
    scans.write_text("".join(barcodes[i] + "\n" for i in rng.permutation(n_tubes)), encoding="utf-8")
    t4, _ = b.template(
        "t4-received", t3, lambda s: receive(s, CAMPAIGN, scan_lines(scans), source=str(scans), operator=OPERATOR)
    )
    positive = set(rng.choice(n_tubes, size=min(POSITIVE_POOLS, n_tubes), replace=False).tolist())
    results_csv = tmp / "results.csv"
    write_csv(
        results_csv,
        ("tube_barcode", "result", "ct_orf1ab", "ct_n"),
        [
            (c, "positive", "31.20", "32.05") if i in positive else (c, "negative", "", "")
            for i, c in enumerate(barcodes)
        ],
    )
    t5, _ = b.template("t5-resulted", t4, lambda s: import_results(s, CAMPAIGN, results_csv, operator=OPERATOR))
    retest_out = tmp / "retest.csv"
    t6, _ = b.template("t6-retest", t5, lambda s: write_retest(s, CAMPAIGN, retest_out, operator=OPERATOR))
    n_retest = sum(1 for _ in open(retest_out, encoding="utf-8")) - 1

    # --- the rows each step wrote, for the baselines
    resident_rows = select_cols(t1, "resident", RESIDENT_COLS)
    tube_rows = select_cols(t2, "tube", TUBE_COLS)
    member_rows = select_cols(t2, "member", MEMBER_COLS)
    collection_rows = select_cols(t3, "collection", SCAN_COLS)
    receipt_rows = select_cols(t4, "receipt", SCAN_COLS)
    result_rows = select_cols(t5, "result", RESULT_COLS)
    assert len(resident_rows) == n and len(member_rows) == n and len(tube_rows) == n_tubes == camp.tubes
    assert len(collection_rows) == len(receipt_rows) == len(result_rows) == n_tubes
    manifest_header = MANIFEST_COLUMNS
    retest_header = RETEST_COLUMNS
    out = tmp / "out.csv"
    roster = read_roster(roster_csv)

    steps: dict[
        str,
        tuple[
            str, int, Path, Callable[[Path], Callable[[], object]], Callable[[Path], Callable[[], object]], Path | None
        ],
    ] = {
        "roster": (
            "roster import",
            n,
            t0,
            lambda p: with_store(p, lambda s: import_roster(s, roster_csv, operator=OPERATOR)),
            lambda p: lambda: raw_insert(p, [("resident", RESIDENT_COLS, resident_rows)]),
            None,
        ),
        "store_roster": (
            "roster import, insert path alone (store_roster)",
            n,
            t0,
            lambda p: with_store(p, lambda s: store_roster(s, roster, operator=OPERATOR)),
            lambda p: lambda: raw_insert(p, [("resident", RESIDENT_COLS, resident_rows)]),
            None,
        ),
        "pools": (
            "pool creation",
            n_tubes + n,
            t1,
            lambda p: with_store(p, lambda s: create_campaign(s, CAMPAIGN, operator=OPERATOR)),
            lambda p: lambda: raw_insert(p, [("tube", TUBE_COLS, tube_rows), ("member", MEMBER_COLS, member_rows)]),
            None,
        ),
        "manifest": (
            "manifest export",
            n,
            t2,
            lambda p: with_store(p, lambda s: write_manifest(s, CAMPAIGN, out)),
            lambda p: lambda: raw_export(p, MANIFEST_SQL, (campaign_id,), manifest_header, out),
            None,
        ),
        "collect": (
            "collection (mark_collected)",
            n_tubes,
            t2,
            lambda p: with_store(p, lambda s: mark_collected(s, CAMPAIGN, operator=OPERATOR)),
            lambda p: lambda: raw_insert(p, [("collection", SCAN_COLS, collection_rows)]),
            None,
        ),
        "receive": (
            "receipt of every tube",
            n_tubes,
            t3,
            lambda p: with_store(
                p, lambda s: receive(s, CAMPAIGN, scan_lines(scans), source=str(scans), operator=OPERATOR)
            ),
            lambda p: lambda: raw_insert(p, [("receipt", SCAN_COLS, receipt_rows)]),
            None,
        ),
        "results": (
            "result import",
            n_tubes,
            t4,
            lambda p: with_store(p, lambda s: import_results(s, CAMPAIGN, results_csv, operator=OPERATOR)),
            lambda p: lambda: raw_insert(p, [("result", RESULT_COLS, result_rows)]),
            None,
        ),
        "retest": (
            f"retest export ({POSITIVE_POOLS} positive pools)",
            n_retest,
            t5,
            lambda p: with_store(p, lambda s: write_retest(s, CAMPAIGN, out, operator=OPERATOR)),
            lambda p: lambda: raw_export(p, RETEST_SQL, (campaign_id,), retest_header, out),
            t6,
        ),
        "retest_again": (
            "retest export asked again (read only)",
            n_retest,
            t6,
            lambda p: with_store(p, lambda s: write_retest(s, CAMPAIGN, out, operator=OPERATOR)),
            lambda p: lambda: raw_export(p, RETEST_SQL, (campaign_id,), retest_header, out),
            None,
        ),
    }
    assert n_retest == raw_export(t6, RETEST_SQL, (campaign_id,), retest_header, out), "retest rows differ"

    if args.profile:
        _label, _rows, start, ours, _base, _bstart = steps[args.profile]
        b.profile(start, ours)
        return
    for _label, _rows, start, ours, base, bstart in steps.values():
        b.measure(_label, _rows, start, ours, base, bstart)
    report(b.rows, args, n_tubes)


def report(rows: list[tuple[str, int, float, float]], args: argparse.Namespace, n_tubes: int) -> None:
    header = ("step", "rows", "ours s", "ours rows/s", "sqlite3 s", "sqlite3 rows/s", "ours/sqlite3", "target")
    table = []
    for step, count, ours, base in rows:
        ratio = base / ours
        target = ""
        if step in TARGETED:
            target = f">= {TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'MISSED'}"
        table.append(
            (
                step,
                f"{count:,}",
                f"{ours:.3f}",
                f"{count / ours:,.0f}",
                f"{base:.3f}",
                f"{count / base:,.0f}",
                f"{ratio:.2f}",
                target,
            )
        )
    title = (
        f"district workflow: {args.residents:,} residents, {n_tubes:,} pool tubes; "
        f"median of {args.repeat}; fresh SQLite store per run"
    )
    print_report(title, header, table, markdown=args.markdown)


if __name__ == "__main__":
    main()
