"""Residents: roster upserts (bulk) and the reads the campaign workflow needs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, bindparam, func, select, update

from poolab.barcodes import normalise_scan
from poolab.store.bulk import (
    ColumnWriter,
    column_writer,
    fetch_all_raw,
    fetch_blocks,
    indexes_built_after,
    insert_rows,
    lock_table,
)
from poolab.store.tables import Resident, ResidentChange

FIELDS = ("name", "id_number", "phone", "compound", "building", "unit", "room", "household_id")
NEW_COLUMNS = ("resident_id", *FIELDS, "event_id")
HOME_VISIT = "home_visit"
"""The optional roster column: imported only from a file that has it (a file without it
leaves every stored flag as it was)."""


def _fields(home_visit: bool) -> tuple[str, ...]:
    return (*FIELDS, HOME_VISIT) if home_visit else FIELDS


_R = Resident.__table__  # type: ignore[attr-defined]


@attrs.frozen(slots=True)
class UpsertCounts:
    """What a roster import did."""

    inserted: int
    updated: int
    unchanged: int


@contextmanager
def new_resident_writer(conn: Connection, *, home_visit: bool = False) -> Iterator[ColumnWriter | None]:
    """Where a first import's residents go (the table is empty), a block of columns at a
    time: on PostgreSQL one COPY for the whole file (``column_writer``: the server stores
    a block while the next is read), the secondary indexes built after it
    (``indexes_built_after``); None elsewhere (``upsert_residents`` inserts each block
    itself). ``home_visit``: the file has that column (it comes last but for event_id)."""
    if conn.dialect.name != "postgresql":
        yield None
        return
    columns = ("resident_id", *_fields(home_visit), "event_id")
    with indexes_built_after(conn, _R), column_writer(conn, _R, columns) as write:
        yield write


def lock_residents(conn: Connection) -> None:
    """Hold off other roster imports until this transaction ends (PostgreSQL; SQLite's
    write transaction already does): taken before counting the residents, so that two
    first imports do not both find the table empty and deadlock over its indexes."""
    lock_table(conn, _R)


def legacy_ids(conn: Connection) -> dict[str, str]:
    """Stored resident ids that are not in normalised form (a store from before ids were
    normalised holds "r1"), keyed by their normalised form; read a block at a time."""
    out: dict[str, str] = {}
    for block in fetch_blocks(conn, select(_R.c.resident_id), 100_000):
        for (rid,) in block:
            key = normalise_scan(rid)
            if key != rid:
                out[key] = rid
    return out


def _existing(
    conn: Connection, ids: Sequence[str], legacy: Mapping[str, str], fields: Sequence[str] = FIELDS
) -> dict[str, tuple[int, tuple[Any, ...]]]:
    """The stored residents (pk, ``fields``) of ``ids`` (normalised), keyed by normalised id."""
    wanted = list(ids)
    if legacy:
        wanted += [legacy[i] for i in ids if i in legacy]
    names = ", ".join(["id", "resident_id", *fields])
    sqlite = conn.dialect.name == "sqlite"
    per = 900 if sqlite else 20_000  # SQLite's bound-variable limit; one array on PostgreSQL
    existing: dict[str, tuple[int, tuple[Any, ...]]] = {}
    for start in range(0, len(wanted), per):
        batch = wanted[start : start + per]
        if sqlite:
            sql = f"SELECT {names} FROM resident WHERE resident_id IN ({', '.join('?' * len(batch))})"
            result = conn.exec_driver_sql(sql, tuple(batch))
        else:
            result = conn.exec_driver_sql(f"SELECT {names} FROM resident WHERE resident_id = ANY(%s)", (batch,))
        for row in result:
            # keyed as ids are compared (a store from before ids were normalised holds "r1")
            values = tuple(row[2:])
            if len(fields) > len(FIELDS):  # SQLite gives the flag back as 0/1
                values = (*values[:-1], bool(values[-1]))
            existing[normalise_scan(row[1])] = (row[0], values)
    return existing


def upsert_residents(
    conn: Connection,
    *,
    columns: Mapping[str, Sequence[Any]],
    event_id: int,
    empty: bool = False,
    legacy: Mapping[str, str] | None = None,
    write_new: ColumnWriter | None = None,
    plain: str | None = None,
) -> UpsertCounts:
    """Insert new residents and update changed ones (the replaced values go to
    ``resident_change``); ``columns`` holds ``resident_id`` (normalised) and every name
    in FIELDS, and ``home_visit`` (bools) when the file has that column. ``empty``: the
    store held no resident when the import began, so nothing is looked up; ``legacy``:
    the store's ids not in normalised form (``legacy_ids``); ``write_new``: where new
    rows go, as columns (a ``new_resident_writer``: only with ``empty``), else ``insert_rows``;
    ``plain``: the rows as the file wrote them (``RosterChunk.plain``), which such a
    writer may take as they are.
    A file is upserted a chunk at a time: only the chunk's residents are read."""
    ids = columns["resident_id"]
    n = len(ids)
    fields = _fields(HOME_VISIT in columns)
    existing = {} if empty else _existing(conn, ids, legacy or {}, fields)
    field_cols = [columns[f] for f in fields]
    new_rows: list[tuple[object, ...]] = []
    changed: list[dict[str, object]] = []
    history: list[tuple[object, ...]] = []
    unchanged = 0
    if write_new is not None:  # a first import: every row is new, and goes as the text or columns it came in
        if plain is None or HOME_VISIT in columns or not write_new.csv_lines(plain, (event_id,)):
            write_new([ids, *field_cols, [event_id] * n])
        return UpsertCounts(inserted=n, updated=0, unchanged=0)
    if not existing:  # every row is new, built in one pass
        new_rows = list(zip(ids, *field_cols, itertools.repeat(event_id, n), strict=True))
    for rid, values in zip(ids, zip(*field_cols, strict=True), strict=True) if existing else ():
        old = existing.get(rid)
        if old is None:
            new_rows.append((rid, *values, event_id))
        elif old[1] == values:
            unchanged += 1
        else:
            pk, before = old
            changed.append({"pk": pk, "event_id": event_id, **dict(zip(fields, values, strict=True))})
            prev = {f: b for f, b, a in zip(fields, before, values, strict=True) if a != b}
            history.append((pk, event_id, json.dumps(prev, ensure_ascii=False)))
    insert_rows(conn, _R, ("resident_id", *fields, "event_id"), new_rows)
    if changed:
        stmt = update(_R).where(_R.c.id == bindparam("pk")).values({f: bindparam(f) for f in (*fields, "event_id")})
        conn.execute(stmt, changed)
        insert_rows(
            conn,
            ResidentChange.__table__,  # type: ignore[attr-defined]
            ("resident_pk", "event_id", "previous"),
            history,
        )
    return UpsertCounts(inserted=len(new_rows), updated=len(changed), unchanged=unchanged)


