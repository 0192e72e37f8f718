"""Reading printed PDFs back as a scanner and a person would: pdftoppm renders every page
at 300 dpi, zbarimg decodes the barcodes, pdftotext reads the text layer.

The tools are Debian packages (poppler-utils, zbar-tools; ``.ci/run`` installs them): a
missing tool fails the test that needs it, it is never skipped.

zbar reports a code once per image even when it appears twice on it, so "each code once"
is checked on separate images: one per label cell, or one per barcode of the manifest's
tube column (cut at the blank rows between barcodes).
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from poolab.paper.stocks import LabelStock

DPI = 300
ZBAR_NS = "{http://zbar.sourceforge.net/2008/barcode}"


def tool(name: str, package: str) -> str:
    """The path of a command-line tool; fails (never skips) when it is not installed."""
    path = shutil.which(name)
    assert path is not None, f"{name} not found: apt-get install {package} (.ci/run installs it)"
    return path


def render(pdf: Path, folder: Path) -> list[Path]:
    """Every page of ``pdf`` as a 300 dpi greyscale image, in page order."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [tool("pdftoppm", "poppler-utils"), "-r", str(DPI), "-gray", str(pdf), str(folder / "p")], check=True
    )
    return sorted(folder.glob("p-*.pgm"))


def decode(images: Sequence[Path]) -> list[list[str]]:
    """The Code 128 symbols zbarimg finds in each image (one list per image, in order)."""
    if not images:
        return []
    out = subprocess.run(
        [tool("zbarimg", "zbar-tools"), "--xml", "--nodbus", "-Sdisable", "-Scode128.enable", *map(str, images)],
        capture_output=True,
        text=True,
    )
    assert out.returncode in (0, 4), out.stderr  # 4: some image had no symbol
    found: dict[str, list[str]] = {}
    for source in ET.fromstring(out.stdout).iter(f"{ZBAR_NS}source"):
        found[source.attrib["href"]] = [d.text or "" for d in source.iter(f"{ZBAR_NS}data")]
    return [found.get(str(p), []) for p in images]


def pdf_text(pdf: Path, *, layout: bool = False) -> list[str]:
    """The text layer of each page (pdftotext)."""
    args = [tool("pdftotext", "poppler-utils"), "-enc", "UTF-8", *(["-layout"] if layout else []), str(pdf), "-"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return out.split("\f")[:-1]  # every page ends with a form feed


def embedded_fonts(pdf: Path) -> list[str]:
    """Lines of ``pdffonts`` for the fonts embedded in ``pdf``."""
    out = subprocess.run([tool("pdffonts", "poppler-utils"), str(pdf)], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines()[2:] if " yes " in line]


def _px(mm: float) -> int:
    return int(round(mm / 25.4 * DPI))


def label_cells(pages: Sequence[Path], stock: LabelStock, folder: Path) -> list[Path]:
    """Each label cell of each page as its own image, in label order."""
    folder.mkdir(parents=True, exist_ok=True)
    cells = []
    for n, page in enumerate(pages):
        img = Image.open(page)
        for i in range(stock.per_page):
            x, y = stock.origin(i)
            top = stock.page_height - y - stock.label_height
            box = (_px(x), _px(top), _px(x + stock.label_width), _px(top + stock.label_height))
            path = folder / f"c{n:05d}-{i:03d}.pgm"
            img.crop(box).save(path)
            cells.append(path)
    return cells


def column_barcodes(pages: Sequence[Path], left_mm: float, width_mm: float, folder: Path) -> list[Path]:
    """Each barcode of a page's column as its own image: the column is cut at blank rows,
    and every ink run at least 5 mm tall (bars; text lines are shorter) is kept."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n, page in enumerate(pages):
        img = Image.open(page)
        column = img.crop((_px(left_mm), 0, _px(left_mm + width_mm), img.height))
        ink = (np.asarray(column) < 128).any(axis=1)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], ink.astype(np.int8), [0]])))
        for k, (start, stop) in enumerate(zip(edges[::2], edges[1::2], strict=True)):
            if stop - start >= _px(5.0):
                pad = _px(2.0)
                path = folder / f"b{n:05d}-{k:03d}.pgm"
                column.crop((0, max(0, start - pad), column.width, min(img.height, stop + pad))).save(path)
                out.append(path)
    return out
