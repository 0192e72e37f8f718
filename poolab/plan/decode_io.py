"""Decoding real results of a design, file to file: the plate layout a lab pipettes, the
pool results it sends back, and each individual's call.

Numbering in every file is 1-based: pools ``1..P`` in the design's order (stage by stage),
individuals ``1..N`` in the order they were laid out.

* Layout CSV ``pool,stage,kind,members,result,design,residents``: kind is ``pool`` (a
  first-stage pool), ``subpool`` (hier's second stage), ``master``, ``row``, ``column``
  (arrays) or ``individual`` (a test of one person: the last stage of every design);
  members are individual numbers separated by spaces; ``result`` is empty, for the lab to
  fill in; ``design`` and ``residents`` (on every row, so that rows copied or sorted keep
  them) record what was laid out: the design's SPEC and N.
* Results CSV ``pool,result`` (optional ``design,residents``): result ``positive``,
  ``negative``, ``inconclusive`` (counted as positive: its members are retested, as in the
  lab workflow), ``invalid`` (a failed run: no result, the tube is re-run) or empty (not
  tested yet). A pool not in the file is untested. The layout file with its ``result``
  column filled in is such a file.

**The layout record.** A results file that carries ``design``/``residents`` values is decoded
only as that layout: a value that differs from the design and N being decoded refuses the
file in one line naming both. A file without them (written by the lab from scratch, or laid
out by an older poolab) is read for the design and N given, as before: its pool numbers are
checked against that layout's pools, and nothing more can be (``PoolResults.recorded``
tells the caller, which says so).
* Report CSV ``individual,call,posterior,next_pools``: call ``positive``, ``negative`` or
  ``pending``; posterior only from the ``bayes`` decoder; next_pools (pending
  individuals only) the pools holding them that are to be tested next.

Decoders: ``staged`` (the design's own retest rule, every family; the default except for
``std``), ``comp``/``dd``/``scomp`` (one round of a non-adaptive ``std`` design; ``comp``
is the default there because it never misses a positive under a perfect assay, which is
what screening needs; its candidates are what the design's confirmation stage retests),
and ``bayes`` (every design: posterior probability from Se, Sp and the prevalence,
positive above a threshold).
"""

from __future__ import annotations

import os

import attrs
import numpy as np

from poolab.errors import InputRejected, PoolabError, Problem
from poolab.files.csvio import CsvTable, Output
from poolab.i18n import _, ngettext
from poolab.plan.designs import ARRAY_CELL, KIND_COL, KIND_OTHER, KIND_ROW, Design

LAYOUT_HEADER = ("pool", "stage", "kind", "members", "result", "design", "residents")
RESULTS_HEADER = ("pool", "result")
RECORD_HEADER = ("design", "residents")
REPORT_HEADER = ("individual", "call", "posterior", "next_pools")
DECODERS = ("staged", "comp", "dd", "scomp", "bayes")
NONADAPTIVE = ("comp", "dd", "scomp")

# result word -> int8 code for decode_staged (-1 untested, 0 negative, 1 positive)
RESULT_WORDS = {"positive": 1, "negative": 0, "inconclusive": 1, "invalid": -1}
PENDING, NEGATIVE, POSITIVE = -1, 0, 1
CALL_WORDS = {PENDING: "pending", NEGATIVE: "negative", POSITIVE: "positive"}


class BadDecodeInput(PoolabError):
    """A decode request that cannot be answered (wrong decoder for the design, bad Se/Sp...)."""


def pool_kinds(design: Design) -> list[str]:
    """The kind of each pool (see the module docstring), in pool order."""
    last = design.nstages - 1
    singles_last = design.nstages > 1 or design.family == "individual"
    names = []
    for stage in range(design.nstages):
        lo, hi = int(design.stage_ptr[stage]), int(design.stage_ptr[stage + 1])
        if stage == last and singles_last:
            default = "individual"
        elif design.family == "array-master" and stage == 0:
            default = "master"
        elif design.family == "hier" and stage == 1:
            default = "subpool"
        else:
            default = "pool"
        kinds = design.pool_kind[lo:hi]
        names += ["row" if k == KIND_ROW else "column" if k == KIND_COL else default for k in kinds.tolist()]
    return names


def layout_rows(design: Design) -> list[tuple[int, int, str, str]]:
    """One row per pool: (pool 1..P, stage 1..S, kind, members as "i j k" with 1..N)."""
    ptr = design.pool_ptr.tolist()
    members = (design.pool_members + 1).astype(str).tolist()
    stages = (design.pool_stage + 1).tolist()
    kinds = pool_kinds(design)
    return [(p + 1, stages[p], kinds[p], " ".join(members[ptr[p] : ptr[p + 1]])) for p in range(design.npools)]


