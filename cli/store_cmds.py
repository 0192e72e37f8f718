"""``poolab init``"""

from __future__ import annotations

import click

from .common import AppContext, next_step, pass_app, reports_errors


@click.command()
@pass_app
@reports_errors
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
    next_step(app, "roster import FILE")


@click.command("compile")
def compile_kernels() -> None:
    """Compile the numeric kernels now (numba), so later commands start at full speed.

    The compiled code is cached on disk beside the package; `make` runs this once at
    install. Running it again only checks the cache.
    """
    from poolab.compile import compile_kernels as run

    def show(name: str, seconds: float) -> None:
        click.echo(f"  {name:<18} {seconds:6.1f} s")

    click.echo("compiling numeric kernels (once per install)...")
    total = sum(run(show).values())
    click.echo(f"  {'total':<18} {total:6.1f} s")
