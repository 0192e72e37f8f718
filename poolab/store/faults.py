"""Database errors as one line a person can act on: what happened, never the SQL.

SQLAlchemy's own message carries the statement and its parameters (names, ID numbers);
only the driver's first line is looked at here, and what is shown is our own wording.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

from poolab.i18n import _

# PostgreSQL SQLSTATE codes (Appendix A of its manual)
_PG_RETRY = {"40001", "40P01"}  # serialization failure, deadlock detected
_PG_DISK_FULL = {"53100", "53200", "53300"}  # disk full, out of memory, too many connections
_PG_READ_ONLY = "25006"
_PG_LOCKED = {"55P03", "57014"}  # lock not available (lock_timeout), statement cancelled


def _driver_message(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc.orig).__name__


def _sqlstate(exc: DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", "") or "")


def is_retryable(exc: DBAPIError) -> bool:
    """A race another transaction won (a constraint, a deadlock, a serialization
    failure): running the transaction again decides it."""
    return isinstance(exc, IntegrityError) or _sqlstate(exc) in _PG_RETRY


def describe_fault(exc: DBAPIError, *, writing: bool, where: str = "") -> str:
    """One line for a database error: what happened and what it means for the data."""
    store = _("the store {where}").format(where=where) if where else _("the store")
    kept = _("; nothing from this step was written") if writing else ""
    message = _driver_message(exc)
    low = message.lower()
    state = _sqlstate(exc)
    if isinstance(exc, IntegrityError) or state in _PG_RETRY:
        return _("another station kept changing the same records at the same time{kept}; run the command again").format(
            kept=kept
        )
    if "disk is full" in low or "no space left" in low or state in _PG_DISK_FULL:
        return _("{store} is out of space (disk full){kept}; free some space and run the command again").format(
            store=store, kept=kept
        )
    if "readonly database" in low or "read-only" in low or state == _PG_READ_ONLY:
        return _("{store} is read-only (file or folder permissions, or a read-only server){kept}").format(
            store=store, kept=kept
        )
    if "database is locked" in low or "table is locked" in low or state in _PG_LOCKED:
        return _(
            "{store} is locked by another program that has been writing for too long{kept}; "
            "try again when it has finished (POOLAB_BUSY_TIMEOUT sets how many seconds to wait)"
        ).format(store=store, kept=kept)
    if "file is not a database" in low:
        return _("{store} is not a poolab store (the file is not an SQLite database)").format(store=store)
    if "unable to open database file" in low:
        return _("cannot open {store} (missing folder, or no permission)").format(store=store)
    if "disk i/o error" in low:
        return _("{store} could not be written or read (disk I/O error: is the disk full?){kept}").format(
            store=store, kept=kept
        )
    if state.startswith("08") or "connection" in low or "could not translate host" in low:
        return _("cannot reach {store}: {message}").format(store=store, message=message)
    if state in ("28P01", "28000"):
        return _("{store} refused the login: {message}").format(store=store, message=message)
    if state == "3D000":
        return _("{store} does not exist on its server: {message}").format(store=store, message=message)
    return _("{store} failed: {message}{kept}").format(store=store, message=message, kept=kept)
