"""The bulk insert path stores exactly the rows it is given, on every backend.

On SQLite rows go in multi-row ``VALUES`` blocks, so the counts around a block's size
(and a variable limit too small for one whole block) are what can go wrong.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from poolab.errors import StoreFault
from poolab.store.bulk import ROWS_PER_STATEMENT, fetch_all_raw, insert_new_rows, insert_rows
from poolab.store.tables import Receipt, Resident

_R = Resident.__table__  # type: ignore[attr-defined]
_REC = Receipt.__table__  # type: ignore[attr-defined]


def _residents(n: int) -> list[tuple[object, ...]]:
    # Columns deliberately not in table order, with quotes, commas and CJK text.
    return [(f"R{i:06d}", f"小区'{i % 3}", f"H{i // 2}", f'张, "{i}"', i % 7 + 1) for i in range(n)]


COLUMNS = ("resident_id", "compound", "household_id", "name", "event_id")


@pytest.mark.parametrize("n", [0, 1, ROWS_PER_STATEMENT - 1, ROWS_PER_STATEMENT, 2 * ROWS_PER_STATEMENT + 3])
def test_rows_round_trip(store, n: int) -> None:
    rows = _residents(n)
    with store.begin() as conn:
        assert insert_rows(conn, _R, COLUMNS, rows) == n
    with store.begin() as conn:
        back = conn.execute(select(*(_R.c[c] for c in COLUMNS)).order_by(_R.c.id)).all()
    assert [tuple(r) for r in back] == rows


def test_small_variable_limit_still_inserts_everything(tmp_path) -> None:
    """A SQLite build with a low bound-variable limit gets smaller blocks, not an error."""
    from poolab.store.engine import init_store

    store, _ = init_store(f"sqlite:///{tmp_path / 'p.db'}")
    rows = _residents(57)
    with store.begin() as conn:
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        dbapi.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 12)  # two rows of five per block
        assert insert_rows(conn, _R, COLUMNS, rows) == 57
    with store.begin() as conn:
        back = conn.execute(select(*(_R.c[c] for c in COLUMNS)).order_by(_R.c.id)).all()
    store.dispose()
    assert [tuple(r) for r in back] == rows


def test_date_times_are_stored_as_the_orm_stores_them(store) -> None:
    at = datetime(2026, 11, 29, 8, 30, 15, 123456, tzinfo=UTC)
    rows = [(i + 1, 1, at + timedelta(seconds=i)) for i in range(ROWS_PER_STATEMENT + 5)]
    with store.begin() as conn:
        insert_rows(conn, _REC, ("tube_id", "event_id", "at"), rows)
        conn.execute(_REC.insert(), {"tube_id": 10_000, "event_id": 1, "at": at})  # the ORM's own path
    with store.begin() as conn:
        back = conn.execute(select(_REC.c.tube_id, _REC.c.at).order_by(_REC.c.id)).all()
    assert [(t, a.replace(tzinfo=UTC) if a.tzinfo is None else a) for t, a in back[:-1]] == [(t, a) for t, _, a in rows]
    # the bulk rows and the ORM row read back alike
    assert type(back[0][1]) is type(back[-1][1])


def test_a_failed_block_leaves_nothing(store) -> None:
    """A duplicate key in the last block rolls back the earlier blocks with it."""
    rows = _residents(ROWS_PER_STATEMENT + 10)
    rows.append(rows[0])  # resident_id is unique
    # the raw driver paths (SQLite VALUES blocks, psycopg COPY) raise SQLAlchemy's
    # IntegrityError, which the store reports in one line (outside a retry loop, as a race)
    with pytest.raises(StoreFault, match="nothing from this step was written"), store.begin() as conn:
        insert_rows(conn, _R, COLUMNS, rows)
    with store.begin() as conn:
        assert conn.execute(select(_R.c.id)).first() is None


def test_columns_null_in_every_row_read_back_as_null(store) -> None:
    """Columns that are None in every row (left out of the SQLite statement) are NULL,
    and a column None in most rows keeps its few values."""
    from poolab.store.tables import Result

    res = Result.__table__  # type: ignore[attr-defined]
    at = datetime(2026, 11, 29, tzinfo=UTC)
    n = ROWS_PER_STATEMENT + 7
    rows = [
        (i + 1, "negative", 31.5 if i == n - 1 else None, None, f"f.csv:{i + 2}", None, None, 3, at) for i in range(n)
    ]
    cols = ("tube_id", "call", "ct_orf1ab", "ct_n", "source", "supersedes_id", "reason", "event_id", "at")
    with store.begin() as conn:
        insert_rows(conn, res, cols, rows)
    with store.begin() as conn:
        back = conn.execute(select(*(res.c[c] for c in cols[:-1])).order_by(res.c.id)).all()
    assert [tuple(r) for r in back] == [r[:-1] for r in rows]


def test_insert_new_rows_returns_only_the_rows_it_inserted(store) -> None:
    """Rows whose unique key is taken are skipped, not an error; the caller learns which
    rows were its own (how two stations scanning one tube learn who won)."""
    at = datetime(2026, 11, 29, tzinfo=UTC)
    with store.begin() as conn:
        insert_rows(conn, _REC, ("tube_id", "event_id", "at"), [(t, 1, at) for t in (2, 4)])
    rows = [(t, 2, at) for t in range(1, 7)]
    with store.begin() as conn:
        won = insert_new_rows(conn, _REC, ("tube_id", "event_id", "at"), rows, key="tube_id")
        assert insert_new_rows(conn, _REC, ("tube_id", "event_id", "at"), [], key="tube_id") == []
    assert sorted(won) == [1, 3, 5, 6]
    with store.begin() as conn:
        back = dict(conn.execute(select(_REC.c.tube_id, _REC.c.event_id)).all())
    assert back == {1: 2, 2: 1, 3: 2, 4: 1, 5: 2, 6: 2}


def test_fetch_all_raw_binds_parameters(store) -> None:
    rows = _residents(30)
    with store.begin() as conn:
        insert_rows(conn, _R, COLUMNS, rows)
        stmt = select(_R.c.resident_id, _R.c.name).where(_R.c.household_id.in_(["H3", "H4"])).order_by(_R.c.id)
        got = fetch_all_raw(conn, stmt)
    assert [tuple(r) for r in got] == [(r[0], r[3]) for r in rows if r[2] in ("H3", "H4")]


def test_fetch_all_raw_raises_sqlalchemy_errors(store) -> None:
    """The driver's own exception becomes SQLAlchemy's, which the store names in one line."""
    from sqlalchemy import column, table

    missing = table("no_such_table", column("x"))
    with pytest.raises(StoreFault, match="no_such_table.*nothing from this step was written"), store.begin() as conn:
        fetch_all_raw(conn, select(missing.c.x))


def test_a_column_without_value_or_fixed_default_is_refused() -> None:
    """Leaving out a column the table cannot fill is a programming error, named."""
    from poolab.store.bulk import _reordered

    with pytest.raises(ValueError, match="no value and no fixed default for column 'compound'"):
        _reordered(_R, ["resident_id"], ["resident_id", "compound"], [("R1",)])


def test_only_one_row_inserts_are_expanded(tmp_path) -> None:
    """The SQLite VALUES-block path refuses a statement it cannot repeat."""
    from poolab.store.bulk import _sqlite_insert_values
    from poolab.store.engine import init_store

    store, _ = init_store(f"sqlite:///{tmp_path / 'p.db'}")
    with pytest.raises(ValueError, match="not a one-row insert"), store.begin() as conn:
        _sqlite_insert_values(conn, "INSERT INTO resident (resident_id) SELECT 1", 1, [("R1",)])
    store.dispose()
