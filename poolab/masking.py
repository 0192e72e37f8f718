"""Masking of personal data on exports (PRC practice: 张*明, 230102********123X, 138****1234)."""

from __future__ import annotations

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
