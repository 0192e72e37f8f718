"""PRC resident ID numbers (GB 11643-1999): 6-digit region, 8-digit birth date,
3-digit sequence and an ISO 7064 MOD 11-2 check character ('X' stands for 10)."""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Sequence

import numpy as np

from poolab.i18n import _

# Weight of position i (0-based, left to right) is 2**(17 - i) mod 11.
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
# Check character indexed by (weighted sum mod 11): makes the full 18-term sum ≡ 1 (mod 11).
CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1900

_WEIGHTS_ARRAY = np.array(WEIGHTS, dtype=np.int64)
_CHECK_CODES = np.frombuffer(CHECK_CHARACTERS.encode("ascii"), dtype=np.uint8).astype(np.uint32)
_DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def check_character(first17: str) -> str:
    """The MOD 11-2 check character of the first 17 digits of an ID number."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def birth_date(s: str) -> datetime.date | None:
    """The birth date encoded in an ID number, or None when it is not a real, past date."""
    try:
        born = datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return None
    if born.year < EARLIEST_BIRTH_YEAR or born > datetime.date.today():
        return None
    return born


def id_number_problem(s: str) -> str | None:
    """Why ``s`` is not a valid ID number (a sentence for a person), or None if it is valid."""
    if len(s) != 18:
        return _("ID number must have 18 characters, not {length}").format(length=len(s))
    first17, last = s[:17], s[17]
    if not (first17.isascii() and first17.isdigit()) or last not in "0123456789X":
        return _("ID number must be 17 digits followed by a digit or X")
    if birth_date(s) is None:
        return _("ID number has an impossible birth date {date}").format(date=s[6:14])
    if check_character(first17) != last:
        # never name the expected character: "fixing" a typo that way makes another person's number
        return _("ID number check character is wrong: check the whole number against the ID card")
    return None


def is_valid_id_number(s: str) -> bool:
    """True for 17 digits, a plausible birth date and the right check character."""
    return id_number_problem(s) is None


def make_id_number(region: str, birth: datetime.date, sequence: int) -> str:
    """An ID number for a region code, a birth date and a sequence 0..999 (odd = male)."""
    if len(region) != 6 or not (region.isascii() and region.isdigit()):
        raise ValueError(f"region must be 6 digits, got {region!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be in 0..999, got {sequence}")
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def _today_yyyymmdd() -> int:
    today = datetime.date.today()
    return today.year * 10000 + today.month * 100 + today.day


def valid_id_numbers(values: Sequence[str]) -> np.ndarray:
    """Vectorised ``is_valid_id_number``: a bool array, one entry per value. The values
    of 18 characters are laid side by side as one (n, 18) array of character codes (one
    byte each when they are ASCII, as nearly all are) and checked column-wise."""
    n = len(values)
    out = np.zeros(n, dtype=bool)
    length_ok = np.fromiter(map(len, values), np.int64, n) == 18
    chosen = list(values) if length_ok.all() else list(itertools.compress(values, length_ok.tolist()))
    if not chosen:
        return out
    joined = "".join(chosen)
    if joined.isascii():
        codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, 18).astype(np.int32)
    else:  # a full-width digit or a letter somewhere: code points, never digits below
        codes = np.array(chosen, dtype="<U18").view(np.uint32).reshape(-1, 18).astype(np.int64)
    digits = codes - ord("0")
    body_ok: np.ndarray = np.asarray(((digits[:, :17] >= 0) & (digits[:, :17] <= 9)).all(axis=1))
    sums = (np.where(body_ok[:, None], digits[:, :17], 0) * _WEIGHTS_ARRAY).sum(axis=1)
    check_ok = codes[:, 17] == _CHECK_CODES[sums % 11]
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    month_ok = (month >= 1) & (month <= 12)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    dim = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] - ((month == 2) & ~leap)
    date_ok = month_ok & (day >= 1) & (day <= dim) & (year >= EARLIEST_BIRTH_YEAR)
    date_ok &= year * 10000 + month * 100 + day <= _today_yyyymmdd()
    out[length_ok] = body_ok & check_ok & date_ok
    return out


_ID_LIKE = re.compile(r"[0-9]{14,18}[0-9X]")
_GROUPING = re.compile(r"[ \u00a0\-]")


def looks_like_id_number(code: str) -> bool:
    """15 to 19 digits (the last may be X), spaces or dashes between groups ignored: an
    ID number whatever its check character (a misread card, a first-generation 15-digit
    number, one with a digit too many). Such a scan is never a tube barcode."""
    return _ID_LIKE.fullmatch(_GROUPING.sub("", code.upper())) is not None
