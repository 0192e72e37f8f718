"""`poolab roster import`: a roster file into the store, streamed, all or nothing.

The file is read, checked and upserted a block at a time (``csvstream.BLOCK_BYTES``, about
50,000 lines) inside one transaction, so memory follows the block, not the city. A bad
line anywhere rejects the whole file: once a problem is found nothing more is written,
the rest of the file is still checked (every problem is reported together), and the
transaction is rolled back. Repeated resident ids across blocks are found by their hashes
(``SeenIds``) and confirmed on the ids themselves by reading the file again.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Sequence

import attrs
from sqlalchemy import Connection

from poolab.errors import InputRejected, Problem
from poolab.files.csvstream import BLOCK_BYTES
from poolab.files.meter import Progress, no_progress
from poolab.i18n import _
from poolab.roster.file import Roster, RosterFile, duplicate_id_problems
from poolab.roster.seen_ids import SeenIds
from poolab.store.bulk import gc_paused
from poolab.store.engine import Store
from poolab.store.events import record_event, set_event_detail
from poolab.store.residents import (
    FIELDS,
    HOME_VISIT,
    UpsertCounts,
    count_residents,
    legacy_ids,
    lock_residents,
    new_resident_writer,
    upsert_residents,
)


@attrs.frozen(slots=True)
class RosterImportSummary:
    """What `roster import` did."""

    source: str
    encoding: str
    rows: int
    inserted: int
    updated: int
    unchanged: int


STEP = "roster import"


class _SharedHash(Exception):
    """Ids that share a hash without being equal: read again with another salt."""


def import_roster(
    store: Store,
    path: str | os.PathLike[str],
    *,
    operator: str,
    encoding: str | None = None,
    block_bytes: int = BLOCK_BYTES,
    progress: Progress = no_progress,
) -> RosterImportSummary:
    """Read, validate and upsert a roster file. Any bad line rejects the whole file
    (``InputRejected`` lists every problem); importing the same file again changes
    nothing and records nothing."""
    source = os.fspath(path)

    def open_file() -> RosterFile:
        return RosterFile(source, encoding, block_bytes=block_bytes)

    with gc_paused():
        first = open_file()
        try:
            first.check_header()  # a bad header or encoding is refused before the store is touched
        except BaseException:
            first.close()
            raise
        opened = [first]  # the first run reads the file already open (its head is parsed once)

        def work(conn: Connection, salt: int) -> RosterImportSummary:
            with opened.pop() if opened else open_file() as f:
                return _import(conn, f, operator=operator, salt=salt, progress=progress)

        try:
            salt = 0
            while True:
                try:
                    return store.write(functools.partial(work, salt=salt))
                except _SharedHash:
                    salt += 1
        finally:
            for f in opened:
                f.close()


def _import(conn: Connection, f: RosterFile, *, operator: str, salt: int, progress: Progress) -> RosterImportSummary:
    source = f.source
    event_id = record_event(conn, operator=operator, action="roster.import", detail={"source": source})
    lock_residents(conn)  # before counting: a first import drops and rebuilds indexes
    empty = count_residents(conn) == 0
    legacy = {} if empty else legacy_ids(conn)
    seen = SeenIds(salt)
    problems: list[Problem] = []
    rows = inserted = updated = unchanged = 0
    writing = True  # until the first problem; after it the rest is only checked
    # A first import only inserts: its rows stream into one writer (one COPY on PostgreSQL,
    # which holds the connection: an update looks residents up, so it inserts block by block).
    home_visit = f.has_home_visit  # a file without the column leaves the stored flags alone
    writer = new_resident_writer(conn, home_visit=home_visit) if empty else contextlib.nullcontext(None)
    with writer as write_new:
        for chunk in f.chunks():
            problems += chunk.problems
            repeated = seen.add(chunk.roster.resident_id)
            rows += len(chunk)
            writing = writing and not problems and not repeated
            if writing:
                counts = upsert_residents(
                    conn,
                    columns=_columns(chunk.roster, home_visit=home_visit),
                    event_id=event_id,
                    empty=empty,
                    legacy=legacy,
                    write_new=write_new,
                    plain=chunk.plain,
                )
                inserted, updated, unchanged = (
                    inserted + counts.inserted,
                    updated + counts.updated,
                    unchanged + counts.unchanged,
                )
            progress(_("roster import"), f.fraction_read, rows)
            del chunk  # freed before the next one is read
        encoding_used = f.encoding
    if seen.candidates:
        found = _repeated_ids(f, seen)
        if not found and not problems:
            raise _SharedHash
        problems += found
    if problems:
        problems.sort(key=lambda p: p.line)
        raise InputRejected(
            _("{source}: {count} problem(s); nothing was imported").format(source=source, count=len(problems)),
            problems,
        )
    if inserted == 0 and updated == 0:
        conn.rollback()  # nothing changed: leave no event behind
    else:
        detail = {"source": source, "rows": rows, "encoding": encoding_used}
        set_event_detail(conn, event_id=event_id, detail=detail)
    return RosterImportSummary(
        source=source, encoding=encoding_used, rows=rows, inserted=inserted, updated=updated, unchanged=unchanged
    )


def _columns(roster: Roster, *, home_visit: bool) -> dict[str, Sequence[object]]:
    columns: dict[str, Sequence[object]] = {c: getattr(roster, c) for c in ("resident_id", *FIELDS)}
    if home_visit:
        columns[HOME_VISIT] = roster.home_visit if roster.home_visit else (False,) * len(roster)
    return columns


def _repeated_ids(read: RosterFile, seen: SeenIds) -> list[Problem]:
    """The file read again for the lines whose id hash is a candidate: the real repeats,
    with the line of the first."""
    ids: list[str] = []
    raw: list[str] = []
    lines: list[int] = []
    source = read.source
    with RosterFile(source, read.requested_encoding, block_bytes=read.block_bytes) as f:
        for chunk in f.chunks():
            hashes = seen.hashes(chunk.roster.resident_id).tolist()
            for j, h in enumerate(hashes):
                if h in seen.candidates and chunk.roster.resident_id[j]:
                    ids.append(chunk.roster.resident_id[j])
                    raw.append(chunk.raw_ids[j])
                    lines.append(chunk.roster.line[j])
    return duplicate_id_problems(ids, raw, lines, source)


def store_roster(store: Store, roster: Roster, *, operator: str) -> RosterImportSummary:
    """Upsert an already-validated roster in one transaction."""
    columns = _columns(roster, home_visit=bool(roster.home_visit))

    def work(conn: Connection) -> UpsertCounts:
        event_id = record_event(
            conn,
            operator=operator,
            action="roster.import",
            detail={"source": roster.source, "rows": len(roster), "encoding": roster.encoding},
        )
        empty = count_residents(conn) == 0
        counts = upsert_residents(
            conn,
            columns=columns,
            event_id=event_id,
            empty=empty,
            legacy={} if empty else legacy_ids(conn),
        )
        if counts.inserted == 0 and counts.updated == 0:
            conn.rollback()  # nothing changed: leave no event behind
        return counts

    # two imports at once: the second meets the first's residents (resident_id is unique)
    # and runs again as an update
    counts = store.write(work)
    return RosterImportSummary(
        source=roster.source,
        encoding=roster.encoding,
        rows=len(roster),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
    )
