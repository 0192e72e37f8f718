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
    printed, and flagged in the CSV of every building (moved into place, no temporary file left)."""
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
    assert [hot] == [(x["compound"], x["building"]) for x in rows if x["above_district"] == "1"]
    assert len(groups) == len(rows)
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
        "above_district",
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


def _amend_one_retest_to_negative(url: str, tmp: Path, positives_csv: Path, campaign: str) -> str:
    """`results import --amend --reason` of one confirmed positive's retest as negative;
    returns the retest tube's barcode."""
    tube = read_csv(positives_csv)[0]["tube_barcode"]
    write_results(tmp / "amend.csv", [(tube, "negative")], header="tube_barcode,result")
    r = run(url, "results", "import", campaign, str(tmp / "amend.csv"), "--amend", "--reason", "keyed wrong")
    assert 0 == r.exit_code, r.output
    return tube


def test_contradiction_under_a_perfect_assay_is_refused_on_the_demo_store(tmp_path: Path) -> None:
    """The statistician's store: a consistent demo district, then one retest amended to
    negative. Under Se = Sp = 1 no prevalence explains that: estimate (text, --json, --by
    building), the risk CSV and plan advise each refuse in one line naming the pool and
    suggesting --se/--sp, and never print a 0-100% interval; with the kit's Se/Sp they run."""
    folder = tmp_path / "demo"
    url = f"sqlite:///{folder / 'poolab.db'}"
    demo = run(
        url, "demo", "--residents", "3000", "--households", "1800", "--compounds", "4", "--infected", "8",
        "--seed", "3", "--folder", str(folder),
    )  # fmt: skip
    assert 0 == demo.exit_code, demo.output
    before = run(url, "estimate", "demo-day1", "--json")
    assert 0 == before.exit_code, before.output
    assert 0 < json.loads(before.output)["ci95"][0]
    _amend_one_retest_to_negative(url, tmp_path, folder / "positives.csv", "demo-day1")
    for args in (
        ["estimate", "demo-day1"],
        ["estimate", "demo-day1", "--json"],
        ["estimate", "demo-day1", "--by", "building"],
        ["estimate", "demo-day1", "--by", "building", "-o", str(tmp_path / "risk.csv")],
        ["plan", "advise", "demo-day1"],
        ["plan", "advise", "demo-day1", "--json"],
    ):
        r = run(url, *args)
        assert 1 == r.exit_code, (args, r.output)
        lines = r.output.strip().splitlines()
        assert 1 == len(lines), (args, r.output)
        assert "no prevalence explains these results under --se 1 --sp 1" in lines[0]
        assert "of its members negative alone" in lines[0]
        assert "--se 0.95,0.98 --sp 0.995" in lines[0]
        assert "100%" not in r.output and "above the district" not in r.output
    assert not (tmp_path / "risk.csv").exists()
    fitted = run(url, "estimate", "demo-day1", "--se", "0.95,0.98", "--sp", "0.995", "--json")
    assert 0 == fitted.exit_code, fitted.output
    lo, hi = json.loads(fitted.output)["ci95"]
    assert 0.0 < lo < hi < 0.05


def test_contradiction_names_the_amended_pool(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """A consistent campaign (positive pools retested in full), then the one positive of a
    pool amended to negative: the refusal names that pool's barcode, on both stores."""
    tubes = _campaign(store_url, small_roster_csv, tmp_path)
    codes = list(tubes)
    _import(store_url, tmp_path, "pools.csv", [(c, "positive" if c in codes[:2] else "negative") for c in codes])
    sick = {tubes[codes[0]][0]["resident_id"], tubes[codes[1]][3]["resident_id"]}
    _retests(store_url, tmp_path, sick)
    assert 0 == run(store_url, "estimate", "day1").exit_code
    assert 0 == run(store_url, "positives", "day1", "-o", str(tmp_path / "pos.csv")).exit_code
    amended = _amend_one_retest_to_negative(store_url, tmp_path, tmp_path / "pos.csv", "day1")
    pool = next(
        x["pool_tube_barcode"] for x in read_csv(tmp_path / "retest.csv") if x["retest_tube_barcode"] == amended
    )
    r = run(store_url, "estimate", "day1")
    assert 1 == r.exit_code, r.output
    assert f"pool {pool} positive with all {len(tubes[pool])} of its members negative alone" in r.output


def test_by_building_output_writes_every_building_with_a_flag(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """No building above the district: -o still writes every building's figures, each with
    above_district 0 (the columns as documented), and says how many it wrote."""
    tubes = _campaign(store_url, small_roster_csv, tmp_path)
    codes = list(tubes)
    _import(
        store_url, tmp_path, "pools.csv", [(c, "positive" if i % 7 == 0 else "negative") for i, c in enumerate(codes)]
    )
    out_csv = tmp_path / "all.csv"
    r = run(store_url, "estimate", "day1", "--by", "building", "-o", str(out_csv), "--json")
    assert 0 == r.exit_code, r.output
    out = json.loads(r.output)
    assert [] == out["above_district"]
    rows = read_csv(out_csv)
    assert [(g["compound"], g["building"]) for g in out["groups"]] == [(x["compound"], x["building"]) for x in rows]
    assert list(rows[0]) == [
        "compound", "building", "people", "pools", "positive_pools", "prevalence", "ci95_low", "ci95_high",
        "district_prevalence", "p_value", "above_district",
    ]  # fmt: skip
    assert {"0"} == {x["above_district"] for x in rows}
    assert sum(int(x["people"]) for x in rows) == 600
    text = run(store_url, "estimate", "day1", "--by", "building", "-o", str(out_csv)).output
    assert f"wrote {out_csv}: {len(rows)} buildings, 0 of them above the district" in text


def test_by_group_at_full_prevalence(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """Every pool positive and nobody retested: the estimate is 100%, and --by building and
    --by compound still run (the district's 100% as the offset of shared pools)."""
    tubes = _campaign(store_url, small_roster_csv, tmp_path)
    _import(store_url, tmp_path, "pools.csv", [(c, "positive") for c in tubes])
    for by in ("building", "compound"):
        r = run(store_url, "estimate", "day1", "--by", by, "--json")
        assert 0 == r.exit_code, r.output
        out = json.loads(r.output)
        assert 1.0 == out["prevalence"]
        assert all(1.0 == g["ci95"][1] and g["ci95"][0] > 0.0 for g in out["groups"])
        assert [] == out["above_district"]


def test_advise_says_test_singly_when_pooling_does_not_pay(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """Nearly every pool positive (prevalence about 35%): plan advise recommends single
    tubes, with plan optimize's keys and design individual, and says so in words."""
    tubes = _campaign(store_url, small_roster_csv, tmp_path)
    codes = list(tubes)
    _import(store_url, tmp_path, "pools.csv", [(c, "negative" if c == codes[0] else "positive") for c in codes])
    r = run(store_url, "plan", "advise", "day1", "--json")
    assert 0 == r.exit_code, r.output
    out = json.loads(r.output)
    assert 0.3 < out["prevalence"]
    optimize_keys = json.loads(run(store_url, "plan", "optimize", "-f", "dorfman", "-p", "0.4", "--json").output)
    assert list(optimize_keys) == list(out)[: len(optimize_keys)]
    assert ("individual", 1.0) == (out["design"], out["expected_tests_per_individual"])
    assert "individual" == out["at_ci95"]["high"]["design"]
    text = run(store_url, "plan", "advise", "day1").output
    assert "Test singly: at the estimate no dorfman design needs fewer tests than one tube per person." in text
