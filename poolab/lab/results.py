"""Results: a results CSV imported, or calls keyed in at the bench; every path records
through the same checks (``record_calls`` and ``judge``)."""

from __future__ import annotations

import enum
import hashlib
import os
from collections.abc import Container, Sequence
from typing import Any, NamedTuple

import attrs
from sqlalchemy import Connection

from poolab.barcodes import barcode_problem, barcode_problems, normalise_codes, normalise_scan
from poolab.calls import CALL_OF, CALLS, KEYS, call_word, ct_problem, parse_call, parse_ct
from poolab.errors import InputRejected, PoolabError, Problem
from poolab.files.csvio import parse_csv_bytes
from poolab.files.whole import read_whole
from poolab.i18n import _
from poolab.lab.reception import tube_problem
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import CampaignInfo, campaign_by_name
from poolab.store.engine import Store
from poolab.store.events import now, record_event
from poolab.store.imports import find_import, record_import
from poolab.store.tubes import (
    NewResult,
    ResultRecord,
    TubeState,
    campaign_tube_index,
    insert_results,
    receipt_states,
    result_records,
    tube_states,
)
from poolab.when import when

RESULT_COLUMNS = ("tube_barcode", "result")
RESULT_OPTIONAL = ("ct_orf1ab", "ct_n")
_FEW_ROWS = 900  # up to this many rows, record_calls reads just their tubes (one IN list)


@attrs.frozen(slots=True)
class ResultImportSummary:
    """What `results import` did (``already_imported`` when the file was seen before)."""

    source: str
    rows: int
    recorded: int
    unchanged: int
    amended: int
    already_imported: bool = False
    ignored_columns: tuple[str, ...] = ()
    individual: int = 0  # rows for individual (retest) tubes: what comes next is `positives`


class CallRow(NamedTuple):
    """One call for one tube, from one line of a file (a tuple: thousands per file)."""

    line: int
    code: str
    call: str
    ct1: float | None
    ct2: float | None
    note: str = ""  # why the instrument voided the well, when it did (named in a refusal)


class Verdict(enum.Enum):
    """What a result line does to its tube, given the tube's current result."""

    NEW = "new"  # the tube's first result
    RERUN = "rerun"  # a new call after "invalid": the re-run of the tube
    SAME = "same"  # the call (and Cts) already recorded: nothing to do
    AMEND = "amend"  # a correction (--amend --reason)
    CONFLICT = "conflict"  # a different call without --amend: refused


class Current(NamedTuple):
    """A tube's current result, as the checks need it."""

    id: int
    call: str
    ct1: float | None
    ct2: float | None


def judge(current: Current | None, call: str, cts: tuple[float | None, float | None], amend: bool) -> Verdict:
    """The verdict for a new call (and Cts) on a tube whose current result is ``current``."""
    if current is None:
        return Verdict.NEW
    if current.call == "invalid":
        return Verdict.AMEND if amend else Verdict.RERUN
    if (current.call, current.ct1, current.ct2) == (call, *cts):
        return Verdict.SAME
    return Verdict.AMEND if amend else Verdict.CONFLICT


def _fmt_cts(c1: float | None, c2: float | None) -> str:
    return "/".join("-" if c is None else f"{c:g}" for c in (c1, c2))


def conflict_message(
    current: Current, record: ResultRecord | None, call: str, cts: tuple[float | None, float | None], *, said: str
) -> str:
    """Why a different result for a resulted tube is refused: what is recorded (when, by
    whom, from where) and what ``said`` (the file, the keyboard) says."""
    where = (
        _(" (recorded {when} by {operator} from {source})").format(
            when=when(record.at), operator=record.operator, source=record.source
        )
        if record
        else ""
    )
    if current.call == call:
        return _(
            "two different Ct values for one tube: it is {call} already with Ct {cts}{where}, {said} Ct {new_cts}"
        ).format(
            call=call_word(call),
            cts=_fmt_cts(current.ct1, current.ct2),
            where=where,
            said=said,
            new_cts=_fmt_cts(*cts),
        )
    return _("two different results for one tube: it is {call} already{where}, {said} {new_call}").format(
        call=call_word(current.call), where=where, said=said, new_call=call_word(call)
    )


