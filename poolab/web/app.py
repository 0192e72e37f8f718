"""The command post's routes: every one a GET that makes one library call and renders it.

- ``/campaigns``: the campaigns in the store, newest first.
- ``/campaigns/NAME``: the campaign's page (``poolab.reports.commandpost.campaign_view``);
  ``?late_receipt=HOURS&late_result=HOURS`` change when a tube counts as late,
  ``?pools=COLUMN&positives=COLUMN`` sort its two lists (``-COLUMN``: descending;
  ``poolab.web.tables``).
- ``/campaigns/NAME/positives.csv``: the confirmed positives, ``poolab positives NAME``'s
  file (the same call, names masked).
- ``/api/campaigns/NAME/status``: ``poolab status NAME --json``, the same call
  (``poolab.reports.status.campaign_status``), with the same two parameters.
- ``/static/...``: the stylesheet and the refresh script, from the package.

Every page is in the language the browser prefers (``Accept-Language``: Chinese or
English), or the one ``?lang=en|zh`` asks for; the page's own links keep ``lang``. The
CSV and the JSON stay as machines read them, in any language.

There are no other routes and no other methods (405).
"""

from __future__ import annotations

import io
import json
import math
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

import attrs
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from poolab.errors import NotFound, PoolabError, StoreFault, StoreMissing
from poolab.i18n import _, language_from_header, ngettext, use_language
from poolab.reports.timing import LateRule, duration_text, hours_text
from poolab.reports.words import call_word, kind_word, pool_call_label, retest_call_label, step_word
from poolab.store.engine import Store
from poolab.web.charts import histogram, percent, share_text
from poolab.web.guard import Guard
from poolab.web.language import PageLanguage, page_language
from poolab.web.tables import TABLES, headings, parse_order, sort_rows
from poolab.when import local_time

DEFAULT_REFRESH = 10
"""Seconds between the page's updates of itself."""
LISTED = 40
"""Rows per list of late tubes on the page (the longest waiting); counts stay whole. Pools
and confirmed positives are listed whole."""
KEPT_PARAMS = ("late_receipt", "late_result", "lang", *TABLES)
"""The page's own query parameters, kept by the sort links."""


@attrs.frozen(slots=True)
class Settings:
    """What the server was started with."""

    late: LateRule = LateRule()
    refresh: int = DEFAULT_REFRESH
    token: str | None = None
    hosts: frozenset[str] | None = None  # Host header values answered (None: any)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("poolab.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # poolab's own _ and ngettext follow the language of the request being served (a
    # context variable set around each render), so one environment serves both languages
    # from several threads at once
    env.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    env.filters.update(
        n=lambda v: f"{int(v):,}",
        duration=duration_text,
        hours=hours_text,
        clock=lambda at: f"{local_time(at):%H:%M}",
        seconds=lambda at: f"{local_time(at):%H:%M:%S}",
        stamp=lambda at: f"{local_time(at):%Y-%m-%d %H:%M}",
        since=_since,
        segment=lambda name: quote(str(name), safe=""),
        pct=percent,
        share=share_text,
        ct=lambda v: "-" if v is None else f"{v:.1f}",
        prevalence=_prevalence,
        step=step_word,
        call=call_word,
        kind=kind_word,
        pool_call=pool_call_label,
        retest_call=retest_call_label,
    )
    env.globals.update(histogram=histogram)
    return env


def _prevalence(p: float | None) -> str:
    from poolab.reports.rounds import percent_text  # estimates' module: only for a page that shows rounds

    return percent_text(p)


def _since(at: datetime, now: datetime) -> str:
    """How long ago ``at`` was, as of ``now``."""
    return duration_text(max(0.0, (local_time(now) - local_time(at)).total_seconds() / 60))


def _attachment(filename: str) -> str:
    """A Content-Disposition that saves the download as ``filename``: any name in UTF-8
    (RFC 6266), and a plain ASCII one for old clients."""
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _hours_param(request: Request, key: str, default: float) -> float:
    raw = request.query_params.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise PoolabError(_("{key} must be a number of hours, got {value}").format(key=key, value=repr(raw))) from None
    if not math.isfinite(value):
        raise PoolabError(_("{key} must be a number of hours, got {value}").format(key=key, value=repr(raw)))
    return value


def _late(request: Request, settings: Settings) -> LateRule:
    return LateRule(
        _hours_param(request, "late_receipt", settings.late.receipt_hours),
        _hours_param(request, "late_result", settings.late.result_hours),
    )


