"""``poolab plan layout`` and ``poolab plan decode`` end to end through Click, perfect assay."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from poolab_cli.main import cli
from tests.budget import share
from tests.strategies import design_specs, truth_vectors


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["plan", *args])
    return result.exit_code, result.stdout, result.stderr


LAID = ("--prevalence", "0.05")  # an array's leftovers: laid out the cheapest way at 5%


def layout(folder: Path, spec: str, n: int) -> list[tuple[int, int, str, list[int]]]:
    """Run ``plan layout`` and read its CSV back: (pool, stage, kind, members)."""
    code, out, err = run("layout", "--design", spec, "--residents", str(n), "-o", str(folder / "layout.csv"), *LAID)
    assert (0, "") == (code, err)
    with open(folder / "layout.csv", newline="", encoding="utf-8") as f:
        return [
            (int(r["pool"]), int(r["stage"]), r["kind"], [int(m) for m in r["members"].split()])
            for r in csv.DictReader(f)
        ]


def decode_json(folder: Path, spec: str, n: int, results: dict[int, bool], *extra: str) -> dict:
    """Write the lab's results CSV, run ``plan decode --json`` and return its object."""
    lines = ["pool,result"] + [f"{p},{'positive' if v else 'negative'}" for p, v in sorted(results.items())]
    (folder / "results.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(
        "decode", "-d", spec, "-n", str(n), "--results", str(folder / "results.csv"),
        "-o", str(folder / "calls.csv"), "--json", *LAID, *extra,
    )  # fmt: skip
    assert (0, "") == (code, err)
    return json.loads(out)


