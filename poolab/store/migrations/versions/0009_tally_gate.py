"""The table ``tally_gate``: it holds no rows; its lock orders the writes that count
tubes (``poolab.store.tube_tally``). A big batch of receipts, checked and received by one
staged statement on PostgreSQL, holds it in SHARE mode instead of locking each of its
tubes' rows (a million row locks wrote 150 MB of write-ahead log and kept the two
writers of a big file in step); a write of collections, plates or results takes it in
ROW EXCLUSIVE mode before it measures its tubes. Batches of receipts never wait for each
other, and a count always sees the other's rows.

SQLite has one writer at a time: the table is there, unused.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("tally_gate", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("tally_gate")