@pauses_gc
def import_results(
    store: Store,
    campaign: str,
    path: str | os.PathLike[str],
    *,
    operator: str,
    amend: bool = False,
    reason: str | None = None,
    encoding: str | None = None,
) -> ResultImportSummary:
    """Import a results CSV (``tube_barcode,result[,ct_orf1ab,ct_n]``), all or nothing.

    Refused (nothing written, every problem listed): a bad or unknown barcode, a tube of
    another campaign or never received, an unknown call, a bad Ct, one tube with two
    different calls in the file, and a call that differs from the tube's current one
    (unless ``amend`` with a ``reason``, which appends a correction beside the old row).
    A tube whose current call is ``invalid`` takes a new call: that is its re-run.
    The same file imported again is a no-op. When another station records the same
    tubes at the same moment, the store's result chain lets one of the two win; the
    other import is checked again against what was recorded and refused or found
    unchanged, never recorded beside it."""
    if amend and not (reason and reason.strip()):
        raise PoolabError(_("--amend needs --reason: say why the result is corrected"))
    source = os.fspath(path)
    data = read_whole(source)  # read once: hashed for the already-imported check, then parsed
    sha = hashlib.sha256(data).hexdigest()
    table = parse_csv_bytes(data, source, RESULT_COLUMNS, RESULT_OPTIONAL, encoding)
    ignored = tuple(table.ignored_columns((*RESULT_COLUMNS, *RESULT_OPTIONAL)))

    def work(conn: Connection) -> ResultImportSummary:
        info = campaign_by_name(conn, name=campaign)
        if already_imported(conn, info, sha):
            return ResultImportSummary(source, len(table), 0, len(table), 0, already_imported=True)
        problems: list[Problem] = []
        rows = _parse_rows(table, source, info, problems)
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
        )
        return attrs.evolve(summary, ignored_columns=ignored)

    return store.write(work)


def _not_received() -> str:
    return _("result for a tube never received (scan it in first: poolab receive)")


def already_imported(conn: Connection, info: CampaignInfo, sha256: str) -> bool:
    """Whether a file with this content was imported into the campaign before."""
    return find_import(conn, scope=f"results:{info.id}", sha256=sha256) is not None