def write_layout(design: Design, path: Output) -> None:
    """Write the layout CSV ``pool,stage,kind,members,result,design,residents`` (a path, or
    a binary stream): ``result`` empty, the design's SPEC and N on every row."""
    from poolab.files.csvio import write_csv

    name, n = design.name, str(design.n)
    rows = [(str(p), str(s), k, m, "", name, n) for p, s, k, m in layout_rows(design)]
    write_csv(path, LAYOUT_HEADER, rows, private=False)


@attrs.frozen(slots=True, eq=False)
class PoolResults:
    """Results read from a file: int8 per pool (-1 untested, 0, 1), and whether the file
    recorded its layout (``design``/``residents``), which then matched."""

    result: np.ndarray
    recorded: bool


def _check_record(source: str, table: CsvTable, design: Design) -> bool:
    """True when the file records its layout and that is ``design`` on its N people; raise
    ``BadDecodeInput`` (one line) when it records another; False when it records none."""
    from poolab.plan.spec import BadSpec, parse_spec

    if not set(RECORD_HEADER) & set(table.header):
        return False
    found = False
    for line, spec_text, n_text in zip(table.lines, table.column("design"), table.column("residents"), strict=True):
        if not spec_text and not n_text:
            continue
        found = True
        try:
            spec = str(parse_spec(spec_text)) if spec_text else "?"
        except BadSpec:
            spec = spec_text
        same_n = n_text == str(design.n)
        if spec != design.name or not same_n:
            raise BadDecodeInput(
                _(
                    "{file}:{line}: these results are for {design} on {people} people (its design and residents "
                    "columns), not {asked} on {asked_people}: decode them with --design {design} --residents "
                    "{people}, or give this layout's own results"
                ).format(
                    file=source,
                    line=line,
                    design=spec_text or "?",
                    people=n_text or "?",
                    asked=design.name,
                    asked_people=design.n,
                )
            )
    return found


def read_pool_results(path: str | os.PathLike[str], design: Design) -> np.ndarray:
    """``read_results(path, design).result``."""
    return read_results(path, design).result


def read_results(path: str | os.PathLike[str], design: Design) -> PoolResults:
    """Read a results CSV ``pool,result`` (a filled-in layout file is one) into int8 per pool
    (-1 untested, 0, 1), after checking its layout record against ``design``.

    A pool given twice must agree (``inconclusive`` and ``positive`` agree; an
    ``invalid`` line, or an empty result, gives no result, so a re-run's result may follow
    it). Every bad line is collected and raised as one ``InputRejected`` naming file, line
    and value; a layout record for another design or N is one ``BadDecodeInput`` line.
    """
    from poolab.files.csvio import read_csv_rows

    table = read_csv_rows(path, RESULTS_HEADER, RECORD_HEADER)
    source = table.source
    recorded = _check_record(source, table, design)
    result = np.full(design.npools, -1, dtype=np.int8)
    first: dict[int, tuple[int, str]] = {}  # pool -> (line, word) of its first real result
    problems: list[Problem] = []
    npools = design.npools
    for line, pool_text, word_text in zip(table.lines, table.column("pool"), table.column("result"), strict=True):
        bad = False
        try:
            pool = int(pool_text)
        except ValueError:
            pool = 0
        if not 1 <= pool <= npools:
            problems.append(
                Problem(
                    source,
                    line,
                    pool_text,
                    _("no pool {pool} in {design} (pools 1..{count})").format(
                        pool=repr(pool_text), design=design.name, count=npools
                    ),
                )
            )
            bad = True
        word = word_text.strip().lower()
        if not word:  # a pool of a filled-in layout not tested yet
            continue
        if word not in RESULT_WORDS:
            accepted = ", ".join(RESULT_WORDS)
            problems.append(Problem(source, line, word_text, _("result must be one of {words}").format(words=accepted)))
            bad = True
        if bad or RESULT_WORDS[word] < 0:
            continue
        code = RESULT_WORDS[word]
        if result[pool - 1] >= 0 and result[pool - 1] != code:
            seen_line, seen_word = first[pool]
            problems.append(
                Problem(
                    source,
                    line,
                    word_text,
                    _("pool {pool} is {first} on line {first_line} and {word} here").format(
                        pool=pool, first=seen_word, first_line=seen_line, word=word
                    ),
                )
            )
            continue
        result[pool - 1] = code
        first.setdefault(pool, (line, word))
    if problems:
        raise InputRejected(
            ngettext(
                "{file}: {count} bad line; no result was read",
                "{file}: {count} bad lines; no result was read",
                len(problems),
            ).format(file=source, count=len(problems)),
            problems,
        )
    return PoolResults(result, recorded)


