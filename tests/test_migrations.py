"""`poolab init` brings a store made by an earlier release up to date, keeping every row;
the migrations build exactly the tables the code uses."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from poolab.store.engine import make_engine, resolve_url
from poolab.store.migrate import migrate, upgrade
from tests.conftest import empty_store_url
from tests.workflow import run

pytestmark = pytest.mark.store

DATA = Path(__file__).parent / "data"
AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _v1_store(url: str) -> None:
    """A store as poolab 0.1.0 made it (its schema, verbatim), with rows in every table,
    including what that release's races left behind: a re-run without a link, two
    calls recorded at once for one tube, and a second retest tube for one resident."""
    engine = make_engine(resolve_url(url))
    ddl = (DATA / f"schema_v1.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    code = "\n".join(line for line in ddl.splitlines() if not line.startswith("--"))
    with engine.begin() as conn:
        for statement in (s.strip() for s in code.split(";")):
            if statement:
                conn.exec_driver_sql(statement)
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', '1')"))
        conn.execute(text("INSERT INTO counter (name, value) VALUES ('barcode:P', 7), ('barcode:S', 3)"))
        for i in range(1, 7):
            conn.execute(
                text("INSERT INTO event (id, at, operator, action, detail) VALUES (:i, :at, 'old', 'x', '{}')"),
                {"i": i, "at": AT},
            )
        conn.execute(
            text(
                "INSERT INTO resident (id, resident_id, name, id_number, phone, compound, building, unit, room, "
                "household_id, event_id) VALUES (1, 'R1', '张三', '', '', 'C', '1', '1', '101', 'H1', 1), "
                "(2, 'R2', '李四', '', '', 'C', '1', '1', '101', 'H1', 1)"
            )
        )
        conn.execute(text("INSERT INTO resident_change (resident_pk, event_id, previous) VALUES (1, 1, '{}')"))
        conn.execute(text("INSERT INTO import_record (scope, sha256, event_id) VALUES ('roster', 'abc', 1)"))
        conn.execute(
            text(
                "INSERT INTO campaign (id, name, pool_size, one_tube_per_household, field_binding, compounds, "
                "event_id) VALUES (1, 'day1', 10, false, false, '[]', 2)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO tube (id, barcode, campaign_id, kind, position, parent_tube_id, resident_pk, event_id) "
                "VALUES (1, 'P000000001X', 1, 'pool', 0, NULL, NULL, 2),"
                " (2, 'P000000002X', 1, 'pool', 1, NULL, NULL, 2),"
                " (3, 'S000000001X', 1, 'individual', 1, 1, 1, 5), (4, 'S000000002X', 1, 'individual', 1, 1, 1, 6)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO member (campaign_id, tube_id, resident_pk, slot, event_id) "
                "VALUES (1, 1, 1, 1, 2), (1, 1, 2, 2, 2)"
            )
        )
        for table in ("collection", "receipt"):
            conn.execute(
                text(f"INSERT INTO {table} (tube_id, event_id, at) VALUES (1, 3, :at), (2, 3, :at)"), {"at": AT}
            )
        # tube 1: invalid, then its re-run (no link in 0.1.0); tube 2: two calls at once, then an amendment
        conn.execute(
            text(
                "INSERT INTO result (id, tube_id, call, ct_orf1ab, ct_n, source, supersedes_id, reason, event_id, at) "
                "VALUES (1, 1, 'invalid', NULL, NULL, 'a.csv:2', NULL, NULL, 4, :at),"
                " (2, 1, 'positive', 30.5, 31.0, 'b.csv:2', NULL, NULL, 4, :at),"
                " (3, 2, 'positive', 29.0, 30.0, 'c.csv:2', NULL, NULL, 4, :at),"
                " (4, 2, 'negative', NULL, NULL, 'd.csv:2', NULL, NULL, 4, :at),"
                " (5, 2, 'positive', 29.0, 30.0, 'e.csv:2', 3, 'race', 4, :at)"
            ),
            {"at": AT},
        )
    engine.dispose()


_TABLES = (
    "counter",
    "event",
    "resident",
    "resident_change",
    "import_record",
    "campaign",
    "tube",
    "member",
    "collection",
    "receipt",
    "result",
)


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = make_engine(resolve_url(url))
    with engine.connect() as conn:
        out = {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))] for t in _TABLES}
    engine.dispose()
    return out


def test_v1_store_is_upgraded_keeping_every_row(store_url: str) -> None:
    """A 0.1.0 store: commands ask for `init`; `init` upgrades it; every row is still there;
    the races it holds are repaired without losing a row and named in the event log."""
    _v1_store(store_url)
    before = _rows(store_url)
    r = run(store_url, "status", "day1")
    assert 1 == r.exit_code and "older poolab" in r.output and "poolab" in r.output and "init" in r.output
    r = run(store_url, "init")
    assert 0 == r.exit_code, r.output
    assert "upgraded from schema 0001" in r.output
    after = _rows(store_url)
    for table in _TABLES:
        expected = len(before[table]) + (1 if table == "event" else 0)  # the upgrade's own event
        assert expected == len(after[table]), table
    assert before["receipt"] == after["receipt"]
    assert before["member"] == after["member"]
    # the result chains: 1 -> 2 on tube 1, 3 -> 4 -> 5 on tube 2
    assert [None, 1, None, 3, 4] == [row[6] for row in after["result"]]
    assert [None, None, None, 3] == [row[8] for row in after["tube"]]  # tube 4 duplicates tube 3
    # 0004: pool tubes laid out by `campaign new` get their compound and head-count
    assert [("C", 2), (None, 0), (None, None), (None, None)] == [row[9:11] for row in after["tube"]]
    detail = json.loads(str(after["event"][-1][5]))
    assert {"tubes_with_concurrent_results": ["P000000002X"], "duplicate_retest_tubes": 1} == detail
    status = run(store_url, "status", "day1", "--json")
    assert 0 == status.exit_code, status.output
    # both tubes' current calls: the re-run's positive and the amendment's positive
    assert {"negative": 0, "positive": 2, "inconclusive": 0, "invalid": 0} == json.loads(status.output)["results"]
    assert "up to date" in run(store_url, "init").output


def test_tube_places_are_backfilled_as_campaign_new_writes_them(store, small_roster_csv: Path) -> None:
    """A store at schema 0003 upgraded to 0004 holds, for every tube, the compound and
    head-count `campaign new` writes today: laid-out pool tubes filled from their members,
    a tube bound in the field and individual tubes left NULL."""
    from alembic import command

    from poolab.demo.timeline import DayPlan, simulate_day
    from poolab.field.campaigns import create_campaign
    from poolab.field.sampling import collect
    from poolab.field.scans import scan_lines
    from poolab.roster.importing import import_roster
    from poolab.store.migrate import _config

    import_roster(store, small_roster_csv, operator="t")
    create_campaign(store, "day1", operator="t")
    simulate_day(store, "day1", plan=DayPlan(positive=0.1), seed=3, now=AT)  # retests: individual tubes
    create_campaign(store, "field", operator="t", field_binding=True)
    rows = [line.split(",") for line in small_roster_csv.read_text(encoding="utf-8").splitlines()[1:4]]
    path = small_roster_csv.parent / f"migrate-{store.dialect}.txt"
    path.write_text("TUBE-0001\n" + "".join(r[0] + "\n" for r in rows), encoding="utf-8")
    assert 4 == collect(store, "field", scan_lines(str(path)), source=path.name, operator="t").accepted
    query = text("SELECT id, kind, compound, people FROM tube ORDER BY id")
    with store.engine.connect() as conn:
        written = [tuple(r) for r in conn.execute(query)]
    with store.engine.begin() as conn:
        command.downgrade(_config(conn, "t"), "0003")
    with store.engine.begin() as conn:
        assert "upgraded from schema 0003" == upgrade(conn)
        backfilled = [tuple(r) for r in conn.execute(query)]
    assert written == backfilled
    kinds = {(kind, compound is None, people is None) for _, kind, compound, people in written}
    assert {("pool", False, False), ("pool", True, True), ("individual", True, True)} == kinds


def _migrated(url: str) -> None:
    """Build the store at ``url`` (empty) through every migration, as an old store is."""
    engine = make_engine(resolve_url(url))
    with engine.begin() as conn:
        migrate(conn, revision=None)
    engine.dispose()


def _another_store(store_url: str, tmp_path: Path) -> AbstractContextManager[str]:
    """The URL of a second empty store on the same backend as ``store_url``."""
    return empty_store_url("sqlite" if store_url.startswith("sqlite") else "postgresql", tmp_path, "another.db")


def test_migrations_build_the_tables_the_code_uses(store_url: str) -> None:
    """An empty database migrated to the head has exactly the tables, columns and indexes
    of poolab.store.tables (Alembic's autogenerate comparison finds nothing to do)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from poolab.store import tables

    _migrated(store_url)
    engine = make_engine(resolve_url(store_url))
    with engine.connect() as conn:
        _ = tables
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, SQLModel.metadata) if not _is_alembic_table(d)]
    engine.dispose()
    assert [] == diff


