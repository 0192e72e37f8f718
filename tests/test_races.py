"""Several stations on one store at the same moment: no scan lost, no result doubled, no
positive hidden. Every race runs on SQLite and, with POOLAB_TEST_DATABASE_URL, on
PostgreSQL, between real processes released together (tests/stations.py), for
POOLAB_RACE_ROUNDS rounds (3 by default; 20 for a thorough run)."""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from poolab.store.engine import open_store
from poolab.store.tables import Member, Result, Tube
from tests.stations import Outcome, Stations, stations
from tests.workflow import read_csv, record_calls, run, write_results

pytestmark = [pytest.mark.store, pytest.mark.slow]

ROUNDS = int(os.environ.get("POOLAB_RACE_ROUNDS", "3"))
_SUMMARY = re.compile(r"(\d+) (?:tubes|scans) accepted, (\d+) refused")


def _cli(url: str, operator: str, *args: str) -> list[str]:
    return ["--db", url, "--operator", operator, *args]


def _no_traceback(*outcomes: Outcome) -> None:
    for o in outcomes:
        assert "Traceback" not in o.output, o.output


def _summary(o: Outcome) -> tuple[int, int]:
    m = _SUMMARY.search(o.output)
    assert m is not None, o.output
    return int(m.group(1)), int(m.group(2))


def _count(url: str, stmt: object) -> int:
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)  # type: ignore[call-overload]
    finally:
        store.dispose()


def _status(url: str, name: str) -> dict[str, object]:
    return json.loads(run(url, "status", name, "--json").output)


def _campaign_tubes(url: str, name: str, tmp: Path, *extra: str) -> list[str]:
    r = run(url, "campaign", "new", name, *extra)
    assert 0 == r.exit_code, r.output
    run(url, "manifest", name, "-o", str(tmp / f"{name}.csv"))
    return list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp / f"{name}.csv")))


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Stations]:
    """Two stations."""
    with stations(2, str(tmp_path)) as s:
        yield s


@pytest.fixture
def district(store_url: str, small_roster_csv: Path) -> str:
    """A store holding the small district (600 residents)."""
    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(small_roster_csv)).exit_code
    return store_url


def _campaign_id(url: str, name: str) -> int:
    from poolab.store.tables import Campaign

    c = Campaign.__table__  # type: ignore[attr-defined]
    return _count(url, select(c.c.id).where(c.c.name == name))


def _campaign_results(url: str, name: str) -> int:
    from poolab.store.tables import Campaign

    t, c, r = Tube.__table__, Campaign.__table__, Result.__table__  # type: ignore[attr-defined]
    return _count(
        url,
        select(func.count())
        .select_from(r.join(t, t.c.id == r.c.tube_id).join(c, c.c.id == t.c.campaign_id))
        .where(c.c.name == name),
    )


@pytest.fixture(scope="module")
def big_roster_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 residents: enough single tubes for several stations' batches to overlap."""
    from poolab.roster.file import write_roster_csv
    from poolab.roster.synthetic import generate_district

    path = tmp_path_factory.mktemp("big") / "district.csv"
    write_roster_csv(generate_district(residents=3000, households=1800, compounds=3, seed=5), path)
    return path


@pytest.mark.parametrize(("n", "common", "own"), [(2, 1000, 500), (4, 1000, 500), (2, 2400, 300)])
def test_reception_stations(
    n: int, common: int, own: int, store_url: str, big_roster_csv: Path, tmp_path: Path
) -> None:
    """n stations scan ``common`` shared tubes and ``own`` of their own each, shuffled, at once:
    every tube is received exactly once, each shared tube is one receipt on one station
    and an "already received at HH:MM by ..." on every other, and no own tube is lost
    (four stations' overlapping batches used to deadlock on PostgreSQL and stop a stream).
    The last case's batches are big enough to be staged on PostgreSQL."""
    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(big_roster_csv)).exit_code
    with stations(n, str(tmp_path)) as group:
        for round_ in range(ROUNDS):
            name = f"rx{n}-{round_}"
            codes = _campaign_tubes(store_url, name, tmp_path, "--pool-size", "1")
            rng = random.Random(round_)
            rng.shuffle(codes)
            shared = codes[:common]
            streams = []
            for i in range(n):
                scans = shared + codes[common + own * i : common + own * (i + 1)]
                rng.shuffle(scans)
                streams.append((_cli(store_url, f"station-{i}", "receive", name, "-"), "\n".join(scans) + "\n"))
            outs = group.race(streams)
            _no_traceback(*outs)
            summaries = [_summary(o) for o in outs]
            total = common + own * n
            assert total == sum(accepted for accepted, _ in summaries), [o.output[-300:] for o in outs]
            assert common * (n - 1) == sum(refused for _, refused in summaries)
            for k, (o, (_, refused)) in enumerate(zip(outs, summaries, strict=True)):
                said = group.refusals(k) or o.output  # the problems file when the terminal grouped them
                assert refused == said.count("already received at"), o.output[-300:]
            assert total == _status(store_url, name)["tubes"]["received"]  # type: ignore[index]


