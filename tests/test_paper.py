"""Labels and the PDF manifest scan back: every barcode, rendered at 300 dpi, decodes to
exactly its code, each once; the text layer has masked names and the page headers."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from poolab.paper.manifest_pdf import BARCODE_COLUMN, MARGIN_X
from poolab.paper.stocks import STOCKS
from tests.paper_scan import column_barcodes, decode, embedded_fonts, label_cells, pdf_text, render
from tests.workflow import read_csv, run, write_results

pytestmark = pytest.mark.store


def _campaign(url: str, roster: Path, tmp: Path, *options: str) -> list[dict[str, str]]:
    """A store with the roster and campaign day1; its CSV manifest rows."""
    assert 0 == run(url, "init").exit_code
    assert 0 == run(url, "roster", "import", str(roster)).exit_code
    r = run(url, "campaign", "new", "day1", *options)
    assert 0 == r.exit_code, r.output
    assert 0 == run(url, "manifest", "day1", "-o", str(tmp / "m.csv"), "--unmasked").exit_code
    return read_csv(tmp / "m.csv")


def _tube_codes(rows: list[dict[str, str]]) -> list[str]:
    return list(dict.fromkeys(r["tube_barcode"] for r in rows))  # walk order


@pytest.mark.parametrize("layout", list(STOCKS))
def test_tube_labels_scan_back(store_url: str, small_roster_csv: Path, tmp_path: Path, layout: str) -> None:
    """Each label of each stock decodes to its own tube's code, in walk order, each tube once."""
    rows = _campaign(store_url, small_roster_csv, tmp_path)
    codes = _tube_codes(rows)
    pdf = tmp_path / "labels.pdf"
    r = run(store_url, "labels", "day1", "--layout", layout, "-o", str(pdf))
    assert 0 == r.exit_code, r.output
    assert f"{len(codes)} labels" in r.output
    pages = render(pdf, tmp_path / "pages")
    assert set(codes) == {c for found in decode(pages) for c in found}  # nothing else anywhere on the pages
    per_label = decode(label_cells(pages, STOCKS[layout], tmp_path / "cells"))
    assert [[c] for c in codes] == per_label[: len(codes)]  # one code per label, walk order
    assert all(not found for found in per_label[len(codes) :])  # the rest of the last sheet is blank
    text = "".join(pdf_text(pdf))
    first = rows[0]
    assert f"{first['compound']} · {first['building']}号楼" in text  # compound and building, CJK text layer
    assert Counter(codes) == Counter(c for c in re.findall(r"P\d{9}[0-9A-Z]", text))  # code under each barcode


