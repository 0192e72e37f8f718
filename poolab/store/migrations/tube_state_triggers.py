"""The triggers that kept a tube's state on its row (``tube.step``, ``call``, the times
and spans) from migration 0006 to 0008, as DDL statements for each backend: migration
0006 creates them, 0008 drops them and its downgrade creates them again. Frozen: the
store now keeps running counts instead (``poolab.store.tube_tally``).

They ran in the transaction of every insert into collection, receipt, plate_well (its
first plate) and result. SQLite ran a row trigger per inserted row; PostgreSQL a
statement trigger per insert, one UPDATE from the statement's new rows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

TRIGGER_TABLES = ("collection", "receipt", "plate_well", "result")


def minutes_sql(dialect: str, earlier: str, later: str) -> str:
    """Whole minutes from ``earlier`` to ``later``, as the store's queries measured them
    (``poolab.store.tubesql.minutes_between``): NULL when either is NULL."""
    if dialect == "sqlite":
        return f"CAST((julianday({later}) - julianday({earlier})) * 1440.0 AS INTEGER)"
    return f"floor(extract(epoch FROM {later} - {earlier}) / 60.0)"


FIRST_RESULT_AT = "(SELECT r.at FROM result r WHERE r.tube_id = {tube} AND r.supersedes_id IS NULL)"
"""When the tube ``{tube}`` got its first result (the one that supersedes nothing)."""


def _row_updates() -> dict[str, str]:
    """SQLite, per table: the UPDATE of the tube its new row ``NEW`` names (a row trigger)."""
    m = minutes_sql
    first_result = FIRST_RESULT_AT.format(tube="NEW.tube_id")
    return {
        "collection": (
            "UPDATE tube SET step = max(step, 1), collected_at = NEW.at, "
            f"receipt_minutes = {m('sqlite', 'NEW.at', 'received_at')} WHERE id = NEW.tube_id"
        ),
        "receipt": (
            "UPDATE tube SET step = max(step, 2), received_at = NEW.at, "
            f"receipt_minutes = {m('sqlite', 'collected_at', 'NEW.at')}, "
            # a result before the receipt (step 4 already) is the only case with a span to
            # measure: the look-up is skipped for every other tube
            f"result_minutes = CASE WHEN step = 4 THEN {m('sqlite', 'NEW.at', first_result)} "
            "END WHERE id = NEW.tube_id"
        ),
        # a tube on its first plate is plated; controls and empty wells name no tube, and a
        # tube already plated (or further) is not rewritten
        "plate_well": "UPDATE tube SET step = 3 WHERE id = NEW.tube_id AND NEW.run = 1 AND step < 3",
        # a new result is its tube's current one (it supersedes the chain's end, or starts it)
        "result": (
            "UPDATE tube SET step = 4, call = NEW.call, result_minutes = CASE WHEN NEW.supersedes_id IS NULL "
            f"THEN {m('sqlite', 'received_at', 'NEW.at')} ELSE result_minutes END WHERE id = NEW.tube_id"
        ),
    }


# PostgreSQL: one UPDATE per statement from its transition table ``new_rows`` (a receipt
# batch or a results COPY is one statement), not one per row: a row trigger runs its
# UPDATE as a statement of its own for every row, several times the cost of the insert.
# The tubes are first locked in id order, as row triggers did by firing in the (tube
# ordered) order of the insert: writers whose batches overlap never deadlock.
_LOCK = "PERFORM 1 FROM tube WHERE id IN (SELECT tube_id FROM new_rows{where}) ORDER BY id FOR UPDATE"


def _statement_updates() -> dict[str, tuple[str, str]]:
    """PostgreSQL, per table: its tubes' lock and the UPDATE from ``new_rows``."""
    m = minutes_sql
    first_result = FIRST_RESULT_AT.format(tube="t.id")
    plated = " WHERE run = 1"
    return {
        "collection": (
            _LOCK.format(where=""),
            "UPDATE tube t SET step = GREATEST(t.step, 1), collected_at = n.at, "
            f"receipt_minutes = {m('postgresql', 'n.at', 't.received_at')} FROM new_rows n WHERE t.id = n.tube_id",
        ),
        "receipt": (
            _LOCK.format(where=""),
            "UPDATE tube t SET step = GREATEST(t.step, 2), received_at = n.at, "
            f"receipt_minutes = {m('postgresql', 't.collected_at', 'n.at')}, "
            f"result_minutes = CASE WHEN t.step = 4 THEN {m('postgresql', 'n.at', first_result)} END "
            "FROM new_rows n WHERE t.id = n.tube_id",
        ),
        "plate_well": (
            _LOCK.format(where=plated),
            f"UPDATE tube t SET step = 3 WHERE t.id IN (SELECT tube_id FROM new_rows{plated}) AND t.step < 3",
        ),
        # the unique indexes leave a tube one new result per statement, unless a row
        # supersedes another row of the same statement: then the last one is current
        "result": (
            _LOCK.format(where=""),
            "UPDATE tube t SET step = 4, call = n.call, result_minutes = CASE WHEN n.first_at IS NOT NULL "
            f"THEN {m('postgresql', 't.received_at', 'n.first_at')} ELSE t.result_minutes END "
            "FROM (SELECT tube_id, (array_agg(call ORDER BY id DESC))[1] AS call, "
            "min(at) FILTER (WHERE supersedes_id IS NULL) AS first_at FROM new_rows GROUP BY tube_id) n "
            "WHERE t.id = n.tube_id",
        ),
    }


