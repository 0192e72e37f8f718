"""Applied Biosystems QuantStudio / ViiA 7 text export: ``* key = value`` header lines,
then ``[Section]`` blocks of tab-separated rows; the calls are read from ``[Results]``
(``Well Position``, ``Sample Name``, ``Target Name``, ``CT``; ``Undetermined`` when the
well has no Ct; ``Omit`` and the flag columns when the export has them)."""

from __future__ import annotations

import csv
import re

import attrs

from poolab.barcodes import normalise_scan
from poolab.errors import InputRejected, Problem
from poolab.i18n import _
from poolab.lab.instruments import constants as C
from poolab.lab.instruments.lines import LinesReader
from poolab.lab.instruments.model import Export
from poolab.lab.instruments.table import QUANTSTUDIO, table_readings

_SECTION = re.compile(r"^\[(.+)\]\s*$")
FORMAT = "quantstudio"


@attrs.frozen(slots=True)
class QuantStudioFile:
    """The file cut into parts: header keys, and each section's lines with their numbers."""

    header: dict[str, str]
    sections: dict[str, tuple[tuple[int, str], ...]]


def read_sections(text: str, source: str) -> QuantStudioFile:
    """The reader: header lines up to the first section, then every section's block
    (its lines up to the first blank line; what follows it is the section's metadata)."""
    reader = LinesReader(text)
    header: dict[str, str] = {}
    problems: list[Problem] = []
    for no, line in reader.pop_until(_SECTION):
        s = line.strip()
        if not s:
            continue
        if not s.startswith("*") or "=" not in s:
            problems.append(Problem(source, no, s[:60], _("not a QuantStudio header line (* key = value)")))
            continue
        key, value = s[1:].split("=", 1)
        header[key.strip()] = value.strip()
    sections: dict[str, tuple[tuple[int, str], ...]] = {}
    while not reader.at_end():
        heading = reader.pop() or ""
        match = _SECTION.match(heading)
        if match is None:
            continue  # blank lines and section metadata between blocks
        name = match.group(1).strip()
        block = tuple(reader.pop_block())
        sections.setdefault(name, block)
        for _skipped in reader.pop_until(_SECTION):
            pass
    if problems:
        raise InputRejected(
            _("{source}: not a QuantStudio export; nothing was read").format(source=source), problems[:5]
        )
    return QuantStudioFile(header=header, sections=sections)


def header_plate(header: dict[str, str], keys: tuple[str, ...] = C.QS_BARCODE_KEYS) -> str | None:
    """The plate barcode the export's header names (``Experiment Barcode``), if any."""
    for key in keys:
        value = normalise_scan(header.get(key, ""))
        if value not in C.QS_NO_BARCODE:
            return value
    return None


def results_readings(qs: QuantStudioFile, source: str) -> Export:
    """The structure: the ``[Results]`` rows as readings (with the instrument's Omit and
    flags), and the plate barcode the header names (``Experiment Barcode``), if any."""
    block = qs.sections.get(C.QS_RESULTS)
    if not block:
        raise InputRejected(
            _("{source}: no [Results] section: export the run's results from the instrument software").format(
                source=source
            ),
            [],
        )
    rows = list(csv.reader((line for _, line in block), delimiter="\t"))
    numbers = [no for no, _ in block]
    readings = table_readings(
        rows[0], list(zip(numbers[1:], rows[1:], strict=True)), source, QUANTSTUDIO, where=_("the [Results] section")
    )
    instrument = qs.header.get(C.QS_INSTRUMENT_KEY, "QuantStudio")
    return Export(source, FORMAT, header_plate(qs.header), readings, instrument)


def read_quantstudio(text: str, source: str) -> Export:
    """A QuantStudio / ViiA 7 text export's readings."""
    return results_readings(read_sections(text, source), source)
