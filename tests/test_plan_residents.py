"""Closed forms of whole layouts (``plan opchar --residents``): partial blocks, array
leftovers and std:Q-K-G, each against exhaustive enumeration of the laid-out design."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poolab.plan import designs as d
from poolab.plan import transversal
from poolab.plan.array_block import array_block
from poolab.plan.blocks import NotComputed
from poolab.plan.families import family_arrays
from poolab.plan.inputs import BadPlanInput, stage_values
from poolab.plan.leftovers import leftover_totals
from poolab.plan.opchar import opchar
from poolab.plan.optimize import candidates, optimize
from poolab.plan.residents import layout_totals
from poolab.plan.spec import DesignSpec, parse_spec
from tests.budget import share
from tests.naive import diluted_opchar_naive
from tests.strategies import leftover_layouts

_acc = st.floats(0.6, 1.0)
ALWAYS = ((1e6,), (1.0,))  # one concentration far above every pool's limit: the plain assay


def _enumerated(design: d.Design, p: float, se: tuple[float, ...], sp: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(diluted_opchar_naive(design, p, se, sp, *ALWAYS))


@st.composite
def small_layouts(draw: st.DrawFn) -> tuple[str, int, str | None]:
    """(SPEC, N, leftovers) small enough to enumerate: every family, partial blocks."""
    family = draw(st.sampled_from(["individual", "dorfman", "hier", "array", "array-master", "std"]))
    if family == "individual":
        return "individual", draw(st.integers(1, 6)), None
    if family == "dorfman":
        return f"dorfman:{draw(st.integers(2, 5))}", draw(st.integers(1, 8)), None
    if family == "hier":
        k2 = draw(st.integers(2, 3))
        return f"hier:{draw(st.integers(k2 + 1, 5))}-{k2}", draw(st.integers(1, 8)), None
    if family in ("array", "array-master"):
        return f"{family}:{draw(st.integers(2, 3))}", draw(st.integers(1, 7)), draw(leftover_layouts)
    q, k, g = draw(st.sampled_from([(2, 1, 1), (2, 2, 1), (3, 2, 1), (2, 2, 2), (2, 1, 2), (3, 2, 2), (2, 2, 3)]))
    return f"std:{q}-{k}-{g}", draw(st.integers(1, 7)), None


@settings(max_examples=share(0.3))  # each example: an exhaustive enumeration
@given(small_layouts(), st.floats(0.02, 0.4), st.tuples(_acc, _acc, _acc), st.tuples(_acc, _acc, _acc))
def test_layout_closed_form_matches_enumeration(
    layout: tuple[str, int, str | None], p: float, se3: tuple[float, ...], sp3: tuple[float, ...]
) -> None:
    """E/n, PSe and PSp of any small layout (partial blocks, each leftover layout, std of
    G = 1..3) equal the enumeration of every infection pattern and every result."""
    text, n, leftovers = layout
    spec = parse_spec(text)
    stages = len(stage_values(1.0, spec.family, "se"))
    se, sp = se3[:stages], sp3[:stages]
    design = d.design_for(spec, n, leftovers=leftovers)
    if leftovers is not None:
        r = spec.sizes[0]
        full = n - n % (r * r)
        expected = layout_totals(spec, full, p, se, sp) if full else None
        rest = leftover_totals(leftovers, spec.family == "array-master", r, n - full, p, se, sp)
        got = (expected + rest if expected else rest).per_person
    else:
        got = layout_totals(spec, n, p, se, sp).per_person
    assert all(
        math.isclose(e, a, rel_tol=1e-9, abs_tol=1e-12)
        for e, a in zip(_enumerated(design, p, se, sp), got, strict=True)
    )


@given(
    st.sampled_from([(2, 2, 2), (3, 2, 2), (3, 3, 2), (5, 3, 2), (5, 5, 2), (2, 2, 3), (3, 3, 3), (2, 2, 4)]),
    st.floats(0.001, 0.3),
    _acc,
    _acc,
)
def test_std_full_block_form_equals_the_sum_over_layer_sets(
    qkg: tuple[int, int, int], p: float, se: float, sp: float
) -> None:
    """The full-block form (MDS counts: u(s) depends only on |S|) equals the person-by-person
    sum over the sets of layers, run on a full block."""
    q, k, g = qkg
    full = transversal.full_block(q, k, g, p, (se, 0.99), (sp, 0.98))
    summed = transversal.partial_block(q, k, g, q ** (g + 1), p, (se, 0.99), (sp, 0.98)).per_person
    assert full == pytest.approx(summed, rel=1e-9, abs=1e-12)


@given(st.sampled_from([2, 3, 5, 7, 11, 13]), st.data(), st.floats(0.001, 0.3), _acc, _acc)
def test_std_g1_is_the_product_form(q: int, data: st.DataObject, p: float, se: float, sp: float) -> None:
    """For G = 1 the full block's sum equals the closed product (Se1 - c(1-p)^(Q-1))^K."""
    k = data.draw(st.integers(1, q))
    full = transversal.full_block(q, k, 1, p, (se, 1.0), (sp, 1.0))
    e, pse, psp = family_arrays("std", [q], p, (se, 1.0), (sp, 1.0), None, [k])
    assert full == pytest.approx((float(e[0]), float(pse[0]), float(psp[0])), rel=1e-12)


