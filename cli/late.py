"""Options and lines shared by ``poolab status`` and ``poolab serve``: when a tube is
late, and how turnaround and late tubes read in a terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from poolab.i18n import _

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
        help=_("A received tube without a usable result (none yet, or invalid) after this many hours is late."),
    )(fn)
    return click.option(
        "--late-receipt",
        type=_HOURS,
        default=DEFAULT_RECEIPT_HOURS,
        show_default=True,
        metavar="HOURS",
        help=_("A collected tube not received at the lab after this many hours is late."),
    )(fn)


def timing_lines(timing: CampaignTiming) -> list[str]:
    """Turnaround and late tubes, two lines each, in the style of ``poolab status``."""
    from poolab.reports.timing import duration_text, hours_text

    from .common import pad

    out = []
    for span, label in (
        ("collection_to_receipt", _("swab to lab")),
        ("receipt_to_result", _("lab to result")),
    ):
        t = timing.turnaround[span]
        out.append(
            _("  turnaround {span} median {median}, 90% within {p90} ({tubes} tubes)").format(
                span=pad(label, 14),
                median=duration_text(t.median_minutes),
                p90=duration_text(t.p90_minutes),
                tubes=t.tubes,
            )
        )
    late = timing.late
    out.append(
        _(
            "  late      {not_received} collected, not received after {receipt_hours}; "
            "{without_result} received, no result after {result_hours}"
        ).format(
            not_received=late["not_received"].count,
            receipt_hours=hours_text(timing.rule.receipt_hours),
            without_result=late["without_result"].count,
            result_hours=hours_text(timing.rule.result_hours),
        )
    )
    return out
