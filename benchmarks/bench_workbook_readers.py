"""Which Excel reader: python-calamine against openpyxl (.xlsx) + xlrd (.xls), on the
workbooks the tests read (allotropy's QuantStudio examples and a real BIFF .xls).

For each reader: the installed size of its distributions (and their dependencies), the
time a fresh interpreter takes to import it (beside ``python -c pass``), and the time to
read the Results sheet of each workbook into rows (best of 3). Needs the three readers
installed; run it in a scratch environment, not poolab's (poolab installs calamine only):

    python -m venv /tmp/xl && /tmp/xl/bin/pip install python-calamine openpyxl xlrd
    /tmp/xl/bin/python benchmarks/bench_workbook_readers.py
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FILES = [
    *sorted((DATA / "allotropy").glob("*.xls*")),
    DATA / "workbooks" / "classic.xls",
]
READERS = {"calamine": ["python-calamine"], "openpyxl + xlrd": ["openpyxl", "et-xmlfile", "xlrd"]}


def _installed_kb(dists: list[str]) -> float:
    total = 0
    for name in dists:
        for f in metadata.distribution(name).files or []:
            path = Path(str(f.locate()))
            if path.is_file():
                total += path.stat().st_size
    return total / 1024


def _import_s(statement: str) -> float:
    best = 1e9
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        best = min(best, time.perf_counter() - t)
    return best


def _calamine(data: bytes) -> int:
    from python_calamine import CalamineWorkbook

    return len(CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Results").to_python())


def _openpyxl_xlrd(data: bytes) -> int:
    if data.startswith(b"PK"):  # .xlsx, whatever the name says
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = [r for r in book["Results"].iter_rows(values_only=True) if any(c is not None for c in r)]
        book.close()
        return len(rows)
    import xlrd

    sheet = xlrd.open_workbook(file_contents=data).sheet_by_name("Results")
    return sheet.nrows


def _best(fn, data: bytes) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    best, rows = 1e9, 0
    for _ in range(3):
        t = time.perf_counter()
        rows = fn(data)
        best = min(best, time.perf_counter() - t)
    return best, rows


def main() -> None:
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    bare = _import_s("pass")
    print(f"python -c pass: {bare * 1000:.0f} ms")
    for reader, dists in READERS.items():
        statement = "import python_calamine" if reader == "calamine" else "import openpyxl, xlrd"
        took = _import_s(statement) - bare
        print(f"{reader}: installed {_installed_kb(dists):,.0f} kB ({', '.join(dists)}); import {took * 1000:.0f} ms")
    print("| workbook | kB | calamine ms | openpyxl/xlrd ms | rows (calamine / other) |")
    print("|---|---:|---:|---:|---|")
    for path in FILES:
        data = path.read_bytes()
        ours, n1 = _best(_calamine, data)
        try:
            theirs, n2 = _best(_openpyxl_xlrd, data)
            other = f"{theirs * 1000:.1f}"
        except Exception as exc:  # xlrd reads BIFF only: say why, do not guess a figure
            other, n2 = f"fails ({type(exc).__name__})", 0
        print(f"| {path.name} | {len(data) / 1024:,.0f} | {ours * 1000:.1f} | {other} | {n1} / {n2} |")


if __name__ == "__main__":
    main()
