"""The roster: residents with their households and addresses, read from a committee's CSV.

A roster file is accepted whole or not at all: every bad line is collected and reported
together (file, line, value), so a person fixes the file once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence

import attrs
import numpy as np

from poolab.barcodes import normalise_codes
from poolab.errors import InputRejected, Problem
from poolab.files.csvio import Output, write_csv
from poolab.files.csvstream import BLOCK_BYTES, CsvStream
from poolab.i18n import _
from poolab.masking import mask_id_number_cell, mask_row
from poolab.roster.idnumber import id_number_problem, valid_id_numbers

ROSTER_COLUMNS = (
    "resident_id",
    "name",
    "id_number",
    "phone",
    "compound",
    "building",
    "unit",
    "room",
    "household_id",
)
REQUIRED_COLUMNS = ("resident_id", "compound", "building", "household_id")
HOME_VISIT_COLUMN = "home_visit"
"""Optional: residents sampled at home (the elderly living alone, the disabled, patients)."""
OPTIONAL_COLUMNS = (*(c for c in ROSTER_COLUMNS if c not in REQUIRED_COLUMNS), HOME_VISIT_COLUMN)
HOME_VISIT_WORDS = {"1": True, "0": False, "true": True, "false": False, "y": True, "n": False, "是": True, "否": False}
"""What a ``home_visit`` cell may say (without regard to case; an empty cell is no)."""
WRITE_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


def _str_tuple(values: Sequence[str]) -> tuple[str, ...]:
    return values if isinstance(values, tuple) else tuple(values)


def _bool_tuple(values: Iterable[bool]) -> tuple[bool, ...]:
    return tuple(bool(v) for v in values)


def home_visit_flag(value: str) -> bool | None:
    """A ``home_visit`` cell as a flag; None when it is none of ``HOME_VISIT_WORDS``."""
    text = value.strip().casefold()
    return False if text == "" else HOME_VISIT_WORDS.get(text)


@attrs.frozen(slots=True)
class Roster:
    """Residents as columns, one tuple of str per roster column ("" for an empty field),
    and ``home_visit`` (one flag per resident) when the file has that column (empty when not).

    Equality compares the residents only, not where they were read from.
    """

    resident_id: tuple[str, ...] = attrs.field(converter=_str_tuple)
    name: tuple[str, ...] = attrs.field(converter=_str_tuple)
    id_number: tuple[str, ...] = attrs.field(converter=_str_tuple)
    phone: tuple[str, ...] = attrs.field(converter=_str_tuple)
    compound: tuple[str, ...] = attrs.field(converter=_str_tuple)
    building: tuple[str, ...] = attrs.field(converter=_str_tuple)
    unit: tuple[str, ...] = attrs.field(converter=_str_tuple)
    room: tuple[str, ...] = attrs.field(converter=_str_tuple)
    household_id: tuple[str, ...] = attrs.field(converter=_str_tuple)
    line: tuple[int, ...] = attrs.field(converter=_int_tuple, eq=False, repr=False)
    source: str = attrs.field(default="<generated>", eq=False)
    encoding: str = attrs.field(default="", eq=False)
    home_visit: tuple[bool, ...] = attrs.field(default=(), converter=_bool_tuple)

    def __attrs_post_init__(self) -> None:
        n = len(self.resident_id)
        for name in (*ROSTER_COLUMNS, "line"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"roster column {name} has {len(getattr(self, name))} values, resident_id has {n}")
        if self.home_visit and len(self.home_visit) != n:
            raise ValueError(f"roster column home_visit has {len(self.home_visit)} values, resident_id has {n}")

    def __len__(self) -> int:
        return len(self.resident_id)

    def columns(self) -> dict[str, tuple[str, ...]]:
        """The roster columns by name, in ``ROSTER_COLUMNS`` order."""
        return {c: getattr(self, c) for c in ROSTER_COLUMNS}

    def rows(self) -> Iterator[tuple[str, ...]]:
        """One tuple per resident, fields in ``ROSTER_COLUMNS`` order."""
        return zip(*(getattr(self, c) for c in ROSTER_COLUMNS), strict=True)


def roster_from_columns(
    *,
    resident_id: Sequence[str],
    compound: Sequence[str],
    building: Sequence[str],
    household_id: Sequence[str],
    name: Sequence[str] | None = None,
    id_number: Sequence[str] | None = None,
    phone: Sequence[str] | None = None,
    unit: Sequence[str] | None = None,
    room: Sequence[str] | None = None,
    line: Sequence[int] | None = None,
    source: str = "<generated>",
    encoding: str = "",
    home_visit: Sequence[bool] = (),
) -> Roster:
    """A roster from columns (missing optional columns are all ""; ``home_visit`` empty
    when the roster has no such column); no validation.

    ``line`` defaults to the lines the residents would have in a written file (2, 3, ...).
    """
    n = len(resident_id)
    empty = ("",) * n
    return Roster(
        resident_id=resident_id,
        name=empty if name is None else name,
        id_number=empty if id_number is None else id_number,
        phone=empty if phone is None else phone,
        compound=compound,
        building=building,
        unit=empty if unit is None else unit,
        room=empty if room is None else room,
        household_id=household_id,
        line=range(2, n + 2) if line is None else line,
        source=source,
        encoding=encoding,
        home_visit=home_visit,
    )


def _missing_fields(roster: Roster) -> list[Problem]:
    problems = []
    for column in REQUIRED_COLUMNS:
        values = getattr(roster, column)
        if "" not in values:  # the common case, checked at C speed
            continue
        for i, v in enumerate(values):
            if v == "":
                rid = roster.resident_id[i]
                why = (
                    _("missing required field {field} (resident {resident})").format(field=column, resident=rid)
                    if rid
                    else _("missing required field {field}").format(field=column)
                )
                problems.append(Problem(roster.source, roster.line[i], v, why))
    return problems


def _duplicate_ids(roster: Roster, raw_ids: Sequence[str] | None = None) -> list[Problem]:
    """Two lines with one resident_id; ids are compared as scans are (``normalise_scan``:
    case, full-width forms and invisible characters do not make a new id)."""
    ids = roster.resident_id
    if len(set(ids)) == len(ids):
        return []
    return duplicate_id_problems(ids, ids if raw_ids is None else raw_ids, roster.line, roster.source)


def duplicate_id_problems(
    ids: Sequence[str], raw_ids: Sequence[str], lines: Sequence[int], source: str
) -> list[Problem]:
    """A problem for every line whose (normalised) id an earlier line has; ``raw_ids``
    are the ids as the file wrote them, in file order."""
    first: dict[str, tuple[int, str]] = {}
    problems = []
    for rid, shown, line in zip(ids, raw_ids, lines, strict=True):
        if rid == "":
            continue  # reported as a missing field
        seen_line, seen_raw = first.setdefault(rid, (line, shown))
        if seen_line != line:
            if shown == seen_raw:
                why = _("duplicate resident_id, also on line {line}").format(line=seen_line)
            else:
                why = _(
                    "resident_id is the same as {other} on line {line} "
                    "(ids are compared without case, full-width forms or invisible characters)"
                ).format(other=repr(seen_raw), line=seen_line)
            problems.append(Problem(source, line, shown, why, column="resident_id"))
    return problems


def _bad_id_numbers(roster: Roster) -> list[Problem]:
    values = roster.id_number
    bad = np.flatnonzero(~valid_id_numbers(values))
    problems = []
    for i in bad.tolist():
        if values[i]:  # an empty ID number is allowed
            reason = id_number_problem(values[i]) or _("ID number is not valid")
            # echoed masked: what stands in the column may be a whole number, or a name
            problems.append(Problem(roster.source, roster.line[i], mask_id_number_cell(values[i]), reason))
    return problems


COLUMN_LIMITS = {"resident_id": 64, "compound": 200, "household_id": 64}
"""The store's length limits of roster columns (PostgreSQL enforces them, SQLite does not:
checked here so both refuse the same file, with its line). A test keeps them equal to
the resident table's."""


