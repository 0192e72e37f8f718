"""Rounds of a silent period in the store: a campaign's chain of predecessors, who an
earlier round confirmed positive, who is still pending from a round's positive pools,
and what a round took over from the rounds before it (``round_carry``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs
import numpy as np
from sqlalchemy import Connection, func, select

from poolab.errors import PoolabError
from poolab.i18n import _
from poolab.store.bulk import fetch_all_raw, insert_rows
from poolab.store.tables import Campaign, Resident, RoundCarry
from poolab.store.tubesql import RES, M, T, current_result_on

_C = Campaign.__table__  # type: ignore[attr-defined]
_R = Resident.__table__  # type: ignore[attr-defined]
_RC = RoundCarry.__table__  # type: ignore[attr-defined]

FLAGGED_CALLS = ("positive", "inconclusive")
"""A pool with one of these current calls sends its members to an individual retest."""
INDIVIDUAL_RESULTS = ("positive", "negative")
"""An individual tube with one of these current calls settles its resident."""


@attrs.frozen(slots=True)
class Round:
    """One campaign of a chain."""

    id: int
    name: str


def chain_of(conn: Connection, *, campaign_id: int) -> list[Round]:
    """The chain ending at the campaign: the campaign, the one it follows, and so on,
    oldest first. A store whose chain loops (never written by poolab) is refused."""
    out: list[Round] = []
    seen: set[int] = set()
    current: int | None = campaign_id
    while current is not None:
        if current in seen:
            names = " -> ".join(r.name for r in out)
            raise PoolabError(
                _("the rounds before this campaign form a cycle ({names}); the store is damaged").format(names=names)
            )
        seen.add(current)
        row = conn.execute(select(_C.c.name, _C.c.after_id).where(_C.c.id == current)).first()
        if row is None:
            break  # a predecessor removed by hand: the chain starts here
        out.append(Round(current, row[0]))
        current = row[1]
    return out[::-1]


def confirmed_in(conn: Connection, *, campaign_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(campaign id, resident pk) of every resident an individual tube of these
    campaigns confirmed positive (its current call is positive), each pair once."""
    if not campaign_ids:
        return []
    t, res = T.alias("t"), RES.alias("res")
    stmt = (
        select(t.c.campaign_id, t.c.resident_pk)
        .distinct()
        .select_from(t.join(res, current_result_on(res, t.c.id)))
        .where(t.c.campaign_id.in_(list(campaign_ids)), t.c.kind == "individual", res.c.call == "positive")
    )
    return [(int(c), int(r)) for c, r in fetch_all_raw(conn, stmt)]


def pending_in(conn: Connection, *, campaign_id: int) -> np.ndarray:
    """Resident pks (sorted) of the campaign's positive or inconclusive pools who have no
    individual result yet: no individual tube of the campaign with a positive or negative
    current call."""
    t, res, m = T.alias("t"), RES.alias("res"), M.alias("m")
    # the few flagged tubes first, then their members (by the member table's tube index)
    flagged_tubes = (
        select(t.c.id)
        .select_from(t.join(res, current_result_on(res, t.c.id)))
        .where(t.c.campaign_id == campaign_id, t.c.kind == "pool", res.c.call.in_(FLAGGED_CALLS))
    )
    flagged = select(m.c.resident_pk).where(m.c.tube_id.in_(flagged_tubes))
    ind, ires = T.alias("ind"), RES.alias("ires")
    settled = (
        select(ind.c.resident_pk)
        .select_from(ind.join(ires, current_result_on(ires, ind.c.id)))
        .where(ind.c.campaign_id == campaign_id, ind.c.kind == "individual", ires.c.call.in_(INDIVIDUAL_RESULTS))
    )
    rows = conn.execute(flagged.except_(settled)).all()
    return np.sort(np.asarray([r[0] for r in rows], dtype=np.int64))


def home_visit_pks(conn: Connection, *, compounds: Sequence[str] | None = None) -> np.ndarray:
    """Resident pks (sorted) of the residents sampled at home (in ``compounds`` when given)."""
    stmt = select(_R.c.id).where(_R.c.home_visit)
    if compounds:
        stmt = stmt.where(_R.c.compound.in_(list(compounds)))
    return np.sort(np.asarray([r[0] for r in fetch_all_raw(conn, stmt)], dtype=np.int64))


def roster_buildings(conn: Connection) -> set[tuple[str, str]]:
    """Every (compound, building) the roster has."""
    return {(c, b) for c, b in fetch_all_raw(conn, select(_R.c.compound, _R.c.building).distinct())}


def insert_carry(
    conn: Connection,
    *,
    campaign_id: int,
    resident_pks: Sequence[int],
    reasons: Sequence[str],
    since_ids: Sequence[int | None],
    event_id: int,
) -> int:
    """What a new round took over from the rounds before it, one row per resident."""
    rows = [
        (campaign_id, int(pk), reason, since, event_id)
        for pk, reason, since in zip(resident_pks, reasons, since_ids, strict=True)
    ]
    return insert_rows(conn, _RC, ("campaign_id", "resident_pk", "reason", "since_id", "event_id"), rows)


