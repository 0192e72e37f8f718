"""The round trip at 1,000 tubes: tube labels on A4, every one decoded at 300 dpi."""

from __future__ import annotations

from pathlib import Path

import pytest

from poolab.paper.stocks import STOCKS
from tests.paper_scan import decode, label_cells, render
from tests.paper_thousand import thousand_tube_campaign
from tests.workflow import run

pytestmark = pytest.mark.slow


def test_thousand_tube_labels_scan_back(tmp_path: Path) -> None:
    """1,000+ tube labels: one code per label, in walk order, each tube exactly once, nothing else."""
    url, codes = thousand_tube_campaign(tmp_path)
    pdf = tmp_path / "labels.pdf"
    r = run(url, "labels", "day1", "-o", str(pdf))
    assert 0 == r.exit_code, r.output
    pages = render(pdf, tmp_path / "pages")
    assert set(codes) == {c for found in decode(pages) for c in found}
    per_label = decode(label_cells(pages, STOCKS["a4-3x8"], tmp_path / "cells"))
    assert [[c] for c in codes] == per_label[: len(codes)]
    assert all(not found for found in per_label[len(codes) :])
