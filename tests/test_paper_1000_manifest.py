"""The round trip at 1,000 tubes: the sampling team's PDF manifest, every barcode decoded at 300 dpi."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from poolab.paper.manifest_pdf import BARCODE_COLUMN, MARGIN_X
from tests.paper_scan import column_barcodes, decode, pdf_text, render
from tests.paper_thousand import thousand_tube_campaign
from tests.workflow import run

pytestmark = pytest.mark.slow


def test_thousand_tube_manifest_scans_back(tmp_path: Path) -> None:
    """1,000+ tubes on the sheet: every barcode decodes, each tube exactly once; every page has its header."""
    url, codes = thousand_tube_campaign(tmp_path)
    pdf = tmp_path / "manifest.pdf"
    r = run(url, "manifest", "day1", "-o", str(pdf))
    assert 0 == r.exit_code, r.output
    pages = render(pdf, tmp_path / "pages")
    assert set(codes) == {c for found in decode(pages) for c in found}
    one_by_one = decode(column_barcodes(pages, MARGIN_X, BARCODE_COLUMN, tmp_path / "bars"))
    assert Counter(codes) == Counter(c for found in one_by_one for c in found)
    texts = pdf_text(pdf)
    assert len(pages) == len(texts)
    assert all(f"sheet {i} of {len(texts)}" in t and "campaign day1" in t for i, t in enumerate(texts, start=1))
