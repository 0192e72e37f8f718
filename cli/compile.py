"""``poolab compile``"""

from __future__ import annotations

import click

from poolab.i18n import _


@click.command(
    "compile",
    help=_("Compile the numeric kernels now (numba), so later commands start at full speed.")
    + "\n\n"
    + _(
        "The compiled code is cached on disk beside the package; `make` runs this once at "
        "install. Running it again only checks the cache."
    ),
)
def compile_kernels() -> None:
    from poolab.compile import compile_kernels as run

    def show(name: str, seconds: float) -> None:
        click.echo(_("  {kernel:<18} {seconds:6.1f} s").format(kernel=name, seconds=seconds))

    click.echo(_("compiling numeric kernels (once per install)..."))
    total = sum(run(show).values())
    click.echo(_("  {total:<18} {seconds:6.1f} s").format(total=_("total"), seconds=total))
