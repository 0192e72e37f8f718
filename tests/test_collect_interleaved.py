"""Field scans when another station writes between one station's scans and its commit.

A station keeps its scans in memory for up to about a second before it commits them;
another station can bind the same resident or use the same tube in that second. These
tests put the other station's whole run inside that window (a scan stream that runs
it before yielding its next line), so every lost-race branch is taken deterministically;
tests/test_races.py runs the same races with real concurrent processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from poolab.field.campaigns import create_campaign
from poolab.field.sampling import collect
from poolab.field.scans import Scan, ScanReport, StreamItem
from poolab.roster.importing import import_roster
from poolab.store.engine import Store


def _stream(lines: list[str], *, before: int, other: Callable[[], object]) -> Iterator[StreamItem]:
    """The lines as scans; ``other`` runs (to the end) just before line ``before``."""
    for number, text in enumerate(lines, start=1):
        if number == before:
            other()
        yield Scan(number, text)


def _collect(store: Store, campaign: str, stream: Iterator[StreamItem] | list[str], operator: str) -> ScanReport:
    items = stream if not isinstance(stream, list) else iter(Scan(i, t) for i, t in enumerate(stream, start=1))
    return collect(store, campaign, items, source=f"<{operator}>", operator=operator)


def _residents(small_roster_csv: Path, n: int) -> list[str]:
    rows = small_roster_csv.read_text(encoding="utf-8").splitlines()[1 : n + 1]
    return [r.split(",")[0] for r in rows]


def _field_campaign(store: Store, small_roster_csv: Path) -> list[str]:
    import_roster(store, small_roster_csv, operator="t")
    create_campaign(store, "f", operator="t", field_binding=True, pool_size=5)
    return _residents(small_roster_csv, 6)


def test_a_tube_another_station_used_first(store: Store, small_roster_csv: Path) -> None:
    """Station B stores tube T-1 while A has it open: A's tube and its residents are
    refused with who used it, and A's later scans need a new tube."""
    r = _field_campaign(store, small_roster_csv)
    other = lambda: _collect(store, "f", ["T-1", r[4]], "B")  # noqa: E731
    report = _collect(store, "f", _stream(["T-1", r[0], r[1], r[2]], before=2, other=other), "A")
    reasons = {p.line: p.message for p in report.problems}
    assert "tube already used at" in reasons[1] and "by B; take a new tube" in reasons[1]
    assert "tube T-1 was already used" in reasons[2]  # r[0] bound to nothing
    assert report.accepted == 0
    b = _collect(store, "f", ["T-2", r[0], r[1]], "C")  # the refused residents can be bound again
    assert b.accepted == 3 and not b.problems


def test_a_resident_another_station_bound_first(store: Store, small_roster_csv: Path) -> None:
    """B binds r[1] while A holds it unsaved: A keeps its tube and its other residents,
    and r[1] is refused naming B's tube and operator."""
    r = _field_campaign(store, small_roster_csv)
    other = lambda: _collect(store, "f", ["T-9", r[1]], "B")  # noqa: E731
    report = _collect(store, "f", _stream(["T-1", r[0], r[1], r[2]], before=4, other=other), "A")
    assert [p.line for p in report.problems] == [3]
    assert "resident already bound to tube T-9 at" in report.problems[0].message
    assert "by B" in report.problems[0].message
    assert report.accepted == 3  # the tube, r[0], r[2]


def test_a_tube_whose_residents_all_went_elsewhere_is_not_stored(store: Store, small_roster_csv: Path) -> None:
    r = _field_campaign(store, small_roster_csv)
    other = lambda: _collect(store, "f", ["T-9", r[0], r[1]], "B")  # noqa: E731
    report = _collect(store, "f", _stream(["T-1", r[0], r[1], "END"], before=4, other=other), "A")
    assert "tube T-1 (line 1) not recorded: all its residents were bound elsewhere" in report.notes
    assert {p.line for p in report.problems} >= {2, 3}
    again = _collect(store, "f", ["T-1", r[2]], "C")  # T-1 was never stored: still free
    assert again.accepted == 2 and not again.problems


def test_field_scans_refused_before_any_tube(store: Store, small_roster_csv: Path) -> None:
    r = _field_campaign(store, small_roster_csv)
    report = _collect(store, "f", [r[0], "T-1", r[1], "T-2", "T-1"], "A")
    messages = [p.message for p in report.problems]
    assert "no open tube: scan a tube first" in messages[0]
    assert "tube already used; take a new tube" in messages[1]  # T-1 again, in the same stream
    assert "tube T-2 (line 4) closed empty; not recorded" in report.notes


def test_a_manifest_tube_another_station_collected_first(store: Store, small_roster_csv: Path, tmp_path: Path) -> None:
    """Manifest campaign: both stations scan the same tube; the one that commits second
    is told when and by whom it was collected; resident scans are checked against it."""
    from poolab.field.sampling import write_manifest
    from poolab.reports.status import campaign_status

    import_roster(store, small_roster_csv, operator="t")
    create_campaign(store, "m", operator="t")
    write_manifest(store, "m", tmp_path / "m.csv")
    rows = [line.split(",") for line in (tmp_path / "m.csv").read_text(encoding="utf-8").splitlines()[1:]]
    tube, first, second = rows[0][0], rows[0][2], next(x for x in rows if x[0] != rows[0][0])
    other = lambda: _collect(store, "m", [tube], "B")  # noqa: E731
    report = _collect(store, "m", _stream([tube, first, second[2], "END"], before=4, other=other), "A")
    messages = {p.line: p.message for p in report.problems}
    assert "tube scanned twice: already collected at" in messages[1] and "by B" in messages[1]
    assert f"resident belongs in tube {second[0]}, not {tube}" in messages[3]
    assert 2 not in messages  # the first resident is in that tube
    assert campaign_status(store, "m").tubes.collected == 1  # once, B's
