"""Plates: laid out by poolab (``new_plates``) or imported from a rack scanner or the
lab's own system (``import_plate_map``), listed (``list_plates``).

A tube waits for a plate when it was received and has no call yet, or its call is
``invalid`` (its run failed) and the plate it was on has run: then it goes onto a later
plate, and its history keeps both. A tube on a plate that has not run is on no other.
"""

from __future__ import annotations

import hashlib
import math
import os

import attrs
from sqlalchemy import Connection

from poolab.barcodes import (
    PLATE_PREFIX,
    barcode_problems,
    check_character,
    has_valid_check,
    normalise_codes,
    normalise_scan,
)
from poolab.calls import call_word
from poolab.errors import InputRejected, PoolabError, Problem
from poolab.files.csvio import Output, output_name, parse_csv_bytes, write_csv
from poolab.files.whole import read_whole
from poolab.i18n import _
from poolab.lab.bench.wells import (
    SHAPES,
    WELL_KINDS,
    all_wells,
    canonical_well,
    control_wells,
    sample_wells,
    well_problem,
)
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import CampaignInfo, campaign_by_name, issue_tube_barcodes
from poolab.store.engine import Store
from poolab.store.events import record_event
from poolab.store.imports import find_import, record_import
from poolab.store.plates import (
    Placement,
    PlateOverview,
    campaign_map_rows,
    campaign_plates,
    insert_plate,
    insert_wells,
    latest_placements,
    next_serial,
    plates_by_barcode,
    received_tubes,
)
from poolab.store.tubes import campaign_tube_index

PLATE_MAP_COLUMNS = ("plate_barcode", "well", "kind", "tube_barcode")


@attrs.frozen(slots=True)
class PlateSummary:
    """Plates made or imported: their barcodes, how many sample wells, how many of those
    are re-runs (a tube's second or later plate)."""

    path: str
    plates: tuple[str, ...]
    samples: int
    reruns: int = 0
    already_imported: bool = False


def waits_for_plate(call: str | None, placement: Placement | None) -> bool:
    """Whether a received tube goes onto a new plate: it is on no plate that has yet to
    run, and has no result or an invalid one (``waiting_problem`` says why not)."""
    return (placement is None or placement.plate_has_run) and (call is None or call == "invalid")


def waiting_problem(call: str | None, placement: Placement | None) -> str | None:
    """Why a received tube cannot go onto a new plate (None when it can)."""
    if waits_for_plate(call, placement):
        return None
    if placement is not None and not placement.plate_has_run:
        return _("tube is on plate {plate} already (well {well}), which has not run yet").format(
            plate=placement.plate_barcode, well=placement.well
        )
    if call is not None and call != "invalid":
        return _(
            "tube has a result already ({call}); only a tube whose run failed (invalid) goes onto another plate"
        ).format(call=call_word(call))
    return None


def _waiting(conn: Connection, info: CampaignInfo) -> list[tuple[int, str, int]]:
    """(tube id, barcode, run number) of the tubes waiting for a plate, reception order."""
    placed = latest_placements(conn, campaign_id=info.id)
    out = []
    for tid, code, call in received_tubes(conn, campaign_id=info.id):
        p = placed.get(tid)
        if waits_for_plate(call, p):  # a district's resulted tubes: no message made for each
            out.append((tid, code, (p.run if p else 0) + 1))
    return out


@pauses_gc
def new_plates(store: Store, campaign: str, output: Output, *, size: int = 96, operator: str) -> PlateSummary:
    """Lay the campaign's tubes that wait for a plate onto new plates in reception order
    (column by column, controls in the last two wells), and write the plate map CSV
    (``PLATE_MAP_COLUMNS``) whole or not at all."""
    if size not in SHAPES:
        raise PoolabError(_("--size {size}: plates have 96 or 384 wells").format(size=size))
    samples = sample_wells(size)
    controls = control_wells(size)

    def work(conn: Connection) -> tuple[list[tuple[str, str, str, str]], list[str], int, int]:
        info = campaign_by_name(conn, name=campaign)
        waiting = _waiting(conn, info)
        if not waiting:
            raise PoolabError(
                _(
                    "campaign {name} has no received tubes waiting for a plate "
                    "(each is on a plate already, or resulted; scan tubes in with poolab receive)"
                ).format(name=repr(info.name))
            )
        count = math.ceil(len(waiting) / len(samples))
        event_id = record_event(
            conn, operator=operator, action="plate.new", campaign_id=info.id, detail={"plates": count, "size": size}
        )
        codes = issue_tube_barcodes(conn, prefix=PLATE_PREFIX, count=count)
        rows: list[tuple[str, str, str, str]] = []
        wells: list[tuple[object, ...]] = []
        for i, code in enumerate(codes):
            pid = insert_plate(conn, barcode=code, campaign_id=info.id, size=size, event_id=event_id)
            taken = dict(zip(samples, waiting[i * len(samples) : (i + 1) * len(samples)], strict=False))
            for well in all_wells(size):
                tube = taken.get(well)
                kind = controls.get(well) or ("sample" if tube else "empty")
                rows.append((code, well, kind, tube[1] if tube else ""))
                wells.append((pid, well, kind, tube[0] if tube else None, tube[2] if tube else None, event_id))
        insert_wells(conn, rows=wells)
        return rows, codes, len(waiting), sum(1 for w in waiting if w[2] > 1)

    rows, codes, n, reruns = store.write(work)
    write_csv(output, PLATE_MAP_COLUMNS, rows, private=False)  # tubes and wells: no one named
    return PlateSummary(path=output_name(output), plates=tuple(codes), samples=n, reruns=reruns)