def _too_long(roster: Roster) -> list[Problem]:
    problems = []
    for column, limit in COLUMN_LIMITS.items():
        values = getattr(roster, column)
        if values and max(map(len, values)) > limit:
            for v, line in zip(values, roster.line, strict=True):
                if len(v) > limit:
                    why = _("{field} is {length} characters long; at most {limit}").format(
                        field=column, length=len(v), limit=limit
                    )
                    problems.append(Problem(roster.source, line, mask_row([v], [column]), why, column=column))
    return problems


def validate_roster(roster: Roster, raw_ids: Sequence[str] | None = None) -> list[Problem]:
    """Every problem of a roster, in file line order (empty when it is fine); ``raw_ids``
    are the ids as the file wrote them, for messages."""
    problems = line_problems(roster) + _duplicate_ids(roster, raw_ids)
    problems.sort(key=lambda p: p.line)
    return problems


def line_problems(roster: Roster) -> list[Problem]:
    """The problems each line has on its own (all but repeated ids), for a chunk of a file."""
    return _missing_fields(roster) + _bad_id_numbers(roster) + _too_long(roster)


def _normalise_id_numbers(values: list[str]) -> list[str]:
    # A trailing lower-case x is the same check character as X; people type both; full-width
    # digits and invisible characters from a copy-paste are normalised as scans are.
    return normalise_codes(values)


