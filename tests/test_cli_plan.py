"""``poolab plan opchar|optimize|curve`` end to end through Click."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from poolab.plan.dilution import DilutionModel
from poolab.plan.opchar import opchar
from poolab.plan.optimize import optimize
from poolab_cli.main import cli

KEYS = ["design", "expected_tests_per_individual", "pse", "psp", "pppv", "pnpv"]


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["plan", *args])
    return result.exit_code, result.stdout, result.stderr


def test_opchar_json_is_one_object_with_the_contract_keys() -> None:
    """opchar --json prints exactly one JSON object with the contract keys: the library's figures."""
    code, out, _ = _run("opchar", "--design", "dorfman:10", "-p", "0.01", "--se", "0.99", "--sp", "0.99", "--json")
    assert 0 == code
    obj = json.loads(out)
    assert KEYS == list(obj)
    assert opchar("dorfman:10", 0.01, 0.99, 0.99).as_dict() == obj
    # binGroup2 1.3.3 vignette, opChar1(algorithm = "D2", p = 0.01, Se = Sp = 0.99): 0.2037 tests per person
    assert 0.2037 == round(obj["expected_tests_per_individual"], 4)


def test_residents_give_the_layouts_figures() -> None:
    """opchar and optimize --residents N print the library's figures for the actual layout."""
    code, out, _ = _run("opchar", "-d", "std:5-3", "-p", "0.01", "--residents", "27", "--json")
    assert 0 == code
    assert opchar("std:5-3", 0.01, residents=27).as_dict() == json.loads(out)
    code, out, _ = _run("optimize", "-f", "std", "-p", "0.005", "-n", "1000", "-k", "50", "--json")
    assert 0 == code
    found = optimize("std", 0.005, max_pool_size=50, residents=1000)
    assert found.best.as_dict() == {k: json.loads(out)[k] for k in KEYS}
    code, out, _ = _run("opchar", "-d", "std:7-4-3", "-p", "0.005", "-n", "1000")
    assert 0 == code and "1000 people as laid out" in out


def test_layout_of_an_array_with_leftovers_needs_the_plan() -> None:
    """plan layout of an array whose last square is partial asks for --prevalence (or
    --leftovers) and then lays the leftovers out as the planner does."""
    code, out, err = _run("layout", "-d", "array:10", "-n", "1050", "-o", "-")
    assert 1 == code and "leaves 50" in err and "--leftovers" not in out
    code, out, _ = _run("layout", "-d", "array:10", "-n", "1050", "-p", "0.001", "--se", "0.98", "-o", "-")
    assert 0 == code
    kinds = [line.split(",")[2] for line in out.splitlines()[1:]]
    assert 5 == kinds[:-1050].count("pool")  # 50 leftovers in Dorfman pools of 10, tested with the lines


def test_opchar_per_stage_accuracy() -> None:
    """--se/--sp accept one value per stage (hier: pool, subpool, individual)."""
    code, out, _ = _run(
        "opchar", "--design", "hier:18-5", "-p", "0.001", "--se", "0.95,0.95,0.99", "--sp", "0.96,0.96,0.98", "--json"
    )
    assert 0 == code
    assert round(0.95 * 0.95 * 0.99, 6) == round(json.loads(out)["pse"], 6)


def test_opchar_table() -> None:
    """Without --json, opchar prints a readable table with the design and its saving."""
    code, out, _ = _run("opchar", "--design", "array:10", "-p", "0.01")
    assert 0 == code
    expected = opchar("array:10", 0.01).expected_tests_per_individual
    assert "array:10" in out and f"{expected:.5f}" in out and "fewer tests" in out


def test_optimize_json_best_design() -> None:
    """optimize --json gives the best design under the contract keys, plus the ranking."""
    code, out, _ = _run("optimize", "--family", "dorfman", "-p", "0.01", "--json")
    assert 0 == code
    obj = json.loads(out)
    assert KEYS == list(obj)[:6]
    found = optimize("dorfman", 0.01)
    assert found.best.as_dict() == {k: obj[k] for k in KEYS}
    assert [r.as_dict() for r in found.ranked] == obj["ranked"]
    # Dorfman's perfect-assay optimum at p = 0.01 is K = 11 (Finucan 1964; binGroup2 OTC1)
    assert "dorfman:11" == obj["design"]


