"""A tube's state kept on its row by the store's triggers (migration 0006) against the
same state recomputed from the appended rows (collection, receipt, plate_well, result)
the way the store's queries derived it before: after any sequence of writes, in any
order, and after an older store is upgraded."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, case, exists, func, select, text

from poolab.store.tables import Collection, PlateWell, Receipt
from poolab.store.tubesql import RES, T, current_result_on, minutes_between

pytestmark = pytest.mark.store

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
_COL = Collection.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_PW = PlateWell.__table__  # type: ignore[attr-defined]
_KEPT = ("step", "call", "collected_at", "received_at", "receipt_minutes", "result_minutes")


def kept_state(conn: Connection, campaign_id: int | None = None) -> list[tuple[object, ...]]:
    """Each tube's state as the triggers kept it, in tube order."""
    t = T.alias("t")
    query = select(t.c.id, *(t.c[name] for name in _KEPT)).order_by(t.c.id)
    if campaign_id is not None:
        query = query.where(t.c.campaign_id == campaign_id)
    return [tuple(r) for r in conn.execute(query)]


def recomputed_state(conn: Connection, campaign_id: int | None = None) -> list[tuple[object, ...]]:
    """The same, from the appended rows alone: the furthest step and current call as the
    status counts derived them, the scan times, and the spans' minutes as the turnaround
    histograms measured them (to the tube's first result)."""
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
    return [(i, s, c, ca, ra, _int(a), _int(b)) for i, s, c, ca, ra, a, b in conn.execute(query)]


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


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
    from poolab.store.bulk import insert_new_rows
    from poolab.store.tubes import NewResult, insert_collections, insert_receipts, insert_results

    if what == "collect":
        insert_collections(conn, tube_ids=[tube_id], at=at, event_id=event_id)
    elif what == "receive":
        insert_receipts(conn, tube_ids=[tube_id], at=at, event_id=event_id)
    elif what == "plate":  # the tube's next plate (its re-run's after the first)
        run = conn.execute(select(func.count()).where(_PW.c.tube_id == tube_id)).scalar_one() + 1
        rows = [(tube_id, f"A{run}", "sample", tube_id, run, event_id)]  # a plate per tube: wells never collide
        insert_new_rows(conn, _PW, ("plate_id", "well", "kind", "tube_id", "run", "event_id"), rows, key="id")
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
def test_kept_state_equals_the_rows_after_any_writes(store, fresh_tubes, writes, batched: bool) -> None:
    """Collections, receipts, plates (first and re-run), first results, re-runs and
    amendments, in any order and at any times (a receipt before its collection, a result
    before its receipt, spans of a few seconds), each in its own transaction or all in
    one: every tube's kept state equals the one recomputed from its rows."""
    from poolab.store.events import record_event

    cid, tubes = fresh_tubes()

    def write(conn: Connection, chunk: list[tuple[str, int, int, int, str]]) -> None:
        event = record_event(conn, operator="t", action="test", campaign_id=cid)
        for what, which, minute, second, call in chunk:
            _apply(conn, tubes[which], what, AT + timedelta(minutes=minute, seconds=second), call, event)

    for chunk in [writes] if batched else [[w] for w in writes]:
        store.write(lambda conn, chunk=chunk: write(conn, chunk))
    with store.read() as conn:
        kept, recomputed = kept_state(conn, cid), recomputed_state(conn, cid)
    assert recomputed == kept
    assert any(row[1] for row in kept)  # some tube moved


