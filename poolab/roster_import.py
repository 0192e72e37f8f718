"""`poolab roster import`: a validated roster file into the store, all or nothing."""

from __future__ import annotations

import os

from sqlalchemy import Connection

from poolab.roster import ROSTER_COLUMNS, Roster, read_roster
from poolab.store.bulk import gc_paused
from poolab.store.engine import Store
from poolab.store.events import record_event
from poolab.store.residents import FIELDS, UpsertCounts, upsert_residents
from poolab.summaries import RosterImportSummary


def import_roster(
    store: Store, path: str | os.PathLike[str], *, operator: str, encoding: str | None = None
) -> RosterImportSummary:
    """Read, validate and upsert a roster file. Any bad line rejects the whole file
    (``InputRejected`` lists every problem); importing the same file again changes
    nothing and records nothing."""
    with gc_paused():
        roster = read_roster(path, encoding)
        return store_roster(store, roster, operator=operator)


def store_roster(store: Store, roster: Roster, *, operator: str) -> RosterImportSummary:
    """Upsert an already-validated roster in one transaction."""
    columns = {c: getattr(roster, c) for c in ROSTER_COLUMNS}

    def work(conn: Connection) -> UpsertCounts:
        event_id = record_event(
            conn,
            operator=operator,
            action="roster.import",
            detail={"source": roster.source, "rows": len(roster), "encoding": roster.encoding},
        )
        counts = upsert_residents(conn, columns={k: columns[k] for k in ("resident_id", *FIELDS)}, event_id=event_id)
        if counts.inserted == 0 and counts.updated == 0:
            conn.rollback()  # nothing changed: leave no event behind
        return counts

    # two imports at once: the second meets the first's residents (resident_id is unique)
    # and runs again as an update
    counts = store.write(work)
    return RosterImportSummary(
        source=roster.source,
        encoding=roster.encoding,
        rows=len(roster),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
    )
