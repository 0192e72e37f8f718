"""Big CSV files read block by block: decoded as they are read, rows parsed a block at a
time, so memory follows the block and not the file (a city's roster is a gigabyte).

A file up to one block (``BLOCK_BYTES``) is decoded whole, exactly as ``csvio.read_text``
does. A larger one is judged by its head (its first block, cut at a line break): UTF-8
with or without BOM, or GB18030 when the detector finds it a confident fit. The rest is
decoded block by block in that encoding, and a block that does not decode is refused with
its file line. One case switches on the way: a head of plain ASCII followed by bytes that
are not UTF-8 is judged again on that block (ASCII reads the same in GB18030).

Blocks end at a line break (0x0A is never part of a character in UTF-8 or GB18030, nor in
any encoding that writes a line break as the single byte 0x0A); a block that ends inside a
quoted field is joined to the next one.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Iterator, Sequence
from typing import NoReturn

import attrs

from poolab.errors import InputRejected, Problem
from poolab.files.csvio import (
    MAX_CELL,
    PRIVATE_USE,
    check_header,
    decode_as,
    decode_bytes,
    decode_gb18030,
    ends_quoted,
    line_of,
    long_cells,
    parse_careful,
    parse_careful_block,
    parse_simple,
    parse_simple_block,
)
from poolab.files.whole import MAX_WHOLE_FILE
from poolab.i18n import _
from poolab.masking import looks_like_a_roster

BLOCK_BYTES = 4 << 20
"""Bytes read at a time (about 50,000 roster lines). A file of one block or less is
decoded whole; a larger one's encoding is judged on its first block."""
MIN_BLOCK_BYTES = 1 << 16
MAX_LINE_BYTES = 16 << 20
"""Bytes one line may hold: far beyond any roster or instrument line (a cell holds at most
``MAX_CELL`` characters), and small enough that /dev/zero or a line that never ends is
refused at once instead of read into memory for ever."""
MAX_RECORD_CHARS = 64 << 20
"""Characters one record may span when a quoted field runs over many lines."""


def min_block_bytes() -> int:
    """The smallest block read (read when called: a test makes blocks of a few bytes)."""
    return MIN_BLOCK_BYTES


@attrs.frozen(slots=True)
class TextBlock:
    """Decoded text ending at a line break (or at the end of the file), and the file line
    its first character is on."""

    text: str
    first_line: int


