"""Every bad input of the README's "Bad input", each its own test: the message names the file, the line
and the value, and nothing that was good is lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.workflow import read_csv, run, write_results

pytestmark = pytest.mark.store

HEADER = "resident_id,name,id_number,phone,compound,building,unit,room,household_id\n"
GOOD = [
    "R1,张三,11010519491231002X,13800000000,建设小区,1,1,101,H1\n",
    "R2,李四,,,建设小区,1,1,101,H1\n",
    "R3,王五,,,和平里,2,1,302,H2\n",
]


def _roster(tmp: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp / "roster.csv"
    path.write_bytes((HEADER + "".join(lines)).encode(encoding))
    return path


def _residents(url: str) -> int:
    from poolab.store.engine import open_store
    from poolab.store.residents import count_residents

    store = open_store(url)
    try:
        with store.begin() as conn:
            return count_residents(conn)
    finally:
        store.dispose()


@pytest.fixture
def seeded(store_url: str, tmp_path: Path) -> str:
    """A store holding the three good residents."""
    assert 0 == run(store_url, "init").exit_code
    r = run(store_url, "roster", "import", str(_roster(tmp_path, GOOD)))
    assert 0 == r.exit_code, r.output
    return store_url


def _rejected(url: str, tmp: Path, lines: list[str], *expected: str, encoding: str = "utf-8") -> str:
    path = _roster(tmp, lines, encoding)
    before = _residents(url)
    r = run(url, "roster", "import", str(path))
    assert 1 == r.exit_code
    for text in expected:
        assert text in r.output, r.output
    assert before == _residents(url)
    return r.output


def test_missing_required_field(seeded: str, tmp_path: Path) -> None:
    """A line without its compound is refused by file, line and field; nothing imported."""
    out = _rejected(seeded, tmp_path, [*GOOD, "R4,赵六,,,,3,1,101,H3\n"], "roster.csv:5", "compound")
    assert "nothing was imported" in out


def test_duplicate_resident_id(seeded: str, tmp_path: Path) -> None:
    """A resident_id twice is refused, naming both lines."""
    out = _rejected(seeded, tmp_path, [*GOOD, "R2,钱七,,,和平里,2,1,303,H9\n"], "roster.csv:5", "'R2'")
    assert "line 3" in out


def test_wrong_id_number_check_character(seeded: str, tmp_path: Path) -> None:
    """An ID number whose check character is wrong is refused with its value masked as
    exports mask it (and never the expected character)."""
    out = _rejected(
        seeded,
        tmp_path,
        [*GOOD, "R4,赵六,110105194912310021,,和平里,2,1,303,H4\n"],
        "roster.csv:5",
        "110105********0021",
    )
    assert "110105194912310021" not in out


def test_unexpected_encoding(seeded: str, tmp_path: Path) -> None:
    """A UTF-16 file is refused as an encoding problem, naming the file."""
    _rejected(seeded, tmp_path, [*GOOD, "R4,赵六,,,和平里,2,1,303,H4\n"], "roster.csv", "UTF-8", encoding="utf-16")


def test_gb18030_and_bom_are_read(store_url: str, tmp_path: Path) -> None:
    """GB18030 and UTF-8 with BOM are both read, names intact."""
    run(store_url, "init")
    lines = [*GOOD, "R4,欧阳娜娜,,,和平里,2,1,303,H4\n"]
    for enc in ("gb18030", "utf-8-sig"):
        r = run(store_url, "roster", "import", str(_roster(tmp_path, lines, enc)))
        assert 0 == r.exit_code, r.output
    assert 4 == _residents(store_url)


def test_roster_import_twice_changes_nothing(seeded: str, tmp_path: Path) -> None:
    """The same roster again: no new, no updated; a changed line updates one resident."""
    r = run(seeded, "roster", "import", str(_roster(tmp_path, GOOD)))
    assert "0 new, 0 updated, 3 unchanged" in r.output
    changed = [GOOD[0], GOOD[1].replace("101", "102"), GOOD[2]]
    r = run(seeded, "roster", "import", str(_roster(tmp_path, changed)))
    assert "0 new, 1 updated, 2 unchanged" in r.output


@pytest.fixture
def received(seeded: str, tmp_path: Path) -> tuple[str, list[str]]:
    """A campaign over the three residents whose tubes were all received."""
    run(seeded, "campaign", "new", "c", "--pool-size", "2")
    run(seeded, "manifest", "c", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp_path / "m.csv")))
    r = run(seeded, "receive", "c", "-", input="\n".join(codes) + "\n")
    assert 0 == r.exit_code, r.output
    return seeded, codes


def _status(url: str, name: str = "c") -> dict[str, Any]:
    return json.loads(run(url, "status", name, "--json").output)


def test_receive_wrong_check_character_keeps_good_scans(seeded: str, tmp_path: Path) -> None:
    """A mistyped barcode is refused with its line; the good scans around it are kept."""
    run(seeded, "campaign", "new", "c", "--pool-size", "2")
    run(seeded, "manifest", "c", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp_path / "m.csv")))
    bad = codes[0][:-1] + ("0" if codes[0][-1] != "0" else "1")
    (tmp_path / "s.txt").write_text(f"{codes[0]}\n{bad}\n{codes[1]}\n", encoding="utf-8")
    r = run(seeded, "receive", "c", str(tmp_path / "s.txt"))
    assert 1 == r.exit_code
    assert "s.txt:2" in r.output and bad in r.output and "check character" in r.output
    assert 2 == _status(seeded)["tubes"]["received"]


def test_receive_unknown_barcode(seeded: str, tmp_path: Path) -> None:
    """A well-formed barcode that no tube carries is refused as unknown."""
    from poolab.barcodes import issue_barcodes

    run(seeded, "campaign", "new", "c", "--pool-size", "2")
    unknown = issue_barcodes("P", 900_000_000, 1)[0][0]
    r = run(seeded, "receive", "c", "-", input=unknown + "\n")
    assert 1 == r.exit_code
    assert "<stdin>:1" in r.output and unknown in r.output and "unknown barcode" in r.output


def test_tube_scanned_twice(received: tuple[str, list[str]], tmp_path: Path) -> None:
    """A tube scanned a second time (same stream or later) is refused; the first scan stands."""
    url, codes = received
    r = run(url, "receive", "c", "-", input=f"{codes[0]}\n")
    assert 1 == r.exit_code
    assert "scanned twice" in r.output and codes[0] in r.output
    assert len(codes) == _status(url)["tubes"]["received"]


def test_result_for_tube_never_received(seeded: str, tmp_path: Path) -> None:
    """A result for a tube not scanned in rejects the file; nothing is recorded."""
    run(seeded, "campaign", "new", "c", "--pool-size", "2")
    run(seeded, "manifest", "c", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp_path / "m.csv")))
    run(seeded, "receive", "c", "-", input=codes[0] + "\n")
    path = write_results(tmp_path / "r.csv", [(codes[0], "negative", "", ""), (codes[1], "negative", "", "")])
    r = run(seeded, "results", "import", "c", str(path))
    assert 1 == r.exit_code
    assert "r.csv:3" in r.output and codes[1] in r.output and "never received" in r.output
    assert {} == {k: v for k, v in _status(seeded)["results"].items() if v}


def test_two_different_results_need_amend(received: tuple[str, list[str]], tmp_path: Path) -> None:
    """A different call for a resulted tube is refused; --amend --reason records it beside the old one."""
    url, codes = received
    run(url, "results", "import", "c", str(write_results(tmp_path / "a.csv", [(codes[0], "negative", "", "")])))
    b = write_results(tmp_path / "b.csv", [(codes[0], "positive", "30.1", "31.0")])
    r = run(url, "results", "import", "c", str(b))
    assert 1 == r.exit_code
    assert "b.csv:2" in r.output and "--amend" in r.output
    r = run(url, "results", "import", "c", str(b), "--amend")
    assert 1 == r.exit_code and "--reason" in r.output
    r = run(url, "results", "import", "c", str(b), "--amend", "--reason", "plate swapped")
    assert 0 == r.exit_code, r.output
    assert {"positive": 1} == {k: v for k, v in _status(url)["results"].items() if v}
    from poolab.store.engine import open_store
    from poolab.store.reports import result_history
    from poolab.store.tubes import tube_states

    store = open_store(url)
    with store.begin() as conn:
        history = result_history(conn, tube_id=tube_states(conn, barcodes=[codes[0]])[codes[0]].id)
    store.dispose()
    assert ["negative", "positive"] == [h[1] for h in history]
    assert "plate swapped" == history[1][5]


def test_two_different_results_in_one_file(received: tuple[str, list[str]], tmp_path: Path) -> None:
    """One tube with two calls in one file rejects the file, naming both lines."""
    url, codes = received
    path = write_results(tmp_path / "r.csv", [(codes[0], "negative", "", ""), (codes[0], "positive", "", "")])
    r = run(url, "results", "import", "c", str(path))
    assert 1 == r.exit_code
    assert "r.csv:3" in r.output and "line 2" in r.output


def test_same_results_file_twice_is_a_noop(received: tuple[str, list[str]], tmp_path: Path) -> None:
    """Importing the same file again changes nothing and says so."""
    url, codes = received
    path = write_results(tmp_path / "r.csv", [(c, "negative", "", "") for c in codes])
    assert 0 == run(url, "results", "import", "c", str(path)).exit_code
    r = run(url, "results", "import", "c", str(path))
    assert 0 == r.exit_code
    assert "already imported" in r.output
    assert {"negative": len(codes)} == {k: v for k, v in _status(url)["results"].items() if v}


def test_invalid_result_takes_its_rerun(received: tuple[str, list[str]], tmp_path: Path) -> None:
    """A failed run is listed for re-run; its re-run result is recorded without --amend."""
    url, codes = received
    run(url, "results", "import", "c", str(write_results(tmp_path / "a.csv", [(codes[0], "invalid", "", "")])))
    run(url, "rerun", "c", "-o", str(tmp_path / "rr.csv"))
    assert [codes[0]] == [x["tube_barcode"] for x in read_csv(tmp_path / "rr.csv")]
    r = run(url, "results", "import", "c", str(write_results(tmp_path / "b.csv", [(codes[0], "negative", "", "")])))
    assert 0 == r.exit_code, r.output
    run(url, "rerun", "c", "-o", str(tmp_path / "rr2.csv"))
    assert [] == read_csv(tmp_path / "rr2.csv")


def test_bad_result_value_and_ct(received: tuple[str, list[str]], tmp_path: Path) -> None:
    """An unknown call and a non-numeric Ct are each named with their line and value."""
    url, codes = received
    path = write_results(tmp_path / "r.csv", [(codes[0], "positiv", "", ""), (codes[1], "positive", "abc", "")])
    r = run(url, "results", "import", "c", str(path))
    assert 1 == r.exit_code
    assert "r.csv:2" in r.output and "'positiv'" in r.output
    assert "r.csv:3" in r.output and "'abc'" in r.output


def test_household_ids_numbered_per_compound(store_url: str, tmp_path: Path) -> None:
    """H1 in two compounds is two households: both import, and no tube mixes the compounds."""
    run(store_url, "init")
    lines = [f"R{i},,,,{'东区' if i < 4 else '西区'},1,1,10{i},H1\n" for i in range(8)]
    r = run(store_url, "roster", "import", str(_roster(tmp_path, lines)))
    assert 0 == r.exit_code, r.output
    run(store_url, "campaign", "new", "c", "--pool-size", "10")
    run(store_url, "manifest", "c", "-o", str(tmp_path / "m.csv"))
    tubes: dict[str, set[str]] = {}
    for row in read_csv(tmp_path / "m.csv"):
        tubes.setdefault(row["tube_barcode"], set()).add(row["compound"])
    assert [1, 1] == sorted(len(c) for c in tubes.values())
