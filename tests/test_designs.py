"""Designs as incidence structures: layout, stages and the STD disjunctness guarantee."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.plan import designs as d
from poolab.plan.spec import BadSpec, parse_spec
from tests.strategies import designs


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
def test_first_stage_covers_everyone(design: d.Design) -> None:
    """Every individual is in a first-stage pool (the transpose lists them)."""
    assert np.all(np.diff(design.member_ptr) >= 1)


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


@pytest.mark.parametrize("q,k,gamma", [(3, 3, 1), (5, 4, 1), (3, 3, 2)])
def test_std_pairs_share_at_most_gamma_pools(q: int, k: int, gamma: int) -> None:
    """STD: each person is in k pools, two people of one block share at most gamma."""
    design = d.shifted_transversal(q ** (gamma + 1), q, k, gamma)
    ptr, members = design.stage_incidence(0)
    sets = [set() for _ in range(design.n)]
    for p in range(len(ptr) - 1):
        for m in members[ptr[p] : ptr[p + 1]]:
            sets[m].add(p)
    assert all(k == len(s) for s in sets)
    assert gamma >= max(len(a & b) for a, b in itertools.combinations(sets, 2))
    assert (k - 1) // gamma == design.guarantee


@given(st.sampled_from(["individual", "dorfman:5", "hier:8-3", "array:4", "array-master:4"]))
def test_design_for_follows_spec(text: str) -> None:
    """design_for lays out the SPEC's family under the SPEC's name."""
    assert text == d.design_for(parse_spec(text), 50).name


def test_bad_designs_are_refused() -> None:
    """A non-prime STD modulus and an empty district are refused with BadSpec."""
    with pytest.raises(BadSpec):
        d.shifted_transversal(10, 4, 2)
    with pytest.raises(BadSpec):
        d.design_for(parse_spec("dorfman:10"), 0)
