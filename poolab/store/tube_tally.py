"""A campaign's running counts (``tube_tally``), kept by the writes themselves.

Each write that moves tubes appends, in its own transaction, what it changed: a new
campaign's tubes at ``planned``; a batch of collections, receipts, first plates or
results as each tube's share of the counts after the write minus its share before,
summed by key (a few rows per batch, whatever its size). A count is the sum of its
rows, so status, the command post and the turnaround figures read a few hundred rows
and never the tubes one by one; no tube row is rewritten when a scan comes in.

A tube's share follows from its rows: its collection and receipt (when), whether a
plate holds it (its first run), its first result (when) and its current call. It counts
at its furthest step with its current call (laid-out pool tubes and individual tubes:
a tube bound in the field has no compound until its members are read, and is counted
from them, ``poolab.store.progress``), in the histogram of each span it has both ends
of (collection to receipt, receipt to first result), and as waiting since the minute it
was collected (not received yet) or received (no usable result yet).

Why not triggers: a per-row trigger cost SQLite about 3 µs a row before doing anything,
and on PostgreSQL rewriting a million tube rows and their indexes took several times
the receipts' own insert (``benchmarks/RESULTS.md``). Each insert function of the store
(``insert_receipts``, ``receive_staged``, ``insert_collections``, ``insert_wells``,
``insert_results``, ``insert_tubes``) calls ``count_written`` or ``count_new_tubes``
right after its insert; ``tests/test_tube_tally.py`` holds the sums equal to a count
from the rows after any sequence of writes.

Concurrent stations (PostgreSQL): after its insert, a write locks its tubes' rows in id
order, then measures them in a new statement, which sees every write that held those
tubes before it; a write of the same tubes after it waits for its commit. So two
stations writing different steps of a tube at once count it once, in their commit
order.

A staged batch of receipts (a big file's, ``poolab.store.scan_stage``) locks no tube: it
holds the table ``tally_gate`` in SHARE mode from its staging to its commit
(``hold_gate``), and a write of collections, plates or results takes that table in ROW
EXCLUSIVE mode before it locks and measures its tubes. So the later of the two to
measure sees the other's rows: a batch waits for the writes measuring when it starts,
and such a write for the batches under way. Each counts what its own write changed on
top of the rows it sees, so their sums agree in either order. Batches of receipts share
the gate (two receipts of one tube are decided by the receipt's unique key, and only the
one stored is counted), as those other writes do among themselves. A staged batch is
measured from the rows its check kept (``count_written``'s ``tubes``). SQLite has one
writer at a time.

The rows of a campaign are folded into one per key every so often (``fold``), so a
count reads a few thousand rows however many batches wrote them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime, bindparam, text

TALLIED = ("collection", "receipt", "plate_well", "result")
"""The tables whose rows move a tube."""

STEP = "step"
"""``tube_tally.what`` of the counts by kind, compound, step and call; the others are
the spans (``poolab.store.timing.SPANS``) and the late steps (``LATE_STEPS``) by minute."""


def minutes_sql(dialect: str, earlier: str, later: str) -> str:
    """Whole minutes from ``earlier`` to ``later`` (NULL when either is): truncated
    toward zero on SQLite, floored on PostgreSQL, as the store always measured them."""
    if dialect == "sqlite":
        return f"CAST((julianday({later}) - julianday({earlier})) * 1440.0 AS INTEGER)"
    return f"CAST(floor(extract(epoch FROM {later} - {earlier}) / 60.0) AS integer)"


def epoch_minute_sql(dialect: str, at: str) -> str:
    """The minute since 1970 (UTC) that contains the time stamp ``at`` (on SQLite, once
    rounded to the millisecond: a time less than half a millisecond before a minute
    counts in the next one)."""
    if dialect == "sqlite":
        # stored as ISO text in UTC, which SQLite reads to the millisecond (rounded): the
        # milliseconds since its epoch, exactly, then whole minutes since 1970 (twice as
        # fast as strftime('%s'), and the same minute)
        return f"((CAST(round(julianday({at}) * 86400000.0) AS INTEGER) - 210866760000000) / 60000)"
    return f"CAST(floor(extract(epoch FROM {at}) / 60) AS integer)"


GATE = "tally_gate"
"""The table whose lock orders staged receipts and the other steps' counts (PostgreSQL)."""


