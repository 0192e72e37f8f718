"""Sampling: the manifest a team walks with, and field binding of pre-printed tubes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import Connection

from poolab.barcodes import barcode_problem, normalise_scan
from poolab.errors import PoolabError, Problem, StoreFault, StoreLost
from poolab.field.scans import Scan, ScanReport, StreamItem, run_stream
from poolab.files.csvio import ExportSummary, Output, output_name, write_csv
from poolab.files.meter import Progress, no_progress
from poolab.i18n import _
from poolab.masking import looks_like_mobile, mask_name, redact
from poolab.roster.idnumber import looks_like_id_number
from poolab.store.binding import Binding, bind_members, bindings_of, open_field_tube, tube_owner
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import CampaignInfo, campaign_by_name
from poolab.store.engine import Store
from poolab.store.events import now, record_event, set_event_detail, stream_id
from poolab.store.reports import (
    campaign_tubes,
    count_campaign_residents,
    manifest_blocks,
    manifest_rows,
    pool_members,
)
from poolab.store.residents import load_residents, resident_keys
from poolab.store.tubes import ScanRecord, collection_records, insert_collections
from poolab.when import when

STEP_MANIFEST = "manifest"
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
    store: Store,
    campaign: str,
    output: Output,
    *,
    unmasked: bool = False,
    progress: Progress = no_progress,
    home_visits: bool = False,
) -> ExportSummary:
    """One row per resident in walk order: which tube and slot each swab goes into.
    The walk's manifest leaves out the home-visit tubes; ``home_visits`` lists only
    those (the home-visit team's, tube by tube in walk order, building by building).
    In a field-binding campaign residents not yet bound have an empty tube and slot.
    Rows stream from the store to the file a block at a time (a path is still written
    whole or not at all)."""
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        if info.field_binding and not home_visits:
            blocks: Iterable[Sequence[tuple[Any, ...]]] = [
                _field_manifest(conn, info.id, info.compounds, manifest_rows(conn, campaign_id=info.id))
            ]
            total = 0
        else:
            blocks = manifest_blocks(conn, campaign_id=info.id, home_visit=home_visits)
            # the walk's share is counted as the whole: a join at a city's size costs seconds
            total = count_campaign_residents(conn, campaign_id=info.id, home_visit=True if home_visits else None)
        written = [0]

        masked: dict[str, str] = {}  # a district's names repeat: each is masked once

        def rows() -> Iterator[tuple[object, ...]]:
            for block in blocks:
                for code, slot, rid, name, _idn, comp, bld, unit, room, hh in block:
                    shown = str(name)
                    if not unmasked:
                        shown = masked.get(shown) or masked.setdefault(shown, mask_name(shown))
                    yield (code, slot, rid, shown, comp, bld, unit, room, hh)
                written[0] += len(block)
                progress(_("manifest"), written[0] / max(total, 1), written[0])

        count = write_csv(output, MANIFEST_COLUMNS, rows())
    return ExportSummary(path=output_name(output), rows=count)


def _field_manifest(conn, campaign_id: int, compounds: tuple[str, ...], bound: list) -> list:  # type: ignore[no-untyped-def]
    """Bound residents as bound; the rest of the campaign's residents in walk order."""
    from poolab.field.pools import walk_order
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
    scans: Iterable[StreamItem],
    *,
    source: str,
    operator: str,
    flush_every: int = 200,
) -> ScanReport:
    """Field scans. In a field-binding campaign a tube scan opens a tube and resident
    scans (resident_id or ID number) fill it; a full tube or the next tube scan closes
    it. In a manifest campaign a tube scan records the tube as collected and resident
    scans are checked against the manifest. Good scans are kept, bad ones reported;
    scans are committed as ``receive`` commits them (within about a second), an open
    tube's residents included."""
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
    session = _CollectSession(store, info, source=source, operator=operator)
    outcome = run_stream(
        scans,
        take=session.scan,
        refuse=session.problems.append,
        flush=session.flush,
        pending=session.pending,
        source=source,
        max_pending=flush_every,
    )
    if outcome.fault is None:
        session.close_tube()
        try:
            session.flush()
        except StoreLost as fault:  # everything of this run went with the old store
            outcome = outcome._replace(fault=str(fault), unsaved_from=1, lost=True)
        except StoreFault as fault:
            outcome = outcome._replace(fault=str(fault), unsaved_from=session.open_line or None)
    problems = sorted(session.problems, key=lambda p: p.line)
    return ScanReport(
        accepted=session.accepted,
        problems=tuple(problems),
        notes=tuple(session.notes),
        fault=outcome.fault,
        unsaved_from=outcome.unsaved_from,
        interrupted=outcome.interrupted,
        lost=outcome.lost,
    )


