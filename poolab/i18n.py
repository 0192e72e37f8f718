"""The language people read: English, or Simplified Chinese for the staff (中文界面).

One gettext domain, ``poolab``, with its catalogue in ``poolab/locale/zh_CN/LC_MESSAGES``
(``poolab.po`` in git, ``poolab.mo`` compiled from it by Babel: ``make messages``). The
language is chosen once per process from the environment (``choose_language``); the
command post chooses per request (``use_language``). Every message a person reads goes
through ``_`` as one whole sentence with named placeholders, filled in after translation::

    _("{file}:{line}: unknown barcode {value}").format(file=..., line=..., value=...)

What machines read never changes with the language: column names, JSON keys, the call
words in files, barcodes. English is the source text (no catalogue).
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

DOMAIN = "poolab"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "zh")
_CATALOGUE_LOCALE = {"zh": "zh_CN"}


def choose_language(environ: Mapping[str, str] | None = None) -> str:
    """``zh`` or ``en``: ``POOLAB_LANG`` first (``zh``, ``zh_CN``, ``en`` ...), then the first
    of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set (POSIX order); Chinese when it
    starts with ``zh``, English otherwise."""
    env = os.environ if environ is None else environ
    forced = env.get("POOLAB_LANG", "").strip()
    if forced:
        return "zh" if forced.lower().startswith("zh") else "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def language_from_header(accept_language: str | None) -> str:
    """The language of an HTTP ``Accept-Language`` header: ``zh`` when Chinese is preferred
    over English (by q-value, then by order), else ``en``."""
    best: tuple[float, int, str] | None = None
    for order, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = "zh" if tag.startswith("zh") else "en" if tag.startswith("en") or tag == "*" else None
        if lang is None or q <= 0:
            continue
        if best is None or (q, -order) > (best[0], -best[1]):
            best = (q, order, lang)
    return best[2] if best else "en"


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The translations of ``lang`` (English: none, the source text is English)."""
    locale = _CATALOGUE_LOCALE.get(lang)
    if locale is None:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


_process_language = choose_language()
_current: ContextVar[str | None] = ContextVar("poolab_language", default=None)


def language() -> str:
    """The language messages are given in now."""
    return _current.get() or _process_language


def _(message: str) -> str:
    """``message`` in the current language."""
    return catalogue(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n`` things, in the current language."""
    return catalogue(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it yet (a constant translated
    where it is shown, with ``_``)."""
    return message


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Messages in ``lang`` inside the block (one web request, one test)."""
    token = _current.set(lang if lang in LANGUAGES else "en")
    try:
        yield
    finally:
        _current.reset(token)


def set_process_language(lang: str) -> None:
    """Messages in ``lang`` from now on, for the whole process; Click's own messages
    ("Missing argument", "Usage:") follow too: Click asks the global gettext domain, which
    is pointed at this catalogue (Click's messages are in it), and the GNU ``LANGUAGE``
    variable tells gettext which translation to use."""
    global _process_language
    _process_language = lang if lang in LANGUAGES else "en"
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = _CATALOGUE_LOCALE.get(_process_language, "en")
