"""A campaign's running counts (``tube_tally``, appended by each write) against the same
counts made from the appended rows (tubes, collection, receipt, plate_well, result) the
way the store's queries derived them before the counts existed: after any sequence of
writes, in any order, by stations at once, and after an older store is upgraded."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, case, exists, func, select, text

from poolab.store.tables import Collection, PlateWell, Receipt, TubeTally
from poolab.store.tubesql import RES, T, current_call, current_result_on, minutes_between, tube_step

pytestmark = pytest.mark.store

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
_COL = Collection.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_PW = PlateWell.__table__  # type: ignore[attr-defined]
_TALLY = TubeTally.__table__  # type: ignore[attr-defined]


def tallied(conn: Connection, campaign_id: int | None = None) -> Counter[tuple[object, ...]]:
    """The running counts, summed: (what, kind, compound, step, call, minute) -> (tubes,
    people) as two keyed entries; zero sums left out."""
    c = _TALLY.c
    keys = (c.campaign_id, c.what, c.kind, c.compound, c.step, c.call, c.minute)
    query = select(*keys, func.sum(c.tubes), func.sum(c.people)).group_by(*keys)
    if campaign_id is not None:
        query = query.where(c.campaign_id == campaign_id)
    out: Counter[tuple[object, ...]] = Counter()
    for *key, tubes, people in conn.execute(query):
        out[(*key, "tubes")] += int(tubes)
        out[(*key, "people")] += int(people)
    return +out  # drops zeros


def recomputed_state(conn: Connection, campaign_id: int | None = None) -> list[tuple[Any, ...]]:
    """Each tube's state from its rows alone: campaign, kind, compound, people, the
    furthest step and current call as the status counts derived them, the scan times,
    the spans' minutes as the turnaround histograms measured them (to the tube's first
    result)."""
    t, col, rec = T.alias("t"), _COL.alias("col"), _REC.alias("rec")
    cur, first = RES.alias("cur"), RES.alias("first")
    well = _PW.alias("well")
    plated = exists().where((well.c.tube_id == t.c.id) & (well.c.run == 1))
    step = case(
        (cur.c.id.is_not(None), 4),
        (plated, 3),
        (rec.c.id.is_not(None), 2),
        (col.c.id.is_not(None), 1),
        else_=0,
    )
    dialect = conn.dialect.name
    query = (
        select(
            t.c.id,
            t.c.campaign_id,
            t.c.kind,
            t.c.compound,
            t.c.people,
            step,
            cur.c.call,
            col.c.at,
            rec.c.at,
            minutes_between(dialect, col.c.at, rec.c.at),
            minutes_between(dialect, rec.c.at, first.c.at),
        )
        .select_from(
            t.outerjoin(col, col.c.tube_id == t.c.id)
            .outerjoin(rec, rec.c.tube_id == t.c.id)
            .outerjoin(cur, current_result_on(cur, t.c.id))
            .outerjoin(first, (first.c.tube_id == t.c.id) & first.c.supersedes_id.is_(None))
        )
        .order_by(t.c.id)
    )
    if campaign_id is not None:
        query = query.where(t.c.campaign_id == campaign_id)
    return [(*row[:9], _int(row[9]), _int(row[10])) for row in conn.execute(query)]


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _minute(at: datetime) -> int:
    """The minute since 1970 (UTC) of a stored time (SQLite gives it back without a zone)."""
    return int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp() // 60)


def recounted(conn: Connection, campaign_id: int | None = None) -> Counter[tuple[object, ...]]:
    """The running counts made from the rows, tube by tube, in Python."""
    out: Counter[tuple[object, ...]] = Counter()
    for _, cid, kind, compound, people, step, call, collected, received, to_receipt, to_result in recomputed_state(
        conn, campaign_id
    ):
        if compound is not None or kind != "pool":  # bound in the field: counted from its members
            key = (cid, "step", kind, compound, int(step), call, None)
            out[(*key, "tubes")] += 1
            out[(*key, "people")] += int(people or 0)
        for what, minute in (("collection_to_receipt", to_receipt), ("receipt_to_result", to_result)):
            if minute is not None:
                out[(cid, what, None, None, None, None, int(minute), "tubes")] += 1
        if collected is not None and received is None:
            out[(cid, "not_received", None, None, None, None, _minute(collected), "tubes")] += 1
        if received is not None and call in (None, "invalid"):
            out[(cid, "without_result", None, None, None, None, _minute(received), "tubes")] += 1
    return +out


# one write: (what, which tube, minutes after AT, seconds, a call)
_WRITE = st.tuples(
    st.sampled_from(["collect", "receive", "plate", "result", "amend"]),
    st.integers(0, 5),
    st.integers(0, 600),
    st.integers(0, 59),
    st.sampled_from(["positive", "negative", "inconclusive", "invalid"]),
)


def _apply(conn: Connection, tube_id: int, what: str, at: datetime, call: str, event_id: int) -> None:
    """One append as the store's write paths make it (the store's own insert functions);
    a write the store's keys refuse (a second receipt, a second first result) is skipped
    by them or left out here, as a station would be told."""
    from poolab.store.plates import insert_wells
    from poolab.store.tubes import NewResult, insert_collections, insert_receipts, insert_results

    if what == "collect":
        insert_collections(conn, tube_ids=[tube_id], at=at, event_id=event_id)
    elif what == "receive":
        insert_receipts(conn, tube_ids=[tube_id], at=at, event_id=event_id)
    elif what == "plate":  # the tube's next plate (its re-run's after the first)
        run = conn.execute(select(func.count()).where(_PW.c.tube_id == tube_id)).scalar_one() + 1
        rows = [(tube_id, f"A{run}", "sample", tube_id, run, event_id)]  # a plate per tube: wells never collide
        insert_wells(conn, rows=rows)
    else:
        later = RES.alias("later")
        current = conn.execute(
            select(RES.c.id).where(RES.c.tube_id == tube_id, ~exists().where(later.c.supersedes_id == RES.c.id))
        ).scalar()
        if what == "result" and current is not None:
            return  # a first result exists: a second would break the chain (the store refuses it)
        reason = "typo" if what == "amend" and current is not None else None
        row = NewResult(tube_id, call, None, None, "keyboard", current, reason)
        insert_results(conn, results=[row], event_id=event_id, at=at)


@pytest.fixture
def fresh_tubes(store, small_roster_csv: Path):
    """A function giving the ids of six tubes no write has touched (a new campaign each time)."""
    from poolab.field.campaigns import create_campaign
    from poolab.roster.importing import import_roster

    import_roster(store, small_roster_csv, operator="t")
    names = (f"h{i}" for i in itertools.count())

    def make() -> tuple[int, list[int]]:
        name = next(names)
        create_campaign(store, name, operator="t")
        with store.read() as conn:
            cid = conn.execute(text("SELECT id FROM campaign WHERE name = :n"), {"n": name}).scalar_one()
            ids = conn.execute(select(T.c.id).where(T.c.campaign_id == cid).order_by(T.c.id).limit(6)).scalars()
            return cid, list(ids)

    return make


# a fresh campaign per example: the shared store is the point, not a leak between examples
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(_WRITE, min_size=1, max_size=30), batched=st.booleans())
def test_counts_equal_the_rows_after_any_writes(store, fresh_tubes, writes, batched: bool) -> None:
    """Collections, receipts, plates (first and re-run), first results, re-runs and
    amendments, in any order and at any times (a receipt before its collection, a result
    before its receipt, spans of a few seconds), each in its own transaction or all in
    one: the running counts equal the counts made from the rows."""
    from poolab.store.events import record_event

    cid, tubes = fresh_tubes()

    def write(conn: Connection, chunk: list[tuple[str, int, int, int, str]]) -> None:
        event = record_event(conn, operator="t", action="test", campaign_id=cid)
        for what, which, minute, second, call in chunk:
            _apply(conn, tubes[which], what, AT + timedelta(minutes=minute, seconds=second), call, event)

    for chunk in [writes] if batched else [[w] for w in writes]:
        store.write(lambda conn, chunk=chunk: write(conn, chunk))
    with store.read() as conn:
        counts, recount = tallied(conn, cid), recounted(conn, cid)
        moved = [row for row in recomputed_state(conn, cid) if row[5]]
    assert counts == recount
    assert moved  # some tube moved


def _late_from_rows(conn: Connection, campaign_id: int, step: str, before: datetime) -> list[tuple[Any, ...]]:
    """The tubes waiting at ``step`` since before ``before``, from their rows: (since,
    tube id, barcode), oldest first."""
    barcodes: dict[int, str] = dict(
        conn.execute(select(T.c.id, T.c.barcode).where(T.c.campaign_id == campaign_id)).all()
    )
    out = []
    for tid, *_, call, collected, received, _to_receipt, _to_result in recomputed_state(conn, campaign_id):
        if step == "not_received" and collected is not None and received is None:
            since = collected
        elif step == "without_result" and received is not None and call in (None, "invalid"):
            since = received
        else:
            continue
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        if since < before:
            out.append((since, tid, barcodes[tid]))
    return sorted(out)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    writes=st.lists(_WRITE, min_size=1, max_size=30),
    # times near the writes' own (the minute a scan fell in is the hard case)
    probes=st.lists(st.tuples(st.integers(0, 29), st.integers(-90, 90), st.integers(0, 7)), min_size=1, max_size=6),
)
def test_late_tubes_equal_the_rows_at_any_second(store, fresh_tubes, writes, probes) -> None:
    """How many tubes wait at each late step since before any time (to the second, in the
    minute it falls in too) and which wait longest, as from the rows."""
    from poolab.store.events import record_event
    from poolab.store.timing import LATE_STEPS, late_tubes

    cid, tubes = fresh_tubes()

    def write(conn: Connection) -> None:
        event = record_event(conn, operator="t", action="test", campaign_id=cid)
        for what, which, minute, second, call in writes:
            _apply(conn, tubes[which], what, AT + timedelta(minutes=minute, seconds=second), call, event)

    store.write(write)
    with store.read() as conn:
        for which, offset, limit in probes:
            _, _, minute, second, _ = writes[which % len(writes)]
            before = AT + timedelta(minutes=minute, seconds=second + offset)
            for step in LATE_STEPS:
                expected = _late_from_rows(conn, cid, step, before)
                count, listed = late_tubes(conn, campaign_id=cid, step=step, before=before, limit=limit)
                assert count == len(expected), (step, before)
                oldest = sorted(expected[:limit], key=lambda e: (e[0], e[2]))
                got = [(t.since if t.since.tzinfo else t.since.replace(tzinfo=UTC), t.barcode) for t in listed]
                assert got == [(since, code) for since, _, code in oldest], (step, before)


def test_a_scan_a_fraction_of_a_millisecond_before_a_minute_is_late_to_the_microsecond(store, fresh_tubes) -> None:
    """SQLite reads a stored time to the millisecond (rounded), so a collection 0.3 ms
    before 08:00 is counted in the minute of 08:00: late tubes still count it exactly
    by its own time, on either side of it and of the minute."""
    from poolab.store.events import record_event
    from poolab.store.timing import late_tubes
    from poolab.store.tubes import insert_collections, insert_receipts

    cid, tubes = fresh_tubes()
    eight = AT.replace(hour=8, minute=0, second=0, microsecond=0)
    collected = eight - timedelta(microseconds=300)

    def write(conn: Connection) -> None:
        event = record_event(conn, operator="t", action="test", campaign_id=cid)
        insert_collections(conn, tube_ids=tubes[:1], at=collected, event_id=event)

    store.write(write)
    with store.read() as conn:
        for before, late in (
            (collected - timedelta(microseconds=1), 0),
            (collected + timedelta(microseconds=1), 1),
            (eight, 1),
            (eight + timedelta(seconds=30), 1),
            (eight + timedelta(minutes=1), 1),
        ):
            count, listed = late_tubes(conn, campaign_id=cid, step="not_received", before=before, limit=5)
            assert (count, len(listed)) == (late, late), before

    def receive(conn: Connection) -> None:
        event = record_event(conn, operator="t", action="test", campaign_id=cid)
        insert_receipts(conn, tube_ids=tubes[:1], at=eight + timedelta(minutes=5), event_id=event)

    store.write(receive)  # no longer waiting, in any minute
    with store.read() as conn:
        for before in (collected + timedelta(microseconds=1), eight, eight + timedelta(minutes=10)):
            assert (0, []) == late_tubes(conn, campaign_id=cid, step="not_received", before=before, limit=5)
        assert recounted(conn, cid) == tallied(conn, cid)


def test_batches_of_many_tubes_in_one_event(store, fresh_tubes) -> None:
    """Several tubes per insert and several inserts of one event in one transaction
    (as a file's batches are): collections, receipts (one of a tube with a result
    already), first plates beside a re-run's, a first result and its re-run written by
    two inserts of the same event. The counts equal the rows'."""
    from poolab.store.events import record_event
    from poolab.store.plates import insert_wells
    from poolab.store.tubes import NewResult, insert_collections, insert_receipts, insert_results

    cid, tubes = fresh_tubes()

    def write(conn: Connection) -> None:
        event = record_event(conn, operator="t", action="test", campaign_id=cid)
        insert_collections(conn, tube_ids=tubes[0:4], at=AT, event_id=event)
        early = AT + timedelta(minutes=3)
        insert_results(conn, results=[NewResult(tubes[5], "positive", 30.1, 31.0, "f:1")], event_id=event, at=early)
        insert_receipts(conn, tube_ids=tubes[1:6], at=AT + timedelta(minutes=47, seconds=5), event_id=event)
        wells = [(t, f"A{i}", "sample", t, run, event) for i, (t, run) in enumerate([(tubes[2], 1), (tubes[3], 1)])]
        wells.append((tubes[2], "B1", "sample", tubes[2], 2, event))
        insert_wells(conn, rows=wells)
        later = AT + timedelta(hours=2, minutes=1)
        first = [NewResult(tubes[3], "invalid", None, None, "f:2"), NewResult(tubes[4], "positive", 29.0, 30.0, "f:3")]
        insert_results(conn, results=first, event_id=event, at=later)
        invalid = conn.execute(select(RES.c.id).where(RES.c.tube_id == tubes[3])).scalar_one()
        rerun = NewResult(tubes[3], "negative", None, None, "f:4", invalid)
        insert_results(conn, results=[rerun], event_id=event, at=later + timedelta(minutes=5))

    store.write(write)
    with store.read() as conn:
        counts, recount = tallied(conn, cid), recounted(conn, cid)
        by_tube = {row[0]: row for row in recomputed_state(conn, cid)}
    assert counts == recount
    assert by_tube[tubes[3]][5:7] == (4, "negative")  # the chain's end is current
    assert by_tube[tubes[3]][10] == 73  # measured to the first result of the chain
    span = by_tube[tubes[5]][10]  # a result before the receipt: a negative span
    assert isinstance(span, int) and span < 0
    assert by_tube[tubes[2]][5] == 3 and by_tube[tubes[0]][5] == 1
    # what status reads: the re-run's tube counted once, at its current call
    assert counts[(cid, "step", "pool", by_tube[tubes[3]][3], 4, "negative", None, "tubes")] == 1
    assert (cid, "step", "pool", by_tube[tubes[3]][3], 4, "invalid", None, "tubes") not in counts


