"""Running counts instead of a state on every tube row: the table ``tube_tally``, to
which each write appends what it changed (``poolab.store.tube_tally``), replaces the
triggers of migration 0006 with the columns they kept on ``tube`` and those columns'
indexes. Receipts and results no longer rewrite a tube row (and its indexes) each.

The counts start from the tubes' state as the triggers kept it. Late tubes are now
found from the scans themselves, by time: collection and receipt get an index on
``at``. A campaign's tubes of one kind (its individual tubes) keep an index of their
own. The downgrade puts the columns back, fills them from the rows, and creates the
triggers again.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from poolab.store.migrations.tube_state_triggers import (
    STATE_INDEXES,
    WAITING,
    add_state,
    drop_statements,
    state_columns,
)

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = "campaign_id, what, kind, compound, step, call, minute, tubes, people"


def _epoch_minute(dialect: str, at: str) -> str:
    if dialect == "sqlite":
        return f"(CAST(strftime('%s', {at}) AS INTEGER) / 60)"
    return f"CAST(floor(extract(epoch FROM {at}) / 60) AS integer)"


def _count_from_state(dialect: str) -> None:
    """The running counts as the tube rows' state stands (kept by 0006's triggers)."""

    def by_minute(what: str, minute: str, where: str) -> None:
        op.execute(
            f"INSERT INTO tube_tally ({_COLUMNS}) SELECT campaign_id, '{what}', NULL, NULL, NULL, NULL, "
            f"{minute}, count(*), 0 FROM tube WHERE {where} GROUP BY campaign_id, {minute}"
        )

    op.execute(
        f"INSERT INTO tube_tally ({_COLUMNS}) SELECT campaign_id, 'step', kind, compound, step, call, NULL, "
        "count(*), sum(coalesce(people, 0)) FROM tube WHERE compound IS NOT NULL OR kind <> 'pool' "
        "GROUP BY campaign_id, kind, compound, step, call"
    )
    by_minute("collection_to_receipt", "receipt_minutes", "receipt_minutes IS NOT NULL")
    by_minute("receipt_to_result", "result_minutes", "result_minutes IS NOT NULL")
    by_minute(
        "not_received",
        _epoch_minute(dialect, "collected_at"),
        "collected_at IS NOT NULL AND received_at IS NULL",
    )
    by_minute("without_result", _epoch_minute(dialect, "received_at"), WAITING)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "tube_tally",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("compound", sa.String(200), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("call", sa.String(16), nullable=True),
        sa.Column("minute", sa.Integer(), nullable=True),
        sa.Column("tubes", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
    )
    op.create_index("ix_tube_tally_campaign_what", "tube_tally", ["campaign_id", "what", "minute"])
    _count_from_state(dialect)
    for statement in drop_statements(dialect):
        op.execute(statement)
    for name, _, _ in reversed(STATE_INDEXES):
        op.drop_index(name, table_name="tube")
    for column in state_columns():
        op.execute(f"ALTER TABLE tube DROP COLUMN {column.name}")
    op.create_index("ix_tube_campaign_kind", "tube", ["campaign_id", "kind", "compound"])
    op.create_index("ix_collection_at", "collection", ["at"])
    op.create_index("ix_receipt_at", "receipt", ["at"])


def downgrade() -> None:
    op.drop_index("ix_receipt_at", table_name="receipt")
    op.drop_index("ix_collection_at", table_name="collection")
    op.drop_index("ix_tube_campaign_kind", table_name="tube")
    add_state(op, op.get_bind().dialect.name)  # as 0006 made it, filled from the rows
    op.drop_index("ix_tube_tally_campaign_what", table_name="tube_tally")
    op.drop_table("tube_tally")