def test_tables_declare_the_indexes_the_migrations_build(store_url: str, tmp_path: Path) -> None:
    """The tables' own DDL (``create_all``) makes every index the migrations make, with the
    same columns and the same partial-index ``WHERE``, which Alembic's comparison does not
    look at: each backend gets its own condition although neither dialect is named in the
    table declarations."""
    from sqlmodel import SQLModel

    from poolab.store import tables

    _ = tables
    _migrated(store_url)
    with _another_store(store_url, tmp_path) as declared_url:
        migrated, declared = (make_engine(resolve_url(url)) for url in (store_url, declared_url))
        try:
            SQLModel.metadata.create_all(declared)
            built = [_indexes(engine) for engine in (migrated, declared)]
        finally:
            migrated.dispose()
            declared.dispose()
    assert built[0] == built[1]
    wheres = {name: where for name, where in built[0].items() if " WHERE " in where.upper()}
    partial = {"ix_resident_home_visit", "uq_tube_retest", "uq_result_first"}
    assert partial == set(wheres)


def test_a_new_store_is_the_store_the_migrations_build(store_url: str, tmp_path: Path) -> None:
    """``poolab init`` makes a new store from the tables' own DDL (not by running every
    migration): its tables, columns, indexes, triggers (and their functions) and schema
    revision are those of a store migrated from empty."""
    assert 0 == run(store_url, "init").exit_code
    with _another_store(store_url, tmp_path) as migrated_url:
        _migrated(migrated_url)
        built = [_schema(url) for url in (store_url, migrated_url)]
    assert built[0] == built[1]
    assert built[0]["triggers"] == {}  # migration 0008 dropped the tube state's
    assert "tube_tally" in built[0]["columns"]  # type: ignore[operator]


