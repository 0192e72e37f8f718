"""Files already imported: each imported file's content hash, per scope (a campaign's
results, a plate's exports), so the same file imported again is a no-op."""

from __future__ import annotations

from sqlalchemy import Connection, select

from poolab.store.tables import ImportRecord


def find_import(conn: Connection, *, scope: str, sha256: str) -> int | None:
    """The event id of an earlier import of the same file content, if any."""
    t = ImportRecord.__table__  # type: ignore[attr-defined]
    return conn.execute(select(t.c.event_id).where(t.c.scope == scope, t.c.sha256 == sha256)).scalar()


def record_import(conn: Connection, *, scope: str, sha256: str, event_id: int) -> None:
    """Remember an imported file's content so a second import is a no-op."""
    t = ImportRecord.__table__  # type: ignore[attr-defined]
    conn.execute(t.insert(), {"scope": scope, "sha256": sha256, "event_id": event_id})
