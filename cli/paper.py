"""``poolab labels``"""

from __future__ import annotations

import click

from poolab.i18n import _

# attrs and the stock table only (no reportlab): cheap enough for --help
from poolab.paper.stocks import DEFAULT_STOCK, STOCKS, stock_description

from .common import VERBATIM, AppContext, pass_app, stderr_progress, unmasked_option


def _layouts_help() -> str:
    return "\n".join(f"  {s.name:<11} {stock_description(s)}" for s in STOCKS.values())


@click.command(
    help=_(
        "Printable labels for campaign NAME: one label per tube, in walk order, so a "
        "team's stack comes off the sheets in the order it walks."
    )
    + "\n\n"
    + _(
        "Each label has a Code 128 barcode with the code in plain text under it, the "
        "compound and building above it (retest tubes: the resident's masked name and "
        "room), and the campaign and the tube's place in the walk. Print at 100% (no \"fit "
        'to page"). Needs the print extra: {install}.'
    ).format(install="pip install 'poolab[print]'"),
    epilog="\b\n"
    + _("Layouts (--layout):")
    + "\n"
    + _layouts_help()
    + VERBATIM
    + _(
        "Examples:\n"
        "  poolab labels day1 -o day1-tubes.pdf\n"
        "  poolab labels day1 --layout roll-50x30 -o day1-tubes-roll.pdf\n"
        "  poolab retest day1 -o day1-retest.csv   # issues the resample tubes\n"
        "  poolab labels day1 --what retest -o day1-retest-labels.pdf\n"
        "  poolab labels day1 --home-visits -o day1-home-visit-labels.pdf"
    ),
)
@click.argument("name")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False),
    help=_("PDF file to write (replaced whole when complete)."),
)
@click.option(
    "--what",
    type=click.Choice(["tubes", "retest", "plates"]),
    default="tubes",
    show_default=True,
    help=_(
        "tubes: the campaign's pool tubes; retest: the individual resample tubes `poolab retest` "
        "issued (masked name and room on each); plates: the lab's plate barcodes."
    ),
)
@click.option(
    "--layout",
    type=click.Choice(list(STOCKS)),
    default=DEFAULT_STOCK,
    show_default=True,
    help=_("Label stock (listed below)."),
)
@unmasked_option
@click.option(
    "--home-visits",
    is_flag=True,
    help=_(
        "With --what tubes: only the home-visit tubes (the home-visit team's stack); "
        "without it the tube labels leave them out."
    ),
)
@pass_app
def labels(app: AppContext, name: str, output: str, what: str, layout: str, unmasked: bool, home_visits: bool) -> None:
    from poolab.paper.jobs import write_labels

    with stderr_progress(unit=_("labels")) as progress:
        s = write_labels(
            app.store(),
            name,
            output,
            what=what,
            layout=layout,
            unmasked=unmasked,
            home_visits=home_visits,
            progress=progress,
        )
    click.echo(
        _("wrote {file}: {labels} labels on {pages} pages ({layout})").format(
            file=s.path, labels=s.items, pages=s.pages, layout=layout
        )
    )
