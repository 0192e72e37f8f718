"""Excel workbooks (``.xlsx``, ``.xls``) read as rows of text, the way a person sees the cells.

The reader is python-calamine (the Rust ``calamine`` crate): one wheel of about 2.3 MB
with no dependencies that reads ``.xlsx``, ``.xlsm``, ``.xls`` and ``.ods`` alike,
imports in about 1 ms and reads a QuantStudio export's Results sheet in 10-20 ms.
openpyxl + xlrd (the other choice: two readers, ``.xlsx`` and ``.xls`` apart, about 3 MB
with et_xmlfile) took 350-450 ms to import and 0.7-2.5 s for the same sheets in read-only
mode, which alone would break "one plate in under a second"; and xlrd 2 cannot read the
Design & Analysis "autoexport" ``.xls`` files, which are ``.xlsx`` inside (measured on
allotropy's examples; benchmarks/RESULTS.md). It is imported here only, when a workbook
is read, so no other command pays for it.

What kind of file this is comes from its first bytes, never from its name: a zip is an
``.xlsx``, an OLE compound file an ``.xls`` (or a password-protected workbook, which is
encrypted inside one)."""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import attrs

from poolab.errors import InputRejected, Problem
from poolab.i18n import _

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
# the stream an encrypted (password-protected) OOXML workbook keeps inside its OLE file
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def is_workbook(data: bytes) -> bool:
    """Whether the bytes are a workbook's (a zip or OLE container), whatever the name."""
    return data.startswith((ZIP_MAGIC, OLE_MAGIC))


def named_workbook(path: str) -> bool:
    """Whether the file's name says it is a workbook."""
    return os.path.splitext(path)[1].lower() in WORKBOOK_SUFFIXES


@attrs.frozen(slots=True)
class Sheet:
    """One sheet's cells as text, row by row; ``first_row`` is the sheet row number (from
    1, as Excel shows it) of ``rows[0]``."""

    name: str
    rows: tuple[tuple[str, ...], ...]
    first_row: int = 1

    def numbered(self) -> list[tuple[int, tuple[str, ...]]]:
        """(row number as Excel shows it, cells) of every row."""
        return [(self.first_row + i, r) for i, r in enumerate(self.rows)]


@attrs.frozen(slots=True)
class Workbook:
    """A workbook's sheet names (in order) and a way to read one sheet."""

    source: str
    sheet_names: tuple[str, ...]
    _book: object = attrs.field(repr=False)

    def sheet(self, name: str) -> Sheet:
        """The sheet called ``name`` (it must be one of ``sheet_names``)."""
        from python_calamine import CalamineError

        try:
            raw = self._book.get_sheet_by_name(name)  # type: ignore[attr-defined]
            values = raw.to_python(skip_empty_area=False)
        except CalamineError as exc:
            raise _unreadable(self.source, exc) from None
        # most cells are text already: only the others go through cell_text
        return Sheet(name, tuple(tuple(v if v.__class__ is str else cell_text(v) for v in row) for row in values), 1)


def cell_text(value: object) -> str:
    """A cell as the instrument wrote it: numbers without a trailing ``.0`` when whole
    (well 1, not 1.0), others at full precision; booleans ``true``/``false``; dates ISO."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _unreadable(source: str, exc: Exception) -> InputRejected:
    said = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    return InputRejected(
        _("{source}: the workbook cannot be read (corrupt or truncated?): {error}").format(source=source, error=said),
        [
            Problem(
                source,
                0,
                "",
                _("not a readable workbook ({error}); export the run again from the instrument").format(error=said),
            )
        ],
    )


def _password_protected(source: str) -> InputRejected:
    return InputRejected(
        _("{source}: the workbook is password-protected; save it again without a password (nothing was read)").format(
            source=source
        ),
        [Problem(source, 0, "", _("password-protected workbook"))],
    )


def read_workbook(data: bytes, source: str) -> Workbook:
    """Open a workbook's bytes (``.xlsx``, ``.xls``, ``.ods``: told by content). A
    password-protected, corrupt or truncated workbook is one clear refusal."""
    if data.startswith(OLE_MAGIC) and _ENCRYPTED in data:
        raise _password_protected(source)
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise _password_protected(source) from None
    except (CalamineError, ValueError, OSError) as exc:
        raise _unreadable(source, exc) from None
    return Workbook(source, tuple(book.sheet_names), book)


def sheet_list(names: Sequence[str]) -> str:
    """Sheet names as a refusal names them: ``Sheet1, Data`` (or "no sheets")."""
    return ", ".join(names) if names else _("no sheets")
