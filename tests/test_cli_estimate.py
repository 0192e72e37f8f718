"""``poolab estimate`` and ``poolab plan advise`` on a store, end to end through the CLI."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from poolab.plan.dilution import DilutionModel, detectable_fraction
from poolab.plan.optimize import optimize
from tests.workflow import read_csv, run, write_results

pytestmark = pytest.mark.store


def _campaign(url: str, roster: Path, tmp: Path) -> dict[str, list[dict[str, str]]]:
    """The small district in one 10-in-1 campaign; tube barcode -> its manifest rows."""
    assert 0 == run(url, "init").exit_code
    assert 0 == run(url, "roster", "import", str(roster)).exit_code
    assert 0 == run(url, "campaign", "new", "day1").exit_code
    assert 0 == run(url, "manifest", "day1", "-o", str(tmp / "m.csv")).exit_code
    tubes: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in read_csv(tmp / "m.csv"):
        tubes[row["tube_barcode"]].append(row)
    codes = list(tubes)
    (tmp / "scans.txt").write_text("\n".join(codes) + "\n", encoding="utf-8")
    assert 0 == run(url, "receive", "day1", str(tmp / "scans.txt")).exit_code
    return dict(tubes)


def _import(url: str, tmp: Path, name: str, rows: list[tuple[str, str]]) -> None:
    write_results(tmp / name, [(code, call, "", "") for code, call in rows])
    r = run(url, "results", "import", "day1", str(tmp / name))
    assert 0 == r.exit_code, r.output


def _retests(url: str, tmp: Path, sick: set[str]) -> None:
    """Resample the positive pools' members; ``sick`` residents come back positive."""
    assert 0 == run(url, "retest", "day1", "-o", str(tmp / "retest.csv")).exit_code
    retest = read_csv(tmp / "retest.csv")
    (tmp / "scans2.txt").write_text("\n".join(x["retest_tube_barcode"] for x in retest) + "\n", encoding="utf-8")
    assert 0 == run(url, "receive", "day1", str(tmp / "scans2.txt")).exit_code
    calls = [(x["retest_tube_barcode"], "positive" if x["resident_id"] in sick else "negative") for x in retest]
    _import(url, tmp, "ind.csv", calls)