def hold_gate(conn: Connection) -> None:
    """Hold the counts' gate shared until the transaction ends: a staged batch of
    receipts, which then locks none of its tubes (see the module's note)."""
    conn.exec_driver_sql(f"LOCK TABLE {GATE} IN SHARE MODE")


def last_id(conn: Connection, table: str) -> int:
    """The highest row id of ``table`` this transaction sees: the rows a write appends
    next come after it (its batch is its event's rows past this id)."""
    assert table in (*TALLIED, "tube", "tube_tally")
    return int(conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar_one())


# The rows of one write: its event's rows past the id read before it (one time stamp,
# ``:at``, for all of them). For results, per tube: the first of its new rows and whether
# they start its chain. ``+tube_id`` keeps SQLite on the id range (its index on tube_id
# would walk every row of the table).
FIRST_RESULTS = "result, first of each tube"
"""``count_written``'s table for a batch of results that holds one row per tube, each
starting its tube's chain."""

_BATCH = {
    "collection": "SELECT tube_id FROM collection WHERE id > :after AND event_id = :event",
    "receipt": "SELECT tube_id FROM receipt WHERE id > :after AND event_id = :event",
    "plate_well": (
        "SELECT DISTINCT +tube_id AS tube_id FROM plate_well "
        "WHERE id > :after AND event_id = :event AND run = 1 AND +tube_id IS NOT NULL"
    ),
    "result": (
        "SELECT tube_id, min(id) AS first_new, max(CASE WHEN supersedes_id IS NULL THEN 1 ELSE 0 END) AS starts, "
        "count(*) AS new_rows, min(call) AS one_call "
        "FROM (SELECT +tube_id AS tube_id, id, supersedes_id, call FROM result "
        "WHERE id > :after AND event_id = :event) r GROUP BY tube_id"
    ),
    # the usual batch of results, each the first of its tube (its writer knows): no
    # grouping (a fifth of a district's count)
    FIRST_RESULTS: (
        "SELECT +tube_id AS tube_id, id AS first_new, 1 AS starts, 1 AS new_rows, call AS one_call "
        "FROM result WHERE id > :after AND event_id = :event"
    ),
}

# A tube's rows, looked up by its id (``n.id``): each an index probe.
_C = "(SELECT at FROM collection WHERE tube_id = n.id)"
_R = "(SELECT at FROM receipt WHERE tube_id = n.id)"
_P = "EXISTS (SELECT 1 FROM plate_well w WHERE w.tube_id = n.id AND w.run = 1)"
_F = "(SELECT at FROM result WHERE tube_id = n.id AND supersedes_id IS NULL)"
_K = "(SELECT x.call FROM result x WHERE x.tube_id = n.id ORDER BY x.id DESC LIMIT 1)"
_K_BEFORE = "(SELECT x.call FROM result x WHERE x.tube_id = n.id AND x.id < n.first_new ORDER BY x.id DESC LIMIT 1)"

