"""`poolab campaign new`: a testing round and its pool tubes.

Residents are laid out in walk order and packed into tubes by the assignment kernel;
each tube gets a new barcode; tubes and memberships go into the store in bulk, in one
transaction (a campaign exists whole or not at all). A round that follows another
(``after``) leaves out and swabs alone whom ``poolab.field.rounds`` says; home-visit
residents and risk buildings' residents are pooled apart from the walk's tubes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
import numpy as np
from sqlalchemy import Connection

from poolab.barcodes import POOL_PREFIX
from poolab.errors import NotFound, PoolabError
from poolab.field.names import campaign_name
from poolab.field.risk_buildings import RiskBuildings, read_risk_buildings
from poolab.field.rounds import (
    CONTACT,
    HOME,
    ISOLATED,
    PENDING,
    SAMPLED,
    SINGLE,
    RoundRoles,
    RoundRules,
    carry_reasons,
    isolated_since,
    pool_sizes,
    pooling_groups,
    round_roles,
)
from poolab.files.meter import Progress, no_progress
from poolab.i18n import _
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import (
    CampaignExists,
    campaign_by_name,
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
from poolab.store.rounds import (
    Round,
    chain_of,
    confirmed_in,
    home_visit_pks,
    insert_carry,
    pending_in,
    roster_buildings,
)

if TYPE_CHECKING:
    from poolab.field.pools import AddressCodes


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
    after: str | None = None
    """The round this one follows."""
    isolated: int = 0
    contacts_single: int = 0
    contacts_excluded: int = 0
    contacts_pooled: int = 0
    pending: int = 0
    """Residents of the previous round's positive pools without an individual result: each alone."""
    risk_residents: int = 0
    risk_pool_size: int = 0
    home_visits: int = 0
    home_visit_tubes: int = 0


STEP = "campaign new"
MEMBER_BLOCK = 100_000
"""Memberships built and written at a time (ten million rows at once would take gigabytes)."""
MAX_POOL_SIZE = 100
"""The largest pool a campaign may use (a lab's tube); at most the assignment kernel's
own limit, ``poolab.kernels.assign.SLOT_LIMIT`` (tests/test_assign.py checks it)."""


