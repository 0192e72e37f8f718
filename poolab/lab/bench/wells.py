"""Plate geometry: well names (``A1``, ``A01`` read too), the order tubes are laid out
in, and where the controls go."""

from __future__ import annotations

import functools
import re

from poolab.i18n import _

SHAPES = {96: (8, 12), 384: (16, 24)}
"""Plate size -> (rows, columns)."""
_WELL = re.compile(r"^([A-Pa-p])0*([1-9][0-9]?)$")
WELL_KINDS = ("sample", "positive_control", "negative_control", "empty")


def parse_well(text: str) -> tuple[int, int] | None:
    """(row, column), both from 0, of ``A1``/``A01``/``a1``; None when not a well name."""
    m = _WELL.match(text.strip())
    if m is None:
        return None
    return ord(m.group(1).upper()) - ord("A"), int(m.group(2)) - 1


def well_name(row: int, column: int) -> str:
    return f"{chr(ord('A') + row)}{column + 1}"


@functools.lru_cache(maxsize=4096)  # a plate's export names each well several times
def canonical_well(text: str, size: int) -> str | None:
    """``A1`` for any way of writing a well of a ``size``-well plate; None when it is not
    one (not a well name, or outside the plate)."""
    rc = parse_well(text)
    rows, cols = SHAPES[size]
    if rc is None or rc[0] >= rows or rc[1] >= cols:
        return None
    return well_name(*rc)


def well_problem(text: str, size: int) -> str:
    """Why ``text`` is not a well of a ``size``-well plate."""
    rows, cols = SHAPES[size]
    last = well_name(rows - 1, cols - 1)
    if parse_well(text) is None:
        return _("not a well name (A1..{last})").format(last=last)
    return _("well outside the {size}-well plate (A1..{last})").format(size=size, last=last)


def control_wells(size: int) -> dict[str, str]:
    """Where ``plate new`` puts the controls: the last two wells in column order (G12
    negative, H12 positive on a 96-well plate), after every sample an 8-channel pipette
    lays down column by column."""
    rows, cols = SHAPES[size]
    return {well_name(rows - 2, cols - 1): "negative_control", well_name(rows - 1, cols - 1): "positive_control"}


def sample_wells(size: int) -> list[str]:
    """The wells samples take, in column order (A1, B1, ... H1, A2, ...), controls left out."""
    rows, cols = SHAPES[size]
    controls = control_wells(size)
    return [w for c in range(cols) for r in range(rows) if (w := well_name(r, c)) not in controls]


def all_wells(size: int) -> list[str]:
    """Every well of the plate in column order."""
    rows, cols = SHAPES[size]
    return [well_name(r, c) for c in range(cols) for r in range(rows)]
