"""Options and lines shared by ``poolab status`` and ``poolab serve``: when a tube is
late, and how turnaround and late tubes read in a terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from poolab.reports.timing import CampaignTiming

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


def timing_lines(timing: CampaignTiming) -> list[str]:
    """Turnaround and late tubes, two lines each, in the style of ``poolab status``."""
    from poolab.reports.timing import duration_text, hours_text

    out = []
    for span, label in (("collection_to_receipt", "swab to lab"), ("receipt_to_result", "lab to result")):
        t = timing.turnaround[span]
        out.append(
            f"  turnaround {label:<14} median {duration_text(t.median_minutes)}, "
            f"90% within {duration_text(t.p90_minutes)} ({t.tubes} tubes)"
        )
    late = timing.late
    out.append(
        f"  late      {late['not_received'].count} collected, not received after "
        f"{hours_text(timing.rule.receipt_hours)}; {late['without_result'].count} received, "
        f"no result after {hours_text(timing.rule.result_hours)}"
    )
    return out
