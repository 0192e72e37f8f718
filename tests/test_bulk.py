"""The bulk insert path stores exactly the rows it is given, on every backend.

On SQLite rows go in multi-row ``VALUES`` blocks, so the counts around a block's size
(and a variable limit too small for one whole block) are what can go wrong.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from poolab.store.bulk import ROWS_PER_STATEMENT, insert_rows
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
    with pytest.raises(Exception), store.begin() as conn:  # noqa: B017 - driver-specific IntegrityError
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
