"""Start-up: the commands a technician runs all day load only what they use.

Each command runs in a fresh interpreter (``python -c`` calling the console script's
``main``), which then prints every module it had loaded. Numba, the kernels, the planner,
the PDF and web libraries cost most of a second to import between them; a command that
needs none of them must not pay for them (issue 25: a command that opens the store costs
at most 1.3x ``import sqlmodel``, measured by ``benchmarks/bench_startup.py``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Modules (and their submodules) a technician's everyday command must not load.
HEAVY = (
    "numba",
    "llvmlite",
    "poolab.kernels",
    "poolab.plan",
    "poolab.compile",
    "poolab.paper",
    "reportlab",
    "poolab.web",
    "starlette",
    "jinja2",
    "uvicorn",
    "matplotlib",
    "scipy",
    "numpy",  # 30-40 ms: a few scans, results or a plate are checked and issued without it
    "sqlalchemy.dialects.postgresql",  # 20-30 ms, on a SQLite store
)

_RUN = """
import atexit, json, sys
atexit.register(lambda: print("MODULES " + json.dumps(sorted(sys.modules))))
from poolab_cli.main import main
main(sys.argv[1:])
"""


def loaded_by(*args: str, cwd: Path) -> tuple[int, str, list[str]]:
    """(exit code, output, modules loaded) of ``poolab ARGS`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )
    lines = proc.stdout.splitlines()
    modules = json.loads(lines[-1].removeprefix("MODULES ")) if lines and lines[-1].startswith("MODULES ") else []
    return proc.returncode, "\n".join(lines[:-1]) + proc.stderr, modules


def heavy_in(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory, small_roster_csv: Path) -> Path:
    """A SQLite store with a campaign (``day1``) and files a day's commands read: the
    scans of three pool tubes and a results file for them."""
    from poolab.field.campaigns import create_campaign
    from poolab.field.sampling import write_manifest
    from poolab.roster.importing import import_roster
    from poolab.store.engine import init_store

    folder = tmp_path_factory.mktemp("startup")
    store, _ = init_store(f"sqlite:///{folder / 'poolab.db'}")
    try:
        import_roster(store, small_roster_csv, operator="t")
        create_campaign(store, "day1", operator="t")
        write_manifest(store, "day1", str(folder / "manifest.csv"))
    finally:
        store.dispose()
    with open(folder / "manifest.csv", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split(",")
        at = header.index("tube_barcode")
        codes = list(dict.fromkeys(line.split(",")[at] for line in f))[:3]
    (folder / "scans.txt").write_text("".join(c + "\n" for c in codes), encoding="utf-8")
    (folder / "results.csv").write_text(
        "tube_barcode,result\n" + "".join(f"{c},negative\n" for c in codes), encoding="utf-8"
    )
    return folder


# each command, and whether its store must have the scanned tubes received first
COMMANDS = {
    "receive": (("receive", "day1", "scans.txt"), False),
    "results import": (("results", "import", "day1", "results.csv"), True),
    "status": (("status", "day1"), False),
    "status --json": (("status", "day1", "--json"), True),
    "plate new": (("plate", "new", "day1", "-o", "plates.csv"), True),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_everyday_command_loads_nothing_heavy(district: Path, tmp_path: Path, name: str) -> None:
    """receive, results import, status and plate new run without numba, the kernels, the
    planner, PDF or web modules, numpy or (on a SQLite store) SQLAlchemy's PostgreSQL
    dialect loaded."""
    from poolab.field.scans import scan_lines
    from poolab.lab.reception import receive
    from poolab.store.engine import open_store

    args, received = COMMANDS[name]
    folder = tmp_path / "day"
    shutil.copytree(district, folder)
    if received:
        store = open_store(f"sqlite:///{folder / 'poolab.db'}")
        try:
            receive(store, "day1", scan_lines(folder / "scans.txt"), source="scans.txt", operator="t")
        finally:
            store.dispose()
    code, output, modules = loaded_by("--db", "poolab.db", "--operator", "t", *args, cwd=folder)
    assert code == 0, output
    assert "sqlalchemy" in modules  # the command did open the store (the check is not vacuous)
    assert heavy_in(modules) == [], f"poolab {name} loaded {heavy_in(modules)}"


def test_the_check_sees_a_heavy_import(district: Path) -> None:
    """The same check on a command that needs the planner does see it."""
    code, output, modules = loaded_by("plan", "opchar", "--design", "dorfman:10", "-p", "0.01", cwd=district)
    assert code == 0, output
    assert "poolab.plan" in heavy_in(modules)
