"""Resolve: positive and inconclusive pools become a resample list, failed runs a re-run
list, individual results the confirmed positives (where every tube stands: ``poolab.reports.status``).

The resample decision is the Dorfman stage-2 rule from the decode kernels, the same
kernel the simulator runs, so what is planned is what runs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sqlalchemy import Connection

from poolab.barcodes import INDIVIDUAL_PREFIX
from poolab.calls import CALL_CODE
from poolab.files.csvio import ExportSummary, Output, output_name, write_csv
from poolab.i18n import _
from poolab.masking import mask_name
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import campaign_by_name, insert_tubes, issue_tube_barcodes
from poolab.store.engine import Store
from poolab.store.events import record_event
from poolab.store.reports import (
    KIND_INDIVIDUAL,
    KIND_POOL,
    TubeTable,
    campaign_tubes,
    pool_members,
    residents_by_pk,
)

RETEST_COLUMNS = (
    "resident_id",
    "name",
    "compound",
    "building",
    "unit",
    "room",
    "household_id",
    "pool_tube_barcode",
    "retest_tube_barcode",
)
RERUN_COLUMNS = ("tube_barcode", "reason")
POSITIVE_COLUMNS = ("resident_id", "name", "compound", "building", "unit", "room", "household_id", "tube_barcode")
_POS, _INC, _INV = CALL_CODE["positive"], CALL_CODE["inconclusive"], CALL_CODE["invalid"]
_SLOTS_PER_POOL = 1000  # individual tube positions: pool position * 1000 + slot


def retest_candidates(tubes: TubeTable, member_tube: np.ndarray, member_pk: np.ndarray) -> np.ndarray:
    """Bool per membership: the resident is resampled (their pool is positive or
    inconclusive). Calls the Dorfman decode kernel on the pool results."""
    from poolab.kernels.decode_staged import members_to_retest

    pools = np.flatnonzero(tubes.kind == KIND_POOL)
    pool_index = {int(t): i for i, t in enumerate(tubes.id[pools])}
    pool_of_member = np.fromiter((pool_index.get(int(t), -1) for t in member_tube), np.int64, len(member_tube))
    calls = tubes.call[pools]
    pool_positive = (calls == _POS) | (calls == _INC)
    return np.asarray(members_to_retest(pool_of_member, pool_positive), dtype=bool)


class _Resample(NamedTuple):
    """A person to resample: the tube they were in, who, and where their new tube goes in walk order."""

    parent: int  # the pool tube (or the inconclusive individual tube) they were in
    resident: int  # resident pk
    position: int  # pool position * 1000 + slot


@pauses_gc
def write_retest(
    store: Store, campaign: str, output: Output, *, operator: str, unmasked: bool = False
) -> ExportSummary:
    """Every member of a positive or inconclusive pool, and everyone whose individual
    tube came back inconclusive, gets an individual tube. Asked again, the same people
    keep the same tubes (only people without one get a new barcode): also when two
    stations ask at once, since the store keeps one tube per resident and parent tube."""

    def work(conn: Connection) -> tuple[list[tuple[object, ...]], int]:
        info = campaign_by_name(conn, name=campaign)
        tubes = campaign_tubes(conn, campaign_id=info.id)
        member_tube, member_pk, member_slot = pool_members(conn, campaign_id=info.id)
        flagged = retest_candidates(tubes, member_tube, member_pk)
        position = dict(zip(tubes.id.tolist(), tubes.position.tolist(), strict=True))
        barcode = dict(zip(tubes.id.tolist(), tubes.barcode, strict=True))
        # (parent tube, resident) -> existing individual tube barcode
        indiv = np.flatnonzero((tubes.kind == KIND_INDIVIDUAL) & ~tubes.duplicate)
        existing = {(int(tubes.parent[i]), int(tubes.resident_pk[i])): tubes.barcode[i] for i in indiv}
        wanted: list[_Resample] = []
        for t, pk, slot in zip(member_tube[flagged], member_pk[flagged], member_slot[flagged], strict=True):
            wanted.append(_Resample(int(t), int(pk), position[int(t)] * _SLOTS_PER_POOL + int(slot)))
        for i in indiv:  # an inconclusive individual result: resample that person again
            if tubes.call[i] == _INC:
                wanted.append(_Resample(int(tubes.id[i]), int(tubes.resident_pk[i]), int(tubes.position[i])))
        missing = [w for w in wanted if (w.parent, w.resident) not in existing]
        if missing:
            event_id = record_event(
                conn,
                operator=operator,
                action="retest.issue",
                campaign_id=info.id,
                detail={"new_tubes": len(missing)},
            )
            codes = issue_tube_barcodes(conn, prefix=INDIVIDUAL_PREFIX, count=len(missing))
            insert_tubes(
                conn,
                campaign_id=info.id,
                kind="individual",
                barcodes=codes,
                positions=[w.position for w in missing],
                parent_tube_ids=[w.parent for w in missing],
                resident_pks=[w.resident for w in missing],
                event_id=event_id,
            )
            for w, c in zip(missing, codes, strict=True):
                existing[(w.parent, w.resident)] = c
        people = residents_by_pk(conn, pks=[w.resident for w in wanted])
        wanted.sort(key=lambda w: (w.position, w.resident))
        rows: list[tuple[object, ...]] = []
        for parent, pk, _pos in wanted:
            rid, name, _idn, comp, bld, unit, room, hh = people[pk]
            shown = name if unmasked else mask_name(name)
            rows.append((rid, shown, comp, bld, unit, room, hh, barcode[parent], existing[(parent, pk)]))
        return rows, len(missing)

    rows, new = store.write(work)
    write_csv(output, RETEST_COLUMNS, rows)
    return ExportSummary(path=output_name(output), rows=len(rows), new=new)


def write_rerun(store: Store, campaign: str, output: Output) -> ExportSummary:
    """Tubes whose current result is invalid (the run failed): re-run from the same tube.
    A tube an instrument export called invalid says which plate and well, and why: the
    instrument omitted or flagged the well (the flags named), or the well showed neither
    target nor internal control; on a plate whose control failed, which control and with
    what Ct."""
    from poolab.store.plates import current_result_origins, well_notes

    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        tubes = campaign_tubes(conn, campaign_id=info.id)
        origins = current_result_origins(conn, campaign_id=info.id)
        invalid = [origins.get(int(t)) for t in tubes.id[tubes.call == _INV]]
        notes = well_notes(conn, event_ids=[o.event_id for o in invalid if o is not None])
    rows = []
    for i in np.flatnonzero(tubes.call == _INV):
        pool = tubes.kind[i] == KIND_POOL
        again = _("re-run the pool tube") if pool else _("re-run the individual tube")
        origin = origins.get(int(tubes.id[i]))
        if origin is None:
            rows.append((tubes.barcode[i], _("invalid result: {action}").format(action=again)))
            continue
        note = notes.get((origin.event_id, origin.well))
        if origin.status == "failed_control":
            why = _("plate {plate} failed its controls: {message}").format(
                plate=origin.plate_barcode, message=origin.message
            )
        elif note:
            why = _("{note} (plate {plate} well {well})").format(
                note=note, plate=origin.plate_barcode, well=origin.well
            )
        else:
            why = _("invalid on plate {plate} well {well}: no target and no internal control").format(
                plate=origin.plate_barcode, well=origin.well
            )
        rows.append((tubes.barcode[i], _("{why}; {action}").format(why=why, action=again)))
    write_csv(output, RERUN_COLUMNS, rows)
    return ExportSummary(path=output_name(output), rows=len(rows))


def confirmed_positive_indices(tubes: TubeTable) -> np.ndarray:
    """Indices of individual tubes whose current call is positive."""
    return np.flatnonzero((tubes.kind == KIND_INDIVIDUAL) & (tubes.call == _POS))


def write_positives(store: Store, campaign: str, output: Output, *, unmasked: bool = False) -> ExportSummary:
    """Residents whose individual tube is positive: the confirmed positives."""
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        tubes = campaign_tubes(conn, campaign_id=info.id)
        idx = confirmed_positive_indices(tubes)
        people = residents_by_pk(conn, pks=tubes.resident_pk[idx].tolist())
    rows = []
    seen: set[int] = set()
    for i in idx:
        pk = int(tubes.resident_pk[i])
        if pk in seen:
            continue
        seen.add(pk)
        rid, name, _idn, comp, bld, unit, room, hh = people[pk]
        rows.append((rid, name if unmasked else mask_name(name), comp, bld, unit, room, hh, tubes.barcode[i]))
    write_csv(output, POSITIVE_COLUMNS, rows)
    return ExportSummary(path=output_name(output), rows=len(rows))


def positive_resident_ids(store: Store, campaign: str) -> list[str]:
    """resident_id of every confirmed positive (for checks and the demo)."""
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        tubes = campaign_tubes(conn, campaign_id=info.id)
        idx = confirmed_positive_indices(tubes)
        people = residents_by_pk(conn, pks=tubes.resident_pk[idx].tolist())
    return sorted({people[int(tubes.resident_pk[i])][0] for i in idx})
