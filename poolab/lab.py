"""The lab: reception scans and results (imported from a CSV or keyed in)."""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable
from typing import Any, NamedTuple

import attrs

from poolab.barcodes import barcode_problem, barcode_problems, normalise_scan
from poolab.csvio import parse_csv_bytes
from poolab.errors import InputRejected, PoolabError, Problem
from poolab.model import ResultImportSummary, ScanReport
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import CampaignInfo, campaign_by_name
from poolab.store.engine import Store
from poolab.store.events import now, record_event
from poolab.store.residents import find_import, record_import
from poolab.store.tubes import (
    NewResult,
    ReceiptState,
    TubeState,
    campaign_tube_index,
    insert_receipts,
    insert_results,
    receipt_states,
    tube_states,
)

CALLS = ("positive", "negative", "inconclusive", "invalid")
RESULT_COLUMNS = ("tube_barcode", "result")
RESULT_OPTIONAL = ("ct_orf1ab", "ct_n")
# Keys a technician presses in `results enter`.
KEYS = {"p": "positive", "n": "negative", "i": "inconclusive", "x": "invalid"}
# What instruments and people write instead of the four words (LIS exports, Chinese forms).
_SYNONYMS = {
    "pos": "positive",
    "neg": "negative",
    "inc": "inconclusive",
    "inv": "invalid",
    "failed": "invalid",
    "detected": "positive",
    "not detected": "negative",
    "undetermined": "inconclusive",
    "阳性": "positive",
    "阴性": "negative",
    "可疑": "inconclusive",
    "待复检": "inconclusive",
    "无效": "invalid",
}


@pauses_gc
def receive(
    store: Store,
    campaign: str,
    scans: Iterable[tuple[int, str]],
    *,
    source: str,
    operator: str,
    flush_every: int = 500,
) -> ScanReport:
    """Reception scans, one barcode per line. Every good scan is kept (written in
    batches of ``flush_every``); every bad one (wrong check character, unknown tube,
    tube of another campaign, scanned twice) is reported with its line."""
    with store.begin() as conn:
        info = campaign_by_name(conn, name=campaign)
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    batch: list[tuple[int, str]] = []
    accepted = 0

    def flush() -> None:
        nonlocal accepted
        if not batch:
            return
        with store.begin() as conn:
            states = receipt_states(conn, barcodes=[c for _, c in batch])
            good: list[int] = []
            for number, code in batch:
                state = states.get(code)
                why = _receipt_problem(info, code, state)
                if why is not None:
                    problems.append(Problem(source, number, code, why))
                elif state is not None:
                    good.append(state.id)
            if good:
                event_id = record_event(
                    conn,
                    operator=operator,
                    action="receive",
                    campaign_id=info.id,
                    detail={"source": source, "tubes": len(good)},
                )
                insert_receipts(conn, tube_ids=good, at=[now()] * len(good), event_id=event_id)
                accepted += len(good)
        batch.clear()

    for number, raw in scans:
        code = normalise_scan(raw)
        if not code:
            continue
        problem = barcode_problem(code, pre_printed=info.field_binding)
        if problem is not None:
            problems.append(Problem(source, number, code, problem))
            continue
        if code in first_line:
            problems.append(Problem(source, number, code, f"tube scanned twice (first at line {first_line[code]})"))
            continue
        first_line[code] = number
        batch.append((number, code))
        if len(batch) >= flush_every:
            flush()
    flush()
    problems.sort(key=lambda p: p.line)
    return ScanReport(accepted=accepted, problems=tuple(problems))


def _receipt_problem(info: CampaignInfo, code: str, state: ReceiptState | None) -> str | None:
    if state is None:
        return "unknown barcode: no such tube in the store"
    if state.campaign_id != info.id:
        return f"tube belongs to another campaign, not {info.name!r}"
    if state.received_at is not None:
        return f"tube scanned twice (received already at {state.received_at} UTC)"
    return None


class _Row(NamedTuple):
    """One parsed results line (a tuple: thousands per file, built cheaply)."""

    line: int
    code: str
    call: str
    ct1: float | None
    ct2: float | None


_CALL_OF = {**{c: c for c in CALLS}, **_SYNONYMS}


def _parse_call(value: str) -> str | None:
    v = value.strip().lower()
    v = _SYNONYMS.get(v, v)
    return v if v in CALLS else None


def _parse_ct(value: str) -> float | None | str:
    v = value.strip()
    if not v or v.lower() in ("na", "n/a", "-", "undetermined", "nd"):
        return None
    try:
        ct = float(v)
    except ValueError:
        return "not a number"
    if not (math.isfinite(ct) and 0.0 < ct <= 50.0):
        return "out of range (0 to 50 cycles)"
    return ct


