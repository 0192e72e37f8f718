"""Padding text into columns as a terminal shows it: a Chinese character (or any East
Asian wide or full-width one) takes two columns, so ``str.ljust`` would push a row of
Chinese headings out of line with its figures.

The width rule is Unicode's East Asian Width (what ``wcwidth`` implements), read from the
standard library's ``unicodedata``; combining marks take none.
"""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def left(text: str, columns: int) -> str:
    """``text`` padded on the right to ``columns`` (never cut)."""
    return text + " " * max(0, columns - width(text))


def right(text: str, columns: int) -> str:
    """``text`` padded on the left to ``columns`` (never cut)."""
    return " " * max(0, columns - width(text)) + text
