"""Roster at district scale: generate, write, read + validate, beside plain ``csv.reader``.

Run from the repository root: ``.venv/bin/python benchmarks/bench_roster_read.py
[--residents N --households H --compounds C --repeat R]``. Each figure is the best of R
runs. Baselines on the same file: ``csv.reader`` alone (no decoding checks, no
validation, rows only) and ``csv.reader`` plus stripping every field.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from poolab.roster import read_roster, write_roster_csv
from poolab.rosterdemo import generate_district


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def plain_reader(path: Path, encoding: str) -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.reader(f))


def stripping_reader(path: Path, encoding: str) -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as f:
        return [[v.strip() for v in row] for row in csv.reader(f)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=97488)
    parser.add_argument("--households", type=int, default=58937)
    parser.add_argument("--compounds", type=int, default=38)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n = args.residents

    t_gen = best_of(lambda: generate_district(n, args.households, args.compounds), args.repeat)
    roster = generate_district(n, args.households, args.compounds)
    print(f"roster at {n:,} residents, best of {args.repeat}")
    print(f"{'step':<40}{'seconds':>9}{'rows/s':>12}")

    def row(label: str, seconds: float) -> None:
        print(f"{label:<40}{seconds:9.3f}{n / seconds:12,.0f}")

    row("generate_district", t_gen)
    with tempfile.TemporaryDirectory() as tmp:
        for encoding in ("utf-8", "utf-8-sig", "gb18030"):
            path = Path(tmp) / f"roster-{encoding}.csv"
            row(
                f"write_roster_csv ({encoding})",
                best_of(lambda p=path, e=encoding: write_roster_csv(roster, p, e), args.repeat),
            )
            back = read_roster(path)
            assert roster == back, "round trip failed"
            row(f"read_roster + validate ({encoding})", best_of(lambda p=path: read_roster(p), args.repeat))
            row(
                f"  baseline: csv.reader ({encoding})",
                best_of(lambda p=path, e=encoding: plain_reader(p, e), args.repeat),
            )
            row(
                f"  baseline: csv.reader + strip ({encoding})",
                best_of(lambda p=path, e=encoding: stripping_reader(p, e), args.repeat),
            )


if __name__ == "__main__":
    main()
