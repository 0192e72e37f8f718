"""The sheet's sections and fitted text, as properties over generated rows and strings."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from poolab.masking import mask_name
from poolab.paper.sections import manifest_sections


@st.composite
def manifest_rows(draw: st.DrawFn) -> list[tuple[str, ...]]:
    """Rows as the store gives them (barcode, position, slot, resident_id, name, compound,
    building, unit, room, household_id) in walk order: tubes of up to 10 residents, a tube
    now and then running on into the next building of its compound."""
    rows: list[tuple[str, ...]] = []
    n = 0
    for c in range(draw(st.integers(1, 3))):
        buildings = [str(b) for b in range(1, draw(st.integers(1, 4)) + 1)]
        people = [(b, draw(st.integers(1, 12))) for b in buildings]
        flat = [b for b, k in people for _ in range(k)]
        tube, slot = 0, 0
        for b in flat:
            if slot == 10 or (slot and draw(st.booleans()) and draw(st.booleans())):
                tube, slot = tube + 1, 0
            slot += 1
            rows.append(
                (f"P{c}{tube:04d}", str(tube), str(slot), f"R{n}", f"张三丰{n}", f"小区{c}", b, "1", "101", f"H{n}")
            )
            n += 1
    return rows


@given(manifest_rows())
def test_every_resident_once_every_barcode_once(rows: list[tuple[str, ...]]) -> None:
    """Each resident is on the sheet once, masked; each tube's barcode is printed in exactly one block."""
    sections = manifest_sections(rows, [], pool_size=10)
    people = [p for s in sections for b in s.blocks for p in b.people]
    assert Counter(r[3] for r in rows) == Counter(p.resident_id for p in people)
    assert {mask_name(r[4]) for r in rows} == {p.name for p in people}
    tubes = {r[0] for r in rows}
    assert Counter(tubes) == Counter(b.code for s in sections for b in s.blocks if b.barcode)
    keys = [(s.compound, s.building) for s in sections]
    assert len(set(keys)) == len(keys)  # one section per building
    for s in sections:
        for b in s.blocks:
            shared = sum(1 for t in sections for x in t.blocks if x.code == b.code) > 1
            assert bool(b.note) == shared  # a note exactly where a tube is shared


def test_shared_tube_notes() -> None:
    """A tube running from building 1 into 2: barcode and 'goes on' in 1, 'comes from' in 2."""
    rows = [
        ("P1", "0", "1", "R1", "甲乙", "C", "1", "1", "101", "H1"),
        ("P1", "0", "2", "R2", "丙丁", "C", "2", "1", "101", "H2"),
        ("P2", "1", "1", "R3", "戊己", "C", "2", "1", "102", "H3"),
    ]
    one, two = manifest_sections(rows, [], pool_size=10)
    assert ("1号楼", "2号楼") == (one.building, two.building)
    assert [("P1", True, "the tube goes on to 2号楼")] == [(b.code, b.barcode, b.note) for b in one.blocks]
    assert [("P1", False, "the tube comes from 1号楼 (barcode there)"), ("P2", True, "")] == [
        (b.code, b.barcode, b.note) for b in two.blocks
    ]


def test_unbound_residents_come_in_tube_sized_groups() -> None:
    """Field binding: residents not yet in a tube come in blocks of the pool size, per building."""
    unbound = [(f"R{i}", "王五", "C", "1" if i < 13 else "2", "1", str(100 + i), f"H{i}") for i in range(15)]
    (one, two) = manifest_sections([], unbound, pool_size=10)
    assert [10, 3] == [len(b.people) for b in one.blocks]
    assert [2] == [len(b.people) for b in two.blocks]
    assert all(b.code == "" for s in (one, two) for b in s.blocks)
    assert ["1", "2", "3"] == [p.slot for p in one.blocks[1].people]


@given(st.text(alphabet="张王李赵*ABCxyz 0123456789", min_size=0, max_size=40), st.floats(5, 14), st.floats(20, 300))
def test_fitted_text_fits(text: str, size: float, width: float) -> None:
    """Whatever the text, the fitted text at the fitted size is no wider than the box."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from poolab.paper import fonts
    from poolab.paper.text import fitted

    fonts.register_fonts()
    shown, s = fitted(text, fonts.TEXT, size, width)
    assert stringWidth(shown, fonts.TEXT, s) <= width + 1e-6
    assert s >= size * 0.75 - 1e-9
    assert shown == text or shown.endswith("…")
