"""A cursor over the lines of a section-based text export (allotropy's ``LinesReader``):
each step takes lines from where the last one stopped, and every line keeps its number."""

from __future__ import annotations

import re
from collections.abc import Iterator


class LinesReader:
    """The lines of a text, walked forwards once; ``line_no`` is the 1-based number of
    the line ``peek`` would return."""

    def __init__(self, text: str) -> None:
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.index = 0

    @property
    def line_no(self) -> int:
        return self.index + 1

    def at_end(self) -> bool:
        return self.index >= len(self.lines)

    def peek(self) -> str | None:
        return None if self.at_end() else self.lines[self.index]

    def pop(self) -> str | None:
        line = self.peek()
        if line is not None:
            self.index += 1
        return line

    def match(self, pattern: re.Pattern[str]) -> bool:
        line = self.peek()
        return line is not None and pattern.search(line) is not None

    def pop_until(self, pattern: re.Pattern[str]) -> Iterator[tuple[int, str]]:
        """(number, line) of each line up to (not including) the next that matches."""
        while not self.at_end() and not self.match(pattern):
            yield self.line_no, self.lines[self.index]
            self.index += 1

    def pop_block(self) -> Iterator[tuple[int, str]]:
        """(number, line) of each line up to the next blank line or section heading."""
        while not self.at_end():
            line = self.lines[self.index]
            if not line.strip() or line.startswith("["):
                return
            yield self.line_no, line
            self.index += 1

    def drop_empty(self) -> None:
        while not self.at_end() and not self.lines[self.index].strip():
            self.index += 1
