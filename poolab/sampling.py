"""Sampling: the manifest a team walks with, and field binding of pre-printed tubes."""

from __future__ import annotations

import os
from collections.abc import Iterable

from poolab.barcodes import barcode_problem, normalise_scan
from poolab.csvio import write_csv
from poolab.errors import PoolabError, Problem
from poolab.masking import mask_name
from poolab.model import ExportSummary, ScanReport
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import campaign_by_name, insert_members, insert_tubes, tube_ids_for
from poolab.store.engine import Store
from poolab.store.events import now, record_event
from poolab.store.reports import (
    campaign_tubes,
    manifest_rows,
    pool_members,
)
from poolab.store.residents import load_residents, resident_keys
from poolab.store.tubes import insert_collections

MANIFEST_COLUMNS = (
    "tube_barcode",
    "slot",
    "resident_id",
    "name",
    "compound",
    "building",
    "unit",
    "room",
    "household_id",
)


@pauses_gc
def write_manifest(
    store: Store, campaign: str, output: str | os.PathLike[str], *, unmasked: bool = False
) -> ExportSummary:
    """One row per resident in walk order: which tube and slot each swab goes into.
    In a field-binding campaign residents not yet bound have an empty tube and slot."""
    with store.begin() as conn:
        info = campaign_by_name(conn, name=campaign)
        rows = manifest_rows(conn, campaign_id=info.id)
        if info.field_binding:
            rows = _field_manifest(conn, info.id, info.compounds, rows)
    out: list[tuple[str, ...]] = []
    for code, slot, rid, name, _idn, comp, bld, unit, room, hh in rows:
        shown = str(name) if unmasked else mask_name(str(name))
        out.append(tuple(str(v) for v in (code, slot, rid, shown, comp, bld, unit, room, hh)))
    write_csv(output, MANIFEST_COLUMNS, out)
    return ExportSummary(path=os.fspath(output), rows=len(out))


def _field_manifest(conn, campaign_id: int, compounds: tuple[str, ...], bound: list) -> list:  # type: ignore[no-untyped-def, type-arg]
    """Bound residents as bound; the rest of the campaign's residents in walk order."""
    from poolab.pools import walk_order
    from poolab.store.reports import residents_by_pk

    residents = load_residents(conn, compounds=list(compounds) or None)
    bound_ids = {r[2] for r in bound}
    order = walk_order(residents.compound, residents.building, residents.unit, residents.room, residents.household_id)
    rest_pks = [int(residents.pk[i]) for i in order if residents.resident_id[i] not in bound_ids]
    details = residents_by_pk(conn, pks=rest_pks)
    return list(bound) + [("", "", *details[pk]) for pk in rest_pks]


def collect(
    store: Store,
    campaign: str,
    scans: Iterable[tuple[int, str]],
    *,
    source: str,
    operator: str,
    flush_every: int = 200,
) -> ScanReport:
    """Field scans. In a field-binding campaign a tube scan opens a tube and resident
    scans (resident_id or ID number) fill it; a full tube or the next tube scan closes
    it. In a manifest campaign a tube scan records the tube as collected and resident
    scans are checked against the manifest. Good scans are kept, bad ones reported."""
    with store.begin() as conn:
        info = campaign_by_name(conn, name=campaign)
    session = _FieldSession(store, info, source=source, operator=operator)
    pending = 0
    for number, raw in scans:
        if not raw.strip():
            continue
        session.scan(number, raw)
        pending += 1
        if pending >= flush_every:
            session.flush()
            pending = 0
    session.close_tube()
    session.flush()
    return ScanReport(accepted=session.accepted, problems=tuple(session.problems), notes=tuple(session.notes))


