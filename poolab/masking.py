"""Masking of personal data on exports (PRC practice: 张*明, 230102********123X, 138****1234).

The rule for names, on every export, label, PDF and the command post:

- a Chinese name (any CJK ideograph in it) keeps its first character, and its last when
  it has three or more: 张*明, 欧**明, 阿******提; a two-character name keeps the surname
  alone (刘*), a one-character name nothing (*);
- any other name keeps its initial alone (Ivan Petrov: I*, José Núñez: J*);
- spaces and invisible characters (zero-width spaces, a byte-order mark, direction marks)
  are not characters of the name: 刘 伟 and 刘\u200b伟 are 刘伟, masked 刘*.

Why the surname, not the given name, for two characters: GB/T 35273-2020 (7.2, limits on
displaying personal information) asks for names on screens and paper to be de-identified
without fixing a pattern; the surname is shared by the household and, for the common
surnames, by many neighbours, so 刘* next to a room number does not say which member of
the household is meant, where *伟 would. Judgments the courts publish online keep the
surname the same way (刘某: the Supreme People's Court's 2016 rules, article 8).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from poolab.i18n import _

STAR = "*"


def _shown_characters(name: str) -> list[str]:
    """The characters a reader sees: no whitespace anywhere, no format characters (Cf)."""
    return [ch for ch in name if not ch.isspace() and unicodedata.category(ch) != "Cf"]


def _is_han(ch: str) -> bool:
    if "\u4e00" <= ch <= "\u9fff":  # the basic block: almost every name, without a lookup
        return True
    return unicodedata.name(ch, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))


def mask_name(name: str) -> str:
    """A Chinese name keeps its first character and, from three characters on, its last
    (张*明; two characters: 刘*); any other name its initial (I*). Spaces and invisible
    characters do not count (see the module's rule)."""
    if name.isascii():  # no ideograph, no invisible character: the initial alone
        shown = name.lstrip()
        return shown[0] + STAR if shown else ""
    # printable without a space: nothing to drop (the common case, checked at C speed)
    chars: str | list[str] = name if name.isprintable() and " " not in name else _shown_characters(name)
    if not chars:
        return ""
    if not (_is_han(chars[0]) or any(_is_han(ch) for ch in chars)):
        return chars[0] + STAR
    if len(chars) == 1:
        return STAR
    if len(chars) == 2:
        return chars[0] + STAR
    return chars[0] + STAR * (len(chars) - 2) + chars[-1]


def mask_id_number(s: str) -> str:
    """Keep the region (first 6) and the last 4 characters: 230102********123X."""
    if len(s) <= 10:
        return STAR * len(s)
    return s[:6] + STAR * (len(s) - 10) + s[-4:]


def mask_id_number_cell(s: str) -> str:
    """What a message may echo of an ID number cell: ``mask_id_number`` when the cell is
    shaped like an ID number (digits and a final X, perhaps in groups), stars alone
    otherwise. A cell of another shape may hold anything (a name in the wrong column, the
    next line of a file whose quote was left open), and its first six and last four
    characters would show part of it."""
    compact = _SEPARATORS.sub("", s)
    if compact.isascii() and compact[:-1].isdigit() and (compact[-1:].isdigit() or compact[-1:] in ("X", "x")):
        return mask_id_number(s)
    return STAR * len(s)


def mask_phone(s: str) -> str:
    """Keep the first 3 and the last 4 digits: 138****1234."""
    if len(s) <= 7:
        return STAR * len(s)
    return s[:3] + STAR * (len(s) - 7) + s[-4:]


def mask_all(values: Iterable[str], mask: Callable[[str], str]) -> list[str]:
    """Mask a whole column, e.g. ``mask_all(roster.name, mask_name)``."""
    return [mask(v) for v in values]


ECHO_LIMIT = 40
"""Characters of a value that a message echoes; the rest is cut (a 1 MB cell is not echoed)."""
# Any run of 15 or more digits (an ID number, a mistyped one, one with a digit too many,
# written in groups as 110105 19900404 0039), and phone numbers (mobile, with or without
# +86 and separators; a landline with its area code), wherever they stand in a value (a
# whole line echoed in a message holds both).
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ \u00a0\-]?[0-9]){13,}(?:[ \u00a0\-]?[0-9Xx])(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9+])(?:(?:\+|00)86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9A-Za-z])(?:\(0[0-9]{2,3}\)[ \-]?|0[0-9]{2,3}[ \-])[0-9]{3,4}[ \-]?[0-9]{4}(?![0-9])")
_SEPARATORS = re.compile(r"[ \u00a0\-]")
PERSONAL_COLUMNS = frozenset(
    {"name", "id_number", "phone", "compound", "building", "unit", "room", "household_id", "home_visit"}
)
"""Roster columns that say who or where someone is: never echoed from a roster line."""


def looks_like_mobile(code: str) -> bool:
    """A mobile number (11 digits from 13..19, +86 and separators allowed): never a tube."""
    return _MOBILE.fullmatch(code.strip()) is not None


def _mask_digit_run(match: re.Match[str]) -> str:
    return mask_id_number(_SEPARATORS.sub("", match.group(0)))


def _mask_phone_match(match: re.Match[str]) -> str:
    digits = _SEPARATORS.sub("", match.group(0))
    return mask_phone(digits)


def redact(value: str, *, limit: int = ECHO_LIMIT) -> str:
    """A value fit to echo in a message or a problems file: digit runs of 15 or more (ID
    numbers, spaces allowed inside) and phone numbers masked as exports mask them,
    control characters shown as escapes, and at most ``limit`` characters (the length of
    the rest said)."""
    # a huge cell: only a window is masked, wide enough that a number starting in the
    # part shown ends inside it
    text = value if len(value) <= 4 * limit + 64 else value[: 2 * limit + 32]
    text = _DIGIT_RUN.sub(_mask_digit_run, text)
    text = _MOBILE.sub(_mask_phone_match, text)
    text = _LANDLINE.sub(_mask_phone_match, text)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    if len(text) > limit or len(value) > 4 * limit + 64:
        return _("{text}… ({length} characters)").format(text=text[:limit], length=f"{len(value):,}")
    return text


def looks_like_a_roster(header: Sequence[str]) -> bool:
    """A header of a roster (it names a resident or a personal column), or no header
    known at all: its lines are echoed with ``mask_row``."""
    names = {c.strip().lower() for c in header}
    return not names or bool(names & PERSONAL_COLUMNS) or "resident_id" in names


def mask_row(fields: Sequence[str], header: Sequence[str], *, personal: bool | None = None) -> str:
    """A line of a file, fit to echo: in a roster (``personal``, by default
    ``looks_like_a_roster``) every field but the resident_id is shown as ``*`` (a name,
    an address, a phone never reach a message); other files' lines as they are
    (``redact`` still masks ID-like runs and phones)."""
    if not (looks_like_a_roster(header) if personal is None else personal):
        return ",".join(fields)
    names = [c.strip().lower() for c in header]
    keep = names.index("resident_id") if "resident_id" in names else -1
    return ",".join(f if i == keep or not f.strip() else STAR for i, f in enumerate(fields))