@attrs.frozen(slots=True)
class RosterChunk:
    """A block of a roster file: its residents (ids normalised), the ids as written, and
    the problems of its lines (repeated ids across the file are the reader's to find).
    ``plain``: the residents as the file wrote them, a line each, their fields in
    ``ROSTER_COLUMNS`` order separated by commas, when that text holds exactly the values
    of ``roster`` (no quoting, ids as normalised) and nothing more; else None. A store
    may load that text as it is instead of building it again."""

    roster: Roster
    raw_ids: list[str]
    problems: list[Problem]
    plain: str | None = None

    def __len__(self) -> int:
        return len(self.roster)


class RosterFile:
    """A roster CSV opened for reading a chunk at a time (``chunks``): the encoding is
    judged and the header read on opening, so ``check_header`` can refuse a file before
    any work is done."""

    def __init__(
        self, path: str | os.PathLike[str], encoding: str | None = None, *, block_bytes: int = BLOCK_BYTES
    ) -> None:
        self.source = os.fspath(path)
        self.requested_encoding = encoding
        self.block_bytes = block_bytes
        self.csv = CsvStream(self.source, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, encoding, block_bytes=block_bytes)

    @property
    def encoding(self) -> str:
        return self.csv.encoding

    @property
    def fraction_read(self) -> float:
        return self.csv.fraction_read

    @property
    def has_home_visit(self) -> bool:
        """Whether the file has the optional ``home_visit`` column."""
        return HOME_VISIT_COLUMN in self.csv.header

    def check_header(self) -> None:
        """Raise ``InputRejected`` when the header lacks a required column: every line
        would lack a field, so the header is the one problem to fix (with the file's
        structural problems)."""
        if not self.csv.problems:
            return
        problems = list(self.csv.problems)
        if self.csv.header:
            for chunk in self.csv.chunks():
                problems += chunk.problems
        problems.sort(key=lambda p: p.line)
        raise InputRejected(
            _("{source}: {count} problem(s); nothing was imported").format(source=self.source, count=len(problems)),
            problems,
        )

    def chunks(self) -> Iterator[RosterChunk]:
        """The residents a block at a time, each line checked on its own."""
        for chunk in self.csv.chunks():
            cols = {c: self.csv.column(chunk, c) for c in ROSTER_COLUMNS}
            raw_ids, raw_id_numbers = cols["resident_id"], cols["id_number"]
            cols["resident_id"] = normalise_codes(raw_ids)
            cols["id_number"] = _normalise_id_numbers(raw_id_numbers)
            plain = chunk.plain if self.csv.header == ROSTER_COLUMNS else None
            if cols["resident_id"] != raw_ids or cols["id_number"] != raw_id_numbers:
                plain = None  # an id the file wrote otherwise than it is kept
            flags: list[bool] = []
            bad_flags: list[Problem] = []
            if self.has_home_visit:
                flags, bad_flags = _home_visit_flags(
                    self.csv.column(chunk, HOME_VISIT_COLUMN), chunk.lines, self.source
                )
            roster = Roster(**cols, line=chunk.lines, source=self.source, encoding=self.encoding, home_visit=flags)
            problems = chunk.problems + line_problems(roster) + bad_flags
            del chunk, cols, raw_id_numbers
            yield RosterChunk(roster, raw_ids, problems, plain)
            del roster, raw_ids, problems, plain  # one chunk in memory at a time

    def close(self) -> None:
        self.csv.close()

    def __enter__(self) -> RosterFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _home_visit_flags(values: list[str], lines: Sequence[int], source: str) -> tuple[list[bool], list[Problem]]:
    """The ``home_visit`` cells of a block as flags, and a problem for each cell that is
    none of the accepted words."""
    flags: list[bool] = []
    problems: list[Problem] = []
    for value, line in zip(values, lines, strict=True):
        flag = home_visit_flag(value)
        if flag is None:
            why = _("home_visit must be one of 1/0, true/false, y/n, 是/否 (or empty for no)")
            problems.append(Problem(source, line, value, why, column=HOME_VISIT_COLUMN))
        flags.append(bool(flag))
    return flags, problems


