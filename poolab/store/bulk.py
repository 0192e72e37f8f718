"""Bulk paths: many rows per statement execution, never one ORM object per row.

The statement is built and compiled by SQLAlchemy Core for the store's dialect. On
SQLite the compiled one-row statement is widened to a multi-row ``VALUES (...), (...)``
and run once per few hundred rows: one ``sqlite3_step`` and one call from Python per
block instead of per row, about twice the speed of ``sqlite3.executemany`` on narrow
rows. On PostgreSQL through psycopg 3 rows stream in with ``COPY ... FROM STDIN`` (other
drivers: SQLAlchemy's batched multi-row inserts, "insertmanyvalues").
"""

from __future__ import annotations

import functools
import gc
import itertools
import operator
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Select, Table, insert
from sqlalchemy.exc import DBAPIError

CHUNK = 50_000
ROWS_PER_STATEMENT = 500
"""Rows per multi-row INSERT on SQLite: past a few hundred nothing more is gained."""


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``; returns the count."""
    if not rows:
        return 0
    if conn.dialect.name == "sqlite":
        columns, rows = _without_null_columns(table, list(columns), rows)
        compiled = insert(table).compile(dialect=conn.dialect, column_keys=columns)
        order = compiled.positiontup or []
        if list(order) != columns:  # the compiler keeps table order; map ours onto it
            rows = _reordered(table, columns, list(order), rows)
        rows = _bind_processed(conn, table, list(order), rows)
        _sqlite_insert_values(conn, str(compiled), len(order), rows)
        return len(rows)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _postgres_copy(conn, table, list(columns), rows)
        return len(rows)
    stmt = insert(table)
    for start in range(0, len(rows), CHUNK):
        batch = [dict(zip(columns, r, strict=True)) for r in rows[start : start + CHUNK]]
        conn.execute(stmt, batch)
    return len(rows)


def insert_new_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    key: str,
    unique: Sequence[str] | None = None,
) -> list[Any]:
    """Insert the ``rows`` whose unique key (the columns ``unique``, by default ``key``
    alone) is still free (``ON CONFLICT DO NOTHING``) and return the ``key`` of each row
    inserted: when two stations write the same tube at once, the constraint picks one
    winner and each writer learns which rows were its own."""
    if not rows:
        return []
    columns = list(columns)
    if conn.dialect.name == "sqlite":
        compiled = insert(table).compile(dialect=conn.dialect, column_keys=columns)
        order = list(compiled.positiontup or [])
        ordered = _reordered(table, columns, order, rows) if order != columns else rows
        ordered = _bind_processed(conn, table, order, ordered)
        suffix = f" ON CONFLICT DO NOTHING RETURNING {conn.dialect.identifier_preparer.quote(key)}"
        return [r[0] for r in _sqlite_insert_values(conn, str(compiled), len(order), ordered, suffix=suffix)]
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    target = list(unique) if unique is not None else [key]
    stmt = pg_insert(table).on_conflict_do_nothing(index_elements=target).returning(table.c[key])
    params = [dict(zip(columns, r, strict=True)) for r in rows]
    return [r[0] for r in conn.execute(stmt, params)]


@contextmanager
def _driver_errors(conn: Connection, sql: str) -> Iterator[None]:
    """The raw driver paths raise the driver's own exceptions; give them SQLAlchemy's
    classes (an integrity error stays an ``IntegrityError``) like every other statement."""
    base = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except base as exc:
        raise DBAPIError.instance(sql, None, exc, base, dialect=conn.dialect) from exc


@contextmanager
def row_writer(
    conn: Connection, table: Table, columns: Sequence[str]
) -> Iterator[Callable[[Sequence[tuple[Any, ...]]], int]]:
    """A ``write(rows)`` that inserts blocks of rows like ``insert_rows``, for a caller
    that produces them a block at a time. On PostgreSQL (psycopg) every block goes into
    one ``COPY`` kept open until the end, so the server stores one block while the caller
    prepares the next; an exception inside aborts the COPY with the transaction."""
    if not _can_copy(conn):
        yield lambda rows: insert_rows(conn, table, columns, rows)
        return
    with _open_copy(conn, table, columns) as copy:

        def write(rows: Sequence[tuple[Any, ...]]) -> int:
            text = _copy_text(rows, len(columns))
            if text is None:
                for row in rows:
                    copy.write_row(row)
            else:
                copy.write(text.encode("utf-8"))
            return len(rows)

        yield write


class ColumnWriter:
    """What ``column_writer`` gives: ``write(columns)`` writes a block of columns (one
    sequence per column, all of one length) and returns its row count;
    ``write.csv_lines(lines, tail)`` writes a block given as text instead, when it can."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str], copy: Any = None) -> None:
        self._conn, self._table, self._columns, self._copy = conn, table, columns, copy

    def __call__(self, values: Sequence[Sequence[Any]]) -> int:
        n = len(values[0]) if values else 0
        if self._copy is None:
            insert_rows(self._conn, self._table, self._columns, list(zip(*values, strict=True)))
            return n
        text = _columns_text(values)
        if text is None:
            for row in zip(*values, strict=True):
                self._copy.write_row(row)
        else:
            self._copy.write(text.encode("utf-8"))
        return n

    def csv_lines(self, lines: str, tail: Sequence[int]) -> bool:
        """Write the rows of ``lines`` (text values separated by commas, every comma a
        separator, one row a line, no final line break) followed by the ``tail`` values;
        False, writing nothing, when only ``write(columns)`` can (not a COPY, or a value
        holds a character COPY's text format escapes). The COPY text is the lines with
        their separators replaced: a few string operations for a block, against one Python
        step a value to build it from columns (about a second of client CPU at 974,880
        residents)."""
        if self._copy is None or "\\" in lines or "\t" in lines or "\r" in lines:
            return False
        if lines:
            end = ("".join(f"\t{int(v)}" for v in tail) + "\n").encode()
            # on the encoded bytes: a third of the time of replacing in the text (Chinese
            # text is two bytes a character as a str, and a comma one byte in UTF-8)
            self._copy.write(lines.encode("utf-8").replace(b",", b"\t").replace(b"\n", end) + end)
        return True