# Per table: the rows looked up once per tube (``looked``), and the shares that change,
# as (what, sign, condition, step, call, minute): a tube's share after the write (+) and
# before it (-), only where they can differ. A step share counts laid-out tubes; the
# others every tube. Lookups inlined in a CASE run only for the tubes that reach them.
_SHARES: dict[str, tuple[dict[str, str], list[tuple[str, str, str, str, str, str]]]] = {
    "collection": (
        {"r": _R, "k": _K, "p": f"CASE WHEN {_P} THEN 1 ELSE 0 END"},
        [
            ("step", "+", "k IS NULL AND p = 0 AND r IS NULL", "1", "NULL", ""),
            ("step", "-", "k IS NULL AND p = 0 AND r IS NULL", "0", "NULL", ""),
            ("collection_to_receipt", "+", "r IS NOT NULL", "", "", "{span:at,r}"),
            ("not_received", "+", "r IS NULL", "", "", "{minute:at}"),
        ],
    ),
    "receipt": (
        {"c": _C, "k": _K, "p": f"CASE WHEN {_P} THEN 1 ELSE 0 END"},
        [
            ("step", "+", "k IS NULL AND p = 0", "2", "NULL", ""),
            ("step", "-", "k IS NULL AND p = 0", "CASE WHEN c IS NOT NULL THEN 1 ELSE 0 END", "NULL", ""),
            ("collection_to_receipt", "+", "c IS NOT NULL", "", "", "{span:c,at}"),
            # a first result before the receipt (a tube with a call has one)
            ("receipt_to_result", "+", f"k IS NOT NULL AND {_F} IS NOT NULL", "", "", "{span:at,f}"),
            ("not_received", "-", "c IS NOT NULL", "", "", "{minute:c}"),
            ("without_result", "+", "k IS NULL OR k = 'invalid'", "", "", "{minute:at}"),
        ],
    ),
    "plate_well": (
        {"k": _K},
        [
            ("step", "+", "k IS NULL", "3", "NULL", ""),
            (
                "step",
                "-",
                "k IS NULL",
                f"CASE WHEN {_R} IS NOT NULL THEN 2 WHEN {_C} IS NOT NULL THEN 1 ELSE 0 END",
                "NULL",
                "",
            ),
        ],
    ),
    "result": (
        # the call before: none when the batch starts the tube's chain (the usual case)
        # the call now: a tube's one new row's (the usual case) or its newest row's
        {
            "k1": f"CASE WHEN n.new_rows = 1 THEN n.one_call ELSE {_K} END",
            "k0": f"CASE WHEN n.starts = 1 THEN NULL ELSE {_K_BEFORE} END",
            "r": _R,
        },
        [
            ("step", "+", "1 = 1", "4", "k1", ""),
            (
                "step",
                "-",
                "1 = 1",
                f"CASE WHEN k0 IS NOT NULL THEN 4 WHEN {_P} THEN 3 WHEN r IS NOT NULL THEN 2 "
                f"WHEN {_C} IS NOT NULL THEN 1 ELSE 0 END",
                "k0",
                "",
            ),
            ("receipt_to_result", "+", "starts = 1 AND r IS NOT NULL", "", "", "{span:r,at}"),
            ("without_result", "+", "r IS NOT NULL AND k1 = 'invalid'", "", "", "{minute:r}"),
            ("without_result", "-", "r IS NOT NULL AND (k0 IS NULL OR k0 = 'invalid')", "", "", "{minute:r}"),
        ],
    ),
}


_SHARES[FIRST_RESULTS] = _SHARES["result"]


def _time(dialect: str, expression: str) -> str:
    """``{span:a,b}`` and ``{minute:a}`` in a share's minute, in SQL (``at``: the batch's
    time stamp; ``f``: the tube's first result's, looked up)."""

    def name(x: str) -> str:
        return {"at": ":at", "f": _F}.get(x, x)

    if expression.startswith("{span:"):
        earlier, later = expression[len("{span:") : -1].split(",")
        return minutes_sql(dialect, name(earlier), name(later))
    if expression.startswith("{minute:"):
        minute = epoch_minute_sql(dialect, name(expression[len("{minute:") : -1]))
        # the batch's own minute read once, not once per tube (13% of a count of 50,000
        # receipts on PostgreSQL)
        return f"(SELECT {minute})" if expression == "{minute:at}" else minute
    return expression


_COLUMNS = "campaign_id, what, kind, compound, step, call, minute, tubes, people"


