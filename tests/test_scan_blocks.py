"""A file's lines as one block (``ScanBlock``): ``run_stream`` hands them to a block taker
a slice at a time, and everything a line-by-line stream does (which lines are taken,
where batches end, which line a store fault names, which scans reception refuses and
why) comes out the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from poolab.errors import Problem, StoreFault
from poolab.field.scans import Scan, ScanBlock, StreamItem, StreamOutcome, run_stream, scan_lines
from poolab.store.engine import Store

# lines a scan file holds: codes, blank and whitespace-only lines, a zero-width space,
# lower case, full width, surrounding spaces, and repeats (the small alphabet makes them)
_TEXTS = st.sampled_from(
    ["P1", "P2", "P3", "p2", "Ｐ３", " P4 ", "", "   ", "\t", "\u200b", "P5\u200b", "P6", "P7", "P8"]
)


class _Recorder:
    """A taker that keeps every line it is given and the lines of each batch flushed,
    failing the flush of the batch that holds ``fail_at``."""

    def __init__(self, fail_at: int | None) -> None:
        self.taken: list[tuple[int, str]] = []
        self.pending: list[int] = []
        self.batches: list[list[int]] = []
        self.fail_at = fail_at

    def take(self, scan: Scan) -> None:
        self.taken.append((scan.line, scan.text))
        self.pending.append(scan.line)

    def take_block(self, first: int, texts: list[str]) -> None:
        assert texts and all(t.strip() for t in texts), "a slice holds no blank line"
        lines = range(first, first + len(texts))
        self.taken += zip(lines, texts, strict=True)
        self.pending += lines

    def flush(self) -> None:
        if self.fail_at in self.pending:
            raise StoreFault("disk full")
        self.batches.append(self.pending)
        self.pending = []

    def run(self, items: list[StreamItem], *, blocks: bool, max_pending: int) -> StreamOutcome:
        refused: list[Problem] = []
        return run_stream(
            items,
            take=self.take,
            take_block=self.take_block if blocks else None,
            refuse=refused.append,
            flush=self.flush,
            pending=lambda: len(self.pending),
            source="scans.txt",
            max_pending=max_pending,
            commit_seconds=1e9,  # batches end by count alone: both runs alike
        )


@settings(max_examples=400)  # cheap: no store
@given(
    texts=st.lists(_TEXTS, min_size=1, max_size=40),
    max_pending=st.integers(1, 9),
    fail_at=st.none() | st.integers(1, 40),
    blocks=st.booleans(),
)
# a slice with a blank line leaves its batch part full: the next slice only fills it
@example(texts=["", "P1", "P2", "P3"], max_pending=2, fail_at=None, blocks=True)
def test_a_block_is_taken_as_its_lines_would_be(
    texts: list[str], max_pending: int, fail_at: int | None, blocks: bool
) -> None:
    """The same lines, batches and fault line whether the block goes to the block taker
    (``blocks``) or line by line to a taker of single scans, as the lines' Scans do."""
    one_by_one = _Recorder(fail_at)
    expected = one_by_one.run([Scan(i, t) for i, t in enumerate(texts, start=1)], blocks=False, max_pending=max_pending)
    as_block = _Recorder(fail_at)
    outcome = as_block.run([ScanBlock(1, texts)], blocks=blocks, max_pending=max_pending)
    assert outcome == expected
    assert as_block.taken == one_by_one.taken
    assert as_block.batches == one_by_one.batches


def test_a_usual_file_is_read_as_one_block(tmp_path: Path) -> None:
    """UTF-8 text with LF, CRLF or a lone CR: one block of its lines, numbered from 1, a
    blank line kept in its place (the stream skips it) and no empty line after the last."""
    path = tmp_path / "scans.txt"
    path.write_bytes(b"\xef\xbb\xbfP1\r\nP2\rP3\n\nP5\n")
    assert list(scan_lines(path)) == [ScanBlock(1, ["P1", "P2", "P3", "", "P5"])]


@pytest.mark.store
@pytest.mark.parametrize("flush_every", [2, 3, 5_000])
def test_reception_of_a_file_refuses_as_line_by_line(
    store: Store, small_roster_csv: Path, tmp_path: Path, flush_every: int
) -> None:
    """A file with a repeat inside a slice and across slices, a code in lower case and in
    full width, blank lines, a code of no tube and a misread one: each refusal keeps its
    line and its reason, whatever the slices, and the good tubes are received once."""
    from poolab.barcodes import issue_barcodes
    from poolab.field.campaigns import create_campaign
    from poolab.lab.reception import receive
    from poolab.roster.importing import import_roster
    from tests.test_reception_staged import _codes

    import_roster(store, small_roster_csv, operator="t")
    create_campaign(store, "a", operator="t", pool_size=1)
    a = _codes(store, "a")
    wide = a[3].translate({ord(c): ord(c) + 0xFEE0 for c in a[3]})  # full-width forms
    unknown = issue_barcodes("P", 900_000_000, 1)[0][0]
    misread = a[5][:-1] + ("X" if a[5][-1] != "X" else "Y")
    lines = [a[0], a[1], a[0], "", a[2].lower(), "  ", wide, a[4], a[1], unknown, misread, a[6], a[3]]
    path = tmp_path / "scans.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(scan_lines(path))
    assert len(items) == 1 and isinstance(items[0], ScanBlock)  # the path this test is about
    report = receive(store, "a", items, source="scans.txt", operator="t", flush_every=flush_every)
    assert report.accepted == 6  # a[0], a[1], a[2], a[3] (full width), a[4], a[6]
    by_line = {p.line: p.message for p in report.problems}
    assert sorted(by_line) == [3, 9, 10, 11, 13]
    assert "first at line 1)" in by_line[3]
    assert "first at line 2)" in by_line[9]
    assert "first at line 7)" in by_line[13]
    assert "unknown barcode" in by_line[10]
    assert "check character" in by_line[11]
