"""Messy and hostile input, and a new user's first hour (issue 8): each case names what it
guards against; each failed on the code before it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from poolab.store.engine import open_store
from tests.workflow import read_csv, run, write_results

pytestmark = pytest.mark.store

HEADER = "resident_id,name,id_number,phone,compound,building,unit,room,household_id\n"
GOOD = [
    "R1,张三,11010519491231002X,13800000000,建设小区,1,1,101,H1\n",
    "R2,李四,,,建设小区,1,1,101,H1\n",
    "R3,王五,,,和平里,2,1,302,H2\n",
]


def _roster(tmp: Path, lines: list[str], name: str = "roster.csv") -> Path:
    path = tmp / name
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def seeded(store_url: str, tmp_path: Path) -> str:
    """A store holding the three good residents."""
    assert 0 == run(store_url, "init").exit_code
    r = run(store_url, "roster", "import", str(_roster(tmp_path, GOOD)))
    assert 0 == r.exit_code, r.output
    return store_url


def _codes(url: str, name: str, tmp: Path) -> list[str]:
    run(url, "manifest", name, "-o", str(tmp / f"{name}.csv"))
    return list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp / f"{name}.csv")))


def _status(url: str, name: str) -> dict[str, object]:
    return json.loads(run(url, "status", name, "--json").output)


# ------------------------------------------------------------------ ids and personal data


@pytest.mark.parametrize("twin", ["r1", "R1\u200b", "Ｒ１", " r1 "])
def test_resident_ids_equal_but_for_case_width_or_invisible_characters(
    store_url: str, tmp_path: Path, twin: str
) -> None:
    """Two ids that differ only by case, full width or a zero-width space are one id:
    the roster is refused naming both lines."""
    assert 0 == run(store_url, "init").exit_code
    r = run(store_url, "roster", "import", str(_roster(tmp_path, [GOOD[0], f"{twin},李四,,,和平里,2,1,302,H2\n"])))
    assert 1 == r.exit_code
    assert "roster.csv:3" in r.output and "same as 'R1' on line 2" in r.output


def test_field_binding_matches_ids_however_they_are_scanned(seeded: str, tmp_path: Path) -> None:
    """A resident scanned in lower case, full width or with a zero-width space is the
    resident of the roster; binding them twice that way is refused."""
    assert 0 == run(seeded, "campaign", "new", "f", "--field-binding").exit_code
    r = run(seeded, "collect", "f", "-", input="TUBE-A1\nr1\nＲ２\nR3\u200b\nr1\n")
    assert 1 == r.exit_code
    assert "4 scans accepted, 1 refused" in r.output  # the tube and three residents
    assert "already bound to tube TUBE-A1" in r.output


def test_messages_mask_id_numbers_and_phones_and_cut_long_values(seeded: str, tmp_path: Path) -> None:
    """A roster line with extra fields is echoed with its ID number and phone masked; a
    1 MB value is cut to 40 characters; collect names an ID number masked."""
    extra = "R4,赵六,23010219760909483X,13912345678,和平里,2,1,303,H4,x,y\n"
    r = run(seeded, "roster", "import", str(_roster(tmp_path, [*GOOD, extra])))
    assert 1 == r.exit_code
    assert "23010219760909483X" not in r.output and "13912345678" not in r.output
    assert "R4,*,*,*,*," in r.output  # the line's fields but its resident_id masked (issue 21)
    big = "R5," + "名" * 1_000_000 + ",,,和平里,2,1,303,H5\n"
    r = run(seeded, "roster", "import", str(_roster(tmp_path, [*GOOD, big], "big.csv")))
    assert 1 == r.exit_code and len(r.output) < 2_000
    assert "1,000,000 characters" in r.output
    assert 0 == run(seeded, "campaign", "new", "f", "--field-binding").exit_code
    r = run(seeded, "collect", "f", "-", input="11010519491231002X\n")  # a resident before any tube
    assert "110105********002X" in r.output and "11010519491231002X" not in r.output


# ------------------------------------------------------------------ exports


def test_exports_neutralise_formulas(store_url: str, tmp_path: Path) -> None:
    """Names, addresses and ids that a spreadsheet would run (=, +, -, @ first) reach the
    manifest, retest and positives CSVs as text, masked names included (plain numbers
    such as -2 stay numbers: they cannot run anything)."""
    assert 0 == run(store_url, "init").exit_code
    lines = [
        "=1+1,=cmd|' /C calc'!A0,,,@SUM(1),=HYPERLINK(\"x\"),+1+2,-2+3,H1\n",
        'R2,李四,,,@SUM(1),=HYPERLINK("x"),+1+2,-2+3,H1\n',
    ]
    assert 0 == run(store_url, "roster", "import", str(_roster(tmp_path, lines))).exit_code
    assert 0 == run(store_url, "campaign", "new", "c").exit_code
    codes = _codes(store_url, "c", tmp_path)
    run(store_url, "receive", "c", "-", input="\n".join(codes) + "\n")
    run(store_url, "results", "import", "c", str(write_results(tmp_path / "p.csv", [(codes[0], "positive", "", "")])))
    run(store_url, "retest", "c", "-o", str(tmp_path / "retest.csv"))
    retest = read_csv(tmp_path / "retest.csv")
    rows = [(tmp_path / "retest.csv").read_text(encoding="utf-8"), (tmp_path / "c.csv").read_text(encoding="utf-8")]
    run(store_url, "receive", "c", "-", input="\n".join(r["retest_tube_barcode"] for r in retest) + "\n")
    individual = [(r["retest_tube_barcode"], "positive", "", "") for r in retest]
    run(store_url, "results", "import", "c", str(write_results(tmp_path / "i.csv", individual)))
    run(store_url, "positives", "c", "-o", str(tmp_path / "pos.csv"), "--unmasked")
    rows.append((tmp_path / "pos.csv").read_text(encoding="utf-8"))
    for text in rows:
        cells = [c for line in text.splitlines()[1:] for c in line.split(",")]
        assert not any(c[:1] in ("=", "+", "-", "@") or c[:2] in ('"=', '"+', '"-', '"@') for c in cells), text
        assert "'=1+1" in text or "'=HYPERLINK" in text


# ------------------------------------------------------------------ scan streams


def test_bad_lines_in_a_scan_file_keep_every_good_scan(seeded: str, tmp_path: Path) -> None:
    """A NUL byte, a Latin-1 line: each refused with its line; every good scan kept."""
    assert 0 == run(seeded, "campaign", "new", "c", "--pool-size", "1").exit_code
    codes = _codes(seeded, "c", tmp_path)
    data = f"{codes[0]}\n".encode() + b"P0\x00001\n" + "Zoë\n".encode("latin-1") + f"{codes[1]}\n{codes[2]}\n".encode()
    (tmp_path / "s.txt").write_bytes(data)
    r = run(seeded, "receive", "c", str(tmp_path / "s.txt"))
    assert 1 == r.exit_code
    assert "3 tubes accepted, 2 refused" in r.output
    assert "s.txt:2" in r.output and "NUL" in r.output and "s.txt:3" in r.output


def test_a_utf16_scan_file_is_read(seeded: str, tmp_path: Path) -> None:
    """A scan file saved by Notepad as "Unicode" (UTF-16 with BOM) is read whole."""
    assert 0 == run(seeded, "campaign", "new", "c", "--pool-size", "1").exit_code
    codes = _codes(seeded, "c", tmp_path)
    (tmp_path / "s.txt").write_bytes("\r\n".join(codes).encode("utf-16"))
    r = run(seeded, "receive", "c", str(tmp_path / "s.txt"))
    assert 0 == r.exit_code, r.output
    assert f"{len(codes)} tubes accepted, 0 refused" in r.output


@pytest.mark.parametrize("odd", ["\x0c", "\x1c", "\u2028", "\x0b"])
def test_scan_line_numbers_count_as_an_editor_does(seeded: str, tmp_path: Path, odd: str) -> None:
    """Form feeds, separators or U+2028 inside a line do not start new lines: a bad scan
    on line 4 is reported as line 4."""
    assert 0 == run(seeded, "campaign", "new", "c", "--pool-size", "1").exit_code
    codes = _codes(seeded, "c", tmp_path)
    (tmp_path / "s.txt").write_text(f"{codes[0]}\nx{odd}y\n{codes[1]}\nP000000000\n", encoding="utf-8")
    r = run(seeded, "receive", "c", str(tmp_path / "s.txt"))
    assert "s.txt:4:" in r.output and "s.txt:5" not in r.output and "s.txt:6" not in r.output


def test_repeated_refusals_are_grouped_and_all_written_down(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """Receiving the same file twice: the second run prints one line per reason (with a
    count and a few examples), not one per tube, and names the file that lists them all."""
    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(small_roster_csv)).exit_code
    assert 0 == run(store_url, "campaign", "new", "c").exit_code
    codes = _codes(store_url, "c", tmp_path)
    (tmp_path / "s.txt").write_text("\n".join(codes) + "\n", encoding="utf-8")
    assert 0 == run(store_url, "receive", "c", str(tmp_path / "s.txt")).exit_code
    r = run(store_url, "receive", "c", str(tmp_path / "s.txt"))
    assert 1 == r.exit_code
    assert f"refused {len(codes)} scans: tube scanned twice" in r.output
    assert r.output.count("refused:") == 3
    listed = read_csv(tmp_path / "s.txt.problems.csv")
    assert len(codes) == len(listed) and all("already received at" in x["reason"] for x in listed)


# ------------------------------------------------------------------ files


def test_every_problem_of_a_big_file_is_written_down(seeded: str, tmp_path: Path) -> None:
    """A file with 65 bad lines: 50 are printed, all 65 are in FILE.problems.csv, named."""
    bad = [f"R{i},某,,,,1,1,101,H{i}\n" for i in range(10, 75)]  # no compound
    path = _roster(tmp_path, [*GOOD, *bad])
    r = run(seeded, "roster", "import", str(path))
    assert 1 == r.exit_code
    assert "15 more; all 65 problems: " + f"{path}.problems.csv" in r.output
    listed = read_csv(f"{path}.problems.csv")
    assert 65 == len(listed)
    assert {"line", "column", "value", "reason"} == set(listed[0])
    assert [str(n) for n in range(5, 70)] == [x["line"] for x in listed]


def test_unclosed_quote_is_named(seeded: str, tmp_path: Path) -> None:
    """An unclosed quote is reported as such, with its line, not as a missing field."""
    r = run(seeded, "roster", "import", str(_roster(tmp_path, [*GOOD, 'R4,"赵六,,,和平里,2,1,303,H4\n', GOOD[2]])))
    assert 1 == r.exit_code
    assert "roster.csv:5" in r.output and "never closed" in r.output and "missing required field" not in r.output


@pytest.mark.parametrize("quoted", [False, True])
def test_one_rule_for_long_cells(seeded: str, tmp_path: Path, quoted: bool) -> None:
    """A 20,000-character cell is refused the same way whether the file uses quotes or not."""
    cell = "长" * 20_000
    line = f'R4,"{cell}",,,和平里,2,1,303,H4\n' if quoted else f"R4,{cell},,,和平里,2,1,303,H4\n"
    r = run(seeded, "roster", "import", str(_roster(tmp_path, [*GOOD, line])))
    assert 1 == r.exit_code
    assert "roster.csv:5" in r.output and "20,000 characters long" in r.output


def test_store_length_limits_are_checked_on_every_backend(seeded: str, tmp_path: Path) -> None:
    """A resident_id longer than the store's column (64) is refused with its line, on
    SQLite as on PostgreSQL (which would otherwise fail inside the insert)."""
    r = run(seeded, "roster", "import", str(_roster(tmp_path, [*GOOD, "R" * 65 + ",赵六,,,和平里,2,1,303,H4\n"])))
    assert 1 == r.exit_code
    assert "roster.csv:5" in r.output and "resident_id is 65 characters long; at most 64" in r.output


def test_same_call_different_ct_names_the_cts(seeded: str, tmp_path: Path) -> None:
    """A tube repeated with the same call but other Ct values: the message names the Cts."""
    assert 0 == run(seeded, "campaign", "new", "c").exit_code
    codes = _codes(seeded, "c", tmp_path)
    run(seeded, "receive", "c", "-", input="\n".join(codes) + "\n")
    path = write_results(tmp_path / "r.csv", [(codes[0], "positive", "30", "31"), (codes[0], "positive", "25", "26")])
    r = run(seeded, "results", "import", "c", str(path))
    assert 1 == r.exit_code and "two different Ct values" in r.output and "30/31" in r.output


# ------------------------------------------------------------------ people and the first hour


def test_operator_must_be_a_plain_name(seeded: str) -> None:
    """A blank --operator and a two-line one are refused; nothing is recorded."""
    for bad in ("", "   ", "chief\nforged", "a\u200bb"):
        r = run(seeded, "campaign", "new", "x", operator=bad)
        assert 2 == r.exit_code, (bad, r.output)
        assert "--operator" in r.output
    assert "no campaigns yet" in run(seeded, "campaign", "list").output


def test_log_shows_who_did_what_and_why(seeded: str, tmp_path: Path) -> None:
    """`poolab log` lists the campaign's events with their operator; a tube's log shows
    each result with its Cts and the reason of a correction."""
    assert 0 == run(seeded, "campaign", "new", "c", operator="王芳").exit_code
    codes = _codes(seeded, "c", tmp_path)
    run(seeded, "receive", "c", "-", input=codes[0] + "\n", operator="李强")
    run(seeded, "results", "import", "c", str(write_results(tmp_path / "a.csv", [(codes[0], "negative", "", "")])))
    b = write_results(tmp_path / "b.csv", [(codes[0], "positive", "30.5", "31")])
    run(seeded, "results", "import", "c", str(b), "--amend", "--reason", "plate swapped", operator="chief")
    r = run(seeded, "log", "c")
    assert 0 == r.exit_code
    assert "王芳" in r.output and "campaign.new" in r.output and "李强" in r.output and "receive" in r.output
    r = run(seeded, "log", "c", "--tube", codes[0].lower())
    assert "result corrected" in r.output and "reason=plate swapped" in r.output and "ct=30.5/31" in r.output
    assert "chief" in r.output


def test_demo_never_replaces_someone_elses_store(seeded: str, tmp_path: Path) -> None:
    """`poolab demo --folder` onto a real store is refused, naming its campaigns; --force replaces it."""
    assert 0 == run(seeded, "campaign", "new", "keep-me").exit_code
    if not seeded.startswith("sqlite"):
        return  # the demo's store is always a SQLite file: the PostgreSQL run has nothing to guard
    folder = Path(seeded.removeprefix("sqlite:///")).parent
    r = run(seeded, "demo", "--folder", str(folder), "--residents", "60", "--households", "30", "--compounds", "1")
    assert 1 == r.exit_code and "keep-me" in r.output and "--force" in r.output
    assert "keep-me" in run(seeded, "campaign", "list").output


def test_demo_never_replaces_an_imported_roster(seeded: str) -> None:
    """A store holding an imported roster but no campaign is refused too; --force replaces it."""
    if not seeded.startswith("sqlite"):
        return  # the demo's store is always a SQLite file: the PostgreSQL run has nothing to guard
    folder = Path(seeded.removeprefix("sqlite:///")).parent
    small = ["--residents", "60", "--households", "30", "--compounds", "1", "--infected", "1"]
    r = run(seeded, "demo", "--folder", str(folder), *small)
    assert 1 == r.exit_code
    assert "holds a roster of 3 residents (no campaign yet)" in r.output and "--force" in r.output
    assert "no campaigns yet" in run(seeded, "campaign", "list").output
    assert 3 == _status_residents(seeded)
    r = run(seeded, "demo", "--folder", str(folder), *small, "--force")
    assert 0 == r.exit_code, r.output
    assert 60 == _status_residents(seeded)


def _status_residents(url: str) -> int:
    from poolab.store.residents import count_residents

    store = open_store(url)
    try:
        with store.read() as conn:
            return count_residents(conn)
    finally:
        store.dispose()


def test_status_counts_agree_with_the_missing_lists(seeded: str, tmp_path: Path) -> None:
    """Collected-but-not-received, never-collected and received-without-result tubes: the
    JSON counts equal the lengths of the --missing lists, and no tube is hidden."""
    assert 0 == run(seeded, "campaign", "new", "c", "--pool-size", "1").exit_code
    codes = _codes(seeded, "c", tmp_path)
    assert 3 == len(codes)
    # tube 0 collected and received, tube 1 collected only, tube 2 never collected
    assert 0 == run(seeded, "collect", "c", "-", input=f"{codes[0]}\n{codes[1]}\n").exit_code
    run(seeded, "receive", "c", "-", input=codes[0] + "\n")
    status = json.loads(run(seeded, "status", "c", "--json", "--missing").output)
    lists = status["missing"]
    assert lists == {"awaiting_collection": [codes[2]], "awaiting_receipt": [codes[1]], "awaiting_result": [codes[0]]}
    assert (1, 1, 1) == (status["awaiting_collection"], status["awaiting_receipt"], status["missing_results"])


def test_output_onto_a_folder_or_into_proc_is_one_line(seeded: str, tmp_path: Path) -> None:
    """-o naming a folder, a missing folder or /proc: one line, no traceback, nothing left behind."""
    assert 0 == run(seeded, "campaign", "new", "c").exit_code
    os.mkdir(tmp_path / "afolder")
    for target in (str(tmp_path / "afolder"), str(tmp_path / "missing" / "m.csv"), "/proc/m.csv"):
        r = run(seeded, "manifest", "c", "-o", target)
        assert r.exit_code != 0
        assert "Traceback" not in r.output and "Error" in r.output, r.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["simulate", "-d", "dorfman:10", "-n", "1000", "-p", "0.01", "--ct-sd", "-1", "-r", "10"], "with --dilution"),
        (
            ["simulate", "-d", "dorfman:10", "-n", "1000", "-p", "0.01", "--dilution", "--ct-sd", "-1", "-r", "5"],
            "ct_sd",
        ),
        (
            ["simulate", "-d", "dorfman:10", "-n", "1000", "-p", "0.01", "--dilution", "--limit-ct", "nan", "-r", "5"],
            "limit_ct",
        ),
        (["plan", "opchar", "--design", "dorfman:100000000000000000000", "-p", "0.01"], "from 2 to 1000"),
        (["simulate", "-d", "dorfman:10", "-n", "1000", "-p", "0.01", "-r", "1000000000"], "GiB of memory"),
        (["simulate", "-d", "dorfman:10", "-n", "1000000000", "-p", "0.01", "-r", "2"], "GiB of memory"),
    ],
)
def test_impossible_planning_options_are_refused(args: list[str], expected: str) -> None:
    """Negative spreads, NaN limits, absurd pool sizes and work that cannot fit in memory:
    one line each, before anything is allocated."""
    from click.testing import CliRunner

    from poolab_cli.main import cli

    r = CliRunner().invoke(cli, args)
    assert 1 == r.exit_code, r.output
    assert expected in r.output and "Traceback" not in r.output


# ------------------------------------------------------------------ issue 21: data and privacy

_DIGIT_RUN = re.compile(r"[0-9](?:[ \-]?[0-9]){14,}")  # 15 or more digits, spaces or dashes between
_NAMES = ("赵六", "钱七", "孙八")


def _leaks(text: str) -> list[str]:
    """What must never reach a terminal or a problems file: a 15+ digit run, a name."""
    return _DIGIT_RUN.findall(text) + [n for n in _NAMES if n in text]


def test_field_binding_refuses_an_id_number_as_a_tube(seeded: str, tmp_path: Path) -> None:
    """A misread ID card (18 digits, wrong check character), one written in groups and a
    19-digit one, scanned where a tube belongs: refused, masked in the message, no tube
    opened; the manifest carries the real tube only."""
    assert 0 == run(seeded, "campaign", "new", "f", "--field-binding").exit_code
    scans = ["230102195802056550", "R1", "110105 19900404 0039", "1101051949123100211", "TUBE-A1", "R2"]
    r = run(seeded, "collect", "f", "-", input="\n".join(scans) + "\n")
    assert 1 == r.exit_code
    assert "an ID number that is not on the roster, not a tube barcode" in r.output
    assert "230102********6550" in r.output
    assert not _leaks(r.output), r.output
    run(seeded, "manifest", "f", "-o", str(tmp_path / "m.csv"))
    tubes = {row["tube_barcode"] for row in read_csv(tmp_path / "m.csv")}
    assert tubes == {"TUBE-A1", ""}


def test_echoed_roster_lines_show_the_resident_id_only(seeded: str, tmp_path: Path) -> None:
    """A field-count error, an unclosed quote and a roster without its header echo the
    line with every field but resident_id masked: no name, no ID number written in
    groups or one digit too long, no phone with spaces."""
    extra = "R4,赵六,110105 19900404 0039,138 1234 5678,和平里,2,1,303,H4,x,y\n"
    long_id = "R5,钱七,1101051949123100211,,和平里,2,1,303,H5,x\n"
    r = run(seeded, "roster", "import", str(_roster(tmp_path, [*GOOD, extra, long_id])))
    assert 1 == r.exit_code and "line has 11 fields" in r.output
    assert not _leaks(r.output) and "1234 5678" not in r.output, r.output
    assert "R4,*," in r.output and "R5,*," in r.output
    quoted = 'R6,"孙八,,,和平里,2,1,303,H6\n'
    r = run(seeded, "roster", "import", str(_roster(tmp_path, [GOOD[0], quoted, *GOOD[1:]], "quote.csv")))
    assert 1 == r.exit_code and "never closed" in r.output
    assert not _leaks(r.output), r.output
    headerless = tmp_path / "headerless.csv"
    headerless.write_text(
        "R7,赵六,11010519491231002X,13800000000,建设小区,1,1,101,H7\n" + "".join(GOOD), encoding="utf-8"
    )
    r = run(seeded, "roster", "import", str(headerless))
    assert 1 == r.exit_code and "the header line is missing" in r.output
    assert "unknown column" not in r.output and not _leaks(r.output), r.output


def test_an_encoding_refusal_names_the_line_without_quoting_it(seeded: str, tmp_path: Path) -> None:
    """A Big5 roster is refused naming the line; the line (a name, an address) is not quoted."""
    path = tmp_path / "big5.csv"
    path.write_bytes((HEADER + "R8,趙六,,,和平里,2,1,303,H8\n").encode("big5"))
    r = run(seeded, "roster", "import", str(path))
    assert 1 == r.exit_code and "line 2" in r.output
    assert "趙六" not in r.output and "和平里" not in r.output, r.output


def test_a_huge_header_cell_is_echoed_in_40_characters(seeded: str, tmp_path: Path) -> None:
    """A 5 MB cell in a header missing a column: the message stays short."""
    path = tmp_path / "wide.csv"
    path.write_text("resident_id,nmae" + "x" * 5_000_000 + ",compound,building,unit,room\nR9,a,b,c,d,e\n")
    r = run(seeded, "roster", "import", str(path))
    assert 1 == r.exit_code and "household_id" in r.output
    assert len(r.output) < 2_000 and "x" * 41 not in r.output


def test_problems_file_holds_no_name_or_id_number(seeded: str, tmp_path: Path) -> None:
    """60 broken lines: the problems file lists them all, masked as the terminal does."""
    lines = [f"R{i},赵六,110105 19900404 0039,13800000000,和平里,2,1,{i},H{i},x\n" for i in range(10, 70)]
    path = _roster(tmp_path, lines, "many.csv")
    r = run(seeded, "roster", "import", str(path))
    assert 1 == r.exit_code
    problems = Path(f"{path}.problems.csv").read_text(encoding="utf-8")
    assert problems.count("line has 10 fields") == 60
    assert not _leaks(problems) and not _leaks(r.output), problems


@pytest.mark.parametrize("kind", ["folder", "full disk"])
def test_a_problems_file_that_cannot_be_written_is_one_line(seeded: str, tmp_path: Path, kind: str) -> None:
    """roster import with more problems than it shows, its problems file blocked by a
    folder or pointing at a full disk (/dev/full): the refusal is printed, then one line
    saying the list could not be written; no traceback."""
    lines = [f"R{i},,,,和平里,2,1,{i},H{i},x\n" for i in range(10, 70)]
    path = _roster(tmp_path, lines, "many.csv")
    blocked = Path(f"{path}.problems.csv")
    if kind == "folder":
        blocked.mkdir()
    else:
        blocked.symlink_to("/dev/full")
    r = run(seeded, "roster", "import", str(path))
    assert 1 == r.exit_code
    assert "Traceback" not in r.output and "line has 10 fields" in r.output
    assert "the problems file failed: cannot write" in r.output, r.output
    assert ("folder" if kind == "folder" else "No space left") in r.output