@pytest.mark.parametrize("lab_reads", ["a stream", "a file"])
def test_collection_and_reception_of_the_same_tubes_at_once(
    pair: Stations, store_url: str, big_roster_csv: Path, tmp_path: Path, lab_reads: str
) -> None:
    """A field team's collection scans and the lab's reception of the same tubes, in
    different orders, at once (a tube can reach the lab before its collection scan is
    uploaded): every tube is counted once, at its furthest step, with its span, in the
    campaign's running counts as in a count made from the rows. The lab reads its scans
    from a stream, or from a file (on PostgreSQL, batches checked and received by one
    staged statement under the counts' gate, which the collection takes before it counts)."""
    from tests.test_tube_tally import recounted, tallied

    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(big_roster_csv)).exit_code
    for round_ in range(ROUNDS):
        name = f"cr-{round_}"
        codes = _campaign_tubes(store_url, name, tmp_path, "--pool-size", "1")
        rng = random.Random(round_)
        field, lab = codes[:], codes[:]
        rng.shuffle(field)
        rng.shuffle(lab)
        lab_file = tmp_path / f"{name}-lab.txt"
        lab_file.write_text("\n".join(lab) + "\n", encoding="utf-8")
        receive = (
            (_cli(store_url, "lab", "receive", name, "-"), "\n".join(lab) + "\n")
            if lab_reads == "a stream"
            else (_cli(store_url, "lab", "receive", name, str(lab_file)), "")
        )
        outs = pair.race([(_cli(store_url, "team", "collect", name, "-"), "\n".join(field) + "\n"), receive])
        _no_traceback(*outs)
        assert all(o.exit_code == 0 for o in outs), [o.output[-300:] for o in outs]
        store = open_store(store_url)
        try:
            with store.read() as conn:
                counts, recount = (
                    tallied(conn, _campaign_id(store_url, name)),
                    recounted(conn, _campaign_id(store_url, name)),
                )
        finally:
            store.dispose()
        assert counts == recount
        status = _status(store_url, name)["tubes"]
        assert len(codes) == status["received"], status  # type: ignore[index]


def _received_campaign(url: str, name: str, tmp: Path) -> list[str]:
    codes = _campaign_tubes(url, name, tmp)
    r = run(url, "receive", name, "-", input="\n".join(codes) + "\n")
    assert 0 == r.exit_code, r.output
    return codes


def test_conflicting_result_files_at_once(pair: Stations, district: str, tmp_path: Path) -> None:
    """One file says positive, another negative, for the same tubes, imported at once:
    one is recorded whole, the other refused whole; never both, never a mix."""
    for round_ in range(ROUNDS):
        name = f"rc{round_}"
        codes = _received_campaign(district, name, tmp_path)
        pos = write_results(tmp_path / f"pos{round_}.csv", [(c, "positive", "30.1", "31.2") for c in codes])
        neg = write_results(tmp_path / f"neg{round_}.csv", [(c, "negative", "", "") for c in codes])
        outs = pair.race(
            [
                (_cli(district, "station-a", "results", "import", name, str(pos)), None),
                (_cli(district, "station-b", "results", "import", name, str(neg)), None),
            ]
        )
        _no_traceback(*outs)
        assert [0, 1] == sorted(o.exit_code for o in outs), [o.output for o in outs]
        loser = next(o for o in outs if o.exit_code == 1)
        assert "no result was recorded" in loser.output and "already" in loser.output
        results = _status(district, name)["results"]
        assert sorted([0, len(codes)]) == sorted([results["positive"], results["negative"]])  # type: ignore[index]
        assert len(codes) == _campaign_results(district, name)  # one row per tube: nothing doubled


