"""The schema of poolab 0.1.0, the release before migrations (it kept ``schema_version``
1 in a ``meta`` table). A store made by that release is stamped at this revision by
``poolab init`` and upgraded from here; an empty database is built from here.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _at() -> sa.Column:
    return sa.Column("at", sa.DateTime(timezone=True), nullable=False)


def _int(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _str(name: str, length: int | None = None, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=nullable)


def upgrade() -> None:
    op.create_table("meta", _str("key", 64), _str("value"), sa.PrimaryKeyConstraint("key"))
    op.create_table("counter", _str("name", 64), _int("value"), sa.PrimaryKeyConstraint("name"))
    op.create_table(
        "event", _id(), _at(), _str("operator", 200), _str("action", 64), _int("campaign_id", True), _str("detail")
    )
    op.create_index("ix_event_action", "event", ["action"])
    op.create_index("ix_event_campaign_id", "event", ["campaign_id"])
    op.create_table(
        "resident",
        _id(),
        _str("resident_id", 64),
        _str("name"),
        _str("id_number"),
        _str("phone"),
        _str("compound", 200),
        _str("building"),
        _str("unit"),
        _str("room"),
        _str("household_id", 64),
        _int("event_id"),
        sa.UniqueConstraint("resident_id"),
    )
    op.create_index("ix_resident_compound", "resident", ["compound"])
    op.create_index("ix_resident_household_id", "resident", ["household_id"])
    op.create_table("resident_change", _id(), _int("resident_pk"), _int("event_id"), _str("previous"))
    op.create_index("ix_resident_change_resident_pk", "resident_change", ["resident_pk"])
    op.create_table(
        "import_record",
        _id(),
        _str("scope", 200),
        _str("sha256", 64),
        _int("event_id"),
        sa.UniqueConstraint("scope", "sha256"),
    )
    op.create_table(
        "campaign",
        _id(),
        _str("name", 200),
        _int("pool_size"),
        sa.Column("one_tube_per_household", sa.Boolean(), nullable=False),
        sa.Column("field_binding", sa.Boolean(), nullable=False),
        _str("compounds"),
        _int("event_id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "tube",
        _id(),
        _str("barcode", 64),
        _int("campaign_id"),
        _str("kind", 16),
        _int("position"),
        _int("parent_tube_id", True),
        _int("resident_pk", True),
        _int("event_id"),
        sa.UniqueConstraint("barcode"),
    )
    op.create_index("ix_tube_campaign_id", "tube", ["campaign_id"])
    op.create_index("ix_tube_parent_tube_id", "tube", ["parent_tube_id"])
    op.create_index("ix_tube_resident_pk", "tube", ["resident_pk"])
    op.create_table(
        "member",
        _id(),
        _int("campaign_id"),
        _int("tube_id"),
        _int("resident_pk"),
        _int("slot"),
        _int("event_id"),
        sa.UniqueConstraint("campaign_id", "resident_pk"),
    )
    op.create_index("ix_member_tube_slot", "member", ["tube_id", "slot"])
    for scan in ("collection", "receipt"):
        op.create_table(scan, _id(), _int("tube_id"), _int("event_id"), _at(), sa.UniqueConstraint("tube_id"))
    op.create_table(
        "result",
        _id(),
        _int("tube_id"),
        _str("call", 16),
        sa.Column("ct_orf1ab", sa.Float(), nullable=True),
        sa.Column("ct_n", sa.Float(), nullable=True),
        _str("source"),
        _int("supersedes_id", True),
        _str("reason", nullable=True),
        _int("event_id"),
        _at(),
    )
    op.create_index("ix_result_tube_id", "result", ["tube_id"])


def downgrade() -> None:
    for table in (
        "result",
        "receipt",
        "collection",
        "member",
        "tube",
        "campaign",
        "import_record",
        "resident_change",
        "resident",
        "event",
        "counter",
        "meta",
    ):
        op.drop_table(table)
