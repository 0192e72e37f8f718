"""The optional ``print`` extra: reportlab draws the PDFs and the barcodes."""

from __future__ import annotations

from poolab.errors import PoolabError
from poolab.i18n import _

INSTALL_HINT = "pip install 'poolab[print]'"


class PrintExtraMissing(PoolabError):
    """reportlab is not installed."""


def require_print() -> None:
    """Raise ``PrintExtraMissing`` (one line naming the extra) unless reportlab imports."""
    try:
        import reportlab  # noqa: F401
    except ImportError:
        raise PrintExtraMissing(
            _("printing PDFs needs the print extra: {command}").format(command=INSTALL_HINT)
        ) from None
