"""Synthetic instrument exports, written the way the instruments write them (for the
demo, the tests and the benchmarks: no lab has to lend its files)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

QS_COLUMNS = ("Well", "Well Position", "Omit", "Sample Name", "Target Name", "Task", "Reporter", "Quencher", "CT")
_REPORTER = ("FAM", "VIC", "CY5")


def _ct(ct: float | None, empty: str) -> str:
    return empty if ct is None else f"{ct:.3f}"


def quantstudio_text(
    plate_barcode: str,
    wells: Sequence[tuple[str, str, str, Mapping[str, float | None]]],
    *,
    size: int = 96,
) -> str:
    """A QuantStudio text export of one ``size``-well plate: ``wells`` are (well, kind,
    sample name, {target: Ct or None}); no Ct is written ``Undetermined``."""
    columns = 24 if size == 384 else 12
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
        "\t".join(QS_COLUMNS),
    ]
    for well, kind, sample, cts in wells:
        row, col = ord(well[0]) - ord("A"), int(well[1:])
        number = row * columns + col
        task = {"negative_control": "NTC", "positive_control": "UNKNOWN"}.get(kind, "UNKNOWN")
        for j, (target, ct) in enumerate(cts.items()):
            fields = (
                str(number),
                well,
                "false",
                sample,
                target,
                task,
                _REPORTER[j % 3],
                "NFQ-MGB",
                _ct(ct, "Undetermined"),
            )
            lines.append("\t".join(fields))
    lines += ["", "Analysis Type = Singleplex", ""]
    return "\r\n".join(lines)


def cfx_text(wells: Sequence[tuple[str, str, str, Mapping[str, float | None]]]) -> str:
    """A CFX Maestro "Quantification Cq Results" CSV of one plate (no Cq: ``NaN``)."""
    content = {"negative_control": "Neg Ctrl", "positive_control": "Pos Ctrl", "sample": "Unkn"}
    lines = [",Well,Fluor,Target,Content,Sample,Biological Set Name,Cq,Cq Mean,Cq Std. Dev"]
    for well, kind, sample, cts in wells:
        name = f"{well[0]}{int(well[1:]):02d}"
        for j, (target, ct) in enumerate(cts.items()):
            cq = _ct(ct, "NaN")
            lines.append(f",{name},{_REPORTER[j % 3]},{target},{content.get(kind, 'Unkn')},{sample},,{cq},{cq},0")
    return "\n".join(lines) + "\n"
