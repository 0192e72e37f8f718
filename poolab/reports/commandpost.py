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
from typing import TYPE_CHECKING

import attrs

from poolab.masking import mask_name
from poolab.reports.status import status_figures
from poolab.reports.timing import CampaignTiming, LateList, LateRule, Turnaround, late_list, span_turnaround
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.store.findings import ConfirmedPositive, FlaggedPool, confirmed_positives, flagged_pools
from poolab.store.progress import STEPS, RetestOutcome, StepCount, retest_outcomes, scans_collection, step_counts
from poolab.store.timing import LATE_STEPS, SPANS
from poolab.store.tubesql import without_jit

if TYPE_CHECKING:
    from poolab.reports.rounds import RoundsReport

FLAGGED_CALLS = ("positive", "inconclusive")
LISTED = 100
"""Rows shown per list of late tubes (the longest waiting); the counts are always whole. Pools
that sent people to a retest and confirmed positives are listed whole, every one."""


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
class CampaignView:
    """What the command post's page shows about one campaign."""

    campaign: str
    figures: dict[str, object]  # the keys of `poolab status --json`
    steps: tuple[str, ...]
    overall: Progress
    compounds: tuple[Progress, ...]  # the most behind first
    retests: Retests
    flagged: tuple[FlaggedPool, ...]  # every one, walk order
    flagged_total: int
    positives: tuple[ConfirmedPositive, ...]  # every one, by address; names masked
    positives_total: int
    timing: CampaignTiming
    rounds: RoundsReport | None = None
    """The run of days ending at this campaign (``poolab rounds``), when it follows another."""

    @property
    def now(self) -> datetime:
        return self.timing.now


def campaign_view(
    store: Store, campaign: str, *, late: LateRule | None = None, now: datetime | None = None, listed: int = LISTED
) -> CampaignView:
    """Read the campaign's page. Two more connections read the time-based figures at the
    same moment, each one turnaround span and one kind of late tube, while this one
    counts the tubes (the three take about as long: on two cores the page waits for the
    longest, not their sum); each part is one snapshot of the store."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    rule = late or LateRule()
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)

    def read_times(span: str, step: str) -> tuple[Turnaround, LateList]:
        with store.read() as conn:
            without_jit(conn)
            return (
                span_turnaround(conn, campaign_id=info.id, span=span),
                late_list(conn, campaign_id=info.id, step=step, rule=rule, now=at, listed=listed),
            )

    chained = info.after_id is not None
    if chained:
        from poolab.reports.rounds import campaign_rounds  # estimates: only for a round that follows another
    with ThreadPoolExecutor(max_workers=len(SPANS) + chained, thread_name_prefix="poolab-times") as pool:
        times = [
            (span, step, pool.submit(read_times, span, step)) for span, step in zip(SPANS, LATE_STEPS, strict=True)
        ]
        run_of_days = pool.submit(campaign_rounds, store, info.name) if chained else None
        with store.read() as conn:
            without_jit(conn)
            counts = step_counts(conn, campaign_id=info.id)
            scanned = scans_collection(conn, campaign_id=info.id)
            outcomes = retest_outcomes(conn, campaign_id=info.id)
            flagged = flagged_pools(conn, campaign_id=info.id, calls=FLAGGED_CALLS)
            positives = confirmed_positives(conn, campaign_id=info.id)
        read = [(span, step, *pending.result()) for span, step, pending in times]
    timing = CampaignTiming(
        now=at,
        rule=rule,
        turnaround={span: turnaround for span, _, turnaround, _ in read},
        late={step: waiting for _, step, _, waiting in read},
    )
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
    figures = status_figures(info.name, counts, overall.confirmed, collection_scanned=scanned)
    return CampaignView(
        campaign=info.name,
        figures=figures,
        steps=STEPS,
        overall=overall,
        compounds=tuple(compounds),
        retests=_retests([c for c in counts if c.kind == "individual"]),
        flagged=tuple(flagged),
        flagged_total=overall.positive_pools + overall.inconclusive_pools,
        positives=tuple(attrs.evolve(p, name=mask_name(p.name)) for p in positives),
        positives_total=overall.confirmed,
        timing=timing,
        rounds=run_of_days.result() if run_of_days is not None else None,
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


def campaign_names(store: Store) -> list[tuple[str, int, str]]:
    """Every campaign: name, pool tubes, created (UTC, as stored), newest first."""
    from poolab.field.campaigns import list_campaigns

    rows = list_campaigns(store)
    return [(name, tubes, created) for name, _size, _hh, _fb, created, _by, tubes in reversed(rows)]