def record_calls(
    conn: Connection,
    info: CampaignInfo,
    rows: Sequence[CallRow],
    *,
    source: str,
    sha256: str,
    operator: str,
    amend: bool = False,
    reason: str | None = None,
    problems: list[Problem] | None = None,
    detail: dict[str, Any] | None = None,
    same_run: Container[int] = (),
) -> ResultImportSummary:
    """Record one file's calls in the open transaction, all or nothing: every row is
    checked against the campaign's tubes and their current results (``judge``), and any
    problem (with those already in ``problems``, e.g. from parsing) refuses the whole
    file with ``InputRejected``. The file's content hash makes a second import a no-op.
    ``detail`` adds to the event (the plate, the kit). ``same_run``: ids of current results
    that an earlier export of the same plate run recorded; an invalid one among them is
    not re-run by this file (a re-run is a new plate), so a re-export that lost the
    instrument's Omit or flags cannot clear the well: a different call needs --amend.
    Every way a call enters the store (a results CSV, an instrument export) goes through
    here."""
    problems = [] if problems is None else problems
    # a plate's or a small file's rows: only their tubes are read (a district's are not)
    few = [r.code for r in rows] if len(rows) <= _FEW_ROWS else None
    index = campaign_tube_index(conn, campaign_id=info.id, barcodes=few)
    id_of, received, current = index.id_of, index.received, index.current
    elsewhere = receipt_states(conn, barcodes=[r.code for r in rows if r.code not in id_of])
    new: list[NewResult | tuple[Any, ...]] = []
    conflicts: list[tuple[CallRow, Current]] = []
    unchanged = amended = 0
    base = os.path.basename(source)
    for r in rows:
        tid = id_of.get(r.code)
        if tid is None:
            why = tube_problem(info, elsewhere.get(r.code))
            problems.append(Problem(source, r.line, r.code, why or _("unknown barcode")))
            continue
        if tid not in received:
            problems.append(Problem(source, r.line, r.code, _not_received()))
            continue
        now_result = current.get(tid)
        if now_result is None:  # the common case: a tube's first result (a plain tuple in
            # NewResult's field order: thousands per file)
            new.append((tid, r.call, r.ct1, r.ct2, f"{base}:{r.line}", None, None))
            continue
        cur = Current(*now_result)
        verdict = judge(cur, r.call, (r.ct1, r.ct2), amend)
        if verdict is Verdict.RERUN and cur.id in same_run:
            same = (cur.call, cur.ct1, cur.ct2) == (r.call, r.ct1, r.ct2)
            verdict = Verdict.SAME if same else Verdict.CONFLICT
        if verdict is Verdict.SAME:
            unchanged += 1
        elif verdict is Verdict.CONFLICT:
            conflicts.append((r, cur))
        else:
            amended += verdict is Verdict.AMEND
            new.append(
                NewResult(
                    tid,
                    r.call,
                    r.ct1,
                    r.ct2,
                    f"{base}:{r.line}",
                    supersedes_id=cur.id,
                    reason=reason if verdict is Verdict.AMEND else None,
                )
            )
    if conflicts:
        records = result_records(conn, result_ids=[c.id for _, c in conflicts])
        for r, cur in conflicts:
            message = conflict_message(cur, records.get(cur.id), r.call, (r.ct1, r.ct2), said=_("the file says"))
            if r.note:
                message += f" ({r.note})"
            if cur.id in same_run and cur.call == "invalid":
                message += _(
                    "; its invalid result came from an earlier export of this same plate, so this is no re-run "
                    "(a re-run goes onto a new plate: poolab plate new)"
                )
            why = _("{message}; to correct it, import with --amend --reason TEXT").format(message=message)
            problems.append(Problem(source, r.line, r.code, why))
    if problems:
        problems.sort(key=lambda p: p.line)
        raise InputRejected(
            _("{source}: {count} problem(s); no result was recorded").format(source=source, count=len(problems)),
            problems,
        )
    event_id = record_event(
        conn,
        operator=operator,
        action="results.amend" if amended else "results.import",
        campaign_id=info.id,
        detail={
            "source": source,
            "sha256": sha256,
            "rows": len(rows),
            "recorded": len(new),
            "reason": reason,
            **(detail or {}),
        },
    )
    insert_results(conn, results=new, event_id=event_id, at=now())
    record_import(conn, scope=f"results:{info.id}", sha256=sha256, event_id=event_id)
    individual = sum(1 for r in rows if id_of[r.code] in index.individual) if index.individual else 0
    return ResultImportSummary(source, len(rows), len(new) - amended, unchanged, amended, individual=individual)