def test_same_result_file_twice_at_once(pair: Stations, district: str, tmp_path: Path) -> None:
    """The same file from two stations at once is recorded once; both stations succeed."""
    for round_ in range(ROUNDS):
        name = f"rs{round_}"
        codes = _received_campaign(district, name, tmp_path)
        path = write_results(tmp_path / f"same{round_}.csv", [(c, "negative", "", "") for c in codes])
        outs = pair.race([(_cli(district, f"station-{s}", "results", "import", name, str(path)), None) for s in "ab"])
        _no_traceback(*outs)
        assert [0, 0] == [o.exit_code for o in outs], [o.output for o in outs]
        assert 1 == sum(f"{len(codes)} recorded" in o.output for o in outs)
        assert len(codes) == _campaign_results(district, name)


def test_keyed_results_for_one_tube_at_once(pair: Stations, district: str, tmp_path: Path) -> None:
    """Two technicians key different calls for one tube at once: one is recorded, the
    other is told what is recorded and by whom; the tube has one result."""
    for round_ in range(ROUNDS):
        name = f"rk{round_}"
        code = _received_campaign(district, name, tmp_path)[0]
        outs = pair.race(
            [
                (_cli(district, "tech-a", "results", "enter", name), f"{code}\np\nq\n"),
                (_cli(district, "tech-b", "results", "enter", name), f"{code}\nn\nq\n"),
            ]
        )
        _no_traceback(*outs)
        assert 1 == sum("recorded positive" in o.output or "recorded negative" in o.output for o in outs)
        assert 1 == sum("already" in o.output and ("by tech-a" in o.output or "by tech-b" in o.output) for o in outs)
        assert 1 == _campaign_results(district, name)


def test_two_retest_lists_at_once(pair: Stations, district: str, tmp_path: Path) -> None:
    """Two stations ask for the retest list at once: the same people get the same tubes
    in both lists, and the store holds one individual tube per person."""
    t = Tube.__table__  # type: ignore[attr-defined]
    for round_ in range(ROUNDS):
        name = f"rt{round_}"
        codes = _received_campaign(district, name, tmp_path)
        calls = [(c, "positive" if i % 7 == 0 else "negative", "", "") for i, c in enumerate(codes)]
        assert (
            0
            == run(
                district, "results", "import", name, str(write_results(tmp_path / f"p{round_}.csv", calls))
            ).exit_code
        )
        a, b = tmp_path / f"a{round_}.csv", tmp_path / f"b{round_}.csv"
        outs = pair.race(
            [(_cli(district, f"station-{s}", "retest", name, "-o", str(p)), None) for s, p in (("a", a), ("b", b))]
        )
        _no_traceback(*outs)
        assert [0, 0] == [o.exit_code for o in outs], [o.output for o in outs]
        rows_a = {(r["resident_id"], r["retest_tube_barcode"]) for r in read_csv(a)}
        rows_b = {(r["resident_id"], r["retest_tube_barcode"]) for r in read_csv(b)}
        assert rows_a == rows_b and rows_a
        individual = _count(
            district,
            select(func.count())
            .select_from(t)
            .where(t.c.kind == "individual", t.c.barcode.in_([x[1] for x in rows_a])),
        )
        assert len(rows_a) == individual
        assert len(rows_a) == _status(district, name)["retest"]


def test_two_campaigns_with_one_name_at_once(pair: Stations, district: str) -> None:
    """Two `campaign new` with the same name at once: one campaign; the other station
    gets one clear line."""
    for round_ in range(ROUNDS):
        outs = pair.race([(_cli(district, f"station-{s}", "campaign", "new", f"same{round_}"), None) for s in "ab"])
        _no_traceback(*outs)
        assert [0, 1] == sorted(o.exit_code for o in outs), [o.output for o in outs]
        loser = next(o for o in outs if o.exit_code == 1)
        assert "exists already" in loser.output and 1 == len(loser.output.strip().splitlines())


