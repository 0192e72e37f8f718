"""The append-only event log: every write a person makes is one event."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, update

from poolab.store.tables import Event


def now() -> datetime:
    """The time stamp events and scans carry (UTC, aware)."""
    return datetime.now(UTC)


def stream_id() -> str:
    """An id the events of one scan stream share (each of its flushes is an event), so
    that ``poolab log`` shows the stream as one row."""
    return uuid.uuid4().hex[:12]


def record_event(
    conn: Connection,
    *,
    operator: str,
    action: str,
    campaign_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Append one event and return its id (the operator checked by ``check_operator``)."""
    from poolab.operators import check_operator

    operator = check_operator(operator)
    result = conn.execute(
        insert(Event.__table__),  # type: ignore[attr-defined]
        {
            "at": at or now(),
            "operator": operator,
            "action": action,
            "campaign_id": campaign_id,
            "detail": json.dumps(detail or {}, ensure_ascii=False, default=str),
        },
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def set_event_detail(conn: Connection, *, event_id: int, detail: dict[str, Any]) -> None:
    """Finish an event's detail in the transaction that created it (a batch learns how
    many of its rows the store took only after inserting them); no other transaction
    ever sees the first version, so the log stays append-only."""
    table = Event.__table__  # type: ignore[attr-defined]
    conn.execute(
        update(table).where(table.c.id == event_id).values(detail=json.dumps(detail, ensure_ascii=False, default=str))
    )
