"""Start-up of the commands a technician runs all day, pair by pair against ``import sqlmodel``.

Run from the repository root: ``.venv/bin/python benchmarks/bench_startup.py [--repeat 15]
[--markdown] [--code DIR]``.

Target (issue 25, docs/numbers.md): a command that opens the store costs at most 1.3x
``python -c "import sqlmodel"`` (the floor the store's library sets). Each round runs,
for every command, the baseline and then the command right after it, each a fresh
subprocess, so both of a pair see the same load on the machine; a pair's ratio is the
command's time over its baseline's, and the figure is the median ratio over the rounds
(wall time, and CPU time: user + system of the child, which other programs' load
inflates less). One untimed round first warms the page cache.

The commands run on a small store (600 residents, one campaign ``day1``): ``status``,
``status --json``, ``receive`` of 3 scans, ``results import`` of 3 results, ``plate new``;
each on a fresh copy of the store in the state it needs (copying is not timed).
``--code DIR`` runs the commands from another tree of poolab (``git archive REV poolab
cli`` with ``poolab_cli`` linked to ``cli``), for before/after figures in one session.
``--instructions`` counts each command's machine instructions once with valgrind's
callgrind instead (a load-free ratio, a proxy for CPU time: about 3 minutes).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import format_table, machine_lines, median

POOLAB = str(Path(sys.executable).parent / "poolab")
TARGET = 1.3
BASELINE = [sys.executable, "-c", "import sqlmodel"]
CODE: str | None = None
# As installed: Python writes the .pyc files of poolab on the first (untimed) round and
# reads them after, as site-packages' are read (a shell with PYTHONDONTWRITEBYTECODE set
# would otherwise compile every module of poolab from source on every run).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of one subprocess; a failing command stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(list(cmd), capture_output=True, text=True, cwd=cwd, env=env or CHILD_ENV)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def poolab(*args: str) -> tuple[list[str], dict[str, str] | None]:
    if CODE is None:
        return [POOLAB, *args], None
    # the tree's console script: poolab_cli.entry where it has one, else poolab_cli.main
    entry = "entry" if (Path(CODE) / "poolab_cli" / "entry.py").exists() else "main"
    command = [sys.executable, "-P", "-c", f"import sys; from poolab_cli.{entry} import main; sys.exit(main())"]
    return [*command, *args], dict(CHILD_ENV, PYTHONPATH=CODE)


def instructions(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> int:
    """Machine instructions one subprocess executes (valgrind's callgrind): the same count
    on a busy machine as on an idle one, so a ratio of two is free of the load (and of
    page faults and waits, which it does not see). Each run takes 10-20 s."""
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or CHILD_ENV,
    )
    found = [line for line in proc.stderr.splitlines() if "Collected :" in line]
    if proc.returncode != 0 or not found:
        raise SystemExit(f"valgrind {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return int(found[-1].split(":")[-1].replace(",", "").strip())


def count_instructions(tmp: Path) -> None:
    """``--instructions``: each command once under callgrind beside ``import sqlmodel``."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    base = instructions(BASELINE, tmp)
    rows = []
    for name, (cmd_args, start) in COMMANDS.items():
        shutil.copy(tmp / start, tmp / "poolab.db")
        for suffix in ("-wal", "-shm"):
            Path(tmp, "poolab.db" + suffix).unlink(missing_ok=True)
        cmd, env = poolab("--db", "poolab.db", "--operator", "bench", *cmd_args)
        run(cmd, tmp, env)  # .pyc files written, as installed
        shutil.copy(tmp / start, tmp / "poolab.db")
        ours = instructions(cmd, tmp, env)
        rows.append((f"poolab {name}", f"{ours / 1e9:.3f}", f"{base / 1e9:.3f}", f"{ours / base:.3f}"))
        print(f"  {name}: {ours / base:.3f}", file=sys.stderr, flush=True)
    header = ("command", "instructions (10^9)", "import sqlmodel (10^9)", "ratio")
    print(f"start-up in instructions (callgrind; {CODE or POOLAB})")
    print(format_table(header, rows))
    print()
    print(format_table(header, rows, markdown=True))


def build(folder: Path) -> None:
    """The store (``fresh.db``: a campaign; ``received.db``: its first tubes received),
    three scans and a results file for them."""
    from poolab.field.campaigns import create_campaign
    from poolab.field.sampling import write_manifest
    from poolab.field.scans import scan_lines
    from poolab.lab.reception import receive
    from poolab.roster.file import write_roster_csv
    from poolab.roster.importing import import_roster
    from poolab.roster.synthetic import generate_district
    from poolab.store.engine import init_store

    write_roster_csv(generate_district(600, 360, 3, seed=11), folder / "roster.csv")
    store, _ = init_store(f"sqlite:///{folder / 'fresh.db'}")
    try:
        import_roster(store, folder / "roster.csv", operator="bench")
        create_campaign(store, "day1", operator="bench")
        write_manifest(store, "day1", str(folder / "manifest.csv"))
    finally:
        store.dispose()
    with open(folder / "manifest.csv", encoding="utf-8") as f:
        at = f.readline().rstrip("\n").split(",").index("tube_barcode")
        codes = list(dict.fromkeys(line.split(",")[at] for line in f))[:3]
    (folder / "scans.txt").write_text("".join(c + "\n" for c in codes), encoding="utf-8")
    (folder / "results.csv").write_text(
        "tube_barcode,result\n" + "".join(f"{c},negative\n" for c in codes), encoding="utf-8"
    )
    shutil.copy(folder / "fresh.db", folder / "received.db")
    store, _ = init_store(f"sqlite:///{folder / 'received.db'}")
    try:
        receive(store, "day1", scan_lines(folder / "scans.txt"), source="scans.txt", operator="bench")
    finally:
        store.dispose()


# label -> (arguments after --db, the store it starts from)
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "status day1": (("status", "day1"), "received.db"),
    "status day1 --json": (("status", "day1", "--json"), "received.db"),
    "receive day1 scans.txt (3 scans)": (("receive", "day1", "scans.txt"), "fresh.db"),
    "results import day1 results.csv (3 results)": (("results", "import", "day1", "results.csv"), "received.db"),
    "plate new day1 -o plates.csv": (("plate", "new", "day1", "-o", "plates.csv"), "received.db"),
}


