"""``poolab estimate`` as a person reads it in a terminal: the district's prevalence, the
per-compound table, and the compounds or buildings above the district. The words follow
the language (``poolab.i18n``); the JSON and the CSV (``write_risk_csv``) never do."""

from __future__ import annotations

from poolab.i18n import _, ngettext
from poolab.reports.columns import left, right
from poolab.reports.estimate import CampaignEstimate, GroupEstimate


def percent(p: float) -> str:
    """A prevalence to four significant digits: 0.1234%."""
    return f"{100 * p:.4g}%"


def _interval(low: float, high: float) -> str:
    return _("{low} to {high}").format(low=percent(low), high=percent(high))


def _grouping(by: str, count: int) -> str:
    """``3 compounds``, ``1 building`` in the reader's words."""
    if by == "compound":
        return ngettext("{count} compound", "{count} compounds", count).format(count=count)
    return ngettext("{count} building", "{count} buildings", count).format(count=count)


def _where(g: GroupEstimate) -> str:
    if g.building is None:
        return g.compound
    return _("{place} / building {building}").format(place=g.compound, building=g.building)


def estimate_lines(result: CampaignEstimate, *, written: str | None = None) -> list[str]:
    """The lines of ``poolab estimate`` (``written``: the file the figures of every group
    went to, when ``-o`` named one)."""
    lo, hi = result.ci95
    out = [
        _("campaign {campaign}: prevalence {prevalence} ({level} interval {low} to {high})").format(
            campaign=result.campaign,
            prevalence=percent(result.prevalence),
            level="95%",  # a number, outside the message: "95% i" would read as a %-format to the catalogue
            low=percent(lo),
            high=percent(hi),
        ),
        _(
            "  from {pools} pools ({positive} positive) holding {people} people, and {individual} "
            "individual results; {without} pools without a result"
        ).format(
            pools=result.pools,
            positive=result.positive_pools,
            people=result.people,
            individual=result.individual_results,
            without=result.pools_without_result,
        ),
    ]
    by = result.by
    if by is None:
        return out
    if by == "compound":
        # names last: CJK names are two columns wide and would push the figures out of line
        out.append(
            "  "
            + " ".join(
                [
                    right(_("pools"), 6),
                    right(_("pos"), 4),
                    right(_("prevalence"), 11) + " ",
                    left(_("{level} interval").format(level="95%"), 24),
                ]
            )
            + " "
            + _("compound")
        )
        for g in result.groups:
            row = [right(str(g.pools), 6), right(str(g.positive_pools), 4), right(percent(g.prevalence), 11) + " "]
            out.append("  " + " ".join([*row, left(_interval(*g.ci95), 24)]) + " " + g.compound)
    above = result.above_district
    line = _("  {above} of {groups} above the district (exact test, Holm 5%)").format(
        above=len(above), groups=_grouping(by, len(result.groups))
    )
    out.append(line + (_(":") if above else ""))
    for g in above:
        out.append(
            _(
                "    {where}: {positive} of {pools} pools positive, prevalence {prevalence} ({low} to {high}), p = {p}"
            ).format(
                where=_where(g),
                positive=g.positive_pools,
                pools=g.pools,
                prevalence=percent(g.prevalence),
                low=percent(g.ci95[0]),
                high=percent(g.ci95[1]),
                p=f"{g.p_value:.2g}",
            )
        )
    if written is not None:
        out.append(
            _("wrote {path}: {groups}, {above} of them above the district").format(
                path=written, groups=_grouping(by, len(result.groups)), above=len(above)
            )
        )
    elif by == "building":
        out.append(_("  (every building's figures: --json)"))
    return out