def _schema(url: str) -> dict[str, object]:
    """What a store is made of, as the database reports it, without its schema's name."""
    from sqlalchemy import inspect

    engine = make_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            columns = {
                table: sorted(
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in found.get_columns(table)
                )
                for table in found.get_table_names()
            }
            keys = {table: found.get_pk_constraint(table)["constrained_columns"] for table in columns}
            uniques = {
                table: sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(table))
                for table in columns
            }
            if conn.dialect.name == "sqlite":
                rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
                triggers: dict[str, object] = {name: " ".join(sql.split()) for name, sql in rows}
            else:
                rows = conn.execute(
                    text(
                        "SELECT t.tgname, pg_get_triggerdef(t.oid), p.prosrc FROM pg_trigger t "
                        "JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
                    )
                )
                schema = conn.execute(text("SELECT current_schema()")).scalar_one()
                triggers = {name: (d.replace(f"{schema}.", ""), " ".join(src.split())) for name, d, src in rows}
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        return {
            "columns": columns,
            "keys": keys,
            "uniques": uniques,
            "indexes": _indexes(engine),
            "triggers": triggers,
            "version": version,
        }
    finally:
        engine.dispose()


def _indexes(engine: object) -> dict[str, str]:
    """Each index's definition as the database keeps it, without its schema's name."""
    with engine.connect() as conn:  # type: ignore[attr-defined]
        if conn.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
            return {name: " ".join(sql.replace('"', "").split()) for name, sql in rows}
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"))
        return {
            name: sql.replace(f"{schema}.", "").replace(f'"{schema}".', "")
            for name, sql in rows
            if not name.startswith("alembic_version")  # the migrations' own bookkeeping
        }