class _FieldSession:
    """The state of one collect stream: the open tube, who is bound where."""

    def __init__(self, store: Store, info, *, source: str, operator: str) -> None:  # type: ignore[no-untyped-def]
        self.store = store
        self.info = info
        self.source = source
        self.operator = operator
        self.accepted = 0
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        with store.begin() as conn:
            tubes = campaign_tubes(conn, campaign_id=info.id)
            self.tube_id = {b: int(t) for b, t in zip(tubes.barcode, tubes.id, strict=True)}
            self.collected = {b for b, c in zip(tubes.barcode, tubes.collected, strict=True) if c}
            tube_of_member, member_pk, _slots = pool_members(conn, campaign_id=info.id)
            self.tube_of_resident = {int(p): int(t) for p, t in zip(member_pk, tube_of_member, strict=True)}
            residents = load_residents(conn, compounds=list(info.compounds) or None)
            self.in_scope = {int(p) for p in residents.pk}
            # scans are upper-cased, so keys are too
            self.resident_of_code = resident_keys(conn)
        self.barcode_of_tube = {t: b for b, t in self.tube_id.items()}
        self.line_of_resident: dict[int, int] = {}
        self.open_code: str | None = None
        self.open_members: list[int] = []
        self.open_line = 0
        self.tube_count = len(tubes)
        # writes waiting for the next flush
        self.new_tubes: list[tuple[str, list[int]]] = []
        self.new_collections: list[str] = []

    def _refuse(self, number: int, value: str, message: str) -> None:
        self.problems.append(Problem(self.source, number, value, message))

    def scan(self, number: int, raw: str) -> None:
        code = normalise_scan(raw)
        pk = self._resident(code)
        if pk is None:
            self._tube_scan(number, code)
        else:
            self._resident_scan(number, code, pk)

    def _resident(self, code: str) -> int | None:
        return self.resident_of_code.get(code)

    def _tube_scan(self, number: int, code: str) -> None:
        problem = barcode_problem(code, pre_printed=self.info.field_binding)
        if problem is not None:
            self._refuse(number, code, f"{problem}; neither a tube nor a resident of the roster")
            return
        if self.info.field_binding:
            self.close_tube()
            if code in self.tube_id or any(code == c for c, _ in self.new_tubes) or self._used_elsewhere(code):
                self._refuse(number, code, "tube already used; take a new tube")
                return
            self.open_code, self.open_members, self.open_line = code, [], number
            self.accepted += 1
            return
        if code not in self.tube_id:
            self._refuse(number, code, f"unknown tube: not a tube of campaign {self.info.name!r}")
            return
        if code in self.collected:
            self._refuse(number, code, "tube scanned twice (already collected)")
            return
        self.collected.add(code)
        self.new_collections.append(code)
        self.open_code = code
        self.accepted += 1

    def _used_elsewhere(self, code: str) -> bool:
        from poolab.store.campaigns import barcode_in_use

        with self.store.begin() as conn:
            return barcode_in_use(conn, barcode=code) is not None

    def _resident_scan(self, number: int, code: str, pk: int) -> None:
        if pk not in self.in_scope:
            self._refuse(number, code, f"resident is not in campaign {self.info.name!r} (other compound)")
            return
        if not self.info.field_binding:
            expected = self.tube_of_resident.get(pk)
            if self.open_code is None:
                self._refuse(number, code, "no tube scanned yet: scan the tube first")
            elif expected != self.tube_id[self.open_code]:
                where = self.barcode_of_tube.get(expected, "no tube") if expected is not None else "no tube"
                self._refuse(number, code, f"resident belongs in tube {where}, not {self.open_code}")
            else:
                self.accepted += 1
            return
        if self.open_code is None:
            self._refuse(number, code, "no open tube: scan a tube first")
            return
        if pk in self.tube_of_resident or pk in self.open_members:
            first = self.line_of_resident.get(pk)
            where = f" (line {first})" if first else ""
            self._refuse(number, code, f"resident already bound to a tube{where}")
            return
        self.open_members.append(pk)
        self.line_of_resident[pk] = number
        self.accepted += 1
        if len(self.open_members) >= self.info.pool_size:
            self.close_tube()

    def close_tube(self) -> None:
        if not self.info.field_binding or self.open_code is None:
            return
        if self.open_members:
            self.new_tubes.append((self.open_code, list(self.open_members)))
            for pk in self.open_members:
                self.tube_of_resident[pk] = -1  # bound; the id is known after the flush
        else:
            self.notes.append(f"tube {self.open_code} (line {self.open_line}) closed empty; not recorded")
        self.open_code, self.open_members = None, []

    def flush(self) -> None:
        if not self.new_tubes and not self.new_collections:
            return
        import numpy as np

        with self.store.begin() as conn:
            event_id = record_event(
                conn,
                operator=self.operator,
                action="collect",
                campaign_id=self.info.id,
                detail={"source": self.source, "tubes": len(self.new_tubes) + len(self.new_collections)},
            )
            at = now()
            if self.new_tubes:
                codes = [c for c, _ in self.new_tubes]
                insert_tubes(
                    conn,
                    campaign_id=self.info.id,
                    kind="pool",
                    barcodes=codes,
                    positions=range(self.tube_count, self.tube_count + len(codes)),
                    event_id=event_id,
                )
                ids = tube_ids_for(conn, barcodes=codes, campaign_id=self.info.id)
                self.tube_count += len(codes)
                tube_ids, pks, slots = [], [], []
                for c, members in self.new_tubes:
                    for slot, pk in enumerate(members, start=1):
                        tube_ids.append(ids[c])
                        pks.append(pk)
                        slots.append(slot)
                        self.tube_of_resident[pk] = ids[c]
                    self.tube_id[c] = ids[c]
                    self.barcode_of_tube[ids[c]] = c
                insert_members(
                    conn,
                    campaign_id=self.info.id,
                    tube_ids=np.asarray(tube_ids, np.int64),
                    resident_pks=np.asarray(pks, np.int64),
                    slots=np.asarray(slots, np.int64),
                    event_id=event_id,
                )
                insert_collections(conn, tube_ids=[ids[c] for c in codes], at=[at] * len(codes), event_id=event_id)
            if self.new_collections:
                insert_collections(
                    conn,
                    tube_ids=[self.tube_id[c] for c in self.new_collections],
                    at=[at] * len(self.new_collections),
                    event_id=event_id,
                )
        self.new_tubes, self.new_collections = [], []


def mark_collected(store: Store, campaign: str, *, operator: str, barcodes: Iterable[str] | None = None) -> int:
    """Record tubes of a manifest campaign as collected (all of them by default):
    what a team's tube scans do, in one step (the demo's simulated collection)."""
    with store.begin() as conn:
        info = campaign_by_name(conn, name=campaign)
        if info.field_binding:
            raise PoolabError("field-binding campaigns record collection by scanning: poolab collect")
        tubes = campaign_tubes(conn, campaign_id=info.id)
        wanted = set(barcodes) if barcodes is not None else None
        ids = [
            int(t)
            for b, t, c, k in zip(tubes.barcode, tubes.id, tubes.collected, tubes.kind, strict=True)
            if not c and k == 0 and (wanted is None or b in wanted)
        ]
        event_id = record_event(
            conn, operator=operator, action="collect", campaign_id=info.id, detail={"tubes": len(ids)}
        )
        insert_collections(conn, tube_ids=ids, at=[now()] * len(ids), event_id=event_id)
    return len(ids)