def count_sql(dialect: str, table: str, tubes: str | None = None) -> str:
    """The statement that appends a batch's changes to the counts (``:event``,
    ``:after`` and ``:at``; with ``tubes``, the table that holds the batch's tube rows,
    ``:at`` alone). Every minute is the database's own reading of a time stamp, the
    batch's as the tubes' (on SQLite to the millisecond), so a tube's + and - shares of a
    wait fall in the same minute."""
    looked, shares = _SHARES[table]
    # the tube's row: an index probe per tube (a join the planner may pick instead reads
    # every tube of the store)
    tube = (
        "JOIN tube t ON t.id = b.tube_id"
        if dialect == "sqlite"
        else "CROSS JOIN LATERAL (SELECT * FROM tube WHERE id = b.tube_id LIMIT 1) t"
    )
    extra = ", b.first_new, b.starts, b.new_rows, b.one_call" if table in ("result", FIRST_RESULTS) else ""
    assert tubes is None or not extra, "a result batch is read from its rows"
    batch = (
        "SELECT t.id, t.campaign_id, t.kind, t.compound, coalesce(t.people, 0) AS people, "
        f"CASE WHEN t.compound IS NOT NULL OR t.kind <> 'pool' THEN 1 ELSE 0 END AS laid_out{extra} "
        + (f"FROM {tubes} t" if tubes else f"FROM ({_BATCH[table]}) b {tube}")
    )
    looked_columns = [f"{sql} AS {name}" for name, sql in looked.items()]
    text_null, int_null = "CAST(NULL AS varchar)", "CAST(NULL AS integer)"
    # each share's key (its step or minute), where the share applies (NULL elsewhere);
    # computed where the tubes are grouped, not stored first: copying every tube's row
    # once more cost both stores more (a district's receipts 21 -> 18 ms on SQLite, its
    # first results 33 -> 28 ms, with or without plates; 50,000 receipts 212 -> 195 ms
    # on PostgreSQL) than SQLite's second reading of a key it groups by
    keys = []
    for i, (what, _, where, step, _, minute) in enumerate(shares):
        applies = f"laid_out = 1 AND {where}" if what == STEP else where
        keys.append(f"CASE WHEN {applies} THEN {step if what == STEP else _time(dialect, minute)} END AS v{i}")
    # the tubes grouped once by every share's key together (one sort of the batch; the
    # keys of one batch mostly agree: its time stamp, a few compounds), then each share
    # summed from those groups; a tube's + and - shares of one key stay apart (a count is
    # a sum either way)
    calls = sorted({call for what, _, _, _, call, _ in shares if what == STEP and call != "NULL"})
    grouped = ", ".join(["campaign_id", "kind", "compound", *calls, *(f"v{i}" for i in range(len(shares)))])
    branches = []
    for i, (what, sign, _, _, call, _) in enumerate(shares):
        if what == STEP:
            branches.append(
                f"SELECT campaign_id, '{what}', kind, compound, v{i}, CAST({call} AS varchar) AS c, "
                f"{int_null}, {sign}sum(tubes), {sign}sum(people) FROM g WHERE v{i} IS NOT NULL "
                f"GROUP BY campaign_id, kind, compound, v{i}, c"
            )
        else:
            branches.append(
                f"SELECT campaign_id, '{what}', {text_null}, {text_null}, {int_null}, {text_null}, "
                f"CAST(v{i} AS integer), {sign}sum(tubes), 0 FROM g WHERE v{i} IS NOT NULL GROUP BY campaign_id, v{i}"
            )
    union = " UNION ALL ".join(branches)
    return (
        f"WITH n AS MATERIALIZED (SELECT n.*, {', '.join(looked_columns)} FROM ({batch}) n), "
        f"d AS NOT MATERIALIZED (SELECT n.*, {', '.join(keys)} FROM n), "
        f"g AS MATERIALIZED (SELECT {grouped}, count(*) AS tubes, sum(people) AS people FROM d GROUP BY {grouped}) "
        f"INSERT INTO tube_tally ({_COLUMNS}) {union}"
    )


_SQL: dict[tuple[str, str, str | None], Any] = {}


Folding = tuple[int, int]
"""A fold a write made due and left to its caller: the counts' last id before the write
and after it (``fold_written``)."""


def count_written(
    conn: Connection,
    *,
    table: str,
    event_id: int,
    after_id: int,
    at: datetime | None = None,
    folds: list[Folding] | None = None,
    tubes: str | None = None,
) -> None:
    """Append to the counts what the rows ``table`` just got changed: the event's rows
    past ``after_id`` (read with ``last_id`` before the insert), all written at ``at``
    (not for plates), in the open transaction; on PostgreSQL after locking those tubes
    and, for a step other than reception, taking the counts' gate (see the module's
    note). Given ``folds``, a fold this write makes due is put there
    instead of done (a batch that waits for another's commit before its own folds after
    that wait: see ``fold_written``). ``tubes``: a table holding the rows of
    the batch's tubes, kept by a statement before this one under the counts' gate
    (PostgreSQL's staged receipts, ``poolab.store.scan_stage``)."""
    dialect = conn.dialect.name
    params: dict[str, object] = {} if tubes else {"event": event_id, "after": after_id}
    if table != "plate_well":
        assert at is not None, "a scan or result batch has its time"
        params["at"] = at
    if dialect == "postgresql" and tubes is None:
        if table != "receipt":
            # after the staged receipts under way, before any to come (the module's note)
            conn.exec_driver_sql(f"LOCK TABLE {GATE} IN ROW EXCLUSIVE MODE")
        ids = f"SELECT tube_id FROM ({_BATCH[table]}) b"
        conn.execute(
            text(f"SELECT count(*) FROM (SELECT 1 FROM tube WHERE id IN ({ids}) ORDER BY id FOR NO KEY UPDATE) l"),
            {"event": event_id, "after": after_id},
        )
    key = (dialect, table, tubes)
    if key not in _SQL:
        statement = text(count_sql(dialect, table, tubes))
        if table != "plate_well":  # bound as the store's time stamps are (SQLite: its ISO text)
            statement = statement.bindparams(bindparam("at", type_=DateTime(timezone=True)))
        _SQL[key] = statement
    if dialect != "postgresql":
        _append(conn, _SQL[key], params, folds=folds)
        return
    # the batch's tubes grouped in a hash table: the planner, which has no statistics of
    # a batch, sorted them instead (50,000 receipts counted in 129 ms, hashed in 100 ms)
    # (a failed count rolls the transaction back, and the setting with it)
    conn.exec_driver_sql("SET LOCAL enable_sort = off")
    _append(conn, _SQL[key], params, folds=folds)
    conn.exec_driver_sql("SET LOCAL enable_sort TO DEFAULT")