def test_estimate_with_retests_and_missing_pools(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """Perfect assay, positive pools retested in full: the estimate is positives / people
    tested; pools without a result and with an invalid one are left out and counted."""
    tubes = _campaign(store_url, small_roster_csv, tmp_path)
    codes = list(tubes)
    positive_pools = codes[:3]
    invalid = codes[-3]  # and the last two pools get no result at all
    rows = [(c, "positive" if c in positive_pools else "negative") for c in codes[:-3]] + [(invalid, "invalid")]
    _import(store_url, tmp_path, "pools.csv", rows)
    # two positives in the first pool, one in each other positive pool
    sick = {tubes[codes[0]][0]["resident_id"], tubes[codes[0]][1]["resident_id"]}
    sick |= {tubes[c][-1]["resident_id"] for c in positive_pools[1:]}
    _retests(store_url, tmp_path, sick)
    r = run(store_url, "estimate", "day1", "--json")
    assert 0 == r.exit_code, r.output
    out = json.loads(r.output)
    assert ["prevalence", "ci95", "pools"] == list(out)[:3] and "positive_pools" == list(out)[3]
    people = sum(len(tubes[c]) for c in codes[:-3])
    assert (len(codes) - 3, 3, people, 3) == (
        out["pools"],
        out["positive_pools"],
        out["people"],
        out["pools_without_result"],
    )
    assert abs(len(sick) / people - out["prevalence"]) < 1e-6
    lo, hi = out["ci95"]
    assert lo < out["prevalence"] < hi
    assert "groups" not in out
    text = run(store_url, "estimate", "day1").output
    assert "3 pools without a result" in text and "95% interval" in text


def test_estimate_by_building_flags_the_hot_building(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """Every pool of one building positive, one elsewhere: that building (only) is flagged,
    printed, and written to the CSV (moved into place, no temporary file left)."""
    tubes = _campaign(store_url, small_roster_csv, tmp_path)
    place = {c: {(x["compound"], x["building"]) for x in rows} for c, rows in tubes.items()}
    by_building: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c, where in place.items():
        if len(where) == 1:
            by_building[next(iter(where))].append(c)
    hot, hot_pools = max(by_building.items(), key=lambda kv: len(kv[1]))
    assert len(hot_pools) >= 5
    other = next(c for c in tubes if c not in hot_pools)
    positives = set(hot_pools) | {other}
    _import(store_url, tmp_path, "pools.csv", [(c, "positive" if c in positives else "negative") for c in tubes])
    out_csv = tmp_path / "risk.csv"
    r = run(store_url, "estimate", "day1", "--by", "building", "-o", str(out_csv), "--json")
    assert 0 == r.exit_code, r.output
    out = json.loads(r.output)
    groups = {(g["compound"], g["building"]): g for g in out["groups"]}
    assert sum(g["people"] for g in groups.values()) == 600
    assert [hot] == [(g["compound"], g["building"]) for g in out["above_district"]]
    assert groups[hot]["prevalence"] > out["prevalence"]
    rows = read_csv(out_csv)
    assert [hot] == [(x["compound"], x["building"]) for x in rows]
    assert list(rows[0]) == [
        "compound",
        "building",
        "people",
        "pools",
        "positive_pools",
        "prevalence",
        "ci95_low",
        "ci95_high",
        "district_prevalence",
        "p_value",
    ]
    assert [] == [p.name for p in tmp_path.iterdir() if p.name.startswith(".estimate-")]
    text = run(store_url, "estimate", "day1", "--by", "building").output
    assert f"1 of {len(groups)} buildings above the district" in text
    assert f"{hot[0]} / building {hot[1]}" in text
    compounds = json.loads(run(store_url, "estimate", "day1", "--by", "compound", "--json").output)
    assert len({c for c, _ in groups}) == len(compounds["groups"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["estimate", "nope"], "no campaign 'nope'"),
        (["estimate", "day1", "-o", "x.csv"], "give --by"),
        (["estimate", "day1", "--se", "0.3"], "se pool must be in (0.5, 1]"),
        (["estimate", "day1", "--sp", "0.99,0.99,0.99"], "one value, or two"),
        (["estimate", "day1", "--se", "high"], "--se takes a number"),
        (["estimate", "day1"], "no pool result yet"),
        (["plan", "advise", "day1"], "no pool result yet"),
        (["plan", "advise", "day1", "--family", "hier", "--se", "0.9,0.9"], "hier has 3 stages"),
    ],
)
def test_estimate_errors_are_one_line(store_url: str, small_roster_csv: Path, args: list[str], message: str) -> None:
    """Ordinary mistakes: exit 1 with one line naming the problem, no traceback."""
    run(store_url, "init")
    run(store_url, "roster", "import", str(small_roster_csv))
    run(store_url, "campaign", "new", "day1")
    r = run(store_url, *args)
    assert 1 == r.exit_code
    assert message in r.output
    assert "Traceback" not in r.output


def test_advise_runs_the_optimiser_at_the_estimate_and_its_interval(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """`plan advise --json` has `plan optimize --json`'s keys plus prevalence, and at each of
    the estimate and its interval ends the design `plan optimize --dilution` picks with the
    PSe floor (90% of what pools of one find)."""
    tubes = _campaign(store_url, small_roster_csv, tmp_path)
    codes = list(tubes)
    _import(
        store_url, tmp_path, "pools.csv", [(c, "positive" if i % 9 == 0 else "negative") for i, c in enumerate(codes)]
    )
    r = run(store_url, "plan", "advise", "day1", "--se", "0.97,0.99", "--sp", "0.995", "--json")
    assert 0 == r.exit_code, r.output
    out = json.loads(r.output)
    optimize_keys = json.loads(
        run(store_url, "plan", "optimize", "-f", "dorfman", "-p", "0.01", "--dilution", "--json").output
    )
    assert list(optimize_keys) == list(out)[: len(optimize_keys)]
    assert "prevalence" in out
    estimate = json.loads(run(store_url, "estimate", "day1", "--se", "0.97,0.99", "--sp", "0.995", "--json").output)
    assert (estimate["prevalence"], estimate["ci95"]) == (out["prevalence"], out["ci95"])
    floor = 0.9 * 0.97 * 0.99 * detectable_fraction(1, DilutionModel())
    assert abs(floor - out["min_pse"]) < 1e-12
    for p, design in (
        (out["ci95"][0], out["at_ci95"]["low"]),
        (out["prevalence"], out),
        (out["ci95"][1], out["at_ci95"]["high"]),
    ):
        best = optimize("dorfman", p, (0.97, 0.99), 0.995, 100, floor, DilutionModel()).best
        assert best.design == design["design"]
        assert best.pse >= floor
    assert out["robust"] == (out["design"] == out["at_ci95"]["low"]["design"] == out["at_ci95"]["high"]["design"])
    text = run(store_url, "plan", "advise", "day1", "--se", "0.97,0.99", "--sp", "0.995").output
    assert out["design"] in text and "interval high" in text


def test_advise_without_positive_pools_plans_at_the_smallest_prevalence(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """No positive pool: the estimate is 0 and the optimiser runs at 1e-6 (it needs p > 0)."""
    tubes = _campaign(store_url, small_roster_csv, tmp_path)
    _import(store_url, tmp_path, "pools.csv", [(c, "negative") for c in tubes])
    out = json.loads(run(store_url, "plan", "advise", "day1", "--no-dilution", "--json").output)
    assert (0.0, 1e-6) == (out["prevalence"], out["planned_prevalence"])
    assert out["min_pse"] is None
    assert out["design"] == optimize("dorfman", 1e-6).best.design


def test_curve_marks_the_estimate(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """`plan curve --estimate NAME` writes the PNG and says which estimate it marked."""
    tubes = _campaign(store_url, small_roster_csv, tmp_path)
    _import(store_url, tmp_path, "pools.csv", [(c, "positive" if i < 4 else "negative") for i, c in enumerate(tubes)])
    target = tmp_path / "c.png"
    r = run(store_url, "plan", "curve", "-o", str(target), "--estimate", "day1", "-d", "dorfman:10", "-k", "20")
    assert 0 == r.exit_code, r.output
    assert b"\x89PNG\r\n\x1a\n" == target.read_bytes()[:8]
    est = json.loads(run(store_url, "estimate", "day1", "--json").output)
    assert f"day1 at {100 * est['prevalence']:.3g}%" in r.output
    assert 1 == run(store_url, "plan", "curve", "-o", str(target), "--estimate", "nope").exit_code
