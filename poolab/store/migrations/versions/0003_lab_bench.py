"""The lab bench: plates, their wells (plate maps) and the instrument runs imported for
them. New tables only: every existing row is kept as it is.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _int(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _str(name: str, length: int | None = None) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=False)


def upgrade() -> None:
    op.create_table(
        "plate",
        _id(),
        _str("barcode", 64),
        _int("campaign_id"),
        _int("size"),
        _int("event_id"),
        sa.UniqueConstraint("barcode"),
    )
    op.create_index("ix_plate_campaign_id", "plate", ["campaign_id"])
    op.create_table(
        "plate_well",
        _id(),
        _int("plate_id"),
        _str("well", 8),
        _str("kind", 24),
        _int("tube_id", True),
        _int("run", True),
        _int("event_id"),
        sa.UniqueConstraint("plate_id", "well"),
        sa.UniqueConstraint("tube_id", "run"),
    )
    op.create_table(
        "plate_run",
        _id(),
        _int("plate_id"),
        _int("event_id"),
        _str("status", 24),
        _str("kit", 200),
        _str("message"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_plate_run_plate_id", "plate_run", ["plate_id"])
    op.create_index("ix_plate_run_event_id", "plate_run", ["event_id"])


def downgrade() -> None:
    op.drop_table("plate_run")
    op.drop_table("plate_well")
    op.drop_table("plate")
