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

from typing import Any

import sqlalchemy as sa
from alembic import op

from poolab.store.migrations.tube_state_triggers import create_statements, drop_statements, fill_statements

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_STATE_COLUMNS = ("step", "call", "collected_at", "received_at", "receipt_minutes", "result_minutes")
_STATE_INDEXES = (
    "ix_tube_without_result",
    "ix_tube_not_received",
    "ix_tube_result_minutes",
    "ix_tube_receipt_minutes",
    "ix_tube_campaign_state",
)
_WAITING = "received_at IS NOT NULL AND (call IS NULL OR call = 'invalid')"
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
    by_minute("without_result", _epoch_minute(dialect, "received_at"), _WAITING)


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
    for name in _STATE_INDEXES:
        op.drop_index(name, table_name="tube")
    for column in _STATE_COLUMNS:
        op.execute(f"ALTER TABLE tube DROP COLUMN {column}")
    op.create_index("ix_tube_campaign_kind", "tube", ["campaign_id", "kind", "compound"])
    op.create_index("ix_collection_at", "collection", ["at"])
    op.create_index("ix_receipt_at", "receipt", ["at"])


def _partial(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def _state_from_rows(dialect: str) -> None:
    """Each tube's state from its rows, as migration 0006 filled it."""
    for statement in fill_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_receipt_at", table_name="receipt")
    op.drop_index("ix_collection_at", table_name="collection")
    op.drop_index("ix_tube_campaign_kind", table_name="tube")
    op.add_column("tube", sa.Column("step", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.add_column("tube", sa.Column("call", sa.String(16), nullable=True))
    op.add_column("tube", sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tube", sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tube", sa.Column("receipt_minutes", sa.Integer(), nullable=True))
    op.add_column("tube", sa.Column("result_minutes", sa.Integer(), nullable=True))
    _state_from_rows(dialect)
    op.create_index("ix_tube_campaign_state", "tube", ["campaign_id", "kind", "compound", "step", "call", "people"])
    op.create_index(
        "ix_tube_receipt_minutes", "tube", ["campaign_id", "receipt_minutes"], **_partial("receipt_minutes IS NOT NULL")
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
    for statement in create_statements(dialect):
        op.execute(statement)
    op.drop_index("ix_tube_tally_campaign_what", table_name="tube_tally")
    op.drop_table("tube_tally")
