"""Residents' ids and household ids compared byte by byte on PostgreSQL (collation "C"),
as SQLite compares every text: a first roster import sorts a million of each to build
their indexes, and under a locale's collation (even "C.UTF-8") each comparison goes
through the C library's ``strcoll`` without PostgreSQL's abbreviated keys: the two builds
took about 0.8 s of a city's import, byte order half of that. Equality is the same under
both (a locale's collation breaks its ties byte by byte); only an ordering by these
codes can differ, and then as it is on SQLite.

Changing a column's collation rebuilds its indexes; nothing else changes. SQLite: nothing
to do.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_KEYS = (("resident_id", 64), ("household_id", 64))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column, length in _KEYS:
            op.execute(f'ALTER TABLE resident ALTER COLUMN {column} TYPE varchar({length}) COLLATE "C"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column, length in _KEYS:
            op.execute(f"ALTER TABLE resident ALTER COLUMN {column} TYPE varchar({length}) COLLATE pg_catalog.default")
