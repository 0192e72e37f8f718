"""The bench end to end through the CLI: plate, export, import, rerun and retest lists,
on both instrument formats and both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from poolab.lab.bench.history import tube_bench_history
from poolab.store.engine import open_store
from poolab.store.tables import Event, Result
from tests.bench import NEGATIVE, Cts, export_wells, plate_maps, received_campaign, write_export
from tests.workflow import read_csv, run

pytestmark = pytest.mark.store


@pytest.mark.parametrize("fmt", ["quantstudio", "cfx"])
def test_plate_export_import_retest_and_rerun(store_url: str, small_roster_csv: Path, tmp_path: Path, fmt: str) -> None:
    """Plates in reception order with controls; an export called by the kit; positives go
    to the retest list; a failed negative control sends the whole plate to the rerun
    list naming the control and its Ct; the re-run goes onto a later plate."""
    tubes = received_campaign(store_url, small_roster_csv, tmp_path)
    r = run(store_url, "plate", "new", "day1", "--size", "96", "-o", str(tmp_path / "plates.csv"))
    assert 0 == r.exit_code, r.output
    maps = plate_maps(tmp_path / "plates.csv")
    assert 1 == len(maps)
    ((code, rows),) = maps.items()
    assert tubes == [r["tube_barcode"] for r in rows if r["kind"] == "sample"]  # reception order, column by column
    assert ["A1", "B1", "C1"] == [r["well"] for r in rows[:3]]
    assert {"G12": "negative_control", "H12": "positive_control"} == {
        r["well"]: r["kind"] for r in rows if r["kind"].endswith("control")
    }
    assert 96 == len(rows)
    positive, single = tubes[3], tubes[7]
    cts: dict[str, Cts] = {
        positive: {"ORF1ab": 24.5, "N": 25.25, "IC": 28.0},
        single: {"ORF1ab": None, "N": 38.5, "IC": 28.0},
    }
    export = write_export(tmp_path / f"run.{fmt}", code, export_wells(rows, lambda t: cts.get(t, NEGATIVE)), fmt)
    args = ["results", "import", "day1", str(export)] + (["--plate", code] if fmt == "cfx" else [])
    r = run(store_url, *args)
    assert 0 == r.exit_code, r.output
    assert f"plate {code}" in r.output and "1 positive" in r.output and "1 inconclusive" in r.output
    assert "already imported" in run(store_url, *args).output  # the same export twice: a no-op
    assert "resulted" in run(store_url, "plate", "list", "day1").output
    status = json.loads(run(store_url, "status", "day1", "--json").output)
    assert {"positive": 1, "inconclusive": 1, "negative": len(tubes) - 2, "invalid": 0} == status["results"]
    # Ct values and the kit are kept: in the result rows and the import's event
    store = open_store(store_url)
    try:
        with store.read() as conn:
            row = conn.execute(select(Result.ct_orf1ab, Result.ct_n).where(Result.call == "positive")).one()  # type: ignore[call-overload]
            ev = Event.__table__  # type: ignore[attr-defined]
            detail = json.loads(conn.execute(select(ev.c.detail).where(ev.c.action == "results.import")).scalar_one())
        well = next(r["well"] for r in rows if r["tube_barcode"] == positive)
        assert (24.5, 25.25) == tuple(row)
        assert {"ORF1ab": 24.5, "N": 25.25, "IC": 28.0, "call": "positive"}.items() <= detail["wells"][well].items()
        assert detail["kit"].startswith("default") and code == detail["plate"]
    finally:
        store.dispose()
    retest = run(store_url, "retest", "day1", "-o", str(tmp_path / "retest.csv"))
    assert 0 == retest.exit_code, retest.output
    assert {positive, single} == {r["pool_tube_barcode"] for r in read_csv(tmp_path / "retest.csv")}


def test_failed_control_sends_the_plate_to_rerun_then_a_later_plate(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """A negative control with a Ct: every sample invalid, the rerun list names the
    control and its Ct; plate new puts them onto a second plate; its export resolves
    them; each tube's history holds both plates."""
    tubes = received_campaign(store_url, small_roster_csv, tmp_path)
    assert 0 == run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "p1.csv")).exit_code
    ((first, rows),) = plate_maps(tmp_path / "p1.csv").items()
    bad = export_wells(rows, negative={"ORF1ab": 36.25, "N": None, "IC": None})
    r = run(store_url, "results", "import", "day1", str(write_export(tmp_path / "run1.txt", first, bad)))
    assert 0 == r.exit_code, r.output
    assert "negative control G12 failed (ORF1ab 36.25, N Undetermined" in r.output
    assert "failed control" in run(store_url, "plate", "list", "day1").output
    assert 0 == run(store_url, "rerun", "day1", "-o", str(tmp_path / "rerun.csv")).exit_code
    rerun = read_csv(tmp_path / "rerun.csv")
    assert set(tubes) == {r["tube_barcode"] for r in rerun}
    assert all(
        r["reason"].startswith(f"plate {first} failed its controls: negative control G12 failed (ORF1ab 36.25")
        for r in rerun
    )
    r = run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "p2.csv"))
    assert 0 == r.exit_code and f"{len(tubes)} re-runs" in r.output, r.output
    ((second, rows2),) = plate_maps(tmp_path / "p2.csv").items()
    assert second != first
    r = run(
        store_url, "results", "import", "day1", str(write_export(tmp_path / "run2.txt", second, export_wells(rows2)))
    )
    assert 0 == r.exit_code, r.output
    status = json.loads(run(store_url, "status", "day1", "--json").output)
    assert len(tubes) == status["results"]["negative"]
    store = open_store(store_url)
    try:
        history = tube_bench_history(store, "day1", tubes[0])
    finally:
        store.dispose()
    assert [first, second] == [p.plate_barcode for p in history.placements]
    assert [1, 2] == [p.run for p in history.placements]
    assert [("invalid", "failed_control", first), ("negative", "resulted", second)] == [
        (h.call, h.status, h.plate_barcode) for h in history.results
    ]
    assert all(h.kit.startswith("default") for h in history.results)