@attrs.define
class _FieldTube:
    """A pre-printed tube being filled in the field, and how much of it is stored."""

    code: str
    line: int
    members: list[tuple[int, int]] = attrs.Factory(list)  # (scan line, resident pk)
    tube_id: int | None = None
    stored: int = 0  # members already in the store
    closed: bool = False


class _CollectSession:
    """The state of one collect stream: in a field-binding campaign the open tube and
    who is bound where; in a manifest campaign the tubes collected."""

    def __init__(self, store: Store, info: CampaignInfo, *, source: str, operator: str) -> None:
        self.store = store
        self.info = info
        self.source = source
        self.operator = operator
        self.stream = stream_id()  # the events of this stream's flushes share it: one row in the log
        self.accepted = 0
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        with store.read() as conn:
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
        self.scanned: dict[int, str] = {}  # line -> the resident code scanned there
        self.pending_tube: dict[int, str] = {}  # resident pk -> barcode, bound in this stream
        self.open: _FieldTube | None = None
        self.open_line = 0
        # writes waiting for the next flush
        self.dirty: list[_FieldTube] = []
        self.new_collections: list[tuple[int, str]] = []  # (scan line, barcode)

    def pending(self) -> int:
        """Scans waiting to be committed."""
        waiting = sum(len(t.members) - t.stored + (t.closed and t.tube_id is not None) for t in self.dirty)
        return waiting + len(self.new_collections)

    def _refuse(self, number: int, value: str, message: str) -> None:
        self.problems.append(Problem(self.source, number, value, message))

    def scan(self, scan: Scan) -> None:
        code = normalise_scan(scan.text)
        pk = self.resident_of_code.get(code)
        if pk is None:
            self._tube_scan(scan.line, code)
        else:
            self._resident_scan(scan.line, code, pk)

    def _tube_scan(self, number: int, code: str) -> None:
        if looks_like_id_number(code):
            # a card read where a tube was meant (or a resident missing from the roster):
            # never a tube, or the manifest would carry the number as a pool tube
            self._refuse(
                number,
                code,
                _(
                    "an ID number that is not on the roster, not a tube barcode; scan the tube, "
                    "or check the resident is on the roster"
                ),
            )
            return
        if looks_like_mobile(code):
            self._refuse(number, code, _("a mobile phone number, not a tube barcode; scan the tube"))
            return
        problem = barcode_problem(code, pre_printed=self.info.field_binding)
        if problem is not None:
            self._refuse(
                number, code, _("{problem}; neither a tube nor a resident of the roster").format(problem=problem)
            )
            return
        if self.info.field_binding:
            self.close_tube()
            if code in self.tube_id or any(t.code == code for t in self.dirty):
                self._refuse(number, code, _("tube already used; take a new tube"))
                return
            self.open = _FieldTube(code, number)
            self.open_line = number
            self.dirty.append(self.open)
            return
        if code not in self.tube_id:
            self._refuse(
                number, code, _("unknown tube: not a tube of campaign {campaign}").format(campaign=repr(self.info.name))
            )
            return
        if code in self.collected:
            self._refuse(number, code, _("tube scanned twice (already collected)"))
            return
        self.collected.add(code)
        self.new_collections.append((number, code))
        self.open = _FieldTube(code, number, tube_id=self.tube_id[code])

    def _resident_scan(self, number: int, code: str, pk: int) -> None:
        if pk not in self.in_scope:
            self._refuse(
                number,
                code,
                _("resident is not in campaign {campaign} (other compound)").format(campaign=repr(self.info.name)),
            )
            return
        if not self.info.field_binding:
            expected = self.tube_of_resident.get(pk)
            if self.open is None:
                self._refuse(number, code, _("no tube scanned yet: scan the tube first"))
            elif expected != self.tube_id[self.open.code]:
                nowhere = _("no tube")
                where = self.barcode_of_tube.get(expected, nowhere) if expected is not None else nowhere
                why = _("resident belongs in tube {tube}, not {scanned}").format(tube=where, scanned=self.open.code)
                self._refuse(number, code, why)
            else:
                self.accepted += 1
            return
        if self.open is None:
            self._refuse(number, code, _("no open tube: scan a tube first"))
            return
        if pk in self.tube_of_resident:
            first = self.line_of_resident.get(pk)
            tube = self.barcode_of_tube.get(self.tube_of_resident[pk]) or self.pending_tube.get(pk, "")
            why = (
                _("resident already bound to tube {tube} (line {line})").format(tube=tube, line=first)
                if first
                else _("resident already bound to tube {tube}").format(tube=tube)
            )
            self._refuse(number, code, why)
            return
        self.open.members.append((number, pk))
        self.pending_tube[pk] = self.open.code
        self.scanned[number] = code
        self.tube_of_resident[pk] = -1  # bound; the tube's id is known once it is stored
        self.line_of_resident[pk] = number
        if len(self.open.members) >= self.info.pool_size:
            self.close_tube()

    def close_tube(self) -> None:
        """The open tube is full, or the next tube was scanned, or the stream ended."""
        tube, self.open = self.open, None
        if tube is None or not self.info.field_binding:
            return
        tube.closed = True
        if not tube.members:
            self.notes.append(
                _("tube {tube} (line {line}) closed empty; not recorded").format(tube=redact(tube.code), line=tube.line)
            )
            if tube in self.dirty:
                self.dirty.remove(tube)
        elif tube not in self.dirty:
            self.dirty.append(tube)  # stored while open: its collection is still to record

    def flush(self) -> None:
        """Commit what is pending, in one transaction (one savepoint per field tube). The
        session's own state changes only once the transaction has committed, so a run
        the store repeats (a deadlock, a lost race) starts from the same state."""
        if not self.dirty and not self.new_collections:
            return
        tubes, collections = self.store.write(self._write_pending)
        for result in tubes:
            self._settle_tube(result)
        self._settle_collections(*collections)
        self.dirty = [t for t in self.dirty if t is self.open and not t.closed]
        self.new_collections = []

    def _write_pending(self, conn: Connection) -> tuple[list[_TubeWrite], tuple[set[int], dict[int, ScanRecord]]]:
        event_id = record_event(
            conn,
            operator=self.operator,
            action="collect",
            campaign_id=self.info.id,
            detail={"source": self.source, "stream": self.stream},
        )
        tubes = [self._write_tube(conn, tube, event_id) for tube in self.dirty]
        won: set[int] = set()
        records: dict[int, ScanRecord] = {}
        if self.new_collections:
            ids = [self.tube_id[c] for _, c in self.new_collections]
            won = insert_collections(conn, tube_ids=ids, at=now(), event_id=event_id)
            records = collection_records(conn, tube_ids=[t for t in ids if t not in won])
        stored = sum(len(t.won) + (t.new_id is not None) for t in tubes) + len(won)
        detail = {"source": self.source, "scans": stored, "stream": self.stream}
        set_event_detail(conn, event_id=event_id, detail=detail)
        return tubes, (won, records)

    def _write_tube(self, conn: Connection, tube: _FieldTube, event_id: int) -> _TubeWrite:
        """Store a field tube's new members (and the tube, and its collection once closed);
        everything of one tube commits together or not at all (a savepoint)."""
        fresh = tube.members[tube.stored :]
        if tube.tube_id is None and not fresh:
            return _TubeWrite(tube)  # nothing scanned into it yet: stored with its first resident
        with conn.begin_nested() as savepoint:
            tube_id = tube.tube_id
            if tube_id is None:
                tube_id = open_field_tube(conn, campaign_id=self.info.id, barcode=tube.code, event_id=event_id)
                if tube_id is None:
                    # the barcode was taken (ON CONFLICT DO NOTHING wrote nothing): ask by whom
                    # in the same savepoint, which is still open
                    return _TubeWrite(tube, taken_by=tube_owner(conn, barcode=tube.code) or (0, now(), "?"))
            won = bind_members(
                conn,
                campaign_id=self.info.id,
                tube_id=tube_id,
                resident_pks=[pk for _, pk in fresh],
                first_slot=tube.stored + 1,
                event_id=event_id,
            )
            lost = [pk for _, pk in fresh if pk not in won]
            bound = bindings_of(conn, campaign_id=self.info.id, resident_pks=lost) if lost else {}
            if tube.tube_id is None and not won:
                savepoint.rollback()  # every resident of the tube went elsewhere: no empty tube
                return _TubeWrite(tube, bound_elsewhere=bound)
            if tube.closed:
                insert_collections(conn, tube_ids=[tube_id], at=now(), event_id=event_id)
        return _TubeWrite(tube, new_id=tube_id if tube.tube_id is None else None, won=won, bound_elsewhere=bound)

    def _settle_tube(self, result: _TubeWrite) -> None:
        tube = result.tube
        if result.taken_by is not None:
            _tube_id, at, by = result.taken_by
            self._refuse(
                tube.line,
                tube.code,
                _("tube already used at {when} by {operator}; take a new tube").format(when=when(at), operator=by),
            )
            if self.open is tube:
                self.open = None  # later resident scans are refused until a new tube is scanned
            for line, pk in tube.members:
                self.tube_of_resident.pop(pk, None)
                why = _("resident not bound: tube {tube} was already used; scan them into a new tube").format(
                    tube=tube.code
                )
                self._refuse(line, self.scanned[line], why)
            tube.members, tube.closed = [], True
            return
        fresh = tube.members[tube.stored :]
        for line, pk in fresh:
            if pk in result.bound_elsewhere:
                b = result.bound_elsewhere[pk]
                self.tube_of_resident.pop(pk, None)
                why = _("resident already bound to tube {tube} at {when} by {operator}").format(
                    tube=b.barcode, when=when(b.at), operator=b.operator
                )
                self._refuse(line, self.scanned[line], why)
        tube.members = tube.members[: tube.stored] + [(line, pk) for line, pk in fresh if pk in result.won]
        if result.new_id is not None:
            tube.tube_id = result.new_id
            self.tube_id[tube.code] = result.new_id
            self.barcode_of_tube[result.new_id] = tube.code
            self.accepted += 1  # the tube scan
        if tube.tube_id is None:
            if tube.closed and fresh:
                self.notes.append(
                    _("tube {tube} (line {line}) not recorded: all its residents were bound elsewhere").format(
                        tube=redact(tube.code), line=tube.line
                    )
                )
            return
        for pk in result.won:
            self.tube_of_resident[pk] = tube.tube_id
        tube.stored = len(tube.members)
        self.accepted += len(result.won)

    def _settle_collections(self, won: set[int], records: dict[int, ScanRecord]) -> None:
        for line, c in self.new_collections:
            r = records.get(self.tube_id[c])
            if r is not None:
                self._refuse(
                    line,
                    c,
                    _("tube scanned twice: already collected at {when} by {operator}").format(
                        when=when(r.at), operator=r.operator
                    ),
                )
        self.accepted += len(won)


@attrs.frozen
class _TubeWrite:
    """What one flush did to a field tube (applied to the session after the commit)."""

    tube: _FieldTube
    new_id: int | None = None  # the tube was stored now, with this id
    won: set[int] = attrs.Factory(set)  # residents bound now
    bound_elsewhere: dict[int, Binding] = attrs.Factory(dict)  # residents another tube had first
    taken_by: tuple[int, datetime, str] | None = None  # the barcode was already used


def mark_collected(store: Store, campaign: str, *, operator: str, barcodes: Iterable[str] | None = None) -> int:
    """Record tubes of a manifest campaign as collected (all of them by default):
    what a team's tube scans do, in one step (the demo's simulated collection)."""
    with store.begin() as conn:
        info = campaign_by_name(conn, name=campaign)
        if info.field_binding:
            raise PoolabError(_("field-binding campaigns record collection by scanning: poolab collect"))
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
        return len(insert_collections(conn, tube_ids=ids, at=now(), event_id=event_id))
