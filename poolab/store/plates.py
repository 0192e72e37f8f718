"""The lab bench's rows: plates, their wells (plate maps) and the runs imported for them.

Races are decided by the constraints of ``tables.py``: a plate barcode once, a well once
per plate, and a tube once per run number (``PlateWell.run``), so two plate maps written
at once cannot both take a tube; the loser's transaction fails and ``Store.write`` runs it
again, when it sees the tube placed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, String, bindparam, cast, exists, func, select

from poolab.store.bulk import fetch_all_raw, insert_rows
from poolab.store.tables import Event, Plate, PlateRun, PlateWell, Receipt, Result, Tube
from poolab.store.tube_tally import count_written, last_id
from poolab.store.tubesql import filter_only

_P = Plate.__table__  # type: ignore[attr-defined]
_W = PlateWell.__table__  # type: ignore[attr-defined]
_RUN = PlateRun.__table__  # type: ignore[attr-defined]
_T = Tube.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_RES = Result.__table__  # type: ignore[attr-defined]
_EV = Event.__table__  # type: ignore[attr-defined]

WELL_COLUMNS = ("plate_id", "well", "kind", "tube_id", "run", "event_id")


class PlateRecord(NamedTuple):
    """A plate as the bench needs it."""

    id: int
    barcode: str
    campaign_id: int
    size: int


def insert_plate(conn: Connection, *, barcode: str, campaign_id: int, size: int, event_id: int) -> int:
    """Add a plate; returns its id (a second plate with the barcode violates its key)."""
    pk = conn.execute(
        _P.insert(), {"barcode": barcode, "campaign_id": campaign_id, "size": size, "event_id": event_id}
    ).inserted_primary_key
    assert pk is not None
    return int(pk[0])


def insert_wells(conn: Connection, *, rows: Sequence[tuple[Any, ...]]) -> int:
    """Plate map rows in ``WELL_COLUMNS`` order, in tube order (two writers that overlap
    take the keys in one order)."""
    ordered = sorted(rows, key=lambda r: (r[3] is None, r[3] or 0, r[0], r[1]))
    after = last_id(conn, "plate_well")
    written = insert_rows(conn, _W, WELL_COLUMNS, ordered)
    for event_id in sorted({int(r[5]) for r in ordered}):
        count_written(conn, table="plate_well", event_id=event_id, after_id=after)
    return written


def plates_by_barcode(conn: Connection, *, barcodes: Sequence[str]) -> dict[str, PlateRecord]:
    """barcode -> plate, for the plates among ``barcodes`` that exist (any campaign)."""
    wanted = sorted(set(barcodes))
    out: dict[str, PlateRecord] = {}
    for start in range(0, len(wanted), 900):
        stmt = select(_P.c.id, _P.c.barcode, _P.c.campaign_id, _P.c.size).where(
            _P.c.barcode.in_(wanted[start : start + 900])
        )
        for row in conn.execute(stmt):
            out[row[1]] = PlateRecord(*row)
    return out


class Placement(NamedTuple):
    """A tube's latest well: its plate, well, run number, and whether the plate has run."""

    plate_id: int
    plate_barcode: str
    well: str
    run: int
    plate_has_run: bool


_HAS_RUN = exists().where(_RUN.c.plate_id == _P.c.id)
_PLACEMENTS = (
    select(_W.c.tube_id, _P.c.id, _P.c.barcode, _W.c.well, _W.c.run, _HAS_RUN)
    .select_from(_W.join(_P, _P.c.id == _W.c.plate_id))
    .where(_P.c.campaign_id == bindparam("campaign"), _W.c.tube_id.is_not(None))
    .order_by(_W.c.run)
)
_PLACEMENTS_OF = (
    select(_W.c.tube_id, _P.c.id, _P.c.barcode, _W.c.well, _W.c.run, _HAS_RUN)
    .select_from(_W.join(_P, _P.c.id == _W.c.plate_id))
    .where(filter_only(_P.c.campaign_id) == bindparam("campaign"), _W.c.tube_id.in_(bindparam("ids", expanding=True)))
    .order_by(_W.c.run)
)


def latest_placements(
    conn: Connection, *, campaign_id: int, tube_ids: Sequence[int] | None = None
) -> dict[int, Placement]:
    """tube id -> its latest placement, for the campaign's tubes on a plate (or those
    among ``tube_ids``, a plate's worth)."""
    if tube_ids is None:
        rows: Any = conn.execute(_PLACEMENTS, {"campaign": campaign_id})
    else:
        rows = conn.execute(_PLACEMENTS_OF, {"campaign": campaign_id, "ids": list(tube_ids)})
    out: dict[int, Placement] = {}
    for tid, pid, code, well, run, ran in rows:
        out[tid] = Placement(pid, code, well, run, bool(ran))
    return out


