"""The lab bench at a district's scale: one 96-well plate's QuantStudio export imported,
and a district's day of plates (100+), beside a raw parse of the same files.

Builds the synthetic district (97,488 residents, 9,764 pool tubes) in a temporary SQLite
store, receives every tube, lays them onto 96-well plates (``plate new``), writes one
QuantStudio export per plate (``poolab.lab.instruments.synthetic``), as text with the flag
columns (a flagged well every 50th) and as the same export saved as Excel (.xlsx), and
then times:

- raw parse: ``csv.reader`` over each file's [Results] block, and calamine's rows of each
  workbook's Results sheet (the least any reader does);
- poolab's reader alone (``read_export``: sections or sheet, columns, verdicts, readings);
- ``import_file`` in process, plate by plate (reader + plate map + kit + controls +
  ``record_calls``), median and total for all plates;
- ``poolab results import`` as a command (a new process each: warm numba cache), for
  a few plates of the same store: the old way, one command a plate;
- ``poolab results import day1 FILE...``: the whole day in one command, text and .xlsx,
  each into its own copy of the store as it was before any import.

    .venv/bin/python benchmarks/bench_bench.py [--plates N]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, format_table, machine_lines, median


def _district(folder: Path, plates_wanted: int | None) -> tuple[object, list[Path], list[Path]]:
    from poolab.field.campaigns import create_campaign
    from poolab.field.sampling import write_manifest
    from poolab.field.scans import scan_lines
    from poolab.lab.bench.plates import new_plates
    from poolab.lab.instruments.synthetic import quantstudio_text, quantstudio_workbook
    from poolab.lab.reception import receive
    from poolab.roster.file import write_roster_csv
    from poolab.roster.synthetic import generate_district
    from poolab.store.engine import init_store

    write_roster_csv(generate_district(seed=1), folder / "roster.csv")
    store, _ = init_store(f"sqlite:///{folder / 'poolab.db'}")
    from poolab.roster.importing import import_roster

    import_roster(store, folder / "roster.csv", operator="bench")
    create_campaign(store, "day1", operator="bench")
    write_manifest(store, "day1", folder / "manifest.csv")
    with open(folder / "manifest.csv", encoding="utf-8", newline="") as f:
        tubes = list(dict.fromkeys(r["tube_barcode"] for r in csv.DictReader(f)))
    (folder / "scans.txt").write_text("".join(t + "\n" for t in tubes), encoding="utf-8")
    receive(store, "day1", scan_lines(folder / "scans.txt"), source="scans.txt", operator="bench")
    new_plates(store, "day1", folder / "plates.csv", size=96, operator="bench")
    plates: dict[str, list[tuple[str, str, str, dict[str, float | None]]]] = {}
    with open(folder / "plates.csv", encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            kind = row["kind"]
            if kind == "empty":
                continue
            if kind == "positive_control":
                cts: dict[str, float | None] = {"ORF1ab": 28.4, "N": 29.1, "IC": None}
            elif kind == "negative_control":
                cts = {"ORF1ab": None, "N": None, "IC": None}
            elif i % 97 == 0:
                cts = {"ORF1ab": 31.5, "N": 32.0, "IC": 27.0}
            else:
                cts = {"ORF1ab": None, "N": None, "IC": 26.0 + (i % 7) / 3}
            plates.setdefault(row["plate_barcode"], []).append((row["well"], kind, row["tube_barcode"], cts))
    files, books = [], []
    for code, wells in list(plates.items())[:plates_wanted]:
        flags = {(w[0], "N"): ("EXPFAIL",) for n, w in enumerate(wells) if n % 50 == 49}
        path = folder / f"run-{code}.txt"
        path.write_bytes(quantstudio_text(code, wells, flags=flags).encode("utf-8"))
        files.append(path)
        book = folder / f"run-{code}.xlsx"
        book.write_bytes(quantstudio_workbook(code, wells, flags=flags))
        books.append(book)
    return store, files, books


def _raw_sheet(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    return len(CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Results").to_python())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _one_command(db: Path, files: list[Path]) -> tuple[float, float, str]:
    """Wall time and CPU time (user + system: what a quiet machine's wall time comes
    close to, the command being single-threaded) of one ``poolab results import day1
    FILE...``, and its summary line."""
    cpu = _children_cpu()
    t = time.perf_counter()
    out = subprocess.run(
        [str(ROOT / ".venv/bin/poolab"), "--db", f"sqlite:///{db}", "results", "import", "day1", *map(str, files)],
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - t
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return took, _children_cpu() - cpu, out.stdout.strip().splitlines()[-2]


def _raw_parse(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    block = text[text.index("[Results]") :].split("\n\n", 1)[0] if "\n\n" in text else text
    rows = list(csv.reader(io.StringIO(block.replace("\r", "")), delimiter="\t"))
    return len(rows) - 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plates", type=int, default=None, help="plates to import (default: all the district's)")
    parser.add_argument("--commands", type=int, default=5, help="plates imported as commands")
    args = parser.parse_args()
    print("\n".join(machine_lines()))
    from poolab.lab.bench.exports import import_file
    from poolab.lab.instruments import read_export

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        store, files, books = _district(folder, args.plates)
        print(f"district store, {len(files)} plates mapped and exported in {time.perf_counter() - t0:.1f} s")
        for copy in ("batch-text.db", "batch-xlsx.db"):  # the store before any import, for each day in one go
            # SQLite's backup API: copying the open file with shutil would drop this
            # process's POSIX locks on it when the copy closes its descriptor
            with sqlite3.connect(folder / "poolab.db") as src, sqlite3.connect(folder / copy) as dst:
                src.backup(dst)
        commands = files[: args.commands]
        in_process = files[args.commands :]
        raw, ours, raw_books, our_books = [], [], [], []
        for path, book in zip(files, books, strict=True):
            t = time.perf_counter()
            _raw_parse(path)
            raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            read_export(path.read_bytes(), str(path), "auto")
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            _raw_sheet(book)
            raw_books.append(time.perf_counter() - t)
            t = time.perf_counter()
            read_export(book.read_bytes(), str(book), "auto")
            our_books.append(time.perf_counter() - t)
        # warm: one plate first (imports, statement compilation), not counted
        imports = []
        for path in in_process:
            t = time.perf_counter()
            import_file(store, "day1", path, operator="bench")  # type: ignore[arg-type]
            imports.append(time.perf_counter() - t)
        env = dict(os.environ)
        cli, cli_cpu = [], []
        for path in commands:
            cpu = _children_cpu()
            t = time.perf_counter()
            out = subprocess.run(
                [
                    str(ROOT / ".venv/bin/poolab"),
                    "--db",
                    f"sqlite:///{folder / 'poolab.db'}",
                    "results",
                    "import",
                    "day1",
                    str(path),
                ],
                capture_output=True,
                text=True,
                env=env,
            )
            cli.append(time.perf_counter() - t)
            cli_cpu.append(_children_cpu() - cpu)
            assert out.returncode == 0, out.stderr
        again = time.perf_counter()
        import_file(store, "day1", in_process[0], operator="bench")  # type: ignore[arg-type]
        noop = time.perf_counter() - again
        day_text, cpu_text, said_text = _one_command(folder / "batch-text.db", files)
        day_books, cpu_books, said_books = _one_command(folder / "batch-xlsx.db", books)
        rows = [
            ("raw csv.reader of [Results]", f"{1000 * median(raw):.2f}", f"{sum(raw):.3f}", str(len(raw))),
            ("poolab reader (read_export)", f"{1000 * median(ours):.2f}", f"{sum(ours):.3f}", str(len(ours))),
            (
                "raw calamine rows of Results (.xlsx)",
                f"{1000 * median(raw_books):.2f}",
                f"{sum(raw_books):.3f}",
                str(len(raw_books)),
            ),
            (
                "poolab reader, .xlsx (read_export)",
                f"{1000 * median(our_books):.2f}",
                f"{sum(our_books):.3f}",
                str(len(our_books)),
            ),
            ("import_file, in process", f"{1000 * median(imports):.1f}", f"{sum(imports):.2f}", str(len(imports))),
            ("  first plate (cold imports)", f"{1000 * imports[0]:.1f}", "", "1"),
            ("poolab results import (command)", f"{1000 * median(cli):.0f}", f"{sum(cli):.2f}", str(len(cli))),
            ("  its CPU time (user + system)", f"{1000 * median(cli_cpu):.0f}", f"{sum(cli_cpu):.2f}", str(len(cli))),
            ("same export again (no-op)", f"{1000 * noop:.1f}", "", "1"),
        ]
        print(format_table(("96-well QuantStudio export", "median ms", "total s", "plates"), rows))
        per_plate = median(imports)
        print(f"a district's day of {len(files)} plates at the in-process median: {per_plate * len(files):.1f} s")
        print(
            f"a district's day of {len(files)} plates as one command per plate (the old way, at the median): "
            f"{median(cli) * len(files):.1f} s"
        )
        print(f"the day in one command, text exports:  {day_text:.2f} s, CPU {cpu_text:.2f} s ({said_text})")
        print(f"the day in one command, .xlsx exports: {day_books:.2f} s, CPU {cpu_books:.2f} s ({said_books})")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        store.dispose()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