def test_one_statement_of_many_rows_keeps_each_tube_state(store, fresh_tubes) -> None:
    """Each insert below is one statement of several tubes' rows (PostgreSQL's trigger
    runs once per statement): collections, receipts (one of a tube with a result
    already), first plates beside a re-run's, and results in which one row supersedes
    another of the same statement. Every tube's kept state equals its rows'."""
    from sqlalchemy import insert

    from poolab.store.bulk import insert_new_rows
    from poolab.store.events import record_event
    from poolab.store.tubes import insert_collections, insert_receipts

    cid, tubes = fresh_tubes()

    def results(conn: Connection, event: int, at: datetime, rows: list[tuple[int, int, str, int | None]]) -> None:
        cols = ("id", "tube_id", "call", "source", "supersedes_id", "event_id", "at")
        values = [dict(zip(cols, (*r[:3], "keyboard", r[3], event, at), strict=True)) for r in rows]
        conn.execute(insert(RES).values(values))  # one multi-row statement

    def write(conn: Connection) -> None:
        event = record_event(conn, operator="t", action="test", campaign_id=cid)
        # ids the sequence will not reach in this test: a chain is written in one statement
        top = conn.execute(select(func.coalesce(func.max(RES.c.id), 0))).scalar_one() + 1000
        insert_collections(conn, tube_ids=tubes[0:4], at=AT, event_id=event)
        results(conn, event, AT + timedelta(minutes=3), [(top, tubes[5], "positive", None)])
        insert_receipts(conn, tube_ids=tubes[1:6], at=AT + timedelta(minutes=47, seconds=5), event_id=event)
        wells = [(t, f"A{i}", "sample", t, run, event) for i, (t, run) in enumerate([(tubes[2], 1), (tubes[3], 1)])]
        wells.append((tubes[2], "B1", "sample", tubes[2], 2, event))
        insert_new_rows(conn, _PW, ("plate_id", "well", "kind", "tube_id", "run", "event_id"), wells, key="id")
        later = AT + timedelta(hours=2, minutes=1)
        chain = [(top + 1, tubes[3], "invalid", None), (top + 2, tubes[3], "negative", top + 1)]
        results(conn, event, later, [*chain, (top + 3, tubes[4], "positive", None)])

    store.write(write)
    with store.read() as conn:
        kept, recomputed = kept_state(conn, cid), recomputed_state(conn, cid)
    assert recomputed == kept
    by_tube = {row[0]: row for row in kept}
    assert by_tube[tubes[3]][1:3] == (4, "negative")  # the chain's end is current
    assert by_tube[tubes[3]][6] == 73  # measured to the first result of the chain
    span = by_tube[tubes[5]][6]  # a result before the receipt: a negative span
    assert isinstance(span, int) and span < 0
    assert by_tube[tubes[2]][1] == 3 and by_tube[tubes[0]][1] == 1


def test_a_busy_day_keeps_every_tube_state(store, small_roster_csv: Path, tmp_path: Path) -> None:
    """The library's own write paths on a busy day (collection and reception scans, a
    plate map, instrument results, retests, re-runs, keyed amendments): the kept state
    equals the rows'."""
    _busy_day(store, small_roster_csv, tmp_path)
    with store.read() as conn:
        kept = kept_state(conn)
        assert recomputed_state(conn) == kept
    assert {0, 1, 2, 3, 4} <= {row[1] for row in kept}, "every step occurs"


def test_upgrade_fills_the_state_the_triggers_keep(store, small_roster_csv: Path, tmp_path: Path) -> None:
    """A store at schema 0005 upgraded to 0006: each tube's state is filled from its rows,
    equal to what the triggers had kept; writes after the upgrade keep it."""
    from alembic import command

    from poolab.store.migrate import _config, upgrade

    _busy_day(store, small_roster_csv, tmp_path)
    with store.read() as conn:
        kept = kept_state(conn)
    with store.engine.begin() as conn:
        command.downgrade(_config(conn, "t"), "0005")
    with store.engine.begin() as conn:
        assert "upgraded from schema 0005" == upgrade(conn)
    with store.read() as conn:
        assert kept == kept_state(conn)
        assert recomputed_state(conn) == kept


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
        called = conn.execute(select(T.c.barcode).where(T.c.call == "negative").order_by(T.c.id).limit(1)).scalar_one()
        on_the_way = conn.execute(select(T.c.barcode).where(T.c.step == 1).order_by(T.c.id).limit(1)).scalars().all()
    enter_result(store, "day1", called, "p", operator="t", amend=True, reason="re-read")
    scans = tmp_path / "late-scans.txt"  # received after the plates were made: not plated
    scans.write_text("".join(f"{code}\n" for code in on_the_way), encoding="utf-8")
    assert len(on_the_way) == receive(store, "day1", scan_lines(str(scans)), source=scans.name, operator="t").accepted


def _plate_some(store, tmp_path: Path) -> None:
    """A plate map of received tubes still without a result (``plate new``), if any."""
    from poolab.lab.bench.plates import new_plates

    new_plates(store, "day1", tmp_path / "plates.csv", operator="t")


def test_status_reads_indexes_of_the_tubes_only(tmp_path: Path, small_roster_csv: Path) -> None:
    """On SQLite, every statement of `poolab status` reads the tube table through the state
    indexes (the partial ones for turnaround and late tubes) and never a scan or result
    table: its cost does not grow with a join of every tube to its rows."""
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
                if "FROM tube" in sql
            ]
    finally:
        store.dispose()
    joined = "\n".join(plans)
    for index in (
        "ix_tube_campaign_state",
        "ix_tube_receipt_minutes",
        "ix_tube_result_minutes",
        "ix_tube_not_received",
        "ix_tube_without_result",
    ):
        assert index in joined, joined
    # the scan and result tables' own indexes (their rows are read by key, through these)
    for index in ("autoindex_collection", "autoindex_receipt", "ix_result_", "uq_result_", "plate_well"):
        assert index not in joined, joined
    assert "SCAN t " not in joined and not any(p.startswith("SCAN t") for p in plans), joined
