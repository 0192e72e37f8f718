"""Masking of personal data on exports (PRC practice: 张*明, 230102********123X, 138****1234)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

STAR = "*"


def mask_name(name: str) -> str:
    """Chinese names keep the first and (for 3+ characters) last character; Latin the initial."""
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        return name[0] + STAR
    if len(name) == 1:
        return STAR
    if len(name) == 2:
        return name[0] + STAR
    return name[0] + STAR * (len(name) - 2) + name[-1]


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
        return f"{text[:limit]}… ({len(value):,} characters)"
    return text
