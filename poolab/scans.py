"""Reading scan streams: one scan per line, from a file or standard input."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TextIO


def scan_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """(line number, raw text) of each line; '-' reads standard input as it arrives,
    so a scanner attached to a terminal is served line by line."""
    if os.fspath(path) == "-":
        yield from _numbered(sys.stdin)
        return
    from poolab.csvio import read_text

    text, _ = read_text(path)
    yield from enumerate(text.splitlines(), start=1)


def _numbered(stream: TextIO) -> Iterator[tuple[int, str]]:
    yield from enumerate(stream, start=1)


def source_name(path: str | os.PathLike[str]) -> str:
    """How a stream is named in messages."""
    return "<stdin>" if os.fspath(path) == "-" else os.fspath(path)
