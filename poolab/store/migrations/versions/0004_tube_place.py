"""A pool tube's compound and head-count, written once when ``campaign new`` lays it out,
and indexes that cover the command post's counts (a campaign's tubes by compound and
kind; a tube's results with their calls).

Every row is kept. The new columns are filled for the pool tubes older campaigns laid
out (from their members: the compound of slot 1's resident, and how many members);
tubes bound in the field and individual tubes keep NULL (their members are scanned in
over the day; the queries count them then).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_LAID_OUT = "tube.kind = 'pool' AND tube.campaign_id IN (SELECT id FROM campaign WHERE NOT campaign.field_binding)"


def upgrade() -> None:
    op.add_column("tube", sa.Column("compound", sa.String(200), nullable=True))
    op.add_column("tube", sa.Column("people", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE tube SET "
        "people = (SELECT count(*) FROM member WHERE member.tube_id = tube.id), "
        "compound = (SELECT resident.compound FROM member JOIN resident ON resident.id = member.resident_pk "
        "WHERE member.tube_id = tube.id AND member.slot = 1) "
        f"WHERE {_LAID_OUT}"
    )
    op.create_index("ix_tube_campaign_place", "tube", ["campaign_id", "compound", "kind", "people"])
    # a tube's results in order with their calls: read without reading the result rows
    op.create_index("ix_result_tube_id_call", "result", ["tube_id", "id", "call"])
    op.drop_index("ix_result_tube_id", table_name="result")  # the new one serves its look-ups


def downgrade() -> None:
    op.create_index("ix_result_tube_id", "result", ["tube_id"])
    op.drop_index("ix_result_tube_id_call", table_name="result")
    op.drop_index("ix_tube_campaign_place", table_name="tube")
    op.drop_column("tube", "people")
    op.drop_column("tube", "compound")