def test_a_busy_day_counts_every_tube(store, small_roster_csv: Path, tmp_path: Path) -> None:
    """The library's own write paths on a busy day (collection and reception scans, a
    plate map, instrument results, retests, re-runs, keyed amendments, a campaign bound
    in the field): the counts equal the rows'."""
    _busy_day(store, small_roster_csv, tmp_path)
    with store.read() as conn:
        counts = tallied(conn)
        assert recounted(conn) == counts
        steps = {row[5] for row in recomputed_state(conn)}
    assert {0, 1, 2, 3, 4} <= steps, "every step occurs"
    assert {key[1] for key in counts} >= {"step", "collection_to_receipt", "receipt_to_result"}


def test_folded_counts_equal_the_rows(store, small_roster_csv: Path, tmp_path: Path, monkeypatch) -> None:
    """A busy day with the running counts folded every few rows (as a city's day folds
    them every thousand): each campaign's rows are few, and the counts equal the rows'."""
    from poolab.store import tube_tally

    monkeypatch.setattr(tube_tally, "FOLD_EVERY", 7)
    _busy_day(store, small_roster_csv, tmp_path)
    with store.read() as conn:
        assert recounted(conn) == tallied(conn)
        rows = conn.execute(select(func.count()).select_from(_TALLY)).scalar_one()
        keys = len({key[:-1] for key in tallied(conn)})
    assert rows < keys + 7 * 20, (rows, keys)  # folded: about a row per key


