"""Designs as incidence structures: layout, stages and the STD disjunctness guarantee."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.plan import designs as d
from poolab.plan.spec import BadSpec, parse_spec
from tests.strategies import designs, std_params


@given(designs())
def test_csr_is_well_formed(design: d.Design) -> None:
    """Pools are a valid CSR ordered by stage; parents come from an earlier stage."""
    assert design.pool_ptr[0] == 0
    assert np.all(np.diff(design.pool_ptr) >= 1)
    assert design.pool_members.shape[0] == design.pool_ptr[-1]
    assert np.all((design.pool_members >= 0) & (design.pool_members < design.n))
    assert np.array_equal(np.sort(design.pool_stage), design.pool_stage)
    for p in range(design.npools):
        for parent in (design.pool_parent[p], design.pool_parent2[p]):
            if parent >= 0:
                assert design.pool_stage[parent] < design.pool_stage[p]


@given(designs())
def test_leaf_pool_holds_its_member(design: d.Design) -> None:
    """Each individual's final-call pool contains that individual."""
    for i in range(design.n):
        leaf = design.leaf_of_member[i]
        if leaf >= 0:
            assert i in design.pool_members[design.pool_ptr[leaf] : design.pool_ptr[leaf + 1]]


@given(designs())
def test_everyone_is_tested_without_condition_first(design: d.Design) -> None:
    """Every individual is in a pool tested unconditionally (ROOT: the first stage, or an
    array's leftover pool in the stage whose Se it takes), and member_ptr lists exactly
    each individual's first-stage pools."""
    root = np.zeros(design.n, dtype=bool)
    root[design.pool_members[np.repeat(design.pool_rule == d.ROOT, design.pool_sizes())]] = True
    assert root.all()
    first = int(design.stage_ptr[1])
    owners = np.repeat(np.arange(first), design.pool_sizes()[:first])
    expected = sorted(zip(design.pool_members[: design.pool_ptr[first]].tolist(), owners.tolist(), strict=True))
    listed = [
        (i, int(p))
        for i in range(design.n)
        for p in design.member_pools[design.member_ptr[i] : design.member_ptr[i + 1]]
    ]
    assert expected == sorted(listed)


@pytest.mark.parametrize("n,k", [(1, 10), (10, 10), (97, 10), (25, 4)])
def test_dorfman_layout(n: int, k: int) -> None:
    """Dorfman: ceil(n/K) consecutive pools of K, the last holding the remainder."""
    design = d.dorfman(n, k)
    sizes = design.pool_sizes()[: design.stage_ptr[1]]
    expected = [k] * (n // k) + ([n % k] if n % k else [])
    assert expected == sizes.tolist()
    assert np.array_equal(np.arange(n), design.pool_of_member(1) - design.stage_ptr[1])


def test_hier_subpools_hold_remainder() -> None:
    """hier:10-3 splits a pool of 10 into subpools 3, 3, 3, 1; the subpool of one is final."""
    design = d.hierarchical(10, 10, 3)
    lo, hi = design.stage_ptr[1], design.stage_ptr[2]
    assert [3, 3, 3, 1] == design.pool_sizes()[lo:hi].tolist()
    assert 9 == design.stage_ptr[3] - design.stage_ptr[2]
    assert hi - 1 == design.leaf_of_member[9]


def test_array_lines() -> None:
    """array:3 on 9 people: rows {0,1,2}.., columns {0,3,6}..; the master adds a stage."""
    design = d.array(9, 3)
    ptr, members = design.stage_incidence(0)
    pools = [members[ptr[i] : ptr[i + 1]].tolist() for i in range(len(ptr) - 1)]
    assert [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8]] == pools
    assert 3 == d.array(9, 3, master=True).nstages


@given(std_params(max_block=150), st.integers(1, 320))
def test_std_pairs_share_at_most_gamma_pools(qkg: tuple[int, int, int], n: int) -> None:
    """std:Q-K-G on any N (partial last block too): each person is in K pools, pools hold
    at most Q^G, two people share at most G pools, and d = (K - 1) // G is the guarantee."""
    q, k, gamma = qkg
    design = d.shifted_transversal(n, q, k, gamma)
    ptr, members = design.stage_incidence(0)
    sets: list[set[int]] = [set() for _ in range(design.n)]
    for p in range(len(ptr) - 1):
        for m in members[ptr[p] : ptr[p + 1]]:
            sets[m].add(p)
    assert all(k == len(s) for s in sets)
    assert int(np.diff(ptr).max()) <= q**gamma
    shared = max((len(a & b) for a, b in itertools.combinations(sets, 2)), default=0)
    assert shared <= gamma
    assert (k - 1) // gamma == design.guarantee


@given(st.sampled_from(["individual", "dorfman:5", "hier:8-3", "array:4", "array-master:4", "std:3-3-2", "std:5-3"]))
def test_design_for_follows_spec(text: str) -> None:
    """design_for lays out the SPEC's family under the SPEC's name."""
    assert text == d.design_for(parse_spec(text), 50, prevalence=0.02).name


@pytest.mark.parametrize(("p", "expected"), [(0.001, "dorfman"), (0.08, "rectangle"), (0.4, "individual")])
def test_array_leftovers_follow_the_cheapest_closed_form(p: float, expected: str) -> None:
    """array:10 on 1050 people: the 50 leftovers are laid out the cheapest way at the
    prevalence (Dorfman pools of 10 at 0.1%, a partial square at 8%, alone at 40%), as
    leftovers.choose_leftovers says; without a prevalence or a layout the layout is refused."""
    from poolab.plan.leftovers import LEFTOVER_LAYOUTS, leftover_totals

    costs = {lo: leftover_totals(lo, False, 10, 50, p, (0.98, 0.99), (0.99, 0.995)).tests for lo in LEFTOVER_LAYOUTS}
    assert expected == min(costs, key=lambda lo: costs[lo])
    design = d.design_for(parse_spec("array:10"), 1050, prevalence=p, se=(0.98, 0.99), sp=(0.99, 0.995))
    assert design.npools == d.array(1050, 10, leftovers=expected).npools
    with pytest.raises(BadSpec, match="leaves 50"):
        d.design_for(parse_spec("array:10"), 1050)


def test_bad_designs_are_refused() -> None:
    """A non-prime STD modulus and an empty district are refused with BadSpec."""
    with pytest.raises(BadSpec):
        d.shifted_transversal(10, 4, 2)
    with pytest.raises(BadSpec):
        d.design_for(parse_spec("dorfman:10"), 0)
