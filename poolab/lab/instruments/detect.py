"""``--format auto``: which kind of file this is, from its content alone."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from poolab.errors import InputRejected, Problem
from poolab.files.csvio import decode_bytes
from poolab.files.workbook import is_workbook, named_workbook
from poolab.i18n import _
from poolab.lab.instruments.model import Export

FORMATS = ("auto", "csv", "results", "long", "quantstudio", "designandanalysis", "cfx")
"""``csv`` is either CSV poolab reads (the results CSV or the long one), told by its header;
``quantstudio`` the text export or the classic export saved as Excel; ``designandanalysis``
the Design & Analysis workbook."""
INSTRUMENT_FORMATS = ("long", "quantstudio", "designandanalysis", "cfx")
WORKBOOK_FORMATS = ("auto", "quantstudio", "designandanalysis")


def _csv_header(text: str) -> set[str]:
    for row in csv.reader(io.StringIO(text[:4000], newline="")):
        cells = {c.strip().lower() for c in row if c.strip()}
        if cells:
            return cells
    return set()


def _cfx_like(text: str) -> bool:
    for row in list(csv.reader(io.StringIO(text[:8000], newline="")))[:30]:
        cells = {c.strip() for c in row}
        if {"Well", "Cq"} <= cells and ({"Fluor", "Content"} & cells):
            return True
    return False


def detect_format(text: str, source: str, *, csv_only: bool = False) -> str:
    """``results``, ``long``, ``quantstudio`` or ``cfx`` for a file's text (``csv_only``:
    one of the two CSVs poolab itself defines)."""
    head = text.lstrip("\ufeff")[:2000].lstrip()
    if not csv_only:
        if head.startswith("* ") or head.startswith("[") or "\n[Results]" in text:
            return "quantstudio"
        if _cfx_like(text):
            return "cfx"
    header = _csv_header(text)
    if {"tube_barcode", "result"} <= header:
        return "results"
    if {"well", "target", "ct"} <= header:
        return "long"
    first = head.splitlines()[0][:80] if head else ""
    raise InputRejected(
        _(
            "{source}: cannot tell what kind of file this is; expected a results CSV (tube_barcode,result), "
            "a long CSV (well,target,ct), a QuantStudio text export or a CFX Maestro CSV (or say which with --format)"
        ).format(source=source),
        [Problem(source, 1, first, _("unrecognised first line"))],
    )


def read_export(
    data: bytes, source: str, fmt: str, *, columns: Mapping[str, str] | None = None, encoding: str | None = None
) -> tuple[str, Export | None]:
    """(format, export) of a file's bytes; the export is None for a results CSV (read by
    ``poolab.lab.results``). ``fmt`` is one of ``FORMATS``; ``columns`` maps the long CSV's
    names onto the file's own. A workbook is told by its content, never by its name, and
    never reaches the text decoder (whose advice is about encodings)."""
    from poolab.lab.instruments.cfx import read_cfx
    from poolab.lab.instruments.long import read_long
    from poolab.lab.instruments.quantstudio import read_quantstudio

    if fmt not in FORMATS:
        raise InputRejected(
            _("--format {format}: one of {formats}").format(format=repr(fmt), formats=", ".join(FORMATS)), []
        )
    if is_workbook(data):  # by content: an .xls that is an .xlsx inside is read all the same
        if fmt not in WORKBOOK_FORMATS:
            raise InputRejected(
                _(
                    "{source}: an Excel workbook, but --format {format} reads a text file; "
                    "give --format auto, quantstudio or designandanalysis"
                ).format(source=source, format=fmt),
                [],
            )
        from poolab.lab.instruments.workbook import read_workbook_export

        return read_workbook_export(data, source, fmt)
    if named_workbook(source):
        first = data[:60].decode("utf-8", "replace").splitlines()[0] if data else ""
        raise InputRejected(
            _(
                "{source}: named as an Excel workbook, but it is a text file (a CSV or a text export?), "
                "not a workbook; rename it to .csv or .txt, or export the run again"
            ).format(source=source),
            [Problem(source, 1, first, _("not a workbook: no .xlsx or .xls content"))],
        )
    if fmt == "designandanalysis":
        raise InputRejected(
            _("{source}: not an Excel workbook; the Design & Analysis export is an .xlsx or .xls file").format(
                source=source
            ),
            [],
        )
    text, encoding = decode_bytes(data, source, encoding)
    if columns and fmt in ("auto", "csv"):
        fmt = "long"  # a column map is only for the long CSV
    if fmt in ("auto", "csv"):
        fmt = detect_format(text, source, csv_only=fmt == "csv")
    if fmt == "results":
        return fmt, None
    if fmt == "quantstudio":
        return fmt, read_quantstudio(text, source)
    if fmt == "cfx":
        return fmt, read_cfx(text, source)
    return fmt, read_long(text, source, encoding, columns)