def test_upgrade_counts_the_state_the_triggers_kept(store, small_roster_csv: Path, tmp_path: Path) -> None:
    """A store taken back to schema 0005 (before the tube state) and upgraded through
    0006 (state on each tube, kept by triggers) to the counts of 0008: the counts equal
    the rows'; writes after the upgrade keep them so. And back to 0007: each tube's
    state is filled from its rows again."""
    from alembic import command

    from poolab.store.migrate import _config, upgrade

    _busy_day(store, small_roster_csv, tmp_path)
    with store.read() as conn:
        before = tallied(conn)
    with store.engine.begin() as conn:
        command.downgrade(_config(conn, "t"), "0005")
    with store.engine.begin() as conn:
        assert "upgraded from schema 0005" == upgrade(conn)
    with store.read() as conn:
        assert recounted(conn) == tallied(conn) == before
    with store.engine.begin() as conn:
        command.downgrade(_config(conn, "t"), "0007")
        state = conn.execute(text("SELECT id, step, call FROM tube ORDER BY id")).all()
    with store.read() as conn:
        rows = [(r[0], r[5], r[6]) for r in recomputed_state(conn)]
    assert [tuple(r) for r in state] == rows
    with store.engine.begin() as conn:
        assert "upgraded from schema 0007" == upgrade(conn)
    with store.read() as conn:
        assert recounted(conn) == tallied(conn) == before


