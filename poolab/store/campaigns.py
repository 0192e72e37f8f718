"""Campaigns, their tubes and pool memberships; barcode serials."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
from sqlalchemy import Connection, func, select, update

from poolab.errors import NotFound, PoolabError
from poolab.i18n import _
from poolab.store.bulk import column_writer, fetch_all_raw, insert_new_rows
from poolab.store.tables import Campaign, Counter, Member, Tube
from poolab.store.tube_tally import count_new_tubes, last_id

if TYPE_CHECKING:  # numpy and barcodes are imported where used: `poolab status` needs neither
    import numpy as np

_C = Campaign.__table__  # type: ignore[attr-defined]
_T = Tube.__table__  # type: ignore[attr-defined]
_M = Member.__table__  # type: ignore[attr-defined]
_K = Counter.__table__  # type: ignore[attr-defined]
_BLOCK = 100_000


@attrs.frozen(slots=True)
class CampaignInfo:
    """A campaign as the workflow sees it."""

    id: int
    name: str
    pool_size: int
    one_tube_per_household: bool
    field_binding: bool
    compounds: tuple[str, ...]
    after_id: int | None = None
    """The campaign this round follows (``campaign new --after``)."""


def campaign_by_name(conn: Connection, *, name: str) -> CampaignInfo:
    """The campaign called ``name``; NotFound lists the campaigns there are."""
    row = conn.execute(select(_C).where(_C.c.name == name)).mappings().first()
    if row is None:
        names = list(conn.execute(select(_C.c.name).order_by(_C.c.id)).scalars())
        known = ", ".join(names) if names else _("none yet (create one with: poolab campaign new NAME)")
        raise NotFound(_("no campaign {name}; campaigns: {known}").format(name=repr(name), known=known))
    return CampaignInfo(
        id=row["id"],
        name=row["name"],
        pool_size=row["pool_size"],
        one_tube_per_household=bool(row["one_tube_per_household"]),
        field_binding=bool(row["field_binding"]),
        compounds=tuple(json.loads(row["compounds"])),
        after_id=row["after_id"],
    )


def campaign_exists(conn: Connection, *, name: str) -> bool:
    """Whether a campaign called ``name`` exists."""
    return conn.execute(select(_C.c.id).where(_C.c.name == name)).first() is not None


def insert_campaign(
    conn: Connection,
    *,
    name: str,
    pool_size: int,
    one_tube_per_household: bool,
    field_binding: bool,
    compounds: Sequence[str],
    event_id: int,
    after_id: int | None = None,
) -> int:
    """Add the campaign row (``after_id``: the round it follows); returns its id."""
    res = conn.execute(
        _C.insert(),
        {
            "name": name,
            "pool_size": pool_size,
            "one_tube_per_household": one_tube_per_household,
            "field_binding": field_binding,
            "compounds": json.dumps(list(compounds), ensure_ascii=False),
            "event_id": event_id,
            "after_id": after_id,
        },
    )
    pk = res.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def issue_tube_barcodes(conn: Connection, *, prefix: str, count: int) -> list[str]:
    """``count`` new barcodes, unique across the store. Serials come from one counter row
    per prefix, locked until the transaction ends (PostgreSQL: the row; SQLite: the
    whole file), so two stations never draw the same serials."""
    if count == 0:
        return []
    name = f"barcode:{prefix}"
    # the first use of a prefix: two stations may both create its row; the key keeps one
    insert_new_rows(conn, _K, ("name", "value"), [(name, 1)], key="name")
    stmt = select(_K.c.value).where(_K.c.name == name)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    first = int(conn.execute(stmt).scalar_one())
    from poolab.barcodes import issue_barcodes

    codes, next_serial = issue_barcodes(prefix, first, count)
    conn.execute(update(_K).where(_K.c.name == name).values(value=next_serial))
    return codes


def insert_tubes(
    conn: Connection,
    *,
    campaign_id: int,
    kind: str,
    barcodes: Sequence[str],
    positions: Sequence[int],
    event_id: int,
    parent_tube_ids: Sequence[int | None] | None = None,
    resident_pks: Sequence[int | None] | None = None,
    compounds: Sequence[str | None] | None = None,
    people: Sequence[int | None] | None = None,
    home_visit: Sequence[bool] | None = None,
) -> int:
    """Add tubes; returns how many (``tube_ids_by_position`` gives their ids).
    ``compounds`` and ``people``: a laid-out pool tube's compound and head-count;
    ``home_visit``: which tubes hold home-visit residents (none when not given)."""
    n = len(barcodes)
    parents = parent_tube_ids if parent_tube_ids is not None else [None] * n
    residents = resident_pks if resident_pks is not None else [None] * n
    places = compounds if compounds is not None else [None] * n
    counts = people if people is not None else [None] * n
    columns: tuple[str, ...] = (
        "barcode",
        "campaign_id",
        "kind",
        "position",
        "parent_tube_id",
        "resident_pk",
        "compound",
        "people",
        "event_id",
    )
    if home_visit is not None:  # named only when asked: the store fills false otherwise
        columns = (*columns, "home_visit")
    after = last_id(conn, "tube")
    # a block of columns at a time (a city's million tubes are never all built at once),
    # handed over as columns: on PostgreSQL the COPY text is made from them directly
    with column_writer(conn, _T, columns) as write:
        for start in range(0, n, _BLOCK):
            end = min(start + _BLOCK, n)
            m = end - start
            block: list[Sequence[object]] = [
                list(barcodes[start:end]),
                [campaign_id] * m,
                [kind] * m,
                [int(p) for p in positions[start:end]],
                list(parents[start:end]),
                list(residents[start:end]),
                list(places[start:end]),
                list(counts[start:end]),
                [event_id] * m,
            ]
            if home_visit is not None:
                block.append([bool(v) for v in home_visit[start:end]])
            write(block)
    count_new_tubes(conn, event_id=event_id, after_id=after)
    return n


def tube_ids_by_position(conn: Connection, *, campaign_id: int, kind: str) -> np.ndarray:
    """Ids of a campaign's tubes of one kind, ordered by position (integers only: a
    district's pool tubes are read back without their barcodes)."""
    stmt = select(_T.c.id).where(_T.c.campaign_id == campaign_id, _T.c.kind == kind).order_by(_T.c.position)
    import numpy as np

    return np.asarray([r[0] for r in fetch_all_raw(conn, stmt)], dtype=np.int64)