@attrs.frozen(slots=True)
class ResidentColumns:
    """Residents as columns (what the pool assignment needs), in store order."""

    pk: np.ndarray
    resident_id: list[str]
    compound: list[str]
    building: list[str]
    unit: list[str]
    room: list[str]
    household_id: list[str]

    def __len__(self) -> int:
        return len(self.pk)


def load_residents(
    conn: Connection, *, compounds: Sequence[str] | None = None, with_ids: bool = True
) -> ResidentColumns:
    """Every resident (or those of ``compounds``) as columns, ordered by primary key.
    ``with_ids=False`` leaves ``resident_id`` empty (pooling needs only addresses)."""
    cols = [_R.c.id, _R.c.compound, _R.c.building, _R.c.unit, _R.c.room, _R.c.household_id]
    if with_ids:
        cols.append(_R.c.resident_id)
    stmt = select(*cols).order_by(_R.c.id)
    if compounds:
        stmt = stmt.where(_R.c.compound.in_(list(compounds)))
    rows = fetch_all_raw(conn, stmt)
    columns: list[list[Any]] = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in cols]
    pk, comp, bld, unit, room, hh = columns[:6]
    rid: list[str] = columns[6] if with_ids else []
    return ResidentColumns(
        pk=np.asarray(pk, dtype=np.int64),
        resident_id=rid,
        compound=comp,
        building=bld,
        unit=unit,
        room=room,
        household_id=hh,
    )


def address_blocks(
    conn: Connection, *, compounds: Sequence[str] | None = None, size: int = 100_000
) -> Iterator[
    tuple[npt.NDArray[np.int64], tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]
]:
    """(pk, compound, building, unit, room, household_id) of every resident (or those of
    ``compounds``), ordered by primary key, ``size`` residents at a time."""
    stmt = select(_R.c.id, _R.c.compound, _R.c.building, _R.c.unit, _R.c.room, _R.c.household_id).order_by(_R.c.id)
    if compounds:
        stmt = stmt.where(_R.c.compound.in_(list(compounds)))
    for block in fetch_blocks(conn, stmt, size):
        pk, comp, bld, unit, room, hh = zip(*block, strict=True)
        yield np.asarray(pk, dtype=np.int64), comp, bld, unit, room, hh


def known_compounds(conn: Connection) -> list[str]:
    """The compounds of the residents in the store, sorted."""
    return list(conn.execute(select(_R.c.compound).distinct().order_by(_R.c.compound)).scalars())


def count_residents(conn: Connection, *, compounds: Sequence[str] | None = None) -> int:
    """How many residents the store holds (in ``compounds``, when given)."""
    stmt = select(func.count()).select_from(_R)
    if compounds:
        stmt = stmt.where(_R.c.compound.in_(list(compounds)))
    return int(conn.execute(stmt).scalar() or 0)


def resident_keys(conn: Connection) -> dict[str, int]:
    """Every code a resident can be scanned by (resident_id, ID number) -> primary key."""
    out: dict[str, int] = {}
    for pk, rid, idn in conn.execute(select(_R.c.id, _R.c.resident_id, _R.c.id_number)):
        out[normalise_scan(rid)] = pk
        if idn:
            out[normalise_scan(idn)] = pk
    return out