def _is_alembic_table(diff: object) -> bool:
    return isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == "alembic_version"


def test_head_constant_is_the_migrations_head() -> None:
    """poolab.store.schema.HEAD (checked when a store is opened) names the newest migration."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from poolab.store.schema import HEAD

    cfg = Config()
    cfg.set_main_option("script_location", "poolab.store:migrations")
    assert [HEAD] == ScriptDirectory.from_config(cfg).get_heads()


def test_rounds_upgrade_keeps_every_row(store, small_roster_csv: Path) -> None:
    """A store at schema 0004 (two campaigns with results and retests, a roster) upgraded
    to 0005: every row of every table is kept as it was; campaigns follow none, residents
    and tubes are not home visits, and `campaign new --after` then works on it."""
    from alembic import command

    from poolab.demo.timeline import DayPlan, simulate_day
    from poolab.field.campaigns import create_campaign
    from poolab.field.rounds import RoundRules
    from poolab.roster.importing import import_roster
    from poolab.store.migrate import _config

    import_roster(store, small_roster_csv, operator="t")
    create_campaign(store, "day1", operator="t")
    simulate_day(store, "day1", plan=DayPlan(positive=0.1), seed=3, now=AT)
    create_campaign(store, "field", operator="t", field_binding=True)
    with store.engine.begin() as conn:
        command.downgrade(_config(conn, "t"), "0004")
    tables = (*_TABLES, "plate", "plate_well", "plate_run")
    with store.engine.connect() as conn:
        before = {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))] for t in tables}
    with store.engine.begin() as conn:
        assert "upgraded from schema 0004" == upgrade(conn)
    with store.engine.connect() as conn:
        after = {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))] for t in tables}
        carried = conn.execute(text("SELECT count(*) FROM round_carry")).scalar()
    added = {"campaign": (None,), "resident": (False,), "tube": (False,)}  # after_id, home_visit
    for t in tables:  # (SQLite reads a false flag back as 0, which equals False)
        width = len(before[t][0]) + len(added.get(t, ())) if before[t] else 0  # 0006 adds the tube's state after
        assert [(*row, *added.get(t, ())) for row in before[t]] == [row[:width] for row in after[t]], t
    assert 0 == carried
    assert sum(len(rows) for rows in before.values()) > 0
    summary = create_campaign(store, "day2", operator="t", after="day1", rules=RoundRules())
    assert summary.isolated > 0


def test_resident_codes_upgrade_keeps_every_row(store, small_roster_csv: Path) -> None:
    """A store at schema 0006 upgraded to 0007 keeps every resident as it was; on
    PostgreSQL resident and household ids are then in collation "C" (and were not before),
    and importing the roster again finds every resident unchanged."""
    from alembic import command

    from poolab.roster.importing import import_roster
    from poolab.store.migrate import _config

    def collations() -> list[object]:
        if store.engine.dialect.name != "postgresql":
            return []
        with store.engine.connect() as conn:
            query = (
                "SELECT column_name, collation_name FROM information_schema.columns WHERE table_schema = "
                "current_schema() AND table_name = 'resident' AND column_name IN ('resident_id', 'household_id') "
                "ORDER BY 1"
            )
            return [tuple(r) for r in conn.execute(text(query))]

    import_roster(store, small_roster_csv, operator="t")
    with store.engine.begin() as conn:
        command.downgrade(_config(conn, "t"), "0006")
    with store.engine.connect() as conn:
        before = [tuple(r) for r in conn.execute(text("SELECT * FROM resident ORDER BY id"))]
    old = collations()
    with store.engine.begin() as conn:
        assert "upgraded from schema 0006" == upgrade(conn)
    with store.engine.connect() as conn:
        assert before == [tuple(r) for r in conn.execute(text("SELECT * FROM resident ORDER BY id"))]
    if store.engine.dialect.name == "postgresql":
        assert [("household_id", None), ("resident_id", None)] == old
        assert [("household_id", "C"), ("resident_id", "C")] == collations()
    again = import_roster(store, small_roster_csv, operator="t")
    assert (0, 0, len(before)) == (again.inserted, again.updated, again.unchanged)