def _busy_day(store, roster_csv: Path, tmp_path: Path) -> None:
    """A day with every kind of write, through the library: a campaign laid out and one
    bound in the field, collection and reception, a plate map, results with re-runs and
    retests (``simulate_day``), then a keyed amendment of a called tube."""
    from poolab.demo.timeline import DayPlan, simulate_day
    from poolab.field.campaigns import create_campaign
    from poolab.field.scans import scan_lines
    from poolab.lab.reception import receive
    from poolab.lab.results import enter_result
    from poolab.roster.importing import import_roster

    import_roster(store, roster_csv, operator="t")
    create_campaign(store, "day1", operator="t")
    plan = DayPlan(hours=7.0, walk=3.0, transport=1.0, lab=1.0, resample=1.5, lost=0.2, positive=0.1, invalid=0.1)
    simulate_day(store, "day1", plan=plan, seed=3, now=AT + timedelta(hours=8))
    _plate_some(store, tmp_path)
    with store.read() as conn:
        called = conn.execute(
            select(T.c.barcode).where(current_call(T.c.id) == "negative").order_by(T.c.id).limit(1)
        ).scalar_one()
        on_the_way = (
            conn.execute(select(T.c.barcode).where(tube_step(T.c.id) == 1).order_by(T.c.id).limit(1)).scalars().all()
        )
    enter_result(store, "day1", called, "p", operator="t", amend=True, reason="re-read")
    scans = tmp_path / "late-scans.txt"  # received after the plates were made: not plated
    scans.write_text("".join(f"{code}\n" for code in on_the_way), encoding="utf-8")
    assert len(on_the_way) == receive(store, "day1", scan_lines(str(scans)), source=scans.name, operator="t").accepted


