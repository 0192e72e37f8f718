"""Field binding in the store: pre-printed tubes opened in the field and the residents
scanned into them. Two stations binding the same tube or the same resident at once are
decided by the unique keys (tube barcode; one membership per resident and campaign)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from poolab.store.bulk import insert_new_rows
from poolab.store.tables import Event, Member, Tube

_T = Tube.__table__  # type: ignore[attr-defined]
_M = Member.__table__  # type: ignore[attr-defined]
_EV = Event.__table__  # type: ignore[attr-defined]


def open_field_tube(conn: Connection, *, campaign_id: int, barcode: str, event_id: int) -> int | None:
    """Add a pool tube bound in the field, after the campaign's last tube in walk order;
    its id, or None when the barcode is taken (another station used that tube)."""
    last = conn.execute(select(func.max(_T.c.position)).where(_T.c.campaign_id == campaign_id)).scalar()
    position = 0 if last is None else int(last) + 1
    row = (barcode, campaign_id, "pool", position, event_id)
    ids = insert_new_rows(
        conn, _T, ("barcode", "campaign_id", "kind", "position", "event_id"), [row], key="id", unique=["barcode"]
    )
    return int(ids[0]) if ids else None


def bind_members(
    conn: Connection, *, campaign_id: int, tube_id: int, resident_pks: Sequence[int], first_slot: int, event_id: int
) -> set[int]:
    """Put residents into a tube (slots from ``first_slot`` on); returns those bound by
    this call (a resident bound elsewhere a moment ago is skipped)."""
    rows = [(campaign_id, tube_id, int(pk), first_slot + i, event_id) for i, pk in enumerate(resident_pks)]
    won = insert_new_rows(
        conn,
        _M,
        ("campaign_id", "tube_id", "resident_pk", "slot", "event_id"),
        rows,
        key="resident_pk",
        unique=["campaign_id", "resident_pk"],
    )
    return {int(pk) for pk in won}


class Binding(NamedTuple):
    """Where a resident is bound, when and by whom."""

    barcode: str
    at: datetime
    operator: str


def bindings_of(conn: Connection, *, campaign_id: int, resident_pks: Sequence[int]) -> dict[int, Binding]:
    """resident pk -> the tube they are bound to in the campaign, with when and by whom."""
    wanted = sorted({int(p) for p in resident_pks})
    out: dict[int, Binding] = {}
    for start in range(0, len(wanted), 900):
        rows = conn.execute(
            select(_M.c.resident_pk, _T.c.barcode, _EV.c.at, _EV.c.operator)
            .select_from(_M.join(_T, _T.c.id == _M.c.tube_id).join(_EV, _EV.c.id == _M.c.event_id))
            .where(_M.c.campaign_id == campaign_id, _M.c.resident_pk.in_(wanted[start : start + 900]))
        )
        for pk, code, at, operator in rows:
            out[int(pk)] = Binding(code, at, operator)
    return out


def tube_owner(conn: Connection, *, barcode: str) -> tuple[int, datetime, str] | None:
    """(campaign id, when, by whom) of the tube with ``barcode``, None when it is free."""
    row = conn.execute(
        select(_T.c.campaign_id, _EV.c.at, _EV.c.operator)
        .select_from(_T.join(_EV, _EV.c.id == _T.c.event_id))
        .where(_T.c.barcode == barcode)
    ).first()
    return None if row is None else (int(row[0]), row[1], str(row[2]))
