"""Bio-Rad CFX Maestro "Quantification Cq Results" CSV: one row per well and
fluorophore, ``Well`` as ``A01``, ``Target`` (blank when the run named none: the
fluorophore stands for it), ``Content`` (``Unkn``, ``Pos Ctrl``, ``Neg Ctrl``, ``NTC``),
``Sample`` and ``Cq`` (``NaN`` when the well has no Cq)."""

from __future__ import annotations

import csv
import io

from poolab.errors import InputRejected, Problem
from poolab.i18n import _
from poolab.lab.instruments import constants as C
from poolab.lab.instruments.model import Export, Reading

FORMAT = "cfx"
_REQUIRED = (C.CFX_WELL, C.CFX_CQ)


def read_cfx(text: str, source: str) -> Export:
    """A CFX Maestro CSV's readings (its header row is the first that names Well and Cq)."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header_at = next(
        (i for i, r in enumerate(rows[:30]) if all(any(c.strip() == name for c in r) for name in _REQUIRED)), None
    )
    if header_at is None:
        raise InputRejected(
            _("{source}: not a CFX Maestro results CSV (no header row with the columns Well and Cq)").format(
                source=source
            ),
            [
                Problem(
                    source,
                    1,
                    ",".join(rows[0])[:80] if rows else "",
                    _("expected a header with Well, Target, Content, Sample, Cq"),
                )
            ],
        )
    header = [c.strip() for c in rows[header_at]]

    def col(name: str) -> int | None:
        return header.index(name) if name in header else None

    iw, icq = header.index(C.CFX_WELL), header.index(C.CFX_CQ)
    it, ifl, icon, isam = col(C.CFX_TARGET), col(C.CFX_FLUOR), col(C.CFX_CONTENT), col(C.CFX_SAMPLE)
    if it is None and ifl is None:
        raise InputRejected(
            _("{source}: the CFX CSV has neither a Target nor a Fluor column").format(source=source),
            [Problem(source, header_at + 1, ",".join(header)[:80], _("missing column Target (or Fluor)"))],
        )

    def cell(row: list[str], i: int | None) -> str:
        return row[i].strip() if i is not None and i < len(row) else ""

    readings: list[Reading] = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in row):
            continue
        target = cell(row, it) or cell(row, ifl)  # no target named: the fluorophore stands for it
        content = cell(row, icon).lower()
        control = C.CFX_CONTROL.get(content.rsplit("-", 1)[0].strip(), "")
        readings.append(Reading(number, cell(row, iw), target, cell(row, icq), cell(row, isam), control))
    return Export(source, FORMAT, None, tuple(readings), "CFX Maestro")