def test_optimize_with_dilution_and_floor() -> None:
    """--dilution with --min-pse gives a design meeting the floor, shown in a table."""
    code, out, _ = _run("optimize", "-f", "dorfman", "-p", "0.001", "--se", "0.99", "--dilution", "--min-pse", "0.8")
    assert 0 == code
    found = optimize("dorfman", 0.001, 0.99, 1.0, min_pse=0.8, dilution=DilutionModel())
    assert found.best.pse >= 0.8
    assert "best dorfman design" in out and f"{found.best.design} " in out


@pytest.mark.parametrize(
    "args, message",
    [
        (("opchar", "--design", "dorfman:10", "-p", "1.5"), "prevalence"),
        (("opchar", "--design", "dorfman:10", "-p", "0"), "prevalence"),
        (("opchar", "--design", "dorfman:10", "-p", "0.1", "--se", "1.2"), "(0, 1]"),
        (("opchar", "--design", "dorfman:10", "-p", "0.1", "--se", "0,0.9"), "(0, 1]"),
        (("opchar", "--design", "dorfman:10", "-p", "0.1", "--se", "x"), "comma list"),
        (("opchar", "--design", "dorfman:10", "-p", "0.1", "--sp", "0.9,0.9,0.9"), "2 stages"),
        (("opchar", "--design", "zigzag:3", "-p", "0.1"), "not a SPEC"),
        (("optimize", "--family", "zigzag", "-p", "0.1"), "unknown family"),
        (("optimize", "--family", "array", "-p", "0.1", "--se", "0.9", "--min-pse", "0.99"), "highest PSe"),
    ],
)
def test_bad_values_exit_non_zero_with_a_message(args: tuple[str, ...], message: str) -> None:
    """Bad prevalence, Se, family or SPEC: exit status 1 and an error naming the problem."""
    code, out, err = _run(*args)
    assert 1 == code
    assert "" == out
    assert message in err


def test_help_teaches_with_examples() -> None:
    """Every plan command's --help shows worked examples."""
    for command in ("opchar", "optimize", "curve", "advise"):
        code, out, _ = _run(command, "--help")
        assert 0 == code
        assert "Examples:" in out and f"poolab plan {command}" in out


def test_curve_writes_a_png(tmp_path: Path) -> None:
    """plan curve writes a real PNG (signature bytes, non-trivial size)."""
    target = tmp_path / "curves.png"
    code, out, _ = _run(
        "curve", "-o", str(target), "-d", "dorfman:10", "-d", "array:10", "--se", "0.99", "--sp", "0.99", "--dilution"
    )
    assert 0 == code
    data = target.read_bytes()
    assert b"\x89PNG\r\n\x1a\n" == data[:8]
    assert len(data) > 20_000
    assert str(target) in out


def test_curve_without_matplotlib_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without matplotlib, plan curve exits 1 and names the pip extra to install."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    code, _, err = _run("curve", "-o", str(tmp_path / "c.png"))
    assert 1 == code
    assert "pip install 'poolab[plot]'" in err
    assert not (tmp_path / "c.png").exists()


def test_optimize_under_dilution_keeps_a_pse_floor_and_says_so() -> None:
    """Under --dilution the cheapest design is no longer one that misses a quarter of the
    positives (dorfman:38 at PSe 0.77 before): the default floor keeps PSe within 10% of
    testing one by one, the PSe is printed beside the recommendation, and a PSe below 0.9
    is warned about."""
    from poolab.plan.advise import pse_floor
    from poolab.plan.dilution import DilutionModel

    r = CliRunner().invoke(cli, ["plan", "optimize", "--family", "dorfman", "-p", "0.001", "--dilution", "--json"])
    assert 0 == r.exit_code, r.output
    best = json.loads(r.output)
    assert best["pse"] >= pse_floor("dorfman", (1.0,), DilutionModel())
    r = CliRunner().invoke(cli, ["plan", "optimize", "--family", "dorfman", "-p", "0.001", "--dilution"])
    assert f"PSe {best['pse']:.4f}" in r.output and "PSe at least" in r.output
    assert "warning:" in r.output and "PSe below 0.9" in r.output
