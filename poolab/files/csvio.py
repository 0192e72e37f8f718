"""CSV files as people send them: UTF-8 (with or without BOM) or GB18030 in, UTF-8 out.

Reading is all or nothing: every structural problem of a file is collected and raised
together as one ``InputRejected`` naming the file, the line and the value.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import BinaryIO

import attrs

from poolab.errors import InputRejected, Problem
from poolab.files.atomic import atomic_file
from poolab.i18n import _
from poolab.masking import looks_like_a_roster, mask_row, redact

csv.field_size_limit(16 * 1024 * 1024)  # long cells are refused by MAX_CELL, with their line, not by csv

ACCEPTED_ENCODINGS = "UTF-8 (with or without BOM) or GB18030"
PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")
MAX_COLUMNS = 1000
"""Columns a header may have: a roster has nine, an instrument's export a few dozen; more
than this is not a file poolab reads (and the checks of a 200,000-column header would
take minutes)."""
_GB18030_BOM = "\ufeff"  # GB18030 encodes U+FEFF as 84 31 95 33; the codec keeps it


@attrs.frozen(slots=True)
class ExportSummary:
    """A CSV written: where, how many rows, and anything worth saying."""

    path: str
    rows: int
    new: int = 0


@attrs.frozen(slots=True)
class CsvTable:
    """A CSV file under a checked header: its columns, and the file line of each row."""

    source: str
    encoding: str
    header: tuple[str, ...]
    columns: tuple[list[str], ...]  # one list per header column, stripped
    lines: list[int]  # physical line (header = its own line) where each row starts

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def rows(self) -> list[list[str]]:
        """The rows as lists of fields, in header order."""
        return [list(r) for r in zip(*self.columns, strict=True)] if self.columns else [[] for _ in self.lines]

    def ignored_columns(self, known: Sequence[str]) -> list[str]:
        """Header names outside ``known`` (their values are not read)."""
        return [c for c in self.header if c and c not in set(known)]

    def column(self, name: str) -> list[str]:
        """The values of one column ("" throughout if the file does not have it)."""
        try:
            return self.columns[self.header.index(name)]
        except ValueError:
            return [""] * len(self.lines)


def line_of(data: bytes, position: int, first_line: int = 1) -> int:
    return data.count(b"\n", 0, position) + first_line


def _bad_bytes(data: bytes, start: int, end: int) -> str:
    return data[start : max(end, start + 1)][:8].hex(" ")


GB_CHAOS_LIMIT = 0.1
"""How much "mess" (charset-normalizer's chaos ratio: odd characters, broken words) a
file decoded as GB18030 may show (a district roster in GB18030 measures about 0.06)."""
GB_CHAOS_MARGIN = 0.02
"""How much messier GB18030 may read than the detector's best guess (Big5 files read
as GB18030 measured 0.07 and more above reading them as Big5)."""


def decode_bytes(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode a file's bytes: as ``encoding`` when given; else as UTF-8 (with or without
    BOM), or as GB18030 when a detector (charset-normalizer) finds GB18030 a confident
    fit. Anything else (Latin-1, Big5, UTF-16) is refused with a sample line."""
    if encoding is not None:
        return decode_as(data, source, encoding), encoding
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        nul = data.find(b"\x00")
        position = 0 if nul < 0 or data.startswith((b"\xff\xfe", b"\xfe\xff")) else nul
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        kind = _("UTF-16 or UTF-32") if utf16 else _("NUL bytes")
        raise InputRejected(
            _("{source}: file is not UTF-8 (with or without BOM) or GB18030 (it has {kind}); save it as UTF-8").format(
                source=source, kind=kind
            ),
            [
                Problem(
                    source,
                    line_of(data, position),
                    _bad_bytes(data, position, position + 2),
                    _("file is not UTF-8 or GB18030 ({kind}); save it as UTF-8, or give --encoding").format(kind=kind),
                )
            ],
        )
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as utf8_error:
        return decode_gb18030(data, source, utf8_error), "gb18030"


