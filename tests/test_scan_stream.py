"""``run_stream`` with batches written while the stream reads on (``settle``): every batch
is settled before the stream ends, and a store fault met by a batch written meanwhile
names that batch's first line, not the line the stream had read to."""

from __future__ import annotations

import pytest

from poolab.errors import Problem, StoreFault, StoreLost
from poolab.field.scans import Scan, StreamItem, StreamOutcome, run_stream


class Deferred:
    """A writer that stores a flushed batch only when settled (as a background write
    does), failing on the batch that holds ``fail_at`` with ``fault``."""

    def __init__(self, fail_at: int | None = None, fault: StoreFault | None = None) -> None:
        self.pending: list[int] = []
        self.flushed: list[int] | None = None
        self.stored: list[int] = []
        self.fail_at = fail_at
        self.fault = fault or StoreFault("disk full")
        self.settles = 0

    def take(self, scan: Scan) -> None:
        self.pending.append(scan.line)

    def flush(self) -> None:
        assert self.flushed is None, "flushed again before the last batch was settled"
        self.flushed, self.pending = self.pending, []

    def settle(self) -> None:
        self.settles += 1
        batch, self.flushed = self.flushed, None
        if batch is None:
            return
        if self.fail_at in batch:
            raise self.fault
        self.stored += batch

    def run(self, items: list[StreamItem], *, max_pending: int) -> StreamOutcome:
        return _run(self, items, max_pending=max_pending)


def _run(
    writer: Deferred | Pipelined, items: list[StreamItem], *, max_pending: int, in_flight: int = 1
) -> StreamOutcome:
    """``run_stream`` of ``items`` into a writer that stores batches when settled."""
    refused: list[Problem] = []
    return run_stream(
        items,
        take=writer.take,
        refuse=refused.append,
        flush=writer.flush,
        settle=writer.settle,
        in_flight=in_flight,
        pending=lambda: len(writer.pending),
        source="scans.txt",
        max_pending=max_pending,
    )


def _scans(n: int) -> list[StreamItem]:
    return [Scan(i, f"P{i:010d}") for i in range(1, n + 1)]


def test_every_batch_is_settled_before_the_stream_ends() -> None:
    w = Deferred()
    outcome = w.run(_scans(10), max_pending=4)
    assert outcome == StreamOutcome(None, None, False)
    assert w.stored == list(range(1, 11)) and w.flushed is None


@pytest.mark.parametrize(("fail_at", "unsaved_from", "stored"), [(6, 5, 4), (2, 1, 0), (10, 9, 8)])
def test_a_fault_met_meanwhile_names_its_batch_first_line(fail_at: int, unsaved_from: int, stored: int) -> None:
    """Batches of 4: the fault is met by the batch holding ``fail_at`` while the stream
    reads the next one (or, for the last batch, at the end); scanning again from that
    batch's first line loses nothing."""
    w = Deferred(fail_at=fail_at)
    outcome = w.run(_scans(10), max_pending=4)
    assert outcome.fault == "disk full"
    assert outcome.unsaved_from == unsaved_from
    assert w.stored == list(range(1, stored + 1))


def test_a_lost_store_met_meanwhile_loses_the_whole_stream() -> None:
    w = Deferred(fail_at=6, fault=StoreLost("the store was deleted"))
    outcome = w.run(_scans(10), max_pending=4)
    assert outcome.lost and outcome.unsaved_from == 1


def test_without_settle_a_fault_names_the_pending_batch() -> None:
    """The synchronous way (SQLite, small batches) as before: the batch being flushed."""
    stored: list[int] = []
    pending: list[int] = []

    def flush() -> None:
        if 6 in pending:
            raise StoreFault("disk full")
        stored.extend(pending)
        pending.clear()

    outcome = run_stream(
        _scans(10),
        take=lambda s: pending.append(s.line),
        refuse=lambda p: None,
        flush=flush,
        pending=lambda: len(pending),
        source="scans.txt",
        max_pending=4,
    )
    assert outcome.unsaved_from == 5 and stored == [1, 2, 3, 4]


class Pipelined:
    """A writer with up to ``in_flight`` batches writing at once that commit in the
    order they were flushed: a batch whose write meets ``fault`` undoes every batch
    flushed after it (each waits for the one before it to commit)."""

    def __init__(self, in_flight: int, fail_at: int | None = None) -> None:
        self.in_flight = in_flight
        self.pending: list[int] = []
        self.flushed: list[list[int]] = []
        self.stored: list[int] = []
        self.failed = False
        self.most_writing = 0
        self.fail_at = fail_at
        self.sizes: list[int] = []  # of each batch flushed

    def take(self, scan: Scan) -> None:
        self.pending.append(scan.line)

    def flush(self) -> None:
        self.sizes.append(len(self.pending))
        self.flushed.append(self.pending)
        self.pending = []
        self.most_writing = max(self.most_writing, len(self.flushed))
        assert len(self.flushed) <= self.in_flight, "more batches writing than allowed"

    def settle(self) -> None:
        batch = self.flushed.pop(0)
        if self.failed or self.fail_at in batch:
            self.failed = True  # this batch, or the one before it, failed: undone
            raise StoreFault("disk full")
        self.stored += batch

    def run(self, items: list[StreamItem], *, max_pending: int) -> StreamOutcome:
        return _run(self, items, max_pending=max_pending, in_flight=self.in_flight)


def test_two_batches_write_at_once_and_all_are_settled() -> None:
    w = Pipelined(in_flight=2)
    outcome = w.run(_scans(10), max_pending=3)
    assert outcome == StreamOutcome(None, None, False)
    assert w.stored == list(range(1, 11)) and not w.flushed
    assert w.most_writing == 2


def test_with_two_batches_writing_the_first_is_half_the_size() -> None:
    """The writers then work half a batch apart; one at a time, every batch is whole."""
    side_by_side, alone = Pipelined(in_flight=2), Pipelined(in_flight=1)
    for w in (side_by_side, alone):
        w.run(_scans(10), max_pending=4)
        assert w.stored == list(range(1, 11))
    assert side_by_side.sizes == [2, 4, 4]
    assert alone.sizes == [4, 4, 2]


@pytest.mark.parametrize(("fail_at", "unsaved_from"), [(1, 1), (2, 1), (5, 3), (8, 7), (10, 7)])
def test_a_fault_with_two_batches_writing_names_the_older_batch(fail_at: int, unsaved_from: int) -> None:
    """Batches of 2, 4 and 4, two writing at once: the fault names the first line of the
    batch that met it, and what is stored is exactly the file before that line (the
    batch written beside it was undone)."""
    w = Pipelined(in_flight=2, fail_at=fail_at)
    outcome = w.run(_scans(10), max_pending=4)
    assert outcome.fault == "disk full"
    assert outcome.unsaved_from == unsaved_from
    assert w.stored == list(range(1, unsaved_from))
