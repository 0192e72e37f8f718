"""The command post's view of a campaign: everything its page shows, every figure
counted by the database (``poolab.store.progress``, ``findings``, ``timing``), nothing
per tube in Python: per-compound progress and residents still waiting, the
pools that sent people to a retest and how far the retests got, the confirmed
positives (names masked as on exports), turnaround and late tubes.

``figures`` holds the keys of ``poolab status --json`` counted the same way
``campaign_status`` counts them; the tests hold the two equal on every backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import attrs

from poolab.masking import mask_name
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.store.findings import FlaggedPool, confirmed_positives, flagged_pools
from poolab.store.progress import STEPS, RetestOutcome, StepCount, retest_outcomes, step_counts
from poolab.timing import CampaignTiming, LateRule, campaign_timing

CALLS = ("positive", "negative", "inconclusive", "invalid")
FLAGGED_CALLS = ("positive", "inconclusive")
LISTED = 100
"""Rows shown per list (flagged pools, positives, late tubes); the counts are always whole."""


@attrs.frozen(slots=True)
class Progress:
    """Pool tubes of one compound (or all of them) by the furthest step reached, and
    what has become of their residents."""

    compound: str
    residents: int
    tubes: int
    reached: dict[str, int]  # step -> tubes at that step or further
    positive_pools: int
    inconclusive_pools: int
    cleared: int  # residents with a negative pool or a negative retest
    confirmed: int  # residents confirmed positive
    waiting: int  # residents without either yet

    def share(self, step: str) -> float:
        """The part of the tubes that reached ``step`` (0 to 1)."""
        return self.reached[step] / self.tubes if self.tubes else 0.0


@attrs.frozen(slots=True)
class Retests:
    """Individual resample tubes: issued, and how many reached each step."""

    issued: int
    received: int
    resulted: int
    positive: int
    inconclusive: int

    @property
    def outstanding(self) -> int:
        """Issued and without a result yet."""
        return self.issued - self.resulted


@attrs.frozen(slots=True)
class MaskedPositive:
    """A confirmed positive resident as the positives export shows them, name masked."""

    resident_id: str
    name: str
    compound: str
    building: str
    unit: str
    room: str
    barcode: str
    at: datetime


@attrs.frozen(slots=True)
class CampaignView:
    """What the command post's page shows about one campaign."""

    campaign: str
    figures: dict[str, object]  # the keys of `poolab status --json`
    steps: tuple[str, ...]
    overall: Progress
    compounds: tuple[Progress, ...]  # the most behind first
    retests: Retests
    flagged: tuple[FlaggedPool, ...]
    flagged_total: int
    positives: tuple[MaskedPositive, ...]
    positives_total: int
    timing: CampaignTiming

    @property
    def now(self) -> datetime:
        return self.timing.now


