"""The page's two long lists, sortable by any column: the pools that sent people to a
retest, and the confirmed positives.

Sorting is done by the server from a query parameter (``?pools=compound``, a leading
``-`` for descending: ``?positives=-called``), so it needs no script, survives the page's
refresh (which fetches the same URL) and can be bookmarked. Each column header is a link
that sorts by it, and again the other way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

import attrs

from poolab.errors import PoolabError
from poolab.i18n import N_, _

Row = TypeVar("Row")

_DIGITS = re.compile(r"(\d+)")


def natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that puts building 9 before building 10 and room 2-101 before 10-101."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text) if part)


@attrs.frozen(slots=True)
class Column:
    """A sortable column: its parameter value, its heading (English, translated where it is
    shown), and the value it sorts by."""

    key: str
    label: str
    value: Callable[[Any], Any]
    numeric: bool = False  # right-aligned


def _text(get: Callable[[Any], str | None]) -> Callable[[Any], Any]:
    return lambda row: natural(get(row) or "")


def _number(get: Callable[[Any], float | int | None]) -> Callable[[Any], Any]:
    return get  # None (no Ct) goes last, whichever way the column is sorted


def _time(get: Callable[[Any], datetime]) -> Callable[[Any], Any]:
    return lambda row: get(row).timestamp()


POOL_COLUMNS: tuple[Column, ...] = (
    Column("tube", N_("pool tube"), _text(lambda p: p.barcode)),
    Column("call", N_("call"), _text(lambda p: p.call)),
    Column("ct_orf1ab", N_("Ct ORF1ab"), _number(lambda p: p.ct_orf1ab), numeric=True),
    Column("ct_n", N_("Ct N"), _number(lambda p: p.ct_n), numeric=True),
    Column("compound", N_("compound"), _text(lambda p: p.compound)),
    Column("building", N_("building"), _text(lambda p: p.building)),
    Column("residents", N_("residents"), _number(lambda p: p.people), numeric=True),
    Column("issued", N_("retests issued"), _number(lambda p: p.retest_issued), numeric=True),
    Column("received", N_("received"), _number(lambda p: p.retest_received), numeric=True),
    Column("resulted", N_("resulted"), _number(lambda p: p.retest_resulted), numeric=True),
    Column("called", N_("called"), _time(lambda p: p.at)),
)
"""The pools' columns; unsorted, they come in walk order."""

POSITIVE_COLUMNS: tuple[Column, ...] = (
    Column("resident", N_("resident"), _text(lambda p: p.resident_id)),
    Column("name", N_("name"), _text(lambda p: p.name)),
    Column("compound", N_("compound"), _text(lambda p: p.compound)),
    Column("building", N_("building"), _text(lambda p: p.building)),
    Column("unit", N_("unit"), _text(lambda p: p.unit)),
    Column("room", N_("room"), _text(lambda p: p.room)),
    Column("household", N_("household"), _text(lambda p: p.household_id)),
    Column("tube", N_("tube"), _text(lambda p: p.barcode)),
    Column("called", N_("called"), _time(lambda p: p.at)),
)
"""The confirmed positives' columns; unsorted, they come by address."""

TABLES: dict[str, tuple[Column, ...]] = {"pools": POOL_COLUMNS, "positives": POSITIVE_COLUMNS}


def _by_address(p: Any) -> tuple[Any, ...]:
    return (natural(p.compound), natural(p.building), natural(p.unit or ""), natural(p.room or ""), p.resident_id)


# unsorted: pools as the store gives them (walk order), positives by address as a person
# reads one (room 203 before room 1201, which a string sort puts the other way)
_NATURAL_ORDER: dict[str, Callable[[Any], Any] | None] = {"pools": None, "positives": _by_address}


@attrs.frozen(slots=True)
class Order:
    """How one list is sorted: by ``key`` (None: its natural order), ascending or not."""

    key: str | None = None
    descending: bool = False

    def param(self) -> str:
        return f"{'-' if self.descending else ''}{self.key}" if self.key else ""


def parse_order(table: str, raw: str | None) -> Order:
    """The order a query parameter asks for; an unknown column is refused, naming them all."""
    if raw is None or not raw.strip():
        return Order()
    value = raw.strip()
    key = value.removeprefix("-")
    columns = TABLES[table]
    if key not in {c.key for c in columns}:
        known = ", ".join(c.key for c in columns)
        raise PoolabError(
            _("{table} can be sorted by {columns} (a leading - for descending), not {value}").format(
                table=table, columns=known, value=repr(raw)
            )
        )
    return Order(key, descending=value.startswith("-"))


def sort_rows(rows: Sequence[Row], table: str, order: Order) -> list[Row]:
    """``rows`` in ``order``; rows without a value (no Ct) last either way, and ties in the
    list's natural order (Python's sort is stable, reversed too)."""
    if order.key is None:
        natural_order = _NATURAL_ORDER[table]
        return list(rows) if natural_order is None else sorted(rows, key=natural_order)
    rows = sort_rows(rows, table, Order())  # ties keep the natural order
    value = next(c for c in TABLES[table] if c.key == order.key).value
    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    return sorted(present, key=value, reverse=order.descending) + missing


@attrs.frozen(slots=True)
class Heading:
    """A column heading as the page shows it: its link, and whether the list is sorted by it."""

    label: str
    href: str
    sorted: str | None  # "ascending" or "descending" (aria-sort), None when not sorted by it
    numeric: bool


def headings(table: str, orders: Mapping[str, Order], params: Mapping[str, str], anchor: str) -> list[Heading]:
    """The headings of ``table``: each links to the page sorted by its column (the other
    way round when already sorted by it), keeping the page's other parameters."""
    current = orders[table]
    out = []
    for column in TABLES[table]:
        active = current.key == column.key
        wanted = Order(column.key, descending=active and not current.descending)
        query = {k: v for k, v in params.items() if k != table}
        query[table] = wanted.param()
        href = f"?{urlencode(query)}#{anchor}"
        state = ("descending" if current.descending else "ascending") if active else None
        out.append(Heading(column.label, href, state, column.numeric))
    return out