class TextBlocks:
    """The decoded text of a file, block by block. ``encoding`` is known once the object
    exists (the head is judged at once, so a refusal comes before any work)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        encoding: str | None = None,
        *,
        block_bytes: int = BLOCK_BYTES,
        hashed: bool = False,
    ):
        self.source = os.fspath(path)
        self.block_bytes = max(min_block_bytes(), block_bytes)
        # the content hash of exactly the bytes read (a file that changes while it is read
        # is hashed as it was parsed); off by default: a roster does not need it
        self._digest = hashlib.sha256() if hashed else None
        self._file = open(self.source, "rb")  # closed by close() / __exit__
        try:
            self._start(encoding)
        except BaseException:
            self._file.close()
            raise

    def _start(self, encoding: str | None) -> None:
        size = os.fstat(self._file.fileno()).st_size
        self.size = size
        self.done = 0  # bytes handed out so far
        streamable = encoding is None or _newline_is_one_byte(encoding)
        data = self._read(self.block_bytes) if streamable else b""
        while streamable and b"\n" not in data and (more := self._read(self.block_bytes)):
            data += more  # the head ends at a line break, never inside a character
            if len(data) > MAX_LINE_BYTES:
                self._refuse_long_line(data, 1)
        if not streamable or not self._file.peek(1):
            data += self._read(MAX_WHOLE_FILE + 1 - len(data))  # UTF-16 is read whole: bounded
            if len(data) > MAX_WHOLE_FILE:
                raise InputRejected(
                    _("{source}: the file is larger than {size} MiB in {encoding}").format(
                        source=self.source, size=MAX_WHOLE_FILE >> 20, encoding=encoding
                    ),
                    [],
                )
            text, self.encoding = decode_bytes(data, self.source, encoding)
            self._head: TextBlock | None = TextBlock(text, 1)
            self._carry = b""
            self._line = 1 + data.count(b"\n")
            self._eof = True
            self.done = len(data)
            return
        cut = data.rfind(b"\n") + 1
        head, self._carry = data[:cut], data[cut:]
        if encoding is not None:
            text = decode_as(head, self.source, encoding)
            self.encoding = encoding
            self._stream = codecs.lookup(encoding).name
        else:
            text, self.encoding = decode_bytes(head, self.source)
            self._stream = "gb18030" if self.encoding == "gb18030" else "utf-8"
        self._guessed = encoding is None
        self._ascii = text.isascii()
        self._head = TextBlock(text, 1)
        self._line = 1 + head.count(b"\n")
        self._eof = False
        self.done = len(head)

    def __iter__(self) -> Iterator[TextBlock]:
        if self._head is not None:
            head, self._head = self._head, None
            yield head
        while not self._eof:
            data = self._carry + self._read(self.block_bytes)
            if len(data) == len(self._carry):
                self._eof = True
                self._carry = b""
            else:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # no line break in a whole block: keep reading the line
                    if len(data) > MAX_LINE_BYTES:
                        self._refuse_long_line(data, self._line)
                    self._carry = data
                    continue
                data, self._carry = data[:cut], data[cut:]
            if not data:
                continue
            first = self._line
            self._line += data.count(b"\n")
            self.done += len(data)
            yield TextBlock(self._decode(data, first), first)
            del data  # the next block is read with nothing of this one held

    def _read(self, size: int) -> bytes:
        data = self._file.read(size)
        if self._digest is not None:
            self._digest.update(data)
        return data

    @property
    def sha256(self) -> str:
        """The SHA-256 of the file's bytes (``hashed``), once every block has been read."""
        if self._digest is None or not self._eof or self._head is not None:
            raise ValueError("sha256 needs hashed=True and the whole file read")
        return self._digest.hexdigest()

    def _decode(self, data: bytes, first_line: int) -> str:
        if self._guessed and b"\x00" in data:
            at = data.find(b"\x00")
            raise InputRejected(
                _(
                    "{source}: file is not UTF-8 (with or without BOM) or GB18030 (it has {kind}); save it as UTF-8"
                ).format(source=self.source, kind=_("NUL bytes")),
                [
                    Problem(
                        self.source,
                        line_of(data, at, first_line),
                        data[at : at + 2].hex(" "),
                        _("file is not UTF-8 or GB18030 ({kind}); save it as UTF-8, or give --encoding").format(
                            kind=_("NUL bytes")
                        ),
                    )
                ],
            )
        if not self._guessed:
            return decode_as(data, self.source, self._stream, first_line)
        try:
            text = data.decode(self._stream)
        except UnicodeDecodeError as err:
            if self._stream != "utf-8" or not self._ascii:
                # GB18030 that stops decoding, or UTF-8 text followed by something else
                self._refuse(data, err, first_line)
            text = decode_gb18030(data, self.source, err, first_line)  # raises unless GB18030 fits
            self._stream = self.encoding = "gb18030"
        if self._stream == "gb18030" and (m := PRIVATE_USE.search(text)) is not None:
            # what the whole-file check refuses (Big5 lands in GB18030's private-use areas)
            line = first_line + text.count("\n", 0, m.start())
            private = UnicodeDecodeError("gb18030", data, 0, 1, "private use")
            decode_gb18030(data.splitlines(keepends=True)[line - first_line], self.source, private, line)
        self._ascii = self._ascii and text.isascii()
        return text

    def _refuse_long_line(self, data: bytes, line: int) -> NoReturn:
        raise InputRejected(
            _("{where}: line {line} has no line break in its first {size} MiB: not a CSV or text file of lines").format(
                where=f"{self.source}:{line}", line=line, size=MAX_LINE_BYTES >> 20
            ),
            [
                Problem(
                    self.source,
                    line,
                    data[:8].hex(" ") + " ...",
                    _("line longer than {size} MiB (first bytes in hex)").format(size=MAX_LINE_BYTES >> 20),
                )
            ],
        )

    def _refuse(self, data: bytes, err: UnicodeDecodeError, first_line: int) -> NoReturn:
        line = line_of(data, err.start, first_line)
        raise InputRejected(
            _("{source}: file is not {encoding} throughout (line {line}); save it as UTF-8").format(
                source=self.source, encoding=self.encoding, line=line
            ),
            [
                Problem(
                    self.source,
                    line,
                    data[err.start : max(err.end, err.start + 1)][:8].hex(" "),
                    _("bytes invalid as {encoding} (the file starts as {encoding})").format(encoding=self.encoding),
                )
            ],
        )

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TextBlocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _newline_is_one_byte(encoding: str) -> bool:
    """Whether blocks of this encoding may be cut at the byte 0x0A (not UTF-16 or UTF-32)."""
    try:
        return "\n".encode(codecs.lookup(encoding).name) == b"\n"
    except (LookupError, UnicodeError):
        return False  # an unknown encoding is refused by the whole-file path, with its name


