"""The language of one request to the command post: ``?lang=en|zh`` when given (and then
kept by the page's links), else the browser's ``Accept-Language``."""

from __future__ import annotations

from urllib.parse import urlencode

import attrs

from poolab.errors import PoolabError
from poolab.i18n import LANGUAGES, _, language_from_header, use_language

HTML_LANG = {"en": "en", "zh": "zh-CN"}
"""The ``<html lang>`` of each language (BCP 47)."""


@attrs.frozen(slots=True)
class PageLanguage:
    """``code``: ``en`` or ``zh``; ``asked``: the ``lang`` parameter that chose it, if any
    (links carry it on, so a page asked for in Chinese stays Chinese)."""

    code: str
    asked: str | None = None

    @property
    def html(self) -> str:
        return HTML_LANG[self.code]

    def link(self, path: str) -> str:
        """``path`` with ``lang`` kept when the request asked for one."""
        if self.asked is None:
            return path
        return f"{path}{'&' if '?' in path else '?'}{urlencode({'lang': self.asked})}"


def page_language(asked: str | None, accept_language: str | None) -> PageLanguage:
    """The language of a request; ``lang`` other than en or zh is refused, in the browser's
    language (``zh-CN``, ``zh_CN`` and ``EN`` are read as zh and en)."""
    browser = language_from_header(accept_language)
    if asked is None or not asked.strip():
        return PageLanguage(browser)
    code = asked.strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        with use_language(browser):  # said in the browser's language, as the error page is
            raise PoolabError(_("lang must be en or zh, got {value}").format(value=repr(asked)))
    return PageLanguage(code, code)
