"""The command line as a person meets it: start-up, a warm command's fixed cost, the demo.

Run from the repository root: ``.venv/bin/python benchmarks/bench_cli.py [--markdown]
[--repeat 10] [--skip-demo]``.

Every figure is the wall time of a subprocess running the ``poolab`` executable next to
``sys.executable``. ``--help`` and the warm commands: one untimed warm-up, then the
median of ``--repeat`` runs; the raw baseline is ``python -c pass`` (interpreter start
alone), and ``python -c "import sqlalchemy, sqlmodel"`` shows what opening any store
costs before poolab does anything. The warm commands run on a tiny store (200
residents, one campaign). ``poolab demo`` runs three times, each time with a numba
cache folder of its own (``NUMBA_CACHE_DIR``, so the project's cache is left alone):
from an empty cache (every kernel compiles inside the demo); from an empty cache filled
by ``poolab compile`` first (the install step of ``make``, timed on its own: what a new
user's ``make demo`` runs); and again with that cache warm.

Targets (docs/numbers.md): ``poolab --help`` under 0.3 s; a warm command's fixed overhead
under 1 s; ``poolab demo`` under 15 s on a 2-core machine.
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

from _common import ROOT, format_table, machine_lines, median

POOLAB = str(Path(sys.executable).parent / "poolab")
# As installed: poolab's .pyc files are written by the untimed warm-up runs and read after,
# as site-packages' are (a shell with PYTHONDONTWRITEBYTECODE set would otherwise compile
# every module of poolab from source in every run: about 0.8 s of a demo's start).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
HELP_TARGET, WARM_TARGET, DEMO_TARGET = 0.3, 1.0, 15.0


def run_once(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, str]:
    """Wall seconds and stdout of one run; a failing command stops the benchmark."""
    t0 = time.perf_counter()
    proc = subprocess.run(list(cmd), capture_output=True, text=True, env=env or CHILD_ENV, cwd=cwd)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout


def median_run(cmd: Sequence[str], repeat: int) -> tuple[float, float, float]:
    """(median, min, max) wall seconds over ``repeat`` runs after one warm-up."""
    run_once(cmd)
    times = [run_once(cmd)[0] for _ in range(repeat)]
    return median(times), min(times), max(times)


def tiny_store(folder: Path) -> str:
    """A store with 200 residents and a campaign called ``tiny``; returns its URL."""
    from poolab.field.campaigns import create_campaign
    from poolab.roster.file import write_roster_csv
    from poolab.roster.importing import import_roster
    from poolab.roster.synthetic import generate_district
    from poolab.store.engine import init_store

    roster = folder / "tiny.csv"
    write_roster_csv(generate_district(200, 120, 2, seed=0), roster)
    url = f"sqlite:///{folder / 'tiny.db'}"
    store, _ = init_store(url)
    import_roster(store, roster, operator="bench")
    create_campaign(store, "tiny", operator="bench")
    store.dispose()
    return url


def demo_total(stdout: str) -> str:
    """The demo's own 'total' line (its steps' sum, without interpreter start-up)."""
    for line in stdout.splitlines():
        if line.strip().startswith("total"):
            return line.split()[1]
    return "?"


def has_command(name: str) -> bool:
    return any(line.split()[:1] == [name] for line in run_once([POOLAB, "--help"])[1].splitlines())


def demo_runs(tmp: Path) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str]]]:
    """The demo from an empty numba cache without and with `poolab compile` (the install
    step of `make`) first, then once more with the cache warm."""
    rows: list[tuple[str, str, str, str]] = []
    outputs: list[tuple[str, str]] = []
    cmd = [POOLAB, "demo", "--folder", str(tmp / "demo")]
    plan: list[tuple[str, str, bool]] = [("cold", "first run, empty numba cache, no `poolab compile`", False)]
    compiles = has_command("compile")
    if compiles:
        plan.append(("installed", "first run after `poolab compile` (what `make demo` runs)", True))
    plan.append(("installed" if compiles else "cold", "second run (numba cache warm)", False))
    for cache, label, compile_first in plan:
        env = dict(CHILD_ENV, NUMBA_CACHE_DIR=str(tmp / f"numba-cache-{cache}"))
        if compile_first:
            seconds, _ = run_once([POOLAB, "compile"], env=env, cwd=ROOT)
            rows.append(("poolab compile, empty numba cache (install step)", f"{seconds:.2f}", "", ""))
            print(f"  compile: {seconds:.2f} s", file=sys.stderr, flush=True)
        seconds, out = run_once(cmd, env=env, cwd=ROOT)
        exact = "exactly the detectable" in out
        verdict = f"< {DEMO_TARGET:g} s: {'met' if seconds < DEMO_TARGET else 'MISSED'}"
        rows.append(
            (
                f"poolab demo, {label}",
                f"{seconds:.2f}",
                demo_total(out),
                ("positives exact; " if exact else "POSITIVES WRONG; ") + verdict,
            )
        )
        outputs.append((label, out))
        print(f"  demo {label}: {seconds:.2f} s", file=sys.stderr, flush=True)
    return rows, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    parser.add_argument("--skip-demo", action="store_true", help="leave out the demo runs (about a minute)")
    args = parser.parse_args()
    if not os.path.exists(POOLAB):
        raise SystemExit(f"no poolab executable at {POOLAB}; install the project (make demo) first")
    py = sys.executable
    rows: list[tuple[str, str, str, str, str]] = []

    def add(label: str, cmd: Sequence[str], target: float | None) -> None:
        med, lo, hi = median_run(cmd, args.repeat)
        verdict = "" if target is None else f"< {target:g} s: {'met' if med < target else 'MISSED'}"
        rows.append((label, f"{med:.3f}", f"{lo:.3f}", f"{hi:.3f}", verdict))
        print(f"  {label}: {med:.3f} s", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="poolab-bench-cli-") as tmp_name:
        tmp = Path(tmp_name)
        url = tiny_store(tmp)
        add("python -c pass (baseline)", [py, "-c", "pass"], None)
        add("python -c 'import sqlalchemy, sqlmodel' (reference)", [py, "-c", "import sqlalchemy, sqlmodel"], None)
        add("poolab --help", [POOLAB, "--help"], HELP_TARGET)
        add("poolab status tiny", [POOLAB, "--db", url, "status", "tiny"], WARM_TARGET)
        add("poolab status tiny --json", [POOLAB, "--db", url, "status", "tiny", "--json"], WARM_TARGET)
        add("poolab init (store exists)", [POOLAB, "--db", url, "init"], WARM_TARGET)
        add(
            "poolab manifest tiny -o FILE",
            [POOLAB, "--db", url, "manifest", "tiny", "-o", str(tmp / "m.csv")],
            WARM_TARGET,
        )
        header = ("command", f"median of {args.repeat} s", "min s", "max s", "target")
        demo_rows: list[tuple[str, str, str, str]] = []
        outputs: list[tuple[str, str]] = []
        if not args.skip_demo:
            demo_rows, outputs = demo_runs(tmp)
    print(f"command line: wall time of a subprocess each ({POOLAB})")
    print(format_table(header, rows))
    demo_header = ("command", "wall s", "demo's own total s", "result, target")
    if demo_rows:
        print()
        print(format_table(demo_header, demo_rows))
        for label, out in outputs:
            print()
            print(f"demo output, {label}:")
            print(out.rstrip())
    for line in machine_lines():
        print(f"# {line}")
    if args.markdown:
        print()
        print(format_table(header, rows, markdown=True))
        if demo_rows:
            print()
            print(format_table(demo_header, demo_rows, markdown=True))


if __name__ == "__main__":
    main()
