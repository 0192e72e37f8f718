"""Times as people read them in messages: local clock time, with the date when it is
not today. The store keeps UTC; SQLite hands it back without a zone."""

from __future__ import annotations

from datetime import UTC, datetime


def local_time(at: datetime) -> datetime:
    """``at`` (UTC, aware or naive) in the machine's local zone."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone()


def when(at: datetime, *, today: datetime | None = None) -> str:
    """Local clock time: "09:12" for a time today, "2026-11-29 09:12" for another day."""
    local = local_time(at)
    now = local_time(today) if today is not None else datetime.now().astimezone()
    return f"{local:%H:%M}" if local.date() == now.date() else f"{local:%Y-%m-%d %H:%M}"