def write_plate_maps(store: Store, campaign: str, output: Output, *, plate: str | None = None) -> int:
    """The plate maps of the campaign's plates (or of one) as a CSV again; returns rows."""
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        rows = campaign_map_rows(conn, campaign_id=info.id)
    if plate is not None:
        code = normalise_scan(plate)
        rows = [r for r in rows if r[0] == code]
        if not rows:
            raise PoolabError(_("campaign {name} has no plate {plate}").format(name=repr(info.name), plate=code))
    return write_csv(output, PLATE_MAP_COLUMNS, rows, private=False)


def _ours(code: str) -> bool:
    return len(code) == 11 and code[0] == PLATE_PREFIX and code[1:10].isdigit()


def plate_barcode_problem(code: str) -> str | None:
    """Why ``code`` cannot be a plate barcode: empty, or one of ours (L + 9 digits + check)
    with a wrong check character. A lab's own plate codes (letters, digits, - _ .) pass."""
    if not code:
        return _("empty plate barcode")
    if _ours(code):
        return (
            None
            if has_valid_check(code)
            else _("wrong check character (expected {character} at the end)").format(
                character=repr(check_character(code[:-1]))
            )
        )
    if not all(c.isalnum() or c in "-_." for c in code) or len(code) > 40:
        return _("not a plate barcode (letters, digits and - _ . only, at most 40)")
    return None


@attrs.frozen(slots=True)
class _MapRow:
    line: int
    plate: str
    well: str
    kind: str
    tube: str


def _parse_map(data: bytes, source: str, size: int, pre_printed: bool) -> tuple[list[_MapRow], list[Problem]]:
    table = parse_csv_bytes(data, source, PLATE_MAP_COLUMNS)
    problems: list[Problem] = []
    plates = normalise_codes(table.column("plate_barcode"))
    tubes = normalise_codes(table.column("tube_barcode"))
    tube_whys = barcode_problems(tubes, pre_printed=pre_printed)
    rows: list[_MapRow] = []
    seen_well: dict[tuple[str, str], int] = {}
    seen_tube: dict[str, int] = {}
    for line, plate, raw_well, raw_kind, tube, tube_why in zip(
        table.lines, plates, table.column("well"), table.column("kind"), tubes, tube_whys, strict=True
    ):
        why = plate_barcode_problem(plate)
        if why:
            problems.append(Problem(source, line, plate, why))
            continue
        well = canonical_well(raw_well, size)
        if well is None:
            problems.append(Problem(source, line, raw_well, well_problem(raw_well, size)))
            continue
        kind = raw_kind.strip().lower()
        if kind not in WELL_KINDS:
            why = _("kind must be one of {kinds}").format(kinds=", ".join(WELL_KINDS))
            problems.append(Problem(source, line, raw_kind, why))
            continue
        if kind == "sample" and tube_why is not None:
            problems.append(
                Problem(source, line, tube, tube_why if tube else _("a sample well needs its tube_barcode"))
            )
            continue
        if kind != "sample" and tube:
            why = _("a {kind} well holds no tube (tube_barcode must be empty)").format(kind=kind)
            problems.append(Problem(source, line, tube, why))
            continue
        if (plate, well) in seen_well:
            why = _("well {well} of plate {plate} twice (first at line {line})").format(
                well=well, plate=plate, line=seen_well[plate, well]
            )
            problems.append(Problem(source, line, well, why))
            continue
        seen_well[plate, well] = line
        if tube:
            if tube in seen_tube:
                why = _("tube named twice in the plate map (first at line {line})").format(line=seen_tube[tube])
                problems.append(Problem(source, line, tube, why))
                continue
            seen_tube[tube] = line
        rows.append(_MapRow(line, plate, well, kind, tube))
    for plate in dict.fromkeys(r.plate for r in rows):
        kinds = {r.kind for r in rows if r.plate == plate}
        first = next(r.line for r in rows if r.plate == plate)
        for control in ("positive_control", "negative_control"):
            if control not in kinds:
                problems.append(
                    Problem(
                        source,
                        first,
                        plate,
                        _("plate has no positive control well: every plate runs with both controls")
                        if control == "positive_control"
                        else _("plate has no negative control well: every plate runs with both controls"),
                    )
                )
    return rows, problems


