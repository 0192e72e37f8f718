"""End to end through the CLI on a small district: every workflow command of the README."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import cast

import pytest

from tests.workflow import read_csv, run, write_results

pytestmark = pytest.mark.store


def _district_loop(url: str, roster: Path, tmp: Path) -> dict[str, object]:
    assert 0 == run(url, "init").exit_code
    r = run(url, "roster", "import", str(roster))
    assert 0 == r.exit_code, r.output
    assert "600 new" in r.output
    r = run(url, "campaign", "new", "day1")
    assert 0 == r.exit_code, r.output
    r = run(url, "manifest", "day1", "-o", str(tmp / "m.csv"))
    assert 0 == r.exit_code, r.output
    manifest = read_csv(tmp / "m.csv")
    return {"manifest": manifest}


def test_whole_loop(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """roster → campaign → manifest → collect → receive → results → retest → positives → status."""
    url = store_url
    rows = cast(list[dict[str, str]], _district_loop(url, small_roster_csv, tmp_path)["manifest"])
    assert 600 == len(rows)
    assert [
        "tube_barcode",
        "slot",
        "resident_id",
        "name",
        "compound",
        "building",
        "unit",
        "room",
        "household_id",
    ] == list(rows[0].keys())
    assert all("*" in r["name"] for r in rows if r["name"])  # masked by default
    tubes: dict[str, list[str]] = {}
    for row in rows:
        tubes.setdefault(row["tube_barcode"], []).append(row["resident_id"])
    codes = list(tubes)
    # collection: the team scans each tube
    (tmp_path / "collect.txt").write_text("\n".join(codes[:5]) + "\n", encoding="utf-8")
    r = run(url, "collect", "day1", str(tmp_path / "collect.txt"))
    assert 0 == r.exit_code, r.output
    # reception: every tube, in lower case with CRLF as some scanners send them
    (tmp_path / "scans.txt").write_bytes("".join(c.lower() + "\r\n" for c in codes).encode())
    r = run(url, "receive", "day1", str(tmp_path / "scans.txt"))
    assert 0 == r.exit_code, r.output
    assert f"{len(codes)} tubes accepted, 0 refused" in r.output
    # results: two positive pools, one inconclusive, one invalid, the rest negative
    pos, inc, inv = codes[0], codes[3], codes[7]
    res = [(c, "negative", "", "") for c in codes]
    res[0] = (pos, "positive", "31.2", "32.0")
    res[3] = (inc, "inconclusive", "37.1", "")
    res[7] = (inv, "invalid", "", "")
    write_results(tmp_path / "res.csv", res)
    r = run(url, "results", "import", "day1", str(tmp_path / "res.csv"))
    assert 0 == r.exit_code, r.output
    r = run(url, "rerun", "day1", "-o", str(tmp_path / "rerun.csv"))
    assert 0 == r.exit_code, r.output
    assert [inv] == [x["tube_barcode"] for x in read_csv(tmp_path / "rerun.csv")]
    r = run(url, "retest", "day1", "-o", str(tmp_path / "retest.csv"))
    assert 0 == r.exit_code, r.output
    retest = read_csv(tmp_path / "retest.csv")
    assert sorted(tubes[pos] + tubes[inc]) == sorted(x["resident_id"] for x in retest)
    assert {pos, inc} == {x["pool_tube_barcode"] for x in retest}
    # asked again: the same people keep the same tubes
    r = run(url, "retest", "day1", "-o", str(tmp_path / "retest2.csv"))
    assert retest == read_csv(tmp_path / "retest2.csv")
    # the individual tubes come back: the first member of the positive pool is positive
    indiv = [x["retest_tube_barcode"] for x in retest]
    (tmp_path / "scans2.txt").write_text("\n".join(indiv) + "\n", encoding="utf-8")
    assert 0 == run(url, "receive", "day1", str(tmp_path / "scans2.txt")).exit_code
    sick = tubes[pos][0]
    ind = [(x["retest_tube_barcode"], "positive" if x["resident_id"] == sick else "negative", "", "") for x in retest]
    write_results(tmp_path / "ind.csv", ind)
    assert 0 == run(url, "results", "import", "day1", str(tmp_path / "ind.csv")).exit_code
    r = run(url, "positives", "day1", "-o", str(tmp_path / "pos.csv"))
    assert 0 == r.exit_code, r.output
    positives = read_csv(tmp_path / "pos.csv")
    assert [sick] == [x["resident_id"] for x in positives]
    assert ["resident_id", "name", "compound", "building", "unit", "room", "household_id", "tube_barcode"] == list(
        positives[0]
    )
    r = run(url, "status", "day1", "--json")
    assert 0 == r.exit_code, r.output
    status = json.loads(r.output)
    assert 600 == status["residents"]
    assert len(codes) == status["pools"]
    assert len(retest) == status["retest"]
    assert 1 == status["confirmed_positive"]
    assert {"planned", "collected", "received", "resulted"} == set(status["tubes"])
    assert len(codes) + len(retest) == status["tubes"]["resulted"] + status["tubes"]["received"]
    assert Counter(
        {"negative": len(codes) - 3 + len(retest) - 1, "positive": 2, "inconclusive": 1, "invalid": 1}
    ) == Counter({k: v for k, v in status["results"].items() if v})
    r = run(url, "status", "day1")
    assert "confirmed positive residents: 1" in r.output


def test_one_tube_per_household_and_compound_filter(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """1户1管 restricted to one compound: one tube per household, only that compound."""
    run(store_url, "init")
    run(store_url, "roster", "import", str(small_roster_csv))
    roster = read_csv(small_roster_csv)
    compound = roster[0]["compound"]
    r = run(store_url, "campaign", "new", "sealed", "--one-tube-per-household", "--compound", compound)
    assert 0 == r.exit_code, r.output
    run(store_url, "manifest", "sealed", "-o", str(tmp_path / "m.csv"), "--unmasked")
    m = read_csv(tmp_path / "m.csv")
    mine = [x for x in roster if x["compound"] == compound]
    assert sorted(x["resident_id"] for x in mine) == sorted(x["resident_id"] for x in m)
    households: dict[str, set[str]] = {}
    for x in m:
        households.setdefault(x["tube_barcode"], set()).add(x["household_id"])
    assert all(1 == len(h) for h in households.values())
    names = {x["resident_id"]: x["name"] for x in mine}
    assert all(names[x["resident_id"]] == x["name"] for x in m)  # --unmasked


def test_field_binding_collect(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """Field binding: a tube scan opens a tube, resident scans fill it; a resident bound twice is refused."""
    run(store_url, "init")
    run(store_url, "roster", "import", str(small_roster_csv))
    roster = read_csv(small_roster_csv)
    r = run(store_url, "campaign", "new", "field", "--field-binding", "--pool-size", "3")
    assert 0 == r.exit_code, r.output
    ids = [x["resident_id"] for x in roster[:5]]
    scans = ["TUBE-0001", ids[0], ids[1], ids[2], ids[3], "tube-0002", ids[4], ids[0]]
    # ids[3] arrives after the first tube is full (3): refused, nothing else lost
    r = run(store_url, "collect", "field", "-", input="\n".join(scans) + "\n")
    assert 1 == r.exit_code
    assert "<stdin>:5" in r.output and "no open tube" in r.output
    assert "<stdin>:8" in r.output and "already bound" in r.output
    run(store_url, "manifest", "field", "-o", str(tmp_path / "m.csv"))
    m = read_csv(tmp_path / "m.csv")
    bound = {x["resident_id"]: x["tube_barcode"] for x in m if x["tube_barcode"]}
    assert {ids[0]: "TUBE-0001", ids[1]: "TUBE-0001", ids[2]: "TUBE-0001", ids[4]: "TUBE-0002"} == bound
    assert 600 == len(m)
    # the pre-printed tubes go through the lab like any other
    r = run(store_url, "receive", "field", "-", input="TUBE-0001\ntube-0002\n")
    assert 0 == r.exit_code, r.output


def test_results_enter_interactive(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """Keyed entry: a wrong key or an unknown tube records nothing; good keys record at once."""
    run(store_url, "init")
    run(store_url, "roster", "import", str(small_roster_csv))
    run(store_url, "campaign", "new", "d")
    run(store_url, "manifest", "d", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp_path / "m.csv")))
    run(store_url, "receive", "d", "-", input="\n".join(codes[:3]) + "\n")
    keys = f"{codes[0]}\nz\n{codes[0]}\np 30.5 31\nP0000000000\n{codes[1]}\nn\n{codes[5]}\nq\n"
    r = run(store_url, "results", "enter", "d", input=keys)
    assert 1 == r.exit_code, r.output  # something was refused (issue 21)
    assert "not a result" in r.output
    assert "recorded positive" in r.output
    assert "never received" in r.output  # codes[5] was not scanned in
    assert "2 recorded, 0 corrected, 3 refused" in r.output
    status = json.loads(run(store_url, "status", "d", "--json").output)
    assert {"positive": 1, "negative": 1} == {k: v for k, v in status["results"].items() if v}


def test_results_enter_checks_cts_and_ends_cleanly(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """Keyed Cts are checked as a file's are (0-50, numbers); an empty line (a scanner's)
    does not end the session; Ctrl-D ends it with a summary (exit 1: keys were refused); --amend without
    --reason is refused before the first tube."""
    run(store_url, "init")
    run(store_url, "roster", "import", str(small_roster_csv))
    run(store_url, "campaign", "new", "d")
    run(store_url, "manifest", "d", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp_path / "m.csv")))
    run(store_url, "receive", "d", "-", input="\n".join(codes[:4]) + "\n")
    keys = f"{codes[0]}\np 99 -5\n{codes[0]}\np nan inf\n{codes[0]}\nn 1e308 0\n\n{codes[1]}\nn\n"
    r = run(store_url, "results", "enter", "d", input=keys)  # the input ends: Ctrl-D
    assert 1 == r.exit_code, r.output  # three Cts were refused
    assert 3 == r.output.count("out of range (0 to 50 cycles)"), r.output
    assert "1 recorded, 0 corrected, 3 refused" in r.output
    status = json.loads(run(store_url, "status", "d", "--json").output)
    assert {"negative": 1} == {k: v for k, v in status["results"].items() if v}
    r = run(store_url, "results", "enter", "d", "--amend", input=f"{codes[2]}\np\n")
    assert 1 == r.exit_code and "--reason" in r.output and "tube>" not in r.output


def test_commands_need_a_store(tmp_path: Path) -> None:
    """A command on a store that does not exist says how to create it."""
    url = f"sqlite:///{tmp_path / 'none.db'}"
    r = run(url, "status", "x")
    assert 1 == r.exit_code
    assert "poolab" in r.output and "init" in r.output
    assert not (tmp_path / "none.db").exists()


def test_every_command_has_help() -> None:
    """`--help` works for every command and subcommand and teaches something."""
    from click.testing import CliRunner

    from poolab_cli.main import COMMANDS, cli

    runner = CliRunner()
    for name in COMMANDS:
        r = runner.invoke(cli, [name, "--help"])
        assert 0 == r.exit_code, (name, r.output)
        assert len(r.output) > 80, name
    for sub in (
        ["roster", "demo"],
        ["roster", "import"],
        ["campaign", "new"],
        ["results", "import"],
        ["results", "watch"],
        ["results", "enter"],
    ):
        r = runner.invoke(cli, [*sub, "--help"])
        assert 0 == r.exit_code, sub


def test_demo_small(tmp_path: Path) -> None:
    """`poolab demo` on a small district: confirmed positives are the detectable infected."""
    from click.testing import CliRunner

    from poolab_cli.main import cli

    r = CliRunner().invoke(
        cli,
        [
            "demo",
            "--residents",
            "800",
            "--households",
            "500",
            "--compounds",
            "3",
            "--infected",
            "6",
            "--seed",
            "3",
            "--folder",
            str(tmp_path / "demo"),
        ],
    )
    assert 0 == r.exit_code, r.output
    assert "exactly the detectable infected residents" in r.output
    for f in ("poolab.db", "roster.csv", "manifest.csv", "plates.csv", "retest.csv", "positives.csv"):
        assert (tmp_path / "demo" / f).exists(), f
    # the bench: a QuantStudio export per plate, every plate resulted or re-run
    plates = {row["plate_barcode"] for row in read_csv(tmp_path / "demo" / "plates.csv")}
    assert plates == {
        p.name.removeprefix("qpcr-").removesuffix(".txt") for p in (tmp_path / "demo").glob("qpcr-L*.txt")
    }


def test_status_lists_what_is_missing(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """--missing names the tubes not yet received and the received tubes without a result."""
    run(store_url, "init")
    run(store_url, "roster", "import", str(small_roster_csv))
    run(store_url, "campaign", "new", "d")
    run(store_url, "manifest", "d", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp_path / "m.csv")))
    run(store_url, "receive", "d", "-", input="\n".join(codes[:3]) + "\n")
    run(store_url, "results", "import", "d", str(write_results(tmp_path / "r.csv", [(codes[0], "negative", "", "")])))
    r = run(store_url, "status", "d", "--json", "--missing")
    assert 0 == r.exit_code, r.output
    missing = json.loads(r.output)["missing"]
    assert codes[3:] == missing["awaiting_receipt"]
    assert codes[1:3] == missing["awaiting_result"]


def test_roster_demo_writes_an_importable_district(store_url: str, tmp_path: Path) -> None:
    """`roster demo` writes the requested counts in the chosen encoding; it imports cleanly."""
    out = tmp_path / "d.csv"
    r = run(
        store_url,
        "roster",
        "demo",
        "-o",
        str(out),
        "--residents",
        "300",
        "--households",
        "180",
        "--compounds",
        "2",
        "--seed",
        "5",
        "--encoding",
        "gb18030",
    )
    assert 0 == r.exit_code, r.output
    text = out.read_bytes().decode("gb18030")
    rows = text.strip().split("\n")[1:]
    assert 300 == len(rows)
    assert 180 == len({row.split(",")[8] for row in rows})
    assert 2 == len({row.split(",")[4] for row in rows})
    run(store_url, "init")
    r = run(store_url, "roster", "import", str(out))
    assert 0 == r.exit_code, r.output
    assert "(gb18030): 300 rows; 300 new" in r.output


def test_init_creates_then_is_up_to_date(store_url: str) -> None:
    """`init` creates a store, then leaves a current one alone; a command on a store that
    does not exist says how to create it."""
    r = run(store_url, "status", "x")
    assert 1 == r.exit_code and "init" in r.output
    assert "created" in run(store_url, "init").output
    assert "up to date" in run(store_url, "init").output
    r = run(store_url, "status", "x")
    assert 1 == r.exit_code and "no campaign 'x'" in r.output


def test_compile_fills_the_kernel_cache() -> None:
    """`poolab compile` compiles (or loads) every kernel group and says how long it took."""
    from click.testing import CliRunner

    from poolab_cli.main import cli

    r = CliRunner().invoke(cli, ["compile"])
    assert 0 == r.exit_code, r.output
    for group in ("pool assignment", "resample rule", "decoders", "simulator", "total"):
        assert group in r.output


def test_readme_documents_every_command() -> None:
    """Every top-level command is shown in the README (a command nobody can find is not there)."""
    from poolab_cli.main import COMMANDS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f"poolab {name}" not in readme]
    assert [] == missing


def test_campaign_list(store_url: str, small_roster_csv: Path) -> None:
    """`campaign list` names every campaign with its mode and tube count, oldest first."""
    run(store_url, "init")
    assert "no campaigns yet" in run(store_url, "campaign", "list").output
    run(store_url, "roster", "import", str(small_roster_csv))
    run(store_url, "campaign", "new", "day1")
    run(store_url, "campaign", "new", "sealed", "--one-tube-per-household")
    r = run(store_url, "campaign", "list")
    assert 0 == r.exit_code, r.output
    lines = r.output.strip().splitlines()
    assert lines[1].startswith("day1") and "pooled" in lines[1] and "tester" in lines[1]
    assert lines[2].startswith("sealed") and "one tube per household" in lines[2]


def test_compiling_a_kernel_is_announced(capsys: pytest.CaptureFixture[str]) -> None:
    """When numba compiles (a cache miss after an install), the CLI says so once on stderr
    instead of staying silent for seconds."""
    import numba

    from poolab_cli import main

    main._announce_compilation()
    main._ANNOUNCER[0].said = False  # a command earlier in this process may have announced already
    numba.njit(lambda x: x + 1)(1)  # a fresh function: numba compiles it
    numba.njit(lambda x: x + 2)(1)
    assert 1 == capsys.readouterr().err.count("compiling numeric kernels (first run only")
