"""``poolab compile``"""

from __future__ import annotations

import click


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
