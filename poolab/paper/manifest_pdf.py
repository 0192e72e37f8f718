"""The sampling team's sheet: one section per building, each tube's barcode beside its
residents, a tick box per resident.

Every building starts on a new page (a team can split a compound's stack by building);
a tube block is never split across pages unless it is taller than a page. Pages are laid
out first (cheap: only row counts), so every page can say "page 2 of 4" for its building
and "sheet 45 of 2,441" overall; then drawn and emitted one at a time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import attrs

from poolab.files.meter import Progress, no_progress
from poolab.i18n import _, ngettext
from poolab.paper import fonts
from poolab.paper.barcode import draw_code128
from poolab.paper.pdf import PdfSummary, new_canvas, replacing, save
from poolab.paper.stocks import A4_H, A4_W, MM
from poolab.paper.text import draw_fitted, place

# Geometry, millimetres from the page's bottom-left corner.
MARGIN_X = 12.0
HEADER_TOP = A4_H - 10.0
BODY_TOP = A4_H - 33.0  # below the header and the column heads
BODY_BOTTOM = 16.0  # above the footer
ROW = 4.4  # one resident
PAD = 1.8  # above and below a block's rows
BARCODE_COLUMN = 60.0  # the left column: barcode, code, count
BARCODE_HEIGHT = 11.0
BLOCK_MIN = 2 * PAD + BARCODE_HEIGHT + 9.5  # bars, the code under them and the count line
NOTE_LINE = 3.4  # a tube shared with another building says so on one more line
BOX_HEIGHT = 12.0  # where a field team sticks or writes a pre-printed tube's code
TABLE_LEFT = MARGIN_X + BARCODE_COLUMN + 2.0
TABLE_RIGHT = A4_W - MARGIN_X
# (heading, left edge, width, alignment) of the resident table; the tick box comes first.
COLUMNS = (
    ("#", TABLE_LEFT + 5.5, 5.0, "right"),
    ("unit", TABLE_LEFT + 13.0, 17.0, "left"),
    ("room", TABLE_LEFT + 31.0, 18.0, "left"),
    ("name", TABLE_LEFT + 50.0, 31.0, "left"),
    ("resident", TABLE_LEFT + 82.0, 22.0, "left"),
    ("household", TABLE_LEFT + 105.0, TABLE_RIGHT - TABLE_LEFT - 105.0, "left"),
)


def _column_heads() -> dict[str, str]:
    """The resident table's headings in the current language (English: both languages)."""
    return {
        "#": "#",
        "unit": _("单元 Unit"),
        "room": _("房间 Room"),
        "name": _("姓名 Name"),
        "resident": _("居民编号 Resident"),
        "household": _("户号 Household"),
    }


CELL_FIELDS = ("slot", "unit", "room", "name", "resident_id", "household_id")
CELL_SIZES = (8.5, 9.5, 9.5, 10.5, 8.5, 8.5)
TICK = 3.4  # tick box side
GREY = 0.35
STRIPE = 0.93


@attrs.frozen(slots=True)
class Person:
    """One resident's row on the sheet (name already masked, or not, as asked)."""

    slot: str
    unit: str
    room: str
    name: str
    resident_id: str
    household_id: str


@attrs.frozen(slots=True)
class TubeBlock:
    """A tube and its residents in one building. ``code`` is empty for residents not yet in
    a tube (field binding); ``barcode`` is False where the tube's barcode is printed in
    another building's section (``note`` says which)."""

    code: str
    people: tuple[Person, ...]
    barcode: bool = True
    note: str = ""


@attrs.frozen(slots=True)
class Section:
    """One building of one compound, its tubes in walk order."""

    compound: str
    building: str
    blocks: tuple[TubeBlock, ...]

    @property
    def residents(self) -> int:
        return sum(len(b.people) for b in self.blocks)


@attrs.frozen(slots=True)
class SheetHeading:
    """What every page says about the campaign."""

    campaign: str
    created: str  # the campaign's date
    printed: str  # when this file was made
    masked: bool


@attrs.frozen(slots=True)
class _Piece:
    block: TubeBlock
    start: int  # rows [start, stop) of the block on this page
    stop: int

    @property
    def first(self) -> bool:
        return self.start == 0


@attrs.frozen(slots=True)
class _Page:
    section: int
    number: int  # within the section, from 1
    pieces: tuple[_Piece, ...]


def block_height(rows: int, *, note: bool = False) -> float:
    """Height (mm) of a block of ``rows`` residents (and a note line under the count)."""
    return max(BLOCK_MIN + (NOTE_LINE if note else 0.0), 2 * PAD + rows * ROW)


