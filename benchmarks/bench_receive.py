"""`receive` of a whole district's tubes from a file, minimum over copies of one store.

Run from the repository root: ``.venv/bin/python benchmarks/bench_receive.py [--repeat 7]``.
It builds a district store once (roster, campaign, manifest; every tube still to be
received) and a scan file of every tube, then times ``receive`` on fresh copies of that
store. To compare two revisions, run it from a worktree of each (``git worktree add``),
alternating; RESULTS.md records such a comparison.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_lines

from poolab.field.campaigns import create_campaign
from poolab.field.sampling import write_manifest
from poolab.field.scans import scan_lines
from poolab.lab.reception import receive
from poolab.roster.file import write_roster_csv
from poolab.roster.importing import import_roster
from poolab.roster.synthetic import generate_district
from poolab.store.engine import init_store, open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="poolab-bench-receive-") as name:
        tmp = Path(name)
        write_roster_csv(generate_district(97488, 58937, 38, seed=0), tmp / "roster.csv")
        store, _ = init_store(f"sqlite:///{tmp / 'template.db'}")
        import_roster(store, tmp / "roster.csv", operator="bench")
        create_campaign(store, "day1", operator="bench")
        write_manifest(store, "day1", tmp / "manifest.csv")
        store.dispose()
        codes = dict.fromkeys(line.split(",", 1)[0] for line in (tmp / "manifest.csv").read_text().splitlines()[1:])
        (tmp / "scans.txt").write_text("\n".join(codes) + "\n", encoding="utf-8")
        times = []
        for i in range(args.repeat):
            db = tmp / f"run{i}.db"
            shutil.copy(tmp / "template.db", db)
            run_store = open_store(f"sqlite:///{db}")
            t0 = time.perf_counter()
            report = receive(run_store, "day1", scan_lines(tmp / "scans.txt"), source="scans.txt", operator="bench")
            times.append(time.perf_counter() - t0)
            assert report.accepted == len(codes), report
            run_store.dispose()
            db.unlink()
    middle = sorted(times)[len(times) // 2]
    print(f"receive of {len(codes):,} tubes from a file: min {min(times):.4f} s, median {middle:.4f} s")
    for line in machine_lines():
        print(f"# {line}")


if __name__ == "__main__":
    main()
