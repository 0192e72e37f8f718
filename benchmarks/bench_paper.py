"""Paper for a district: tube labels and the sampling team's PDF manifest, beside raw reportlab.

Run from the repository root: ``.venv/bin/python benchmarks/bench_paper.py [--markdown]
[--repeat 3]``. Needs the print extra (``make`` installs it) and Debian's
``fonts-wqy-microhei``.

The seed district (97,488 residents, ``generate_district`` seed 0) is imported into a
fresh SQLite store and a 10-in-1 campaign created (9,764 tubes; untimed). Then each
command runs ``--repeat`` times as a subprocess of the ``poolab`` executable beside
``sys.executable`` (what a person waits for: interpreter start, store reads, drawing,
writing), after one untimed warm-up; figures are medians, with the peak resident memory
of the runs (``os.wait4`` in a small parent process). The two library calls behind the commands are also timed in
this process, beside raw baselines with the same fonts: reportlab drawing the same 9,764
Code 128 symbols on the same A4 3 x 8 grid with a ``drawString`` per text line (no store,
no fitting, no temporary file), and the same symbols plus 97,488 rows of six cells with a
``drawString`` per cell and a tick box each (the straightforward way to draw the sheet).

Target (docs/numbers.md): labels and the PDF manifest for a district each under 30 s, streamed
page by page.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median, print_report, timed

POOLAB = str(Path(sys.executable).parent / "poolab")
CAMPAIGN = "bench-day1"
TARGET = 30.0
MM = 72.0 / 25.4


def district_store(folder: Path) -> tuple[str, list[str], list[tuple[str, ...]]]:
    """The seed district with one campaign; (URL, tube codes, manifest rows) for the baselines."""
    from poolab.field.campaigns import create_campaign
    from poolab.roster.file import write_roster_csv
    from poolab.roster.importing import import_roster
    from poolab.roster.synthetic import generate_district
    from poolab.store.campaigns import campaign_by_name
    from poolab.store.engine import init_store
    from poolab.store.paper import manifest_members

    roster = folder / "district.csv"
    write_roster_csv(generate_district(), roster)
    url = f"sqlite:///{folder / 'poolab.db'}"
    store, _ = init_store(url)
    import_roster(store, roster, operator="bench")
    create_campaign(store, CAMPAIGN, operator="bench")
    with store.begin() as conn:
        rows = manifest_members(conn, campaign_id=campaign_by_name(conn, name=CAMPAIGN).id)
    store.dispose()
    codes = list(dict.fromkeys(str(r[0]) for r in rows))
    return url, codes, [tuple(str(v) for v in r) for r in rows]


# A small parent that runs the command and reports its wall time and peak memory. Linux
# carries the peak of the process image an exec replaces into ru_maxrss, so a command
# started straight from this (large) process would report this process's peak instead.
_MEASURE = """
import os, subprocess, sys, time
t0 = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - t0
with open(sys.argv[1], "w") as f:
    f.write(f"{seconds} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(cmd: Sequence[str]) -> tuple[float, float, str]:
    """(wall seconds, peak resident MB, stdout) of one command; a failure stops the benchmark."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        proc = subprocess.run([sys.executable, "-S", "-c", _MEASURE, report.name, *cmd], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        seconds, kb = report.read().split()
    return float(seconds), int(kb) / 1024.0, proc.stdout


def raw_labels(path: Path, codes: Sequence[str]) -> int:
    """The baseline: reportlab drawing the codes on A4 3 x 8, three text lines each."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.pdfgen.canvas import Canvas

    from poolab.paper import fonts

    fonts.register_fonts()
    c = Canvas(str(path), pagesize=(210 * MM, 297 * MM), pageCompression=1)
    pages = 0
    for i, code in enumerate(codes):
        k = i % 24
        if k == 0:
            if i:
                c.showPage()
            pages += 1
        x, y = (k % 3) * 70 * MM, (297 - 0.5 - (k // 3 + 1) * 37) * MM
        symbol = Code128(code, barWidth=0.4 * MM, barHeight=13 * MM, quiet=0)
        symbol.drawOn(c, x + 35 * MM - symbol.width / 2, y + 12 * MM)
        c.setFont(fonts.TEXT, 10)
        c.drawCentredString(x + 35 * MM, y + 28 * MM, "东风家园 · 1号楼")
        c.setFont(fonts.CODE, 11)
        c.drawCentredString(x + 35 * MM, y + 8 * MM, code)
        c.setFont(fonts.TEXT, 8)
        c.drawCentredString(x + 35 * MM, y + 4.5 * MM, f"{CAMPAIGN} · tube {i + 1} of {len(codes)}")
    c.showPage()
    c.save()
    return pages


def raw_sheet(path: Path, rows: Sequence[tuple[str, ...]]) -> int:
    """The baseline: each tube's symbol and its residents, a drawString per cell, 5 tubes a page."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.pdfgen.canvas import Canvas

    from poolab.paper import fonts

    fonts.register_fonts()
    c = Canvas(str(path), pagesize=(210 * MM, 297 * MM), pageCompression=1)
    pages, tubes, y, current = 0, 0, 0.0, None
    for code, _pos, slot, rid, name, _compound, _building, unit, room, hh in rows:
        if code != current:
            if tubes % 5 == 0:
                if tubes:
                    c.showPage()
                pages += 1
                c.setFont(fonts.TEXT, 16)
                c.drawString(12 * MM, 280 * MM, "东风家园 · 1号楼")
            top = 264 - (tubes % 5) * 48
            Code128(code, barWidth=0.36 * MM, barHeight=11 * MM, quiet=0).drawOn(c, 14 * MM, (top - 13) * MM)
            c.setFont(fonts.CODE, 11)
            c.drawString(20 * MM, (top - 17) * MM, code)
            tubes, current, y = tubes + 1, code, top
        y -= 4.4
        c.rect(74 * MM, y * MM, 3.4 * MM, 3.4 * MM, stroke=1, fill=0)
        for x, value, size in (
            (79, slot, 8.5),
            (87, unit, 9.5),
            (105, room, 9.5),
            (124, name, 10.5),
            (156, rid, 8.5),
            (179, hh, 8.5),
        ):
            c.setFont(fonts.TEXT, size)
            c.drawString(x * MM, y * MM, value)
    c.showPage()
    c.save()
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    args = parser.parse_args()
    if not os.path.exists(POOLAB):
        raise SystemExit(f"no poolab executable at {POOLAB}; install the project (make demo) first")
    from poolab.paper.extra import require_print

    require_print()
    from poolab.paper.jobs import write_labels, write_manifest_pdf
    from poolab.store.engine import open_store

    table: list[tuple[str, ...]] = []

    def pdf_pages(path: Path) -> str:
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        return next((line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")), "?")

    def command(label: str, cmd: Sequence[str], output: Path, target: float | None) -> None:
        run_measured(cmd)  # warm-up: page cache, fonts
        runs = [run_measured(cmd) for _ in range(args.repeat)]
        secs = [r[0] for r in runs]
        med = median(secs)
        verdict = "" if target is None else f"< {target:g} s: {'met' if med < target else 'MISSED'}"
        size = output.stat().st_size / 1e6
        table.append(
            (
                label,
                f"{med:.2f}",
                f"{min(secs):.2f}",
                f"{max(secs):.2f}",
                pdf_pages(output) if output.suffix == ".pdf" else "",
                f"{size:.1f}",
                f"{max(r[1] for r in runs):.0f}",
                verdict,
            )
        )
        print(f"  {label}: {med:.2f} s", file=sys.stderr, flush=True)

    def baseline(label: str, fn: object, output: Path) -> None:
        secs = [timed(fn)[0] for _ in range(args.repeat)]  # type: ignore[arg-type]
        table.append(
            (
                label,
                f"{median(secs):.2f}",
                f"{min(secs):.2f}",
                f"{max(secs):.2f}",
                pdf_pages(output),
                f"{output.stat().st_size / 1e6:.1f}",
                "",
                "",
            )
        )
        print(f"  {label}: {median(secs):.2f} s", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="poolab-bench-paper-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        url, codes, rows = district_store(tmp)
        print(
            f"district store: {len(rows)} residents, {len(codes)} tubes ({time.perf_counter() - t0:.1f} s, untimed)",
            file=sys.stderr,
            flush=True,
        )
        db = [POOLAB, "--db", url]
        for layout in ("a4-3x8", "a4-5x13", "roll-50x30"):
            out = tmp / f"labels-{layout}.pdf"
            command(
                f"poolab labels --layout {layout}",
                [*db, "labels", CAMPAIGN, "--layout", layout, "-o", str(out)],
                out,
                TARGET,
            )
        store = open_store(url)
        out = tmp / "lib-labels.pdf"
        baseline(
            "poolab write_labels, a4-3x8 (library call, in process)", lambda: write_labels(store, CAMPAIGN, out), out
        )
        out = tmp / "raw-labels.pdf"
        baseline("raw reportlab, same labels on A4 3 x 8 (baseline)", lambda: raw_labels(out, codes), out)
        out = tmp / "manifest.pdf"
        command("poolab manifest -o FILE.pdf", [*db, "manifest", CAMPAIGN, "-o", str(out)], out, TARGET)
        out = tmp / "lib-manifest.pdf"
        baseline(
            "poolab write_manifest_pdf (library call, in process)",
            lambda: write_manifest_pdf(store, CAMPAIGN, out),
            out,
        )
        store.dispose()
        out = tmp / "raw-sheet.pdf"
        baseline(
            "raw reportlab, same symbols and rows, drawString per cell (baseline)", lambda: raw_sheet(out, rows), out
        )
        out = tmp / "manifest.csv"
        command("poolab manifest -o FILE.csv (reference)", [*db, "manifest", CAMPAIGN, "-o", str(out)], out, None)
    header = ("what", f"median of {args.repeat} s", "min s", "max s", "pages", "file MB", "peak RSS MB", "target")
    print_report(
        f"paper for a district: {len(rows)} residents, {len(codes)} tubes "
        "(poolab: wall time of a subprocess; raw: in process)",
        header,
        table,
        markdown=args.markdown,
    )


if __name__ == "__main__":
    main()
