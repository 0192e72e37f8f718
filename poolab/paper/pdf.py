"""One PDF file: drawn into a temporary file beside the target, renamed into place whole
(``poolab.files.atomic``), so a printer queue or a person never sees half a PDF."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import attrs

from poolab.errors import PoolabError
from poolab.files.atomic import atomic_file
from poolab.i18n import _

PRODUCER = "poolab"


@attrs.frozen(slots=True)
class PdfSummary:
    """A PDF written: where, how many pages, and how many items (labels, tubes) it holds."""

    path: str
    pages: int
    items: int
    residents: int = 0


@contextmanager
def replacing(target: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """The file to draw into: written whole or not at all (``atomic_file``)."""
    path = os.fspath(target)
    if path == "-":
        raise PoolabError(_("a PDF needs a file name (-o FILE.pdf), not '-'"))
    with atomic_file(path) as f:
        yield f


def new_canvas(path: str | BinaryIO, *, width: float, height: float, title: str, subject: str) -> Any:
    """A reportlab canvas of ``width`` x ``height`` points writing to ``path``, compressed."""
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(path, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(title)
    canvas.setSubject(subject)
    canvas.setAuthor(PRODUCER)
    canvas.setCreator(PRODUCER)
    return canvas


def save(canvas: Any) -> None:
    """Write the file with binary (zlib) streams. reportlab's default also wraps them in
    ASCII85, a fifth larger, for 7-bit channels no printer queue is; the setting is
    read while saving, so it is changed for this call only."""
    from reportlab import rl_config

    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        canvas.save()
    finally:
        rl_config.useA85 = before