def test_two_following_rounds_with_one_name_at_once(pair: Stations, district: str) -> None:
    """Two `campaign new NAME --after PREV` at once: one campaign, laid out once (its
    tubes, members and what it took over from PREV written by one station only); the
    other station gets one clear line."""
    from poolab.store.tables import RoundCarry

    t, m, rc = Tube.__table__, Member.__table__, RoundCarry.__table__  # type: ignore[attr-defined]
    tmp = Path(pair.cwd)
    codes = _campaign_tubes(district, "first", tmp)
    store = open_store(district)
    try:  # one pool positive, and one of its members confirmed: the next round has people to leave out
        record_calls(store, "first", {c: "positive" if c == codes[0] else "negative" for c in codes})
        assert 0 == run(district, "retest", "first", "-o", str(tmp / "first-retest.csv")).exit_code
        retest = [r["retest_tube_barcode"] for r in read_csv(tmp / "first-retest.csv")]
        record_calls(store, "first", {c: "positive" if i == 0 else "negative" for i, c in enumerate(retest)})
    finally:
        store.dispose()
    residents = int(_status(district, "first")["residents"])  # type: ignore[call-overload]
    for round_ in range(ROUNDS):
        name = f"next{round_}"
        args = ("campaign", "new", name, "--after", "first", "--contacts", "exclude")
        outs = pair.race([(_cli(district, f"station-{s}", *args), None) for s in "ab"])
        _no_traceback(*outs)
        assert [0, 1] == sorted(o.exit_code for o in outs), [o.output for o in outs]
        loser = next(o for o in outs if o.exit_code == 1)
        assert "exists already" in loser.output and 1 == len(loser.output.strip().splitlines())
        summary = next(o for o in outs if o.exit_code == 0).output
        left_out = [int(x) for x in re.findall(r"(\d+) (?:isolated|contacts) left out", summary)]
        assert 2 == len(left_out) and 1 == left_out[0], summary
        cid = _campaign_id(district, name)
        assert residents - sum(left_out) == _count(district, select(func.count()).where(m.c.campaign_id == cid))
        tubes = _count(district, select(func.count()).where(t.c.campaign_id == cid))
        assert tubes == _status(district, name)["pools"]
        assert sum(left_out) == _count(district, select(func.count()).where(rc.c.campaign_id == cid))


def _team_scans(tag: str, residents: list[str]) -> str:
    """A field team's stream: a new tube, then 5 residents into it, and so on."""
    scans = [s for i in range(0, len(residents), 5) for s in (f"TUBE-{tag}{i}", *residents[i : i + 5])]
    return "\n".join(scans) + "\n"


def test_field_binding_stations_share_residents(pair: Stations, district: str, small_roster_csv: Path) -> None:
    """Two field teams bind overlapping residents into their own pre-printed tubes at once
    (40 residents of their own each, then the same 5): each resident ends up in exactly
    one tube, and each second scan of a shared resident is refused, naming the tube."""
    m = Member.__table__  # type: ignore[attr-defined]
    residents = [r["resident_id"] for r in read_csv(small_roster_csv)]
    for round_ in range(ROUNDS):
        name = f"fb{round_}"
        assert 0 == run(district, "campaign", "new", name, "--field-binding", "--pool-size", "5").exit_code
        people = residents[85 * round_ : 85 * round_ + 85]
        shared = people[80:]

        outs = pair.race(
            [
                (_cli(district, "team-a", "collect", name, "-"), _team_scans(f"{round_}-A", people[:40] + shared)),
                (_cli(district, "team-b", "collect", name, "-"), _team_scans(f"{round_}-B", people[40:80] + shared)),
            ]
        )
        _no_traceback(*outs)
        bound = _count(district, select(func.count()).where(m.c.campaign_id == _campaign_id(district, name)))
        assert len(people) == bound
        refused = sum(_summary(o)[1] for o in outs)
        assert len(shared) == refused
        said = [pair.refusals(k) or o.output for k, o in enumerate(outs)]
        assert refused == sum(text.count("already bound to tube") for text in said), said