def report(folder: Path) -> list[dict[str, str]]:
    with open(folder / "calls.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@st.composite
def cases(draw: st.DrawFn, families: tuple[str, ...] = ("dorfman", "hier", "array", "array-master", "std")) -> tuple:
    spec = draw(design_specs(families))
    n = draw(st.integers(1, 30))
    return spec, n, draw(truth_vectors(n))


@settings(max_examples=share(0.2))  # each example: several CLI runs
@given(cases())
def test_layout_then_decode_rounds_find_every_positive(case: tuple) -> None:
    """Layout, then decode --json round after round until nothing is pending: the calls are the truth."""
    spec, n, truth = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pools = layout(folder, spec, n)
        positive = {p: any(truth[m - 1] for m in ms) for p, _, _, ms in pools}
        results = {p: positive[p] for p, s, _, _ in pools if s == 1}
        while True:
            obj = decode_json(folder, spec, n, results, "--decoder", "staged")
            if not obj["next_pools"]:
                break
            results.update({p: positive[p] for p in obj["next_pools"]})
        rows = report(folder)
    assert (int(truth.sum()), n - int(truth.sum()), 0) == (obj["positive"], obj["negative"], obj["pending"])
    assert [str(i) for i in range(1, n + 1)] == [r["individual"] for r in rows]
    assert ["positive" if t else "negative" for t in truth] == [r["call"] for r in rows]
    assert {""} == {r["posterior"] for r in rows}


@settings(max_examples=share(0.2))  # each example: several CLI runs
@given(cases(("dorfman",)))
def test_dorfman_after_stage1_lists_the_members_of_positive_pools(case: tuple) -> None:
    """After stage 1 of dorfman, the pending people are the members of positive pools, each with their own test."""
    spec, n, truth = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pools = layout(folder, spec, n)
        first = {p: ms for p, s, _, ms in pools if s == 1}
        alone = {ms[0]: p for p, s, _, ms in pools if s == 2}
        obj = decode_json(folder, spec, n, {p: bool(truth[np.array(ms) - 1].any()) for p, ms in first.items()})
        rows = report(folder)
    pending = sorted(m for ms in first.values() if truth[np.array(ms) - 1].any() for m in ms)
    assert len(pending) == obj["pending"]
    assert [alone[m] for m in pending] == obj["next_pools"]
    assert [str(m) for m in pending] == [r["individual"] for r in rows if r["call"] == "pending"]
    assert [str(alone[m]) for m in pending] == [r["next_pools"] for r in rows if r["call"] == "pending"]


@settings(max_examples=share(0.2))  # each example: several CLI runs
@given(cases(("std",)))
def test_comp_and_dd_through_the_cli(case: tuple) -> None:
    """On one std round: COMP (the default) never misses a positive, DD never calls a negative positive."""
    spec, n, truth = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pools = layout(folder, spec, n)
        results = {p: bool(truth[np.array(ms) - 1].any()) for p, s, _, ms in pools if s == 1}
        calls = {}
        for decoder in ("comp", "dd", "scomp"):
            extra = () if decoder == "comp" else ("--decoder", decoder)
            obj = decode_json(folder, spec, n, results, *extra)
            assert (decoder, 0, []) == (obj["decoder"], obj["pending"], obj["next_pools"])
            calls[decoder] = np.array([r["call"] == "positive" for r in report(folder)])
    assert [] == np.flatnonzero(truth & ~calls["comp"]).tolist()
    assert [] == np.flatnonzero(calls["dd"] & ~truth).tolist()
    assert [] == np.flatnonzero(calls["scomp"] & ~calls["comp"]).tolist()


@settings(max_examples=share(0.2))  # each example: several CLI runs
@given(cases(("dorfman", "array")))
def test_bayes_through_the_cli(case: tuple) -> None:
    """--decoder bayes writes a posterior in [0, 1] per person, 1 or 0 (the truth) after every stage."""
    spec, n, truth = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pools = layout(folder, spec, n)
        results = {p: bool(truth[np.array(ms) - 1].any()) for p, _, _, ms in pools}
        obj = decode_json(folder, spec, n, results, "--decoder", "bayes", "-p", "0.05", "--threshold", "0.5")
        posts = np.array([float(r["posterior"]) for r in report(folder)])
    assert bool(np.all((posts >= 0) & (posts <= 1)))
    assert [] == np.flatnonzero(np.abs(posts - truth) > 1e-5).tolist()
    assert (int(truth.sum()), 0, []) == (obj["positive"], obj["pending"], obj["next_pools"])


def test_bad_results_file_exits_1_naming_file_line_and_value(tmp_path: Path) -> None:
    """A results CSV with an unknown pool, a bad word and a conflicting duplicate: exit 1, each line named."""
    path = tmp_path / "lab.csv"
    path.write_text("pool,result\n1,negative\n40,positive\n2,posit1ve\n1,positive\n", encoding="utf-8")
    code, out, err = run("decode", "-d", "dorfman:5", "-n", "20", "-r", str(path), "-o", str(tmp_path / "c.csv"))
    assert 1 == code
    assert "lab.csv:3:" in err and "'40'" in err
    assert "lab.csv:4:" in err and "'posit1ve'" in err
    assert "lab.csv:5:" in err and "line 2" in err
    assert not (tmp_path / "c.csv").exists()


def test_wrong_decoder_and_missing_prevalence_are_errors(tmp_path: Path) -> None:
    """dd on a staged design, or bayes without --prevalence, exit 1 with a message saying what to do."""
    path = tmp_path / "r.csv"
    path.write_text("pool,result\n1,negative\n", encoding="utf-8")
    base = ("decode", "-d", "dorfman:5", "-n", "20", "-r", str(path), "-o", str(tmp_path / "c.csv"))
    code, _, err = run(*base, "--decoder", "dd")
    assert (1, True) == (code, "std:Q-K" in err)
    code, _, err = run(*base, "--decoder", "bayes")
    assert (1, True) == (code, "--prevalence" in err)
    code, _, err = run("layout", "-d", "dorfman:1", "-n", "20", "-o", str(tmp_path / "l.csv"))
    assert (1, True) == (code, "dorfman:1" in err)


def test_decode_summary_without_json(tmp_path: Path) -> None:
    """Without --json, decode says what it wrote and which pools to test next."""
    path = tmp_path / "r.csv"
    path.write_text("pool,result\n1,negative\n2,positive\n", encoding="utf-8")
    code, out, _ = run("decode", "-d", "dorfman:5", "-n", "10", "-r", str(path), "-o", str(tmp_path / "c.csv"))
    assert 0 == code
    assert "5 negative, 5 pending" in out and "test next: pools 8 9 10 11 12" in out


def test_help_has_a_worked_example() -> None:
    """layout and decode --help show the layout -> lab -> decode example."""
    code, out, _ = run("decode", "--help")
    assert 0 == code
    assert "poolab plan layout" in out and "poolab plan decode" in out and "--decoder" in out
    code, out, _ = run("layout", "--help")
    assert 0 == code and "pool,stage,kind,members" in out


def _fill_in(layout_csv: Path, results: dict[int, str]) -> None:
    """The lab fills in the result column of the layout file, keeping every other cell."""
    with open(layout_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["result"] = results.get(int(r["pool"]), r["result"])
    with open(layout_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_layout_records_design_and_residents(tmp_path: Path) -> None:
    """plan layout writes an empty result column and the design and N on every row."""
    layout_csv = tmp_path / "layout.csv"
    assert 0 == run("layout", "-d", "std:13-3", "-n", "200", "-o", str(layout_csv))[0]
    with open(layout_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert ["pool", "stage", "kind", "members", "result", "design", "residents"] == list(rows[0])
    assert {("", "std:13-3", "200")} == {(r["result"], r["design"], r["residents"]) for r in rows}


@pytest.mark.parametrize("design, n", [("dorfman:10", "1000"), ("dorfman:5", "1050"), ("DORFMAN:10", "1000")])
def test_decode_refuses_results_laid_out_for_another_design_or_n(tmp_path: Path, design: str, n: str) -> None:
    """Results filled into the layout of dorfman:10 on 1,050 people, decoded as another
    design or N: exit 1, one line naming the file, its line and both layouts, no report."""
    layout_csv = tmp_path / "layout.csv"
    assert 0 == run("layout", "-d", "dorfman:10", "-n", "1050", "-o", str(layout_csv))[0]
    _fill_in(layout_csv, {1: "negative", 2: "positive"})
    code, out, err = run("decode", "-d", design, "-n", n, "-r", str(layout_csv), "-o", str(tmp_path / "c.csv"))
    lines = err.strip().splitlines()
    assert (1, 1) == (code, len(lines)), err
    assert "layout.csv:2: these results are for dorfman:10 on 1050 people" in lines[0]
    assert f"not {design.lower()} on {n}" in lines[0]
    assert "--design dorfman:10 --residents 1050" in lines[0]
    assert not (tmp_path / "c.csv").exists()


def test_decode_reads_the_filled_in_layout(tmp_path: Path) -> None:
    """The layout file with results filled in (empty cells untested) decodes as its own
    layout, and says its layout was checked."""
    layout_csv = tmp_path / "layout.csv"
    assert 0 == run("layout", "-d", "dorfman:10", "-n", "1050", "-o", str(layout_csv))[0]
    _fill_in(layout_csv, {1: "negative", 2: "positive"})
    base = ("decode", "-d", "dorfman:10", "-n", "1050", "-r", str(layout_csv), "-o", str(tmp_path / "c.csv"))
    code, out, err = run(*base, "--json")
    assert (0, "") == (code, err)
    obj = json.loads(out)
    assert (10, True) == (obj["negative"], obj["layout_checked"])
    # pools 3..105 wait for their results; pool 2's members (11..20) go to their own tubes
    assert list(range(3, 106)) + list(range(116, 126)) == obj["next_pools"]
    code, out, _ = run(*base)
    assert 0 == code and "note:" not in out


def test_results_without_a_layout_record_are_read_as_given(tmp_path: Path) -> None:
    """A results file of the lab's own (pool,result only) is still read for the design and N
    given (the rule for files without a record), and decode says that nothing checked it."""
    path = tmp_path / "lab.csv"
    path.write_text("pool,result\n1,negative\n2,positive\n", encoding="utf-8")
    base = ("decode", "-d", "dorfman:10", "-n", "1000", "-r", str(path), "-o", str(tmp_path / "c.csv"))
    code, out, _ = run(*base)
    assert 0 == code
    assert f"note: {path} does not record its layout (design, residents columns): read as dorfman:10 on 1000" in out
    assert False is json.loads(run(*base, "--json")[1])["layout_checked"]
