"""``results import``: a results CSV as before, or an instrument export as it comes off
the machine, matched to its plate map, called by the kit, its controls checked, and
recorded through ``poolab.lab.results.record_calls`` like every other call."""

from __future__ import annotations

import hashlib
import os

import attrs
from sqlalchemy import Connection

from poolab.barcodes import normalise_scan
from poolab.errors import InputRejected, PoolabError, Problem
from poolab.files.whole import read_whole
from poolab.i18n import _
from poolab.lab.bench.kit import Kit, load_kit
from poolab.lab.bench.plate_calls import PlateCalls, WellCall, call_plate
from poolab.lab.instruments.detect import read_export
from poolab.lab.instruments.long import parse_column_map
from poolab.lab.instruments.model import Export
from poolab.lab.results import CallRow, ResultImportSummary, already_imported, import_results, record_calls
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import campaign_by_name
from poolab.store.engine import Store
from poolab.store.events import now
from poolab.store.imports import find_import
from poolab.store.plates import insert_plate_run, latest_placements, plate_wells, plates_by_barcode, results_of_plate
from poolab.store.tubes import campaign_tube_index


@attrs.frozen(slots=True)
class BenchImportSummary:
    """What ``results import`` did: the results summary, the file's format, and for an
    instrument export its plate, kit, calls by kind and failed controls."""

    results: ResultImportSummary
    format: str
    plate: str | None = None
    kit: str | None = None
    calls: tuple[tuple[str, int], ...] = ()
    control_failures: tuple[str, ...] = ()
    instrument_voided: tuple[str, ...] = ()
    """Wells the instrument omitted or flagged ("B3 omitted on the instrument")."""
    sheet: str = ""


def _detail_wells(calls: PlateCalls, kit: Kit) -> dict[str, dict[str, object]]:
    """Per well: tube, each target's Ct and the internal control's, and the call (kept in
    the import's event: a tube's history shows them)."""
    t1, t2 = kit.targets

    def one(c: WellCall) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": c.kind,
            "tube": c.tube_barcode,
            t1: c.cts[0],
            t2: c.cts[1],
            kit.internal_control: c.cts[2],
            "call": c.call,
        }
        if c.note:
            out["instrument"] = c.note  # what the rerun list and a tube's log say
        return out

    return {c.well: one(c) for c in (*calls.samples, *calls.controls)}


def _targets_refusal(source: str, calls: PlateCalls, kit: Kit, where: str) -> InputRejected:
    """The file's targets are not the kit's: said once, first, then each row's line."""
    theirs = ", ".join(calls.file_targets)
    t1, t2 = kit.targets
    return InputRejected(
        _(
            "{source}: the file's targets are {theirs}; the kit {kit} expects {t1}, {t2} and the "
            "internal control {control} (choose the kit with --kit, or name these targets in its "
            "[aliases]); nothing was recorded"
        ).format(source=f"{source}{where}", theirs=theirs, kit=kit.name, t1=t1, t2=t2, control=kit.internal_control),
        list(calls.problems),
    )


def _voided(calls: PlateCalls) -> tuple[str, ...]:
    """Every well the instrument omitted or flagged, with why ("C5 flagged by the
    instrument: EXPFAIL on N"): the import's line lists them, its event keeps them."""
    return tuple(f"{c.well} {c.note}" for c in (*calls.samples, *calls.controls) if c.note)


def _read_file(source: str, fmt: str, columns: str | None, encoding: str | None) -> tuple[str, Export | None, str]:
    """The file's format, its export (None for a results CSV) and the export's content
    hash. The bytes are not kept: a results CSV (a city's is tens of megabytes) is read
    again, a block at a time, by ``import_results``."""
    data = read_whole(source)
    columns_map = parse_column_map(columns) if columns else None
    found, export = read_export(data, source, fmt, columns=columns_map, encoding=encoding)
    return found, export, hashlib.sha256(data).hexdigest() if export is not None else ""


