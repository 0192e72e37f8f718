"""Run every ``benchmarks/bench_*.py`` and keep what each printed in ``benchmarks/out/``.

Run from the repository root: ``.venv/bin/python benchmarks/run_all.py [--district] [NAME ...]``
(names like ``workflow`` or ``bench_cli.py`` pick a subset; ``--district`` the district set
``make bench`` runs, ``DISTRICT``; default: all of them). At the end it prints the targets
table: every line of every output that says whether a target was met.

Each benchmark runs as its own subprocess, one after the other, from the repository
root, with the interpreter that runs this script. Its stdout and stderr go to
``benchmarks/out/<name>.txt`` under a header giving the exact command, the date, the
wall time, the exit status and the machine (cores, CPU, versions, load average before
and after: the figures are only as quiet as the machine was). ``benchmarks/out/index.txt``
lists them all (a run of a subset adds to it). ``benchmarks/RESULTS.md`` is written by a person from these files.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine_lines

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
# Extra arguments per benchmark (markdown tables to paste into RESULTS.md).
ARGS: dict[str, list[str]] = {
    "bench_workflow.py": ["--markdown"],
    "bench_cli.py": ["--markdown"],
    "bench_startup.py": ["--markdown"],
    "bench_status.py": ["--markdown"],
    "bench_stations.py": ["--markdown"],
    "bench_estimate.py": ["--markdown"],
    "bench_serve.py": ["--markdown"],
    "bench_rounds.py": ["--markdown"],
    "bench_attack.py": ["--quick"],  # the full attack is its own 5 minutes
    # 2 million residents on SQLite only keeps `make bench` near 10 minutes; `make bench-city`
    # runs 2 and 10 million on both stores
    "bench_city.py": ["--stores", "sqlite", "--markdown"],
}


# `make bench`: the district's figures, about ten minutes on 2 cores (no city-scale store,
# no PostgreSQL server needed); `make bench-city` and the other scripts run on their own.
DISTRICT = (
    "workflow",
    "cli",
    "startup",
    "assign",
    "decode",
    "simulate",
    "plan",
    "bench",
    "receive",
    "estimate",
    "rounds",
)


_VERDICT = re.compile(r"\b(met|MISSED)\b")


def verdicts(text: str) -> list[str]:
    """The lines of a benchmark's output that say whether a target was met (its markdown
    copies, lines starting with "|", are repeats and left out)."""
    lines = [line.rstrip() for line in text.splitlines() if _VERDICT.search(line)]
    return [line for line in dict.fromkeys(lines) if not line.lstrip().startswith("|")]


def revision() -> str:
    """The commit measured, and which tracked files differed from it (others' work in progress)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "diff", "--name-only", "HEAD", "--", "poolab", "cli"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (f" with uncommitted changes in {', '.join(dirty)}" if dirty else " (poolab/ and cli/ clean)")


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def pick(names: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if not names:
        return found
    wanted = {n.removesuffix(".py").removeprefix("bench_") for n in names}
    chosen = [p for p in found if p.stem.removeprefix("bench_") in wanted]
    missing = wanted - {p.stem.removeprefix("bench_") for p in chosen}
    if missing:
        raise SystemExit(
            f"no benchmark named {', '.join(sorted(missing))}; there are: {', '.join(p.name for p in found)}"
        )
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: every bench_*.py)")
    parser.add_argument("--district", action="store_true", help="the district set (make bench): " + ", ".join(DISTRICT))
    args = parser.parse_args()
    if args.district:
        args.names = [*DISTRICT, *args.names]
    OUT.mkdir(exist_ok=True)
    python = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else sys.executable
    index = [
        f"# benchmarks run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}",
        f"revision: {revision()}",
        *machine_lines(),
        "",
    ]
    failed = []
    targets: list[str] = []
    for script in pick(args.names):
        rel = os.path.relpath(script, ROOT)
        cmd = [sys.executable, rel, *ARGS.get(script.name, [])]
        shown = shlex.join([python, rel, *ARGS.get(script.name, [])])
        started = datetime.datetime.now(datetime.UTC)
        before = load()
        print(f"running {shown} ...", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        after = load()
        target = OUT / f"{script.stem}.txt"
        header = [
            f"# command: {shown}   (from the repository root)",
            f"# date: {started:%Y-%m-%d %H:%M:%S UTC}; wall {seconds:.1f} s; exit status {proc.returncode}",
            f"# load average before: {before}; after: {after}",
            f"# revision: {revision()}",
            *(f"# {line}" for line in machine_lines()[:-1]),
        ]
        target.write_text(
            "\n".join(header)
            + "\n\n"
            + proc.stdout
            + ("\n--- stderr ---\n" + proc.stderr if proc.stderr.strip() else ""),
            encoding="utf-8",
        )
        targets += [f"{script.stem.removeprefix('bench_'):<10} {line.strip()}" for line in verdicts(proc.stdout)]
        status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        if proc.returncode != 0:
            failed.append(script.name)
        index.append(f"{script.name:<24} {seconds:7.1f} s  {status:<18} load {before} -> {after}  {shown}")
        print(f"  {status} in {seconds:.1f} s -> {os.path.relpath(target, ROOT)}", flush=True)
    # A full run starts the index afresh; a subset adds its lines to the last full run's.
    with open(OUT / "index.txt", "a" if args.names else "w", encoding="utf-8") as f:
        f.write(("\n" if args.names else "") + "\n".join(index) + "\n")
    print(f"outputs in {os.path.relpath(OUT, ROOT)}/ (index.txt lists them)")
    print("\ntargets (each figure beside its baseline of the same run is in the outputs):")
    print("\n".join(targets) if targets else "  (no output named a target)")
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