def create_statements(dialect: str) -> list[str]:
    """The DDL that creates the triggers (and, on PostgreSQL, their functions)."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER tube_state_{table} AFTER INSERT ON {table} FOR EACH ROW BEGIN {update}; END"
            for table, update in _row_updates().items()
        ]
    statements = []
    for table, (lock, update) in _statement_updates().items():
        name = f"tube_state_{table}"
        body = f"BEGIN {lock}; {update}; RETURN NULL; END"
        statements.append(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
        statements.append(
            f"CREATE TRIGGER {name} AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return statements


def drop_statements(dialect: str) -> list[str]:
    """The DDL that drops them."""
    statements = []
    for table in TRIGGER_TABLES:
        name = f"tube_state_{table}"
        if dialect == "sqlite":
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
        else:
            statements += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
    return statements


def fill_statements(dialect: str) -> list[str]:
    """Each tube's state from its rows (the columns must exist): 0006's upgrade and 0008's
    downgrade fill them so."""
    current = (
        "(SELECT r.call FROM result r WHERE r.tube_id = tube.id "
        "AND NOT EXISTS (SELECT 1 FROM result l WHERE l.supersedes_id = r.id))"
    )
    plated = "EXISTS (SELECT 1 FROM plate_well w WHERE w.tube_id = tube.id AND w.run = 1)"
    return [
        "UPDATE tube SET "
        "collected_at = (SELECT at FROM collection WHERE collection.tube_id = tube.id), "
        "received_at = (SELECT at FROM receipt WHERE receipt.tube_id = tube.id), "
        f"call = {current}",
        "UPDATE tube SET "
        "step = CASE WHEN call IS NOT NULL THEN 4 "
        f"WHEN {plated} THEN 3 WHEN received_at IS NOT NULL THEN 2 WHEN collected_at IS NOT NULL THEN 1 ELSE 0 END, "
        f"receipt_minutes = {minutes_sql(dialect, 'collected_at', 'received_at')}, "
        f"result_minutes = {minutes_sql(dialect, 'received_at', FIRST_RESULT_AT.format(tube='tube.id'))}",
    ]


WAITING = "received_at IS NOT NULL AND (call IS NULL OR call = 'invalid')"

STATE_INDEXES: tuple[tuple[str, list[str], str | None], ...] = (
    ("ix_tube_campaign_state", ["campaign_id", "kind", "compound", "step", "call", "people"], None),
    ("ix_tube_receipt_minutes", ["campaign_id", "receipt_minutes"], "receipt_minutes IS NOT NULL"),
    ("ix_tube_result_minutes", ["campaign_id", "result_minutes"], "result_minutes IS NOT NULL"),
    ("ix_tube_not_received", ["campaign_id", "collected_at"], "collected_at IS NOT NULL AND received_at IS NULL"),
    ("ix_tube_without_result", ["campaign_id", "received_at"], WAITING),
)
"""The state's indexes on ``tube``: name, columns and the partial index's condition."""


def state_columns() -> list[sa.Column]:
    """The state's columns on ``tube``, new objects for each migration that adds them."""
    return [
        sa.Column("step", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("call", sa.String(16), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_minutes", sa.Integer(), nullable=True),
        sa.Column("result_minutes", sa.Integer(), nullable=True),
    ]


def add_state(op: Any, dialect: str) -> None:
    """Add the state's columns to ``tube``, fill them from the rows, index them and create
    the triggers (``op``: Alembic's operations), as 0006's upgrade and 0008's downgrade do."""
    for column in state_columns():
        op.add_column("tube", column)
    for statement in fill_statements(dialect):
        op.execute(statement)
    for name, columns, where in STATE_INDEXES:
        partial = {} if where is None else {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}
        op.create_index(name, "tube", columns, **partial)
    for statement in create_statements(dialect):
        op.execute(statement)