def create_app(store: Store, settings: Settings | None = None) -> Starlette:
    """The command post's application over an open store."""
    conf = settings or Settings()
    env = _environment()

    def page(lang: PageLanguage, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        with use_language(lang.code):
            html = env.get_template(template).render(refresh=conf.refresh, lang=lang, **context)
        # a cache must not give one browser's language to another
        return HTMLResponse(html, status_code=status, headers={"vary": "Accept-Language"})

    def failure(exc: PoolabError, *, api: bool, lang: PageLanguage | None = None) -> Response:
        status = 404 if isinstance(exc, NotFound) else 503 if isinstance(exc, StoreFault | StoreMissing) else 400
        if api or lang is None:
            return JSONResponse({"error": str(exc)}, status_code=status)
        return page(lang, "error.html", status=status, message=str(exc))

    def browser_language(request: Request) -> PageLanguage:
        """The language of the browser alone (for the page refusing a ``lang``)."""
        return PageLanguage(language_from_header(request.headers.get("accept-language")))

    def language_of(request: Request) -> PageLanguage:
        """The request's language; a ``lang`` other than en or zh is refused (on a page in
        the browser's language)."""
        return page_language(request.query_params.get("lang"), request.headers.get("accept-language"))

    def home(request: Request) -> Response:
        return RedirectResponse("/campaigns", status_code=303)

    def campaigns(request: Request) -> Response:
        from poolab.reports.commandpost import campaign_names

        try:
            lang = language_of(request)
        except PoolabError as exc:
            return failure(exc, api=False, lang=browser_language(request))
        try:
            with use_language(lang.code):
                rows = campaign_names(store)
        except PoolabError as exc:
            return failure(exc, api=False, lang=lang)
        return page(lang, "campaigns.html", campaigns=rows, store=store.shown)

    def campaign(request: Request) -> Response:
        from poolab.reports.commandpost import campaign_view

        name = request.path_params["name"]
        try:
            lang = language_of(request)
        except PoolabError as exc:
            return failure(exc, api=False, lang=browser_language(request))
        try:
            with use_language(lang.code):  # a refusal is in the page's language
                orders = {table: parse_order(table, request.query_params.get(table)) for table in TABLES}
                view = campaign_view(store, name, late=_late(request, conf), listed=LISTED)
        except PoolabError as exc:
            return failure(exc, api=False, lang=lang)
        params = {k: v for k, v in request.query_params.items() if k in KEPT_PARAMS and v}
        return page(
            lang,
            "campaign.html",
            view=view,
            defaults=conf.late,
            pools=sort_rows(view.flagged, "pools", orders["pools"]),
            positives=sort_rows(view.positives, "positives", orders["positives"]),
            pool_headings=headings("pools", orders, params, "h-pools"),
            positive_headings=headings("positives", orders, params, "h-positives"),
        )

    def positives_csv(request: Request) -> Response:
        from poolab.lab.resolve import write_positives

        name = request.path_params["name"]
        out = io.BytesIO()
        try:
            lang = language_of(request)
        except PoolabError as exc:
            return failure(exc, api=False, lang=browser_language(request))
        try:
            write_positives(store, name, out)  # masked: the web view never shows a name whole
        except PoolabError as exc:
            return failure(exc, api=False, lang=lang)
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": _attachment(f"{name}-positives.csv")},
        )

    def status(request: Request) -> Response:
        from poolab.reports.status import campaign_status

        try:
            body = campaign_status(store, request.path_params["name"], late=_late(request, conf)).as_json()
        except PoolabError as exc:
            return failure(exc, api=True)
        # byte for byte what `poolab status NAME --json` prints
        return Response(json.dumps(body, ensure_ascii=False) + "\n", media_type="application/json")

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/campaigns", campaigns, methods=["GET"]),
        Route("/campaigns/{name:str}", campaign, methods=["GET"]),
        Route("/campaigns/{name:str}/positives.csv", positives_csv, methods=["GET"]),
        Route("/api/campaigns/{name:str}/status", status, methods=["GET"]),
        Mount("/static", app=StaticFiles(packages=[("poolab.web", "static")]), name="static"),
    ]
    app = Starlette(routes=routes)
    hosts = set(conf.hosts) if conf.hosts is not None else None
    app.add_middleware(Guard, token=conf.token, hosts=hosts)
    return app