def count_new_tubes(conn: Connection, *, event_id: int, after_id: int) -> None:
    """Count the tubes an event just added (past ``after_id``) as planned: laid-out pool
    tubes with their compound and people, individual tubes per campaign."""
    _append(
        conn,
        text(
            f"INSERT INTO tube_tally ({_COLUMNS}) "
            "SELECT campaign_id, 'step', kind, compound, 0, NULL, NULL, count(*), sum(coalesce(people, 0)) "
            "FROM tube WHERE id > :after AND event_id = :event AND (compound IS NOT NULL OR kind <> 'pool') "
            "GROUP BY campaign_id, kind, compound"
        ),
        {"event": event_id, "after": after_id},
    )


FOLD_EVERY = 1_000
"""Whenever the running counts' row ids pass a multiple of this, the campaigns just
written are folded: their rows summed into one row per key. A campaign's counts then
stay a few thousand rows (its keys, and what was written since), however many batches
wrote them: a city's day of collection every 200 scans would otherwise leave hundreds
of thousands."""

_GROUPED = "campaign_id, what, kind, compound, step, call, minute"
_SUMMED = f"{_GROUPED}, sum(tubes), sum(people)"
_NONZERO = "HAVING sum(tubes) <> 0 OR sum(people) <> 0"


def _append(conn: Connection, statement: Any, params: dict[str, object], *, folds: list[Folding] | None = None) -> None:
    before = last_id(conn, "tube_tally")
    conn.execute(statement, params)
    after = last_id(conn, "tube_tally")
    if after // FOLD_EVERY <= before // FOLD_EVERY:
        return
    if folds is not None:
        folds.append((before, after))
    else:
        fold_written(conn, (before, after))


def fold_written(conn: Connection, folding: Folding) -> None:
    """Fold the campaigns a write appended counts to (its ``Folding``), in the open
    transaction. A fold deletes the campaign's rows, so two folds of one campaign wait
    for each other: a write that waits for another's commit folds after that wait."""
    before, after = folding
    written = conn.execute(text("SELECT DISTINCT campaign_id FROM tube_tally WHERE id > :b"), {"b": before})
    for campaign_id in sorted(int(c) for c in written.scalars()):
        fold(conn, campaign_id=campaign_id, upto=after)


def fold(conn: Connection, *, campaign_id: int, upto: int) -> None:
    """Replace the campaign's rows up to id ``upto`` with their sums, one row per key (a
    key that sums to nothing leaves none), in the open transaction. On PostgreSQL one
    statement deletes the rows and inserts the sums of exactly the rows it deleted: a
    station's rows committed meanwhile are neither lost nor counted twice."""
    params = {"campaign": campaign_id, "upto": upto}
    rows = "FROM tube_tally WHERE campaign_id = :campaign AND id <= :upto"
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                f"WITH gone AS (DELETE {rows} RETURNING {_COLUMNS}) "
                f"INSERT INTO tube_tally ({_COLUMNS}) SELECT {_SUMMED} FROM gone GROUP BY {_GROUPED} {_NONZERO}"
            ),
            params,
        )
        return
    # SQLite: one writer at a time, so two statements see the same rows
    conn.execute(
        text(f"INSERT INTO tube_tally ({_COLUMNS}) SELECT {_SUMMED} {rows} GROUP BY {_GROUPED} {_NONZERO}"), params
    )
    conn.execute(text(f"DELETE {rows}"), params)