def campaign_view(
    store: Store, campaign: str, *, late: LateRule | None = None, now: datetime | None = None, listed: int = LISTED
) -> CampaignView:
    """Read the campaign's page. The time-based figures (turnaround, late tubes) are read
    on a second connection at the same moment, beside the counts (two cores, half the
    wait); each part is one snapshot of the store."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)

    def read_timing() -> CampaignTiming:
        with store.read() as conn:
            return campaign_timing(conn, campaign_id=info.id, rule=late or LateRule(), now=at, listed=listed)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="poolab-timing") as pool:
        pending = pool.submit(read_timing)
        with store.read() as conn:
            counts = step_counts(conn, campaign_id=info.id)
            outcomes = retest_outcomes(conn, campaign_id=info.id)
            flagged = flagged_pools(conn, campaign_id=info.id, calls=FLAGGED_CALLS, limit=listed)
            positives = confirmed_positives(conn, campaign_id=info.id, limit=listed)
        timing = pending.result()
    pools = [c for c in counts if c.kind == "pool"]
    by_compound = {o.compound: o for o in outcomes}
    grouped: dict[str, list[StepCount]] = {}
    for c in pools:  # a few rows per compound
        grouped.setdefault(c.compound, []).append(c)
    compounds = sorted(
        (_progress(name, rows, [by_compound.get(name)]) for name, rows in grouped.items()),
        key=lambda p: (p.share("resulted"), p.share("received"), p.compound),
    )
    overall = _progress("", pools, outcomes)
    figures = status_figures(info.name, counts, overall.confirmed)
    return CampaignView(
        campaign=info.name,
        figures=figures,
        steps=STEPS,
        overall=overall,
        compounds=tuple(compounds),
        retests=_retests([c for c in counts if c.kind == "individual"]),
        flagged=tuple(flagged),
        flagged_total=overall.positive_pools + overall.inconclusive_pools,
        positives=tuple(
            MaskedPositive(p.resident_id, mask_name(p.name), p.compound, p.building, p.unit, p.room, p.barcode, p.at)
            for p in positives
        ),
        positives_total=overall.confirmed,
        timing=timing,
    )


def _progress(compound: str, pools: list[StepCount], outcomes: Iterable[RetestOutcome | None]) -> Progress:
    """One compound's (or all compounds') progress from its pool tubes' counts and what
    the retests decided for its residents."""
    reached = {s: sum(c.tubes for c in pools if STEPS.index(c.step) >= i) for i, s in enumerate(STEPS)}
    residents = sum(c.people for c in pools)
    pool_cleared = sum(c.people for c in pools if c.call == "negative")
    got = [o for o in outcomes if o is not None]
    confirmed = sum(o.positive for o in got)
    cleared = pool_cleared - sum(o.positive_in_negative_pool for o in got) + sum(o.cleared for o in got)
    return Progress(
        compound=compound,
        residents=residents,
        tubes=reached[STEPS[0]],
        reached=reached,
        positive_pools=sum(c.tubes for c in pools if c.call == "positive"),
        inconclusive_pools=sum(c.tubes for c in pools if c.call == "inconclusive"),
        cleared=cleared,
        confirmed=confirmed,
        waiting=residents - cleared - confirmed,
    )


def _retests(individual: list[StepCount]) -> Retests:
    def at_least(step: str) -> int:
        return sum(c.tubes for c in individual if STEPS.index(c.step) >= STEPS.index(step))

    return Retests(
        issued=at_least("planned"),
        received=at_least("received"),
        resulted=at_least("resulted"),
        positive=sum(c.tubes for c in individual if c.call == "positive"),
        inconclusive=sum(c.tubes for c in individual if c.call == "inconclusive"),
    )


def status_figures(campaign: str, counts: list[StepCount], confirmed: int) -> dict[str, object]:
    """The keys of ``poolab status --json`` (before turnaround and late), from the
    grouped counts, by the rules of ``poolab.resolve.campaign_status`` (a test holds the
    two equal): tubes at their furthest step (a plated tube is a received one there),
    current calls, retest tubes, and the tubes awaited for collection, receipt or a
    usable result."""

    def total(**match: object) -> int:
        return sum(c.tubes for c in counts if all(getattr(c, k) == v for k, v in match.items()))

    scans_collection = any(c.collected for c in counts)
    received = total(step="received") + total(step="plated")
    return {
        "campaign": campaign,
        "residents": sum(c.people for c in counts if c.kind == "pool"),
        "pools": total(kind="pool"),
        "tubes": {
            "planned": total(step="planned"),
            "collected": total(step="collected"),
            "received": received,
            "resulted": total(step="resulted"),
        },
        "results": {c: total(call=c) for c in CALLS},
        "retest": total(kind="individual"),
        "confirmed_positive": confirmed,
        "missing_results": received + total(step="resulted", call="invalid"),
        "awaiting_receipt": total(step="collected")
        + total(kind="individual", step="planned")
        + (0 if scans_collection else total(kind="pool", step="planned")),
        "awaiting_collection": total(kind="pool", step="planned") if scans_collection else 0,
        "pool_results": {c: total(kind="pool", call=c) for c in CALLS},
        "individual_results": {c: total(kind="individual", call=c) for c in CALLS},
    }


def campaign_names(store: Store) -> list[tuple[str, int, str]]:
    """Every campaign: name, pool tubes, created (UTC, as stored), newest first."""
    from poolab.campaigns import list_campaigns

    rows = list_campaigns(store)
    return [(name, tubes, created) for name, _size, _hh, _fb, created, _by, tubes in reversed(rows)]
