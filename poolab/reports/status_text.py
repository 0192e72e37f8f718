"""``poolab status`` as a person reads it in a terminal: counts by step and by call,
what is still awaited, turnaround and late tubes. The words follow the language
(``poolab.i18n``); the JSON (``CampaignStatus.as_json``) never does."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs

from poolab.i18n import _
from poolab.reports.columns import left
from poolab.reports.status import CampaignStatus
from poolab.reports.timing import CampaignTiming, duration_text, hours_text
from poolab.reports.words import call_word, step_word

SHOWN_CODES = 200
"""Barcodes listed per list of missing tubes; the rest are counted."""


def _counts(counts: Mapping[str, int], word: Callable[[str], str]) -> str:
    """``planned 3  collected 5 ...``: each name in the reader's words."""
    return "  ".join(_("{word} {count}").format(word=word(k), count=v) for k, v in counts.items())


def _row(label: str, text: str) -> str:
    """``  tubes     planned 3 ...``: the label in a column of its own, as wide in Chinese."""
    return f"  {left(label, 9)} {text}"


def status_lines(status: CampaignStatus, missing: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The lines of ``poolab status`` (``missing``: the barcodes still awaited, by what
    they wait for, when asked for)."""
    s, t = status, status.tubes
    out = [
        _("campaign {campaign}: {residents} residents, {pools} pool tubes, {retests} retest tubes").format(
            campaign=s.campaign, residents=s.residents, pools=s.pools, retests=s.retest
        ),
        _row(_("tubes"), _counts(attrs.asdict(t), step_word)),
        _row(_("pools"), _counts(s.pool_results, call_word)),
    ]
    if s.retest:
        out.append(_row(_("retests"), _counts(s.individual_results, call_word)))
    waiting = [
        _("{count} received without a result").format(count=s.missing_results),
        _("{count} not yet received").format(count=s.awaiting_receipt),
    ]
    if s.awaiting_collection:
        waiting.append(_("{count} not yet collected").format(count=s.awaiting_collection))
    out.append(_row(_("waiting"), _(", ").join(waiting)))
    out.append(_("  confirmed positive residents: {count}").format(count=s.confirmed_positive))
    if s.timing is not None:
        out.extend(timing_lines(s.timing))
    if missing is not None:
        for key, codes in missing.items():
            shown = " ".join(codes[:SHOWN_CODES])
            if len(codes) > SHOWN_CODES:
                shown += _(" ... (+{more})").format(more=len(codes) - SHOWN_CODES)
            out.append(
                _("  {what} ({count}): {codes}").format(what=missing_word(key), count=len(codes), codes=shown or "-")
            )
    return out


def missing_word(key: str) -> str:
    """What a list of missing tubes waits for (``missing_tubes``' keys)."""
    words = {
        "awaiting_collection": _("awaiting collection"),
        "awaiting_receipt": _("awaiting receipt"),
        "awaiting_result": _("awaiting result"),
    }
    return words.get(key, key.replace("_", " "))


def timing_lines(timing: CampaignTiming) -> list[str]:
    """Turnaround (two lines) and late tubes (one), in the style of ``poolab status``."""
    spans = (("collection_to_receipt", _("swab to lab")), ("receipt_to_result", _("lab to result")))
    out = []
    for span, label in spans:
        t = timing.turnaround[span]
        out.append(
            _("  turnaround {span} median {median}, 90% within {p90} ({tubes} tubes)").format(
                span=left(label, 14),
                median=duration_text(t.median_minutes),
                p90=duration_text(t.p90_minutes),
                tubes=t.tubes,
            )
        )
    late = timing.late
    out.append(
        _row(
            _("late"),
            _(
                "{not_received} collected, not received after {receipt_hours}; "
                "{without_result} received, no result after {result_hours}"
            ).format(
                not_received=late["not_received"].count,
                receipt_hours=hours_text(timing.rule.receipt_hours),
                without_result=late["without_result"].count,
                result_hours=hours_text(timing.rule.result_hours),
            ),
        )
    )
    return out
