"""`poolab campaign new`: a testing round and its pool tubes.

Residents are laid out in walk order and packed into tubes by the assignment kernel;
each tube gets a new barcode; tubes and memberships go into the store in bulk, in one
transaction (a campaign exists whole or not at all).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
from sqlalchemy import Connection

from poolab.barcodes import POOL_PREFIX
from poolab.errors import PoolabError
from poolab.files.meter import Progress, no_progress
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
from poolab.store.residents import address_blocks, count_residents, known_compounds


@attrs.frozen(slots=True)
class CampaignSummary:
    """A new campaign and the quality of its pooling."""

    name: str
    residents: int
    tubes: int
    lower_bound: int  # Σ over compounds of ceil(residents / pool size)
    single_building_share: float
    pool_size: int
    field_binding: bool


STEP = "campaign new"
MEMBER_BLOCK = 100_000
"""Memberships built and written at a time (ten million rows at once would take gigabytes)."""
MAX_POOL_SIZE = 100
"""The largest pool a campaign may use (a lab's tube); at most the assignment kernel's
own limit, ``poolab.kernels.assign.SLOT_LIMIT`` (tests/test_assign.py checks it)."""


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
    progress: Progress = no_progress,
) -> CampaignSummary:
    """Create campaign ``name`` and (unless ``field_binding``) its pool tubes. Addresses
    are read a block at a time as integer codes, and memberships written a block at a
    time: a city's campaign never holds its residents as Python strings."""
    from poolab.field.pools import AddressCodes, assign_coded_pools

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
        total = count_residents(conn, compounds=wanted or None)
        codes = AddressCodes()
        pks = []
        for pk, comp, bld, unit, room, hh in address_blocks(conn, compounds=wanted or None):
            codes.add(comp, bld, unit, room, hh)
            pks.append(pk)
            progress(f"{STEP}: reading addresses", len(codes) / max(total, 1), len(codes))
        resident_pks = np.concatenate(pks) if pks else np.zeros(0, np.int64)
        del pks
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
                "residents": len(codes),
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
                residents=len(codes),
                tubes=0,
                lower_bound=_lower_bound(codes.codes()[0], pool_size),
                single_building_share=float("nan"),
                pool_size=pool_size,
                field_binding=True,
            )
        assignment = assign_coded_pools(codes, pool_size=pool_size, one_tube_per_household=one_tube_per_household)
        tube_of = np.asarray(assignment.tube, dtype=np.int64)
        compound_code = np.zeros(assignment.n_tubes, np.int32)
        compound_code[tube_of] = codes.compound  # a pool never crosses a compound: any member's will do
        names = codes.compound_names
        compound_of = [names[c] for c in compound_code.tolist()]
        del codes, compound_code
        barcodes = issue_tube_barcodes(conn, prefix=POOL_PREFIX, count=assignment.n_tubes)
        insert_tubes(
            conn,
            campaign_id=campaign_id,
            kind="pool",
            barcodes=barcodes,
            positions=range(assignment.n_tubes),
            event_id=event_id,
            compounds=compound_of,
            people=np.bincount(tube_of, minlength=assignment.n_tubes).tolist(),
        )
        del barcodes
        tube_id_of_index = tube_ids_by_position(conn, campaign_id=campaign_id, kind="pool")
        assert tube_id_of_index.shape[0] == assignment.n_tubes  # a new campaign holds only these
        tube_ids = tube_id_of_index[tube_of]
        del tube_of
        n = tube_ids.shape[0]
        for start in range(0, n, MEMBER_BLOCK):
            end = min(start + MEMBER_BLOCK, n)
            insert_members(
                conn,
                campaign_id=campaign_id,
                tube_ids=tube_ids[start:end],
                resident_pks=resident_pks[start:end],
                slots=np.asarray(assignment.slot[start:end], dtype=np.int64),
                event_id=event_id,
            )
            progress(f"{STEP}: writing pools", end / n, end)
        return CampaignSummary(
            name=name,
            residents=n,
            tubes=assignment.n_tubes,
            lower_bound=int(assignment.lower_bound),
            single_building_share=float(assignment.single_building_share),
            pool_size=pool_size,
            field_binding=False,
        )

    return store.write(work)


def _lower_bound(compound: np.ndarray, pool_size: int) -> int:
    from poolab.kernels.assign import tubes_lower_bound

    if not compound.size:
        return 0
    counts = np.bincount(compound)
    return tubes_lower_bound(counts[counts > 0], pool_size)


def list_campaigns(store: Store) -> list[tuple[str, int, bool, bool, str, str, int]]:
    """Every campaign: name, pool size, 1户1管, field binding, created (UTC), by, pool tubes."""
    from poolab.store.campaigns import campaign_overview

    with store.read() as conn:
        return campaign_overview(conn)