@pauses_gc
def import_plate_map(
    store: Store, campaign: str, path: str | os.PathLike[str], *, size: int = 96, operator: str
) -> PlateSummary:
    """A plate map made elsewhere (``PLATE_MAP_COLUMNS``), all or nothing: every barcode
    and well valid, each tube of this campaign, received, waiting for a plate (on no
    plate that has not run) and named once; each plate new and with both controls.
    The same file imported again is a no-op."""
    if size not in SHAPES:
        raise PoolabError(_("--size {size}: plates have 96 or 384 wells").format(size=size))
    source = os.fspath(path)
    data = read_whole(source)
    sha = hashlib.sha256(data).hexdigest()

    def work(conn: Connection) -> PlateSummary:
        info = campaign_by_name(conn, name=campaign)
        scope = f"platemap:{info.id}"
        rows, problems = _parse_map(data, source, size, info.field_binding)
        codes = tuple(dict.fromkeys(r.plate for r in rows))
        if find_import(conn, scope=scope, sha256=sha) is not None:
            return PlateSummary(source, codes, sum(r.kind == "sample" for r in rows), already_imported=True)
        for code in plates_by_barcode(conn, barcodes=list(codes)):
            line = next(r.line for r in rows if r.plate == code)
            problems.append(Problem(source, line, code, _("plate exists already (a plate map is imported once)")))
        limit = next_serial(conn, prefix=PLATE_PREFIX)
        for code in codes:  # one of our codes that this store never issued would collide with a later one
            if _ours(code) and int(code[1:10]) >= limit:
                line = next(r.line for r in rows if r.plate == code)
                problems.append(
                    Problem(source, line, code, _("plate barcode in poolab's form that this store never issued"))
                )
        index = campaign_tube_index(conn, campaign_id=info.id)
        placed = latest_placements(conn, campaign_id=info.id)
        tube_rows = [r for r in rows if r.tube]
        runs: dict[str, tuple[int, int]] = {}
        for r in tube_rows:
            tid = index.id_of.get(r.tube)
            if tid is None:
                unknown = _("no tube with this barcode in campaign {name}").format(name=repr(info.name))
                problems.append(Problem(source, r.line, r.tube, unknown))
            elif tid not in index.received:
                problems.append(
                    Problem(source, r.line, r.tube, _("tube never received (scan it in first: poolab receive)"))
                )
            else:
                current = index.current.get(tid)
                why = waiting_problem(current[1] if current else None, placed.get(tid))
                if why:
                    problems.append(Problem(source, r.line, r.tube, why))
                else:
                    p = placed.get(tid)
                    runs[r.tube] = (tid, (p.run if p else 0) + 1)
        if problems:
            problems.sort(key=lambda p: p.line)
            raise InputRejected(
                _("{source}: {count} problem(s); no plate was recorded").format(source=source, count=len(problems)),
                problems,
            )
        event_id = record_event(
            conn,
            operator=operator,
            action="plate.import",
            campaign_id=info.id,
            detail={"source": source, "sha256": sha, "plates": list(codes), "size": size},
        )
        ids = {
            code: insert_plate(conn, barcode=code, campaign_id=info.id, size=size, event_id=event_id) for code in codes
        }
        wells = [
            (
                ids[r.plate],
                r.well,
                r.kind,
                runs[r.tube][0] if r.tube else None,
                runs[r.tube][1] if r.tube else None,
                event_id,
            )
            for r in rows
        ]
        insert_wells(conn, rows=wells)
        record_import(conn, scope=scope, sha256=sha, event_id=event_id)
        return PlateSummary(source, codes, len(tube_rows), reruns=sum(1 for t in runs.values() if t[1] > 1))

    return store.write(work)


def list_plates(store: Store, campaign: str) -> tuple[PlateOverview, ...]:
    """The campaign's plates and where each stands (``PlateOverview.state``)."""
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        return tuple(campaign_plates(conn, campaign_id=info.id))


def plate_state(plate: PlateOverview) -> str:
    """mapped (no export yet), resulted, or failed control, in the reader's language."""
    if plate.status is None:
        return _("mapped")
    return _("failed control") if plate.status == "failed_control" else _("resulted")
