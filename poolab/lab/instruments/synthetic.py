"""Synthetic instrument exports, written the way the instruments write them (for the
demo, the tests and the benchmarks: no lab has to lend its files)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

QS_COLUMNS = ("Well", "Well Position", "Omit", "Sample Name", "Target Name", "Task", "Reporter", "Quencher", "CT")
QS_FLAG_COLUMNS = ("NOAMP", "EXPFAIL", "THOLDFAIL", "BADROX", "NOISE", "SPIKE", "PRFDROP")
_REPORTER = ("FAM", "VIC", "CY5")
Wells = Sequence[tuple[str, str, str, Mapping[str, float | None]]]
"""(well, kind, sample name, {target: Ct or None}) of each mapped well."""
Flags = Mapping[tuple[str, str], Sequence[str]]
"""(well, target) -> the flag columns set to Y on that row."""


def _ct(ct: float | None, empty: str) -> str:
    return empty if ct is None else f"{ct:.3f}"


def quantstudio_rows(
    wells: Wells, *, size: int = 96, omitted: Sequence[str] = (), flags: Flags | None = None
) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The classic QuantStudio results table (header, rows) of one plate, with ``Omit``
    true for the ``omitted`` wells and, when ``flags`` is given, the flag columns (``Y``
    where listed, ``N`` elsewhere; NOAMP ``Y`` on every target without a Ct)."""
    columns = 24 if size == 384 else 12
    header = QS_COLUMNS + (QS_FLAG_COLUMNS if flags is not None else ())
    rows = []
    for well, kind, sample, cts in wells:
        row, col = ord(well[0]) - ord("A"), int(well[1:])
        number = row * columns + col
        task = {"negative_control": "NTC", "positive_control": "UNKNOWN"}.get(kind, "UNKNOWN")
        for j, (target, ct) in enumerate(cts.items()):
            fields: tuple[str, ...] = (
                str(number),
                well,
                "true" if well in omitted else "false",
                sample,
                target,
                task,
                _REPORTER[j % 3],
                "NFQ-MGB",
                _ct(ct, "Undetermined"),
            )
            if flags is not None:
                raised = set(flags.get((well, target), ()))
                if ct is None:
                    raised.add("NOAMP")
                fields += tuple("Y" if f in raised else "N" for f in QS_FLAG_COLUMNS)
            rows.append(fields)
    return header, rows


def quantstudio_text(
    plate_barcode: str, wells: Wells, *, size: int = 96, omitted: Sequence[str] = (), flags: Flags | None = None
) -> str:
    """A QuantStudio text export of one ``size``-well plate: ``wells`` are (well, kind,
    sample name, {target: Ct or None}); no Ct is written ``Undetermined``; ``omitted``
    and ``flags`` as ``quantstudio_rows`` writes them."""
    lines = [
        f"* Block Type = {size}-Well Block" + (" (0.2mL)" if size == 96 else ""),
        "* Chemistry = TAQMAN",
        f"* Experiment Barcode = {plate_barcode}",
        f"* Experiment Name = {plate_barcode}",
        f"* Instrument Type = QuantStudio(TM) {5 if size == 96 else 7} {'System' if size == 96 else 'Flex System'}",
        "* Passive Reference = ROX",
        "* Quantification Cycle Method = Ct",
        "",
        "[Results]",
    ]
    header, rows = quantstudio_rows(wells, size=size, omitted=omitted, flags=flags)
    lines.append("\t".join(header))
    lines += ["\t".join(fields) for fields in rows]
    lines += ["", "Analysis Type = Singleplex", ""]
    return "\r\n".join(lines)


def cfx_text(wells: Wells) -> str:
    """A CFX Maestro "Quantification Cq Results" CSV of one plate (no Cq: ``NaN``)."""
    content = {"negative_control": "Neg Ctrl", "positive_control": "Pos Ctrl", "sample": "Unkn"}
    lines = [",Well,Fluor,Target,Content,Sample,Biological Set Name,Cq,Cq Mean,Cq Std. Dev"]
    for well, kind, sample, cts in wells:
        name = f"{well[0]}{int(well[1:]):02d}"
        for j, (target, ct) in enumerate(cts.items()):
            cq = _ct(ct, "NaN")
            lines.append(f",{name},{_REPORTER[j % 3]},{target},{content.get(kind, 'Unkn')},{sample},,{cq},{cq},0")
    return "\n".join(lines) + "\n"


def quantstudio_workbook(
    plate: str,
    wells: Wells,
    layout: str = "quantstudio",
    *,
    omitted: tuple[str, ...] = (),
    flags: Flags | None = None,
    amp_status: Mapping[tuple[str, str], str] | None = None,
    quality: Mapping[tuple[str, str], str] | None = None,
) -> bytes:
    """A QuantStudio export saved as Excel, laid out as the instrument software lays it
    out: sheet Results with key/value rows, a blank row and the table. ``quantstudio``:
    the classic columns (Sample Name, Target Name, CT, flag columns Y/N); ``designandanalysis``:
    the Design & Analysis columns (Sample, Target, Amp Status, Result Quality Issues, Cq,
    UNDETERMINED for no Cq). Numbers are written as numbers, Omit as a boolean cell.
    Needs openpyxl (``poolab[test]``: the tests' and benchmarks' writer; poolab reads
    workbooks with calamine)."""
    import io

    from openpyxl import Workbook

    header, rows = quantstudio_rows(wells, omitted=omitted, flags=flags if layout == "quantstudio" else None)
    book = Workbook()
    setup = book.active
    setup.title = "Sample Setup"
    setup.append(["Well", "Well Position", "Sample Name"])
    sheet = book.create_sheet("Results")
    keys = (
        [
            ("Block Type", "96-Well Block (0.2mL)"),
            ("Experiment Barcode", plate),
            ("Instrument Type", "QuantStudio(TM) 5 System"),
        ]
        if layout == "quantstudio"
        else [("File Name", f"{plate}.eds"), ("Barcode", plate), ("Instrument Type", "QuantStudio™ 7 Pro System")]
    )
    for key, said in keys:
        sheet.append([key, said])
    sheet.append([])
    if layout == "quantstudio":
        sheet.append(list(header) + ["Amp Status"])
    else:
        sheet.append(
            [
                "Well",
                "Well Position",
                "Omit",
                "Sample",
                "Target",
                "Task",
                "Reporter",
                "Quencher",
                "Amp Status",
                "Amp Score",
                "Result Quality Issues",
                "Cq",
            ]
        )
    for fields in rows:
        number, well, omit, sample, target, task, reporter, quencher, ct = fields[:9]
        value: float | str = (
            float(ct) if ct != "Undetermined" else ("Undetermined" if layout == "quantstudio" else "UNDETERMINED")
        )
        status = (amp_status or {}).get((well, target), "Amp" if isinstance(value, float) else "No Amp")
        if layout == "quantstudio":
            sheet.append(
                [
                    int(number),
                    well,
                    omit == "true",
                    sample,
                    target,
                    task,
                    reporter,
                    quencher,
                    value,
                    *fields[9:],
                    status,
                ]
            )
        else:
            issue = (quality or {}).get((well, target), "")
            sheet.append(
                [int(number), well, omit == "true", sample, target, task, reporter, quencher, status, 0.9, issue, value]
            )
    sheet.append([])
    sheet.append(["Analysis Type", "Singleplex"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