def test_swapped_rack_is_refused_naming_well_and_both_barcodes(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """A sample name holding another tube's barcode refuses the whole file, naming the
    well and both barcodes; nothing is recorded."""
    received_campaign(store_url, small_roster_csv, tmp_path)
    assert 0 == run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "p.csv")).exit_code
    ((code, rows),) = plate_maps(tmp_path / "p.csv").items()
    wells = export_wells(rows)
    (w0, k0, s0, c0), (w1, k1, s1, c1) = wells[0], wells[1]
    wells[0], wells[1] = (w0, k0, s1, c0), (w1, k1, s0, c1)  # two tubes swapped in the rack
    r = run(store_url, "results", "import", "day1", str(write_export(tmp_path / "run.txt", code, wells)))
    assert 1 == r.exit_code
    assert f"well A1: the export's sample is {s1}, the plate map has {s0}" in r.output
    assert f"well B1: the export's sample is {s0}, the plate map has {s1}" in r.output
    assert 0 == json.loads(run(store_url, "status", "day1", "--json").output)["tubes"]["resulted"]


def test_a_different_export_for_a_resulted_plate_follows_the_amend_rule(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """A second, different export of a resulted plate is refused unless --amend --reason."""
    tubes = received_campaign(store_url, small_roster_csv, tmp_path)
    assert 0 == run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "p.csv")).exit_code
    ((code, rows),) = plate_maps(tmp_path / "p.csv").items()
    assert (
        0
        == run(
            store_url, "results", "import", "day1", str(write_export(tmp_path / "a.txt", code, export_wells(rows)))
        ).exit_code
    )
    hot = {"ORF1ab": 22.0, "N": 23.0, "IC": 27.0}
    changed = write_export(tmp_path / "b.txt", code, export_wells(rows, lambda t: hot if t == tubes[0] else NEGATIVE))
    r = run(store_url, "results", "import", "day1", str(changed))
    assert 1 == r.exit_code and "two different results for one tube" in r.output and tubes[0] in r.output
    r = run(store_url, "results", "import", "day1", str(changed), "--amend", "--reason", "re-analysed threshold")
    assert 0 == r.exit_code and "1 amended" in r.output, r.output


def test_plate_labels_scan_back(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """labels --what plates: one label per plate, oldest first, each decoding to exactly its code."""
    from poolab.paper.stocks import STOCKS
    from tests.paper_scan import decode, label_cells, pdf_text, render

    received_campaign(store_url, small_roster_csv, tmp_path)
    assert 0 == run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "p1.csv")).exit_code
    ((first, rows),) = plate_maps(tmp_path / "p1.csv").items()
    failed = export_wells(rows, positive={"ORF1ab": None, "N": None, "IC": None})
    assert (
        0 == run(store_url, "results", "import", "day1", str(write_export(tmp_path / "r.txt", first, failed))).exit_code
    )
    assert 0 == run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "p2.csv")).exit_code
    codes = [first, *plate_maps(tmp_path / "p2.csv")]
    pdf = tmp_path / "plates.pdf"
    r = run(store_url, "labels", "day1", "--what", "plates", "-o", str(pdf))
    assert 0 == r.exit_code and "2 labels" in r.output, r.output
    pages = render(pdf, tmp_path / "pages")
    per_label = decode(label_cells(pages, STOCKS["a4-3x8"], tmp_path / "cells"))
    assert [[c] for c in codes] == per_label[:2]
    assert all(not found for found in per_label[2:])
    assert "day1 · plate 1 of 2" in "".join(pdf_text(pdf))
