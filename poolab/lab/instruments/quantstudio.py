"""Applied Biosystems QuantStudio / ViiA 7 text export: ``* key = value`` header lines,
then ``[Section]`` blocks of tab-separated rows; the calls are read from ``[Results]``
(``Well Position``, ``Sample Name``, ``Target Name``, ``CT``; ``Undetermined`` when the
well has no Ct)."""

from __future__ import annotations

import csv
import re

import attrs

from poolab.errors import InputRejected, Problem
from poolab.lab.instruments import constants as C
from poolab.lab.instruments.lines import LinesReader
from poolab.lab.instruments.model import Export, Reading

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
            problems.append(Problem(source, no, s[:60], "not a QuantStudio header line (* key = value)"))
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
        for _ in reader.pop_until(_SECTION):
            pass
    if problems:
        raise InputRejected(f"{source}: not a QuantStudio export; nothing was read", problems[:5])
    return QuantStudioFile(header=header, sections=sections)


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    """Index of the first column called by one of ``names`` (exports repeat some columns)."""
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name.lower() in lowered:
            return lowered.index(name.lower())
    return None


def results_readings(qs: QuantStudioFile, source: str) -> Export:
    """The structure: the ``[Results]`` rows as readings, and the plate barcode the header
    names (``Experiment Barcode``), if any."""
    block = qs.sections.get(C.QS_RESULTS)
    if not block:
        raise InputRejected(
            f"{source}: no [Results] section: export the run's results from the instrument software", []
        )
    rows = list(csv.reader((line for _, line in block), delimiter="\t"))
    numbers = [no for no, _ in block]
    header = rows[0]
    index = {
        "well": _column(header, C.QS_WELL),
        "sample": _column(header, C.QS_SAMPLE),
        "target": _column(header, C.QS_TARGET),
        "ct": _column(header, C.QS_CT),
    }
    missing = {"well": "Well Position", "sample": "Sample Name", "target": "Target Name", "ct": "CT"}
    absent = [missing[k] for k, v in index.items() if v is None]
    if absent:
        raise InputRejected(
            f"{source}: the [Results] section lacks column(s) {', '.join(absent)}",
            [Problem(source, numbers[0], "\t".join(header)[:80], f"missing column(s) {', '.join(absent)}")],
        )
    iw, isam, it, ict = (int(index[k]) for k in ("well", "sample", "target", "ct"))  # type: ignore[arg-type]
    itask = _column(header, C.QS_TASK)
    width = max(iw, isam, it, ict) + 1
    readings: list[Reading] = []
    for no, row in zip(numbers[1:], rows[1:], strict=True):
        if len(row) < width:
            row = row + [""] * (width - len(row))
        task = row[itask].strip().upper() if itask is not None and itask < len(row) else ""
        readings.append(
            Reading(
                no,
                row[iw].strip(),
                row[it].strip(),
                row[ict].strip(),
                row[isam].strip(),
                C.QS_TASK_CONTROL.get(task, ""),
            )
        )
    plate = None
    for key in C.QS_BARCODE_KEYS:
        value = qs.header.get(key, "").strip()
        if value.upper() not in C.QS_NO_BARCODE:
            plate = value.upper()
            break
    return Export(source, FORMAT, plate, tuple(readings), qs.header.get(C.QS_INSTRUMENT_KEY, "QuantStudio"))


def read_quantstudio(text: str, source: str) -> Export:
    """A QuantStudio / ViiA 7 text export's readings."""
    return results_readings(read_sections(text, source), source)
