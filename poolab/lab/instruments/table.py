"""A results table (one row per well and target) turned into readings: the QuantStudio
text export's ``[Results]`` section and the ``Results`` sheet of either workbook layout
are the same table under a few spellings, with the instrument's verdicts beside it."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from poolab.errors import InputRejected, Problem
from poolab.i18n import _
from poolab.lab.instruments import constants as C
from poolab.lab.instruments.model import Reading, reading_ct
from poolab.lab.instruments.verdicts import VerdictColumns


@attrs.frozen(slots=True)
class Layout:
    """The names a layout gives its columns: each role's accepted spellings, the first
    being the one a refusal names."""

    well: tuple[str, ...]
    sample: tuple[str, ...]
    target: tuple[str, ...]
    ct: tuple[str, ...]


QUANTSTUDIO = Layout(C.QS_WELL, C.QS_SAMPLE, C.QS_TARGET, C.QS_CT)
DESIGN_AND_ANALYSIS = Layout(C.DA_WELL, C.DA_SAMPLE, C.DA_TARGET, C.DA_CT)


def column(header: Sequence[str], names: Sequence[str]) -> int | None:
    """Index of the first column called by one of ``names`` (exports repeat some columns)."""
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name.lower() in lowered:
            return lowered.index(name.lower())
    return None


def missing_columns(header: Sequence[str], layout: Layout) -> list[str]:
    """The roles ``header`` has no column for, by the name the layout's refusal uses."""
    roles = (layout.well, layout.sample, layout.target, layout.ct)
    return [names[0] for names in roles if column(header, names) is None]


def table_readings(
    header: Sequence[str], rows: Sequence[tuple[int, Sequence[str]]], source: str, layout: Layout, *, where: str
) -> tuple[Reading, ...]:
    """Every row's reading (``rows``: (line, cells)); refused whole when a column is
    missing or a verdict column holds a word it never holds. ``where`` names the table
    in a refusal ("the [Results] section", "sheet Results")."""
    absent = missing_columns(header, layout)
    if absent:
        first = rows[0][0] - 1 if rows else 0
        raise InputRejected(
            _("{source}: {where} lacks column(s) {columns}").format(
                source=source, where=where, columns=", ".join(absent)
            ),
            [
                Problem(
                    source,
                    max(first, 1),
                    "\t".join(header)[:80],
                    _("{where}: missing column(s) {columns}").format(where=where, columns=", ".join(absent)),
                )
            ],
        )
    iw, isam, it, ict = (int(column(header, n)) for n in (layout.well, layout.sample, layout.target, layout.ct))  # type: ignore[arg-type]
    itask = column(header, C.QS_TASK)
    verdicts = VerdictColumns.of(header)
    width = max(iw, isam, it, ict) + 1
    readings: list[Reading] = []
    problems: list[Problem] = []
    for line, cells in rows:
        row = list(cells) + [""] * (width - len(cells)) if len(cells) < width else cells
        well, ct = row[iw].strip(), row[ict].strip()
        task = row[itask].strip().upper() if itask is not None and itask < len(row) else ""
        omitted, flags, bad = verdicts.read(row, isinstance(reading_ct(ct), float))
        for value, why in bad:
            said = _("well {well} {target}: {problem}").format(well=well, target=row[it].strip(), problem=why)
            problems.append(Problem(source, line, value, said))
        readings.append(
            Reading(line, well, row[it].strip(), ct, row[isam].strip(), C.QS_TASK_CONTROL.get(task, ""), omitted, flags)
        )
    if problems:
        raise InputRejected(
            _("{source}: {count} problem(s) in {where}; nothing was read").format(
                source=source, count=len(problems), where=where
            ),
            problems,
        )
    return tuple(readings)
