"""Hardening, round three (issue 21), its Availability and Input parts: absurd input
refused quickly and clearly, one scan normaliser everywhere a barcode is read, one rule
for campaign names. Each case failed on the code before it.

A case that could hang runs the real command in a subprocess under a time-out: the
time-out is a guard against a hang (minutes), not a speed target.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.workflow import read_csv, run, write_results

pytestmark = pytest.mark.store

POOLAB = str(Path(sys.executable).parent / "poolab")
HANG = 120  # seconds: far beyond any honest run of these commands
HEADER = "resident_id,name,id_number,phone,compound,building,unit,room,household_id\n"
GOOD = [
    "R1,张三,11010519491231002X,13800000000,建设小区,1,1,101,H1\n",
    "R2,李四,,,建设小区,1,1,101,H1\n",
    "R3,王五,,,和平里,2,1,302,H2\n",
    "R4,赵六,,,和平里,2,1,303,H3\n",
]


@pytest.fixture
def seeded(store_url: str, tmp_path: Path) -> str:
    """A store holding four good residents."""
    assert 0 == run(store_url, "init").exit_code
    (tmp_path / "roster.csv").write_text(HEADER + "".join(GOOD), encoding="utf-8")
    r = run(store_url, "roster", "import", str(tmp_path / "roster.csv"))
    assert 0 == r.exit_code, r.output
    return store_url


def _codes(url: str, name: str, tmp: Path) -> list[str]:
    assert 0 == run(url, "manifest", name, "-o", str(tmp / f"{name}.csv")).exit_code
    return list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp / f"{name}.csv")))


def _poolab(*args: str, cwd: Path, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    """The real command in its own process; a hang fails the test after HANG seconds."""
    return subprocess.run(
        [POOLAB, *args], cwd=cwd, stdin=stdin, capture_output=True, text=True, timeout=HANG, check=False
    )


def _one_line_refusal(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """rc 1, no traceback, a short error naming every word."""
    err = proc.stderr
    assert 1 == proc.returncode, (proc.stdout, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    assert len(err) < 2000, err[:2000]
    for word in words:
        assert word in err, err
    return err


# ------------------------------------------------------------------ absurd input


def test_roster_import_of_dev_zero_is_refused(tmp_path: Path) -> None:
    """/dev/zero never ends and has no line break: refused naming the file and line 1,
    instead of reading gigabytes."""
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert 0 == _poolab("--db", db, "init", cwd=tmp_path).returncode
    err = _one_line_refusal(_poolab("--db", db, "roster", "import", "/dev/zero", cwd=tmp_path), "/dev/zero", ":1")
    assert "line" in err
    # UTF-16 cannot be cut at a byte 0x0A, so it is read whole: bounded too
    proc = _poolab("--db", db, "roster", "import", "/dev/zero", "--encoding", "utf-16", cwd=tmp_path)
    _one_line_refusal(proc, "/dev/zero", "MiB")


@pytest.mark.parametrize("command", [["results", "import", "c"], ["receive", "c"]], ids=["results", "receive"])
def test_files_read_whole_are_bounded(tmp_path: Path, command: list[str]) -> None:
    """A results file or a scan file is read whole: /dev/zero is refused at a bound,
    naming the file, instead of filling the memory."""
    db = f"sqlite:///{tmp_path / 'p.db'}"
    (tmp_path / "roster.csv").write_text(HEADER + "".join(GOOD), encoding="utf-8")
    for args in (["init"], ["roster", "import", "roster.csv"], ["campaign", "new", "c"]):
        assert 0 == _poolab("--db", db, *args, cwd=tmp_path).returncode
    _one_line_refusal(_poolab("--db", db, *command, "/dev/zero", cwd=tmp_path), "/dev/zero", "MiB")


def test_an_endless_line_after_a_good_header_is_refused(tmp_path: Path) -> None:
    """A pipe that sends a good header and then one line that never ends: refused naming
    line 2, not read into memory for ever."""
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert 0 == _poolab("--db", db, "init", cwd=tmp_path).returncode
    fifo = tmp_path / "roster.csv"
    os.mkfifo(fifo)
    stop = threading.Event()

    def feed() -> None:
        try:
            with open(fifo, "wb") as f:
                f.write(HEADER.encode())
                chunk = b"R" * 65536
                while not stop.is_set():
                    f.write(chunk)
        except (BrokenPipeError, OSError):
            pass  # the reader gave up: what we want

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        proc = _poolab("--db", db, "roster", "import", str(fifo), cwd=tmp_path)
    finally:
        stop.set()
        try:  # unblock a writer still waiting for a reader
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        except OSError:
            pass
        writer.join(10)
    _one_line_refusal(proc, "roster.csv:2")


def test_a_header_of_200000_columns_is_refused(tmp_path: Path) -> None:
    """The header check was quadratic in the column count: 200,000 columns never
    finished. Now they are refused at once, saying how many there are and how many may be."""
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert 0 == _poolab("--db", db, "init", cwd=tmp_path).returncode
    columns = HEADER.strip().split(",") + [f"extra{i}" for i in range(200_000)]
    (tmp_path / "wide.csv").write_text(",".join(columns) + "\n" + GOOD[0], encoding="utf-8")
    err = _one_line_refusal(_poolab("--db", db, "roster", "import", "wide.csv", cwd=tmp_path), "wide.csv:1")
    assert "200,009 columns" in err


def test_a_wide_header_check_is_linear() -> None:
    """check_header of 200,000 repeated and unknown columns returns (the repeated ones named)."""
    from poolab.files.csvio import MAX_COLUMNS, check_header

    header = [f"c{i % 100_000}" for i in range(200_000)]
    problems = check_header(header, ["resident_id"], [], "f.csv", 1)
    assert 1 == len(problems)
    assert f"at most {MAX_COLUMNS:,}" in problems[0].message


def test_roster_demo_of_a_trillion_residents_is_refused_before_any_work(tmp_path: Path) -> None:
    """As simulate does: the size against the memory available, before anything is
    allocated or written."""
    proc = _poolab("roster", "demo", "-o", "big.csv", "--residents", "1000000000000", cwd=tmp_path)
    _one_line_refusal(proc, "1,000,000,000,000 residents", "memory")
    assert not (tmp_path / "big.csv").exists()


# ------------------------------------------------------------------ one scan normaliser

# Each a way the same code arrives: full width (a Chinese input method), a zero-width space
# inside, a trailing no-break space, a leading byte-order mark, lower case.
DISGUISES = {
    "full width": lambda c: "".join(chr(ord(ch) + 0xFEE0) for ch in c),
    "zero-width space": lambda c: c[:3] + "\u200b" + c[3:],
    "trailing no-break space": lambda c: c + "\u00a0",
    "leading BOM": lambda c: "\ufeff" + c,
    "lower case": lambda c: c.lower(),
}


def test_normalise_scan_drops_every_disguise() -> None:
    from poolab.barcodes import normalise_codes, normalise_scan

    code = "P000000017K"
    for why, disguise in DISGUISES.items():
        assert code == normalise_scan(disguise(code)), why
    assert code == normalise_scan("P000\u00a0000017K"), "a no-break space inside"
    assert [code] * len(DISGUISES) == normalise_codes([d(code) for d in DISGUISES.values()])


def test_receive_accepts_a_code_however_it_was_scanned(seeded: str, tmp_path: Path) -> None:
    assert 0 == run(seeded, "campaign", "new", "c", "--pool-size", "1").exit_code
    codes = _codes(seeded, "c", tmp_path)
    assert len(codes) == 4
    disguises = list(DISGUISES.values())
    lines = [disguises[i](code) for i, code in enumerate(codes)]
    (tmp_path / "scans.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run(seeded, "receive", "c", str(tmp_path / "scans.txt"))
    assert 0 == r.exit_code, r.output
    assert "4 tubes accepted, 0 refused" in r.output
    # the fifth disguise of a code already received is the same tube, scanned twice
    (tmp_path / "again.txt").write_text(disguises[4](codes[0]) + "\n", encoding="utf-8")
    r = run(seeded, "receive", "c", str(tmp_path / "again.txt"))
    assert 1 == r.exit_code and "already received" in r.output, r.output


def test_results_import_accepts_a_code_however_it_was_written(seeded: str, tmp_path: Path) -> None:
    assert 0 == run(seeded, "campaign", "new", "c", "--pool-size", "1").exit_code
    codes = _codes(seeded, "c", tmp_path)
    (tmp_path / "scans.txt").write_text("\n".join(codes) + "\n", encoding="utf-8")
    assert 0 == run(seeded, "receive", "c", str(tmp_path / "scans.txt")).exit_code
    disguises = list(DISGUISES.values())
    rows = [(disguises[i](code), "negative", "", "") for i, code in enumerate(codes)]
    r = run(seeded, "results", "import", "c", str(write_results(tmp_path / "r.csv", rows)))
    assert 0 == r.exit_code, r.output
    status = run(seeded, "status", "c", "--json").output
    assert '"negative": 4' in status.replace("\n", " ").replace("  ", " ") or '"negative":4' in status, status


# ------------------------------------------------------------------ campaign names


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("day\x1b[2J", "control"),
        ("day\n1", "control"),
        ("day\t1", "control"),
        ("d" * 201, "201 characters"),
        ("d" * 10_000, "10,000 characters"),
    ],
    ids=["escape", "newline", "tab", "201", "10000"],
)
def test_campaign_names_one_rule_on_every_store(seeded: str, name: str, why: str) -> None:
    """Printable characters only, at most 200: the same refusal on SQLite and PostgreSQL,
    one line, nothing created."""
    r = run(seeded, "campaign", "new", name)
    assert 1 == r.exit_code, r.output
    assert why in r.output and "campaign name" in r.output, r.output
    assert "\x1b" not in r.output
    assert "no campaigns" in run(seeded, "campaign", "list").output.lower()


def test_a_name_of_200_printable_characters_is_fine_and_hints_are_quoted(seeded: str) -> None:
    name = "第1轮 " + "d" * 196
    assert 200 == len(name)
    r = run(seeded, "campaign", "new", name)
    assert 0 == r.exit_code, r.output
    assert f"manifest '{name}' -o" in r.output, r.output  # one argument, pasted as it is


# ------------------------------------------------------------------ small ones


def test_results_enter_exits_1_after_refusals(seeded: str, tmp_path: Path) -> None:
    """A session that refused a key or a tube ends with exit status 1 (a script sees it)."""
    assert 0 == run(seeded, "campaign", "new", "c", "--pool-size", "1").exit_code
    codes = _codes(seeded, "c", tmp_path)
    (tmp_path / "scans.txt").write_text("\n".join(codes) + "\n", encoding="utf-8")
    assert 0 == run(seeded, "receive", "c", str(tmp_path / "scans.txt")).exit_code
    r = run(seeded, "results", "enter", "c", input=f"{codes[0]}\nn\nP000000000X\n{codes[1]}\nz\nq\n")
    assert 1 == r.exit_code, r.output
    assert "1 recorded, 0 corrected, 2 refused" in r.output
    r = run(seeded, "results", "enter", "c", input=f"{codes[2]}\nn\nq\n")
    assert 0 == r.exit_code, r.output


def test_a_quote_never_closed_is_refused_at_a_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A quote opened and never closed joined every later block into one record in
    memory; past MAX_RECORD_CHARS it is refused, naming where it opened."""
    from poolab.errors import InputRejected
    from poolab.files import csvstream

    monkeypatch.setattr(csvstream, "MAX_RECORD_CHARS", 200_000)
    path = tmp_path / "open.csv"
    body = "".join(f"R{i},name,,,c,1,1,1,H{i}\n" for i in range(2, 30_000))
    path.write_text(HEADER + GOOD[0] + 'R9,"open,,,c,1,1,1,H9\n' + body, encoding="utf-8")
    with pytest.raises(InputRejected, match="still open"):
        with csvstream.CsvStream(path, ["resident_id"], block_bytes=csvstream.MIN_BLOCK_BYTES) as stream:
            for _ in stream.chunks():
                pass
