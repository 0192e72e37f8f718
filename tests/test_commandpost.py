"""The command post's figures, counted by the database, against the status the CLI
prints and against slow references computed here from the raw rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from sqlalchemy import select

from poolab.calls import CALL_CODE, NO_CALL
from poolab.demo.timeline import DayPlan, simulate_day
from poolab.reports.commandpost import campaign_view
from poolab.reports.status import campaign_status
from poolab.reports.timing import LateRule

pytestmark = pytest.mark.store

NOW = datetime(2026, 11, 30, 16, 0, 30, tzinfo=UTC)
# a busy day on a small district: every kind of call, retests issued, some tubes on the road
BUSY = DayPlan(
    hours=7.0, walk=3.0, transport=1.0, lab=1.0, resample=1.5, lost=0.05, positive=0.08, inconclusive=0.08, invalid=0.05
)


def _district(store, roster_csv: Path, plan: DayPlan = BUSY, **campaign: object) -> None:
    from poolab.field.campaigns import create_campaign
    from poolab.roster.importing import import_roster

    import_roster(store, roster_csv, operator="t")
    create_campaign(store, "day1", operator="t", **campaign)  # type: ignore[arg-type]
    simulate_day(store, "day1", plan=plan, seed=3, now=NOW)


def _raw(store, table: str) -> list[tuple]:
    from poolab.store import tables

    t = {
        "collection": tables.Collection,
        "receipt": tables.Receipt,
        "result": tables.Result,
        "member": tables.Member,
        "resident": tables.Resident,
    }[table].__table__  # type: ignore[attr-defined]
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(select(t).order_by(t.c.id))]


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _status_from_every_tube(store, campaign: str) -> dict[str, object]:
    """The keys of `status --json` (before turnaround and late) from every tube read into
    numpy, one by one: the slow reference the grouped SQL counts must equal."""
    from poolab.calls import CALLS
    from poolab.store.campaigns import campaign_by_name
    from poolab.store.reports import KIND_INDIVIDUAL, KIND_POOL, campaign_tubes, count_campaign_residents

    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        tubes = campaign_tubes(conn, campaign_id=info.id)
        residents = count_campaign_residents(conn, campaign_id=info.id)
    resulted = tubes.call != NO_CALL
    pool = tubes.kind == KIND_POOL
    scanned = bool(tubes.collected.any())
    not_received = ~tubes.received
    no_result = (tubes.call == NO_CALL) | (tubes.call == CALL_CODE["invalid"])

    def by_call(which: np.ndarray) -> dict[str, int]:
        return {c: int(np.count_nonzero(which & (tubes.call == CALL_CODE[c]))) for c in CALLS}

    individual_positive = (tubes.kind == KIND_INDIVIDUAL) & (tubes.call == CALL_CODE["positive"])
    return {
        "campaign": campaign,
        "residents": residents,
        "pools": int(pool.sum()),
        "tubes": {
            "planned": int((~(tubes.collected | tubes.received | resulted)).sum()),
            "collected": int((tubes.collected & ~tubes.received & ~resulted).sum()),
            "received": int((tubes.received & ~resulted).sum()),
            "resulted": int(resulted.sum()),
        },
        "results": by_call(np.ones(len(tubes), bool)),
        "retest": int((tubes.kind == KIND_INDIVIDUAL).sum()),
        "confirmed_positive": len(set(tubes.resident_pk[individual_positive].tolist())),
        "missing_results": int((tubes.received & no_result).sum()),
        "awaiting_receipt": int((not_received & (tubes.collected | ~pool | (pool & (not scanned)))).sum()),
        "awaiting_collection": int((pool & ~tubes.collected & not_received).sum()) if scanned else 0,
        "pool_results": by_call(pool),
        "individual_results": by_call(~pool),
    }


def test_status_equals_every_tube_counted(store, small_roster_csv: Path) -> None:
    """`status --json`, counted by grouped SQL, equals the counts of every tube read one
    by one, at every step of a busy day (collection scanned and not)."""
    _district(store, small_roster_csv)
    status = campaign_status(store, "day1", now=NOW).as_json()
    reference = _status_from_every_tube(store, "day1")
    assert {k: status[k] for k in reference} == reference
    waiting = ("confirmed_positive", "retest", "awaiting_receipt", "missing_results")
    assert all(cast(int, reference[k]) > 0 for k in waiting), reference  # every count has something to count


def test_status_reads_no_tube_one_by_one(store, small_roster_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`poolab status` counts with the database (a city's status costs about a district's):
    reading the campaign's tubes into numpy is left to `--missing`, which lists barcodes."""
    import poolab.reports.status as status_module
    import poolab.store.reports

    _district(store, small_roster_csv)

    def every_tube(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("campaign_status read every tube")

    monkeypatch.setattr(poolab.store.reports, "campaign_tubes", every_tube)
    assert campaign_status(store, "day1", now=NOW).pools > 0
    with pytest.raises(AssertionError, match="read every tube"):
        status_module.missing_tubes(store, "day1")  # the one that still does, on purpose


def test_figures_equal_status_json(store, small_roster_csv: Path) -> None:
    """Every key of `status --json` the page shows is what campaign_status counts."""
    _district(store, small_roster_csv)
    status = campaign_status(store, "day1", now=NOW).as_json()
    view = campaign_view(store, "day1", now=NOW)
    assert {k: status[k] for k in view.figures} == view.figures
    assert status["turnaround"] == view.timing.turnaround_json()
    assert status["late"] == view.timing.late_json()
    tubes = status["tubes"]
    assert isinstance(tubes, dict) and all(v > 0 for v in tubes.values())  # every step occurs


def test_residents_waiting_by_compound(store, small_roster_csv: Path) -> None:
    """Cleared, confirmed and waiting residents per compound equal a slow per-resident reference."""
    from poolab.store.campaigns import campaign_by_name
    from poolab.store.reports import KIND_INDIVIDUAL, campaign_tubes, pool_members

    _district(store, small_roster_csv)
    with store.read() as conn:
        info = campaign_by_name(conn, name="day1")
        tubes = campaign_tubes(conn, campaign_id=info.id)
        member_tube, member_pk, _ = pool_members(conn, campaign_id=info.id)
    compound_of = {r[0]: r[5] for r in _raw(store, "resident")}
    call_of = dict(zip(tubes.id.tolist(), tubes.call.tolist(), strict=True))
    expected: dict[str, list[int]] = {}
    for tube, pk in zip(member_tube.tolist(), member_pk.tolist(), strict=True):
        own = [
            int(tubes.call[i])
            for i in np.flatnonzero((tubes.kind == KIND_INDIVIDUAL) & (tubes.resident_pk == pk))
            if tubes.call[i] != NO_CALL
        ]
        positive = CALL_CODE["positive"] in own
        cleared = not positive and (call_of[tube] == CALL_CODE["negative"] or CALL_CODE["negative"] in own)
        row = expected.setdefault(compound_of[pk], [0, 0, 0, 0])
        row[0] += 1
        row[1] += cleared
        row[2] += positive
        row[3] += not cleared and not positive
    view = campaign_view(store, "day1", now=NOW)
    got = {p.compound: [p.residents, p.cleared, p.confirmed, p.waiting] for p in view.compounds}
    assert expected == got
    assert [sum(v[i] for v in expected.values()) for i in range(4)] == [
        view.overall.residents,
        view.overall.cleared,
        view.overall.confirmed,
        view.overall.waiting,
    ]
    assert sum(1 for v in expected.values() if v[2]) > 0  # the day confirmed someone


def test_progress_reached_by_compound(store, small_roster_csv: Path) -> None:
    """Tubes reaching each step, summed over compounds, are the overall row; steps never grow."""
    _district(store, small_roster_csv)
    view = campaign_view(store, "day1", now=NOW)
    assert ("planned", "collected", "received", "plated", "resulted") == view.steps
    for step in view.steps:
        assert view.overall.reached[step] == sum(p.reached[step] for p in view.compounds)
    for p in [view.overall, *view.compounds]:
        counts = [p.reached[s] for s in view.steps]
        assert counts == sorted(counts, reverse=True)
    shares = [(p.share("resulted"), p.share("received")) for p in view.compounds]
    assert shares == sorted(shares)  # the most behind first


def test_turnaround_quantiles_match_raw_times(store, small_roster_csv: Path) -> None:
    """Median and 90th percentile are those of the raw spans, to the minute."""
    _district(store, small_roster_csv)
    collected = {r[1]: _utc(r[3]) for r in _raw(store, "collection")}
    received = {r[1]: _utc(r[3]) for r in _raw(store, "receipt")}
    first: dict[int, datetime] = {}
    for row in _raw(store, "result"):
        first.setdefault(row[1], _utc(row[9]))
    spans = {
        "collection_to_receipt": [
            (received[t] - collected[t]).total_seconds() / 60 for t in received if t in collected
        ],
        "receipt_to_result": [(first[t] - received[t]).total_seconds() / 60 for t in first],
    }
    timing = campaign_view(store, "day1", now=NOW).timing
    for span, minutes in spans.items():
        got = timing.turnaround[span]
        assert len(minutes) == got.tubes
        for q, value in ((0.5, got.median_minutes), (0.9, got.p90_minutes)):
            assert value is not None
            assert abs(float(np.quantile(minutes, q, method="inverted_cdf")) - value) <= 1.0


def test_late_tubes_match_raw_times(store, small_roster_csv: Path) -> None:
    """Late counts and lists are the tubes waiting past the cut-off, oldest first, each with its place."""
    _district(store, small_roster_csv)
    rule = LateRule(receipt_hours=2.5, result_hours=1.0)
    collected = {r[1]: _utc(r[3]) for r in _raw(store, "collection")}
    received = {r[1]: _utc(r[3]) for r in _raw(store, "receipt")}
    current: dict[int, str] = {}
    for row in _raw(store, "result"):
        current[row[1]] = row[2]
    not_received = sorted(
        (at, t) for t, at in collected.items() if t not in received and at < NOW - timedelta(hours=2.5)
    )
    without = sorted(
        (at, t) for t, at in received.items() if current.get(t) in (None, "invalid") and at < NOW - timedelta(hours=1.0)
    )
    timing = campaign_view(store, "day1", late=rule, now=NOW, listed=5).timing
    assert len(not_received) == timing.late["not_received"].count > 0
    assert len(without) == timing.late["without_result"].count > 0
    assert [_utc(t.since) for t in timing.late["not_received"].tubes] == [at for at, _ in not_received[:5]]
    assert all(t.compound and t.building for t in timing.late["not_received"].tubes)
    status = campaign_status(store, "day1", late=rule, now=NOW).as_json()
    late = {
        "receipt_hours": 2.5,
        "not_received": len(not_received),
        "result_hours": 1.0,
        "without_result": len(without),
    }
    assert late == status["late"]


def test_flagged_pools_and_masked_positives(store, small_roster_csv: Path) -> None:
    """Positive and inconclusive pools come with their retests; confirmed positives are masked like exports."""
    import csv
    import io

    from poolab.lab.resolve import write_positives

    _district(store, small_roster_csv)
    view = campaign_view(store, "day1", now=NOW)
    assert view.flagged_total == len(view.flagged) == view.overall.positive_pools + view.overall.inconclusive_pools
    assert {p.call for p in view.flagged} == {"positive", "inconclusive"}
    assert sum(p.retest_issued for p in view.flagged) == view.retests.issued == view.figures["retest"]
    assert all(p.retest_received <= p.retest_issued and p.retest_resulted <= p.retest_received for p in view.flagged)
    out = io.BytesIO()
    write_positives(store, "day1", out)
    exported = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    shown = {(p.resident_id, p.name, p.compound, p.building, p.unit, p.room, p.barcode) for p in view.positives}
    columns = ("resident_id", "name", "compound", "building", "unit", "room", "tube_barcode")
    assert {tuple(r[c] for c in columns) for r in exported} == shown
    assert len(shown) == view.positives_total == cast(int, view.figures["confirmed_positive"]) > 0


def test_empty_campaign(store, small_roster_csv: Path) -> None:
    """A campaign nobody has touched: everything planned, nothing measured, nothing late."""
    from poolab.field.campaigns import create_campaign
    from poolab.roster.importing import import_roster

    import_roster(store, small_roster_csv, operator="t")
    create_campaign(store, "day1", operator="t")
    view = campaign_view(store, "day1", now=NOW)
    assert view.overall.waiting == view.overall.residents == 600
    assert view.overall.reached["collected"] == 0
    assert view.timing.turnaround["receipt_to_result"].median_minutes is None
    assert {"not_received": 0, "without_result": 0} == {k: v.count for k, v in view.timing.late.items()}
    status = campaign_status(store, "day1", now=NOW).as_json()
    assert {k: status[k] for k in view.figures} == view.figures


def test_field_binding_tubes_have_their_place(store, small_roster_csv: Path) -> None:
    """Tubes bound in the field are counted in their residents' compound, like manifest tubes."""
    from poolab.field.campaigns import create_campaign
    from poolab.field.sampling import collect
    from poolab.field.scans import scan_lines
    from poolab.roster.importing import import_roster

    import_roster(store, small_roster_csv, operator="t")
    create_campaign(store, "day1", operator="t", field_binding=True)
    rows = [line.split(",") for line in small_roster_csv.read_text(encoding="utf-8").splitlines()[1:11]]
    path = small_roster_csv.parent / f"field-{store.dialect}.txt"
    path.write_text("TUBE-0001\n" + "".join(r[0] + "\n" for r in rows), encoding="utf-8")
    report = collect(store, "day1", scan_lines(str(path)), source=path.name, operator="t")
    assert 11 == report.accepted, report.problems
    view = campaign_view(store, "day1", now=NOW)
    assert [(rows[0][4], 10, 1)] == [(p.compound, p.residents, p.reached["collected"]) for p in view.compounds]
    status = campaign_status(store, "day1", now=NOW).as_json()
    assert {k: status[k] for k in view.figures} == view.figures


def test_tubes_on_a_plate_count_as_plated(store, small_roster_csv: Path, tmp_path: Path) -> None:
    """Received tubes racked onto a plate (no result yet) are at the plated step."""
    from tests.workflow import read_csv, run

    url = store.url
    assert 0 == run(url, "roster", "import", str(small_roster_csv)).exit_code
    assert 0 == run(url, "campaign", "new", "p").exit_code
    run(url, "manifest", "p", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(r["tube_barcode"] for r in read_csv(tmp_path / "m.csv")))
    run(url, "receive", "p", "-", input="\n".join(codes[:20]) + "\n")
    assert 0 == run(url, "plate", "new", "p", "-o", str(tmp_path / "plates.csv")).exit_code
    view = campaign_view(store, "p", now=NOW)
    assert 20 == view.overall.reached["plated"]
    assert 0 == view.overall.reached["resulted"]
