"""``poolab status`` at city scale against the district's (issue 25).

Run from the repository root: ``.venv/bin/python benchmarks/bench_status.py [--repeat 7]
[--sizes 97488 2000000] [--keep DIR] [--code DIR] [--markdown]``.

Each store is built with the library as ``bench_serve.py`` builds it (roster, campaign
``day1``, an 8-hour day simulated by ``poolab.demo.timeline``: every tube collected, most
received and called, positive pools resampled). Then ``poolab status day1`` runs as a
command, one untimed run first, then ``--repeat`` times: wall and CPU time (user + system
of the child) per size, the median of each, and the ratio of each size to the first (the
district, the baseline of the same run). ``campaign_status`` in process shows the part
that is the store's work rather than start-up.

Target (issue 25, docs/numbers.md): status of 2 million residents within 1.5x the
district's. ``--code DIR`` runs the commands (and the in-process call) from another tree
of poolab (``git archive REV poolab cli`` with ``poolab_cli`` linked to ``cli``), for
before/after figures in one session; ``--keep DIR`` keeps the stores and reuses them.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import format_table, machine_lines, median
from bench_serve import CAMPAIGN, build

POOLAB = str(Path(sys.executable).parent / "poolab")
TARGET = 1.5
# as installed: .pyc files written on the untimed first run and read after (see bench_startup.py)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_IN_PROCESS = """
import sys, time
from poolab.reports.status import campaign_status
from poolab.store.engine import open_store
store = open_store(sys.argv[1])
campaign_status(store, sys.argv[2])
times = []
for _ in range(int(sys.argv[3])):
    t0 = time.perf_counter()
    campaign_status(store, sys.argv[2])
    times.append(time.perf_counter() - t0)
print(sorted(times)[len(times) // 2])
"""


def env_for(code: str | None) -> dict[str, str]:
    return CHILD_ENV if code is None else dict(CHILD_ENV, PYTHONPATH=code)


def command(code: str | None, url: str) -> list[str]:
    if code is None:
        return [POOLAB, "--db", url, "status", CAMPAIGN]
    run = "import sys; from poolab_cli.main import main; sys.exit(main())"
    return [sys.executable, "-P", "-c", run, "--db", url, "status", CAMPAIGN]


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall, CPU) seconds and stdout of one subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", type=int, nargs="+", default=[97_488, 2_000_000])
    parser.add_argument("--keep", default=None, help="keep the SQLite stores in this folder and reuse them")
    parser.add_argument("--code", default=None, help="run poolab from this tree (before/after)")
    parser.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    args = parser.parse_args()
    env = env_for(args.code)
    figures: list[tuple[int, float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="poolab-bench-status-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for residents in args.sizes:
            path = folder / f"serve-{residents}.db"  # the same stores as bench_serve.py --keep
            if not path.exists():
                build(f"sqlite:///{path}", residents)
            url = f"sqlite:///{path}"
            cmd = command(args.code, url)
            run(cmd, env)  # warm the page cache
            walls, cpus = [], []
            for _ in range(args.repeat):
                wall, cpu, _out = run(cmd, env)
                walls.append(wall)
                cpus.append(cpu)
            inner = run([sys.executable, "-P", "-c", _IN_PROCESS, url, CAMPAIGN, str(args.repeat)], env)[2]
            figures.append((residents, median(walls), median(cpus), float(inner.strip().splitlines()[-1])))
            print(f"  {residents:,}: {figures[-1][1]:.3f} s wall", file=sys.stderr, flush=True)
    base = figures[0]
    rows = []
    for residents, wall, cpu, inner in figures:
        ratio = wall / base[1]
        verdict = "baseline" if residents == base[0] else f"<= {TARGET}: {'met' if ratio <= TARGET else 'MISSED'}"
        rows.append(
            (
                f"{residents:,} residents",
                f"{wall:.3f}",
                f"{ratio:.2f}",
                f"{cpu:.3f}",
                f"{cpu / base[2]:.2f}",
                f"{inner * 1000:.0f}",
                verdict,
            )
        )
    header = (
        "poolab status day1",
        f"wall s (median of {args.repeat})",
        "wall / district",
        "CPU s",
        "CPU / district",
        "campaign_status in process ms",
        "target",
    )
    print(f"poolab status, SQLite ({args.code or POOLAB})")
    print(format_table(header, rows))
    for line in machine_lines():
        print(f"# {line}")
    if args.markdown:
        print()
        print(format_table(header, rows, markdown=True))


if __name__ == "__main__":
    main()
