"""Options shared by ``poolab status`` and ``poolab serve``: when a tube is late (the
lines of turnaround and late tubes are the library's: ``poolab.reports.status_text``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# the library's defaults (poolab.reports.timing), repeated here so --help needs no import of it
DEFAULT_RECEIPT_HOURS = 4.0
DEFAULT_RESULT_HOURS = 6.0
_HOURS = click.FloatRange(min=0, min_open=True, max=720)


def late_options(fn: F) -> F:
    """``--late-receipt HOURS`` and ``--late-result HOURS``."""
    fn = click.option(
        "--late-result",
        type=_HOURS,
        default=DEFAULT_RESULT_HOURS,
        show_default=True,
        metavar="HOURS",
        help="A received tube without a usable result (none yet, or invalid) after this many hours is late.",
    )(fn)
    return click.option(
        "--late-receipt",
        type=_HOURS,
        default=DEFAULT_RECEIPT_HOURS,
        show_default=True,
        metavar="HOURS",
        help="A collected tube not received at the lab after this many hours is late.",
    )(fn)
