"""Helpers for the lab bench tests: a received campaign, its plate maps, and exports
written the way the instruments write them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from poolab.lab.instruments.synthetic import Flags, cfx_text, quantstudio_text, quantstudio_workbook
from tests.workflow import read_csv, run

Cts = Mapping[str, float | None]
NEGATIVE: Cts = {"ORF1ab": None, "N": None, "IC": 27.5}
POSITIVE_CONTROL: Cts = {"ORF1ab": 30.1, "N": 31.2, "IC": None}
NEGATIVE_CONTROL: Cts = {"ORF1ab": None, "N": None, "IC": None}


def received_campaign(url: str, roster: Path, tmp: Path, name: str = "day1") -> list[str]:
    """init, the roster, a campaign, every tube received; its tube barcodes in walk order."""
    assert 0 == run(url, "init").exit_code
    assert 0 == run(url, "roster", "import", str(roster)).exit_code
    assert 0 == run(url, "campaign", "new", name).exit_code
    assert 0 == run(url, "manifest", name, "-o", str(tmp / f"{name}-manifest.csv")).exit_code
    tubes = list(dict.fromkeys(r["tube_barcode"] for r in read_csv(tmp / f"{name}-manifest.csv")))
    r = run(url, "receive", name, input="".join(t + "\n" for t in tubes))
    assert 0 == r.exit_code, r.output
    return tubes


def plate_maps(path: Path) -> dict[str, list[dict[str, str]]]:
    """Plate barcode -> its map rows, from a plate map CSV."""
    out: dict[str, list[dict[str, str]]] = {}
    for row in read_csv(path):
        out.setdefault(row["plate_barcode"], []).append(row)
    return out


def export_wells(
    rows: list[dict[str, str]],
    sample_cts: Callable[[str], Cts] = lambda _tube: NEGATIVE,
    *,
    positive: Cts = POSITIVE_CONTROL,
    negative: Cts = NEGATIVE_CONTROL,
) -> list[tuple[str, str, str, Cts]]:
    """The wells of one plate's export: every mapped well with its Cts."""
    wells = []
    for r in rows:
        if r["kind"] == "sample":
            wells.append((r["well"], r["kind"], r["tube_barcode"], sample_cts(r["tube_barcode"])))
        elif r["kind"] == "positive_control":
            wells.append((r["well"], r["kind"], "PC", positive))
        elif r["kind"] == "negative_control":
            wells.append((r["well"], r["kind"], "NTC", negative))
    return wells


def write_export(
    path: Path,
    plate: str,
    wells: list[tuple[str, str, str, Cts]],
    fmt: str = "quantstudio",
    *,
    omitted: tuple[str, ...] = (),
    flags: Flags | None = None,
) -> Path:
    """A QuantStudio text export (with Omit and, given ``flags``, the flag columns) or a
    CFX Maestro CSV of one plate."""
    text = quantstudio_text(plate, wells, omitted=omitted, flags=flags) if fmt == "quantstudio" else cfx_text(wells)
    path.write_bytes(text.encode("utf-8"))
    return path


def write_workbook(
    path: Path,
    plate: str,
    wells: list[tuple[str, str, str, Cts]],
    layout: str = "quantstudio",
    *,
    omitted: tuple[str, ...] = (),
    flags: Flags | None = None,
    amp_status: Mapping[tuple[str, str], str] | None = None,
    quality: Mapping[tuple[str, str], str] | None = None,
) -> Path:
    """A QuantStudio export saved as Excel (``quantstudio_workbook``), written to ``path``."""
    path.write_bytes(
        quantstudio_workbook(plate, wells, layout, omitted=omitted, flags=flags, amp_status=amp_status, quality=quality)
    )
    return path