DEFAULT_RISK_POOL_SIZE = 5
"""Pool size in risk buildings unless ``risk_pool_size`` says otherwise."""


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
    after: str | None = None,
    rules: RoundRules | None = None,
    risk_buildings: str | os.PathLike[str] | None = None,
    risk_pool_size: int = DEFAULT_RISK_POOL_SIZE,
) -> CampaignSummary:
    """Create campaign ``name`` and (unless ``field_binding``) its pool tubes. Addresses
    are read a block at a time as integer codes, and memberships written a block at a
    time: a city's campaign never holds its residents as Python strings.

    ``after``: the round this one follows (``rules``: what it does with the chain's
    positives, their contacts and PREV's pending residents; ``poolab.field.rounds``).
    ``risk_buildings``: a CSV of the buildings whose residents are pooled at
    ``risk_pool_size`` (``poolab.field.risk_buildings``). Residents the roster marks
    ``home_visit`` are pooled among themselves in every laid-out campaign."""
    from poolab.field.pools import AddressCodes, assign_coded_pools

    name = campaign_name(name)
    if not 1 <= pool_size <= MAX_POOL_SIZE:
        raise PoolabError(
            _("pool size {size} is out of range (1 to {limit})").format(size=pool_size, limit=MAX_POOL_SIZE)
        )
    risk = read_risk_buildings(risk_buildings) if risk_buildings is not None else None
    previous = _check_round_options(name, after, rules, risk, risk_pool_size, pool_size, field_binding)
    rules = rules or RoundRules()
    wanted = list(dict.fromkeys(c.strip() for c in compounds if c.strip()))

    def work(conn: Connection) -> CampaignSummary:
        if campaign_exists(conn, name=name):
            raise CampaignExists(_("campaign {name} exists already; choose another name").format(name=repr(name)))
        chain = _chain_before(conn, previous)
        present = known_compounds(conn)
        if not present:
            raise PoolabError(_("the store has no residents yet; import a roster first: poolab roster import FILE"))
        unknown = [c for c in wanted if c not in set(present)]
        if unknown:
            listing = ", ".join(present[:20]) + (" ..." if len(present) > 20 else "")
            raise PoolabError(
                _("unknown compound(s) {unknown}; the roster has: {listing}").format(
                    unknown=", ".join(map(repr, unknown)), listing=listing
                )
            )
        if risk is not None:
            _check_risk_buildings(risk, roster_buildings(conn))
        total = count_residents(conn, compounds=wanted or None)
        codes = AddressCodes()
        pks = []
        for pk, comp, bld, unit, room, hh in address_blocks(conn, compounds=wanted or None):
            codes.add(comp, bld, unit, room, hh)
            pks.append(pk)
            progress(_("campaign new: reading addresses"), len(codes) / max(total, 1), len(codes))
        resident_pks = np.concatenate(pks) if pks else np.zeros(0, np.int64)
        del pks
        home = np.zeros(0, np.int64) if field_binding else home_visit_pks(conn, compounds=wanted or None)
        plan = None
        if chain or risk is not None or home.size:
            plan = _round_plan(conn, codes, resident_pks, chain, home, risk, rules)
        detail: dict[str, object] = {
            "name": name,
            "pool_size": pool_size,
            "one_tube_per_household": one_tube_per_household,
            "field_binding": field_binding,
            "compounds": wanted,
            "residents": len(codes) if plan is None else int(np.count_nonzero(plan.group >= 0)),
        }
        if chain:
            detail.update(after=chain[-1].name, contacts=rules.contacts, contacts_of=rules.contacts_of)
            detail["isolation_rounds"] = rules.isolation_rounds
        if risk is not None:
            detail.update(risk_buildings=risk.source, risk_pool_size=risk_pool_size)
        if plan is not None:
            detail.update(plan.counts())
        event_id = record_event(conn, operator=operator, action="campaign.new", detail=detail)
        campaign_id = insert_campaign(
            conn,
            name=name,
            pool_size=pool_size,
            one_tube_per_household=one_tube_per_household,
            field_binding=field_binding,
            compounds=wanted,
            event_id=event_id,
            after_id=chain[-1].id if chain else None,
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
        if plan is None:
            assignment = assign_coded_pools(codes, pool_size=pool_size, one_tube_per_household=one_tube_per_household)
            n = _write_tubes(
                conn,
                campaign_id=campaign_id,
                event_id=event_id,
                tube_of=np.asarray(assignment.tube, dtype=np.int64),
                slots=assignment.slot,
                resident_pks=resident_pks,
                compound=codes.compound,
                compound_names=codes.compound_names,
                n_tubes=assignment.n_tubes,
                progress=progress,
            )
            return CampaignSummary(
                name=name,
                residents=n,
                tubes=assignment.n_tubes,
                lower_bound=int(assignment.lower_bound),
                single_building_share=float(assignment.single_building_share),
                pool_size=pool_size,
                field_binding=False,
            )
        return _write_round(
            conn,
            plan,
            name=name,
            campaign_id=campaign_id,
            event_id=event_id,
            resident_pks=resident_pks,
            chain=chain,
            pool_size=pool_size,
            risk_pool_size=risk_pool_size if risk is not None else 0,
            one_tube_per_household=one_tube_per_household,
            progress=progress,
        )

    return store.write(work)


def _check_round_options(
    name: str,
    after: str | None,
    rules: RoundRules | None,
    risk: RiskBuildings | None,
    risk_pool_size: int,
    pool_size: int,
    field_binding: bool,
) -> str | None:
    """Refuse options that cannot go together, before the store is touched; returns the
    name of the round to follow."""
    if after is None:
        if rules is not None:
            raise PoolabError(_("--contacts, --contacts-of and --isolation-rounds need --after PREV"))
    else:
        after = after.strip()
        if not after:
            raise PoolabError(_("--after needs the name of the campaign this round follows"))
        if after == name:
            raise PoolabError(
                _("--after {name} names the new campaign itself: a round cannot follow itself").format(name=repr(after))
            )
    if (after is not None or risk is not None) and field_binding:
        what = "--after" if after is not None else "--risk-buildings"
        raise PoolabError(
            _(
                "{option} lays out tubes now (single tubes, smaller pools), which --field-binding does not; "
                "create the round without --field-binding"
            ).format(option=what)
        )
    if risk is not None and not 1 <= risk_pool_size <= pool_size:
        raise PoolabError(
            _("risk pool size {size} is out of range (1 to the pool size, {pool_size})").format(
                size=risk_pool_size, pool_size=pool_size
            )
        )
    return after


def _chain_before(conn: Connection, previous: str | None) -> list[Round]:
    """The chain the new round follows, oldest first (empty for a first round)."""
    if previous is None:
        return []
    try:
        info = campaign_by_name(conn, name=previous)
    except NotFound as exc:
        raise NotFound(f"--after: {exc}") from None
    return chain_of(conn, campaign_id=info.id)


def _check_risk_buildings(risk: RiskBuildings, known: set[tuple[str, str]]) -> None:
    """Every building a risk file names is in the roster, or the file is refused."""
    unknown = risk.unknown(known)
    if not unknown:
        return
    first = unknown[0]
    what = (
        _("building {building} of compound {compound}").format(
            building=repr(first.building), compound=repr(first.compound)
        )
        if first.building
        else _("compound {compound}").format(compound=repr(first.compound))
    )
    where = f"{risk.source}:{first.line}"
    if len(unknown) > 1:
        message = _(
            "{where}: {what} is not in the roster (and {count} more not in the roster); nothing was created"
        ).format(where=where, what=what, count=len(unknown) - 1)
    else:
        message = _("{where}: {what} is not in the roster; nothing was created").format(where=where, what=what)
    raise PoolabError(message)


@attrs.frozen(slots=True, eq=False)
class _RoundPlan:
    """Who a round samples and how (arrays in the residents' store order)."""

    address: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    compound_names: list[str]
    roles: RoundRoles
    group: np.ndarray
    home: np.ndarray
    risk: np.ndarray
    contacts: str

    def counts(self) -> dict[str, int]:
        """The summary's counts of each group of residents."""
        role, group = self.roles.role, self.group
        contact = role == CONTACT
        alone = (group >= 0) & (group % HOME == SINGLE)
        return {
            "isolated": self.roles.count(ISOLATED),
            "contacts_single": int(np.count_nonzero(contact & alone)),
            "contacts_excluded": int(np.count_nonzero(contact & (group < 0))),
            "contacts_pooled": int(np.count_nonzero(contact & (group >= 0) & ~alone)),
            "pending": int(np.count_nonzero((role == PENDING) & alone)),
            "risk_residents": int(np.count_nonzero(self.risk & (group >= 0) & ~alone)),
            "home_visits": int(np.count_nonzero(self.home & (group >= 0))),
        }


def _round_plan(
    conn: Connection,
    codes: AddressCodes,
    resident_pks: np.ndarray,
    chain: list[Round],
    home_pks: np.ndarray,
    risk: RiskBuildings | None,
    rules: RoundRules,
) -> _RoundPlan:
    """Decide each resident's role and group (``poolab.field.rounds``) from the chain's
    positives, PREV's pending residents, home visits and risk buildings."""
    address = codes.codes()
    cc, bc, uc, rc, hc = address
    n = resident_pks.shape[0]
    confirmed = np.full(n, -1, np.int64)
    pending = np.zeros(n, np.bool_)
    if chain:
        index_of = {r.id: k for k, r in enumerate(chain)}
        pairs = confirmed_in(conn, campaign_ids=list(index_of))
        if pairs:
            rounds = np.asarray([index_of[c] for c, _ in pairs], np.int64)
            at, ok = _positions(resident_pks, np.asarray([p for _, p in pairs], np.int64))
            np.maximum.at(confirmed, at[ok], rounds[ok])
        at, ok = _positions(resident_pks, pending_in(conn, campaign_id=chain[-1].id))
        pending[at[ok]] = True
    isolated = isolated_since(confirmed, len(chain), rules)
    roles = round_roles((cc, bc, uc, rc), hc, isolated=isolated, pending=pending, previous=len(chain) - 1, rules=rules)
    home = np.zeros(n, np.bool_)
    at, ok = _positions(resident_pks, home_pks)
    home[at[ok]] = True
    in_risk = _risk_mask(risk, cc, bc, codes.compound_names, codes.building_names)
    group = pooling_groups(roles, contacts=rules.contacts, home=home, risk=in_risk)
    return _RoundPlan(address, codes.compound_names, roles, group, home, in_risk, rules.contacts)


def _positions(sorted_pks: np.ndarray, pks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``pks`` sits in ``sorted_pks``, and whether it is there at all."""
    at = np.searchsorted(sorted_pks, pks)
    at = np.minimum(at, max(sorted_pks.shape[0] - 1, 0))
    ok = sorted_pks[at] == pks if sorted_pks.size else np.zeros(pks.shape[0], np.bool_)
    return at, ok


def _risk_mask(
    risk: RiskBuildings | None, cc: np.ndarray, bc: np.ndarray, compounds: list[str], buildings: list[str]
) -> np.ndarray:
    """Residents of the risk file's buildings (every building of a compound named alone)."""
    mask = np.zeros(cc.shape[0], np.bool_)
    if risk is None:
        return mask
    comp_code = {c: k for k, c in enumerate(compounds)}
    bld_code = {b: k for k, b in enumerate(buildings)}
    width = len(buildings) + 1
    places = [
        comp_code[b.compound] * width + bld_code[b.building]
        for b in risk.buildings
        if b.building and b.compound in comp_code and b.building in bld_code
    ]
    whole = [comp_code[b.compound] for b in risk.buildings if not b.building and b.compound in comp_code]
    if places:
        mask |= np.isin(cc * width + bc, np.asarray(places, np.int64))
    if whole:
        mask |= np.isin(cc, np.asarray(whole, np.int64))
    return mask


def _write_round(
    conn: Connection,
    plan: _RoundPlan,
    *,
    name: str,
    campaign_id: int,
    event_id: int,
    resident_pks: np.ndarray,
    chain: list[Round],
    pool_size: int,
    risk_pool_size: int,
    one_tube_per_household: bool,
    progress: Progress,
) -> CampaignSummary:
    """Lay out a round's groups (``assign_coded_groups``) and store its tubes, members
    and what it took over from the chain."""
    from poolab.field.pools import assign_coded_groups

    sizes = pool_sizes(pool_size, risk_pool_size or pool_size)
    a = assign_coded_groups(plan.address, plan.group, sizes, one_tube_per_household=one_tube_per_household)
    sampled = np.flatnonzero(a.tube >= 0)
    tube_home = a.tube_group >= HOME
    n = _write_tubes(
        conn,
        campaign_id=campaign_id,
        event_id=event_id,
        tube_of=a.tube[sampled].astype(np.int64),
        slots=a.slot[sampled],
        resident_pks=resident_pks[sampled],
        compound=plan.address[0][sampled],
        compound_names=plan.compound_names,
        n_tubes=a.n_tubes,
        progress=progress,
        home_visit=tube_home if tube_home.any() else None,
    )
    carried = np.flatnonzero(plan.roles.role != SAMPLED)
    if carried.size:
        since = plan.roles.since[carried]
        roles = RoundRoles(role=plan.roles.role[carried], since=since)
        insert_carry(
            conn,
            campaign_id=campaign_id,
            resident_pks=resident_pks[carried].tolist(),
            reasons=carry_reasons(roles, plan.group[carried]),
            since_ids=[chain[int(k)].id if k >= 0 else None for k in since],
            event_id=event_id,
        )
    counts = plan.counts()
    return CampaignSummary(
        name=name,
        residents=n,
        tubes=a.n_tubes,
        lower_bound=a.lower_bound,
        single_building_share=a.single_building_share,
        pool_size=pool_size,
        field_binding=False,
        after=chain[-1].name if chain else None,
        risk_pool_size=risk_pool_size,
        home_visit_tubes=int(np.count_nonzero(tube_home)),
        **counts,
    )


def _write_tubes(
    conn: Connection,
    *,
    campaign_id: int,
    event_id: int,
    tube_of: np.ndarray,
    slots: np.ndarray,
    resident_pks: np.ndarray,
    compound: np.ndarray,
    compound_names: list[str],
    n_tubes: int,
    progress: Progress,
    home_visit: np.ndarray | None = None,
) -> int:
    """Issue the tubes' barcodes and store the tubes (position = tube index) and their
    members a block at a time; returns how many members."""
    compound_code = np.zeros(n_tubes, np.int32)
    compound_code[tube_of] = compound  # a pool never crosses a compound: any member's will do
    compound_of = [compound_names[c] for c in compound_code.tolist()]
    del compound_code
    barcodes = issue_tube_barcodes(conn, prefix=POOL_PREFIX, count=n_tubes)
    insert_tubes(
        conn,
        campaign_id=campaign_id,
        kind="pool",
        barcodes=barcodes,
        positions=range(n_tubes),
        event_id=event_id,
        compounds=compound_of,
        people=np.bincount(tube_of, minlength=n_tubes).tolist(),
        home_visit=None if home_visit is None else home_visit.tolist(),
    )
    del barcodes
    tube_id_of_index = tube_ids_by_position(conn, campaign_id=campaign_id, kind="pool")
    assert tube_id_of_index.shape[0] == n_tubes  # a new campaign holds only these
    tube_ids = tube_id_of_index[tube_of]
    n = tube_ids.shape[0]
    for start in range(0, n, MEMBER_BLOCK):
        end = min(start + MEMBER_BLOCK, n)
        insert_members(
            conn,
            campaign_id=campaign_id,
            tube_ids=tube_ids[start:end],
            resident_pks=resident_pks[start:end],
            slots=np.asarray(slots[start:end], dtype=np.int64),
            event_id=event_id,
        )
        progress(_("campaign new: writing pools"), end / n, end)
    return n


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