def _whole_records(blocks: Iterator[TextBlock], source: str) -> Iterator[TextBlock]:
    """Blocks joined until each holds whole records: a block that ends inside a quoted
    field is joined to the next one (up to ``MAX_RECORD_CHARS``: a quote that is never
    closed must not make the whole file one record in memory)."""
    pending: list[str] = []
    held = 0
    first = 0
    inside = False
    for block in blocks:
        if not pending:
            first = block.first_line
            held = 0
        pending.append(block.text)
        held += len(block.text)
        inside = ends_quoted(block.text, inside) if inside or '"' in block.text else False
        if inside and held > MAX_RECORD_CHARS:
            raise InputRejected(
                _(
                    "{where}: a quote opened in the block from line {line} is still open "
                    "after {count} characters; close the quote"
                ).format(where=f"{source}:{first}", line=first, count=f"{held:,}"),
                [Problem(source, first, '"', _("quoted field never closed"))],
            )
        if not inside:
            text = pending[0] if len(pending) == 1 else "".join(pending)
            pending = []
            yield TextBlock(text, first)
            del text, block
    if pending:  # an unclosed quote at the end: the careful parser names it
        yield TextBlock("".join(pending), first)


def _long_cells(
    text: str, header: Sequence[str], columns: Sequence[list[str]], lines: list[int], source: str
) -> list[Problem]:
    """``long_cells``, skipped when no line of the block is that long (a look at every
    line break instead of one pass per column)."""
    if not _has_long_line(text, MAX_CELL):
        return []
    return long_cells(header, columns, lines, source)


def _has_long_line(text: str, limit: int) -> bool:
    """Whether a line of ``text`` has more than ``limit`` characters: from a line's start,
    the last line break within ``limit + 1`` characters ends only lines shorter than that,
    so the search jumps there (a 4 MB block in about a thousand steps; splitting it into
    lines took ten times as long)."""
    start, end = 0, len(text)
    rfind = text.rfind
    while end - start > limit:
        at = rfind("\n", start, start + limit + 1)
        if at < 0:
            return True
        start = at + 1
    return False


def _plain(rows: str) -> str | None:
    """``CsvChunk.plain`` of rows that ``parse_simple`` read (it takes a CR LF for a line
    break: such a block is left without)."""
    return None if "\r" in rows else rows.rstrip("\n")


@attrs.frozen(slots=True)
class CsvChunk:
    """The rows of one block: a list of values per header column, the file line of each
    row, and the structural problems found in it. ``plain``: the rows as the file wrote
    them, a line each (no final line break), when every comma there is a separator and
    every value is as written (no quote, no line break but ``\n``); else None."""

    columns: tuple[list[str], ...]
    lines: list[int]
    problems: list[Problem]
    plain: str | None = None

    def __len__(self) -> int:
        return len(self.lines)


