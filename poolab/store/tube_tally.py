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
order. SQLite has one writer at a time.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

TALLIED = ("collection", "receipt", "plate_well", "result")
"""The tables whose rows move a tube."""

STEP = "step"
SPAN_TALLIES = ("collection_to_receipt", "receipt_to_result")
WAIT_TALLIES = ("not_received", "without_result")


def minutes_sql(dialect: str, earlier: str, later: str) -> str:
    """Whole minutes from ``earlier`` to ``later`` (NULL when either is): truncated
    toward zero on SQLite, floored on PostgreSQL, as the store always measured them."""
    if dialect == "sqlite":
        return f"CAST((julianday({later}) - julianday({earlier})) * 1440.0 AS INTEGER)"
    return f"CAST(floor(extract(epoch FROM {later} - {earlier}) / 60.0) AS integer)"


def epoch_minute_sql(dialect: str, at: str) -> str:
    """The minute since 1970 (UTC) that contains the time stamp ``at``."""
    if dialect == "sqlite":  # stored as ISO text in UTC; '%s' gives whole seconds
        return f"(CAST(strftime('%s', {at}) AS INTEGER) / 60)"
    return f"CAST(floor(extract(epoch FROM {at}) / 60) AS integer)"


def last_id(conn: Connection, table: str) -> int:
    """The highest row id of ``table`` this transaction sees: the rows a write appends
    next come after it (its batch is its event's rows past this id)."""
    assert table in TALLIED or table == "tube"
    return int(conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar_one())


# The rows of one write: its event's rows past the id read before it. For results, per
# tube: the first of its new rows and whether they start its chain. ``+tube_id`` keeps
# SQLite on the id range (an index on tube_id would walk every row of the table).
_BATCH = {
    "collection": "SELECT tube_id FROM collection WHERE id > :after AND event_id = :event",
    "receipt": "SELECT tube_id FROM receipt WHERE id > :after AND event_id = :event",
    "plate_well": (
        "SELECT DISTINCT +tube_id AS tube_id FROM plate_well "
        "WHERE id > :after AND event_id = :event AND run = 1 AND +tube_id IS NOT NULL"
    ),
    "result": (
        "SELECT tube_id, min(id) AS first_new, max(CASE WHEN supersedes_id IS NULL THEN 1 ELSE 0 END) AS starts "
        "FROM (SELECT +tube_id AS tube_id, id, supersedes_id FROM result WHERE id > :after AND event_id = :event) r "
        "GROUP BY tube_id"
    ),
}

# A tube's rows as they are now (suffix 1) and as they were before the write (suffix 0):
# the write's own table gives "none yet" before it; a result batch's tubes had the call
# of the row just before their first new one.
_NOW = {
    "c": "(SELECT at FROM collection WHERE tube_id = t.id)",
    "r": "(SELECT at FROM receipt WHERE tube_id = t.id)",
    "p": "CASE WHEN EXISTS (SELECT 1 FROM plate_well w WHERE w.tube_id = t.id AND w.run = 1) THEN 1 ELSE 0 END",
    "f": "(SELECT at FROM result WHERE tube_id = t.id AND supersedes_id IS NULL)",
    "k": "(SELECT x.call FROM result x WHERE x.tube_id = t.id ORDER BY x.id DESC LIMIT 1)",
}
_BEFORE = {
    "collection": {"c": "{no_time}"},
    "receipt": {"r": "{no_time}"},
    "plate_well": {"p": "0"},
    "result": {
        "f": "CASE WHEN b.starts = 1 THEN NULL ELSE f1 END",
        "k": "(SELECT x.call FROM result x WHERE x.tube_id = t.id AND x.id < b.first_new ORDER BY x.id DESC LIMIT 1)",
    },
}


def _facts(dialect: str, table: str) -> str:
    """Two named subqueries, ``now`` then ``facts``, each computed once (a flattened
    query would look every row up twice). ``facts`` has one row per tube of the batch: its
    campaign, kind, compound and people, whether it is counted by step (laid out), and
    its rows now (c1 r1 p1 f1 k1) and before the write (c0 r0 p0 f0 k0)."""
    now = ", ".join(f"{sql} AS {name}1" for name, sql in _NOW.items())
    # the tube's row: an index probe per tube (a join the planner may pick instead reads
    # every tube of the store)
    tube = (
        "JOIN tube t ON t.id = b.tube_id"
        if dialect == "sqlite"
        else "CROSS JOIN LATERAL (SELECT * FROM tube WHERE id = b.tube_id LIMIT 1) t"
    )
    extra = ", b.first_new, b.starts" if table == "result" else ""
    inner = (
        "SELECT t.id, t.campaign_id, t.kind, t.compound, coalesce(t.people, 0) AS people, "
        "CASE WHEN t.compound IS NOT NULL OR t.kind <> 'pool' THEN 1 ELSE 0 END AS laid_out, "
        f"{now}{extra} FROM ({_BATCH[table]}) b {tube}"
    )
    # the call before a result batch is looked up by tube and the batch's first row
    no_time = "NULL" if dialect == "sqlite" else "CAST(NULL AS timestamp with time zone)"
    before = {
        name: sql.replace("t.id", "n.id").replace("b.", "n.").replace("{no_time}", no_time)
        for name, sql in _BEFORE[table].items()
    }
    then = ", ".join(f"{before.get(name, f'{name}1')} AS {name}0" for name in _NOW)
    return f"now AS MATERIALIZED ({inner}), facts AS MATERIALIZED (SELECT n.*, {then} FROM now n)"


