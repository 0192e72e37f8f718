"""Rounds of a silent period: a campaign's predecessor (``campaign.after_id``), what a
round took over from the rounds before it (``round_carry``: isolated positives, their
close contacts, residents still pending), and home visits (``resident.home_visit``,
``tube.home_visit``, with a partial index of the few home-visit residents).

Every row is kept: older campaigns follow none (NULL), older residents and tubes are not
home visits (false).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(sa.Column("after_id", sa.Integer(), nullable=True))
    for table in ("resident", "tube"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("home_visit", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index(
        "ix_resident_home_visit",
        "resident",
        ["id"],
        sqlite_where=sa.text("home_visit = 1"),
        postgresql_where=sa.text("home_visit"),
    )
    op.create_table(
        "round_carry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("resident_pk", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("since_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.UniqueConstraint("campaign_id", "resident_pk"),
    )
    op.create_index("ix_round_carry_resident_pk", "round_carry", ["resident_pk"])


def downgrade() -> None:
    op.drop_index("ix_round_carry_resident_pk", table_name="round_carry")
    op.drop_table("round_carry")
    op.drop_index("ix_resident_home_visit", table_name="resident")
    for table in ("tube", "resident"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("home_visit")
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("after_id")