def _parse_rows(table, source: str, info: CampaignInfo, problems: list[Problem]) -> list[CallRow]:  # type: ignore[no-untyped-def]
    seen: dict[str, CallRow] = {}  # first row per tube, in file order
    codes, calls = table.column("tube_barcode"), table.column("result")
    ct1s, ct2s = table.column("ct_orf1ab"), table.column("ct_n")
    normalised = normalise_codes(codes)
    whys = barcode_problems(normalised, pre_printed=info.field_binding)
    parsed_calls = [CALL_OF.get(c.strip().lower()) for c in calls]
    for line, raw_code, code, why, raw_call, call, raw1, raw2 in zip(
        table.lines, codes, normalised, whys, calls, parsed_calls, ct1s, ct2s, strict=True
    ):
        if why is not None:
            problems.append(Problem(source, line, raw_code, why))
            continue
        if call is None:
            why = _("result must be one of {calls}").format(calls=", ".join(CALLS))
            problems.append(Problem(source, line, raw_call, why))
            continue
        if not raw1 and not raw2:  # negatives carry no Ct: the common case, no parsing
            row = CallRow(line, code, call, None, None)
        else:
            cts: list[float | None] = []
            for name, raw in (("ct_orf1ab", raw1), ("ct_n", raw2)):
                ct = parse_ct(raw)
                if isinstance(ct, str):
                    problems.append(Problem(source, line, raw, _("{field} {problem}").format(field=name, problem=ct)))
                else:
                    cts.append(ct)
            if len(cts) < 2:
                continue
            row = CallRow(line, code, call, cts[0], cts[1])
        earlier = seen.get(code)
        if earlier is not None:
            if (earlier.call, earlier.ct1, earlier.ct2) != (row.call, row.ct1, row.ct2):
                if earlier.call != row.call:
                    why = _("two different results for one tube (line {line} says {said})").format(
                        line=earlier.line, said=call_word(earlier.call)
                    )
                else:
                    why = _("two different Ct values for one tube (line {line} says {call} with Ct {cts})").format(
                        line=earlier.line, call=call_word(earlier.call), cts=_fmt_cts(earlier.ct1, earlier.ct2)
                    )
                problems.append(Problem(source, line, code, why))
            continue
        seen[code] = row
    return list(seen.values())


@attrs.frozen(slots=True)
class EntryOutcome:
    """What one keyed result did, for immediate feedback."""

    barcode: str
    call: str
    recorded: bool
    corrected: bool
    message: str


def parse_answer(answer: str) -> tuple[str, float | None, float | None]:
    """What a technician keyed for a tube: a key or a word, then up to two Ct values
    ("p 28.1 29.4"), checked as a results file's are (a Ct is a number from 0 to 50)."""
    parts = answer.split()
    if not parts:
        raise PoolabError(_("nothing keyed: press p, n, i or x (then Enter)"))
    key = parts[0]
    call = KEYS.get(key.lower()) or parse_call(key)
    if call is None:
        raise PoolabError(
            _("{key} is not a result: p positive, n negative, i inconclusive, x invalid").format(key=repr(key))
        )
    if len(parts) > 3:
        raise PoolabError(
            _("too much keyed ({answer}): a key and at most two Ct values (ORF1ab, N)").format(
                answer=repr(answer.strip())
            )
        )
    cts: list[float | None] = [None, None]
    for j, (name, raw) in enumerate(zip(("ORF1ab", "N"), parts[1:], strict=False)):
        ct = parse_ct(raw)
        if isinstance(ct, str):
            raise PoolabError(
                _("Ct {target} {value} is {problem}; nothing recorded").format(target=name, value=repr(raw), problem=ct)
            )
        cts[j] = ct
    return call, cts[0], cts[1]


class KeyedEntry:
    """A technician keying results at the bench: scan a tube, key its call. Counts what
    the session did. ``amend`` (with its ``reason``) lets a keyed call correct a recorded
    one; both are checked before the first tube."""

    def __init__(self, store: Store, campaign: str, *, operator: str, amend: bool = False, reason: str | None = None):
        if amend and not (reason and reason.strip()):
            raise PoolabError(_("--amend needs --reason: say why results are corrected in this session"))
        if reason and not amend:
            raise PoolabError(_("--reason goes with --amend (corrections); without --amend nothing is corrected"))
        with store.read() as conn:
            self.info = campaign_by_name(conn, name=campaign)
        self.store = store
        self.operator = operator
        self.amend = amend
        self.reason = reason
        self.recorded = 0
        self.corrected = 0
        self.refused = 0

    def tube(self, raw: str) -> TubeState:
        """The scanned tube, checked (it belongs to the campaign and was received)."""
        try:
            return tube_for_entry(self.store, self.info.name, raw)
        except PoolabError:
            self.refused += 1
            raise

    def enter(self, barcode: str, answer: str) -> EntryOutcome:
        """Record what was keyed for ``barcode``; ``PoolabError`` says why nothing was."""
        try:
            call, ct1, ct2 = parse_answer(answer)
            out = enter_result(
                self.store,
                self.info.name,
                barcode,
                call,
                operator=self.operator,
                ct_orf1ab=ct1,
                ct_n=ct2,
                amend=self.amend,
                reason=self.reason,
            )
        except PoolabError:
            self.refused += 1
            raise
        self.recorded += out.recorded and not out.corrected
        self.corrected += out.corrected
        return out