def _shares(dialect: str, s: int, sign: str) -> list[str]:
    """The tubes' shares of every count, from their rows with suffix ``s``."""
    c, r, p, f, k = (f"{name}{s}" for name in "crpfk")
    step = (
        f"CASE WHEN {k} IS NOT NULL THEN 4 WHEN {p} = 1 THEN 3 "
        f"WHEN {r} IS NOT NULL THEN 2 WHEN {c} IS NOT NULL THEN 1 ELSE 0 END"
    )
    none_text, none_int = "CAST(NULL AS varchar)", "CAST(NULL AS integer)"
    by_minute = f"{none_text}, {none_text}, {none_int}, {none_text}"

    def minutes(what: str, minute: str, where: str) -> str:
        return f"SELECT campaign_id, '{what}', {by_minute}, {minute}, {sign}1, 0 FROM facts WHERE {where}"

    return [
        # the first branch names the columns of the union
        f"SELECT campaign_id, 'step' AS what, kind, compound, {step} AS step, {k} AS call, {none_int} AS minute, "
        f"{sign}1 AS tubes, {sign}people AS people FROM facts WHERE laid_out = 1",
        minutes("collection_to_receipt", minutes_sql(dialect, c, r), f"{c} IS NOT NULL AND {r} IS NOT NULL"),
        minutes("receipt_to_result", minutes_sql(dialect, r, f), f"{r} IS NOT NULL AND {f} IS NOT NULL"),
        minutes("not_received", epoch_minute_sql(dialect, c), f"{c} IS NOT NULL AND {r} IS NULL"),
        minutes(
            "without_result", epoch_minute_sql(dialect, r), f"{r} IS NOT NULL AND ({k} IS NULL OR {k} = 'invalid')"
        ),
    ]


_COLUMNS = "campaign_id, what, kind, compound, step, call, minute, tubes, people"
_GROUP = "campaign_id, what, kind, compound, step, call, minute"


def count_sql(dialect: str, table: str) -> str:
    """The statement that appends a batch's changes to the counts (``:event``, ``:after``)."""
    shares = _shares(dialect, 1, "") + _shares(dialect, 0, "-")
    union = " UNION ALL ".join(shares)
    return (
        f"WITH {_facts(dialect, table)} "
        f"INSERT INTO tube_tally ({_COLUMNS}) SELECT {_COLUMNS.replace('tubes, people', 'sum(tubes), sum(people)')} "
        f"FROM ({union}) AS d GROUP BY {_GROUP} HAVING sum(tubes) <> 0 OR sum(people) <> 0"
    )


_SQL: dict[tuple[str, str], str] = {}


def count_written(conn: Connection, *, table: str, event_id: int, after_id: int) -> None:
    """Append to the counts what the rows ``table`` just got (the event's rows past
    ``after_id``, read with ``last_id`` before the insert) changed, in the open
    transaction; on PostgreSQL after locking those tubes (see the module's note)."""
    dialect = conn.dialect.name
    params = {"event": event_id, "after": after_id}
    if dialect == "postgresql":
        ids = f"SELECT tube_id FROM ({_BATCH[table]}) b"
        conn.execute(
            text(f"SELECT count(*) FROM (SELECT 1 FROM tube WHERE id IN ({ids}) ORDER BY id FOR NO KEY UPDATE) l"),
            params,
        )
    key = (dialect, table)
    if key not in _SQL:
        _SQL[key] = count_sql(dialect, table)
    conn.execute(text(_SQL[key]), params)


def count_new_tubes(conn: Connection, *, event_id: int, after_id: int) -> None:
    """Count the tubes an event just added (past ``after_id``) as planned: laid-out pool
    tubes with their compound and people, individual tubes per campaign."""
    conn.execute(
        text(
            f"INSERT INTO tube_tally ({_COLUMNS}) "
            "SELECT campaign_id, 'step', kind, compound, 0, NULL, NULL, count(*), sum(coalesce(people, 0)) "
            "FROM tube WHERE id > :after AND event_id = :event AND (compound IS NOT NULL OR kind <> 'pool') "
            "GROUP BY campaign_id, kind, compound"
        ),
        {"event": event_id, "after": after_id},
    )
