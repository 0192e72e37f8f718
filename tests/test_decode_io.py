"""poolab.plan.decode_io: layout CSV, results CSV, decoding reports under a perfect assay."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from poolab.errors import InputRejected
from poolab.plan.decode_io import BadDecodeInput, DecodeReport, decode, read_pool_results, write_layout, write_report
from poolab.plan.designs import Design, design_for
from poolab.plan.spec import parse_spec
from tests.budget import share
from tests.strategies import design_specs, leftover_layouts, truth_vectors

Layout = list[tuple[int, int, str, list[int]]]


def read_layout(path: Path) -> Layout:
    """(pool, stage, kind, members) per layout row, read with the csv module."""
    with open(path, newline="", encoding="utf-8") as f:
        return [
            (int(r["pool"]), int(r["stage"]), r["kind"], [int(m) for m in r["members"].split()])
            for r in csv.DictReader(f)
        ]


def pool_truth(layout: Layout, truth: np.ndarray) -> dict[int, bool]:
    """A perfect assay: a pool is positive iff it holds a positive member (truth is 0-based)."""
    return {p: any(truth[m - 1] for m in members) for p, _, _, members in layout}


def write_results(path: Path, results: dict[int, bool]) -> None:
    """A lab's results CSV for the given pools."""
    lines = ["pool,result"] + [f"{p},{'positive' if v else 'negative'}" for p, v in sorted(results.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_stages(design: Design, truth: np.ndarray, folder: Path, decoder: str = "staged") -> tuple[DecodeReport, int]:
    """Lay out, test stage 1, then test whatever the decoder asks for, until nothing is left."""
    write_layout(design, folder / "layout.csv")
    layout = read_layout(folder / "layout.csv")
    positive = pool_truth(layout, truth)
    given_ = {p: positive[p] for p, stage, _, _ in layout if stage == 1}
    rounds = 1
    while True:
        write_results(folder / "results.csv", given_)
        report = decode(design, read_pool_results(folder / "results.csv", design), decoder)
        nxt = (report.next_pools + 1).tolist()
        if not nxt:
            return report, rounds
        assert not set(nxt) & set(given_), "a pool already tested is asked for again"
        given_.update({p: positive[p] for p in nxt})
        rounds += 1


@st.composite
def cases(draw: st.DrawFn, families: tuple[str, ...] = ("dorfman", "hier", "array", "array-master", "std")) -> tuple:
    spec = draw(design_specs(families))
    n = draw(st.integers(1, 40))
    return spec, n, draw(truth_vectors(n)), draw(leftover_layouts)


@given(cases())
def test_staged_decoding_after_all_stages_recovers_the_truth(case: tuple) -> None:
    """Stage by stage through the CSV files, a perfect assay ends with every call right."""
    spec, n, truth, leftovers = case
    design = design_for(parse_spec(spec), n, leftovers=leftovers)
    with tempfile.TemporaryDirectory() as tmp:
        report, rounds = run_stages(design, truth, Path(tmp))
    assert 0 == report.counts()["pending"]
    assert truth.tolist() == (report.calls == 1).tolist()
    assert rounds <= design.nstages


def expected_after_stage1(design: Design, spec: str, layout: Layout, truth: np.ndarray) -> tuple[set[int], set[int]]:
    """(pending individuals, next pools), both 1-based, worked out from the layout alone."""
    positive = pool_truth(layout, truth)
    family = parse_spec(spec).family
    if family == "array":
        r = parse_spec(spec).sizes[0]
        row = {m: p for p, s, k, ms in layout if k == "row" for m in ms}
        col = {m: p for p, s, k, ms in layout if k == "column" for m in ms}
        cell = {ms[0]: p for p, s, k, ms in layout if s == 2}
        block = {m: (m - 1) // (r * r) for m in range(1, design.n + 1)}
        any_row = {block[m] for m in row if positive[row[m]]}
        any_col = {block[m] for m in col if positive[col[m]]}
        pending = set()
        for m in range(1, design.n + 1):
            rp, cp, b = positive[row[m]], positive[col[m]], block[m]
            if (rp and cp) or (rp and b not in any_col) or (cp and b not in any_row):
                pending.add(m)
        return pending, {cell[m] for m in pending}
    if family == "std":  # COMP's candidates, each confirmed alone
        cleared = {m for p, s, _, ms in layout if s == 1 and not positive[p] for m in ms}
        pending = set(range(1, design.n + 1)) - cleared
        return pending, {p for p, s, _, ms in layout if s == 2 and ms[0] in pending}
    # tree designs: each member of a positive first pool goes on to its pools of the lowest later stage
    # (a pool of one with no later pool is its member's final test)
    retested = {m for p, s, _, ms in layout if s > 1 for m in ms}
    pending = {m for p, s, _, ms in layout if s == 1 and positive[p] for m in ms} & retested
    nxt = set()
    for m in pending:
        later = [(s, p) for p, s, _, ms in layout if s > 1 and m in ms]
        lowest = min(s for s, _ in later)
        nxt |= {p for s, p in later if s == lowest}
    return pending, nxt


@given(cases())
def test_after_stage1_pending_individuals_and_next_pools(case: tuple) -> None:
    """With stage-1 results only, the pending people and the pools to test next follow the
    design's rule (an array's leftovers as a partial square: the rule worked out here)."""
    spec, n, truth, _ = case
    design = design_for(parse_spec(spec), n, leftovers="rectangle")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_layout(design, folder / "layout.csv")
        layout = read_layout(folder / "layout.csv")
        positive = pool_truth(layout, truth)
        write_results(folder / "r.csv", {p: positive[p] for p, s, _, _ in layout if s == 1})
        report = decode(design, read_pool_results(folder / "r.csv", design), "staged")
    pending, nxt = expected_after_stage1(design, spec, layout, truth)
    assert sorted(pending) == (np.flatnonzero(report.calls == -1) + 1).tolist()
    assert sorted(nxt) == (report.next_pools + 1).tolist()
    final = report.calls >= 0  # whoever is not pending already has the right call
    assert truth[final].tolist() == (report.calls[final] == 1).tolist()
    for i in pending:  # each pending person's next pools hold them
        mine = report.member_next[report.member_next_ptr[i - 1] : report.member_next_ptr[i]] + 1
        assert all(i in layout[p - 1][3] for p in mine.tolist())


@given(cases(("std",)))
def test_nonadaptive_decoders_bound_the_truth(case: tuple) -> None:
    """On std designs: COMP never misses a positive, DD never calls a negative positive, DD <= SCOMP <= COMP."""
    spec, n, truth, leftovers = case
    design = design_for(parse_spec(spec), n, leftovers=leftovers)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_layout(design, folder / "layout.csv")
        layout = read_layout(folder / "layout.csv")
        positive = pool_truth(layout, truth)
        write_results(folder / "r.csv", {p: positive[p] for p, s, _, _ in layout if s == 1})
        result = read_pool_results(folder / "r.csv", design)
    comp, dd, scomp = (decode(design, result, d).calls == 1 for d in ("comp", "dd", "scomp"))
    assert [] == np.flatnonzero(truth & ~comp).tolist()
    assert [] == np.flatnonzero(dd & ~truth).tolist()
    assert [] == np.flatnonzero(dd & ~scomp).tolist()
    assert [] == np.flatnonzero(scomp & ~comp).tolist()
    q, k, g = parse_spec(spec).sizes
    per_block = np.bincount(np.flatnonzero(truth) // q ** (g + 1), minlength=design.nblocks)
    if per_block.max(initial=0) <= design.guarantee:  # the design's guarantee: exact recovery
        assert truth.tolist() == comp.tolist() == dd.tolist()


_ROUNDED_ABOVE_ONE = np.zeros(31, dtype=bool)  # a case whose posterior once came out as 1 + 4e-16
_ROUNDED_ABOVE_ONE[[0, 1, 2, 3, 4, 5, 6, 7, 16, 24, 28]] = True


@settings(max_examples=share(0.4))  # each example: Bayes decoding through CSV files
@given(cases(), st.floats(0.01, 0.3))
@example(case=("array:4", 31, _ROUNDED_ABOVE_ONE, "rectangle"), prevalence=0.0625)
def test_bayes_posteriors_are_the_truth_where_results_determine_it(case: tuple, prevalence: float) -> None:
    """Bayes posteriors lie in [0, 1]; after every stage of a perfect assay they are 1 or 0 (the truth)."""
    spec, n, truth, leftovers = case
    design = design_for(parse_spec(spec), n, leftovers=leftovers)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run_stages(design, truth, folder)
        result = read_pool_results(folder / "results.csv", design)
        report = decode(design, result, "bayes", 1.0, 1.0, prevalence)
        write_report(report, folder / "report.csv")
        with open(folder / "report.csv", newline="", encoding="utf-8") as f:
            posts = [float(r["posterior"]) for r in csv.DictReader(f)]
    assert report.posterior is not None
    assert bool(np.all((report.posterior >= 0) & (report.posterior <= 1)))
    assert truth.astype(float).tolist() == pytest.approx(report.posterior.tolist(), abs=1e-6)
    assert truth.astype(float).tolist() == pytest.approx(posts, abs=1e-5)
    assert truth.tolist() == (report.calls == 1).tolist()


@settings(max_examples=share(0.4))  # each example: Bayes decoding through CSV files
@given(cases(("std",)), st.floats(0.01, 0.2))
@example(("std:5-5", 25, np.isin(np.arange(25), [0, 1, 2, 3, 5, 6]).astype(np.int8), "rectangle"), 1 / 64)
def test_bayes_on_one_nonadaptive_round_is_sure_where_comp_and_dd_are(case: tuple, prevalence: float) -> None:
    """After one std round (perfect assay): posterior exactly 0 where COMP clears (a member
    of a negative pool, Se = 1), ~1 where DD calls positive: to 1e-6 where the posterior is
    exact (enumeration), to 0.01 where loopy belief propagation approximates it. The
    example is the case where BP alone, before negative pools cleared their members
    outright, left people of negative pools near the prior (0.0022 and 0.0156)."""
    spec, n, truth, leftovers = case
    design = design_for(parse_spec(spec), n, leftovers=leftovers)
    hi = int(design.stage_ptr[1])
    result = np.full(design.npools, -1, dtype=np.int8)
    sizes = np.diff(design.pool_ptr[: hi + 1])
    owners = np.repeat(np.arange(hi), sizes)
    result[:hi] = np.bincount(owners, weights=truth[design.pool_members[: design.pool_ptr[hi]]], minlength=hi) > 0
    from poolab.plan.bayes import design_posterior

    solved = design_posterior(design, result, 1.0, 1.0, prevalence)
    post, exact = solved.prob, solved.exact
    reported = decode(design, result, "bayes", 1.0, 1.0, prevalence).posterior
    assert reported is not None and post.tolist() == pytest.approx(reported.tolist())
    comp = decode(design, result, "comp").calls == 1
    dd = decode(design, result, "dd").calls == 1
    tolerance = np.where(exact, 1e-6, 1e-2)
    assert np.all(post[~comp] == 0.0), post[~comp]
    assert np.all(post[dd] >= 1 - tolerance[dd]), post[dd]


def test_layout_rows_hold_every_pool_of_the_design() -> None:
    """The layout CSV lists each pool once with its 1-based members, stage and kind."""
    design = design_for(parse_spec("hier:6-3"), 10)
    with tempfile.TemporaryDirectory() as tmp:
        write_layout(design, Path(tmp) / "l.csv")
        layout = read_layout(Path(tmp) / "l.csv")
    assert list(range(1, design.npools + 1)) == [p for p, _, _, _ in layout]
    assert (1, 1, "pool", [1, 2, 3, 4, 5, 6]) == layout[0]
    assert (3, 2, "subpool", [1, 2, 3]) == layout[2]
    assert {"pool", "subpool", "individual"} == {k for _, _, k, _ in layout}
    flat = [m - 1 for _, _, _, ms in layout for m in ms]
    assert design.pool_members.tolist() == flat


def test_layout_kinds_of_arrays() -> None:
    """Array layouts name master, row, column and individual pools."""
    design = design_for(parse_spec("array-master:3"), 9)
    with tempfile.TemporaryDirectory() as tmp:
        write_layout(design, Path(tmp) / "l.csv")
        kinds = [k for _, _, k, _ in read_layout(Path(tmp) / "l.csv")]
    assert ["master"] + ["row"] * 3 + ["column"] * 3 + ["individual"] * 9 == kinds


# --- bad input -------------------------------------------------------------------------------


def _rejected(text: str, spec: str = "dorfman:4", n: int = 10) -> str:
    design = design_for(parse_spec(spec), n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputRejected) as info:
            read_pool_results(path, design)
    return str(info.value)


def test_unknown_pool_is_named_with_file_and_line() -> None:
    """A pool number outside 1..P (or not a number) is refused with file:line and value."""
    msg = _rejected("pool,result\n1,negative\n14,positive\nP7,negative\n")
    assert "results.csv:3:" in msg and "'14'" in msg
    assert "results.csv:4:" in msg and "'P7'" in msg


def test_bad_result_word_is_named_with_file_and_line() -> None:
    """A result other than positive/negative/inconclusive/invalid is refused with file:line and value."""
    msg = _rejected("pool,result\n1,negative\n2,pos?\n")
    assert "results.csv:3:" in msg and "'pos?'" in msg and "1 bad line" in msg


def test_conflicting_duplicate_is_refused() -> None:
    """The same pool given negative then positive is refused at the second line, naming the first."""
    msg = _rejected("pool,result\n2,negative\n1,negative\n2,positive\n")
    assert "results.csv:4:" in msg and "'positive'" in msg and "line 2" in msg


def test_every_bad_line_is_reported_at_once() -> None:
    """All bad lines of a file come back in one error."""
    msg = _rejected("pool,result\n0,negative\n2,maybe\n3,negative\n3,inconclusive\n")
    assert ["results.csv:2:", "results.csv:3:", "results.csv:5:"] == [
        Path(line.split()[0]).name for line in msg.splitlines()[1:]
    ]


def test_result_words_and_untested_pools() -> None:
    """inconclusive counts as positive, invalid and absent pools as untested; agreeing duplicates are fine."""
    design = design_for(parse_spec("dorfman:4"), 10)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.csv"
        path.write_text(
            "pool,result,note\n1,Negative,\n2,inconclusive,\n2,positive,\n3,invalid,rerun\n", encoding="utf-8"
        )
        result = read_pool_results(path, design)
    assert [0, 1, -1] + [-1] * 10 == result.tolist()


def test_nonadaptive_decoder_on_a_staged_design_is_refused() -> None:
    """comp/dd/scomp decode std designs only; bayes needs a prevalence."""
    design = design_for(parse_spec("dorfman:4"), 10)
    result = np.full(design.npools, -1, dtype=np.int8)
    with pytest.raises(BadDecodeInput, match="std:Q-K"):
        decode(design, result, "dd")
    with pytest.raises(BadDecodeInput, match="prevalence"):
        decode(design, result, "bayes")
    with pytest.raises(BadDecodeInput, match="one per stage"):
        decode(design, result, "bayes", (0.9, 0.9, 0.9), 1.0, 0.01)
