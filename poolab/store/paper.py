"""Read-side queries for printing: where each tube goes, its residents, retest tubes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from poolab.store.bulk import fetch_all_raw
from poolab.store.tables import Campaign, Event, Member, Resident, Tube

_C = Campaign.__table__  # type: ignore[attr-defined]
_E = Event.__table__  # type: ignore[attr-defined]
_M = Member.__table__  # type: ignore[attr-defined]
_R = Resident.__table__  # type: ignore[attr-defined]
_T = Tube.__table__  # type: ignore[attr-defined]

MANIFEST_MEMBER_COLUMNS = (
    "barcode",
    "position",
    "slot",
    "resident_id",
    "name",
    "compound",
    "building",
    "unit",
    "room",
    "household_id",
)


def tube_places(conn: Connection, *, campaign_id: int, home_visit: bool | None = None) -> list[tuple[Any, ...]]:
    """(barcode, compound, building) for each pool tube and each building its members
    live in, in walk order (tube position, then the first slot in that building); a tube
    without members has one row with empty compound and building. With ``home_visit``,
    only the tubes that are (True) or are not (False) home visits."""
    first_slot = func.min(_M.c.slot)
    stmt = (
        select(_T.c.barcode, func.coalesce(_R.c.compound, ""), func.coalesce(_R.c.building, ""))
        .select_from(_T.outerjoin(_M, _M.c.tube_id == _T.c.id).outerjoin(_R, _R.c.id == _M.c.resident_pk))
        .where(_T.c.campaign_id == campaign_id, _T.c.kind == "pool")
        .group_by(_T.c.id, _T.c.barcode, _T.c.position, _R.c.compound, _R.c.building)
        .order_by(_T.c.position, _T.c.id, first_slot)
    )
    if home_visit is not None:
        stmt = stmt.where(_T.c.home_visit.is_(home_visit))
    return fetch_all_raw(conn, stmt)


def retest_tubes(conn: Connection, *, campaign_id: int) -> list[tuple[Any, ...]]:
    """(barcode, name, compound, building, unit, room, parent barcode) of every individual
    tube of the campaign, in walk order (the position of the pool place it resamples)."""
    parent = _T.alias("parent")
    stmt = (
        select(
            _T.c.barcode,
            _R.c.name,
            _R.c.compound,
            _R.c.building,
            _R.c.unit,
            _R.c.room,
            func.coalesce(parent.c.barcode, ""),
        )
        .select_from(_T.join(_R, _R.c.id == _T.c.resident_pk).outerjoin(parent, parent.c.id == _T.c.parent_tube_id))
        .where(_T.c.campaign_id == campaign_id, _T.c.kind == "individual", _T.c.duplicate_of.is_(None))
        .order_by(_T.c.position, _T.c.id)
    )
    return fetch_all_raw(conn, stmt)


def manifest_members(conn: Connection, *, campaign_id: int, home_visit: bool | None = None) -> list[tuple[Any, ...]]:
    """``MANIFEST_MEMBER_COLUMNS`` for every pool membership, in walk order (tube
    position, slot); with ``home_visit``, of the tubes that are (or are not) home visits."""
    stmt = (
        select(_T.c.barcode, _T.c.position, _M.c.slot, *(_R.c[c] for c in MANIFEST_MEMBER_COLUMNS[3:]))
        .select_from(_M.join(_T, _T.c.id == _M.c.tube_id).join(_R, _R.c.id == _M.c.resident_pk))
        .where(_M.c.campaign_id == campaign_id)
        .order_by(_T.c.position, _M.c.slot)
    )
    if home_visit is not None:
        stmt = stmt.where(_T.c.home_visit.is_(home_visit))
    return fetch_all_raw(conn, stmt)


def campaign_created_at(conn: Connection, *, campaign_id: int) -> datetime | None:
    """When the campaign was created (its creating event)."""
    at = conn.execute(
        select(_E.c.at).select_from(_C.join(_E, _E.c.id == _C.c.event_id)).where(_C.c.id == campaign_id)
    ).scalar()
    return at if isinstance(at, datetime) else None