def test_partial_std_blocks_cost_what_the_layout_costs() -> None:
    """std:5-3 on 27 people (one block of 25, then two people each alone in a pool of
    each layer) costs more per person than a full block: the example of issue 15."""
    full = opchar("std:5-3", 0.01)
    laid = opchar("std:5-3", 0.01, residents=27)
    two = transversal.partial_block(5, 3, 1, 2, 0.01, (1.0, 1.0), (1.0, 1.0))
    assert 6 + 2 * 0.01 == pytest.approx(two.tests)  # alone in one pool per layer; positives confirmed
    assert laid.expected_tests_per_individual == pytest.approx(
        (full.expected_tests_per_individual * 25 + two.tests) / 27
    )
    assert laid.expected_tests_per_individual > full.expected_tests_per_individual


def test_one_design_over_the_whole_district_compresses() -> None:
    """std:7-4-3 lays 1,000 people out in 28 pools where std:7-4 needs 588 (issue 15), and
    its opchar counts exactly those pools."""
    assert 28 == int(d.shifted_transversal(1000, 7, 4, 3).stage_ptr[1])
    assert 588 == int(d.shifted_transversal(1000, 7, 4, 1).stage_ptr[1])
    tests = opchar("std:7-4-3", 1e-9, residents=1000).expected_tests_per_individual
    assert 28 / 1000 == pytest.approx(tests, abs=1e-5)


def test_a_partial_block_too_large_to_sum_is_refused() -> None:
    """G >= 2 partial blocks are summed person by person; past the budget opchar says so."""
    with pytest.raises(NotComputed, match="simulate"):
        transversal.partial_block(31, 3, 2, 29_000, 0.01, (1.0, 1.0), (1.0, 1.0))


@pytest.mark.parametrize("family", ["dorfman", "hier", "array", "array-master", "std"])
def test_optimizer_with_residents_picks_the_cheapest_layout(family: str) -> None:
    """optimize --residents N returns the candidate whose opchar --residents N is lowest."""
    n, p = 503, 0.02
    found = optimize(family, p, 0.95, 0.98, max_pool_size=12, residents=n)
    costs = [
        opchar(DesignSpec(family, tuple(row)), p, 0.95, 0.98, residents=n).expected_tests_per_individual
        for row in candidates(family, 12).tolist()
    ]
    assert min(costs) == pytest.approx(found.best.expected_tests_per_individual, rel=1e-12)
    assert found.best == opchar(found.best.design, p, 0.95, 0.98, residents=n)


def test_optimizer_searches_q_k_and_g() -> None:
    """std candidates are every prime Q, G with pools of Q^G within the bound, K = 1..Q."""
    rows = {tuple(r) for r in candidates("std", 30).tolist()}
    assert {(5, 3, 2), (3, 3, 3), (2, 1, 4), (29, 29, 1)} <= rows
    assert all(q**g <= 30 and 1 <= k <= q for q, k, g in rows)
    assert (7, 1, 2) not in rows  # 49 > 30


def test_residents_must_be_a_positive_whole_number() -> None:
    """--residents 0 (or a fraction) is refused by name."""
    with pytest.raises(BadPlanInput, match="residents"):
        opchar("dorfman:10", 0.01, residents=0)


def test_array_block_form_is_binGroup2s_on_full_squares() -> None:
    """The block form of any size equals binGroup2's square form when the block is full."""
    for r in (2, 5, 11):
        e, pse, psp = family_arrays("array", [r], 0.03, (0.93, 0.97), (0.96, 0.98))
        block = array_block(r * r, r, 0.03, (0.93, 0.96), (0.97, 0.98)).per_person
        assert (float(e[0]), float(pse[0]), float(psp[0])) == pytest.approx(block, rel=1e-12)


def test_dilution_layout_keeps_exact_pieces() -> None:
    """Under dilution, dorfman and hier layouts add their exact pieces: a remainder pool of
    one (pool, then alone) and a full one, each from exact_dilution."""
    from poolab.plan.dilution import DilutionModel

    model = DilutionModel()
    total = layout_totals(parse_spec("dorfman:10"), 21, 0.05, (0.95, 0.98), (0.99, 0.99), model)
    e10, s10, p10 = family_arrays("dorfman", [10], 0.05, (0.95, 0.98), (0.99, 0.99), model)
    e1, s1, p1 = family_arrays("dorfman", [1], 0.05, (0.95, 0.98), (0.99, 0.99), model)
    assert total.tests == pytest.approx(20 * float(e10[0]) + float(e1[0]), rel=1e-12)
    assert total.found == pytest.approx(20 * float(s10[0]) + float(s1[0]), rel=1e-12)
    assert np.isfinite(total.false)
