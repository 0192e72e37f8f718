"""A round that follows another: `campaign new --after` beside plain `campaign new`.

Run from the repository root: ``.venv/bin/python benchmarks/bench_rounds.py [--markdown]
[--repeat 5]``.

Builds two district stores (97,488 residents, seed 0): day 1 laid out, then an eight-hour
day simulated on it (``poolab.demo.timeline``: 0.3% of pools positive, their members
retested, a share of the tubes still on the road), so the next round has confirmed
positives to leave out, contacts to swab alone and residents still pending. The second
store's roster marks the elderly living alone for home visits (``roster demo
--home-visits``, 606 residents) and the next round also has risk buildings (the ten
buildings with the most positive pools, pooled at 5).

Then, on a fresh copy of the store each time (so every run writes into the same store),
alternating the two: plain ``create_campaign`` (`campaign new day2`) and
``create_campaign(after="day1")`` (`campaign new day2 --after day1`), in process (warm
kernels), ``--repeat`` runs each, min and median; and once each as a command (a
subprocess: start-up included). Target (issue 23): ``--after`` at most 1.3 × plain,
measured in process (the stricter comparison: start-up would dilute it).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median, print_report, timed

POOLAB = str(Path(sys.executable).parent / "poolab")
TARGET = 1.3


def build(folder: Path, *, home_visits: bool) -> tuple[Path, Path | None]:
    """The district store with day 1 played; with ``home_visits``, also a risk file."""
    from poolab.demo.timeline import DayPlan, simulate_day
    from poolab.field.campaigns import create_campaign
    from poolab.roster.file import write_roster_csv
    from poolab.roster.importing import import_roster
    from poolab.roster.synthetic import generate_district
    from poolab.store.engine import init_store

    folder.mkdir(parents=True, exist_ok=True)
    roster = folder / "roster.csv"
    write_roster_csv(generate_district(home_visits=home_visits), roster)
    db = folder / "poolab.db"
    store, _ = init_store(f"sqlite:///{db}")
    try:
        import_roster(store, roster, operator="bench")
        create_campaign(store, "day1", operator="bench")
        simulate_day(store, "day1", plan=DayPlan(positive=0.003, inconclusive=0.001), seed=1)
        risk = None
        if home_visits:
            risk = folder / "risk.csv"
            from sqlalchemy import text

            with store.read() as conn:
                rows = conn.execute(
                    text(
                        "SELECT r.compound, r.building, count(DISTINCT t.id) AS n FROM tube t "
                        "JOIN result res ON res.tube_id = t.id JOIN member m ON m.tube_id = t.id "
                        "JOIN resident r ON r.id = m.resident_pk WHERE t.kind = 'pool' AND res.call = 'positive' "
                        "GROUP BY r.compound, r.building ORDER BY n DESC, r.compound, r.building LIMIT 10"
                    )
                ).all()
            risk.write_text("compound,building\n" + "".join(f"{c},{b}\n" for c, b, _n in rows), encoding="utf-8")
    finally:
        store.dispose()
    return db, risk


def one_run(db: Path, work: Path, *, after: bool, risk: Path | None) -> tuple[float, object]:
    """Time one `campaign new day2` (plain or ``--after day1``) on a fresh copy of ``db``."""
    from poolab.field.campaigns import create_campaign
    from poolab.field.rounds import RoundRules
    from poolab.store.engine import open_store

    copy = work / "copy.db"
    shutil.copyfile(db, copy)
    store = open_store(f"sqlite:///{copy}")
    try:
        if after:
            return timed(
                lambda: create_campaign(
                    store, "day2", operator="bench", after="day1", rules=RoundRules(), risk_buildings=risk
                )
            )
        return timed(lambda: create_campaign(store, "day2", operator="bench"))
    finally:
        store.dispose()


def command(db: Path, work: Path, args: list[str]) -> float:
    """Wall time of `poolab campaign new day2 ARGS` as a subprocess, on a fresh copy."""
    copy = work / "copy.db"
    shutil.copyfile(db, copy)
    seconds, done = timed(
        lambda: subprocess.run(
            [POOLAB, "--db", f"sqlite:///{copy}", "campaign", "new", "day2", *args], capture_output=True, text=True
        )
    )
    assert isinstance(done, subprocess.CompletedProcess) and done.returncode == 0, done
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    table = []
    with tempfile.TemporaryDirectory(prefix="bench-rounds-") as tmp:
        work = Path(tmp)
        for home_visits in (False, True):
            label = "home visits + risk buildings" if home_visits else "seed district"
            db, risk = build(work / label.replace(" ", "-"), home_visits=home_visits)
            one_run(db, work, after=False, risk=None)  # warm: kernels compiled and cached, pages read
            one_run(db, work, after=True, risk=risk)
            plain: list[float] = []
            chained: list[float] = []
            summary: object = None
            for _ in range(args.repeat):  # alternating, so a change in the machine's load hits both
                plain.append(one_run(db, work, after=False, risk=None)[0])
                seconds, summary = one_run(db, work, after=True, risk=risk)
                chained.append(seconds)
            extra = ["--risk-buildings", str(risk)] if risk else []
            cmd_plain = command(db, work, [])
            cmd_after = command(db, work, ["--after", "day1", *extra])
            ratio = median(chained) / median(plain)
            s = summary
            groups = (
                f"{s.isolated} isolated, {s.contacts_single} contacts + {s.pending} pending alone, "  # type: ignore[attr-defined]
                f"{s.risk_residents} in risk pools, {s.home_visits} home visits"  # type: ignore[attr-defined]
            )
            table.append(
                [
                    label,
                    f"{min(plain):.3f} / {median(plain):.3f}",
                    f"{min(chained):.3f} / {median(chained):.3f}",
                    f"{ratio:.2f}",
                    "yes" if ratio <= TARGET else "NO",
                    f"{cmd_plain:.2f} / {cmd_after:.2f}",
                    groups,
                ]
            )
    header = [
        "district",
        "plain s (min / median)",
        "--after s (min / median)",
        "ratio (medians)",
        f"<= {TARGET}?",
        "as commands s (plain / --after)",
        "the --after round",
    ]
    print_report(
        f"campaign new --after beside plain campaign new, district, {args.repeat} alternating runs each",
        header,
        table,
        markdown=args.markdown,
    )


if __name__ == "__main__":
    main()
