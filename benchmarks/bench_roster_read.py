"""Roster at district scale: generate, write, read + validate, beside plain ``csv.reader``.

Run from the repository root: ``.venv/bin/python benchmarks/bench_roster_read.py
[--residents N --households H --compounds C --repeat R]``. Each figure is the best of R
runs. Baselines on the same file: ``csv.reader`` alone (no decoding checks, no
validation, rows only) and ``csv.reader`` plus stripping every field.

Then the CSV parser alone, on the blocks the streamed import reads (``csvstream``: 4 MB
of text each, header known): poolab's hand-written fast path (``parse_csv_block``,
columns out) against ``csv.reader`` over the same blocks (columns out, and with every
field stripped as the careful path strips them). Issue 13: the hand-written path stays
only if it is measurably faster.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from poolab.files.csvio import parse_csv_block
from poolab.files.csvstream import TextBlocks
from poolab.roster.file import read_roster, write_roster_csv
from poolab.roster.synthetic import generate_district


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


def reader_columns(blocks: list[str], strip: bool) -> None:
    for text in blocks:
        rows = csv.reader(io.StringIO(text, newline=""))
        if strip:
            columns = [list(c) for c in zip(*([v.strip() for v in r] for r in rows), strict=True)]
        else:
            columns = [list(c) for c in zip(*rows, strict=True)]
        assert columns


def fast_columns(blocks: list[str], width: int, first_lines: list[int]) -> None:
    for text, first in zip(blocks, first_lines, strict=True):
        columns, _ = parse_csv_block(text, "bench", width, first, [])
        assert columns


def parse_rows(path: Path, repeat: int, row: Callable[[str, float], None]) -> None:
    """The parser alone over the file's blocks after the first (the header block)."""
    with TextBlocks(path) as f:
        blocks = list(f)[1:]
    if not blocks:
        print("  (one block only: run with --residents 200000 or more for the block parser figures)")
        return
    texts = [b.text for b in blocks]
    firsts = [b.first_line for b in blocks]
    width = texts[0].split("\n", 1)[0].count(",") + 1
    gc.disable()  # as in the import (poolab.store.bulk.gc_paused)
    try:
        row("  parse blocks: hand-written fast path", best_of(lambda: fast_columns(texts, width, firsts), repeat))
        row("  parse blocks: csv.reader", best_of(lambda: reader_columns(texts, False), repeat))
        row("  parse blocks: csv.reader + strip", best_of(lambda: reader_columns(texts, True), repeat))
    finally:
        gc.enable()


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
            if encoding == "utf-8":
                parse_rows(path, args.repeat, row)


if __name__ == "__main__":
    main()
