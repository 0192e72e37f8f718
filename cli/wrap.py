"""Help texts wrapped by the columns a terminal gives them, for the Chinese interface.

Click measures text in characters and breaks lines at spaces: a Chinese sentence (no
spaces, each character two columns wide) runs to twice the terminal's width before it
breaks. ``WideFormatter`` measures a CJK character as two columns and may break a line
between any two of them (never before a closing mark such as ，or 。); paragraphs that
Click keeps as written (``\\b``) stay as written."""

from __future__ import annotations

import re
from collections.abc import Iterable

import click

from .common import display_width

_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
# one wide character with the opening marks before it and the closing marks after it (a
# line never ends on an opening mark nor starts with a closing one), a run of other
# characters (an English word, a command, an option) with the closing marks after it, or a
# run of spaces
_CLOSING = "，。；：、）」』”！？"
_TOKEN = re.compile(rf"[（「『“(\[]*[{_WIDE}][{_CLOSING}\])]*|[^\s{_WIDE}]+[{_CLOSING}]*|\s+")


def _fill(text: str, width: int, first_indent: str, indent: str) -> list[str]:
    """One paragraph's lines, each at most ``width`` columns (a token wider than a line
    gets a line of its own)."""
    lines: list[str] = []
    line, used, empty = first_indent, display_width(first_indent), True
    for token in _TOKEN.findall(text):
        if token.isspace():
            if not empty:
                line, used = line + " ", used + 1
            continue
        size = display_width(token)
        if not empty and used + size > width:
            lines.append(line.rstrip())
            line, used, empty = indent, display_width(indent), True
        line, used, empty = line + token, used + size, False
    lines.append(line.rstrip())
    return lines


def _join(lines: list[str]) -> str:
    """A paragraph's source lines as one: a space between them, none between two wide characters."""
    text = ""
    for line in lines:
        if text and not (re.match(rf"[{_WIDE}]", line) and re.search(rf"[{_WIDE}]$", text)):
            text += " "
        text += line
    return text


def wrap_text(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> str:
    """Click's ``wrap_text(..., preserve_paragraphs=True)`` measured in columns: paragraphs
    apart by a blank line, each indented as its first line is, a ``\\b`` one kept as written."""
    paragraphs: list[tuple[int, bool, list[str]]] = []
    for block in re.split(r"\n[ \t]*\n", text.expandtabs().strip("\n")):
        lines = block.splitlines()
        if not lines:
            continue
        raw = lines[0].strip() == "\b"
        if raw:
            lines = lines[1:]
        first = lines[0] if lines else ""
        paragraphs.append((len(first) - len(first.lstrip()), raw, lines if raw else [ln.strip() for ln in lines]))
    out = []
    for extra, raw, lines in paragraphs:
        first_indent = initial_indent + " " * extra
        indent = subsequent_indent + " " * extra
        if raw:  # as written: the first line re-indented, the others keep their own indent
            out.append("\n".join([first_indent + lines[0].lstrip(), *(indent + line for line in lines[1:])]))
        else:
            out.append("\n".join(_fill(_join(lines), width, first_indent, indent)))
    return "\n\n".join(out)


class WideFormatter(click.HelpFormatter):
    """Click's help formatter, measuring a CJK character as the two columns it takes."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write(wrap_text(text, self.width, indent, indent))
        self.write("\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((display_width(first) for first, _second in rows), default=0), col_max) + col_spacing
        text_width = max(self.width - first_col - 2, 10)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_text(second, text_width).splitlines() or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n" if line else "\n")
