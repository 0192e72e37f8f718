"""SQL pieces the command post's queries share: a tube's current result, its place
(compound and building) and its number of people, as joins and correlated
subqueries the database runs per tube, so nothing is carried into Python per tube.

- A tube's current result is the end of its result chain: the row no other row
  supersedes (``uq_result_supersedes`` makes that an index look-up).
- A pool tube's place is that of its first member (pools never cross a compound; a
  pool that spans two buildings is shown at the first); an individual tube's is its
  resident's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Alias, ColumnElement, Connection, Integer, and_, case, cast, exists, func, select

from poolab.store.tables import Collection, Member, PlateWell, Receipt, Resident, Result, Tube

T = Tube.__table__  # type: ignore[attr-defined]
M = Member.__table__  # type: ignore[attr-defined]
R = Resident.__table__  # type: ignore[attr-defined]
RES = Result.__table__  # type: ignore[attr-defined]
COL = Collection.__table__  # type: ignore[attr-defined]
REC = Receipt.__table__  # type: ignore[attr-defined]
PW = PlateWell.__table__  # type: ignore[attr-defined]


def filter_only(column: Any) -> Any:
    """``column`` as a filter no index is picked for: a campaign's id beside an IN list
    of a plate's barcodes or tube ids. The store keeps no planner statistics, and without
    them SQLite takes ``campaign_id = ?`` for the narrower condition and walks the whole
    campaign (4-6 ms a plate at a district) instead of looking the few hundred up."""
    return column + 0


def is_current(result: Alias) -> ColumnElement[bool]:
    """``result`` is the end of its tube's chain (no row supersedes it)."""
    later = RES.alias("later")
    return ~exists().where(later.c.supersedes_id == result.c.id)


def current_result_on(result: Alias, tube_id: Any) -> ColumnElement[bool]:
    """Join condition: ``result`` is the current result of the tube ``tube_id`` (a column)."""
    return and_(result.c.tube_id == tube_id, is_current(result))


def current_call(tube_id: Any) -> Any:
    """The current call of the tube ``tube_id`` (a column), NULL before a result: its
    newest result, which ends its chain (``ix_result_tube_id_call`` alone)."""
    newest = RES.alias("newest")
    return (
        select(newest.c.call).where(newest.c.tube_id == tube_id).order_by(newest.c.id.desc()).limit(1).scalar_subquery()
    )


def tube_step(tube_id: Any) -> Any:
    """The furthest step (an index of ``STEP_CODES``) the tube ``tube_id`` reached, from
    its rows: resulted, on its first plate, received, collected, or planned."""
    col, rec, well, res = COL.alias("col"), REC.alias("rec"), PW.alias("well"), RES.alias("res")
    return case(
        (exists().where(res.c.tube_id == tube_id), 4),
        (exists().where((well.c.tube_id == tube_id) & (well.c.run == 1)), 3),
        (exists().where(rec.c.tube_id == tube_id), 2),
        (exists().where(col.c.tube_id == tube_id), 1),
        else_=0,
    )


FIRST_SLOT = 1
"""Slots of a pool tube count from 1 (the assignment kernel numbers them 1..size, field
binding from 1 on); members are never removed, so slot 1 is a filled tube's first."""


def first_member_on(member: Alias, tube_id: Any) -> ColumnElement[bool]:
    """Join condition: ``member`` is the first member (slot 1) of pool tube ``tube_id``."""
    return and_(member.c.tube_id == tube_id, member.c.slot == FIRST_SLOT)


def place_on(resident: Alias, resident_pk: Any, first_member: Alias) -> ColumnElement[bool]:
    """Join condition: ``resident`` gives a tube's place: the tube's own resident
    (``resident_pk``, an individual tube's) or its first member (``first_member``,
    joined with ``first_member_on``)."""
    return resident.c.id == func.coalesce(resident_pk, first_member.c.resident_pk)


def people_in(tube: Any) -> Any:
    """How many residents a pool tube holds (a correlated count; 0 for individual tubes)."""
    inner = M.alias("members")
    return select(func.count()).where(inner.c.tube_id == tube.c.id).scalar_subquery()


def without_jit(conn: Connection) -> None:
    """On PostgreSQL, compile no query of this transaction to machine code: the counts'
    estimated costs (correlated look-ups counted as if run for every tube) set off JIT
    inlining and optimisation, which took longer (1.7 s at 2 million residents) than
    running the plan. Nothing on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")


def minutes_between(dialect: str, earlier: Any, later: Any) -> Any:
    """Whole minutes from ``earlier`` to ``later`` (time stamp columns), in SQL."""
    if dialect == "sqlite":  # stored as ISO text in UTC; julianday reads it; CAST truncates
        return cast((func.julianday(later) - func.julianday(earlier)) * 1440.0, Integer)
    return func.floor(func.extract("epoch", later - earlier) / 60.0)
