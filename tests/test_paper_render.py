"""The renderers without a store: files appear whole or not at all; codes that cannot print are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from poolab.errors import PoolabError
from poolab.paper.labels import Label, render_labels
from poolab.paper.stocks import STOCKS, stock_by_name
from tests.paper_scan import decode, render


def test_a_failed_render_leaves_the_old_file(tmp_path: Path) -> None:
    """A render that fails half-way leaves the target as it was and no temporary file."""
    target = tmp_path / "labels.pdf"
    target.write_bytes(b"the sheet printed yesterday")

    def labels() -> Iterator[Label]:
        for i in range(100):
            if i == 60:
                raise RuntimeError("store went away")
            yield Label(f"P{i:09d}K", ("a",))

    with pytest.raises(RuntimeError):
        render_labels(labels(), target, STOCKS["a4-3x8"], title="t")
    assert b"the sheet printed yesterday" == target.read_bytes()
    assert [target] == list(tmp_path.iterdir())


def test_generic_labels_scan_back(tmp_path: Path) -> None:
    """Any (code, lines) sequence renders: plate-style codes and pre-printed tube codes decode as given."""
    codes = ["L000000001K", "TUBE-0001", "ABC-123.45_X", "S000000061F"]
    summary = render_labels(
        [Label(c, ("板 Plate", "line two")) for c in codes], tmp_path / "l.pdf", STOCKS["a4-3x8"], title="t"
    )
    assert (1, 4) == (summary.pages, summary.items)
    assert [codes] == [sorted(found, key=codes.index) for found in decode(render(tmp_path / "l.pdf", tmp_path / "p"))]


def test_codes_that_cannot_print_are_refused(tmp_path: Path) -> None:
    """A code too long for the stock, or not ASCII, is one clear error, and no file is written."""
    with pytest.raises(PoolabError, match="too long"):
        render_labels([Label("X" * 40)], tmp_path / "l.pdf", STOCKS["a4-5x13"], title="t")
    with pytest.raises(PoolabError, match="ASCII"):
        render_labels([Label("管001")], tmp_path / "l.pdf", STOCKS["a4-3x8"], title="t")
    assert [] == list(tmp_path.iterdir())


def test_unknown_layout() -> None:
    """An unknown layout names the ones there are."""
    with pytest.raises(PoolabError, match="a4-3x8"):
        stock_by_name("letter")