def received_tubes(conn: Connection, *, campaign_id: int) -> list[tuple[int, str, str | None]]:
    """(tube id, barcode, current call or None) of the campaign's received tubes, in
    reception order."""
    rows = fetch_all_raw(
        conn,
        select(_T.c.id, _T.c.barcode)
        .select_from(_T.join(_REC, _REC.c.tube_id == _T.c.id))
        .where(_T.c.campaign_id == campaign_id)
        .order_by(_REC.c.id, _T.c.id),
    )
    current: dict[int, str] = {}
    for tid, call in fetch_all_raw(
        conn,
        select(_RES.c.tube_id, _RES.c.call)
        .where(_RES.c.tube_id.in_(select(_T.c.id).where(_T.c.campaign_id == campaign_id)))
        .order_by(_RES.c.id),
    ):
        current[tid] = call
    return [(tid, code, current.get(tid)) for tid, code in rows]


class MapWell(NamedTuple):
    """One well of a plate map, with its tube's barcode and run."""

    well: str
    kind: str
    tube_id: int | None
    tube_barcode: str
    run: int | None


_MAP = (
    select(_W.c.well, _W.c.kind, _W.c.tube_id, func.coalesce(_T.c.barcode, ""), _W.c.run)
    .select_from(_W.outerjoin(_T, _T.c.id == _W.c.tube_id))
    .where(_W.c.plate_id == bindparam("plate"))
    .order_by(_W.c.id)
)


def plate_wells(conn: Connection, *, plate_id: int) -> list[MapWell]:
    """The plate's map (wells without a row in the map are empty)."""
    return [MapWell(*r) for r in conn.execute(_MAP, {"plate": plate_id})]


def campaign_map_rows(conn: Connection, *, campaign_id: int) -> list[tuple[str, str, str, str]]:
    """(plate barcode, well, kind, tube barcode) of every plate of the campaign."""
    stmt = (
        select(_P.c.barcode, _W.c.well, _W.c.kind, func.coalesce(_T.c.barcode, ""))
        .select_from(_W.join(_P, _P.c.id == _W.c.plate_id).outerjoin(_T, _T.c.id == _W.c.tube_id))
        .where(_P.c.campaign_id == campaign_id)
        .order_by(_P.c.id, _W.c.id)
    )
    return [tuple(r) for r in fetch_all_raw(conn, stmt)]


def insert_plate_run(
    conn: Connection, *, plate_id: int, event_id: int, status: str, kit: str, message: str, at: datetime
) -> None:
    """Record an export imported for a plate (append-only: a later export adds a row)."""
    conn.execute(
        _RUN.insert(),
        {"plate_id": plate_id, "event_id": event_id, "status": status, "kit": kit, "message": message, "at": at},
    )


class PlateOverview(NamedTuple):
    """A plate and where it stands: its latest run's status (None: mapped, not run)."""

    barcode: str
    size: int
    samples: int
    controls: int
    created: datetime
    operator: str
    status: str | None
    kit: str
    message: str
    runs: int


def campaign_plates(conn: Connection, *, campaign_id: int) -> list[PlateOverview]:
    """Every plate of the campaign, oldest first."""
    counts: dict[int, tuple[int, int]] = {}
    for pid, kind, n in conn.execute(
        select(_W.c.plate_id, _W.c.kind, func.count())
        .select_from(_W.join(_P, _P.c.id == _W.c.plate_id))
        .where(_P.c.campaign_id == campaign_id)
        .group_by(_W.c.plate_id, _W.c.kind)
    ):
        s, c = counts.get(pid, (0, 0))
        counts[pid] = (s + n, c) if kind == "sample" else (s, c + (n if kind.endswith("control") else 0))
    runs: dict[int, list[tuple[str, str, str]]] = {}
    for pid, status, kit, message in conn.execute(
        select(_RUN.c.plate_id, _RUN.c.status, _RUN.c.kit, _RUN.c.message)
        .select_from(_RUN.join(_P, _P.c.id == _RUN.c.plate_id))
        .where(_P.c.campaign_id == campaign_id)
        .order_by(_RUN.c.id)
    ):
        runs.setdefault(pid, []).append((status, kit, message))
    out: list[PlateOverview] = []
    for pid, code, size, at, operator in conn.execute(
        select(_P.c.id, _P.c.barcode, _P.c.size, _EV.c.at, _EV.c.operator)
        .select_from(_P.join(_EV, _EV.c.id == _P.c.event_id))
        .where(_P.c.campaign_id == campaign_id)
        .order_by(_P.c.id)
    ):
        s, c = counts.get(pid, (0, 0))
        last = runs.get(pid, [])
        status, kit, message = last[-1] if last else (None, "", "")
        out.append(PlateOverview(code, size, s, c, at, operator, status, kit, message, len(last)))
    return out


def results_of_plate(conn: Connection, *, plate_id: int, tube_ids: Sequence[int]) -> set[int]:
    """Ids of the results of ``tube_ids`` (a plate's tubes) that an export of the plate
    recorded."""
    if not tube_ids:
        return set()
    stmt = (
        select(_RES.c.id)
        .select_from(_RES.join(_RUN, _RUN.c.event_id == _RES.c.event_id))
        .where(_RUN.c.plate_id == plate_id, _RES.c.tube_id.in_(bindparam("ids", expanding=True)))
    )
    return {int(r[0]) for r in conn.execute(stmt, {"ids": list(tube_ids)})}


