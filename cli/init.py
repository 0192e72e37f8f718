"""``poolab init``"""

from __future__ import annotations

import click

from poolab.i18n import _

from .common import VERBATIM, AppContext, hint, next_step, pass_app


@click.command(
    help=_(
        "Create the store, or bring one made by an earlier poolab up to date (every row "
        "is kept; the schema's migrations run in one transaction)."
    )
    + VERBATIM
    + _(
        "Examples:\n"
        "  poolab init                                   # ./poolab.db (SQLite, owner-only)\n"
        "  poolab --db site2.db init                     # another SQLite file\n"
        "  poolab --db postgresql://lab@db-host/poolab init"
    )
)
@pass_app
def init(app: AppContext) -> None:
    from poolab.store.engine import init_store

    store, done = init_store(app.db_url, operator=app.operator)
    store.dispose()
    click.echo(_("store {store}: {done}").format(store=store.shown, done=done))
    next_step(app, hint("roster", "import", "FILE"))
