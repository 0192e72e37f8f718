"""Store faults and output faults end in one line, not a traceback: a full disk, a
read-only store, a store locked by another writer, a `--db` that is no store at all.
What was kept is said; nothing half-written is left behind. Real subprocesses of the
CLI, with the faults made real (a file-size limit stands in for a full disk)."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.workflow import read_csv, run

pytestmark = [pytest.mark.store, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
POOLAB = [sys.executable, "-m", "poolab_cli.main"]


def _poolab(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    limit_bytes: int | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a process of its own; ``limit_bytes`` caps the size of any file it
    writes (what a full disk does to a writer)."""
    preexec: Callable[[], None] | None = None
    if limit_bytes is not None:

        def preexec() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), no signal
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [*POOLAB, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        preexec_fn=preexec,
    )


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert 0 != proc.returncode
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert 1 == len(errors), proc.stderr
    assert "SELECT" not in proc.stderr and "INSERT" not in proc.stderr  # no SQL, no parameters
    return errors[0]


FIRST_BATCH_ONLY = 570_000
"""A file size limit under which the store's write-ahead log takes the first batch of
receipts of ``two_batches`` (``FLUSH_EVERY``, 5,000) and not the second (what a disk that
fills mid-stream does): 510-630 kB holds one, 480 kB none, 660 kB both."""


@pytest.fixture
def sqlite_district(tmp_path: Path, small_roster_csv: Path) -> tuple[str, list[str]]:
    """A SQLite store with the small district, a campaign of 600 single tubes, their codes."""
    return _single_tubes(tmp_path, small_roster_csv)


def _single_tubes(tmp_path: Path, roster: Path) -> tuple[str, list[str]]:
    """A SQLite store with ``roster`` imported and campaign "c" of one tube per resident;
    the store's URL and the tubes' codes in manifest order."""
    url = f"sqlite:///{tmp_path / 'site.db'}"
    assert 0 == run(url, "init").exit_code
    assert 0 == run(url, "roster", "import", str(roster)).exit_code
    assert 0 == run(url, "campaign", "new", "c", "--pool-size", "1").exit_code
    run(url, "manifest", "c", "-o", str(tmp_path / "m.csv"))
    return url, [r["tube_barcode"] for r in read_csv(tmp_path / "m.csv")]


@pytest.fixture
def two_batches(tmp_path: Path) -> tuple[str, list[str]]:
    """A SQLite store with a campaign of single tubes, one more reception batch's worth
    and a thousand; their codes."""
    from poolab.lab.reception import FLUSH_EVERY
    from poolab.roster.file import write_roster_csv
    from poolab.roster.synthetic import generate_district

    roster = tmp_path / "roster.csv"
    people = FLUSH_EVERY + 1_000
    write_roster_csv(generate_district(residents=people, households=people * 3 // 5, compounds=3, seed=11), roster)
    return _single_tubes(tmp_path, roster)


def test_disk_full_during_export_keeps_the_old_file(sqlite_district: tuple[str, list[str]], tmp_path: Path) -> None:
    """The manifest cannot be written whole: one line, the old manifest untouched, no
    partial file left beside it."""
    url, _ = sqlite_district
    target = tmp_path / "m.csv"
    before = target.read_bytes()
    proc = _poolab(
        "--db", url, "manifest", "c", "-o", str(target), limit_bytes=34_000
    )  # above the store's 32 KiB shared-memory file, below the manifest
    line = _one_line_error(proc)
    assert "cannot write" in line and str(target) in line and "nothing was written" in line
    assert before == target.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".m.csv")) == []


def test_disk_full_during_a_scan_stream(two_batches: tuple[str, list[str]], tmp_path: Path) -> None:
    """The store's disk fills while scans stream in: the scans committed before stay,
    the stream says how many and from which line to scan again, and exits non-zero."""
    url, codes = two_batches
    scans = tmp_path / "scans.txt"
    scans.write_text("\n".join(codes) + "\n", encoding="utf-8")
    proc = _poolab("--db", url, "receive", "c", str(scans), limit_bytes=FIRST_BATCH_ONLY)
    line = _one_line_error(proc)
    assert "disk full" in line
    assert "accepted" in proc.stdout and "were not" in proc.stderr and "scan them again" in proc.stderr
    kept = int(proc.stdout.split(" tubes accepted")[0].split()[-1])
    import json

    status = json.loads(run(url, "status", "c", "--json").output)
    assert kept == status["tubes"]["received"]
    assert 0 < kept < len(codes)


def test_disk_full_during_a_piped_stream_with_refusals(two_batches: tuple[str, list[str]], tmp_path: Path) -> None:
    """A piped receive on a full disk with many refusals: the list of refusals cannot be
    written either (the same disk), yet the stream still says what is stored and from
    which line to scan again, and the list's failure is one line (issue 21)."""
    url, codes = two_batches
    # wrong check characters, mostly: a problems file over the limit (about 100 bytes a line)
    refused = [f"P{i:09d}0" for i in range(1, 20_000)]
    proc = _poolab(
        "--db",
        url,
        "receive",
        "c",
        "-",
        stdin="\n".join(refused + codes) + "\n",
        limit_bytes=FIRST_BATCH_ONLY,
        cwd=tmp_path,
    )
    line = _one_line_error(proc)
    assert "disk full" in line
    assert "scans from line" in proc.stderr and "scan them again" in proc.stderr, proc.stderr
    assert "the refused scans could not all be listed: cannot write" in proc.stderr, proc.stderr


