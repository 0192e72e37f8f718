"""Reception of batches big enough to be staged (PostgreSQL: ``COPY`` into a temporary
table and joins against it). Every kind of scan a batch can hold is judged exactly as in
a small batch, on SQLite and, with POOLAB_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from poolab.barcodes import issue_barcodes
from poolab.field.campaigns import create_campaign
from poolab.field.scans import Scan
from poolab.lab.reception import STAGE_FROM, receive
from poolab.roster.importing import import_roster
from poolab.store.engine import Store
from poolab.store.scan_stage import can_stage
from poolab.store.tables import Campaign, Receipt, Tube
from tests.conftest import BACKENDS, empty_store_url

pytestmark = pytest.mark.store

_T = Tube.__table__  # type: ignore[attr-defined]
_C = Campaign.__table__  # type: ignore[attr-defined]
_R = Receipt.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def roster_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 residents: single tubes enough for a staged batch."""
    from poolab.roster.file import write_roster_csv
    from poolab.roster.synthetic import generate_district

    path = tmp_path_factory.mktemp("staged") / "district.csv"
    write_roster_csv(generate_district(residents=3000, households=1800, compounds=3, seed=7), path)
    return path


def _codes(store: Store, campaign: str) -> list[str]:
    with store.read() as conn:
        return list(
            conn.execute(
                select(_T.c.barcode)
                .join(_C, _C.c.id == _T.c.campaign_id)
                .where(_C.c.name == campaign)
                .order_by(_T.c.id)
            ).scalars()
        )


def _receipts(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(_R)).scalar_one())


def _scans(codes: list[str]) -> list[Scan]:
    return [Scan(i, c) for i, c in enumerate(codes, start=1)]


def test_big_batch_judges_every_scan(store: Store, roster_csv: Path) -> None:
    """One batch of 2,900 scans: good tubes, tubes received by an earlier stream, tubes
    of another campaign, a well-formed unknown barcode, a wrong check character and a
    scan repeated in the batch. Each refusal carries its line; only the good ones are
    received."""
    import_roster(store, roster_csv, operator="t")
    create_campaign(store, "a", operator="t", pool_size=1)
    create_campaign(store, "b", operator="t", pool_size=5)
    a, b = _codes(store, "a"), _codes(store, "b")
    early = receive(store, "a", _scans(a[:100]), source="early", operator="王芳")
    assert early.accepted == 100 and not early.problems
    unknown = issue_barcodes("P", 900_000_000, 1)[0][0]
    wrong = a[500][:-1] + ("X" if a[500][-1] != "X" else "Y")
    batch = a[:2700] + b[:50] + [unknown, wrong, a[200]]
    assert len(batch) >= STAGE_FROM
    staged: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "poolab_scan_stage" in statement:
            staged.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    report = receive(store, "a", _scans(batch), source="big", operator="李雷", flush_every=10_000)
    event.remove(store.engine, "before_cursor_execute", seen)
    assert bool(staged) == (store.engine.dialect.name == "postgresql")  # the path this test is about
    good = 2700 - 100  # less the early ones
    assert report.accepted == good
    assert _receipts(store) == 100 + good
    by_line = {p.line: p for p in report.problems}
    assert len(by_line) == len(report.problems) == 100 + 50 + 3
    for line in range(1, 101):
        assert "already received at" in by_line[line].message and "王芳" in by_line[line].message
    for line in range(2701, 2751):
        assert "another campaign" in by_line[line].message
    assert "unknown barcode" in by_line[2751].message and by_line[2751].value == unknown
    assert "check character" in by_line[2752].message
    assert "first at line 201" in by_line[2753].message
    # the same tubes again, and 300 new ones: each old one refused as received by the big stream
    again = receive(store, "a", _scans(a[100:3000]), source="again", operator="韩梅梅", flush_every=10_000)
    assert again.accepted == 300
    assert [p.line for p in again.problems] == list(range(1, 2601))
    assert all("already received at" in p.message and "李雷" in p.message for p in again.problems)
    assert _receipts(store) == 3000
    # the staged INSERT ... SELECT adds to the running counts like any other insert
    from tests.test_tube_tally import recomputed_state, recounted, tallied

    with store.read() as conn:
        assert recounted(conn) == tallied(conn)
        assert 3000 == sum(1 for row in recomputed_state(conn) if row[5] == 2)  # received


def test_staging_is_used_on_postgresql_only(store: Store) -> None:
    """The staged path is PostgreSQL's (psycopg 3); SQLite keeps its IN lists."""
    with store.read() as conn:
        assert can_stage(conn) == (conn.dialect.name == "postgresql")


