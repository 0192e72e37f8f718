"""Which schema this release needs: the newest migration in ``poolab/store/migrations``.

Kept apart from the migrations so that opening a store checks its revision without
importing Alembic (tests check that ``HEAD`` is the migrations' head).
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

HEAD = "0009"
V1_TABLE = "meta"
"""The table that marks a store made before migrations (it held ``schema_version`` 1)."""


def store_revision(conn: Connection) -> str | None:
    """The migration the store is at: None for an empty database, "0001" for a store
    made before migrations (schema_version 1 in its ``meta`` table)."""
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" in tables:
        value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if value is None else str(value)
    if V1_TABLE in tables:
        return "0001"
    return None
