"""Instrument exports read as they come off the qPCR machine: one reading per well and
target, with its Ct as written.

One module per instrument, each split as allotropy splits its parsers: the reader cuts
the raw file into its parts (``lines.py`` is the cursor for section-based text files),
the structure turns those parts into ``Reading`` rows, ``constants`` hold the vendor's
literal strings. ``read_export`` picks the reader (``detect`` when the format is auto).
Nothing here knows plates, kits or the store: the bench (``poolab.lab.bench``) does.

May import: ``poolab.files``, the vocabulary; nothing of the store.
"""

from __future__ import annotations

from poolab.lab.instruments.detect import FORMATS, INSTRUMENT_FORMATS, detect_format, read_export
from poolab.lab.instruments.model import Export, Reading

__all__ = ["FORMATS", "INSTRUMENT_FORMATS", "Export", "Reading", "detect_format", "read_export"]