def decode_as(data: bytes, source: str, encoding: str, first_line: int = 1) -> str:
    """``--encoding``: the bytes decoded as the person said, or one clear refusal
    (``first_line``: the file line ``data`` starts on, for a block of a big file)."""
    import codecs

    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise InputRejected(
            _("{source}: unknown encoding {encoding} (try gb18030, big5, latin-1, utf-16)").format(
                source=source, encoding=repr(encoding)
            ),
            [],
        ) from None
    try:
        return data.decode(codec.name).removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise InputRejected(
            _("{source}: file is not {encoding}").format(source=source, encoding=codec.name),
            [
                Problem(
                    source,
                    line_of(data, err.start, first_line),
                    _bad_bytes(data, err.start, err.end),
                    _("bytes invalid as {encoding}").format(encoding=codec.name),
                )
            ],
        ) from None


def decode_gb18030(data: bytes, source: str, utf8_error: UnicodeDecodeError, first_line: int = 1) -> str:
    """A file that is not UTF-8: GB18030 if it decodes and a detector finds it a
    confident fit; otherwise refused, naming a sample line and the likely encoding
    (``first_line``: the file line ``data`` starts on, for a block of a big file)."""
    err = utf8_error
    try:
        text = data.decode("gb18030").removeprefix(_GB18030_BOM)
    except UnicodeDecodeError as gb_error:
        text = None
        err = max(utf8_error, gb_error, key=lambda e: e.start)  # the decoder that got further
    # GB18030 decodes almost any bytes; Big5 lands in its user-defined (private-use)
    # areas, Latin-1 in odd pairs of hanzi: judge the result, not only the decoding.
    if text is not None and PRIVATE_USE.search(text) is None and _gb18030_fits(data):
        return text
    at = line_of(data, err.start)
    line = at + first_line - 1
    guess = _likely_encoding(data)
    hint = _("it looks like {encoding}; ").format(encoding=guess) if guess else ""
    # the line is named, not quoted: a roster line holds a name and an address
    raise InputRejected(
        _(
            "{source}: file is not UTF-8 and not confidently GB18030 ({hint}line {line}, bytes {bytes}); "
            "save it as UTF-8, or give its encoding with --encoding"
        ).format(source=source, hint=hint, line=line, bytes=_bad_bytes(data, err.start, err.end)),
        [
            Problem(
                source,
                line,
                _bad_bytes(data, err.start, err.end),
                _("file is not UTF-8 or GB18030 (it looks like {encoding})").format(encoding=guess)
                if guess
                else _("file is not UTF-8 or GB18030"),
            )
        ],
    ) from None


def _gb18030_fits(data: bytes) -> bool:
    """GB18030 reads the file cleanly, and about as cleanly as the likeliest encoding."""
    from charset_normalizer import from_bytes

    gb = from_bytes(data, cp_isolation=["gb18030"]).best()
    if gb is None or gb.chaos > GB_CHAOS_LIMIT:
        return False
    best = from_bytes(data).best()
    return best is None or gb.chaos <= best.chaos + GB_CHAOS_MARGIN


