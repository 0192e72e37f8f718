"""The command post's sortable lists: natural order, missing values last, the links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.errors import PoolabError
from poolab.store.findings import FlaggedPool
from poolab.web.tables import Order, headings, natural, parse_order, sort_rows

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _pool(barcode: str, ct: float | None, building: str) -> FlaggedPool:
    return FlaggedPool(barcode, "positive", ct, ct, AT, "c", building, 10, 0, 0, 0)


def test_natural_order_reads_numbers_as_numbers() -> None:
    """Building 9 comes before building 10, room 2-101 before 10-101."""
    assert ["2", "9", "10", "10-101", "B2", "B10"] == sorted(["B10", "10", "2", "B2", "9", "10-101"], key=natural)


def test_rows_without_a_value_go_last_both_ways() -> None:
    """A pool without a Ct is last ascending and descending; ties keep walk order."""
    pools = [_pool("P1", 30.0, "1"), _pool("P2", None, "1"), _pool("P3", 25.0, "2"), _pool("P4", 30.0, "3")]
    up = sort_rows(pools, "pools", Order("ct_orf1ab"))
    down = sort_rows(pools, "pools", Order("ct_orf1ab", descending=True))
    assert ["P3", "P1", "P4", "P2"] == [p.barcode for p in up]
    assert ["P1", "P4", "P3", "P2"] == [p.barcode for p in down]
    assert pools == sort_rows(pools, "pools", Order())


@given(st.lists(st.tuples(st.integers(0, 30), st.one_of(st.none(), st.floats(10, 40))), max_size=30))
def test_sorting_keeps_every_row(rows) -> None:
    """Sorted either way, a list holds the same rows, its values in order, the missing ones last."""
    pools = [_pool(f"P{i}", ct, str(b)) for i, (b, ct) in enumerate(rows)]
    for descending in (False, True):
        out = sort_rows(pools, "pools", Order("ct_orf1ab", descending=descending))
        assert sorted(p.barcode for p in pools) == sorted(p.barcode for p in out)
        cts = [p.ct_orf1ab for p in out if p.ct_orf1ab is not None]
        assert sorted(cts, reverse=descending) == cts
        assert all(p.ct_orf1ab is None for p in out[len(cts) :])


def test_an_unknown_column_is_refused_naming_the_columns() -> None:
    """?positives=phone is refused with the columns there are."""
    with pytest.raises(PoolabError, match="positives can be sorted by resident, name, compound"):
        parse_order("positives", "phone")
    assert Order("room", descending=True) == parse_order("positives", "-room")


def test_a_heading_links_to_its_order_keeping_the_other_parameters() -> None:
    """Each heading sorts by its column, the sorted one the other way; late and the other list's order are kept."""
    orders = {"pools": Order("compound"), "positives": Order()}
    params = {"late_receipt": "2", "pools": "compound"}
    shown = {h.label: h for h in headings("pools", orders, params, "h-pools")}
    assert "?late_receipt=2&pools=-compound#h-pools" == shown["compound"].href
    assert "ascending" == shown["compound"].sorted
    assert "?late_receipt=2&pools=call#h-pools" == shown["call"].href and shown["call"].sorted is None