def read_roster(path: str | os.PathLike[str], encoding: str | None = None) -> Roster:
    """Read and validate a roster CSV (in ``encoding`` when given, else UTF-8 or a
    confident GB18030); raise ``InputRejected`` with every problem found. The whole
    roster is held in memory: ``poolab.roster.importing`` streams a file into the store."""
    with RosterFile(path, encoding) as f:
        f.check_header()
        chunks = list(f.chunks())
        encoding = f.encoding
    roster = concatenate(chunks, source=os.fspath(path), encoding=encoding)
    raw_ids = [v for c in chunks for v in c.raw_ids]
    problems = [p for c in chunks for p in c.problems] + _duplicate_ids(roster, raw_ids)
    if problems:
        problems.sort(key=lambda p: p.line)
        raise InputRejected(
            _("{source}: {count} problem(s); nothing was imported").format(source=roster.source, count=len(problems)),
            problems,
        )
    return roster


def concatenate(chunks: Sequence[RosterChunk], *, source: str, encoding: str) -> Roster:
    """One roster of the chunks' residents, in order."""
    if len(chunks) == 1:
        return attrs.evolve(chunks[0].roster, encoding=encoding)
    joined = {
        c: tuple(v for ch in chunks for v in getattr(ch.roster, c)) for c in (*ROSTER_COLUMNS, "line", "home_visit")
    }
    return Roster(**joined, source=source, encoding=encoding)


def write_roster_csv(roster: Roster, path: Output, encoding: str = "utf-8") -> None:
    """Write a roster CSV in UTF-8, UTF-8 with BOM ("utf-8-sig") or GB18030; or a binary stream."""
    if encoding not in WRITE_ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(WRITE_ENCODINGS)}, not {encoding!r}")
    # a roster is data for `roster import`, not a report: its cells are written as they are
    if not roster.home_visit:
        write_csv(path, ROSTER_COLUMNS, roster.rows(), encoding=encoding, neutralise=False)
        return
    rows = ((*r, "1" if h else "0") for r, h in zip(roster.rows(), roster.home_visit, strict=True))
    write_csv(path, (*ROSTER_COLUMNS, HOME_VISIT_COLUMN), rows, encoding=encoding, neutralise=False)