@attrs.frozen(slots=True)
class RoundCounts:
    """What one round did, counted by the database."""

    residents_sampled: int
    carried: dict[str, int]
    """``round_carry`` reason -> residents."""
    pool_calls: dict[str | None, int]
    """Current call of the round's pool tubes (None: no result yet) -> tubes."""
    new_positives: int
    """Residents an individual tube of this round confirmed positive."""
    pending: int
    """Residents of positive or inconclusive pools without an individual result yet."""

    @property
    def tubes(self) -> int:
        return sum(self.pool_calls.values())


def round_counts(conn: Connection, *, campaign_id: int) -> RoundCounts:
    """The figures of ``poolab rounds`` for one campaign."""
    sampled = int(conn.execute(select(func.count()).where(M.c.campaign_id == campaign_id)).scalar() or 0)
    carried = {
        str(reason): int(n)
        for reason, n in conn.execute(
            select(_RC.c.reason, func.count()).where(_RC.c.campaign_id == campaign_id).group_by(_RC.c.reason)
        )
    }
    t, res = T.alias("t"), RES.alias("res")
    calls = {
        call: int(n)
        for call, n in conn.execute(
            select(res.c.call, func.count())
            .select_from(t.outerjoin(res, current_result_on(res, t.c.id)))
            .where(t.c.campaign_id == campaign_id, t.c.kind == "pool")
            .group_by(res.c.call)
        )
    }
    positives = {pk for _, pk in confirmed_in(conn, campaign_ids=[campaign_id])}
    pending = pending_in(conn, campaign_id=campaign_id)
    return RoundCounts(sampled, carried, calls, len(positives), int(pending.shape[0]))


def carry_of(conn: Connection, *, resident_pk: int, campaign_ids: Sequence[int]) -> dict[int, tuple[str, int | None]]:
    """campaign id -> (reason, since campaign id) for the rounds among ``campaign_ids``
    that took this resident over."""
    rows = conn.execute(
        select(_RC.c.campaign_id, _RC.c.reason, _RC.c.since_id).where(
            _RC.c.resident_pk == resident_pk, _RC.c.campaign_id.in_(list(campaign_ids))
        )
    ).all()
    return {int(c): (str(r), None if s is None else int(s)) for c, r, s in rows}


def resident_pk_of(conn: Connection, *, resident_id: str) -> int | None:
    """The primary key of the resident with this (normalised) id, if any."""
    pk = conn.execute(select(_R.c.id).where(_R.c.resident_id == resident_id)).scalar()
    return None if pk is None else int(pk)


@attrs.frozen(slots=True)
class ResidentTube:
    """A tube a resident was in: a pool tube (with their slot) or an individual tube."""

    campaign_id: int
    tube_id: int
    barcode: str
    kind: str
    slot: int | None
    people: int | None
    home_visit: bool
    parent: str | None


def resident_tubes(conn: Connection, *, resident_pk: int, campaign_ids: Sequence[int]) -> list[ResidentTube]:
    """The resident's pool tubes and individual tubes in these campaigns, oldest first."""
    ids = list(campaign_ids)
    t, m, parent = T.alias("t"), M.alias("m"), T.alias("parent")
    pools = conn.execute(
        select(t.c.campaign_id, t.c.id, t.c.barcode, m.c.slot, t.c.people, t.c.home_visit)
        .select_from(m.join(t, t.c.id == m.c.tube_id))
        .where(m.c.resident_pk == resident_pk, m.c.campaign_id.in_(ids))
    ).all()
    singles = conn.execute(
        select(t.c.campaign_id, t.c.id, t.c.barcode, parent.c.barcode)
        .select_from(t.outerjoin(parent, parent.c.id == t.c.parent_tube_id))
        .where(t.c.resident_pk == resident_pk, t.c.kind == "individual", t.c.campaign_id.in_(ids))
    ).all()
    out = [ResidentTube(int(c), int(i), b, "pool", int(s), p, bool(h), None) for c, i, b, s, p, h in pools]
    out += [ResidentTube(int(c), int(i), b, "individual", None, None, False, pb) for c, i, b, pb in singles]
    return sorted(out, key=lambda x: x.tube_id)


def rounds_created(conn: Connection, *, campaign_ids: Sequence[int]) -> dict[int, tuple[datetime, str]]:
    """campaign id -> when and by whom it was created."""
    from poolab.store.tables import Event

    ev = Event.__table__  # type: ignore[attr-defined]
    rows = conn.execute(
        select(_C.c.id, ev.c.at, ev.c.operator)
        .select_from(_C.join(ev, ev.c.id == _C.c.event_id))
        .where(_C.c.id.in_(list(campaign_ids)))
    ).all()
    return {int(c): (at, op) for c, at, op in rows}


def newest_events(conn: Connection, *, campaign_ids: Sequence[int]) -> dict[int, int]:
    """campaign id -> the id of its newest event (results, scans, retests...): a round's
    figures change only when it gets a new one."""
    from poolab.store.tables import Event

    ev = Event.__table__  # type: ignore[attr-defined]
    rows = conn.execute(
        select(ev.c.campaign_id, func.max(ev.c.id))
        .where(ev.c.campaign_id.in_(list(campaign_ids)))
        .group_by(ev.c.campaign_id)
    ).all()
    return {int(c): int(e) for c, e in rows}