def _plate_some(store, tmp_path: Path) -> None:
    """A plate map of received tubes still without a result (``plate new``), if any."""
    from poolab.lab.bench.plates import new_plates

    new_plates(store, "day1", tmp_path / "plates.csv", operator="t")


def test_status_reads_the_counts_not_the_tubes(tmp_path: Path, small_roster_csv: Path) -> None:
    """On SQLite, `poolab status` reads the campaign's running counts through their index
    and never scans the tubes, the scans or the results: its cost does not grow with the
    campaign's tubes. Late tubes are looked for only in the minutes that hold some."""
    from sqlalchemy import event

    from poolab.reports.status import campaign_status
    from poolab.store.engine import init_store

    store, _ = init_store(f"sqlite:///{tmp_path / 'plans.db'}")
    try:
        _busy_day(store, small_roster_csv, tmp_path)
        seen: list[tuple[str, Any]] = []

        def keep(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, parameters))

        event.listen(store.engine, "before_cursor_execute", keep)
        campaign_status(store, "day1", now=AT + timedelta(hours=10))
        event.remove(store.engine, "before_cursor_execute", keep)
        with store.engine.connect() as conn:
            plans = [
                " | ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
                for sql, params in seen
            ]
    finally:
        store.dispose()
    joined = "\n".join(plans)
    assert "ix_tube_tally_campaign_what" in joined, joined
    for table in ("tube", "t", "tube_tally", "collection", "col", "receipt", "rec", "result", "res", "plate_well"):
        assert f"SCAN {table} " not in f"{joined} ".replace("\n", " "), joined
        assert not any(part.strip() == f"SCAN {table}" for plan in plans for part in plan.split("|")), joined