def tube_for_entry(store: Store, campaign: str, raw: str) -> TubeState:
    """Check a scanned tube before asking for its result; raises with the reason."""
    code = normalise_scan(raw)
    with store.read() as conn:
        info = campaign_by_name(conn, name=campaign)
        return _entry_tube(conn, info, code)


def _entry_tube(conn: Connection, info: CampaignInfo, code: str) -> TubeState:
    why = barcode_problem(code, pre_printed=info.field_binding)
    if why is not None:
        raise PoolabError(f"{code!r}: {why}")
    state = tube_states(conn, barcodes=[code]).get(code)
    why = tube_problem(info, state)
    if why is not None or state is None:
        raise PoolabError(f"{code!r}: {why}")
    if state.received_at is None:
        raise PoolabError(f"{code!r}: {_not_received()}")
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
    """Record one keyed result (p/n/i/x or the word). A wrong key, a Ct outside 0-50 or
    an unknown tube records nothing and raises ``PoolabError`` saying why. The check and
    the write are one transaction, so a result another station recorded a moment ago is
    seen."""
    call = KEYS.get(key.strip().lower()) or parse_call(key)
    if call is None:
        raise PoolabError(
            _("key {key} is not a result: p positive, n negative, i inconclusive, x invalid").format(key=repr(key))
        )
    for name, ct in (("ORF1ab", ct_orf1ab), ("N", ct_n)):
        if ct is not None and (why := ct_problem(ct)) is not None:
            raise PoolabError(
                _("Ct {target} {value} is {problem}; nothing recorded").format(target=name, value=repr(ct), problem=why)
            )
    if amend and not (reason and reason.strip()):
        raise PoolabError(_("--amend needs --reason: say why the result is corrected"))
    code = normalise_scan(raw_barcode)

    def work(conn: Connection) -> EntryOutcome:
        info = campaign_by_name(conn, name=campaign)
        state = _entry_tube(conn, info, code)
        cur = (
            Current(state.current_result_id, state.current_call, *state.current_ct)
            if state.current_result_id is not None and state.current_call is not None
            else None
        )
        verdict = judge(cur, call, (ct_orf1ab, ct_n), amend)
        if verdict is Verdict.SAME:
            message = _("{tube}: {call} already recorded").format(tube=state.barcode, call=call_word(call))
            return EntryOutcome(state.barcode, call, False, False, message)
        if verdict is Verdict.CONFLICT:
            assert cur is not None
            record = result_records(conn, result_ids=[cur.id]).get(cur.id)
            message = conflict_message(cur, record, call, (ct_orf1ab, ct_n), said=_("you keyed"))
            raise PoolabError(
                _(
                    "{tube}: {message}. Nothing recorded. To correct a result, quit (q) and start again "
                    "with --amend --reason 'why'"
                ).format(tube=state.barcode, message=message)
            )
        event_id = record_event(
            conn,
            operator=operator,
            action="results.amend" if verdict is Verdict.AMEND else "results.enter",
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
                    supersedes_id=cur.id if cur is not None else None,
                    reason=reason if verdict is Verdict.AMEND else None,
                )
            ],
            event_id=event_id,
            at=now(),
        )
        corrected = verdict is Verdict.AMEND
        said = _("{tube}: corrected to {call}") if corrected else _("{tube}: recorded {call}")
        message = said.format(tube=state.barcode, call=call_word(call))
        return EntryOutcome(state.barcode, call, True, corrected, message)

    return store.write(work)
