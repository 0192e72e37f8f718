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
from collections.abc import Callable, Iterable

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
# An ID number (or most of one: 15-18 characters, a mistyped one too) and a mobile number,
# wherever they stand in a value (a whole roster line echoed in a message holds both).
_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{14,17}[0-9Xx](?![0-9])")
_PHONE_LIKE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def redact(value: str, *, limit: int = ECHO_LIMIT) -> str:
    """A value fit to echo in a message or a problems file: ID numbers and phone numbers
    masked as exports mask them, control characters shown as escapes, and at most
    ``limit`` characters (the length of the rest said)."""
    text = _ID_LIKE.sub(lambda m: mask_id_number(m.group(0)), value)
    text = _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)), text)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    if len(text) > limit:
        return _("{text}… ({length} characters)").format(text=text[:limit], length=f"{len(value):,}")
    return text
