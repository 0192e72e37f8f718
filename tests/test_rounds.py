"""Rounds of a silent period through the CLI, on both stores: a round that follows
another (`campaign new --after`), risk buildings, home visits and their manifests,
`poolab rounds`, `poolab log --resident`, and the refusals of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from poolab.store.engine import open_store
from poolab.store.tables import Campaign, Resident, ResidentChange
from tests.workflow import read_csv, record_calls, run

pytestmark = pytest.mark.store

# Compound C: H1 (R01-R03) and H3 (R06) share room 101 of building 1; H4 is six people;
# R13 and R15 are sampled at home. Compound D: two home visits (its H1 is not C's H1).
ROSTER = """resident_id,name,compound,building,unit,room,household_id,home_visit
R01,张一,C,1,1,101,H1,0
R02,张二,C,1,1,101,H1,0
R03,张三,C,1,1,101,H1,
R04,李一,C,1,1,102,H2,false
R05,李二,C,1,1,102,H2,FALSE
R06,王一,C,1,1,101,H3,n
R07,赵一,C,2,1,201,H4,0
R08,赵二,C,2,1,201,H4,0
R09,赵三,C,2,1,201,H4,0
R10,赵四,C,2,1,201,H4,0
R11,赵五,C,2,1,201,H4,0
R12,赵六,C,2,1,201,H4,0
R13,钱一,C,2,1,202,H5,是
R14,孙一,C,2,1,203,H6,否
R15,孙二,C,2,1,203,H6,Y
R16,周一,D,1,1,101,H1,1
R17,周二,D,1,1,101,H1,true
"""
EVERYONE = {f"R{i:02d}" for i in range(1, 18)}
HOME = {"R13", "R15", "R16", "R17"}


def _tubes(url: str, name: str, tmp: Path) -> dict[str, str]:
    """resident -> tube barcode, from the walk's manifest and the home-visit manifest."""
    out: dict[str, str] = {}
    for extra in ((), ("--home-visits",)):
        path = tmp / f"{name}{''.join(extra)}.csv"
        r = run(url, "manifest", name, *extra, "-o", str(path))
        assert 0 == r.exit_code, r.output
        out.update({row["resident_id"]: row["tube_barcode"] for row in read_csv(path)})
    return out


def _alone(tubes: dict[str, str], resident: str) -> bool:
    return 1 == sum(1 for t in tubes.values() if t == tubes[resident])