def well_notes(conn: Connection, *, event_ids: Sequence[int]) -> dict[tuple[int, str], str]:
    """(event id, well) -> why the instrument voided the well, for the wells of these
    imports' events that it omitted or flagged (kept in the event's detail)."""
    import json

    out: dict[tuple[int, str], str] = {}
    wanted = sorted(set(event_ids))
    for start in range(0, len(wanted), 900):
        for eid, raw in conn.execute(select(_EV.c.id, _EV.c.detail).where(_EV.c.id.in_(wanted[start : start + 900]))):
            try:
                wells = json.loads(raw or "{}").get("wells") or {}
            except (ValueError, AttributeError):
                continue
            for well, info in wells.items():
                if isinstance(info, dict) and info.get("instrument"):
                    out[(int(eid), str(well))] = str(info["instrument"])
    return out


class RunOrigin(NamedTuple):
    """Where a tube's current result came from, when an instrument export recorded it."""

    plate_barcode: str
    well: str
    status: str
    message: str
    event_id: int = 0


def current_result_origins(conn: Connection, *, campaign_id: int) -> dict[int, RunOrigin]:
    """tube id -> the plate run (plate, well, status, message) that recorded its current
    result, for the campaign's tubes whose current result came from a plate run."""
    stmt = (
        select(
            _RES.c.tube_id,
            func.coalesce(_P.c.barcode, ""),
            func.coalesce(_W.c.well, ""),
            _RUN.c.status,
            _RUN.c.message,
            _RES.c.event_id,
        )
        .select_from(
            _RES.join(_T, _T.c.id == _RES.c.tube_id)
            .outerjoin(_RUN, _RUN.c.event_id == _RES.c.event_id)
            .outerjoin(_P, _P.c.id == _RUN.c.plate_id)
            .outerjoin(_W, (_W.c.plate_id == _RUN.c.plate_id) & (_W.c.tube_id == _RES.c.tube_id))
        )
        .where(_T.c.campaign_id == campaign_id)
        .order_by(_RES.c.id)
    )
    out: dict[int, RunOrigin] = {}
    for tid, code, well, status, message, event_id in fetch_all_raw(conn, stmt):
        if status is None:
            out.pop(tid, None)  # a later result not from a plate run
        else:
            out[tid] = RunOrigin(code, well, status, message or "", int(event_id))
    return out


class TubeBenchRow(NamedTuple):
    """One step of a tube at the bench: a placement (``result`` None) or a result."""

    plate_barcode: str
    well: str
    run: int | None
    status: str | None  # the plate's run status at that result, None for a placement on a plate not run
    call: str | None
    ct1: float | None
    ct2: float | None
    kit: str
    at: str
    operator: str = ""  # who put it on the plate (placements)


def tube_bench_rows(conn: Connection, *, tube_id: int) -> tuple[list[TubeBenchRow], list[TubeBenchRow]]:
    """(placements, results) of one tube, oldest first: every plate it was on, and every
    result with its Cts and, when an export recorded it, the plate and kit."""
    placements = [
        TubeBenchRow(code, well, run, None, None, None, None, "", str(at)[:19], operator)
        for code, well, run, at, operator in fetch_all_raw(
            conn,
            select(_P.c.barcode, _W.c.well, _W.c.run, cast(_EV.c.at, String), _EV.c.operator)
            .select_from(_W.join(_P, _P.c.id == _W.c.plate_id).join(_EV, _EV.c.id == _W.c.event_id))
            .where(_W.c.tube_id == tube_id)
            .order_by(_W.c.run),
        )
    ]
    results = [
        TubeBenchRow(code or "", well or "", None, status, call, c1, c2, kit or "", str(at)[:19])
        for code, well, status, call, c1, c2, kit, at in fetch_all_raw(
            conn,
            select(
                _P.c.barcode,
                _W.c.well,
                _RUN.c.status,
                _RES.c.call,
                _RES.c.ct_orf1ab,
                _RES.c.ct_n,
                _RUN.c.kit,
                cast(_RES.c.at, String),
            )
            .select_from(
                _RES.outerjoin(_RUN, _RUN.c.event_id == _RES.c.event_id)
                .outerjoin(_P, _P.c.id == _RUN.c.plate_id)
                .outerjoin(_W, (_W.c.plate_id == _P.c.id) & (_W.c.tube_id == _RES.c.tube_id))
            )
            .where(_RES.c.tube_id == tube_id)
            .order_by(_RES.c.id),
        )
    ]
    return placements, results


def next_serial(conn: Connection, *, prefix: str) -> int:
    """The serial the store issues next for ``prefix`` (1 when none was issued yet)."""
    from poolab.store.tables import Counter

    k = Counter.__table__  # type: ignore[attr-defined]
    value = conn.execute(select(k.c.value).where(k.c.name == f"barcode:{prefix}")).scalar()
    return int(value) if value is not None else 1
