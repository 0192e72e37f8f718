"""Races decided by constraints: one result chain per tube, one retest tube per resident
and parent tube; ``alembic_version`` replaces the ``meta`` table.

Older stores may hold what the races of earlier releases left behind; every row is kept:
- a tube's results are chained by id (each result after the first names the one before
  it). Re-runs after ``invalid`` were stored without that link; a second call recorded
  at the same time as another one had neither. The tubes where that happened are named
  in an event (``poolab log``), so someone can check their calls.
- a second individual tube issued for the same resident and parent tube (two ``retest``
  runs at once) is kept and marked ``duplicate_of`` the first.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_FIRST = "supersedes_id IS NULL"
_NOT_DUPLICATE = "duplicate_of IS NULL"


def _partial(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def _chain_results(conn: sa.Connection) -> list[int]:
    """Link each result to the one before it on its tube; return the tubes whose
    results had been recorded concurrently (no link, or a shared one)."""
    rows = conn.execute(sa.text("SELECT id, tube_id, supersedes_id, call FROM result ORDER BY tube_id, id")).all()
    updates: list[dict[str, int]] = []
    raced: set[int] = set()
    previous: tuple[int, int, str] | None = None  # (tube, id, call) of the row before
    for rid, tube, supersedes, call in rows:
        if previous is not None and previous[0] == tube:
            if supersedes != previous[1]:
                updates.append({"rid": rid, "prev": previous[1]})
                if supersedes is not None or previous[2] != "invalid":
                    raced.add(tube)  # a second call without an amendment, or a shared link
        previous = (tube, rid, call)
    if updates:
        conn.execute(sa.text("UPDATE result SET supersedes_id = :prev WHERE id = :rid"), updates)
    return sorted(raced)


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("tube", sa.Column("duplicate_of", sa.Integer(), nullable=True))
    first = (
        "SELECT MIN(t2.id) FROM tube t2 "
        "WHERE t2.parent_tube_id = tube.parent_tube_id AND t2.resident_pk = tube.resident_pk"
    )
    duplicates = conn.execute(
        sa.text(f"UPDATE tube SET duplicate_of = ({first}) WHERE parent_tube_id IS NOT NULL AND id > ({first})")
    ).rowcount
    raced = _chain_results(conn)
    op.create_index("uq_result_first", "result", ["tube_id"], unique=True, **_partial(_FIRST))
    op.create_index("uq_result_supersedes", "result", ["supersedes_id"], unique=True)
    op.create_index(
        "uq_tube_retest", "tube", ["parent_tube_id", "resident_pk"], unique=True, **_partial(_NOT_DUPLICATE)
    )
    if duplicates or raced:
        codes = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT barcode FROM tube WHERE id IN :ids ORDER BY id").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": raced or [-1]},
            )
        ]
        detail = {"tubes_with_concurrent_results": codes, "duplicate_retest_tubes": int(duplicates or 0)}
        operator = str(context.config.attributes.get("operator", "poolab init"))
        event = sa.table(
            "event",
            sa.column("at", sa.DateTime(timezone=True)),
            sa.column("operator", sa.String()),
            sa.column("action", sa.String()),
            sa.column("detail", sa.String()),
        )
        conn.execute(
            event.insert().values(
                at=datetime.now(UTC), operator=operator, action="store.upgrade", detail=json.dumps(detail)
            )
        )
    op.drop_table("meta")


def downgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    op.drop_index("uq_tube_retest", "tube")
    op.drop_index("uq_result_supersedes", "result")
    op.drop_index("uq_result_first", "result")
    with op.batch_alter_table("tube") as batch:
        batch.drop_column("duplicate_of")