def main() -> None:
    global CODE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--markdown", action="store_true", help="also print the table as markdown")
    parser.add_argument("--code", default=None, help="run the poolab commands from this tree (before/after)")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions (valgrind) instead of timing: load-free"
    )
    args = parser.parse_args()
    CODE = args.code
    if args.instructions:
        with tempfile.TemporaryDirectory(prefix="poolab-bench-startup-") as tmp_name:
            build(Path(tmp_name))
            count_instructions(Path(tmp_name))
        return
    walls: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory(prefix="poolab-bench-startup-") as tmp_name:
        tmp = Path(tmp_name)
        build(tmp)
        for round_ in range(args.repeat + 1):
            for name, (cmd_args, start) in COMMANDS.items():
                shutil.copy(tmp / start, tmp / "poolab.db")
                for suffix in ("-wal", "-shm"):
                    Path(tmp, "poolab.db" + suffix).unlink(missing_ok=True)
                base = run(BASELINE, tmp)
                cmd, env = poolab("--db", "poolab.db", "--operator", "bench", *cmd_args)
                ours = run(cmd, tmp, env)
                if round_:  # the first round warms the page cache
                    walls[name].append((ours[0], base[0]))
                    cpus[name].append((ours[1], base[1]))
            print(f"  round {round_}/{args.repeat}", file=sys.stderr, flush=True)
    rows = []
    for name in COMMANDS:
        wall_ratio = median([o / b for o, b in walls[name]])
        cpu_ratio = median([o / b for o, b in cpus[name]])
        rows.append(
            (
                f"poolab {name}",
                f"{median([o for o, _ in walls[name]]):.3f}",
                f"{median([b for _, b in walls[name]]):.3f}",
                f"{wall_ratio:.2f}",
                f"{cpu_ratio:.2f}",
                f"<= {TARGET}: {'met' if wall_ratio <= TARGET else 'MISSED'}",
            )
        )
    header = (
        "command",
        "median wall s",
        "import sqlmodel s",
        "wall ratio (median of pairs)",
        "CPU ratio",
        "target (wall)",
    )
    print(f"start-up, pair by pair, {args.repeat} rounds ({CODE or POOLAB})")
    print(format_table(header, rows))
    for line in machine_lines():
        print(f"# {line}")
    if args.markdown:
        print()
        print(format_table(header, rows, markdown=True))


if __name__ == "__main__":
    main()