@pytest.fixture
def day1(store_url: str, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """Day 1 in pools of 4, resulted: R01's pool and R07's pool positive; R01 confirmed
    positive; of R07's pool, R08 without an individual result and R10 inconclusive
    (both pending); everyone else cleared."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(roster)).exit_code
    r = run(store_url, "campaign", "new", "day1", "--pool-size", "4")
    assert 0 == r.exit_code, r.output
    tubes = _tubes(store_url, "day1", tmp_path)
    assert EVERYONE == set(tubes)
    flagged = {tubes["R01"], tubes["R07"]}
    assert tubes["R01"] != tubes["R07"]
    store = open_store(store_url)
    try:
        record_calls(store, "day1", {t: "positive" if t in flagged else "negative" for t in set(tubes.values())})
        assert 0 == run(store_url, "retest", "day1", "-o", str(tmp_path / "retest.csv")).exit_code
        retest = {row["resident_id"]: row["retest_tube_barcode"] for row in read_csv(tmp_path / "retest.csv")}
        assert {r for r, t in tubes.items() if t in flagged} == set(retest)
        calls = {code: "negative" for code in retest.values()}
        calls[retest["R01"]] = "positive"
        calls[retest["R10"]] = "inconclusive"
        del calls[retest["R08"]]
        record_calls(store, "day1", calls)
    finally:
        store.dispose()
    return store_url, tubes


def test_next_round_leaves_out_positives_and_swabs_contacts_and_pending_alone(
    day1: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """`campaign new day2 --after day1`: R01 (confirmed) is left out; R02 and R03 (its
    household) and R08, R10 (no individual result) each get a tube of their own; R06
    (another household of the same room) is pooled; home visits stay in their own
    tubes; the summary line counts each group."""
    url, _ = day1
    r = run(url, "campaign", "new", "day2", "--after", "day1", "--pool-size", "4")
    assert 0 == r.exit_code, r.output
    summary = r.output.splitlines()[0]
    assert (
        "after day1: 1 isolated left out, 0 contacts left out, 2 contacts and 2 pending residents "
        "each in a tube of their own, 0 contacts pooled" in summary
    ), summary
    assert "4 home visits in 2 tubes" in summary, summary
    tubes = _tubes(url, "day2", tmp_path)
    assert EVERYONE - {"R01"} == set(tubes)
    for resident in ("R02", "R03", "R08", "R10"):
        assert _alone(tubes, resident), resident
    assert not _alone(tubes, "R06")
    home = read_csv(tmp_path / "day2--home-visits.csv")
    assert HOME == {row["resident_id"] for row in home}
    assert not HOME & {row["resident_id"] for row in read_csv(tmp_path / "day2.csv")}


def test_contacts_can_be_left_out_pooled_or_traced_by_room(day1: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """--contacts exclude leaves R02 and R03 out; --contacts pool pools them; --contacts-of
    room makes R06 (R01's room, another household) a contact too."""
    url, _ = day1
    r = run(url, "campaign", "new", "out", "--after", "day1", "--contacts", "exclude")
    assert 0 == r.exit_code, r.output
    assert "2 contacts left out" in r.output
    assert EVERYONE - {"R01", "R02", "R03"} == set(_tubes(url, "out", tmp_path))
    r = run(url, "campaign", "new", "pooled", "--after", "day1", "--contacts", "pool")
    assert 0 == r.exit_code, r.output
    assert "2 contacts pooled" in r.output
    tubes = _tubes(url, "pooled", tmp_path)
    assert not _alone(tubes, "R02") and not _alone(tubes, "R03")
    r = run(url, "campaign", "new", "room", "--after", "day1", "--contacts-of", "room", "--pool-size", "4")
    assert 0 == r.exit_code, r.output
    assert "3 contacts and 2 pending residents each in a tube of their own" in r.output
    assert _alone(_tubes(url, "room", tmp_path), "R06")


def test_isolation_rounds_let_a_positive_back(day1: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """By default R01 stays out of every later round; with --isolation-rounds 1 the round
    after the next samples R01 again (and R02, R03 are no longer contacts)."""
    url, _ = day1
    assert 0 == run(url, "campaign", "new", "day2", "--after", "day1").exit_code
    assert 0 == run(url, "campaign", "new", "day3", "--after", "day2").exit_code
    assert "R01" not in _tubes(url, "day3", tmp_path)
    r = run(url, "campaign", "new", "day3b", "--after", "day2", "--isolation-rounds", "1")
    assert 0 == r.exit_code, r.output
    assert "0 isolated left out" in r.output
    tubes = _tubes(url, "day3b", tmp_path)
    assert EVERYONE == set(tubes)


def test_rounds_json_and_the_run_without_a_new_positive(day1: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """`rounds --json` has exactly the contract's keys with each round's figures; a round
    under way is passed over; once day 2 is resulted, negative, it is one round in a row
    without a new positive."""
    url, day1_tubes = day1
    assert 0 == run(url, "campaign", "new", "day2", "--after", "day1", "--pool-size", "4").exit_code
    r = run(url, "rounds", "day2", "--json")
    assert 0 == r.exit_code, r.output
    report = json.loads(r.output)
    assert ["rounds", "rounds_without_new_positive"] == list(report)
    keys = [
        "campaign",
        "residents_sampled",
        "isolated",
        "contacts_single",
        "contacts_excluded",
        "tubes",
        "positive_pools",
        "new_positives",
        "prevalence",
        "ci95",
    ]
    assert [keys, keys] == [list(x) for x in report["rounds"]]
    first, second = report["rounds"]
    day2_tubes = _tubes(url, "day2", tmp_path)
    assert ["day1", 17, 0, 0, 0, len(set(day1_tubes.values())), 2, 1] == [first[k] for k in keys[:8]]
    low, high = first["ci95"]
    assert 0 < low < first["prevalence"] < high < 1
    assert ["day2", 16, 1, 2, 0, len(set(day2_tubes.values())), 0, 0, None, None] == [second[k] for k in keys]
    assert 0 == report["rounds_without_new_positive"]  # day 2 under way, day 1 found R01
    store = open_store(url)
    try:
        record_calls(store, "day2", dict.fromkeys(set(day2_tubes.values()), "negative"))
    finally:
        store.dispose()
    report = json.loads(run(url, "rounds", "day2", "--json").output)
    assert 1 == report["rounds_without_new_positive"]
    assert 0.0 == report["rounds"][1]["prevalence"]
    text = run(url, "rounds", "day2").output
    assert "1 round in a row without a new positive" in text and "results incomplete" in text  # day 1: R08


def test_log_follows_a_resident_across_the_chain(day1: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """`log day2 --resident`: R01 is isolated on day 2 after its positive retest on day 1;
    R02 is a contact with a tube of its own; an unknown resident is one line."""
    url, day1_tubes = day1
    assert 0 == run(url, "campaign", "new", "day2", "--after", "day1").exit_code
    r = run(url, "log", "day2", "--resident", "r01")
    assert 0 == r.exit_code, r.output
    assert day1_tubes["R01"] in r.output and "call=positive" in r.output
    assert "what=left out: isolated (confirmed positive in day1)" in r.output
    events = json.loads(run(url, "log", "day2", "--resident", "R02", "--json").output)["events"]
    rounds = [e for e in events if e["action"] == "round"]
    assert ["day1", "day2"] == [e["round"] for e in rounds]
    assert "close contact of a positive confirmed in day1: a tube of their own" == rounds[1]["what"]
    day2_tube = _tubes(url, "day2", tmp_path)["R02"]
    assert any(e.get("tube") == day2_tube and e["action"] == "pool tube" for e in events)
    r = run(url, "log", "day2", "--resident", "NOBODY")
    assert 1 == r.exit_code and 1 == len(r.output.strip().splitlines()), r.output


def test_risk_buildings_get_smaller_pools(day1: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """Risk buildings from an estimate file with a flag column: only the flagged rows
    count; their residents are in tubes of at most --risk-pool-size, households together
    where they fit; a row with an empty building takes the whole compound."""
    url, _ = day1
    risk = tmp_path / "risk.csv"
    risk.write_text("compound,building,people,pools,above_district\nC,1,6,2,false\nC,2,9,3,true\n", encoding="utf-8")
    r = run(url, "campaign", "new", "d2", "--after", "day1", "--risk-buildings", str(risk), "--risk-pool-size", "2")
    assert 0 == r.exit_code, r.output
    assert "residents of risk buildings in tubes of up to 2" in r.output
    tubes = _tubes(url, "d2", tmp_path)
    size = {t: list(tubes.values()).count(t) for t in set(tubes.values())}
    building2 = {"R07", "R09", "R11", "R12", "R14"}  # R08, R10 pending; R13, R15 at home
    assert all(size[tubes[x]] <= 2 for x in building2)
    assert 2 == len({tubes[x] for x in ("R07", "R09", "R11", "R12")})  # H4 (larger than 2) fills whole tubes
    assert any(size[tubes[x]] > 2 for x in ("R04", "R05", "R06"))  # building 1 (not flagged): pools of 10
    whole = tmp_path / "compound.csv"
    whole.write_text("compound,building\nD,\n", encoding="utf-8")
    r = run(url, "campaign", "new", "d3", "--risk-buildings", str(whole), "--risk-pool-size", "1")
    assert 0 == r.exit_code, r.output
    d3 = _tubes(url, "d3", tmp_path)
    assert _alone(d3, "R16") and _alone(d3, "R17")


def _campaigns(url: str) -> int:
    store = open_store(url)
    try:
        with store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(Campaign.__table__)).scalar_one())  # type: ignore[attr-defined]
    finally:
        store.dispose()


def test_bad_round_options_are_one_line_and_create_nothing(day1: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """--after an unknown campaign, --after the new campaign itself, a risk building the
    roster does not have (named with its line), --risk-pool-size out of range or without
    a file, round options without --after, --after with --field-binding: each one line,
    exit 1, no campaign created."""
    url, _ = day1
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("compound,building\nC,1\nC,9\nE,1\n", encoding="utf-8")
    cases = [
        (("x", "--after", "nope"), "--after: no campaign 'nope'"),
        (("x", "--after", "x"), "a round cannot follow itself"),
        (("x", "--risk-buildings", str(unknown)), f"{unknown}:3: building '9' of compound 'C' is not in the roster"),
        (("x", "--risk-buildings", str(unknown)), "(and 1 more not in the roster)"),
        (("x", "--risk-buildings", str(tmp_path / "roster.csv"), "--risk-pool-size", "0"), "risk pool size 0"),
        (("x", "--risk-buildings", str(tmp_path / "roster.csv"), "--risk-pool-size", "11"), "(1 to the pool size, 10)"),
        (("x", "--risk-pool-size", "3"), "--risk-pool-size needs --risk-buildings"),
        (("x", "--contacts", "exclude"), "need --after PREV"),
        (("x", "--after", "day1", "--field-binding"), "--field-binding"),
    ]
    before = _campaigns(url)
    for args, expected in cases:
        r = run(url, "campaign", "new", *args)
        assert 1 == r.exit_code, (args, r.output)
        assert expected in r.output, (args, r.output)
        assert 1 == len(r.output.strip().splitlines()), r.output
        assert "Traceback" not in r.output
    assert before == _campaigns(url)


def test_home_visit_column_is_read_checked_and_kept(store_url: str, tmp_path: Path) -> None:
    """Every accepted word is read (any case; empty is no); a value outside them refuses
    the file naming file, line and value, importing nothing; a file without the column
    leaves the flags; a changed flag keeps its old value in the history."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert 0 == run(store_url, "init").exit_code
    bad = tmp_path / "bad.csv"
    bad.write_text(ROSTER.replace("R05,李二,C,1,1,102,H2,FALSE", "R05,李二,C,1,1,102,H2,maybe"), encoding="utf-8")
    r = run(store_url, "roster", "import", str(bad))
    assert 1 == r.exit_code
    assert (
        f"{bad}:6: home_visit must be one of 1/0, true/false, y/n, 是/否 (or empty for no) (value 'maybe')" in r.output
    )
    store = open_store(store_url)
    r_ = Resident.__table__  # type: ignore[attr-defined]

    def flags() -> dict[str, bool]:
        with store.read() as conn:
            return {rid: bool(h) for rid, h in conn.execute(select(r_.c.resident_id, r_.c.home_visit))}

    try:
        assert {} == flags()
        assert 0 == run(store_url, "roster", "import", str(roster)).exit_code
        assert HOME == {rid for rid, h in flags().items() if h}
        plain = tmp_path / "plain.csv"
        plain.write_text("\n".join(line.rsplit(",", 1)[0] for line in ROSTER.splitlines()) + "\n", encoding="utf-8")
        r = run(store_url, "roster", "import", str(plain))
        assert "0 updated" in r.output, r.output
        assert HOME == {rid for rid, h in flags().items() if h}
        changed = tmp_path / "changed.csv"
        changed.write_text(ROSTER.replace("R13,钱一,C,2,1,202,H5,是", "R13,钱一,C,2,1,202,H5,否"), encoding="utf-8")
        assert "1 updated" in run(store_url, "roster", "import", str(changed)).output
        assert HOME - {"R13"} == {rid for rid, h in flags().items() if h}
        with store.read() as conn:
            history = conn.execute(select(ResidentChange.__table__.c.previous)).scalars().all()  # type: ignore[attr-defined]
        assert [{"home_visit": True}] == [json.loads(h) for h in history]
    finally:
        store.dispose()


def test_home_visit_labels_are_their_own_stack(day1: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """`labels` prints the walk's tubes without the home-visit ones; `--home-visits` only those."""
    pytest.importorskip("reportlab")
    from poolab.paper.jobs import write_labels

    url, tubes = day1
    home_tubes = {tubes[r] for r in HOME}
    store = open_store(url)
    try:
        walk = write_labels(store, "day1", tmp_path / "walk.pdf")
        home = write_labels(store, "day1", tmp_path / "home.pdf", home_visits=True)
    finally:
        store.dispose()
    assert (len(set(tubes.values())) - len(home_tubes), len(home_tubes)) == (walk.items, home.items)


def _figures(new: int, complete: bool) -> object:
    from poolab.reports.rounds import RoundFigures

    return RoundFigures("d", 10, 0, 0, 0, 1, 0, new, None, None, complete, 0)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([], 0),
        ([(3, True)], 0),
        ([(3, True), (0, True)], 1),
        ([(3, True), (0, True), (0, True)], 2),
        ([(3, True), (0, True), (0, False)], 1),  # the newest round under way is passed over
        ([(3, True), (0, False), (0, True)], 1),  # an unfinished round earlier ends the count
        ([(0, True), (0, True), (2, False)], 0),  # a new positive, finished or not, ends it
        ([(0, True), (0, False), (0, False)], 1),
    ],
)
def test_rounds_without_new_positive(days: list[tuple[int, bool]], expected: int) -> None:
    """The run counts finished rounds without a new positive from the newest back."""
    from poolab.reports.rounds import rounds_without_new_positive

    assert expected == rounds_without_new_positive([_figures(n, c) for n, c in days])  # type: ignore[misc]


def test_demo_days_runs_the_silent_period(tmp_path: Path) -> None:
    """`poolab demo --days 3` on a small district: three chained rounds, each day's
    confirmed positives exactly the detectable infected, and the run of days printed."""
    from click.testing import CliRunner

    from poolab_cli.main import cli

    folder = tmp_path / "demo"
    args = ["demo", "--days", "3", "--residents", "800", "--households", "500", "--compounds", "3"]
    r = CliRunner().invoke(
        cli, [*args, "--infected", "8", "--seed", "3", "--household-attack", "0.5", "--folder", str(folder)]
    )
    assert 0 == r.exit_code, r.output
    assert "confirmed positives are exactly the detectable infected residents" in r.output
    for day in ("demo-day1", "demo-day2", "demo-day3"):
        assert f"{day}: infected" in r.output
    assert "in a row without a new positive" in r.output
    for f in ("manifest.csv", "home-visits.csv", "day2-manifest.csv", "day3-home-visits.csv", "day3-positives.csv"):
        assert (folder / f).exists(), f
    report = json.loads(run(f"sqlite:///{folder / 'poolab.db'}", "rounds", "demo-day3", "--json").output)
    assert ["demo-day1", "demo-day2", "demo-day3"] == [x["campaign"] for x in report["rounds"]]
    assert report["rounds"][1]["isolated"] == report["rounds"][0]["new_positives"]


def test_command_post_shows_the_run_of_days(day1: tuple[str, dict[str, str]]) -> None:
    """A campaign that follows another has the run of days on its page (the figures of
    `poolab rounds`); a first round has none."""
    pytest.importorskip("starlette")
    from poolab.reports.commandpost import campaign_view
    from poolab.reports.rounds import campaign_rounds
    from tests.test_serve import Server, get

    url, _ = day1
    assert 0 == run(url, "campaign", "new", "day2", "--after", "day1").exit_code
    store = open_store(url)
    try:
        assert campaign_view(store, "day1").rounds is None
        assert campaign_rounds(store, "day2") == campaign_view(store, "day2").rounds
    finally:
        store.dispose()
    server = Server(url)
    try:
        code, _, body = get(server.url + "campaigns/day2")
        first = get(server.url + "campaigns/day1")[2].decode("utf-8")
    finally:
        server.stop()
    page = body.decode("utf-8")
    assert 200 == code
    assert 'data-section="rounds"' in page and 'href="/campaigns/day1"' in page
    assert 'data-key="rounds_without_new_positive" data-value="0"' in page
    assert 'data-section="rounds"' not in first
