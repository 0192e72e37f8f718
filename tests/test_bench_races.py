"""Two stations at the bench at the same moment, as real processes released together
(tests/stations.py), on SQLite and, with POOLAB_TEST_DATABASE_URL, PostgreSQL: no tube on
two plates, no result doubled."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from poolab.store.engine import open_store
from poolab.store.tables import PlateRun, PlateWell, Result
from tests.bench import export_wells, plate_maps, received_campaign, write_export
from tests.stations import stations
from tests.test_races import ROUNDS
from tests.workflow import read_csv, run

_RES = Result.__table__  # type: ignore[attr-defined]
pytestmark = [pytest.mark.store, pytest.mark.slow]


def _count(url: str, stmt: object) -> int:
    store = open_store(url)
    try:
        with store.read() as conn:
            return int(conn.execute(stmt).scalar() or 0)  # type: ignore[call-overload]
    finally:
        store.dispose()


def _cli(url: str, operator: str, *args: str) -> list[str]:
    return ["--db", url, "--operator", operator, *args]


def test_two_stations_making_plates_put_each_tube_on_one_plate(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """Both run plate new at once: every received tube is on exactly one plate, one station
    made them and the other was told there was nothing left to plate."""
    tubes = received_campaign(store_url, small_roster_csv, tmp_path)
    with stations(2, str(tmp_path)) as pair:
        outs = pair.race(
            [
                (_cli(store_url, f"bench-{i}", "plate", "new", "day1", "-o", str(tmp_path / f"p{i}.csv")), None)
                for i in range(2)
            ]
        )
    assert all("Traceback" not in o.output for o in outs), [o.output for o in outs]
    assert [0, 1] == sorted(o.exit_code for o in outs), [o.output for o in outs]
    loser = next(o for o in outs if o.exit_code)
    assert "no received tubes waiting for a plate" in loser.output
    winner = next(i for i, o in enumerate(outs) if o.exit_code == 0)
    mapped = [r["tube_barcode"] for r in read_csv(tmp_path / f"p{winner}.csv") if r["tube_barcode"]]
    assert sorted(tubes) == sorted(mapped)
    placed = _count(store_url, select(func.count()).select_from(PlateWell).where(PlateWell.tube_id.is_not(None)))  # type: ignore[union-attr]
    assert len(tubes) == placed


def _plated(url: str, name: str, tmp: Path) -> tuple[list[str], str, list[dict[str, str]]]:
    """A new campaign on the store's roster, every tube received and on one plate."""
    assert 0 == run(url, "campaign", "new", name).exit_code
    assert 0 == run(url, "manifest", name, "-o", str(tmp / f"{name}-m.csv")).exit_code
    tubes = list(dict.fromkeys(r["tube_barcode"] for r in read_csv(tmp / f"{name}-m.csv")))
    assert 0 == run(url, "receive", name, input="".join(t + "\n" for t in tubes)).exit_code
    assert 0 == run(url, "plate", "new", name, "-o", str(tmp / f"{name}-p.csv")).exit_code
    ((code, rows),) = plate_maps(tmp / f"{name}-p.csv").items()
    return tubes, code, rows


def test_two_stations_importing_exports_of_one_plate(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """Two stations import at once: the same export (one records it, the other finds it
    imported), and, each round on a fresh plate, two exports of one plate that differ in
    a tube (one wins; the other is refused as a different result, never recorded beside it)."""
    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(small_roster_csv)).exit_code
    negative = {"ORF1ab": None, "N": None, "IC": 26.5}
    hot = {"ORF1ab": 20.5, "N": 21.0, "IC": 26.0}
    with stations(2, str(tmp_path)) as pair:
        _tubes, code, rows = _plated(store_url, "same", tmp_path)
        same = write_export(tmp_path / "same.txt", code, export_wells(rows))
        outs = pair.race(
            [(_cli(store_url, f"bench-{i}", "results", "import", "same", str(same)), None) for i in range(2)]
        )
        assert [0, 0] == [o.exit_code for o in outs], [o.output for o in outs]
        assert 1 == sum("already imported" in o.output for o in outs), [o.output for o in outs]
        for round_ in range(ROUNDS):
            name = f"r{round_}"
            tubes, code, rows = _plated(store_url, name, tmp_path)
            files = []
            for i in range(2):
                cts = {t: (hot if t == tubes[i] else negative) for t in tubes}
                files.append(write_export(tmp_path / f"{name}-{i}.txt", code, export_wells(rows, cts.__getitem__)))
            outs = pair.race(
                [(_cli(store_url, f"bench-{i}", "results", "import", name, str(f)), None) for i, f in enumerate(files)]
            )
            assert all("Traceback" not in o.output for o in outs), [o.output for o in outs]
            assert Counter([0, 1]) == Counter(o.exit_code for o in outs), [o.output for o in outs]
            assert "two different results for one tube" in next(o for o in outs if o.exit_code).output
    # one current result per tube: no tube's chain forked, nothing recorded twice
    per_tube = _count(store_url, select(func.count(func.distinct(Result.tube_id))))
    heads = _count(
        store_url,
        select(func.count())
        .select_from(Result)
        .where(~_RES.c.id.in_(select(_RES.c.supersedes_id).where(_RES.c.supersedes_id.is_not(None)))),
    )
    rows_stored = _count(store_url, select(func.count()).select_from(Result))
    assert per_tube == heads == rows_stored
    assert 1 + ROUNDS == _count(store_url, select(func.count()).select_from(PlateRun))
