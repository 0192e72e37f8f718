"""Raw baselines of ``bench_city.py``: what the bare drivers do with the same file or rows.

Run as its own process by ``bench_city.py`` (so its peak memory is its own); prints the
seconds of the timed part on its last line. Modes:

- ``sqlite-import DB CSV``: ``csv.reader`` over the roster file, one
  ``sqlite3.executemany`` into the store's ``resident`` table, one transaction.
- ``sqlite-rows SRC DST TABLE...``: the rows our command wrote, read from SRC (not
  timed), inserted into DST (a fresh store) with one ``executemany`` per table.
- ``sqlite-manifest DB OUT``: the manifest's join read with a raw ``SELECT``, written with
  ``csv.writer``.
- ``pg-import URL SCHEMA CSV``: psycopg 3 ``COPY resident FROM STDIN (FORMAT csv)`` fed
  the file's bytes (the server parses it).
- ``pg-import-pk URL SCHEMA CSV``: the same ``COPY`` into a ``resident`` table this mode
  creates with the store's columns and only a primary key (no secondary index, no unique
  key): the floor of a first import (issue 25).
- ``pg-rows URL SRC DST TABLE...``: the rows our command wrote, ``COPY ... TO STDOUT``
  from schema SRC (not timed) then ``COPY ... FROM STDIN`` into schema DST.
- ``pg-manifest URL SCHEMA OUT``: the manifest's join through ``COPY (SELECT ...) TO STDOUT``.
"""

from __future__ import annotations

import csv
import sqlite3
import sys
import time

ROSTER = ("resident_id", "name", "id_number", "phone", "compound", "building", "unit", "room", "household_id")
COLUMNS = {
    "resident": (*ROSTER, "event_id"),
    "tube": ("barcode", "campaign_id", "kind", "position", "parent_tube_id", "resident_pk", "event_id"),
    "member": ("campaign_id", "tube_id", "resident_pk", "slot", "event_id"),
    "receipt": ("tube_id", "event_id", "at"),
    "result": ("tube_id", "call", "ct_orf1ab", "ct_n", "source", "supersedes_id", "reason", "event_id", "at"),
}
MANIFEST_SQL = (
    "SELECT t.barcode, m.slot, r.resident_id, r.name, r.compound, r.building, r.unit, r.room, r.household_id "
    "FROM member m JOIN tube t ON t.id = m.tube_id JOIN resident r ON r.id = m.resident_pk "
    "ORDER BY t.position, m.slot"
)


def _sqlite(path: str) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


def sqlite_import(db: str, roster_csv: str) -> float:
    t0 = time.perf_counter()
    con = _sqlite(db)
    cols = COLUMNS["resident"]
    with open(roster_csv, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        con.execute("BEGIN")
        con.executemany(
            f"INSERT INTO resident ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
            (row + [1] for row in reader),
        )
        con.execute("COMMIT")
    con.close()
    return time.perf_counter() - t0


def sqlite_rows(src: str, dst: str, tables: list[str]) -> float:
    source = sqlite3.connect(src)
    rows = {t: source.execute(f"SELECT {','.join(COLUMNS[t])} FROM {t} ORDER BY id").fetchall() for t in tables}
    source.close()
    t0 = time.perf_counter()
    con = _sqlite(dst)
    con.execute("BEGIN")
    for t in tables:
        cols = COLUMNS[t]
        con.executemany(f"INSERT INTO {t} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})", rows[t])
    con.execute("COMMIT")
    con.close()
    return time.perf_counter() - t0


def sqlite_manifest(db: str, out: str) -> float:
    t0 = time.perf_counter()
    con = _sqlite(db)
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("tube_barcode", "slot", *ROSTER[:2], *ROSTER[4:]))
        cursor = con.execute(MANIFEST_SQL)
        while block := cursor.fetchmany(50_000):
            writer.writerows(block)
    con.close()
    return time.perf_counter() - t0


def _pg(url: str, schema: str):  # type: ignore[no-untyped-def]
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, options=f"-csearch_path={schema}")


def pg_import(url: str, schema: str, roster_csv: str) -> float:
    with _pg(url, schema) as con:  # the file has no event_id: the baseline's table gets a default
        con.execute("ALTER TABLE resident ALTER COLUMN event_id SET DEFAULT 1")
    t0 = time.perf_counter()
    with _pg(url, schema) as con, con.cursor() as cur, open(roster_csv, "rb") as f:
        cols = ",".join(ROSTER)  # an empty field is "", as the roster means it, not NULL
        sql = f"COPY resident ({cols}) FROM STDIN (FORMAT csv, HEADER true, FORCE_NOT_NULL ({cols}))"
        with cur.copy(sql) as copy:
            while block := f.read(1 << 20):
                copy.write(block)
    return time.perf_counter() - t0


def pg_rows(url: str, src: str, dst: str, tables: list[str]) -> float:
    data = {}
    with _pg(url, src) as con, con.cursor() as cur:
        for t in tables:
            with cur.copy(f"COPY (SELECT {','.join(COLUMNS[t])} FROM {t} ORDER BY id) TO STDOUT") as copy:
                data[t] = b"".join(bytes(b) for b in copy)
    t0 = time.perf_counter()
    with _pg(url, dst) as con, con.cursor() as cur:
        for t in tables:
            with cur.copy(f"COPY {t} ({','.join(COLUMNS[t])}) FROM STDIN") as copy:
                view = memoryview(data[t])
                for start in range(0, len(view), 1 << 20):
                    copy.write(view[start : start + (1 << 20)])
    return time.perf_counter() - t0


def pg_manifest(url: str, schema: str, out: str) -> float:
    t0 = time.perf_counter()
    with _pg(url, schema) as con, con.cursor() as cur, open(out, "wb") as f:
        f.write(b"tube_barcode,slot,resident_id,name,compound,building,unit,room,household_id\n")
        with cur.copy(f"COPY ({MANIFEST_SQL}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                f.write(block)
    return time.perf_counter() - t0


def pg_import_pk_only(url: str, schema: str, roster_csv: str) -> float:
    with _pg(url, schema) as con:
        text = ", ".join(f"{c} varchar NOT NULL" for c in ROSTER)
        con.execute(f"CREATE TABLE resident (id serial PRIMARY KEY, {text}, event_id integer NOT NULL DEFAULT 1)")
    return pg_import(url, schema, roster_csv)


def main(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "sqlite-import":
        seconds = sqlite_import(*args)
    elif mode == "sqlite-rows":
        seconds = sqlite_rows(args[0], args[1], args[2:])
    elif mode == "sqlite-manifest":
        seconds = sqlite_manifest(*args)
    elif mode == "pg-import":
        seconds = pg_import(*args)
    elif mode == "pg-import-pk":
        seconds = pg_import_pk_only(*args)
    elif mode == "pg-rows":
        seconds = pg_rows(args[0], args[1], args[2], args[3:])
    elif mode == "pg-manifest":
        seconds = pg_manifest(*args)
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(f"{seconds:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
