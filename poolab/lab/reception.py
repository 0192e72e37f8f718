"""Lab reception: tube barcodes scanned in as the tubes arrive, one per line."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from poolab.barcodes import barcode_problems, normalise_scan
from poolab.errors import Problem
from poolab.field.scans import Scan, ScanReport, StreamItem, run_stream
from poolab.i18n import _
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import CampaignInfo, campaign_by_name
from poolab.store.engine import Store
from poolab.store.events import now, record_event, set_event_detail, stream_id
from poolab.store.tubes import ReceiptState, TubeState, insert_receipts, receipt_records, receipt_states
from poolab.when import when


@pauses_gc
def receive(
    store: Store,
    campaign: str,
    scans: Iterable[StreamItem],
    *,
    source: str,
    operator: str,
    flush_every: int = 500,
) -> ScanReport:
    """Reception scans, one barcode per line. Every good scan is kept: committed every
    ``flush_every`` scans, every second while scans flow, and whenever the input pauses.
    Every bad one (wrong check character, unknown tube, tube of another campaign,
    scanned twice, here or at another station) is reported with its line."""
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    batch: list[tuple[int, str]] = []
    accepted = 0
    stream = stream_id()

    def take(scan: Scan) -> None:
        code = normalise_scan(scan.text)
        if code in first_line:
            why = _("tube scanned twice (first at line {line})").format(line=first_line[code])
            problems.append(Problem(source, scan.line, code, why))
        else:
            first_line[code] = scan.line
            batch.append((scan.line, code))

    def flush() -> None:
        nonlocal accepted
        # check characters of the whole batch at once (numpy), before the store is asked
        whys = barcode_problems([c for _, c in batch], pre_printed=info.field_binding)
        checked = list(zip(batch, whys, strict=True))
        problems.extend(Problem(source, line, code, why) for (line, code), why in checked if why is not None)
        batch[:] = [item for item, why in checked if why is None]
        # a deadlock or a lost race with another station runs the batch again
        kept, refused = store.write(
            lambda conn: _store_receipts(conn, info, batch, source=source, operator=operator, stream=stream)
        )
        accepted += kept
        problems.extend(refused)
        batch.clear()

    outcome = run_stream(
        scans,
        take=take,
        refuse=problems.append,
        flush=flush,
        pending=lambda: len(batch),
        source=source,
        max_pending=flush_every,
    )
    problems.sort(key=lambda p: p.line)
    return ScanReport(
        accepted=accepted,
        problems=tuple(problems),
        fault=outcome.fault,
        unsaved_from=outcome.unsaved_from,
        interrupted=outcome.interrupted,
        lost=outcome.lost,
    )


def _store_receipts(
    conn: Connection,
    info: CampaignInfo,
    batch: list[tuple[int, str]],
    *,
    source: str,
    operator: str,
    stream: str | None = None,
) -> tuple[int, list[Problem]]:
    """Receive a batch of checked scans in the open transaction: how many were received,
    and the problems of the rest. A tube another station received first (before this
    batch was read, or a moment ago: the receipt's unique key decides) is reported with
    when and by whom."""
    states = receipt_states(conn, barcodes=[c for _, c in batch])
    refused: list[Problem] = []
    good: list[tuple[int, str, int]] = []
    taken: list[tuple[int, str, int]] = []
    for line, code in batch:
        state = states.get(code)
        why = tube_problem(info, state)
        if why is not None:
            refused.append(Problem(source, line, code, why))
        elif state is not None:
            (taken if state.received else good).append((line, code, state.id))
    won: set[int] = set()
    if good:
        event_id = record_event(
            conn,
            operator=operator,
            action="receive",
            campaign_id=info.id,
            detail={"source": source, "tubes": len(good), "stream": stream},
        )
        won = insert_receipts(conn, tube_ids=[t for _, _, t in good], at=now(), event_id=event_id)
        if len(won) < len(good):
            taken += [g for g in good if g[2] not in won]
            set_event_detail(conn, event_id=event_id, detail={"source": source, "tubes": len(won), "stream": stream})
    if taken:
        records = receipt_records(conn, tube_ids=[t for _, _, t in taken])
        for line, code, tid in taken:
            r = records[tid]
            why = _("tube scanned twice: already received at {when} by {operator}").format(
                when=when(r.at), operator=r.operator
            )
            refused.append(Problem(source, line, code, why))
    return len(won), refused


def tube_problem(info: CampaignInfo, state: ReceiptState | TubeState | None) -> str | None:
    """Why a scanned tube is not one of this campaign's (None when it is)."""
    if state is None:
        return _("unknown barcode: no such tube in the store")
    if state.campaign_id != info.id:
        return _("tube belongs to another campaign, not {campaign}").format(campaign=repr(info.name))
    return None