def paginate(sections: Sequence[Section]) -> list[_Page]:
    """Pages in order: each section from a new page, blocks whole where they fit."""
    room = BODY_TOP - BODY_BOTTOM
    per_page_rows = int((room - 2 * PAD) // ROW)
    pages: list[_Page] = []
    for s, section in enumerate(sections):
        pieces: list[_Piece] = []
        used = 0.0
        number = 1
        for block in section.blocks:
            for start in range(0, max(1, len(block.people)), per_page_rows):
                stop = min(len(block.people), start + per_page_rows)
                h = block_height(stop - start, note=bool(block.note))
                if pieces and used + h > room:
                    pages.append(_Page(s, number, tuple(pieces)))
                    pieces, used, number = [], 0.0, number + 1
                pieces.append(_Piece(block, start, stop))
                used += h
        pages.append(_Page(s, number, tuple(pieces)))
    return pages


PROGRESS_STEP = "manifest PDF"


def render_manifest(
    sections: Sequence[Section],
    output: str | os.PathLike[str],
    heading: SheetHeading,
    *,
    progress: Progress = no_progress,
) -> PdfSummary:
    """Write the sheet to the PDF ``output``; ``progress`` hears the pages drawn."""
    fonts.register_fonts()
    pages = paginate(sections)
    section_pages = [0] * len(sections)
    for p in pages:
        section_pages[p.section] = p.number
    tubes = {b.code for s in sections for b in s.blocks if b.code}
    with replacing(output) as temp:
        canvas = new_canvas(
            temp,
            width=A4_W * MM,
            height=A4_H * MM,
            title=_("Sampling manifest {campaign}").format(campaign=heading.campaign),
            subject="manifest",
        )
        for sheet, page in enumerate(pages, start=1):
            section = sections[page.section]
            _draw_header(canvas, heading, section, page.number, section_pages[page.section])
            _draw_footer(canvas, heading, sheet, len(pages))
            top = BODY_TOP
            for piece in page.pieces:
                top = _draw_piece(canvas, piece, top, section)
            canvas.showPage()
            progress(_("manifest PDF"), sheet / len(pages), sheet)
        save(canvas)
    progress(_("manifest PDF"), 1.0, len(pages))
    return PdfSummary(
        path=os.fspath(output), pages=len(pages), items=len(tubes), residents=sum(s.residents for s in sections)
    )


def _tubes(n: int) -> str:
    return ngettext("{count} tube", "{count} tubes", n).format(count=f"{n:,}")


def _residents(n: int) -> str:
    return ngettext("{count} resident", "{count} residents", n).format(count=f"{n:,}")


def _grey(canvas: Any, level: float) -> None:
    canvas.setFillGray(level)
    canvas.setStrokeGray(level)


def _draw_header(canvas: Any, heading: SheetHeading, section: Section, number: int, of: int) -> None:
    left, width = MARGIN_X * MM, (A4_W - 2 * MARGIN_X) * MM
    y = (HEADER_TOP - 5.5) * MM
    _grey(canvas, 0)
    title = f"{section.compound} · {section.building}"
    draw_fitted(canvas, title, font=fonts.TEXT, size=16, x=left, y=y, width=width * 0.66, bold=True)
    pages = _("{building}  第 {number}/{of} 页 · page {number} of {of}").format(
        building=section.building, number=number, of=of
    )
    draw_fitted(canvas, pages, font=fonts.TEXT, size=11, x=left + width * 0.66, y=y, width=width * 0.34, align="right")
    y -= 6.5 * MM
    what = _("采样清单 Sampling manifest · campaign {campaign}").format(campaign=heading.campaign) + (
        f" · {heading.created}" if heading.created else ""
    )
    draw_fitted(canvas, what, font=fonts.TEXT, size=10, x=left, y=y, width=width * 0.5)
    masking = _("names masked") if heading.masked else _("NAMES IN FULL: keep this sheet safe")
    unbound = sum(len(b.people) for b in section.blocks if not b.code)
    tubes = sum(1 for b in section.blocks if b.code)
    if unbound:
        counts = _("this building: {tubes}, {residents} ({waiting} not in a tube yet) · {masking}").format(
            tubes=_tubes(tubes), residents=_residents(section.residents), waiting=unbound, masking=masking
        )
    else:
        counts = _("this building: {tubes}, {residents} · {masking}").format(
            tubes=_tubes(tubes), residents=_residents(section.residents), masking=masking
        )
    _grey(canvas, GREY if heading.masked else 0)
    draw_fitted(canvas, counts, font=fonts.TEXT, size=8.5, x=left + width * 0.5, y=y, width=width * 0.5, align="right")
    # column heads
    y = (BODY_TOP + 2.0) * MM
    _grey(canvas, GREY)
    canvas.setFont(fonts.TEXT, 7.5)
    canvas.drawString(left, y, _("试管 Tube (scan)"))
    canvas.drawString(TABLE_LEFT * MM, y, "✓")
    heads = _column_heads()
    for name, x, w, align in COLUMNS:
        draw_fitted(canvas, heads[name], font=fonts.TEXT, size=7.5, x=x * MM, y=y, width=w * MM, align=align)
    canvas.setLineWidth(0.8)
    _grey(canvas, 0)
    canvas.line(left, (BODY_TOP + 0.6) * MM, left + width, (BODY_TOP + 0.6) * MM)


def _draw_footer(canvas: Any, heading: SheetHeading, sheet: int, sheets: int) -> None:
    y = (BODY_BOTTOM - 7.0) * MM
    _grey(canvas, GREY)
    canvas.setFont(fonts.TEXT, 7.5)
    canvas.drawString(
        MARGIN_X * MM,
        y,
        _("poolab · campaign {campaign} · printed {printed}").format(
            campaign=heading.campaign, printed=heading.printed
        ),
    )
    canvas.drawRightString((A4_W - MARGIN_X) * MM, y, _("sheet {sheet} of {sheets}").format(sheet=sheet, sheets=sheets))


def _draw_piece(canvas: Any, piece: _Piece, top: float, section: Section) -> float:
    """Draw a block (or the part of it on this page) from ``top`` (mm); returns its bottom."""
    block = piece.block
    rows = piece.stop - piece.start
    bottom = top - block_height(rows, note=bool(block.note))
    left = MARGIN_X * MM
    # the tube column
    bars_top = top - PAD - 0.4
    if block.code and block.barcode and piece.first:
        _grey(canvas, 0)
        draw_code128(
            canvas,
            block.code,
            centre_x=left + BARCODE_COLUMN * MM / 2,
            bottom=(bars_top - BARCODE_HEIGHT) * MM,
            width=(BARCODE_COLUMN - 2) * MM,
            height=BARCODE_HEIGHT * MM,
        )
        code_y = bars_top - BARCODE_HEIGHT - 4.0
    elif block.code:
        code_y = bars_top - 3.6
    else:
        code_y = bars_top - BOX_HEIGHT + 0.2  # the count goes under the box, like under a code
    _grey(canvas, 0)
    if block.code:
        shown = block.code if piece.first else _("{tube} (continued)").format(tube=block.code)
        draw_fitted(
            canvas,
            shown,
            font=fonts.CODE,
            size=11,
            x=left,
            y=code_y * MM,
            width=BARCODE_COLUMN * MM,
            align="centre",
            bold=True,
        )
        n = len(block.people)
        count = (
            ngettext("{count} resident here", "{count} residents here", n).format(count=f"{n:,}")
            if block.note
            else _residents(n)
        )
    else:
        canvas.setLineWidth(0.6)
        canvas.setDash(2, 2)
        canvas.rect(
            left + 2 * MM, (bars_top - BOX_HEIGHT) * MM, (BARCODE_COLUMN - 4) * MM, BOX_HEIGHT * MM, stroke=1, fill=0
        )
        canvas.setDash()
        count = _("no tube yet: stick or write the tube's code above")
    _grey(canvas, GREY)
    for i, line in enumerate((count, block.note) if block.note else (count,)):
        y = (code_y - 4.2 - i * NOTE_LINE) * MM
        draw_fitted(canvas, line, font=fonts.TEXT, size=7.5, x=left, y=y, width=BARCODE_COLUMN * MM, align="centre")
    _draw_people(canvas, block.people[piece.start : piece.stop], top - PAD)
    # the rule under the block
    _grey(canvas, 0.6)
    canvas.setLineWidth(0.5)
    canvas.line(left, bottom * MM, TABLE_RIGHT * MM, bottom * MM)
    return bottom


def _draw_people(canvas: Any, people: Sequence[Person], top: float) -> None:
    """The resident rows from ``top`` (mm): stripes, tick boxes, then the table column by
    column in one text object (a font change per column, not per cell)."""
    stripes = canvas.beginPath()
    boxes = canvas.beginPath()
    for i in range(len(people)):
        row_bottom = top - (i + 1) * ROW
        if i % 2:
            stripes.rect((TABLE_LEFT - 1) * MM, row_bottom * MM, (TABLE_RIGHT - TABLE_LEFT + 1) * MM, ROW * MM)
        boxes.rect(TABLE_LEFT * MM, (row_bottom + (ROW - TICK) / 2) * MM, TICK * MM, TICK * MM)
    canvas.setFillGray(STRIPE)
    canvas.drawPath(stripes, stroke=0, fill=1)
    _grey(canvas, 0)
    canvas.setLineWidth(0.7)
    canvas.drawPath(boxes, stroke=1, fill=0)
    text = canvas.beginText()
    for (_head, x, w, align), size, field in zip(COLUMNS, CELL_SIZES, CELL_FIELDS, strict=True):
        text.setFont(fonts.TEXT, size)
        for i, person in enumerate(people):
            value = getattr(person, field)
            if value:
                base = (top - (i + 1) * ROW + 1.15) * MM
                place(text, value, font=fonts.TEXT, size=size, x=x * MM, y=base, width=w * MM, align=align)
    canvas.drawText(text)
