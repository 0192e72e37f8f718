"""`poolab log`: a scan stream as one row, who plated a tube, and why a tube on a failed
plate has no call."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection

from poolab.field.scans import Scan
from poolab.store.engine import open_store
from tests.bench import export_wells, plate_maps, received_campaign, write_export
from tests.workflow import read_csv, run

pytestmark = pytest.mark.store


def _rows(output: str, action: str) -> list[str]:
    return [line for line in output.splitlines() if line.split()[3:4] == [action]]


@pytest.fixture
def tubes(store_url: str, small_roster_csv: Path, tmp_path: Path) -> list[str]:
    """A campaign `c` with its tube barcodes in walk order; nothing scanned yet."""
    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(small_roster_csv)).exit_code
    assert 0 == run(store_url, "campaign", "new", "c").exit_code
    assert 0 == run(store_url, "manifest", "c", "-o", str(tmp_path / "m.csv")).exit_code
    return list(dict.fromkeys(r["tube_barcode"] for r in read_csv(tmp_path / "m.csv")))


def test_a_scan_stream_is_one_row_with_its_count(store_url: str, tubes: list[str]) -> None:
    """A stream stored a scan at a time is one row (its tubes summed, its batches counted);
    the next stream from the same station is a row of its own."""
    from poolab.field.sampling import collect
    from poolab.lab.reception import receive

    store = open_store(store_url)
    try:
        scans = [Scan(i, code) for i, code in enumerate(tubes[:6], start=1)]
        assert 6 == collect(store, "c", scans, source="-", operator="王芳", flush_every=1).accepted
        assert 4 == receive(store, "c", scans[:4], source="-", operator="李强", flush_every=1).accepted
        assert 2 == receive(store, "c", scans[4:], source="-", operator="李强", flush_every=1).accepted
    finally:
        store.dispose()
    out = run(store_url, "log", "c").output
    (collected,) = _rows(out, "collect")
    assert "scans=6" in collected and "batches=6" in collected and "王芳" in collected
    first, second = _rows(out, "receive")
    assert "tubes=4  batches=4" in first and "tubes=2  batches=2" in second
    assert 2 == len(_rows(run(store_url, "log", "c", "--limit", "2").output, "receive"))


def test_interleaved_streams_stay_apart(store_url: str, tubes: list[str]) -> None:
    """Two stations' streams whose batches interleave are one row each; batches of an older
    store (no stream id) that follow each other from one station are one row."""
    from poolab.store.campaigns import campaign_by_name
    from poolab.store.events import record_event

    store = open_store(store_url)
    try:

        def events(conn: Connection) -> None:
            cid = campaign_by_name(conn, name="c").id
            for station in ("a", "b", "a", "b", "a"):
                detail = {"source": "-", "tubes": 2, "stream": station}
                record_event(conn, operator="station", action="receive", campaign_id=cid, detail=detail)
            for _ in range(3):
                record_event(
                    conn, operator="old", action="receive", campaign_id=cid, detail={"source": "f.txt", "tubes": 5}
                )
            record_event(conn, operator="old", action="plate.new", campaign_id=cid, detail={"plates": 1})
            record_event(
                conn, operator="old", action="receive", campaign_id=cid, detail={"source": "f.txt", "tubes": 1}
            )

        store.write(events)
    finally:
        store.dispose()
    rows = _rows(run(store_url, "log", "c").output, "receive")
    shown = [[w for w in r.split() if w.startswith(("tubes=", "batches="))] for r in rows]
    assert [["tubes=6", "batches=3"], ["tubes=4", "batches=2"], ["tubes=15", "batches=3"], ["tubes=1"]] == shown


def test_tube_log_names_the_plater_and_the_failed_control(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """A tube's log says who put it on its plate, and for a plate whose control failed,
    why the tube has no call (the control and its Ct), not just "invalid"."""
    tubes = received_campaign(store_url, small_roster_csv, tmp_path)
    r = run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "p1.csv"), operator="王芳")
    assert 0 == r.exit_code, r.output
    ((plate, rows),) = plate_maps(tmp_path / "p1.csv").items()
    bad = export_wells(rows, negative={"ORF1ab": 36.25, "N": None, "IC": None})
    assert 0 == run(store_url, "results", "import", "day1", str(write_export(tmp_path / "r.txt", plate, bad))).exit_code
    out = run(store_url, "log", "day1", "--tube", tubes[0]).output
    (plated,) = _rows(out, "plated")
    assert "王芳" == plated.split()[2]
    (result,) = _rows(out, "result")
    assert "call=invalid" in result
    assert f"reason=plate {plate} failed its controls: negative control G12 failed (ORF1ab 36.25" in result
    assert ["created", "received", "plated", "result"] == [line.split()[3] for line in out.splitlines()]
