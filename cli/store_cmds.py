"""``poolab init``"""

from __future__ import annotations

import click

from cli.common import AppContext, pass_app, reports_errors


@click.command()
@pass_app
@reports_errors
def init(app: AppContext) -> None:
    """Create the store, or bring an older one up to date.

    \b
    Examples:
      poolab init                                   # ./poolab.db (SQLite)
      poolab --db postgresql://lab@db-host/poolab init
    """
    from poolab.store.engine import init_store

    store, done = init_store(app.db_url)
    store.dispose()
    click.echo(f"store {app.db_url}: {done}")
