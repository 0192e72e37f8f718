"""`poolab status`: where every tube of a campaign stands (counts by furthest step and by
call, pools and retests apart), what is still awaited, turnaround and late tubes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs
import numpy as np

from poolab.calls import CALL_CODE, CALLS, NO_CALL
from poolab.lab.resolve import confirmed_positive_indices
from poolab.reports.timing import LateRule, campaign_timing
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.store.reports import KIND_INDIVIDUAL, KIND_POOL, TubeTable, campaign_tubes, count_campaign_residents
from poolab.store.tubesql import without_jit

if TYPE_CHECKING:
    from poolab.reports.timing import CampaignTiming

_INV = CALL_CODE["invalid"]


@attrs.frozen(slots=True)
class TubeCounts:
    """Tubes by their furthest step."""

    planned: int
    collected: int
    received: int
    resulted: int


@attrs.frozen(slots=True)
class CampaignStatus:
    """`poolab status`: counts by state (keys: docs/formats.md, "--json output")."""

    campaign: str
    residents: int
    pools: int
    tubes: TubeCounts
    results: dict[str, int]
    retest: int
    confirmed_positive: int
    missing_results: int
    awaiting_receipt: int
    awaiting_collection: int = 0
    pool_results: dict[str, int] = attrs.Factory(dict)  # results, pool tubes only
    individual_results: dict[str, int] = attrs.Factory(dict)  # results, individual (retest) tubes only
    timing: CampaignTiming | None = None  # turnaround and late tubes (the command post's)

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "campaign": self.campaign,
            "residents": self.residents,
            "pools": self.pools,
            "tubes": attrs.asdict(self.tubes),
            "results": dict(self.results),
            "retest": self.retest,
            "confirmed_positive": self.confirmed_positive,
            "missing_results": self.missing_results,
            "awaiting_receipt": self.awaiting_receipt,
            "awaiting_collection": self.awaiting_collection,
            "pool_results": dict(self.pool_results),
            "individual_results": dict(self.individual_results),
        }
        if self.timing is not None:
            out["turnaround"] = self.timing.turnaround_json()
            out["late"] = self.timing.late_json()
        return out


def campaign_status(
    store: Store, campaign: str, *, late: LateRule | None = None, now: datetime | None = None
) -> CampaignStatus:
    """Counts by state: tubes by furthest step, results by current call (all tubes, and
    pools and individual tubes apart), retests, confirmed positives, and what is still
    awaited (the counts of the lists ``missing_tubes`` gives); turnaround times and late
    tubes (``late``: when a tube is late, as of ``now``)."""
    with store.read() as conn:
        without_jit(conn)
        info = campaign_by_name(conn, name=campaign)
        tubes = campaign_tubes(conn, campaign_id=info.id)
        residents = count_campaign_residents(conn, campaign_id=info.id)
        timing = campaign_timing(conn, campaign_id=info.id, rule=late or LateRule(), now=now)
    resulted = tubes.call != NO_CALL
    received = tubes.received & ~resulted
    collected = tubes.collected & ~tubes.received & ~resulted
    planned = ~(tubes.collected | tubes.received | resulted)
    pool = tubes.kind == KIND_POOL

    def by_call(which: np.ndarray) -> dict[str, int]:
        return {c: int(np.count_nonzero(which & (tubes.call == CALL_CODE[c]))) for c in CALLS}

    positives = {int(tubes.resident_pk[i]) for i in confirmed_positive_indices(tubes)}
    waiting = _waiting(tubes)
    return CampaignStatus(
        campaign=info.name,
        residents=residents,
        pools=int(np.count_nonzero(pool)),
        tubes=TubeCounts(
            planned=int(planned.sum()),
            collected=int(collected.sum()),
            received=int(received.sum()),
            resulted=int(resulted.sum()),
        ),
        results=by_call(np.ones(len(tubes), bool)),
        retest=int(np.count_nonzero(tubes.kind == KIND_INDIVIDUAL)),
        confirmed_positive=len(positives),
        missing_results=int(waiting["awaiting_result"].sum()),
        awaiting_receipt=int(waiting["awaiting_receipt"].sum()),
        awaiting_collection=int(waiting["awaiting_collection"].sum()),
        pool_results=by_call(pool),
        individual_results=by_call(~pool),
        timing=timing,
    )


def _waiting(tubes: TubeTable) -> dict[str, np.ndarray]:
    """Which tubes are awaited where (one mask each, so counts and lists cannot disagree):
    pool tubes not yet collected (when the campaign scans collection at all), tubes
    collected or issued for a retest but not received (every pool tube not received, when
    collection is not scanned), and received tubes without a usable result."""
    pool = tubes.kind == KIND_POOL
    scans_collection = bool(tubes.collected.any())
    not_received = ~tubes.received
    awaiting_collection = pool & ~tubes.collected & not_received if scans_collection else np.zeros(len(tubes), bool)
    awaiting_receipt = not_received & (tubes.collected | ~pool | (pool & (not scans_collection)))
    no_result = (tubes.call == NO_CALL) | (tubes.call == _INV)
    return {
        "awaiting_collection": awaiting_collection,
        "awaiting_receipt": awaiting_receipt,
        "awaiting_result": tubes.received & no_result,
    }


def missing_tubes(store: Store, campaign: str) -> dict[str, list[str]]:
    """Barcodes still awaited, in walk order, by what they wait for (the lists whose
    lengths ``campaign_status`` counts)."""
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        tubes = campaign_tubes(conn, campaign_id=info.id)
    return {name: [tubes.barcode[i] for i in np.flatnonzero(mask)] for name, mask in _waiting(tubes).items()}
