"""A tube's state on its own row, kept by triggers: furthest step, current call, when it
was collected and received, and the whole minutes of its two turnaround spans, with
indexes that let status counts, turnaround histograms and late tubes read only those.

The triggers (``poolab.store.tube_state``, one set per dialect) update the tube in the
transaction of every insert into collection, receipt, plate_well and result. Existing
tubes are filled from their rows.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from poolab.store.migrations.tube_state_triggers import create_statements, drop_statements, fill_statements

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_WAITING = "received_at IS NOT NULL AND (call IS NULL OR call = 'invalid')"


def create_triggers(dialect: str) -> None:
    for statement in create_statements(dialect):
        op.execute(statement)


def drop_triggers(dialect: str) -> None:
    for statement in drop_statements(dialect):
        op.execute(statement)


def _backfill(dialect: str) -> None:
    for statement in fill_statements(dialect):
        op.execute(statement)


def _partial(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("tube", sa.Column("step", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.add_column("tube", sa.Column("call", sa.String(16), nullable=True))
    op.add_column("tube", sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tube", sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tube", sa.Column("receipt_minutes", sa.Integer(), nullable=True))
    op.add_column("tube", sa.Column("result_minutes", sa.Integer(), nullable=True))
    _backfill(dialect)
    op.drop_index("ix_tube_campaign_place", table_name="tube")
    op.create_index("ix_tube_campaign_state", "tube", ["campaign_id", "kind", "compound", "step", "call", "people"])
    op.create_index(
        "ix_tube_receipt_minutes",
        "tube",
        ["campaign_id", "receipt_minutes"],
        **_partial("receipt_minutes IS NOT NULL"),
    )
    op.create_index(
        "ix_tube_result_minutes", "tube", ["campaign_id", "result_minutes"], **_partial("result_minutes IS NOT NULL")
    )
    op.create_index(
        "ix_tube_not_received",
        "tube",
        ["campaign_id", "collected_at"],
        **_partial("collected_at IS NOT NULL AND received_at IS NULL"),
    )
    op.create_index("ix_tube_without_result", "tube", ["campaign_id", "received_at"], **_partial(_WAITING))
    create_triggers(dialect)


def downgrade() -> None:
    drop_triggers(op.get_bind().dialect.name)
    for name in (
        "ix_tube_without_result",
        "ix_tube_not_received",
        "ix_tube_result_minutes",
        "ix_tube_receipt_minutes",
        "ix_tube_campaign_state",
    ):
        op.drop_index(name, table_name="tube")
    op.create_index("ix_tube_campaign_place", "tube", ["campaign_id", "compound", "kind", "people"])
    with op.batch_alter_table("tube") as batch:
        for column in ("result_minutes", "receipt_minutes", "received_at", "collected_at", "call", "step"):
            batch.drop_column(column)
