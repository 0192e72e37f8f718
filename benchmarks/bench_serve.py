"""The command post's campaign page: a district and 2 million residents.

Run from the repository root: ``.venv/bin/python benchmarks/bench_serve.py [--markdown]
[--repeat 7] [--sizes 97488 2000000] [--pg URL] [--keep DIR]``.

Each store is built with the library: ``generate_district``, ``store_roster``,
``create_campaign``, then ``poolab.demo.timeline.simulate_day`` (an 8-hour day: every tube
collected, most received and called, 1% lost on the road, positive pools resampled),
so the page has every section to fill. Then, warm (one untimed call first, then the
median of ``--repeat``):

* raw baseline: the SQL statements one page runs, captured from ``campaign_view`` and
  replayed through the bare driver (``sqlite3`` / psycopg) with the same parameters;
* ``campaign_view`` in process (every figure the page shows: the counts on one
  connection and, on two more at the same time, a turnaround span and a kind of late
  tube each);
* the CPU time of that call (every connection's work: on SQLite it runs in this process;
  on PostgreSQL it is the client's share only, the server's work is not in it), which
  another program's load on the machine does not inflate the way it does wall time;
* ``GET /campaigns/NAME`` from a ``poolab serve`` process over loopback (the page as a
  browser gets it: the library call, the template, HTTP);
* ``GET /api/campaigns/NAME/status`` (``poolab status --json``: ``campaign_status``,
  which reads every tube into numpy).

Targets (issue 14): the page under 200 ms warm for a district, under 2 s for 2 million.
``--pg URL`` also builds each size in a fresh schema on that PostgreSQL server (then
``ANALYZE``, as autovacuum does within a minute of a bulk load: without statistics the
planner picks nested loops that take seconds).
``--keep DIR`` keeps the SQLite stores there and reuses them on the next run.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median, print_report, timed

POOLAB = str(Path(sys.executable).parent / "poolab")
CAMPAIGN = "day1"
TARGETS = {97_488: 0.2, 2_000_000: 2.0}


def build(url: str, residents: int) -> None:
    """Roster, campaign and a simulated day, through the library."""
    from poolab.demo.timeline import simulate_day
    from poolab.field.campaigns import create_campaign
    from poolab.roster.importing import store_roster
    from poolab.roster.synthetic import generate_district
    from poolab.store.engine import init_store

    households = max(1, round(residents * 58937 / 97488))
    compounds = max(38, round(residents * 38 / 97488))
    store, _ = init_store(url)
    try:
        t0 = time.perf_counter()
        store_roster(store, generate_district(residents, households, compounds, seed=1), operator="bench")
        create_campaign(store, CAMPAIGN, operator="bench")
        simulate_day(store, CAMPAIGN, seed=1, now=datetime.now(UTC))
        if store.dialect == "postgresql":  # what autovacuum does within a minute of a bulk load
            from sqlalchemy import text

            with store.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        print(f"  built {residents:,} residents in {time.perf_counter() - t0:.1f} s: {url}", file=sys.stderr)
    finally:
        store.dispose()


def captured_sql(url: str) -> list[tuple[str, Any]]:
    """The statements (driver SQL and parameters) one ``campaign_view`` runs."""
    from sqlalchemy import event

    from poolab.reports.commandpost import campaign_view
    from poolab.store.engine import open_store

    store = open_store(url)
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "SET")):  # SET: the page's settings
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        campaign_view(store, CAMPAIGN, listed=40)
    finally:
        store.dispose()
    return seen


def raw_replay(url: str, statements: list[tuple[str, Any]]) -> Callable[[], int]:
    """A function running ``statements`` through the bare driver, fetching every row."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]

        def run_sqlite() -> int:
            con = sqlite3.connect(path)
            try:
                return sum(len(con.execute(sql, params).fetchall()) for sql, params in statements)
            finally:
                con.close()

        return run_sqlite
    import psycopg

    from poolab.store.engine import resolve_url

    plain = resolve_url(url).replace("postgresql+psycopg://", "postgresql://")
    base, _, query = plain.partition("?")
    options = query.split("options=", 1)[1] if "options=" in query else ""

    def run_pg() -> int:
        kwargs = {"options": urllib.parse.unquote(options)} if options else {}
        with psycopg.connect(base, **kwargs) as con:  # one transaction: SET LOCAL holds for what follows
            cursors = (con.execute(sql, params) for sql, params in statements)
            return sum(len(cur.fetchall()) for cur in cursors if cur.description is not None)

    return run_pg


