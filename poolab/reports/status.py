"""`poolab status`: where every tube of a campaign stands (counts by furthest step and by
call, pools and retests apart), what is still awaited, turnaround and late tubes."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, cast

import attrs

from poolab.calls import CALL_CODE, CALLS, NO_CALL
from poolab.reports.timing import LateRule, campaign_timing
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.store.findings import count_confirmed_positives
from poolab.store.progress import StepCount, scans_collection, step_counts
from poolab.store.tubesql import without_jit

if TYPE_CHECKING:  # numpy and the per-tube reads only for --missing: `poolab status` imports neither
    import numpy as np

    from poolab.reports.timing import CampaignTiming
    from poolab.store.reports import TubeTable

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
    tubes (``late``: when a tube is late, as of ``now``).

    Every count comes from the database grouped (a few rows whatever the campaign's size,
    the command post's queries), never from the tubes read one by one: a city's status
    costs about what a district's does."""
    with store.read() as conn:
        without_jit(conn)
        info = campaign_by_name(conn, name=campaign)
        counts = step_counts(conn, campaign_id=info.id)
        scanned = scans_collection(conn, campaign_id=info.id)
        confirmed = count_confirmed_positives(conn, campaign_id=info.id)
        timing = campaign_timing(conn, campaign_id=info.id, rule=late or LateRule(), now=now)
    f = status_figures(info.name, counts, confirmed, collection_scanned=scanned)
    tubes = cast("dict[str, int]", f["tubes"])
    return CampaignStatus(
        campaign=info.name,
        residents=cast(int, f["residents"]),
        pools=cast(int, f["pools"]),
        tubes=TubeCounts(**tubes),
        results=cast("dict[str, int]", f["results"]),
        retest=cast(int, f["retest"]),
        confirmed_positive=confirmed,
        missing_results=cast(int, f["missing_results"]),
        awaiting_receipt=cast(int, f["awaiting_receipt"]),
        awaiting_collection=cast(int, f["awaiting_collection"]),
        pool_results=cast("dict[str, int]", f["pool_results"]),
        individual_results=cast("dict[str, int]", f["individual_results"]),
        timing=timing,
    )


def status_figures(
    campaign: str, counts: list[StepCount], confirmed: int, *, collection_scanned: bool
) -> dict[str, object]:
    """The keys of ``poolab status --json`` (before turnaround and late), from the
    grouped counts, by the rules of ``poolab.reports.status.campaign_status`` (a test holds the
    two equal): tubes at their furthest step (a plated tube is a received one there),
    current calls, retest tubes, and the tubes awaited for collection, receipt or a
    usable result (``collection_scanned``: any tube of the campaign has a collection scan)."""

    tubes: Counter[tuple[str, str, str | None]] = Counter()  # (kind, step, call): a few keys, whatever the size
    for c in counts:
        tubes[c.kind, c.step, c.call] += c.tubes

    def total(**match: object) -> int:
        keys = ("kind", "step", "call")
        return sum(n for key, n in tubes.items() if all(key[keys.index(k)] == v for k, v in match.items()))

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
        + (0 if collection_scanned else total(kind="pool", step="planned")),
        "awaiting_collection": total(kind="pool", step="planned") if collection_scanned else 0,
        "pool_results": {c: total(kind="pool", call=c) for c in CALLS},
        "individual_results": {c: total(kind="individual", call=c) for c in CALLS},
    }


def _waiting(tubes: TubeTable) -> dict[str, np.ndarray]:
    """Which tubes are awaited where (one mask each, so counts and lists cannot disagree):
    pool tubes not yet collected (when the campaign scans collection at all), tubes
    collected or issued for a retest but not received (every pool tube not received, when
    collection is not scanned), and received tubes without a usable result."""
    import numpy as np

    from poolab.store.reports import KIND_POOL

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
    import numpy as np

    from poolab.store.reports import campaign_tubes

    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        tubes = campaign_tubes(conn, campaign_id=info.id)
    return {name: [tubes.barcode[i] for i in np.flatnonzero(mask)] for name, mask in _waiting(tubes).items()}
