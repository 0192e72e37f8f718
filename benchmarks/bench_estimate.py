"""The day's estimate and tomorrow's advice on a district: `estimate` and `plan advise`.

Run from the repository root: ``.venv/bin/python benchmarks/bench_estimate.py [--markdown]
[--repeat 10]``.

Builds the district store the way ``poolab demo`` does (97,488 residents, 9,764 pools,
25 infected, their pools' members retested), then times, warm (one untimed call first,
then the median of ``--repeat``):

* in the same process: the raw baseline, plain ``sqlite3`` reading what the estimate
  reads (pool sizes, current calls, the individual tubes), then ``estimate_campaign``
  (overall, and ``--by building``) and ``advise`` (dorfman, dilution, the PSe floor);
* as commands (a subprocess each, like a person runs them): ``poolab estimate``, ``poolab
  estimate --by building`` and ``poolab plan advise``, beside ``python -c "import
  sqlalchemy, sqlmodel"`` (what opening any store costs before poolab does anything).

Targets (issue 12): ``estimate`` on a district under 0.5 s warm, ``plan advise`` under 1 s.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median, print_report, timed

POOLAB = str(Path(sys.executable).parent / "poolab")
CAMPAIGN = "demo-day1"
ESTIMATE_TARGET, ADVISE_TARGET = 0.5, 1.0


def raw_read(path: str) -> int:
    """Plain sqlite3: the rows the estimate needs, and nothing else."""
    con = sqlite3.connect(path)
    try:
        (cid,) = con.execute("SELECT id FROM campaign WHERE name = ?", (CAMPAIGN,)).fetchone()
        sizes = con.execute(
            "SELECT tube_id, count(*) FROM member WHERE campaign_id = ? GROUP BY tube_id", (cid,)
        ).fetchall()
        tubes = con.execute(
            "SELECT id, kind, parent_tube_id, resident_pk FROM tube WHERE campaign_id = ? ORDER BY position, id",
            (cid,),
        ).fetchall()
        calls = con.execute(
            "SELECT r.tube_id, r.call FROM result r JOIN tube t ON t.id = r.tube_id WHERE t.campaign_id = ? "
            "ORDER BY r.id",
            (cid,),
        ).fetchall()
        return len(sizes) + len(tubes) + len(dict(calls))
    finally:
        con.close()


def time_call(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(median, min, max) seconds of ``repeat`` warm calls."""
    fn()
    times = [timed(fn)[0] for _ in range(repeat)]
    return median(times), min(times), max(times)


def time_command(cmd: Sequence[str], repeat: int) -> tuple[float, float, float]:
    """(median, min, max) wall seconds of ``repeat`` subprocess runs after one warm-up."""

    def once() -> None:
        proc = subprocess.run(list(cmd), capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")

    return time_call(once, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    args = parser.parse_args()
    from poolab.demo.run import run_demo
    from poolab.plan.advise import advise
    from poolab.plan.dilution import DilutionModel
    from poolab.reports.estimate import estimate_campaign
    from poolab.store.engine import open_store

    rows: list[tuple[str, str, str, str, str]] = []

    def add(label: str, figures: tuple[float, float, float], target: float | None) -> None:
        med, lo, hi = figures
        verdict = "" if target is None else f"< {target:g} s: {'met' if med < target else 'MISSED'}"
        rows.append((label, f"{med:.3f}", f"{lo:.3f}", f"{hi:.3f}", verdict))
        print(f"  {label}: {med:.3f} s", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="poolab-bench-estimate-") as tmp:
        print("building the district store (poolab demo) ...", file=sys.stderr, flush=True)
        run_demo(tmp, seed=0)
        path = str(Path(tmp) / "poolab.db")
        url = f"sqlite:///{path}"
        store = open_store(url)
        est = estimate_campaign(store, CAMPAIGN)
        r = args.repeat
        add("sqlite3: pool sizes, calls, individual tubes (raw baseline)", time_call(lambda: raw_read(path), r), None)
        add("estimate_campaign (in process)", time_call(lambda: estimate_campaign(store, CAMPAIGN), r), ESTIMATE_TARGET)
        add(
            "estimate_campaign --by building (in process)",
            time_call(lambda: estimate_campaign(store, CAMPAIGN, by="building"), r),
            None,
        )
        add(
            "advise dorfman, dilution (in process)",
            time_call(lambda: advise(store, CAMPAIGN, dilution=DilutionModel()), r),
            ADVISE_TARGET,
        )
        store.dispose()
        py, db = sys.executable, ["--db", url]
        add(
            "python -c 'import sqlalchemy, sqlmodel' (reference)",
            time_command([py, "-c", "import sqlalchemy, sqlmodel"], r),
            None,
        )
        add("poolab estimate", time_command([POOLAB, *db, "estimate", CAMPAIGN], r), None)
        add(
            "poolab estimate --by building",
            time_command([POOLAB, *db, "estimate", CAMPAIGN, "--by", "building"], r),
            None,
        )
        add("poolab plan advise", time_command([POOLAB, *db, "plan", "advise", CAMPAIGN], r), None)
    title = (
        f"estimate and advice on a district: {est.pools} pools ({est.positive_pools} positive), "
        f"{est.individual_results} individual results; prevalence {100 * est.prevalence:.4g}%"
    )
    header = ("step", f"median of {args.repeat} s", "min s", "max s", "target")
    print_report(title, header, rows, markdown=args.markdown)


if __name__ == "__main__":
    main()
