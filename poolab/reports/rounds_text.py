"""``poolab rounds`` as a person reads it in a terminal: one row per round under headings
in the reader's language, kept in line when they (or a campaign's name) are Chinese."""

from __future__ import annotations

from poolab.i18n import _, ngettext
from poolab.reports.columns import left, right
from poolab.reports.rounds import RoundFigures, RoundsReport, percent_text


def _interval(r: RoundFigures) -> str:
    if r.ci95 is None:
        return "-"
    return _("{value} ({low} to {high})").format(
        value=percent_text(r.prevalence), low=percent_text(r.ci95[0]), high=percent_text(r.ci95[1])
    )


def rounds_lines(report: RoundsReport) -> list[str]:
    """The table of rounds, oldest first, its legend, and the run without a new positive."""
    heading = " ".join(
        [
            left(_("round"), 16),
            right(_("sampled"), 8),
            right(_("isolated"), 8),
            right(_("alone"), 6),
            right(_("out"), 5),
            right(_("tubes"), 7),
            right(_("pos.pools"), 9),
            right(_("new pos."), 8),
        ]
    )
    out = [heading + "  " + left(_("prevalence ({level} interval)").format(level="95%"), 32)]
    for r in report.rounds:
        state = "" if r.complete else "  " + _("results incomplete")
        figures = " ".join(
            [
                left(r.campaign, 16),
                right(f"{r.residents_sampled:,}", 8),
                right(f"{r.isolated:,}", 8),
                right(f"{r.contacts_single:,}", 6),
                right(f"{r.contacts_excluded:,}", 5),
                right(f"{r.tubes:,}", 7),
                right(f"{r.positive_pools:,}", 9),
                right(f"{r.new_positives:,}", 8),
            ]
        )
        out.append(f"{figures}  {left(_interval(r), 32)}{state}".rstrip())
    out.append(_("alone: close contacts each in a tube of their own; out: close contacts left out"))
    n = report.rounds_without_new_positive
    out.append(
        ngettext(
            "{count} round in a row without a new positive", "{count} rounds in a row without a new positive", n
        ).format(count=n)
    )
    return out
