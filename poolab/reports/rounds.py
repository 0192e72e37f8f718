"""`poolab rounds`: the run of days of a silent period, the chain ending at a campaign.

Each round: residents sampled, residents left out as isolated positives, close contacts
swabbed alone and left out, pool tubes, positive pools (positive or inconclusive, as
``estimate`` counts them), new positives (residents an individual tube of the round
confirmed) and the prevalence estimate with its 95% interval (``estimate``; null while
the round has no pool result). Then the number of rounds in a row, newest first, that
found no new positive: what decides when the silence is lifted. A round counts only
when its results are complete (every pool tube has a usable result and every resident
of a positive or inconclusive pool an individual one); the newest rounds still under
way and without a new positive are passed over, since they have found nothing yet.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import attrs

from poolab.reports.estimate import accuracy, estimate_campaign
from poolab.reports.prevalence import BadEstimateInput
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.store.rounds import RoundCounts, chain_of, newest_events, round_counts

POSITIVE_CALLS = ("positive", "inconclusive")
USABLE_CALLS = ("positive", "inconclusive", "negative")


@attrs.frozen(slots=True)
class RoundFigures:
    """One round of the chain (``as_json``: the contract's keys, in order)."""

    campaign: str
    residents_sampled: int
    isolated: int
    contacts_single: int
    contacts_excluded: int
    tubes: int
    positive_pools: int
    new_positives: int
    prevalence: float | None
    ci95: tuple[float, float] | None
    complete: bool
    """Every pool tube has a usable result and nobody waits for an individual one."""
    pending: int

    def as_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "residents_sampled": self.residents_sampled,
            "isolated": self.isolated,
            "contacts_single": self.contacts_single,
            "contacts_excluded": self.contacts_excluded,
            "tubes": self.tubes,
            "positive_pools": self.positive_pools,
            "new_positives": self.new_positives,
            "prevalence": self.prevalence,
            "ci95": None if self.ci95 is None else list(self.ci95),
        }


@attrs.frozen(slots=True)
class RoundsReport:
    """The chain ending at a campaign, oldest first."""

    rounds: tuple[RoundFigures, ...]
    rounds_without_new_positive: int

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` object, exactly the contract's keys."""
        return {
            "rounds": [r.as_json() for r in self.rounds],
            "rounds_without_new_positive": self.rounds_without_new_positive,
        }


def percent_text(p: float | None) -> str:
    """A prevalence as people read it: three significant digits, never in e-notation."""
    if p is None:
        return "-"
    value = 100 * p
    return f"{value:.3g}%" if value == 0 or value >= 0.001 else f"{value:.5f}%"


def rounds_without_new_positive(rounds: Sequence[RoundFigures]) -> int:
    """Rounds in a row, from the newest back, that are complete and found no new
    positive; the newest rounds still under way without one are passed over."""
    count = 0
    for r in reversed(rounds):
        if r.new_positives:
            break
        if not r.complete:
            if count == 0:
                continue
            break
        count += 1
    return count


def _figures(name: str, counts: RoundCounts, estimate: tuple[float, tuple[float, float]] | None) -> RoundFigures:
    calls = counts.pool_calls
    usable = sum(n for call, n in calls.items() if call in USABLE_CALLS)
    return RoundFigures(
        campaign=name,
        residents_sampled=counts.residents_sampled,
        isolated=counts.carried.get("isolated", 0),
        contacts_single=counts.carried.get("contact_single", 0),
        contacts_excluded=counts.carried.get("contact_excluded", 0),
        tubes=counts.tubes,
        positive_pools=sum(calls.get(c, 0) for c in POSITIVE_CALLS),
        new_positives=counts.new_positives,
        prevalence=None if estimate is None else estimate[0],
        ci95=None if estimate is None else estimate[1],
        complete=counts.tubes > 0 and usable == counts.tubes and counts.pending == 0,
        pending=counts.pending,
    )


_CACHE: dict[tuple[str, int, int, tuple[float, ...], tuple[float, ...]], RoundFigures] = {}
_CACHE_SIZE = 256
_CACHE_LOCK = threading.Lock()  # the command post serves pages from several threads
"""Figures of rounds already read, by store, campaign, newest event and Se/Sp: a round's
figures change only with a new event of its own, so the command post, which reads the
chain on every refresh, reads again only the round that is still under way."""


def campaign_rounds(
    store: Store, campaign: str, *, se: Sequence[float] = (1.0,), sp: Sequence[float] = (1.0,)
) -> RoundsReport:
    """The chain ending at ``campaign``, oldest first, with each round's figures (the
    estimates under the assay's ``se``/``sp``, as ``estimate_campaign`` takes them)."""
    accuracy(se, sp)  # a bad Se/Sp is refused, never read as "no estimate yet"
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        chain = chain_of(conn, campaign_id=info.id)
        newest = newest_events(conn, campaign_ids=[r.id for r in chain])
        keys = [(store.url, r.id, newest.get(r.id, 0), tuple(se), tuple(sp)) for r in chain]
        counts = {
            r.id: round_counts(conn, campaign_id=r.id) for r, k in zip(chain, keys, strict=True) if k not in _CACHE
        }
    figures = []
    for r, key in zip(chain, keys, strict=True):
        cached = _CACHE.get(key)
        if cached is None:
            cached = _figures(r.name, counts[r.id], _estimate(store, r.name, counts[r.id], se, sp))
            with _CACHE_LOCK:
                if len(_CACHE) >= _CACHE_SIZE:
                    _CACHE.pop(next(iter(_CACHE)))  # the oldest entry
                _CACHE[key] = cached
        figures.append(cached)
    return RoundsReport(tuple(figures), rounds_without_new_positive(figures))


def _estimate(
    store: Store, name: str, counts: RoundCounts, se: Sequence[float], sp: Sequence[float]
) -> tuple[float, tuple[float, float]] | None:
    """The round's prevalence and 95% interval; None while it has no usable pool result."""
    if not any(call is not None and call != "invalid" for call in counts.pool_calls):
        return None
    try:
        e = estimate_campaign(store, name, se=se, sp=sp)
    except BadEstimateInput:
        return None  # no usable pool result yet
    return e.prevalence, e.ci95
