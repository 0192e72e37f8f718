"""Label stock: the sheets and rolls ``poolab labels --layout`` knows, by name.

Sizes are those of common die-cut stock. A4 sheets are filled row by row, left to right,
so the labels peel off in walk order; a roll has one label per page (thermal printers
take the PDF page as the label).
"""

from __future__ import annotations

import attrs

from poolab.errors import PoolabError
from poolab.i18n import _

MM = 72.0 / 25.4  # PDF points per millimetre


@attrs.frozen(slots=True)
class LabelStock:
    """A sheet (or roll) of labels; lengths in millimetres."""

    name: str
    description: str
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    left: float  # page edge to the first column
    top: float  # page edge to the first row
    column_pitch: float  # left edge to left edge
    row_pitch: float  # top edge to top edge
    padding: float  # label edge to the printing
    barcode_height: float
    heading_pt: float  # the line above the barcode
    code_pt: float  # the code under the barcode
    line_pt: float  # the lines under the code
    lines_below: int  # how many lines under the code fit

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, index: int) -> tuple[float, float]:
        """Bottom-left corner (mm from the page's bottom-left) of label ``index`` on its page."""
        row, column = divmod(index % self.per_page, self.columns)
        x = self.left + column * self.column_pitch
        y = self.page_height - self.top - row * self.row_pitch - self.label_height
        return x, y


A4_W, A4_H = 210.0, 297.0

STOCKS: dict[str, LabelStock] = {
    s.name: s
    for s in (
        LabelStock(
            name="a4-3x8",
            description="A4 sheet, 3 x 8 labels of 70 x 37 mm (24 a sheet; e.g. Avery 3474, Herma 4453)",
            page_width=A4_W,
            page_height=A4_H,
            columns=3,
            rows=8,
            label_width=70.0,
            label_height=37.0,
            left=0.0,
            top=0.5,
            column_pitch=70.0,
            row_pitch=37.0,
            padding=3.5,
            barcode_height=13.0,
            heading_pt=10.0,
            code_pt=11.0,
            line_pt=8.0,
            lines_below=2,
        ),
        LabelStock(
            name="a4-5x13",
            description="A4 sheet, 5 x 13 labels of 38.1 x 21.2 mm (65 a sheet; e.g. Avery L7651), for small tubes",
            page_width=A4_W,
            page_height=A4_H,
            columns=5,
            rows=13,
            label_width=38.1,
            label_height=21.2,
            left=4.75,
            top=10.7,
            column_pitch=40.6,
            row_pitch=21.2,
            padding=1.2,
            barcode_height=8.0,
            heading_pt=6.5,
            code_pt=7.0,
            line_pt=5.5,
            lines_below=1,
        ),
        LabelStock(
            name="roll-50x30",
            description="roll of 50 x 30 mm labels, one label a page (thermal label printers)",
            page_width=50.0,
            page_height=30.0,
            columns=1,
            rows=1,
            label_width=50.0,
            label_height=30.0,
            left=0.0,
            top=0.0,
            column_pitch=50.0,
            row_pitch=30.0,
            padding=2.0,
            barcode_height=11.0,
            heading_pt=8.5,
            code_pt=9.5,
            line_pt=7.0,
            lines_below=1,
        ),
    )
}
DEFAULT_STOCK = "a4-3x8"


def stock_by_name(name: str) -> LabelStock:
    """The stock called ``name``; the error lists the ones there are."""
    try:
        return STOCKS[name]
    except KeyError:
        raise PoolabError(
            _("no label layout {name}; layouts: {layouts}").format(name=repr(name), layouts=", ".join(STOCKS))
        ) from None


def stock_description(stock: LabelStock) -> str:
    """A stock's description in the current language (``description`` stays English)."""
    words = {
        "a4-3x8": _("A4 sheet, 3 x 8 labels of 70 x 37 mm (24 a sheet; e.g. Avery 3474, Herma 4453)"),
        "a4-5x13": _("A4 sheet, 5 x 13 labels of 38.1 x 21.2 mm (65 a sheet; e.g. Avery L7651), for small tubes"),
        "roll-50x30": _("roll of 50 x 30 mm labels, one label a page (thermal label printers)"),
    }
    return words.get(stock.name, stock.description)
