"""A process killed half-way through an import leaves the store as it was; running the
import again completes it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflow import read_csv, run, write_results

pytestmark = [pytest.mark.store, pytest.mark.slow]

# The child runs the real CLI with one hook: when the bulk path reaches the named table
# it writes the first 100 rows (in 50-row chunks, or into the open COPY of a first
# roster import on PostgreSQL) inside the import's transaction, then the process
# SIGKILLs itself: a crash half-way through the import.
_CHILD = r"""
import contextlib, os, signal, sys
import poolab.store.bulk as bulk
import poolab.store.residents, poolab.store.tubes
bulk.CHUNK = 50
_real = bulk.insert_rows
def killing_insert_rows(conn, table, columns, rows):
    if table.name == sys.argv[1]:
        _real(conn, table, columns, list(rows)[:100])
        os.kill(os.getpid(), signal.SIGKILL)
    return _real(conn, table, columns, rows)
poolab.store.residents.insert_rows = killing_insert_rows
poolab.store.tubes.insert_rows = killing_insert_rows
_real_writer = bulk.column_writer
class KillingWriter:  # the block's first 100 rows, as columns or as the file's lines
    def __init__(self, write, table):
        self.write, self.table = write, table
    def __call__(self, values):
        if self.table.name == sys.argv[1]:
            self.write([list(v)[:100] for v in values])
            os.kill(os.getpid(), signal.SIGKILL)
        return self.write(values)
    def csv_lines(self, lines, tail):
        if self.table.name == sys.argv[1] and self.write.csv_lines("\\n".join(lines.split("\\n")[:100]), tail):
            os.kill(os.getpid(), signal.SIGKILL)
        return self.write.csv_lines(lines, tail)
@contextlib.contextmanager
def killing_column_writer(conn, table, columns):  # a first import on PostgreSQL: one COPY
    with _real_writer(conn, table, columns) as write:
        yield KillingWriter(write, table)
poolab.store.residents.column_writer = killing_column_writer
from poolab_cli.main import main
main(sys.argv[2:])
"""


def _killed(table: str, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, table, *args],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=300,
    )
    assert -signal.SIGKILL == proc.returncode, proc.stderr
    return proc


def test_roster_import_killed_half_way(store_url: str, small_roster_csv: Path) -> None:
    """SIGKILL while residents are being inserted: no resident is stored; a rerun imports all."""
    assert 0 == run(store_url, "init").exit_code
    _killed("resident", "--db", store_url, "roster", "import", str(small_roster_csv))
    r = run(store_url, "roster", "import", str(small_roster_csv))
    assert 0 == r.exit_code, r.output
    assert "600 new, 0 updated" in r.output  # nothing had landed before


def test_results_import_killed_half_way(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """SIGKILL while results are being inserted: no result is stored; a rerun records them all."""
    run(store_url, "init")
    run(store_url, "roster", "import", str(small_roster_csv))
    run(store_url, "campaign", "new", "c")
    run(store_url, "manifest", "c", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp_path / "m.csv")))
    run(store_url, "receive", "c", "-", input="\n".join(codes) + "\n")
    path = write_results(tmp_path / "r.csv", [(c, "negative", "", "") for c in codes])
    _killed("result", "--db", store_url, "results", "import", "c", str(path))
    status = json.loads(run(store_url, "status", "c", "--json").output)
    assert 0 == sum(status["results"].values())
    r = run(store_url, "results", "import", "c", str(path))
    assert 0 == r.exit_code, r.output
    assert f"{len(codes)} recorded" in r.output
    status = json.loads(run(store_url, "status", "c", "--json").output)
    assert len(codes) == status["results"]["negative"]
