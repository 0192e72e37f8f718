"""`poolab campaign new`: a testing round and its pool tubes.

Residents are laid out in walk order and packed into tubes by the assignment kernel;
each tube gets a new barcode; tubes and memberships go into the store in bulk, in one
transaction (a campaign exists whole or not at all).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection

from poolab.barcodes import POOL_PREFIX
from poolab.errors import PoolabError
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import (
    CampaignExists,
    campaign_exists,
    insert_campaign,
    insert_members,
    insert_tubes,
    issue_tube_barcodes,
    tube_ids_by_position,
)
from poolab.store.engine import Store
from poolab.store.events import record_event
from poolab.store.residents import known_compounds, load_residents
from poolab.store.tubesql import FIRST_SLOT
from poolab.summaries import CampaignSummary

MAX_POOL_SIZE = 100
"""The largest pool a campaign may use (a lab's tube); at most the assignment kernel's
own limit, ``poolab.kernels.assign.MAX_POOL_SIZE`` (tests/test_assign.py checks it)."""


@pauses_gc
def create_campaign(
    store: Store,
    name: str,
    *,
    operator: str,
    pool_size: int = 10,
    one_tube_per_household: bool = False,
    compounds: Sequence[str] = (),
    field_binding: bool = False,
) -> CampaignSummary:
    """Create campaign ``name`` and (unless ``field_binding``) its pool tubes."""
    from poolab.pools import assign_pools

    name = name.strip()
    if not name:
        raise PoolabError("a campaign needs a name")
    if not 1 <= pool_size <= MAX_POOL_SIZE:
        raise PoolabError(f"pool size {pool_size} is out of range (1 to {MAX_POOL_SIZE})")
    wanted = list(dict.fromkeys(c.strip() for c in compounds if c.strip()))

    def work(conn: Connection) -> CampaignSummary:
        if campaign_exists(conn, name=name):
            raise CampaignExists(f"campaign {name!r} exists already; choose another name")
        present = known_compounds(conn)
        if not present:
            raise PoolabError("the store has no residents yet; import a roster first: poolab roster import FILE")
        unknown = [c for c in wanted if c not in set(present)]
        if unknown:
            listing = ", ".join(present[:20]) + (" ..." if len(present) > 20 else "")
            raise PoolabError(f"unknown compound(s) {', '.join(map(repr, unknown))}; the roster has: {listing}")
        residents = load_residents(conn, compounds=wanted or None, with_ids=False)
        event_id = record_event(
            conn,
            operator=operator,
            action="campaign.new",
            detail={
                "name": name,
                "pool_size": pool_size,
                "one_tube_per_household": one_tube_per_household,
                "field_binding": field_binding,
                "compounds": wanted,
                "residents": len(residents),
            },
        )
        campaign_id = insert_campaign(
            conn,
            name=name,
            pool_size=pool_size,
            one_tube_per_household=one_tube_per_household,
            field_binding=field_binding,
            compounds=wanted,
            event_id=event_id,
        )
        if field_binding:
            # Tubes are pre-printed and bound by scanning in the field: nothing to lay out.
            return CampaignSummary(
                name=name,
                residents=len(residents),
                tubes=0,
                lower_bound=_lower_bound(residents.compound, pool_size),
                single_building_share=float("nan"),
                pool_size=pool_size,
                field_binding=True,
            )
        assignment = assign_pools(
            residents.compound,
            residents.building,
            residents.unit,
            residents.room,
            residents.household_id,
            pool_size=pool_size,
            one_tube_per_household=one_tube_per_household,
        )
        barcodes = issue_tube_barcodes(conn, prefix=POOL_PREFIX, count=assignment.n_tubes)
        tube_of = np.asarray(assignment.tube, dtype=np.int64)
        first = np.flatnonzero(np.asarray(assignment.slot) == FIRST_SLOT)  # one a tube; pools keep to a compound
        compound_of = np.empty(assignment.n_tubes, dtype=object)
        compound_of[tube_of[first]] = [residents.compound[i] for i in first]
        insert_tubes(
            conn,
            campaign_id=campaign_id,
            kind="pool",
            barcodes=barcodes,
            positions=range(assignment.n_tubes),
            event_id=event_id,
            compounds=compound_of.tolist(),
            people=np.bincount(tube_of, minlength=assignment.n_tubes).tolist(),
        )
        tube_id_of_index = tube_ids_by_position(conn, campaign_id=campaign_id, kind="pool")
        assert tube_id_of_index.shape[0] == assignment.n_tubes  # a new campaign holds only these
        insert_members(
            conn,
            campaign_id=campaign_id,
            tube_ids=tube_id_of_index[tube_of],
            resident_pks=residents.pk,
            slots=np.asarray(assignment.slot, dtype=np.int64),
            event_id=event_id,
        )
        return CampaignSummary(
            name=name,
            residents=len(residents),
            tubes=assignment.n_tubes,
            lower_bound=int(assignment.lower_bound),
            single_building_share=float(assignment.single_building_share),
            pool_size=pool_size,
            field_binding=False,
        )

    return store.write(work)


def _lower_bound(compound: Sequence[str], pool_size: int) -> int:
    from poolab.kernels.assign import tubes_lower_bound

    if not compound:
        return 0
    _, counts = np.unique(np.asarray(compound, dtype=object), return_counts=True)
    return tubes_lower_bound(counts, pool_size)


def list_campaigns(store: Store) -> list[tuple[str, int, bool, bool, str, str, int]]:
    """Every campaign: name, pool size, 1户1管, field binding, created (UTC), by, pool tubes."""
    from poolab.store.campaigns import campaign_overview

    with store.read() as conn:
        return campaign_overview(conn)
