"""A SQLite store deleted while a command writes to it (issue 21): the command used to
commit into the deleted file and report success. Real processes of the CLI; the store
is deleted while they run, between what they read from a FIFO or a pipe fed slowly.
(A PostgreSQL server keeps its own files: nothing to delete under a command there.)"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.workflow import read_csv, run

pytestmark = [pytest.mark.store, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
POOLAB = [sys.executable, "-m", "poolab_cli.main"]


def _holds_open(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (it has opened the store)."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return str(path) in links


def _delete_store(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _wait_until(condition: object, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _feed_fifo(fifo: Path, data: bytes, proc: subprocess.Popen[str]) -> None:
    """Write ``data`` into ``fifo`` once ``proc`` opens it to read; nothing when ``proc``
    ends first (a command that met the deleted store before reading its input)."""
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO until a reader opens it
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            if proc.poll() is not None:
                return
            time.sleep(0.02)
            continue
        os.set_blocking(fd, True)
        with open(fd, "wb") as f:
            f.write(data)
        return


def test_roster_import_into_a_deleted_store_fails(tmp_path: Path, small_roster_csv: Path) -> None:
    """roster import reads its roster from a FIFO; once it has opened the store, the
    store is deleted, then the roster is fed (unless the import met the deleted store
    first): it must not say "600 new", but that the store is gone and nothing was kept,
    exit 1."""
    db = tmp_path / "site.db"
    url = f"sqlite:///{db}"
    assert 0 == run(url, "init").exit_code
    fifo = tmp_path / "roster.csv"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [*POOLAB, "--db", url, "roster", "import", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        _wait_until(lambda: _holds_open(proc.pid, db) or proc.poll() is not None, "the import never opened the store")
        _delete_store(db)
        _feed_fifo(fifo, small_roster_csv.read_bytes(), proc)
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert 1 == proc.returncode, out + err
    assert "600 new" not in out
    assert "was deleted while this command wrote to it" in err and "Traceback" not in err, err


def test_piped_receive_into_a_deleted_store_says_scan_everything_again(tmp_path: Path, small_roster_csv: Path) -> None:
    """A piped receive: the first scans are committed, the store is deleted, more scans
    come: exit 1, the store named as deleted, and every line to be scanned again from
    line 1 (the first scans went with the store)."""
    db = tmp_path / "site.db"
    url = f"sqlite:///{db}"
    assert 0 == run(url, "init").exit_code
    assert 0 == run(url, "roster", "import", str(small_roster_csv)).exit_code
    assert 0 == run(url, "campaign", "new", "c", "--pool-size", "1").exit_code
    run(url, "manifest", "c", "-o", str(tmp_path / "m.csv"))
    codes = [r["tube_barcode"] for r in read_csv(tmp_path / "m.csv")]
    proc = subprocess.Popen(
        [*POOLAB, "--db", url, "receive", "c", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write("\n".join(codes[:10]) + "\n")
        proc.stdin.flush()

        def received() -> bool:
            import sqlite3

            with sqlite3.connect(db) as conn:
                return int(conn.execute("SELECT count(*) FROM receipt").fetchone()[0]) == 10

        _wait_until(received, "the first ten scans were never committed", seconds=60)
        _delete_store(db)
        out, err = proc.communicate("\n".join(codes[10:20]) + "\n", timeout=300)
    finally:
        proc.kill()
    assert 1 == proc.returncode, out + err
    assert "was deleted while this command wrote to it" in err and "Traceback" not in err, err
    assert "none of these tubes is stored: scan every line again, from line 1 on" in err, err


def test_a_statement_failing_on_a_deleted_store_says_it_was_deleted(tmp_path: Path) -> None:
    """A store deleted before a command's next statement fails that statement with
    SQLite's own "disk I/O error" (seen under load when the store went between the
    command's opening of it and its first write): the command says the store was
    deleted, not that the disk may be full."""
    import sqlite3

    from sqlalchemy import event, text

    from poolab.errors import StoreFault, StoreLost
    from poolab.store.engine import init_store, open_store

    url = f"sqlite:///{tmp_path / 'site.db'}"
    init_store(url)[0].dispose()
    store = open_store(url)

    def failing(*_: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")  # what SQLite said to the import

    event.listen(store.engine, "before_cursor_execute", failing)
    try:
        with pytest.raises(StoreFault, match="disk I/O error"):  # the store is there: the disk is blamed
            with store.read() as conn:
                conn.execute(text("SELECT 1"))
        _delete_store(tmp_path / "site.db")
        with pytest.raises(StoreLost, match="was deleted while this command wrote to it"):
            with store.read() as conn:
                conn.execute(text("SELECT 1"))
    finally:
        store.dispose()
