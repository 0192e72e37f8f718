"""``poolab serve``"""

from __future__ import annotations

import click

from poolab.i18n import _

from .collector import resume_collector
from .common import VERBATIM, AppContext, pass_app
from .late import late_options


@click.command(
    help=_("A read-only web view of the store for the command post, until Ctrl-C.")
    + VERBATIM
    + _(
        "/campaigns                    the campaigns in the store\n"
        "/campaigns/NAME               progress by compound, every positive pool\n"
        "                              and its retests, every confirmed positive\n"
        "                              (masked; each list sorts by any column),\n"
        "                              turnaround, late tubes; updates itself\n"
        "/campaigns/NAME/positives.csv the confirmed positives, as `poolab\n"
        "                              positives NAME` writes them (masked)\n"
        "/api/campaigns/NAME/status    the JSON of `poolab status NAME --json`"
    )
    + "\n\n"
    + _(
        "It listens on 127.0.0.1 (this machine only) unless --host says otherwise; then a "
        "token is required, checked on every request (401 without it). Nothing can be "
        "written through it. Several command posts can watch one PostgreSQL store "
        "(--db postgresql://...), each running its own `poolab serve`. Needs poolab[web]."
    )
    + VERBATIM
    + _("Examples:")
    + "\n"
    "  poolab --db poolab-demo/poolab.db serve\n"
    "  POOLAB_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))') \\\n"
    "    poolab --db postgresql://lab@db-host/poolab serve --host 0.0.0.0 --port 8080"
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help=_("Address to listen on. Anything but loopback needs --token."),
)
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help=_("Port (0: any free port).")
)
@click.option(
    "--token",
    envvar="POOLAB_TOKEN",
    default=None,
    help=_(
        "Required of every request (Authorization: Bearer TOKEN, or as the password a browser asks for); "
        "needed to serve beyond this machine. Env: POOLAB_TOKEN (keeps it out of the process list)."
    ),
)
@click.option(
    "--refresh",
    default=10,
    show_default=True,
    type=click.IntRange(2, 3600),
    metavar="SECONDS",
    help=_("How often an open page updates itself."),
)
@late_options
@pass_app
def serve(
    app: AppContext, host: str, port: int, token: str | None, refresh: int, late_receipt: float, late_result: float
) -> None:
    from poolab.reports.timing import LateRule
    from poolab.web.serve import serve as run_server

    resume_collector()  # a server runs for days
    store = app.store()

    def ready(url: str) -> None:  # the store as every command names it: no password
        click.echo(
            _("poolab command post at {url} (store {store}); Ctrl-C stops it").format(
                url=f"{url}campaigns", store=store.shown
            )
        )

    try:
        run_server(
            store,
            host=host,
            port=port,
            token=token,
            late=LateRule(late_receipt, late_result),
            refresh=refresh,
            on_ready=ready,
        )
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM: uvicorn has finished the requests in flight
    click.echo(_("poolab command post stopped"))