@attrs.frozen(slots=True, eq=False)
class DecodeReport:
    """Each individual's call from one decoder, and what to test next."""

    design: str
    decoder: str
    calls: np.ndarray  # int8[n]: POSITIVE, NEGATIVE or PENDING
    posterior: np.ndarray | None  # float64[n], bayes only
    next_pools: np.ndarray  # int64: pools (0-based ids) to test next, ascending
    member_next_ptr: np.ndarray  # int64[n+1]: CSR of each individual's pools among next_pools
    member_next: np.ndarray  # int64
    layout_checked: bool | None = None  # the results file recorded this layout (None: not read from a file)

    def counts(self) -> dict[str, int]:
        """Individuals by call."""
        return {
            word: int((self.calls == code).sum()) for code, word in ((1, "positive"), (0, "negative"), (-1, "pending"))
        }

    def as_dict(self) -> dict[str, object]:
        """The ``--json`` object: design, decoder, counts and the pools (1-based) to test next."""
        out: dict[str, object] = {
            "design": self.design,
            "decoder": self.decoder,
            **self.counts(),
            "next_pools": (self.next_pools + 1).tolist(),
        }
        if self.layout_checked is not None:
            out["layout_checked"] = self.layout_checked
        return out

    def rows(self) -> list[tuple[str, str, str, str]]:
        """Report rows ``individual,call,posterior,next_pools`` (all 1-based)."""
        words = [CALL_WORDS[c] for c in self.calls.tolist()]
        post = [""] * len(words) if self.posterior is None else [f"{x:.6g}" for x in self.posterior.tolist()]
        ptr = self.member_next_ptr.tolist()
        pools = (self.member_next + 1).astype(str).tolist()
        return [(str(i + 1), words[i], post[i], " ".join(pools[ptr[i] : ptr[i + 1]])) for i in range(len(words))]


def write_report(report: DecodeReport, path: Output) -> None:
    """Write the report CSV ``individual,call,posterior,next_pools`` (a path, or a binary stream)."""
    from poolab.files.csvio import write_csv

    write_csv(path, REPORT_HEADER, report.rows(), private=False)


def default_decoder(design: Design) -> str:
    """``comp`` for a non-adaptive ``std`` design, ``staged`` for every other."""
    return "comp" if design.family == "std" else "staged"


def _select(ptr: np.ndarray, members: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owners, members) of the pools flagged in ``keep`` (bool per pool), pool by pool."""
    sizes = np.diff(ptr)
    sel = np.repeat(keep, sizes)
    owners = np.repeat(np.arange(sizes.shape[0], dtype=np.int64), sizes)
    return owners[sel], members[sel]


def _members_of(design: Design, pools: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR individual -> its pools among ``pools`` (ascending within each individual)."""
    keep = np.zeros(design.npools, dtype=np.bool_)
    keep[pools] = True
    owners, members = _select(design.pool_ptr, design.pool_members, keep)
    order = np.lexsort((owners, members))
    ptr = np.zeros(design.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(members, minlength=design.n), out=ptr[1:])
    return ptr, owners[order]