def test_manifest_pdf_scans_back_and_masks_names(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """The team's sheet: every tube's barcode decodes, each once; names masked; headers on every page."""
    rows = _campaign(store_url, small_roster_csv, tmp_path)
    codes = _tube_codes(rows)
    pdf = tmp_path / "manifest.pdf"
    r = run(store_url, "manifest", "day1", "-o", str(pdf))
    assert 0 == r.exit_code, r.output
    assert f"{len(codes)} tubes, {len(rows)} residents" in r.output
    pages = render(pdf, tmp_path / "pages")
    assert set(codes) == {c for found in decode(pages) for c in found}
    one_by_one = decode(column_barcodes(pages, MARGIN_X, BARCODE_COLUMN, tmp_path / "bars"))
    assert Counter(codes) == Counter(c for found in one_by_one for c in found)
    texts = pdf_text(pdf)
    assert len(pages) == len(texts)
    whole = "".join(texts)
    from poolab.masking import mask_name

    for row in rows:
        assert mask_name(row["name"]) in whole
        assert row["resident_id"] in whole
    full_names = [row["name"] for row in rows if len(row["name"]) >= 2]
    assert [] == [n for n in full_names if n in whole]  # masked: no full name anywhere
    compounds = {row["compound"] for row in rows}
    for i, text in enumerate(texts, start=1):
        assert "campaign day1" in text
        assert f"sheet {i} of {len(texts)}" in text
        assert re.search(r"page (\d+) of (\d+)", text)
        assert any(f"{c} · " in text for c in compounds)
        assert "names masked" in text
    assert re.search(r"\d{4}-\d\d-\d\d", texts[0])  # the campaign's date


def test_manifest_pdf_unmasked(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """--unmasked prints names in full and says so on every page."""
    rows = _campaign(store_url, small_roster_csv, tmp_path)
    pdf = tmp_path / "manifest.pdf"
    assert 0 == run(store_url, "manifest", "day1", "--unmasked", "-o", str(pdf)).exit_code
    texts = pdf_text(pdf)
    whole = "".join(texts)
    assert all(row["name"] in whole for row in rows)
    assert all("NAMES IN FULL" in t for t in texts)


def test_manifest_pdf_embeds_the_cjk_font(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """The CJK font is embedded (a subset), so Chinese names print on any printer."""
    _campaign(store_url, small_roster_csv, tmp_path)
    pdf = tmp_path / "manifest.pdf"
    assert 0 == run(store_url, "manifest", "day1", "-o", str(pdf)).exit_code
    assert any("WenQuanYi" in line for line in embedded_fonts(pdf)), embedded_fonts(pdf)


def test_retest_labels(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """Retest labels need the tubes `poolab retest` issued; then each decodes, with masked name and room."""
    rows = _campaign(store_url, small_roster_csv, tmp_path)
    codes = _tube_codes(rows)
    pdf = tmp_path / "retest.pdf"
    r = run(store_url, "labels", "day1", "--what", "retest", "-o", str(pdf))
    assert 1 == r.exit_code
    assert "no retest tubes" in r.output and 1 == len(r.output.strip().splitlines())
    (tmp_path / "scans.txt").write_text("\n".join(codes) + "\n", encoding="utf-8")
    assert 0 == run(store_url, "receive", "day1", str(tmp_path / "scans.txt")).exit_code
    results = [(c, "negative", "", "") for c in codes]
    results[2] = (codes[2], "positive", "30.1", "31.0")
    results[5] = (codes[5], "inconclusive", "37.5", "")
    write_results(tmp_path / "res.csv", results)
    assert 0 == run(store_url, "results", "import", "day1", str(tmp_path / "res.csv")).exit_code
    r = run(store_url, "labels", "day1", "--what", "retest", "-o", str(pdf))
    assert 1 == r.exit_code
    assert "have no tube yet" in r.output and "poolab retest day1" in r.output
    assert not pdf.exists()
    assert 0 == run(store_url, "retest", "day1", "-o", str(tmp_path / "retest.csv")).exit_code
    retest = read_csv(tmp_path / "retest.csv")
    r = run(store_url, "labels", "day1", "--what", "retest", "-o", str(pdf))
    assert 0 == r.exit_code, r.output
    pages = render(pdf, tmp_path / "pages")
    per_label = decode(label_cells(pages, STOCKS["a4-3x8"], tmp_path / "cells"))
    assert [[x["retest_tube_barcode"]] for x in retest] == per_label[: len(retest)]  # walk order, as the CSV
    text = "".join(pdf_text(pdf))
    for x in retest:
        assert x["name"] in text  # the CSV is masked by default, as the labels are
        assert x["room"] in text
        assert f"retest of {x['pool_tube_barcode']}" in text


def test_plates_are_refused_in_one_line(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """No plates exist yet: --what plates says so in one line and writes nothing."""
    _campaign(store_url, small_roster_csv, tmp_path)
    r = run(store_url, "labels", "day1", "--what", "plates", "-o", str(tmp_path / "plates.pdf"))
    assert 1 == r.exit_code
    expected = "Error: campaign 'day1' has no plates yet: make them with poolab plate new day1 -o FILE"
    assert [expected] == r.output.splitlines()
    assert not (tmp_path / "plates.pdf").exists()


def test_without_the_print_extra(
    store_url: str, small_roster_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without reportlab both commands fail with one line naming the extra; the CSV manifest still works."""
    _campaign(store_url, small_roster_csv, tmp_path)
    monkeypatch.setitem(sys.modules, "reportlab", None)  # import reportlab now raises ImportError
    for args in (["labels", "day1"], ["manifest", "day1"]):
        r = run(store_url, *args, "-o", str(tmp_path / "x.pdf"))
        assert 1 == r.exit_code
        assert ["Error: printing PDFs needs the print extra: pip install 'poolab[print]'"] == r.output.splitlines()
    assert not (tmp_path / "x.pdf").exists()
    assert 0 == run(store_url, "manifest", "day1", "-o", str(tmp_path / "x.csv")).exit_code


def test_field_binding_manifest_pdf(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """A field-binding sheet lists everyone; bound tubes get their barcode, the rest a box for the tube."""
    rows = _campaign(store_url, small_roster_csv, tmp_path, "--field-binding")
    pdf = tmp_path / "field.pdf"
    assert 0 == run(store_url, "manifest", "day1", "-o", str(pdf)).exit_code
    assert [] == [c for found in decode(render(pdf, tmp_path / "p0")) for c in found]  # no tube bound yet
    assert "no tube yet" in "".join(pdf_text(pdf))
    scans = ["TUBE-0001", rows[0]["resident_id"], rows[1]["resident_id"]]
    (tmp_path / "scans.txt").write_text("\n".join(scans) + "\n", encoding="utf-8")
    assert 0 == run(store_url, "collect", "day1", str(tmp_path / "scans.txt")).exit_code
    r = run(store_url, "manifest", "day1", "-o", str(pdf))
    assert 0 == r.exit_code, r.output
    assert f"{len(rows)} residents" in r.output
    assert [["TUBE-0001"]] == [found for found in decode(render(pdf, tmp_path / "p1")) if found]


def test_pdf_output_errors(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """A PDF to stdout or into a missing folder is one line of error."""
    _campaign(store_url, small_roster_csv, tmp_path)
    r = run(store_url, "labels", "day1", "-o", "-")
    assert 1 == r.exit_code and "not '-'" in r.output and 1 == len(r.output.splitlines())
    r = run(store_url, "manifest", "day1", "-o", str(tmp_path / "nowhere" / "m.pdf"))
    assert 1 == r.exit_code and "does not exist" in r.output and 1 == len(r.output.splitlines())
    r = run(store_url, "labels", "nosuch", "-o", str(tmp_path / "l.pdf"))
    assert 1 == r.exit_code and "no campaign 'nosuch'" in r.output


def test_demo_paper(tmp_path: Path) -> None:
    """`poolab demo --paper` also writes the labels, the team's sheet and the retest labels, all scanning back."""
    folder = tmp_path / "demo"
    args = ["demo", "--residents", "800", "--households", "500", "--compounds", "3", "--infected", "6", "--seed", "3"]
    r = run(f"sqlite:///{tmp_path / 'unused.db'}", *args, "--paper", "--folder", str(folder))
    assert 0 == r.exit_code, r.output
    assert "manifest PDF + labels" in r.output and "retest labels" in r.output
    codes = set(_tube_codes(read_csv(folder / "manifest.csv")))
    for name in ("labels.pdf", "manifest.pdf"):
        assert codes == {c for found in decode(render(folder / name, tmp_path / name)) for c in found}, name
    retest = {x["retest_tube_barcode"] for x in read_csv(folder / "retest.csv")}
    assert retest == {c for found in decode(render(folder / "retest-labels.pdf", tmp_path / "r")) for c in found}


def test_labels_and_manifest_pdf_report_their_progress(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """The labels and the PDF manifest tell a progress meter how far they are: counts that
    only grow, ending at every label or page, 100%."""
    from poolab.paper.jobs import write_labels, write_manifest_pdf
    from poolab.store.engine import open_store

    codes = _tube_codes(_campaign(store_url, small_roster_csv, tmp_path))
    heard: dict[str, list[tuple[float, int]]] = {}

    def progress(step: str, fraction: float, done: int) -> None:
        heard.setdefault(step, []).append((fraction, done))

    store = open_store(store_url)
    try:
        labels = write_labels(store, "day1", tmp_path / "l.pdf", layout="roll-50x30", progress=progress)
        sheet = write_manifest_pdf(store, "day1", tmp_path / "m.pdf", progress=progress)
    finally:
        store.dispose()
    assert {"labels", "manifest PDF"} == set(heard)
    assert len(codes) == labels.items
    for step, last in (("labels", labels.items), ("manifest PDF", sheet.pages)):
        calls = heard[step]
        assert (1.0, last) == calls[-1]
        assert sorted(calls) == calls and len(calls) > 1
    assert [(i / sheet.pages, i) for i in range(1, sheet.pages + 1)] == heard["manifest PDF"][:-1]