@pauses_gc
def import_results(
    store: Store,
    campaign: str,
    path: str | os.PathLike[str],
    *,
    operator: str,
    amend: bool = False,
    reason: str | None = None,
) -> ResultImportSummary:
    """Import a results CSV (``tube_barcode,result[,ct_orf1ab,ct_n]``), all or nothing.

    Refused (nothing written, every problem listed): a bad or unknown barcode, a tube of
    another campaign or never received, an unknown call, a bad Ct, one tube with two
    different calls in the file, and a call that differs from the tube's current one
    (unless ``amend`` with a ``reason``, which appends a correction beside the old row).
    A tube whose current call is ``invalid`` takes a new call: that is its re-run.
    The same file imported again is a no-op."""
    if amend and not (reason and reason.strip()):
        raise PoolabError("--amend needs --reason: say why the result is corrected")
    source = os.fspath(path)
    with open(source, "rb") as f:
        data = f.read()  # read once: hashed for the already-imported check, then parsed
    sha = hashlib.sha256(data).hexdigest()
    table = parse_csv_bytes(data, source, RESULT_COLUMNS, RESULT_OPTIONAL)
    with store.begin() as conn:
        info = campaign_by_name(conn, name=campaign)
        scope = f"results:{info.id}"
        if find_import(conn, scope=scope, sha256=sha) is not None:
            return ResultImportSummary(source, len(table), 0, len(table), 0, already_imported=True)
        problems: list[Problem] = []
        rows = _parse_rows(table, source, info, problems)
        index = campaign_tube_index(conn, campaign_id=info.id)
        id_of, received, current = index.id_of, index.received, index.current
        elsewhere = tube_states(conn, barcodes=[r.code for r in rows if r.code not in id_of])
        new: list[NewResult | tuple[Any, ...]] = []
        unchanged = amended = 0
        base = os.path.basename(source)
        for r in rows:
            tid = id_of.get(r.code)
            if tid is None:
                why = "unknown barcode: no such tube in the store"
                if r.code in elsewhere:
                    why = f"tube belongs to another campaign, not {info.name!r}"
                problems.append(Problem(source, r.line, r.code, why))
                continue
            if tid not in received:
                problems.append(
                    Problem(
                        source, r.line, r.code, "result for a tube never received (scan it in first: poolab receive)"
                    )
                )
                continue
            now_result = current.get(tid)
            if now_result is None:  # the common case: a tube's first result (a plain tuple in
                # NewResult's field order: thousands per file)
                new.append((tid, r.call, r.ct1, r.ct2, f"{base}:{r.line}", None, None))
                continue
            verdict = _verdict(now_result[1], (now_result[2], now_result[3]), r, amend)
            if verdict == "same":
                unchanged += 1
            elif verdict == "new":
                new.append(NewResult(tid, r.call, r.ct1, r.ct2, f"{base}:{r.line}"))
            elif verdict == "amend":
                amended += 1
                new.append(
                    NewResult(tid, r.call, r.ct1, r.ct2, f"{base}:{r.line}", supersedes_id=now_result[0], reason=reason)
                )
            else:
                problems.append(Problem(source, r.line, r.code, verdict))
        if problems:
            problems.sort(key=lambda p: p.line)
            raise InputRejected(f"{source}: {len(problems)} problem(s); no result was recorded", problems)
        event_id = record_event(
            conn,
            operator=operator,
            action="results.amend" if amended else "results.import",
            campaign_id=info.id,
            detail={"source": source, "sha256": sha, "rows": len(rows), "recorded": len(new), "reason": reason},
        )
        insert_results(conn, results=new, event_id=event_id, at=now())
        record_import(conn, scope=scope, sha256=sha, event_id=event_id)
    ignored = tuple(table.ignored_columns((*RESULT_COLUMNS, *RESULT_OPTIONAL)))
    return ResultImportSummary(source, len(rows), len(new) - amended, unchanged, amended, ignored_columns=ignored)


