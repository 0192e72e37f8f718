"""The event trail read back: a campaign's events, and one tube's life."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, or_, select

from poolab.store.tables import Campaign, Collection, Event, PlateRun, Receipt, Result, Tube

_EV = Event.__table__  # type: ignore[attr-defined]
_C = Campaign.__table__  # type: ignore[attr-defined]
_T = Tube.__table__  # type: ignore[attr-defined]
_COL = Collection.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]
_RES = Result.__table__  # type: ignore[attr-defined]
_RUN = PlateRun.__table__  # type: ignore[attr-defined]


class EventRow(NamedTuple):
    """One event as stored (``detail`` is its JSON text)."""

    id: int
    at: datetime
    operator: str
    action: str
    detail: str


def campaign_events(conn: Connection, *, campaign_id: int, limit: int | None = None) -> list[EventRow]:
    """The campaign's events, its creation included, oldest first (the newest ``limit``
    when given)."""
    created = select(_C.c.event_id).where(_C.c.id == campaign_id).scalar_subquery()
    stmt = select(_EV.c.id, _EV.c.at, _EV.c.operator, _EV.c.action, _EV.c.detail).where(
        or_(_EV.c.campaign_id == campaign_id, _EV.c.id == created)
    )
    if limit is None:
        return [EventRow(*r) for r in conn.execute(stmt.order_by(_EV.c.id))]
    newest = conn.execute(stmt.order_by(_EV.c.id.desc()).limit(limit)).all()
    return [EventRow(*r) for r in reversed(newest)]


class TubeStep(NamedTuple):
    """One step of a tube's life: what, when, by whom, and its particulars."""

    at: datetime
    operator: str
    what: str  # "created", "collected", "received", "result"
    fields: dict[str, Any]


def tube_steps(conn: Connection, *, tube_id: int) -> list[TubeStep]:
    """Everything recorded about one tube, in time order."""
    steps: list[TubeStep] = []
    created = conn.execute(
        select(_EV.c.at, _EV.c.operator, _T.c.kind, _T.c.parent_tube_id)
        .select_from(_T.join(_EV, _EV.c.id == _T.c.event_id))
        .where(_T.c.id == tube_id)
    ).first()
    if created is not None:
        steps.append(TubeStep(created[0], created[1], "created", {"kind": created[2], "parent": created[3]}))
    for table, what in ((_COL, "collected"), (_REC, "received")):
        for at, operator in conn.execute(
            select(table.c.at, _EV.c.operator)
            .select_from(table.join(_EV, _EV.c.id == table.c.event_id))
            .where(table.c.tube_id == tube_id)
        ):
            steps.append(TubeStep(at, operator, what, {}))
    # the plate run that recorded a result (an instrument export): a failed control says why
    run_status = select(_RUN.c.status).where(_RUN.c.event_id == _RES.c.event_id).limit(1).scalar_subquery()
    run_message = select(_RUN.c.message).where(_RUN.c.event_id == _RES.c.event_id).limit(1).scalar_subquery()
    for rid, at, operator, call, c1, c2, source, supersedes, reason, detail, status, message in conn.execute(
        select(
            _RES.c.id,
            _RES.c.at,
            _EV.c.operator,
            _RES.c.call,
            _RES.c.ct_orf1ab,
            _RES.c.ct_n,
            _RES.c.source,
            _RES.c.supersedes_id,
            _RES.c.reason,
            _EV.c.detail,
            run_status,
            run_message,
        )
        .select_from(_RES.join(_EV, _EV.c.id == _RES.c.event_id))
        .where(_RES.c.tube_id == tube_id)
        .order_by(_RES.c.id)
    ):
        fields = {
            "id": rid,
            "call": call,
            "ct_orf1ab": c1,
            "ct_n": c2,
            "source": source,
            "supersedes": supersedes,
            "reason": reason,
            "event": detail,
            "run_status": status,  # None unless an instrument export recorded it
            "run_message": message,
        }
        steps.append(TubeStep(at, operator, "result", fields))
    return steps
