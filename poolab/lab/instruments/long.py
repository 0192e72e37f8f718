"""The plain long CSV every other instrument can be turned into: ``well,target,ct``, one
row per well and target, optionally ``sample`` and ``plate_barcode``. ``columns`` maps
these names onto another file's own header (a SLAN-96P or Gentier export as it is)."""

from __future__ import annotations

from collections.abc import Mapping

from poolab.barcodes import normalise_codes
from poolab.errors import InputRejected, Problem
from poolab.files.csvio import parse_csv_text
from poolab.i18n import _
from poolab.lab.instruments.model import Export, Reading

FORMAT = "long"
REQUIRED = ("well", "target", "ct")
OPTIONAL = ("sample", "plate_barcode")


def parse_column_map(value: str) -> dict[str, str]:
    """``well=孔位,target=通道,ct=Ct`` as a mapping (our name -> the file's column)."""
    out: dict[str, str] = {}
    for part in value.split(","):
        if not part.strip():
            continue
        ours, sep, theirs = part.partition("=")
        ours = ours.strip().lower()
        if not sep or ours not in (*REQUIRED, *OPTIONAL) or not theirs.strip():
            raise InputRejected(
                _("--columns {value}: expected NAME=COLUMN pairs, NAME one of {names}").format(
                    value=repr(value), names=", ".join((*REQUIRED, *OPTIONAL))
                ),
                [],
            )
        out[ours] = theirs.strip().lower()
    return out


def read_long(text: str, source: str, encoding: str, columns: Mapping[str, str] | None = None) -> Export:
    """A long CSV's readings; all or nothing on its structure (header, field counts)."""
    table, problems = parse_csv_text(text, source, encoding, ())
    mapping = {name: (columns or {}).get(name, name) for name in (*REQUIRED, *OPTIONAL)}
    missing = [
        _("{name} (column {column})").format(name=name, column=repr(mapping[name])) if mapping[name] != name else name
        for name in REQUIRED
        if mapping[name] not in table.header
    ]
    if missing:
        problems.append(
            Problem(
                source,
                1,
                ",".join(table.header)[:80],
                _("missing column(s) {columns} (expected well,target,ct)").format(columns=", ".join(missing)),
            )
        )
    if problems:
        raise InputRejected(
            _("{source}: {count} problem(s); nothing was read").format(source=source, count=len(problems)), problems
        )
    wells, targets, cts = (table.column(mapping[n]) for n in REQUIRED)
    samples = table.column(mapping["sample"])
    plates = {p for p in normalise_codes(table.column(mapping["plate_barcode"])) if p}
    if len(plates) > 1:
        raise InputRejected(
            _("{source}: one export is one plate, but plate_barcode names {count}: {plates}").format(
                source=source, count=len(plates), plates=", ".join(sorted(plates))
            ),
            [],
        )
    readings = tuple(
        Reading(line, w, t, c, s) for line, w, t, c, s in zip(table.lines, wells, targets, cts, samples, strict=True)
    )
    return Export(source, FORMAT, plates.pop() if plates else None, readings, "long CSV")