def test_locked_store(sqlite_district: tuple[str, list[str]], tmp_path: Path) -> None:
    """Another program holds the store's write lock past the wait: one line that says so
    and that nothing was lost; the stream's summary comes first."""
    url, codes = sqlite_district
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        proc = _poolab(
            "--db", url, "receive", "c", "-", stdin="\n".join(codes[:5]) + "\n", env={"POOLAB_BUSY_TIMEOUT": "1"}
        )
        line = _one_line_error(proc)
        assert "locked" in line and "POOLAB_BUSY_TIMEOUT" in line
        assert "0 tubes accepted" in proc.stdout and "from line 1 on were not" in proc.stderr
        proc = _poolab("--db", url, "retest", "c", "-o", str(tmp_path / "r.csv"), env={"POOLAB_BUSY_TIMEOUT": "1"})
        assert "locked" in _one_line_error(proc) and "nothing from this step was written" in proc.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_read_only_store(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """A store opened read-only (a read-only SQLite file, a read-only PostgreSQL session):
    a write is one line naming the cause; reads still work."""
    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(small_roster_csv)).exit_code
    if store_url.startswith("sqlite"):
        read_only = f"sqlite:///file:{store_url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    else:
        read_only = store_url + "%20-cdefault_transaction_read_only%3Don"
    proc = _poolab("--db", read_only, "campaign", "new", "x")
    assert "read-only" in _one_line_error(proc)
    assert 0 == _poolab("--db", read_only, "campaign", "list").returncode


def test_db_plain_path_means_a_sqlite_file(tmp_path: Path) -> None:
    """`--db site2.db` is the SQLite file site2.db, created owner-only with its WAL files."""
    proc = _poolab("--db", "site2.db", "init", cwd=tmp_path)
    assert 0 == proc.returncode, proc.stderr
    assert "site2.db: created" in proc.stdout
    assert 0o600 == (tmp_path / "site2.db").stat().st_mode & 0o777
    assert 0 == _poolab("--db", "site2.db", "campaign", "list", cwd=tmp_path).returncode
    for extra in tmp_path.glob("site2.db-*"):
        assert 0o600 == extra.stat().st_mode & 0o777, extra


@pytest.mark.parametrize(
    ("db", "expected"),
    [
        ("foo://x/y", "unknown kind of database"),
        ("postgresql://u:s3cret@127.0.0.1:1/nope", "cannot reach"),
        ("postgresql://u:s3cret@[::1/x", "not a database URL"),
    ],
)
def test_bad_db_url_is_one_line_without_the_password(db: str, expected: str) -> None:
    """An unknown scheme, an unreachable server, an unparsable URL: one line each, and a
    password in the URL is shown as ***."""
    proc = _poolab("--db", db, "status", "x")
    line = _one_line_error(proc)
    assert expected in line
    assert "s3cret" not in proc.stderr + proc.stdout


def test_text_file_as_db(tmp_path: Path) -> None:
    """`--db notes.txt` naming a text file: it is not a poolab store, in one line."""
    (tmp_path / "notes.txt").write_text("hello\n" * 100, encoding="utf-8")
    assert "not a poolab store" in _one_line_error(_poolab("--db", "notes.txt", "status", "x", cwd=tmp_path))


def test_postgresql_without_the_pg_extra() -> None:
    """Without psycopg a PostgreSQL URL says which extra to install."""
    code = "import sys; sys.modules['psycopg'] = None; from poolab_cli.main import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--db", "postgresql://u@127.0.0.1/x", "status", "x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "poolab[pg]" in _one_line_error(proc)


def test_init_names_the_store_without_its_password(store_url: str) -> None:
    """`init` names the store it made; a password in a PostgreSQL URL is shown as ***."""
    postgres = store_url.startswith("postgresql")
    url = store_url.replace("postgres@", "postgres:hunter2@", 1) if postgres else store_url  # trust auth
    proc = _poolab("--db", url, "init")
    assert 0 == proc.returncode, proc.stderr
    assert "hunter2" not in proc.stdout + proc.stderr
    assert ("postgres:***@" if postgres else store_url) in proc.stdout


def test_piped_scans_are_stored_while_the_pipe_stays_open(sqlite_district: tuple[str, list[str]]) -> None:
    """A station script pipes scans and keeps the pipe open: they are in the store within
    about a second, and a kill afterwards loses none of them."""
    url, codes = sqlite_district
    with subprocess.Popen(
        [*POOLAB, "--db", url, "receive", "c", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    ) as proc:
        assert proc.stdin is not None
        proc.stdin.write("\n".join(codes[:300]) + "\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 20
        received = 0
        while time.monotonic() < deadline and received < 300:
            time.sleep(0.3)
            received = _received(url)
        proc.kill()
        proc.communicate(timeout=10)
    assert 300 == received
    assert 300 == _received(url)


def _received(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return int(conn.execute("SELECT count(*) FROM receipt").fetchone()[0])


def test_sigterm_commits_what_is_pending(sqlite_district: tuple[str, list[str]]) -> None:
    """`kill` (SIGTERM) ends a scan stream like the end of its input: every scan read is
    stored and the summary printed, no traceback."""
    url, codes = sqlite_district
    with subprocess.Popen(
        [*POOLAB, "--db", url, "receive", "c", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    ) as proc:
        assert proc.stdin is not None
        proc.stdin.write("\n".join(codes[:50]) + "\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while _received(url) < 50 and time.monotonic() < deadline:
            time.sleep(0.2)  # the process is up (its handler installed) and has stored the scans
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert "Traceback" not in err
    assert "50 tubes accepted" in out
    assert 50 == _received(url)
