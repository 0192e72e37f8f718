"""``campaign new --risk-buildings FILE``: the buildings whose residents get smaller pools.

The file is a CSV with ``compound,building``: what ``poolab estimate --by building -o``
writes. When it also has a flag column (``above_district``, or ``flagged`` / ``flag``),
as an estimate file that lists every building does, only the rows whose flag is true
are taken. An empty ``building`` means every building of the compound (what
``estimate --by compound -o`` writes). Every building named must be in the roster.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import attrs

from poolab.errors import PoolabError, Problem
from poolab.i18n import _

FLAG_COLUMNS = ("above_district", "flagged", "flag")
TRUE_WORDS = frozenset({"1", "true", "t", "y", "yes", "是"})
FALSE_WORDS = frozenset({"", "0", "false", "f", "n", "no", "否"})


@attrs.frozen(slots=True)
class RiskBuilding:
    """One building (or, with ``building`` empty, one compound) of a risk file."""

    compound: str
    building: str
    line: int


@attrs.frozen(slots=True)
class RiskBuildings:
    """The buildings a risk file names (flagged rows only, when it has a flag column)."""

    source: str
    buildings: tuple[RiskBuilding, ...]
    flag_column: str | None = None

    def unknown(self, known: Iterable[tuple[str, str]]) -> list[RiskBuilding]:
        """The entries that name a compound or building the roster (``known``
        (compound, building) pairs) does not have, in file order."""
        pairs = set(known)
        compounds = {c for c, _ in pairs}
        return [
            b
            for b in self.buildings
            if (b.building and (b.compound, b.building) not in pairs)
            or (not b.building and b.compound not in compounds)
        ]


def read_risk_buildings(path: str | os.PathLike[str]) -> RiskBuildings:
    """Read a risk file; refuse it (one line: file, line, value) when a row has no
    compound or a flag that is neither true nor false."""
    from poolab.files.csvio import read_csv_rows

    table = read_csv_rows(path, ("compound", "building"), FLAG_COLUMNS)
    source = table.source
    flag = next((c for c in FLAG_COLUMNS if c in table.header), None)
    flags = table.column(flag) if flag else [""] * len(table)
    out: list[RiskBuilding] = []
    rows = zip(table.lines, table.column("compound"), table.column("building"), flags, strict=True)
    for line, compound, building, raw in rows:
        if flag is not None:
            word = raw.strip().casefold()
            if word not in TRUE_WORDS | FALSE_WORDS:
                problem = Problem(source, line, raw, _("{field} must be true or false").format(field=flag))
                raise PoolabError(_("{problem}; nothing was created").format(problem=problem))
            if word in FALSE_WORDS:
                continue
        if not compound.strip():
            problem = Problem(source, line, building, _("a risk building needs its compound"))
            raise PoolabError(_("{problem}; nothing was created").format(problem=problem))
        out.append(RiskBuilding(compound.strip(), building.strip(), line))
    return RiskBuildings(source=source, buildings=tuple(out), flag_column=flag)