class CsvStream:
    """A CSV file under a checked header, read a block at a time (``chunks``).

    The header is read when the stream opens: ``header`` (lower-cased), ``problems``
    (an empty file, missing or repeated columns)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        required: Sequence[str],
        optional: Sequence[str] = (),
        encoding: str | None = None,
        *,
        block_bytes: int = BLOCK_BYTES,
        hashed: bool = False,
    ) -> None:
        self.text = TextBlocks(path, encoding, block_bytes=block_bytes, hashed=hashed)
        self.source = self.text.source
        self._blocks = _whole_records(iter(self.text), self.source)
        self.problems: list[Problem] = []
        self._first: CsvChunk | None = None
        self._personal = looks_like_a_roster(required)  # a roster's lines are echoed masked
        try:
            self._read_header(required, optional)
        except BaseException:
            self.text.close()
            raise

    @property
    def encoding(self) -> str:
        return self.text.encoding

    def _read_header(self, required: Sequence[str], optional: Sequence[str]) -> None:
        header: list[str] = []
        for block in self._blocks:
            problems: list[Problem] = []
            simple = parse_simple(block.text) if block.first_line == 1 else None
            plain = None
            if simple is not None:
                header, columns = simple
                lines = list(range(2, len(columns[0]) + 2))
                header_line = 1
                at = block.text.find("\n") + 1
                plain = _plain(block.text[at:]) if at else ""
            else:
                header, rows, lines, header_line = parse_careful(
                    block.text, self.source, problems, line_offset=block.first_line - 1, personal=self._personal
                )
                header_line += block.first_line - 1 if header_line else 0
                columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in header]
            if header_line:
                self.header = tuple(c.lower() for c in header)  # "Resident_ID" from a spreadsheet is fine
                named = list(self.header)
                while named and not named[-1]:
                    named.pop()  # a spreadsheet's empty trailing columns
                self.problems = check_header(named, required, optional, self.source, header_line)
                problems += _long_cells(block.text, self.header, columns, lines, self.source)
                self._first = CsvChunk(tuple(columns), lines, problems, plain)
                return
            self.problems += problems
        self.header = ()
        self.problems.append(
            Problem(
                self.source,
                1,
                "",
                _("file is empty: expected a header line {header}").format(header=",".join([*required, *optional])),
            )
        )

    def chunks(self) -> Iterator[CsvChunk]:
        """The rows, a block at a time."""
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        width = len(self.header)
        if not width:
            return
        for block in self._blocks:
            problems: list[Problem] = []
            plain = None
            simple = parse_simple_block(block.text, width)
            if simple is not None:
                columns, lines = simple, list(range(block.first_line, block.first_line + len(simple[0])))
                plain = _plain(block.text)
            else:
                columns, lines = parse_careful_block(
                    block.text, self.source, width, block.first_line, problems, self.header, self._personal
                )
            problems += _long_cells(block.text, self.header, columns, lines, self.source)
            del block, simple
            yield CsvChunk(tuple(columns), lines, problems, plain)
            del columns, lines, problems, plain  # one chunk in memory at a time

    @property
    def sha256(self) -> str:
        """The file's content hash (opened ``hashed``), once every chunk has been read."""
        return self.text.sha256

    def ignored_columns(self, known: Sequence[str]) -> list[str]:
        """Header names outside ``known`` (their values are not read)."""
        return [c for c in self.header if c and c not in set(known)]

    @property
    def fraction_read(self) -> float:
        """How much of the file has been read (for a progress meter)."""
        return self.text.done / self.text.size if self.text.size else 1.0

    def column(self, chunk: CsvChunk, name: str) -> list[str]:
        """One column of a chunk ("" throughout if the file does not have it)."""
        try:
            return chunk.columns[self.header.index(name)]
        except ValueError:
            return [""] * len(chunk)

    def close(self) -> None:
        self.text.close()

    def __enter__(self) -> CsvStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
