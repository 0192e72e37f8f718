"""QuantStudio exports saved as Excel (``.xlsx``/``.xls``), told apart by their content:

- the classic export (QuantStudio / ViiA 7 software, or Design & Analysis writing the
  classic columns): sheet ``Results``, key/value rows (``Experiment Barcode``), a blank
  row, then the table ``Well``, ``Well Position``, ``Omit``, ``Sample Name``, ``Target
  Name``, ..., ``CT`` and the flag columns (``EXPFAIL``, ``BADROX``, ...);
- the Design & Analysis export: sheet ``Results`` (``Primary_result`` in Diomni), key/value
  rows (``Barcode``), then ``Well``, ``Well Position``, ``Omit``, ``Sample``, ``Target``, ...,
  ``Amp Status``, ``Result Quality Issues``, ``Cq`` (``UNDETERMINED`` for no Cq).

Rows after the table (``Analysis Type``, ``Endogenous Control``) are the run's metadata,
not wells. Line numbers are the sheet's row numbers, as Excel shows them."""

from __future__ import annotations

import re

from poolab.errors import InputRejected, Problem
from poolab.files.workbook import Sheet, read_workbook, sheet_list
from poolab.i18n import _
from poolab.lab.instruments import constants as C
from poolab.lab.instruments.model import Export
from poolab.lab.instruments.quantstudio import header_plate
from poolab.lab.instruments.table import DESIGN_AND_ANALYSIS, QUANTSTUDIO, Layout, column, table_readings

CLASSIC = "quantstudio"
DESIGN = "designandanalysis"
_WELL_OR_NUMBER = re.compile(r"^([A-Pa-p]0*[1-9][0-9]?|[0-9]+)$")


def _header_at(sheet: Sheet) -> int | None:
    """The table's header row: the first naming ``Well Position``, or starting ``Well``."""
    for i, row in enumerate(sheet.rows):
        cells = [c.strip() for c in row]
        if "Well Position" in cells or (cells and cells[0] == "Well"):
            return i
    return None


def _layout(header: tuple[str, ...], fmt: str) -> tuple[str, Layout]:
    if fmt == CLASSIC:
        return CLASSIC, QUANTSTUDIO
    if fmt == DESIGN:
        return DESIGN, DESIGN_AND_ANALYSIS
    if column(header, C.QS_TARGET) is not None or column(header, C.QS_SAMPLE) is not None:
        return CLASSIC, QUANTSTUDIO
    return DESIGN, DESIGN_AND_ANALYSIS


def read_workbook_export(data: bytes, source: str, fmt: str = "auto") -> tuple[str, Export]:
    """(format, export) of a QuantStudio workbook: ``fmt`` is auto, quantstudio or
    designandanalysis. Refused, naming the file, the sheet and the row: a workbook with no
    Results sheet (its sheets named), a Results sheet without its table or a column of it."""
    book = read_workbook(data, source)
    name = next((n for n in C.DA_SHEETS if n in book.sheet_names), None)
    if name is None:
        sheets = sheet_list(book.sheet_names)
        raise InputRejected(
            _(
                "{source}: a workbook, but not a QuantStudio or Design & Analysis export: it has no Results sheet "
                "(its sheets: {sheets}); export the run's results from the instrument software"
            ).format(source=source, sheets=sheets),
            [Problem(source, 0, sheets, _("workbook without a Results sheet"))],
        )
    sheet = book.sheet(name)
    at = _header_at(sheet)
    where = _("sheet {name}").format(name=name)
    if at is None:
        first = next((r[0] for r in sheet.rows if r and r[0].strip()), "")
        raise InputRejected(
            _(
                "{source}: {where} has no results table (no row names the column Well Position); "
                "is this an instrument export?"
            ).format(source=source, where=where),
            [Problem(source, 1, first, _("{where}: no Well Position column").format(where=where))],
        )
    numbered = sheet.numbered()
    keys = {r[0].strip(): r[1].strip() for _, r in numbered[:at] if len(r) > 1 and r[0].strip()}
    header = sheet.rows[at]
    found, layout = _layout(header, fmt)
    rows: list[tuple[int, tuple[str, ...]]] = []
    for line, cells in numbered[at + 1 :]:
        if not any(c.strip() for c in cells):
            break  # the blank row before the run's metadata
        first = cells[0].strip()
        if first and not _WELL_OR_NUMBER.match(first):
            break  # metadata right after the table (Analysis Type = Singleplex)
        rows.append((line, cells))
    if not rows:
        raise InputRejected(
            _("{source}: {where} has a results table with no rows").format(source=source, where=where),
            [Problem(source, at + 1, "", _("{where}: no rows").format(where=where))],
        )
    readings = table_readings(header, rows, source, layout, where=where)  # a missing column: the header's row
    instrument = keys.get(C.QS_INSTRUMENT_KEY) or ("QuantStudio" if found == CLASSIC else "Design & Analysis")
    return found, Export(source, found, header_plate(keys), readings, instrument, sheet=name)
