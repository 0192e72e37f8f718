"""Results: a results CSV imported, or calls keyed in at the bench; every path records
through the same checks (``record_calls`` and ``judge``)."""

from __future__ import annotations

import enum
import os
from array import array
from collections.abc import Container, Sequence
from typing import Any, NamedTuple

import attrs
from sqlalchemy import Connection

from poolab.barcodes import barcode_problem, barcode_problems, normalise_codes, normalise_scan
from poolab.calls import CALL_CODE, CALL_OF, CALLS, KEYS, call_word, ct_problem, parse_call, parse_ct
from poolab.errors import InputRejected, PoolabError, Problem
from poolab.files.csvstream import BLOCK_BYTES, CsvChunk, CsvStream
from poolab.i18n import _
from poolab.lab.reception import tube_problem
from poolab.store.bulk import pauses_gc
from poolab.store.campaigns import CampaignInfo, campaign_by_name
from poolab.store.engine import Store
from poolab.store.events import now, record_event
from poolab.store.imports import find_import, record_import
from poolab.store.tube_lookup import FewTubes, Gathered, TubeLookup
from poolab.store.tubes import (
    NewResult,
    ResultRecord,
    TubeState,
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
    block_bytes: int = BLOCK_BYTES,
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
    unchanged, never recorded beside it.

    The file is read a block at a time (``CsvStream``) and checked against the campaign's
    tubes held as arrays; what is to be recorded is kept as arrays too, and written only
    once the whole file is known to be good: memory follows the campaign, not the file."""
    if amend and not (reason and reason.strip()):
        raise PoolabError(_("--amend needs --reason: say why the result is corrected"))
    source = os.fspath(path)

    def open_file() -> CsvStream:
        return CsvStream(source, RESULT_COLUMNS, RESULT_OPTIONAL, encoding, block_bytes=block_bytes, hashed=True)

    opened = [open_file()]  # an encoding refused before the store is touched

    def work(conn: Connection) -> ResultImportSummary:
        # a run again (another station won a race) reads the file again
        with opened.pop() if opened else open_file() as f:
            return _import_stream(conn, f, campaign, operator=operator, amend=amend, reason=reason)

    try:
        return store.write(work)
    finally:
        for f in opened:
            f.close()


def _import_stream(
    conn: Connection, f: CsvStream, campaign: str, *, operator: str, amend: bool, reason: str | None
) -> ResultImportSummary:
    source = f.source
    info = campaign_by_name(conn, name=campaign)
    problems: list[Problem] = list(f.problems)
    checks: CallChecks | None = None
    lines = 0
    for chunk in f.chunks():
        problems += chunk.problems
        lines += len(chunk)
        if f.problems:
            continue  # a bad header: the lines' own structure is still checked, not their calls
        rows = _parse_rows(f, chunk, info, problems)
        if checks is None:
            # a plate's or a small file's rows: only their tubes are read (a city's are not)
            few = [r.code for r in rows] if f.fraction_read >= 1.0 and len(rows) <= _FEW_ROWS else None
            checks = CallChecks(
                conn, info, _lookup(conn, info, few), source=source, amend=amend, reason=reason, problems=problems
            )
        checks.add(rows, first_row_wins=True)
        del chunk, rows  # one block's rows in memory at a time
    sha = f.sha256
    if already_imported(conn, info, sha):
        return ResultImportSummary(source, lines, 0, lines, 0, already_imported=True)
    if checks is None:  # a header and no lines, or a bad header
        checks = CallChecks(
            conn, info, _lookup(conn, info, []), source=source, amend=amend, reason=reason, problems=problems
        )
    summary = checks.record(sha256=sha, operator=operator)
    return attrs.evolve(summary, ignored_columns=tuple(f.ignored_columns((*RESULT_COLUMNS, *RESULT_OPTIONAL))))


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
    ``CallChecks``, as here."""
    # a plate's or a small file's rows: only their tubes are read (a district's are not)
    few = [r.code for r in rows] if len(rows) <= _FEW_ROWS else None
    checks = CallChecks(
        conn,
        info,
        _lookup(conn, info, few),
        source=source,
        amend=amend,
        reason=reason,
        problems=problems,
        same_run=same_run,
    )
    checks.add(rows)
    return checks.record(sha256=sha256, operator=operator, detail=detail)


_WRITE_BLOCK = 50_000  # result rows built and inserted at a time
_NAN = float("nan")
_FIRST, _RERUN, _AMEND = 0, 1, 2  # what a recorded row does


def _lookup(conn: Connection, info: CampaignInfo, few: Sequence[str] | None) -> TubeLookup:
    """The campaign's tubes for checking calls: ``few`` codes' in plain lists, or all of
    them as numpy arrays (imported only then: a command that records a plate or three
    results starts without numpy)."""
    if few is not None:
        return FewTubes(conn, campaign_id=info.id, barcodes=few)
    from poolab.store.tube_arrays import campaign_tube_arrays

    return campaign_tube_arrays(conn, campaign_id=info.id)


class CallChecks:
    """The checks of a file's calls against a campaign's tubes (a ``TubeLookup``), fed a
    block of rows at a time (``add``), and the recording of the file once every block has
    been checked (``record``): every problem is collected, and what is to be recorded is
    held in typed arrays (a city's million calls, about 40 bytes each) until then."""

    def __init__(
        self,
        conn: Connection,
        info: CampaignInfo,
        index: TubeLookup,
        *,
        source: str,
        amend: bool = False,
        reason: str | None = None,
        problems: list[Problem] | None = None,
        same_run: Container[int] = (),
    ) -> None:
        self.conn, self.info, self.index = conn, info, index
        self.source, self.amend, self.reason, self.same_run = source, amend, reason, same_run
        self.problems = [] if problems is None else problems
        self.rows = self.unchanged = self.amended = self.individual = 0
        self._conflicts: list[tuple[CallRow, Current]] = []
        self._seen: _FirstRows | None = None
        self._unknown: dict[str, CallRow] = {}  # first rows of codes that are no tube here
        # what is to be recorded: tube position, call, Cts (NaN: none), line, what it does
        self._pos, self._call, self._line = array("q"), array("b"), array("q")
        self._ct1, self._ct2, self._kind = array("d"), array("d"), array("b")

    def add(self, rows: Sequence[CallRow], *, first_row_wins: bool = False) -> None:
        """Check a block of rows. ``first_row_wins``: a tube's later rows in the file repeat
        its first (skipped) or contradict it (a problem), in this block or an earlier one."""
        if not rows:
            return
        got = self.index.gather([r.code for r in rows])
        if first_row_wins and self._seen is None:
            self._seen = _FirstRows(len(self.index))
        seen = self._seen if first_row_wins else None
        if self._all_first(rows, got, seen):
            return
        unknown: list[CallRow] = []
        for j, r in enumerate(rows):
            p = got.pos[j]
            if p < 0:
                unknown.append(r)
                continue
            if seen is not None:
                earlier = seen.get(p, r.code)
                if earlier is not None:
                    self._repeat_problem(r, earlier)
                    continue
                seen.put(p, r)
            self.rows += 1
            self.individual += got.individual[j]
            if not got.received[j]:
                self.problems.append(Problem(self.source, r.line, r.code, _not_received()))
                continue
            kind = _FIRST
            rid = got.result_id[j]
            if rid >= 0:
                cur = Current(rid, got.call[j], got.ct1[j], got.ct2[j])  # type: ignore[arg-type]
                verdict = judge(cur, r.call, (r.ct1, r.ct2), self.amend)
                if verdict is Verdict.RERUN and cur.id in self.same_run:
                    same = (cur.call, cur.ct1, cur.ct2) == (r.call, r.ct1, r.ct2)
                    verdict = Verdict.SAME if same else Verdict.CONFLICT
                if verdict is Verdict.SAME:
                    self.unchanged += 1
                    continue
                if verdict is Verdict.CONFLICT:
                    self._conflicts.append((r, cur))
                    continue
                kind = _AMEND if verdict is Verdict.AMEND else _RERUN
                self.amended += kind == _AMEND
            self._pos.append(p)
            self._call.append(CALL_CODE[r.call])
            self._ct1.append(_NAN if r.ct1 is None else r.ct1)
            self._ct2.append(_NAN if r.ct2 is None else r.ct2)
            self._line.append(r.line)
            self._kind.append(kind)
        if unknown:
            self._unknown_rows(unknown, first_row_wins)

    def _all_first(self, rows: Sequence[CallRow], got: Gathered, seen: _FirstRows | None) -> bool:
        """The usual block, taken whole: every row the first result of a received tube of
        the campaign, each tube once (in this block and, given ``seen``, before it). False:
        the block holds something else, and is checked row by row."""
        pos = got.pos
        if -1 in pos or not all(got.received) or max(got.result_id) >= 0:
            return False
        if seen is not None:
            if len(set(pos)) != len(pos) or any(seen.has(p) for p in pos):
                return False
            for p, r in zip(pos, rows, strict=True):
                seen.put(p, r)
        self.rows += len(rows)
        self.individual += sum(got.individual)
        self._pos.extend(pos)
        self._call.extend([CALL_CODE[r.call] for r in rows])
        self._ct1.extend([_NAN if r.ct1 is None else r.ct1 for r in rows])
        self._ct2.extend([_NAN if r.ct2 is None else r.ct2 for r in rows])
        self._line.extend([r.line for r in rows])
        self._kind.frombytes(bytes(len(rows)))  # all _FIRST
        return True

    def _repeat_problem(self, r: CallRow, earlier: CallRow) -> None:
        if (earlier.call, earlier.ct1, earlier.ct2) == (r.call, r.ct1, r.ct2):
            return  # the same call again: nothing more to record
        if earlier.call != r.call:
            why = _("two different results for one tube (line {line} says {said})").format(
                line=earlier.line, said=call_word(earlier.call)
            )
        else:
            why = _("two different Ct values for one tube (line {line} says {call} with Ct {cts})").format(
                line=earlier.line, call=call_word(earlier.call), cts=_fmt_cts(earlier.ct1, earlier.ct2)
            )
        self.problems.append(Problem(self.source, r.line, r.code, why))

    def _unknown_rows(self, rows: list[CallRow], first_row_wins: bool) -> None:
        elsewhere = receipt_states(self.conn, barcodes=[r.code for r in rows])
        for r in rows:
            if first_row_wins:
                earlier = self._unknown.get(r.code)
                if earlier is not None:
                    self._repeat_problem(r, earlier)
                    continue
                self._unknown[r.code] = r
            self.rows += 1
            why = tube_problem(self.info, elsewhere.get(r.code))
            self.problems.append(Problem(self.source, r.line, r.code, why or _("unknown barcode")))

    def _refuse_conflicts(self) -> None:
        records = result_records(self.conn, result_ids=[c.id for _, c in self._conflicts])
        for r, cur in self._conflicts:
            message = conflict_message(cur, records.get(cur.id), r.call, (r.ct1, r.ct2), said=_("the file says"))
            if r.note:
                message += f" ({r.note})"
            if cur.id in self.same_run and cur.call == "invalid":
                message += _(
                    "; its invalid result came from an earlier export of this same plate, so this is no re-run "
                    "(a re-run goes onto a new plate: poolab plate new)"
                )
            why = _("{message}; to correct it, import with --amend --reason TEXT").format(message=message)
            self.problems.append(Problem(self.source, r.line, r.code, why))

    def record(self, *, sha256: str, operator: str, detail: dict[str, Any] | None = None) -> ResultImportSummary:
        """Refuse the file (``InputRejected``, every problem by line) or record its calls,
        its event and its content hash in the open transaction."""
        if self._conflicts:
            self._refuse_conflicts()
        if self.problems:
            self.problems.sort(key=lambda p: p.line)
            raise InputRejected(
                _("{source}: {count} problem(s); no result was recorded").format(
                    source=self.source, count=len(self.problems)
                ),
                self.problems,
            )
        recorded = len(self._pos)
        event_id = record_event(
            self.conn,
            operator=operator,
            action="results.amend" if self.amended else "results.import",
            campaign_id=self.info.id,
            detail={
                "source": self.source,
                "sha256": sha256,
                "rows": self.rows,
                "recorded": recorded,
                "reason": self.reason,
                **(detail or {}),
            },
        )
        when_recorded = now()
        base = os.path.basename(self.source)
        # in tube order across the whole file: two imports that overlap lock the same keys
        # in the same order (no deadlock); a block of rows built at a time
        order = self.index.tube_order(self._pos)
        for start in range(0, recorded, _WRITE_BLOCK):
            pick = order[start : start + _WRITE_BLOCK]
            tube = [self._pos[i] for i in pick]
            block = [
                (
                    tid,
                    CALLS[self._call[i]],
                    None if (c1 := self._ct1[i]) != c1 else c1,  # NaN: no Ct
                    None if (c2 := self._ct2[i]) != c2 else c2,
                    f"{base}:{self._line[i]}",
                    None if self._kind[i] == _FIRST else rid,
                    self.reason if self._kind[i] == _AMEND else None,
                )
                for i, tid, rid in zip(pick, self.index.tube_ids(tube), self.index.result_ids(tube), strict=True)
            ]
            insert_results(self.conn, results=block, event_id=event_id, at=when_recorded)
            del block
        record_import(self.conn, scope=f"results:{self.info.id}", sha256=sha256, event_id=event_id)
        return ResultImportSummary(
            self.source, self.rows, recorded - self.amended, self.unchanged, self.amended, individual=self.individual
        )


class _FirstRows:
    """The first row of each tube in a file (its line, call and Cts), by tube position,
    in typed arrays: a city's million tubes in about 30 MB."""

    def __init__(self, size: int) -> None:
        self._line = array("q", bytes(8 * size))  # 0: no row yet
        self._call = array("b", bytes(size))
        self._ct1 = array("d", bytes(8 * size))
        self._ct2 = array("d", bytes(8 * size))

    def has(self, at: int) -> bool:
        return self._line[at] != 0

    def get(self, at: int, code: str) -> CallRow | None:
        line = self._line[at]
        if not line:
            return None
        c1, c2 = self._ct1[at], self._ct2[at]
        return CallRow(line, code, CALLS[self._call[at]], None if c1 != c1 else c1, None if c2 != c2 else c2)

    def put(self, at: int, r: CallRow) -> None:
        self._line[at] = r.line
        self._call[at] = CALL_CODE[r.call]
        self._ct1[at] = _NAN if r.ct1 is None else r.ct1
        self._ct2[at] = _NAN if r.ct2 is None else r.ct2


def _parse_rows(f: CsvStream, chunk: CsvChunk, info: CampaignInfo, problems: list[Problem]) -> list[CallRow]:
    """A block's rows as calls; a line with a bad barcode, call or Ct is a problem instead."""
    source = f.source
    codes, calls = f.column(chunk, "tube_barcode"), f.column(chunk, "result")
    ct1s, ct2s = f.column(chunk, "ct_orf1ab"), f.column(chunk, "ct_n")
    normalised = normalise_codes(codes)
    whys = barcode_problems(normalised, pre_printed=info.field_binding)
    parsed_calls = [CALL_OF.get(c.strip().lower()) for c in calls]
    out: list[CallRow] = []
    for line, raw_code, code, why, raw_call, call, raw1, raw2 in zip(
        chunk.lines, codes, normalised, whys, calls, parsed_calls, ct1s, ct2s, strict=True
    ):
        if why is not None:
            problems.append(Problem(source, line, raw_code, why))
            continue
        if call is None:
            why = _("result must be one of {calls}").format(calls=", ".join(CALLS))
            problems.append(Problem(source, line, raw_call, why))
            continue
        if not raw1 and not raw2:  # negatives carry no Ct: the common case, no parsing
            out.append(CallRow(line, code, call, None, None))
            continue
        cts: list[float | None] = []
        for name, raw in (("ct_orf1ab", raw1), ("ct_n", raw2)):
            ct = parse_ct(raw)
            if isinstance(ct, str):
                problems.append(Problem(source, line, raw, _("{field} {problem}").format(field=name, problem=ct)))
            else:
                cts.append(ct)
        if len(cts) == 2:
            out.append(CallRow(line, code, call, cts[0], cts[1]))
    return out


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
