"""What every instrument reader produces: readings, one per well and target."""

from __future__ import annotations

from typing import NamedTuple

import attrs

from poolab.calls import CT_RANGE
from poolab.i18n import _
from poolab.lab.instruments.constants import NO_CT


class Reading(NamedTuple):
    """One row of an export: a well and target with its Ct as written (a tuple: a plate
    has hundreds). ``control`` is the instrument's own word for a control well ("pos",
    "neg" or ""), ``line`` the file line (a workbook's row) the row is on. ``omitted`` and
    ``flags`` are the instrument's own verdicts on the reading: the well set to Omit, and
    the names of the flags it raised (``EXPFAIL``, ``INCONCLUSIVE``, ...)."""

    line: int
    well: str
    target: str
    ct: str
    sample: str = ""
    control: str = ""
    omitted: bool = False
    flags: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class Export:
    """An instrument export: its format, the plate barcode it names (if any), its readings;
    ``sheet`` is the workbook sheet they were read from (their lines are its rows)."""

    source: str
    format: str
    plate: str | None
    readings: tuple[Reading, ...]
    instrument: str = ""
    sheet: str = ""


def reading_ct(raw: str) -> float | None | str:
    """The Ct a reading holds: a number, None for no Ct (blank, ``Undetermined``,
    ``NaN``), or why it is not a Ct (a string)."""
    text = raw.strip()
    if text.lower() in NO_CT:
        return None
    try:
        ct = float(text)
    except ValueError:
        return _("Ct is not a number, Undetermined or NaN")
    low, high = CT_RANGE
    if not (low < ct <= high):  # NaN, inf and negative cycles fail here
        return _("Ct out of range ({low} to {high} cycles)").format(low=f"{low:g}", high=f"{high:g}")
    return ct