def insert_members(
    conn: Connection,
    *,
    campaign_id: int,
    tube_ids: np.ndarray,
    resident_pks: np.ndarray,
    slots: np.ndarray,
    event_id: int,
) -> int:
    """Pool memberships (one per resident per campaign)."""
    n = len(tube_ids)
    block = [[campaign_id] * n, tube_ids.tolist(), resident_pks.tolist(), slots.tolist(), [event_id] * n]
    with column_writer(conn, _M, ("campaign_id", "tube_id", "resident_pk", "slot", "event_id")) as write:
        return write(block)


class CampaignExists(PoolabError):
    """A campaign name is already taken."""


def campaign_overview(conn: Connection) -> list[tuple[str, int, bool, bool, str, str, int]]:
    """(name, pool size, one tube per household, field binding, created at, by whom,
    pool tubes) of every campaign, oldest first."""
    from poolab.store.tables import Event

    ev = Event.__table__  # type: ignore[attr-defined]
    tubes = (
        select(_T.c.campaign_id, func.count().label("n"))
        .where(_T.c.kind == "pool")
        .group_by(_T.c.campaign_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            _C.c.name,
            _C.c.pool_size,
            _C.c.one_tube_per_household,
            _C.c.field_binding,
            ev.c.at,
            ev.c.operator,
            func.coalesce(tubes.c.n, 0),
        )  # fmt: skip
        .select_from(_C.join(ev, ev.c.id == _C.c.event_id).outerjoin(tubes, tubes.c.campaign_id == _C.c.id))
        .order_by(_C.c.id)
    ).all()
    return [(n, int(k), bool(o), bool(f), f"{at:%Y-%m-%d %H:%M}", op, int(t)) for n, k, o, f, at, op, t in rows]