def _staged(design: Design, result: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from poolab.kernels.decode_staged import decode_staged

    d = decode_staged(design.staged, result)
    calls = d.calls.astype(np.int8)
    calls[d.retest_members] = PENDING  # in a pool still to be tested: not final yet
    return calls, np.flatnonzero(_settled(design, d.pending)).astype(np.int64)


def _settled(design: Design, pending: np.ndarray) -> np.ndarray:
    """The pending pools whose need no longer depends on a missing result: those to test next.

    A TREE pool is pending only when its parent tested positive, and a COMP_CELL pool only
    when all its member's pools did, so both are settled; an array cell also depends on
    every row and column of its square, so it waits while any of them is pending.
    """
    out = pending.copy()
    cells = np.flatnonzero(design.pool_rule == ARRAY_CELL)
    if cells.size:
        waiting = np.unique(design.pool_block[pending & (design.pool_kind != KIND_OTHER)])
        out[cells] &= ~np.isin(design.pool_block[cells], waiting)
    return out


def _nonadaptive(design: Design, result: np.ndarray, decoder: str) -> tuple[np.ndarray, np.ndarray]:
    from poolab.kernels.decode_nonadaptive import decode_nonadaptive

    if design.family != "std":
        raise BadDecodeInput(
            _(
                "decoder {decoder} decodes a non-adaptive design (std:Q-K or std:Q-K-G); {design} is staged: "
                "use --decoder staged or bayes"
            ).format(decoder=repr(decoder), design=design.name)
        )
    ptr, members = design.stage_incidence(0)
    first = result[: int(design.stage_ptr[1])]
    tested = first >= 0
    # decode over the tested pools only; people in an untested pool wait for its result
    _kept, sub_members = _select(ptr, members, tested)
    sub_ptr = np.zeros(int(tested.sum()) + 1, dtype=np.int64)
    np.cumsum(np.diff(ptr)[tested], out=sub_ptr[1:])
    calls_all = decode_nonadaptive(design.n, sub_ptr, sub_members, first[tested] == 1)
    calls = getattr(calls_all, decoder).astype(np.int8)
    nxt = np.flatnonzero(~tested).astype(np.int64)
    waiting = np.zeros(design.n, dtype=np.bool_)
    waiting[_select(ptr, members, ~tested)[1]] = True
    calls[waiting] = PENDING
    return calls, nxt


def _bayes(
    design: Design,
    result: np.ndarray,
    se: float | tuple[float, ...],
    sp: float | tuple[float, ...],
    prevalence: float | None,
    threshold: float,
) -> np.ndarray:
    from poolab.plan.bayes import design_posterior

    if prevalence is None or not 0.0 < prevalence < 1.0:
        raise BadDecodeInput(
            _("decoder 'bayes' needs --prevalence strictly between 0 and 1, got {value}").format(value=prevalence)
        )
    if not 0.0 <= threshold <= 1.0:
        raise BadDecodeInput(_("--threshold must lie in [0, 1], got {value}").format(value=threshold))
    values = {}
    for name, v in (("se", se), ("sp", sp)):
        arr = np.atleast_1d(np.asarray(v, dtype=np.float64))
        if arr.shape[0] not in (1, design.nstages):
            raise BadDecodeInput(
                _("--{name}: give one value or one per stage ({stages} for {design}), got {count}").format(
                    name=name, stages=design.nstages, design=design.name, count=arr.shape[0]
                )
            )
        if not np.all((arr > 0.5) & (arr <= 1.0)):
            raise BadDecodeInput(
                _("--{name} values must lie in (0.5, 1], got {values}").format(name=name, values=arr.tolist())
            )
        values[name] = arr if arr.shape[0] > 1 else float(arr[0])
    return design_posterior(design, result, values["se"], values["sp"], prevalence).prob


def decode(
    design: Design,
    result: np.ndarray,
    decoder: str | None = None,
    se: float | tuple[float, ...] = 1.0,
    sp: float | tuple[float, ...] = 1.0,
    prevalence: float | None = None,
    threshold: float = 0.5,
) -> DecodeReport:
    """Decode per-pool results (int8 per pool: -1 untested, 0 negative, 1 positive).

    ``decoder``: ``staged``, ``comp``, ``dd``, ``scomp`` or ``bayes``; None picks
    ``default_decoder(design)``. ``se``/``sp`` (one value or one per stage),
    ``prevalence`` and ``threshold`` (positive when the posterior is above it) are used
    by ``bayes`` only.
    """
    if decoder is None:
        decoder = default_decoder(design)
    if decoder not in DECODERS:
        raise BadDecodeInput(
            _("decoder {decoder} is not one of {decoders}").format(decoder=repr(decoder), decoders=", ".join(DECODERS))
        )
    if not isinstance(result, np.ndarray) or result.dtype != np.int8 or result.shape != (design.npools,):
        raise BadDecodeInput(f"results must be int8 with one entry per pool ({design.npools} for {design.name})")
    post = None
    if decoder == "staged":
        calls, nxt = _staged(design, result)
    elif decoder in NONADAPTIVE:
        calls, nxt = _nonadaptive(design, result, decoder)
    else:
        post = _bayes(design, result, se, sp, prevalence, threshold)
        calls = (post > threshold).astype(np.int8)
        nxt = np.zeros(0, dtype=np.int64)
    ptr, member_next = _members_of(design, nxt)
    return DecodeReport(design.name, decoder, calls, post, nxt, ptr, member_next)