@contextmanager
def column_writer(conn: Connection, table: Table, columns: Sequence[str]) -> Iterator[ColumnWriter]:
    """``row_writer`` for a caller whose blocks are columns already (one sequence per name
    of ``columns``, all of one length): on PostgreSQL the COPY text is built from them
    directly, without turning them into rows and back (a second of a city's import)."""
    if not _can_copy(conn):
        yield ColumnWriter(conn, table, columns)
        return
    with _open_copy(conn, table, columns) as copy:
        yield ColumnWriter(conn, table, columns, copy)


def _can_copy(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


@contextmanager
def _open_copy(conn: Connection, table: Table, columns: Sequence[str]) -> Iterator[Any]:
    quote = conn.dialect.identifier_preparer.quote
    names = list(columns)
    sql = f"COPY {conn.dialect.identifier_preparer.format_table(table)} ({', '.join(map(quote, names))}) FROM STDIN"
    from psycopg.copy import QueuedLibpqWriter

    dbapi = conn.connection.driver_connection
    cursor = dbapi.cursor()  # type: ignore[union-attr]
    # A queue and a thread send the blocks, so the next block is prepared while the
    # server stores this one (the plain writer waits for the socket).
    with _driver_errors(conn, sql), cursor, cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
        yield copy


def _postgres_copy(conn: Connection, table: Table, columns: list[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """``COPY ... FROM STDIN`` through psycopg 3, in the open transaction: rows stream to
    the server without one statement per row or per batch. Columns the caller leaves out
    get their fixed Python-side default here (COPY only knows the server's defaults)."""
    extra = [c.name for c in table.c if c.name not in columns and c.default is not None]
    if extra:
        order = columns + extra
        rows = _reordered(table, columns, order, rows)
        columns = order
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {conn.dialect.identifier_preparer.format_table(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    dbapi = conn.connection.driver_connection
    text = _copy_text(rows, len(columns))
    with _driver_errors(conn, sql), dbapi.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        if text is not None:
            copy.write(text.encode("utf-8"))
            return
        write = copy.write_row
        for row in rows:
            write(row)


_COPY_SPECIAL = ("\\", "\t", "\n", "\r")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(rows: Sequence[tuple[Any, ...]], width: int) -> str | None:
    """Rows of text, integers and booleans as COPY's text format, built a column at a time at C
    speed (``write_row`` per row is several times slower at a city's ten million); None
    when a column holds another type (dates, floats: ``write_row`` converts those)."""
    if not rows:
        return ""
    return _columns_text(list(zip(*rows, strict=True)))


def _columns_text(columns: Sequence[Sequence[Any]]) -> str | None:
    """``_copy_text`` of rows given as columns."""
    out: list[Sequence[str]] = []
    for column in columns:
        kinds = set(map(type, column))  # the exact types (a bool is not an int here), at C speed
        if kinds == {str}:
            text: Sequence[str] = column
            joined = "".join(column)
            if any(c in joined for c in _COPY_SPECIAL):
                text = [v.translate(_COPY_ESCAPES) for v in column]
        elif kinds == {int}:
            text = list(map(str, column))
        elif kinds == {bool}:
            text = ["t" if v else "f" for v in column]
        elif kinds == {type(None)}:
            text = ["\\N"] * len(column)
        elif kinds == {int, type(None)}:
            text = ["\\N" if v is None else str(v) for v in column]
        elif not kinds:
            return ""
        else:
            return None
        out.append(text)
    if len(out) == 1:  # one column (a stage of barcodes): its values are the lines
        return "\n".join(out[0]) + "\n"
    return "\n".join(map("\t".join, zip(*out, strict=True))) + "\n" if out else ""


def _without_null_columns(
    table: Table, columns: list[str], rows: Sequence[tuple[Any, ...]]
) -> tuple[list[str], Sequence[tuple[Any, ...]]]:
    """Leave out the columns that are None in every row and would be NULL anyway (no
    default of any kind): the stored rows are the same, and every bound NULL costs as
    much as a value (a results file is mostly rows without Ct, correction or reason)."""
    dropped = {
        j
        for j, c in enumerate(columns)
        if table.c[c].default is None
        and table.c[c].server_default is None
        and all(r[j] is None for r in rows)  # stops at the first value
    }
    if not dropped or len(dropped) == len(columns):
        return columns, rows
    keep = [j for j in range(len(columns)) if j not in dropped]
    return [columns[j] for j in keep], _picked(rows, keep)


def _picked(rows: Sequence[tuple[Any, ...]], index: list[int]) -> list[tuple[Any, ...]]:
    """The ``index`` fields of every row, as tuples (itemgetter: C speed)."""
    if len(index) == 1:
        j = index[0]
        return [(r[j],) for r in rows]
    return list(map(operator.itemgetter(*index), rows))


def _reordered(
    table: Table, columns: list[str], order: list[str], rows: Sequence[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Rows in the compiled statement's column order. A column the caller left out is
    in that order only when it has a Python-side default: a scalar one is filled in."""
    if all(c in columns for c in order):
        return _picked(rows, [columns.index(c) for c in order])
    getters: list[tuple[bool, Any]] = []
    for c in order:
        if c in columns:
            getters.append((True, columns.index(c)))
            continue
        default = table.c[c].default
        if default is None or not default.is_scalar:
            raise ValueError(f"insert into {table.name}: no value and no fixed default for column {c!r}")
        getters.append((False, default.arg))  # type: ignore[attr-defined]  # a ScalarElementColumnDefault
    return [tuple(r[v] if from_row else v for from_row, v in getters) for r in rows]


def _sqlite_insert_values(
    conn: Connection, one_row_sql: str, width: int, rows: Sequence[tuple[Any, ...]], *, suffix: str = ""
) -> list[tuple[Any, ...]]:
    """Run a compiled one-row ``INSERT ... VALUES (?, ...)`` as multi-row statements
    (as many rows as SQLite's bound-variable limit allows, at most ROWS_PER_STATEMENT);
    ``suffix`` (an ``ON CONFLICT ... RETURNING`` clause) goes after the values, and the
    rows it returns are returned."""
    head, sep, group = one_row_sql.rpartition(" VALUES ")
    if not sep or not group.startswith("(") or group.count("?") != width:
        raise ValueError(f"not a one-row insert: {one_row_sql!r}")
    dbapi = conn.connection.driver_connection
    limit = dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[union-attr]
    per = max(1, min(ROWS_PER_STATEMENT, limit // max(width, 1)))
    cursor = dbapi.cursor()  # type: ignore[union-attr]
    returned: list[tuple[Any, ...]] = []
    try:
        with _driver_errors(conn, head):
            full = len(rows) - len(rows) % per
            block_sql = f"{head} VALUES {', '.join([group] * per)}{suffix}"
            execute = cursor.execute
            for start in range(0, full, per):
                execute(block_sql, list(itertools.chain.from_iterable(rows[start : start + per])))
                if suffix:
                    returned.extend(cursor.fetchall())
            if full < len(rows):
                rest = rows[full:]
                execute(
                    f"{head} VALUES {', '.join([group] * len(rest))}{suffix}", list(itertools.chain.from_iterable(rest))
                )
                if suffix:
                    returned.extend(cursor.fetchall())
    finally:
        cursor.close()
    return returned


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
        with _driver_errors(conn, sql):
            cursor.execute(sql, args)
            return list(cursor.fetchall())
    finally:
        cursor.close()


def fetch_blocks(conn: Connection, stmt: Select[Any], size: int = 100_000) -> Iterator[list[tuple[Any, ...]]]:
    """``fetch_all_raw`` a block of ``size`` rows at a time, so a city's rows are never
    all in memory: SQLite steps its cursor as rows are asked for; on PostgreSQL a named
    (server-side) cursor of the open transaction does the same."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    sql = str(compiled)
    args: Any = tuple(params[k] for k in (compiled.positiontup or [])) if conn.dialect.paramstyle == "qmark" else params
    dbapi = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        # every row is read: planned for all of them, not for the first tenth (the
        # server's default for a cursor, which favours plans that start fast and can
        # end slow)
        conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
        cursor = dbapi.cursor(name="poolab_blocks")  # type: ignore[union-attr]
        cursor.itersize = size
    else:
        cursor = dbapi.cursor()  # type: ignore[union-attr]
    try:
        with _driver_errors(conn, sql):
            cursor.execute(sql, args)
            while block := cursor.fetchmany(size):
                yield block
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


INDEX_BUILD_MEMORY = "256MB"
"""The server's sort memory for ``indexes_built_after``'s builds (a session setting)."""


@contextmanager
def indexes_built_after(conn: Connection, table: Table) -> Iterator[None]:
    """On PostgreSQL, drop ``table``'s secondary indexes and unique constraints (not its
    primary key) for the duration, and build each again at the end, in the same
    transaction: a first load into an empty table then pays one sorted index build per
    index instead of one B-tree insertion per row and index (about 3x the bare COPY on a
    city roster). Partial indexes stay: a row outside one costs the load a test of its
    condition, and rebuilding it would read the whole table again for the few inside.
    Dropping takes the table's ACCESS EXCLUSIVE lock until the transaction ends: a
    caller racing others locks the table first (``lock_table``). Elsewhere a no-op. An
    error rolls the drops back."""
    if conn.dialect.name != "postgresql":
        yield
        return
    name = conn.dialect.identifier_preparer.format_table(table)
    oid = conn.exec_driver_sql("SELECT %(t)s::regclass::oid", {"t": name}).scalar_one()
    constraints = conn.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %(oid)s AND contype = 'u' ORDER BY conname",
        {"oid": oid},
    ).all()
    indexes = conn.exec_driver_sql(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i"
        " WHERE indrelid = %(oid)s AND NOT indisprimary AND indpred IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = %(oid)s)"
        " ORDER BY 1",
        {"oid": oid},
    ).all()
    quote = conn.dialect.identifier_preparer.quote
    for constraint, _ in constraints:
        conn.exec_driver_sql(f"ALTER TABLE {name} DROP CONSTRAINT {quote(constraint)}")
    for index, _ in indexes:
        conn.exec_driver_sql(f"DROP INDEX {index}")
    yield
    # each build sorts the whole table: with 256 MB instead of the server's default 64 MB
    # a million residents' builds take a fifth less time (for these builds only)
    before = conn.exec_driver_sql("SELECT current_setting('maintenance_work_mem')").scalar_one()
    conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
    for _, definition in indexes:
        conn.exec_driver_sql(definition)
    for constraint, definition in constraints:
        conn.exec_driver_sql(f"ALTER TABLE {name} ADD CONSTRAINT {quote(constraint)} {definition}")
    conn.exec_driver_sql("SELECT set_config('maintenance_work_mem', %(v)s, true)", {"v": before})


def lock_table(conn: Connection, table: Table) -> None:
    """On PostgreSQL, lock ``table`` against other writers (readers go on) until the
    transaction ends, before reading what decides how to write; SQLite's write
    transaction already excludes other writers."""
    if conn.dialect.name == "postgresql":
        name = conn.dialect.identifier_preparer.format_table(table)
        conn.exec_driver_sql(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE")
