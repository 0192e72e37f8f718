"""A tube's state on its own row, kept by triggers: furthest step, current call, when it
was collected and received, and the whole minutes of its two turnaround spans, with
indexes that let status counts, turnaround histograms and late tubes read only those.

The triggers (``poolab.store.migrations.tube_state_triggers``, one set per dialect) update the tube in the
transaction of every insert into collection, receipt, plate_well and result. Existing
tubes are filled from their rows.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

from poolab.store.migrations.tube_state_triggers import STATE_INDEXES, add_state, drop_statements

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_tube_campaign_place", table_name="tube")
    add_state(op, dialect)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    for name, _, _ in reversed(STATE_INDEXES):
        op.drop_index(name, table_name="tube")
    op.create_index("ix_tube_campaign_place", "tube", ["campaign_id", "compound", "kind", "people"])
    with op.batch_alter_table("tube") as batch:
        for column in ("result_minutes", "receipt_minutes", "received_at", "collected_at", "call", "step"):
            batch.drop_column(column)