@pauses_gc
def import_file(
    store: Store,
    campaign: str,
    path: str | os.PathLike[str],
    *,
    operator: str,
    fmt: str = "auto",
    plate: str | None = None,
    kit: str | None = None,
    columns: str | None = None,
    amend: bool = False,
    reason: str | None = None,
    encoding: str | None = None,
) -> BenchImportSummary:
    """Import a results CSV or an instrument export (``fmt``: auto, csv, results, long,
    quantstudio, designandanalysis, cfx; a workbook is told by its content), all or
    nothing. An export's plate is ``plate`` or the barcode the
    file carries; its wells are matched to that plate's map and called by ``kit`` (a
    shipped kit's name or a TOML file; the defaults in docs/lab-bench.md without). A failed control
    makes every sample of the plate ``invalid`` (the rerun list says which control, with
    its Cts). The same file imported twice is a no-op; a different call for a resulted
    tube follows the amend rule."""
    if amend and not (reason and reason.strip()):
        raise PoolabError(_("--amend needs --reason: say why the result is corrected"))
    source = os.fspath(path)
    found, export, sha = _read_file(source, fmt, columns, encoding)
    if export is None:
        if plate or kit:
            raise PoolabError(
                _(
                    "{source}: a results CSV (tube_barcode,result) has no wells: "
                    "--plate and --kit are for instrument exports"
                ).format(source=source)
            )
        s = import_results(store, campaign, source, operator=operator, amend=amend, reason=reason, encoding=encoding)
        return BenchImportSummary(results=s, format=found)
    rules = load_kit(kit)
    given = normalise_scan(plate) if plate else None
    if given and export.plate and given != export.plate:
        raise PoolabError(
            _("{source}: the export names plate {plate}, --plate says {given}: is it the right file?").format(
                source=source, plate=export.plate, given=given
            )
        )
    code = given or export.plate
    if not code:
        raise PoolabError(
            _("{source}: the export does not name its plate (no Experiment Barcode): give --plate BARCODE").format(
                source=source
            )
        )
    in_sheet = _(" (sheet {sheet}; line numbers are its rows)").format(sheet=export.sheet) if export.sheet else ""

    def work(conn: Connection) -> BenchImportSummary:
        info = campaign_by_name(conn, name=campaign)
        if already_imported(conn, info, sha):
            n = len(export.readings)
            return BenchImportSummary(
                ResultImportSummary(source, n, 0, n, 0, already_imported=True), found, code, rules.describe()
            )
        record = plates_by_barcode(conn, barcodes=[code]).get(code)
        if record is None or record.campaign_id != info.id:
            refusal = (
                _("{source}: no plate {plate} in campaign {name}; nothing was recorded")
                if record is None
                else _("{source}: no plate {plate} in campaign {name} (it is another campaign's); nothing was recorded")
            )
            raise InputRejected(
                refusal.format(source=source, plate=code, name=repr(info.name)),
                [
                    Problem(
                        source,
                        0,
                        code,
                        _("an export for a plate that does not exist (make it with poolab plate new or plate import)"),
                    )
                ],
            )
        wells = plate_wells(conn, plate_id=record.id)
        known: frozenset[str] | set[str] = frozenset()
        if info.field_binding:  # makers' codes: any of the campaign's tubes may be named
            known = set(campaign_tube_index(conn, campaign_id=info.id).id_of)
        calls = call_plate(export, wells, rules, record.size, known_tubes=known)
        if calls.unknown_targets:
            raise _targets_refusal(source, calls, rules, in_sheet)
        problems = list(calls.problems)
        tube_ids = [w.tube_id for w in wells if w.tube_id is not None]
        placed = latest_placements(conn, campaign_id=info.id, tube_ids=tube_ids)
        moved = {tid: p for tid, p in placed.items() if p.plate_id != record.id}
        for w in wells:
            if w.tube_id in moved:
                p = moved[w.tube_id]
                problems.append(
                    Problem(
                        source,
                        0,
                        w.tube_barcode,
                        _("well {well}: the tube has moved to plate {plate} (well {new_well}) since").format(
                            well=w.well, plate=p.plate_barcode, new_well=p.well
                        ),
                    )
                )
        rows = [CallRow(c.line, c.tube_barcode, c.call, c.cts[0], c.cts[1], c.note) for c in calls.samples]
        status = "failed_control" if calls.failures else "resulted"
        message = "; ".join(calls.failures)
        # a tube made invalid by an earlier export of this plate is not re-run by this one
        same_run = results_of_plate(conn, plate_id=record.id, tube_ids=tube_ids)
        voided = _voided(calls)
        summary = record_calls(
            conn,
            info,
            rows,
            source=source,
            sha256=sha,
            operator=operator,
            amend=amend,
            reason=reason,
            problems=problems,
            detail={
                "plate": code,
                "format": found,
                "instrument": export.instrument,
                "kit": rules.describe(),
                "controls": message or "passed",
                **({"sheet": export.sheet} if export.sheet else {}),
                **({"flagged": "; ".join(voided)} if voided else {}),
                "wells": _detail_wells(calls, rules),
            },
            same_run=same_run,
        )
        event_id = find_import(conn, scope=f"results:{info.id}", sha256=sha)
        assert event_id is not None  # record_calls recorded it
        insert_plate_run(
            conn, plate_id=record.id, event_id=event_id, status=status, kit=rules.describe(), message=message, at=now()
        )
        counts: dict[str, int] = {}
        for c in calls.samples:
            counts[c.call] = counts.get(c.call, 0) + 1
        return BenchImportSummary(
            summary, found, code, rules.describe(), tuple(sorted(counts.items())), calls.failures, voided, export.sheet
        )

    try:
        return store.write(work)
    except InputRejected as exc:
        for colon in (": ", "："):  # the English and the Chinese summary's colon
            if in_sheet and exc.summary.startswith(source + colon):  # say which sheet the lines are rows of
                exc.summary = f"{source}{in_sheet}{colon}{exc.summary.removeprefix(source + colon)}"
                break
        raise
