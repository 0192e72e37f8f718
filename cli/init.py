"""``poolab init``"""

from __future__ import annotations

import click

from .common import AppContext, hint, next_step, pass_app


@click.command()
@pass_app
def init(app: AppContext) -> None:
    """Create the store, or bring one made by an earlier poolab up to date (every row
    is kept; the schema's migrations run in one transaction).

    \b
    Examples:
      poolab init                                   # ./poolab.db (SQLite, owner-only)
      poolab --db site2.db init                     # another SQLite file
      poolab --db postgresql://lab@db-host/poolab init
    """
    from poolab.store.engine import init_store

    store, done = init_store(app.db_url, operator=app.operator)
    store.dispose()
    click.echo(f"store {store.shown}: {done}")
    next_step(app, hint("roster", "import", "FILE"))
