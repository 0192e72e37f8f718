"""The vocabulary of results: the four calls, what people and instruments write for
them, the keys a technician presses, and what a Ct value may be."""

from __future__ import annotations

import math

from poolab.i18n import _

CALLS = ("positive", "negative", "inconclusive", "invalid")
CALL_CODE = {c: i for i, c in enumerate(CALLS)}
"""A call as a small integer, for arrays (``NO_CALL`` when a tube has none)."""
NO_CALL = -1
# Keys a technician presses in `results enter`.
KEYS = {"p": "positive", "n": "negative", "i": "inconclusive", "x": "invalid"}
# What instruments and people write instead of the four words (LIS exports, Chinese forms).
SYNONYMS = {
    "pos": "positive",
    "neg": "negative",
    "inc": "inconclusive",
    "inv": "invalid",
    "failed": "invalid",
    "detected": "positive",
    "not detected": "negative",
    "undetermined": "inconclusive",
    "阳性": "positive",
    "阴性": "negative",
    "可疑": "inconclusive",
    "待复检": "inconclusive",
    "无效": "invalid",
}
CALL_OF = {**{c: c for c in CALLS}, **SYNONYMS}
"""Lower-cased text -> call."""
CT_RANGE = (0.0, 50.0)
"""A Ct is a cycle number above 0 and at most 50 (no PCR run goes further)."""
_NO_CT = ("na", "n/a", "-", "undetermined", "nd")


def parse_call(value: str) -> str | None:
    """The call a word names (any case, synonyms too), or None."""
    return CALL_OF.get(value.strip().lower())


def parse_ct(value: str) -> float | None | str:
    """A Ct value from text: the number, None for no Ct (blank, "Undetermined", "NA"),
    or the reason it is not a Ct (a string)."""
    v = value.strip()
    if not v or v.lower() in _NO_CT:
        return None
    try:
        ct = float(v)
    except ValueError:
        return _("not a number")
    return ct_problem(ct) or ct


def ct_problem(ct: float) -> str | None:
    """Why ``ct`` cannot be a Ct value (None when it can)."""
    low, high = CT_RANGE
    if not (math.isfinite(ct) and low < ct <= high):
        return _("out of range ({low} to {high} cycles)").format(low=f"{low:g}", high=f"{high:g}")
    return None


def call_word(call: str) -> str:
    """A call as a person reads it in a message (the file keeps the English word)."""
    words = {
        "positive": _("positive"),
        "negative": _("negative"),
        "inconclusive": _("inconclusive"),
        "invalid": _("invalid"),
    }
    return words.get(call, call)