class Server:
    """``poolab serve`` on a free loopback port."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen(
            [POOLAB, "--db", url, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if " at http" not in line:
            raise SystemExit(f"poolab serve did not start: {line}{self.proc.stderr.read() if self.proc.stderr else ''}")
        self.base = line.split(" at ", 1)[1].split("campaigns", 1)[0]

    def get(self, path: str) -> int:
        with urllib.request.urlopen(self.base + path, timeout=120) as response:
            return len(response.read())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=30)


def time_call(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(median, min, max) seconds of ``repeat`` warm calls."""
    fn()
    times = [timed(fn)[0] for _ in range(repeat)]
    return median(times), min(times), max(times)


def cpu_call(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(median, min, max) CPU seconds of this process over ``repeat`` warm calls."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return median(times), min(times), max(times)


def measure(kind: str, url: str, residents: int, repeat: int, rows: list[tuple[str, ...]]) -> None:
    from poolab.reports.commandpost import campaign_view
    from poolab.store.engine import open_store

    target = TARGETS.get(residents)

    def add(label: str, figures: tuple[float, float, float], goal: float | None = None) -> None:
        med, lo, hi = figures
        verdict = "" if goal is None else f"< {goal:g} s: {'met' if med < goal else 'MISSED'}"
        rows.append(
            (f"{kind} {residents:,}: {label}", f"{med * 1000:.0f}", f"{lo * 1000:.0f}", f"{hi * 1000:.0f}", verdict)
        )
        print(f"  {rows[-1][0]}: {med * 1000:.0f} ms", file=sys.stderr, flush=True)

    statements = captured_sql(url)
    selects = sum(1 for sql, _ in statements if not sql.lstrip().upper().startswith("SET"))
    add(f"raw driver, the page's {selects} SELECTs (baseline)", time_call(raw_replay(url, statements), repeat))
    store = open_store(url)
    try:
        view = lambda: campaign_view(store, CAMPAIGN, listed=40)  # noqa: E731
        add("campaign_view (in process)", time_call(view, repeat))
        # CPU seconds of the same call (both threads): the work, whatever else the machine runs
        add("campaign_view, CPU time of the process", cpu_call(view, repeat))
    finally:
        store.dispose()
    server = Server(url)
    try:
        add("GET /campaigns/day1 (poolab serve)", time_call(lambda: server.get("campaigns/day1"), repeat), target)
        add("GET /api/campaigns/day1/status", time_call(lambda: server.get("api/campaigns/day1/status"), repeat))
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", type=int, nargs="+", default=[97_488, 2_000_000])
    parser.add_argument("--pg", default=None, help="also on this PostgreSQL server (a fresh schema per size)")
    parser.add_argument("--keep", default=None, help="keep the SQLite stores in this folder and reuse them")
    parser.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    args = parser.parse_args()
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="poolab-bench-serve-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for residents in args.sizes:
            path = folder / f"serve-{residents}.db"
            if not path.exists():
                build(f"sqlite:///{path}", residents)
            measure("SQLite", f"sqlite:///{path}", residents, args.repeat, rows)
            if args.pg:
                schema_url, drop = _pg_schema(args.pg)
                try:
                    build(schema_url, residents)
                    measure("PostgreSQL", schema_url, residents, args.repeat, rows)
                finally:
                    drop()
    header = ("step", f"median of {args.repeat} ms", "min ms", "max ms", "target")
    print_report("the command post's campaign page", header, rows, markdown=args.markdown)


def _pg_schema(base: str) -> tuple[str, Callable[[], None]]:
    from sqlalchemy import create_engine, text

    from poolab.store.engine import resolve_url

    schema = f"bench_serve_{uuid.uuid4().hex[:8]}"
    admin = create_engine(resolve_url(base))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


if __name__ == "__main__":
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    main()