def _parse_rows(table, source: str, info: CampaignInfo, problems: list[Problem]) -> list[_Row]:  # type: ignore[no-untyped-def]
    seen: dict[str, _Row] = {}  # first row per tube, in file order
    codes, calls = table.column("tube_barcode"), table.column("result")
    ct1s, ct2s = table.column("ct_orf1ab"), table.column("ct_n")
    normalised = [c.strip().upper() for c in codes]  # normalise_scan, inlined: a file's worth
    whys = barcode_problems(normalised, pre_printed=info.field_binding)
    parsed_calls = [_CALL_OF.get(c.strip().lower()) for c in calls]
    for line, raw_code, code, why, raw_call, call, raw1, raw2 in zip(
        table.lines, codes, normalised, whys, calls, parsed_calls, ct1s, ct2s, strict=True
    ):
        if why is not None:
            problems.append(Problem(source, line, raw_code, why))
            continue
        if call is None:
            problems.append(Problem(source, line, raw_call, f"result must be one of {', '.join(CALLS)}"))
            continue
        if not raw1 and not raw2:  # negatives carry no Ct: the common case, no parsing
            row = _Row(line, code, call, None, None)
        else:
            cts: list[float | None] = []
            for name, raw in (("ct_orf1ab", raw1), ("ct_n", raw2)):
                ct = _parse_ct(raw)
                if isinstance(ct, str):
                    problems.append(Problem(source, line, raw, f"{name} {ct}"))
                else:
                    cts.append(ct)
            if len(cts) < 2:
                continue
            row = _Row(line, code, call, cts[0], cts[1])
        earlier = seen.get(code)
        if earlier is not None:
            if (earlier.call, earlier.ct1, earlier.ct2) != (row.call, row.ct1, row.ct2):
                problems.append(
                    Problem(
                        source,
                        line,
                        code,
                        f"two different results for one tube (line {earlier.line} says {earlier.call})",
                    )
                )
            continue
        seen[code] = row
    return list(seen.values())


def _against_current(state: TubeState, row: _Row, amend: bool) -> str:
    """'new', 'same', 'amend', or the reason the row is refused."""
    return _verdict(state.current_call, state.current_ct, row, amend)


def _verdict(current_call: str | None, current_ct: tuple[float | None, float | None], row: _Row, amend: bool) -> str:
    """'new', 'same', 'amend', or the reason the row is refused, given the tube's current call."""
    if current_call is None or current_call == "invalid":
        if current_call == "invalid" and amend:
            return "amend"
        return "new"
    if current_call == row.call and current_ct == (row.ct1, row.ct2):
        return "same"
    if amend:
        return "amend"
    return (
        f"two different results for one tube: it is {current_call} already, the file says "
        f"{row.call}; to correct it, import with --amend --reason TEXT"
    )


@attrs.frozen(slots=True)
class EntryOutcome:
    """What one keyed result did, for immediate feedback."""

    barcode: str
    call: str
    recorded: bool
    message: str


def tube_for_entry(store: Store, campaign: str, raw: str) -> TubeState:
    """Check a scanned tube before asking for its result; raises with the reason."""
    code = normalise_scan(raw)
    with store.begin() as conn:
        info = campaign_by_name(conn, name=campaign)
        why = barcode_problem(code, pre_printed=info.field_binding)
        if why is not None:
            raise PoolabError(f"{code!r}: {why}")
        state = tube_states(conn, barcodes=[code]).get(code)
    if state is None:
        raise PoolabError(f"{code!r}: unknown barcode: no such tube in the store")
    if state.campaign_id != info.id:
        raise PoolabError(f"{code!r}: tube belongs to another campaign, not {campaign!r}")
    if state.received_at is None:
        raise PoolabError(f"{code!r}: result for a tube never received (scan it in first: poolab receive)")
    return state


def enter_result(
    store: Store,
    campaign: str,
    raw_barcode: str,
    key: str,
    *,
    operator: str,
    ct_orf1ab: float | None = None,
    ct_n: float | None = None,
    amend: bool = False,
    reason: str | None = None,
) -> EntryOutcome:
    """Record one keyed result (p/n/i/x or the word). A wrong key or an unknown tube
    records nothing and raises ``PoolabError`` saying why."""
    call = KEYS.get(key.strip().lower()) or _parse_call(key)
    if call is None:
        raise PoolabError(f"key {key!r} is not a result: p positive, n negative, i inconclusive, x invalid")
    if amend and not (reason and reason.strip()):
        raise PoolabError("--amend needs --reason: say why the result is corrected")
    state = tube_for_entry(store, campaign, raw_barcode)
    row = _Row(0, state.barcode, call, ct_orf1ab, ct_n)
    verdict = _against_current(state, row, amend)
    if verdict == "same":
        return EntryOutcome(state.barcode, call, False, f"{state.barcode}: {call} already recorded")
    if verdict not in ("new", "amend"):
        raise PoolabError(f"{state.barcode}: {verdict}")
    with store.begin() as conn:
        event_id = record_event(
            conn,
            operator=operator,
            action="results.amend" if verdict == "amend" else "results.enter",
            campaign_id=state.campaign_id,
            detail={"tube": state.barcode, "call": call, "reason": reason},
        )
        insert_results(
            conn,
            results=[
                NewResult(
                    state.id,
                    call,
                    ct_orf1ab,
                    ct_n,
                    "keyboard",
                    supersedes_id=state.current_result_id if verdict == "amend" else None,
                    reason=reason if verdict == "amend" else None,
                )
            ],
            event_id=event_id,
            at=now(),
        )
    verb = "corrected to" if verdict == "amend" else "recorded"
    return EntryOutcome(state.barcode, call, True, f"{state.barcode}: {verb} {call}")