def _likely_encoding(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    match = from_bytes(data).best()
    return None if match is None else str(match.encoding)


def read_text(path: str | os.PathLike[str], encoding: str | None = None) -> tuple[str, str]:
    """The text of a file and the encoding it was in ("utf-8", "utf-8-sig", "gb18030", or
    ``encoding`` when given)."""
    source = os.fspath(path)
    with open(source, "rb") as f:
        data = f.read()
    return decode_bytes(data, source, encoding)


ECHOED_COLUMNS = 5
"""Unknown or repeated columns a header problem names (the rest are counted)."""


def check_header(
    header: list[str], required: Sequence[str], optional: Sequence[str], source: str, line: int
) -> list[Problem]:
    # Columns we do not know (a committee's 性别 or 备注, an instrument's well) are
    # ignored, not refused: `ignored_columns` lets the caller say so.
    if len(header) > MAX_COLUMNS:
        shown = mask_row(header[:3], [*required, *optional], personal=looks_like_a_roster(required)) + ",..."
        return [
            Problem(
                source,
                line,
                shown,
                _("the header has {count} columns; at most {limit} (is this the right file?)").format(
                    count=f"{len(header):,}", limit=f"{MAX_COLUMNS:,}"
                ),
            )
        ]
    present = set(header)
    missing = [c for c in required if c not in present]
    counts = Counter(header)  # one pass: list.count per column was quadratic
    repeated = sorted(c for c, n in counts.items() if c and n > 1)
    parts = []
    known = set(required) | set(optional)
    shown = ",".join(header)
    if missing and not known & present:
        # not one column we know: a data line where the header belongs (a roster's first
        # resident), not misspelt names; echoed masked, never listed as columns
        parts.append(
            _(
                "the first line names none of the expected columns (the header line is missing, "
                "or its columns have other names)"
            )
        )
        shown = mask_row(header, [*required, *optional], personal=looks_like_a_roster(required))
    elif missing:
        parts.append(_("missing column(s) {columns}").format(columns=", ".join(missing)))
        unknown = [c for c in header if c not in known]
        if unknown:  # likely the misspelt ones: name them beside what is missing
            parts.append(_("unknown column(s) {columns}").format(columns=_listed([repr(redact(c)) for c in unknown])))
    if repeated:
        parts.append(_("repeated column(s) {columns}").format(columns=_listed([redact(c) for c in repeated])))
    if not parts:
        return []
    expected = ",".join([*required, *optional])
    message = _("{problems} (expected header {expected}; required {required})").format(
        problems=_("; ").join(parts), expected=expected, required=", ".join(required)
    )
    return [Problem(source, line, shown, message)]


def _listed(names: list[str]) -> str:
    """The first ``ECHOED_COLUMNS`` names, and how many more there are."""
    listed = ", ".join(names[:ECHOED_COLUMNS])
    if len(names) > ECHOED_COLUMNS:
        return _("{names} and {count} more").format(names=listed, count=f"{len(names) - ECHOED_COLUMNS:,}")
    return listed


def _edge_space(body: str) -> bool:
    """Whether a space inside ``body`` (its first and last characters are the caller's)
    pads a field: next to a comma or a line break. Looked at space by space: most files
    have few (four substring searches took 25 ms on a block of Chinese text, this well
    under one)."""
    find, end = body.find, len(body) - 1
    at = find(" ", 1, end)
    while at >= 0:
        if body[at - 1] in ",\n" or body[at + 1] in ",\n":
            return True
        at = find(" ", at + 1, end)
    return False


def parse_simple(text: str) -> tuple[list[str], list[list[str]]] | None:
    """Columns of a file with no quotes, blank lines or padded fields; None if not that simple.

    Most roster files are like this; splitting the whole text at once is several times
    faster than ``csv.reader``, and anything unusual goes the careful way instead.
    """
    if '"' in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    body = text.rstrip("\n")
    if not body or " " in body and (body[0] == " " or body[-1] == " " or _edge_space(body)):
        return None
    if not body.replace("\n", " ").isprintable():
        return None  # tabs, no-break or ideographic spaces, control characters: strip() cases
    width = body[: body.find("\n")].count(",") + 1 if "\n" in body else body.count(",") + 1
    if "\n" + "," * (width - 1) + "\n" in f"\n{body}\n":
        return None  # a blank line ("" or bare commas)
    # Each line break becomes a field of its own; the file is rectangular exactly when
    # every one of them lands on the stride of width + 1. All of them: a short line and a
    # long one (or an empty one) can otherwise make up each other's fields.
    flat = body.replace("\n", ",\n,").split(",")
    n = (len(flat) + 1) // (width + 1)
    breaks = body.count("\n")
    if len(flat) != n * (width + 1) - 1 or breaks != n - 1 or flat[width :: width + 1].count("\n") != breaks:
        return None
    return flat[:width], [flat[width + 1 + j :: width + 1] for j in range(width)]


def ends_quoted(text: str, inside: bool) -> bool:
    """Whether ``text`` ends inside a quoted field, read as ``csv.reader`` reads it: a
    quote opens a field only at the field's start (a quote inside an unquoted field, as
    in 5"3, is a character), and inside one two quotes are a quote. ``inside``: the text
    starts inside a quoted field. Only the quotes are visited."""
    i = text.find('"')
    while i >= 0:
        if inside:
            if text.startswith('"', i + 1):
                i = text.find('"', i + 2)  # an escaped quote
                continue
            inside = False
        elif i == 0 or text[i - 1] in ",\n\r":  # a block starts after a line break
            inside = True
        i = text.find('"', i + 1)
    return inside


def parse_careful(
    text: str,
    source: str,
    problems: list[Problem],
    *,
    width: int = 0,
    line_offset: int = 0,
    header_before: Sequence[str] = (),
    personal: bool | None = None,
) -> tuple[list[str], list[list[str]], list[int], int]:
    """Header, rows, their first lines and the header line, by ``csv.reader``; notes problems.

    ``width`` > 0: ``text`` is a later block of a file whose header (of that many columns,
    ``header_before``) came before; it starts on file line ``line_offset + 1``. A line
    echoed in a problem is masked (``mask_row``; ``personal``: the file is a roster,
    whatever its header says)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    total_lines = text.count("\n") + (not text.endswith("\n"))
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] = []
    header_line = max(line_offset, 1) if width else 0  # a block after the header: no header in it
    last = 0  # physical line (in the block) that ended the previous record
    try:
        for raw in reader:
            first_line, last = last + 1, reader.line_num
            if last >= total_lines and last > first_line and ends_quoted(text, False):
                # a quote opened and never closed swallowed the rest of the file into one field
                problems.append(
                    Problem(
                        source,
                        first_line + line_offset,
                        mask_row(
                            ",".join(raw).split("\n", 1)[0].split(","), header or header_before, personal=personal
                        ),
                        _(
                            'a quote (") opens a field on this line that is never closed: lines {first}-{last} '
                            "were read as one field; close the quote or remove it"
                        ).format(first=first_line + line_offset, last=last + line_offset),
                    )
                )
                break
            row = [f.strip() for f in raw]
            if not any(row):
                continue  # blank lines, and Excel's lines of bare commas
            if not header_line:
                header, header_line, width = row, first_line, len(row)
                continue
            if len(row) < width:
                row += [""] * (width - len(row))  # Excel drops trailing empty cells
            elif len(row) > width:
                if any(row[width:]):
                    problems.append(
                        Problem(
                            source,
                            first_line + line_offset,
                            mask_row(raw, header or header_before, personal=personal),
                            _("line has {count} fields, the header has {width}").format(count=len(raw), width=width),
                        )
                    )
                    continue
                del row[width:]
            rows.append(row)
            lines.append(first_line + line_offset)
    except csv.Error as e:
        problems.append(Problem(source, last + 1 + line_offset, "", _("cannot parse CSV: {error}").format(error=e)))
    return header, rows, lines, header_line


def parse_csv_block(
    text: str,
    source: str,
    width: int,
    first_line: int,
    problems: list[Problem],
    header: Sequence[str] = (),
    personal: bool | None = None,
) -> tuple[list[list[str]], list[int]]:
    """Columns (``width`` of them) and row lines of a block of a file that comes after its
    header; ``text`` holds whole records and starts on file line ``first_line``."""
    # Why a hand-written path: on 500,000 roster lines in 4 MB blocks it took 0.60 s against
    # csv.reader's 1.02 s (1.18 s with the strip; bench_roster_read.py, RESULTS.md "City scale").
    columns = parse_simple_block(text, width)
    if columns is not None:
        return columns, list(range(first_line, first_line + len(columns[0])))
    return parse_careful_block(text, source, width, first_line, problems, header, personal)


def parse_simple_block(text: str, width: int) -> list[list[str]] | None:
    """``parse_csv_block``'s fast path alone: the ``width`` columns of a block after the
    header when ``parse_simple`` reads it (every line a row, every comma a separator);
    None when the block needs the careful parser."""
    simple = parse_simple(",".join(["h"] * width) + "\n" + text)  # a stand-in header line
    return simple[1] if simple is not None and len(simple[0]) == width else None


def parse_careful_block(
    text: str,
    source: str,
    width: int,
    first_line: int,
    problems: list[Problem],
    header: Sequence[str] = (),
    personal: bool | None = None,
) -> tuple[list[list[str]], list[int]]:
    """``parse_csv_block`` by the careful parser alone (``csv.reader``, every problem named)."""
    _, rows, lines, _ = parse_careful(
        text, source, problems, width=width, line_offset=first_line - 1, header_before=header, personal=personal
    )
    return ([list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]), lines


def parse_csv_text(
    text: str,
    source: str,
    encoding: str,
    required_header: Sequence[str],
    optional_header: Sequence[str] = (),
) -> tuple[CsvTable, list[Problem]]:
    """Parse CSV text; return the table and every structural problem found (not raised)."""
    problems: list[Problem] = []
    simple = parse_simple(text)
    if simple is not None:
        header, columns = simple
        header_line = 1
        lines = list(range(2, len(columns[0]) + 2))
    else:
        personal = looks_like_a_roster(required_header)
        header, rows, lines, header_line = parse_careful(text, source, problems, personal=personal)
        columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in header]
    header = [c.lower() for c in header]  # "Resident_ID" from a spreadsheet is fine
    while header and not header[-1] and not any(columns[len(header) - 1]):
        header.pop()  # a spreadsheet's empty trailing columns
        columns = columns[: len(header)]
    if not header_line:
        problems.append(
            Problem(
                source,
                1,
                "",
                _("file is empty: expected a header line {header}").format(
                    header=",".join([*required_header, *optional_header])
                ),
            )
        )
    else:
        problems[:0] = check_header(header, required_header, optional_header, source, header_line)
    problems += long_cells(header, columns, lines, source)
    return CsvTable(source, encoding, tuple(header), tuple(columns), lines), problems


MAX_CELL = 1000
"""Characters a cell may hold (a name, an address): one rule for every file, however it
is quoted; a longer cell is a broken file, not data."""


def long_cells(header: Sequence[str], columns: Sequence[list[str]], lines: list[int], source: str) -> list[Problem]:
    """A problem for every cell longer than MAX_CELL."""
    problems = []
    for name, values in zip(header, columns, strict=False):
        if values and max(map(len, values)) > MAX_CELL:  # C speed; the loop below is rare
            for line, v in zip(lines, values, strict=True):
                if len(v) > MAX_CELL:
                    shown = mask_row([v], [name])  # a name or an address is not echoed
                    problems.append(
                        Problem(
                            source,
                            line,
                            shown,
                            _("cell is {length} characters long; at most {limit}").format(
                                length=f"{len(v):,}", limit=f"{MAX_CELL:,}"
                            ),
                            column=name,
                        )
                    )
    return problems


def read_csv_rows(
    path: str | os.PathLike[str],
    required_header: Sequence[str],
    optional_header: Sequence[str] = (),
    encoding: str | None = None,
) -> CsvTable:
    """Read a CSV file with a header; raise ``InputRejected`` listing every structural problem."""
    source = os.fspath(path)
    with open(source, "rb") as f:
        return parse_csv_bytes(f.read(), source, required_header, optional_header, encoding)


def parse_csv_bytes(
    data: bytes,
    source: str,
    required_header: Sequence[str],
    optional_header: Sequence[str] = (),
    encoding: str | None = None,
) -> CsvTable:
    """``read_csv_rows`` on bytes already read (for a caller that also hashes them)."""
    text, encoding = decode_bytes(data, source, encoding)
    table, problems = parse_csv_text(text, source, encoding, required_header, optional_header)
    if problems:
        raise InputRejected(
            _("{source}: {count} problem(s); nothing was read").format(source=source, count=len(problems)), problems
        )
    return table


Output = str | os.PathLike[str] | BinaryIO
"""Where an export goes: a file path (written whole or not at all) or an open binary stream."""

_WRITE_CHUNK = 20_000  # rows encoded and written at a time: memory stays flat for any size
# A cell that a spreadsheet would run as a formula: = + - @ tab or CR first (OWASP's list),
# possibly behind the quote the writer puts around it.
_FORMULA_CELL = re.compile(r'(?:^|,)"?[=+\-@\t\r]', re.MULTILINE)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def output_name(output: Output) -> str:
    """How an output is named in summaries: its path, or '-' for a stream."""
    return os.fspath(output) if isinstance(output, str | os.PathLike) else "-"


def neutralise_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs: those starting with = + - @, tab
    or CR get a leading apostrophe (OWASP, "CSV Injection"). A plain number ("-1.5")
    and a lone "-" (an empty unit or room) are left alone: neither can run anything."""
    if value.startswith(_FORMULA_START) and value != "-" and _NUMBER.fullmatch(value) is None:
        return "'" + value
    return value


def _encode_rows(rows: list[Sequence[object]], encoding: str, neutralise: bool) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    text = buffer.getvalue()
    # most exports hold none of the characters a formula starts with: six substring
    # searches at C speed skip the pattern's scan of the text (a tenth of a second for a
    # district's manifest, whose Chinese text the pattern reads slowly)
    if neutralise and any(c in text for c in _FORMULA_START) and _FORMULA_CELL.search(text) is not None:
        # rare: a cell that starts like a formula (names, addresses from a committee's file)
        rows = [[neutralise_cell(str(v)) for v in row] for row in rows]
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        text = buffer.getvalue()
    if "\r" in text:
        # csv quotes only the characters of its line terminator, so a field holding a bare
        # CR would come back as a line break: quote every field instead (rare).
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
        text = buffer.getvalue()
    return text.encode(encoding)


def _write_rows(
    f: BinaryIO, header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str, neutralise: bool
) -> int:
    if encoding == "utf-8-sig":  # the BOM once, not once per chunk
        f.write(b"\xef\xbb\xbf")
        encoding = "utf-8"
    f.write(_encode_rows([list(header)], encoding, neutralise))
    count = 0
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, _WRITE_CHUNK)):
        f.write(_encode_rows(chunk, encoding, neutralise))
        count += len(chunk)
    return count


def write_csv(
    output: Output,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    bom: bool = False,
    encoding: str = "utf-8",
    neutralise: bool = True,
    private: bool = True,
) -> int:
    """Write a CSV with ``\\n`` line endings, UTF-8 unless told otherwise, streamed in
        chunks; every cell that starts like a formula is neutralised (``neutralise_cell``)
        unless the file is data for poolab itself (a roster). A path is written whole or not
        at all (``atomic_file``), owner-only unless ``private`` is off (a file with no personal
    data in it). Returns the number of rows."""
    if bom:
        if encoding.replace("_", "-").lower() not in ("utf-8", "utf8", "utf-8-sig"):
            raise ValueError(f"bom=True needs a UTF-8 encoding, not {encoding!r}")
        encoding = "utf-8-sig"
    if not isinstance(output, str | os.PathLike):
        count = _write_rows(output, header, rows, encoding, neutralise)
        output.flush()
        return count
    with atomic_file(output, private=private) as f:
        return _write_rows(f, header, rows, encoding, neutralise)