def test_batches_written_while_the_next_is_read(store: Store, roster_csv: Path) -> None:
    """A file of several big batches (each written on PostgreSQL while the next one is
    read): every good scan is received once and every refusal keeps its line, whichever
    batch it was in."""
    import_roster(store, roster_csv, operator="t")
    create_campaign(store, "a", operator="t", pool_size=1)
    a = _codes(store, "a")
    unknown, _ = issue_barcodes("P", 900_000_000, 2500)
    # good tubes and unknown barcodes interleaved, and a scan repeated in a later batch
    scans = [c for pair in zip(a[:2500], unknown, strict=True) for c in pair] + a[:10] + a[2500:2600]
    report = receive(store, "a", _scans(scans), source="big", operator="李雷", flush_every=STAGE_FROM)
    assert report.accepted == 2600 and report.fault is None
    assert _receipts(store) == 2600
    by_line = {p.line: p for p in report.problems}
    assert len(by_line) == len(report.problems) == 2500 + 10
    for i in range(2500):
        assert "unknown barcode" in by_line[2 * i + 2].message and by_line[2 * i + 2].value == unknown[i]
    for k in range(10):
        assert f"first at line {2 * k + 1})" in by_line[5001 + k].message


def _poison(store: Store, tube_id: int) -> None:
    """A trigger that fails the insert of ``tube_id``'s receipt as a full disk would."""
    with store.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.tube_id = {tube_id} THEN "
                "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON receipt FOR EACH ROW EXECUTE FUNCTION poison()"
            )
        else:
            conn.exec_driver_sql(
                f"CREATE TRIGGER poison BEFORE INSERT ON receipt WHEN NEW.tube_id = {tube_id} "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )


@pytest.mark.parametrize(("poisoned", "unsaved_from"), [(10, 1), (STAGE_FROM + 10, STAGE_FROM + 1)])
def test_a_failed_batch_undoes_the_batch_written_beside_it(
    store: Store, roster_csv: Path, poisoned: int, unsaved_from: int
) -> None:
    """Big batches are written two at a time on PostgreSQL, yet commit in file order:
    when one fails, the batch written beside it is undone too, whichever finished first,
    and the fault names the failed batch's first line. What is stored is the file up to
    that line (its counts too), so scanning again from it loses nothing."""
    import_roster(store, roster_csv, operator="t")
    create_campaign(store, "a", operator="t", pool_size=1)
    a = _codes(store, "a")
    assert len(a) == 3000
    with store.read() as conn:
        tube_id = conn.execute(select(_T.c.id).where(_T.c.barcode == a[poisoned - 1])).scalar_one()
        side_by_side = can_stage(conn)
    _poison(store, tube_id)
    # batches of STAGE_FROM, then 1,000 (the first of batches written side by side is half)
    flush_every = 2 * STAGE_FROM if side_by_side else STAGE_FROM
    report = receive(store, "a", _scans(a), source="f", operator="t", flush_every=flush_every)
    assert report.fault is not None
    assert report.unsaved_from == unsaved_from
    assert report.accepted == unsaved_from - 1
    assert _receipts(store) == unsaved_from - 1
    with store.read() as conn:
        stored = set(conn.execute(select(_T.c.barcode).join(_R, _R.c.tube_id == _T.c.id)).scalars())
    assert stored == set(a[: unsaved_from - 1])
    from tests.test_tube_tally import recounted, tallied

    with store.read() as conn:
        assert recounted(conn) == tallied(conn)


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgresql"])  # staging is PostgreSQL's
def test_batches_side_by_side_take_the_gate_in_file_order(
    backend: str, roster_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches written side by side (PostgreSQL) take the counts' gate in the order the
    file gave them, however late the first is: one taking it ahead of the batch before
    could deadlock with another station's write where the server cannot see it (see
    ``poolab.lab.reception._GateTurn``). The first batch here is held up before its gate."""
    import time

    import poolab.lab.reception as reception
    from poolab.store.engine import init_store

    monkeypatch.setattr(reception, "STAGE_FROM", 500)  # batches of 500, then 1,000
    real = reception.stage_barcodes
    gated: list[str] = []

    def slow_first(conn: object, barcodes: list[str]) -> None:
        if not gated and barcodes[0] == a[0]:
            time.sleep(0.5)  # the first batch is late to its gate
        real(conn, barcodes)  # type: ignore[arg-type]
        gated.append(barcodes[0])

    monkeypatch.setattr(reception, "stage_barcodes", slow_first)
    with empty_store_url(backend, tmp_path) as url:
        store, _ = init_store(url)
        try:
            import_roster(store, roster_csv, operator="t")
            create_campaign(store, "a", operator="t", pool_size=1)
            a = _codes(store, "a")
            report = receive(store, "a", _scans(a), source="f", operator="t", flush_every=1000)
            assert report.accepted == 3000 and report.fault is None
        finally:
            store.dispose()
    assert gated == [a[0], a[500], a[1500], a[2500]]
