"""Bulk paths: many rows in one statement execution, never one ORM object per row.

The statement is built and compiled by SQLAlchemy Core for the store's dialect; rows go
to the driver's ``executemany`` as tuples. On SQLite this is as fast as hand-written
``sqlite3.executemany``; on PostgreSQL SQLAlchemy batches rows into multi-VALUES
statements ("insertmanyvalues"), which is what makes psycopg fast.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Select, Table, insert

CHUNK = 50_000


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``; returns the count."""
    if not rows:
        return 0
    if conn.dialect.name == "sqlite":
        compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(columns))
        order = compiled.positiontup or []
        if list(order) != list(columns):  # the compiler keeps table order; map ours onto it
            index = [list(columns).index(c) for c in order]
            rows = [tuple(r[i] for i in index) for r in rows]
        rows = _bind_processed(conn, table, list(order), rows)
        sql = str(compiled)
        for start in range(0, len(rows), CHUNK):
            conn.exec_driver_sql(sql, list(rows[start : start + CHUNK]))
        return len(rows)
    stmt = insert(table)
    for start in range(0, len(rows), CHUNK):
        batch = [dict(zip(columns, r, strict=True)) for r in rows[start : start + CHUNK]]
        conn.execute(stmt, batch)
    return len(rows)


def _bind_processed(
    conn: Connection, table: Table, order: list[str], rows: Sequence[tuple[Any, ...]]
) -> Sequence[tuple[Any, ...]]:
    """Apply SQLAlchemy's bind processors where a column type has one (date-times on
    SQLite), so bulk rows are stored exactly as the ORM path would store them; columns
    without one (text, integers) pass through untouched."""
    procs = [table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in order]
    if all(p is None for p in procs):
        return rows
    # Column by column (zip is C-speed), one conversion per distinct value: bulk rows
    # mostly share a time stamp.
    columns = [list(c) for c in zip(*rows, strict=True)]
    for j, proc in enumerate(procs):
        if proc is not None:
            convert = functools.lru_cache(maxsize=4096)(proc)
            columns[j] = [None if v is None else convert(v) for v in columns[j]]
    return list(zip(*columns, strict=True))


def fetch_all_raw(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """Bulk read through the driver's own cursor: skips building a SQLAlchemy Row per
    row, which is a third of the time of a district-sized read."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    sql = str(compiled)
    if conn.dialect.paramstyle == "qmark":
        args: Any = tuple(params[k] for k in (compiled.positiontup or []))
    else:
        args = params
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk path: hundreds of thousands of
    short-lived tuples (none of them cyclic) otherwise trigger repeated full collections,
    a third of an import's time. Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


P = ParamSpec("P")
R = TypeVar("R")


def pauses_gc(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with the cyclic collector paused (see ``gc_paused``)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return fn(*args, **kwargs)

    return wrapper
