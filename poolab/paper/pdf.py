"""One PDF file: drawn into a temporary file beside the target, renamed into place whole.

A reader (a printer queue, a person opening the file) never sees half a PDF: the target
is replaced by ``os.replace`` only after the last page is written, and a failure removes
the temporary file and leaves whatever was at the target before.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from poolab.errors import PoolabError

PRODUCER = "poolab"


@attrs.frozen(slots=True)
class PdfSummary:
    """A PDF written: where, how many pages, and how many items (labels, tubes) it holds."""

    path: str
    pages: int
    items: int
    residents: int = 0


@contextmanager
def replacing(target: str | os.PathLike[str]) -> Iterator[str]:
    """A temporary path in the target's folder; renamed onto ``target`` if the block
    succeeds, removed if it raises."""
    path = os.fspath(target)
    if path == "-":
        raise PoolabError("a PDF needs a file name (-o FILE.pdf), not '-'")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise PoolabError(f"{path}: folder {folder} does not exist")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise PoolabError(f"{path}: cannot write here ({exc.strerror})") from None
    os.close(fd)
    os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes 0600; a PDF gets the usual mode
    try:
        yield temp
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def new_canvas(path: str, *, width: float, height: float, title: str, subject: str) -> Any:
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
