"""Posterior probabilities of infection: exact parts against enumeration, BP's error on cycles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.kernels.bayes import posterior
from poolab.kernels.bayes.exact import enumerate_posterior
from poolab.kernels.bayes.graph import connected_components
from poolab.kernels.bayes.loopy import loopy_posterior
from poolab.kernels.bayes.nested import nested_posterior
from poolab.plan import designs as d
from poolab.plan.bayes import design_posterior
from tests.naive import (
    components_naive,
    loopy_bp_naive,
    posterior_cleared_naive,
    posterior_naive,
    without_perfect_negatives,
)
from tests.strategies import incidences

# a perfect assay (Se = 1 exactly) often: its negative pools clear their members outright
SE = st.one_of(st.just(1.0), st.floats(0.6, 1.0))


def _pools(ptr: np.ndarray, members: np.ndarray) -> list[list[int]]:
    return [members[ptr[p] : ptr[p + 1]].tolist() for p in range(len(ptr) - 1)]


@given(incidences(max_n=9, max_pools=8), st.data())
def test_exact_entries_match_enumeration(inc: tuple[int, np.ndarray, np.ndarray], data: st.DataObject) -> None:
    """People flagged exact (trees by BP, small loopy components by enumeration) equal brute force."""
    n, ptr, members = inc
    npools = len(ptr) - 1
    result = np.asarray(
        data.draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=npools, max_size=npools)), dtype=np.int8
    )
    se = np.asarray(data.draw(st.lists(SE, min_size=npools, max_size=npools)))
    sp = np.asarray(data.draw(st.lists(st.floats(0.6, 1.0), min_size=npools, max_size=npools)))
    prior = data.draw(st.floats(0.001, 0.5))
    max_exact = data.draw(st.sampled_from([0, 16]))
    got = posterior(n, ptr, members, result, se, sp, prior, max_exact=max_exact)
    expected = posterior_cleared_naive(n, _pools(ptr, members), result.tolist(), se.tolist(), sp.tolist(), prior)
    if max_exact == 16:
        assert got.exact.all()
    for i in np.flatnonzero(got.exact):
        assert expected[i] == pytest.approx(got.prob[i], abs=1e-7)


@given(incidences(max_n=12, max_pools=10), st.data())
def test_component_schedule_matches_global_bp(inc: tuple[int, np.ndarray, np.ndarray], data: st.DataObject) -> None:
    """BP run component by component gives what BP over the whole graph at once gives,
    wherever the result is BP's approximation."""
    n, ptr, members = inc
    npools = len(ptr) - 1
    result = np.asarray(
        data.draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=npools, max_size=npools)), dtype=np.int8
    )
    se = np.asarray(data.draw(st.lists(SE, min_size=npools, max_size=npools)))
    sp = np.asarray(data.draw(st.lists(st.floats(0.6, 1.0), min_size=npools, max_size=npools)))
    prior = data.draw(st.floats(0.001, 0.5))
    got = posterior(n, ptr, members, result, se, sp, prior, max_exact=0)
    pools, reduced, _ = without_perfect_negatives(_pools(ptr, members), result.tolist(), se.tolist(), sp.tolist())
    expected = loopy_bp_naive(n, pools, reduced, se.tolist(), sp.tolist(), prior)
    loopy = np.flatnonzero(~got.exact)
    assert [expected[i] for i in loopy] == pytest.approx(got.prob[loopy].tolist(), abs=1e-9)


@given(st.integers(3, 11), st.data())
def test_hierarchical_blocks_are_exact(n: int, data: st.DataObject) -> None:
    """Hierarchical designs (pools nested in pools: cycles, yet exact by the nested sweep) match brute force."""
    k1 = data.draw(st.integers(3, n))
    design = d.hierarchical(n, k1, data.draw(st.integers(2, k1 - 1)))
    npools = design.npools
    result = np.asarray(
        data.draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=npools, max_size=npools)), dtype=np.int8
    )
    se = data.draw(st.floats(0.5, 1.0))
    sp = data.draw(st.floats(0.5, 1.0))
    prior = data.draw(st.floats(0.001, 0.5))
    got = design_posterior(design, result, se, sp, prior, max_exact=0)
    pools = _pools(design.pool_ptr, design.pool_members)
    expected = posterior_cleared_naive(n, pools, result.tolist(), [se] * npools, [sp] * npools, prior)
    assert got.exact.all()
    assert expected == pytest.approx(got.prob.tolist(), abs=1e-9)


def test_dorfman_posterior_by_hand() -> None:
    """Dorfman pool of 2 positive, member 0 positive alone, member 1 untested: closed form."""
    design = d.dorfman(2, 2)
    result = np.array([1, 1, -1], dtype=np.int8)
    se, sp, p = 0.9, 0.95, 0.1
    got = design_posterior(design, result, se, sp, p)
    # member 1: P(x1=1 | pool+, x0 test+) with x0 mostly positive -> pool adds nothing
    w = {}
    for x0 in (0, 1):
        for x1 in (0, 1):
            prior = (p if x0 else 1 - p) * (p if x1 else 1 - p)
            pool = se if (x0 or x1) else 1 - sp
            alone = se if x0 else 1 - sp
            w[x0, x1] = prior * pool * alone
    total = sum(w.values())
    assert (w[1, 0] + w[1, 1]) / total == pytest.approx(got.prob[0])
    assert (w[0, 1] + w[1, 1]) / total == pytest.approx(got.prob[1])
    assert got.exact.all()


def test_loopy_bp_error_on_arrays() -> None:
    """Loopy BP on a 4x4 array (cycles) stays within 0.03 of enumeration at screening prevalence."""
    design = d.array(16, 4)
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(20):
        status = rng.random(16) < 0.05
        truth = np.array([status[m].any() for m in _pools(design.pool_ptr, design.pool_members)])
        result = np.where(rng.random(design.npools) < 0.05, ~truth, truth).astype(np.int8)
        exact = design_posterior(design, result, 0.95, 0.95, 0.05, max_exact=16)
        loopy = design_posterior(design, result, 0.95, 0.95, 0.05, max_exact=0)
        assert exact.exact.all()
        assert not loopy.exact.any()
        worst = max(worst, float(np.abs(exact.prob - loopy.prob).max()))
    assert worst < 0.03


def test_bad_prior_is_refused() -> None:
    """A prior of 0 (or 1) makes every posterior degenerate and is refused."""
    design = d.dorfman(4, 2)
    with pytest.raises(ValueError):
        design_posterior(design, np.full(design.npools, -1, np.int8), 0.9, 0.9, 0.0)


@given(incidences(max_n=8, max_pools=8), st.data())
def test_each_solver_on_its_own_matches_its_twin(inc: tuple[int, np.ndarray, np.ndarray], data: st.DataObject) -> None:
    """Enumeration equals brute force and BP over the whole graph equals the naive flooding
    BP, each solver run alone through its own wrapper."""
    n, ptr, members = inc
    npools = len(ptr) - 1
    result = np.asarray(
        data.draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=npools, max_size=npools)), dtype=np.int8
    )
    se = np.asarray(data.draw(st.lists(st.floats(0.6, 1.0), min_size=npools, max_size=npools)))
    sp = np.asarray(data.draw(st.lists(st.floats(0.6, 1.0), min_size=npools, max_size=npools)))
    prior = data.draw(st.floats(0.001, 0.5))
    pools = _pools(ptr, members)
    brute = posterior_naive(n, pools, result.tolist(), se.tolist(), sp.tolist(), prior)
    assert brute == pytest.approx(enumerate_posterior(n, ptr, members, result, se, sp, prior).tolist(), abs=1e-9)
    flood = loopy_bp_naive(n, pools, result.tolist(), se.tolist(), sp.tolist(), prior)
    assert flood == pytest.approx(loopy_posterior(n, ptr, members, result, se, sp, prior).tolist(), abs=1e-9)


@given(st.integers(3, 11), st.data())
def test_nested_solver_on_its_own_matches_brute_force(n: int, data: st.DataObject) -> None:
    """The nested sweep alone, on one hierarchical block with its pool tested, equals brute force."""
    k2 = data.draw(st.integers(2, n - 1))
    design = d.hierarchical(n, n, k2)
    result = np.asarray(
        data.draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=design.npools, max_size=design.npools)),
        dtype=np.int8,
    )
    result[0] = data.draw(st.sampled_from([0, 1]))  # the block's pool holds everyone
    se = np.full(design.npools, data.draw(st.floats(0.5, 1.0)))
    sp = np.full(design.npools, data.draw(st.floats(0.5, 1.0)))
    prior = data.draw(st.floats(0.001, 0.5))
    pools = _pools(design.pool_ptr, design.pool_members)
    brute = posterior_naive(n, pools, result.tolist(), se.tolist(), sp.tolist(), prior)
    got = nested_posterior(n, design.pool_ptr, design.pool_members, result, se, sp, prior)
    assert brute == pytest.approx(got.tolist(), abs=1e-9)


def test_solver_wrappers_refuse_what_they_cannot_solve() -> None:
    """Enumeration refuses more than 25 people; the nested sweep refuses crossing pools."""
    ptr = np.array([0, 2, 4, 6, 8], dtype=np.int64)
    members = np.array([0, 1, 2, 3, 0, 2, 1, 3], dtype=np.int64)  # a 2x2 array: rows, columns
    ones = np.ones(4)
    with pytest.raises(ValueError, match="not nested"):
        nested_posterior(4, ptr, members, np.ones(4, np.int8), ones, ones, 0.1)
    with pytest.raises(ValueError, match="at most 25"):
        enumerate_posterior(26, ptr, members, np.ones(4, np.int8), ones, ones, 0.1)
    with pytest.raises(TypeError):
        loopy_posterior(4, ptr, members, np.ones(4, np.int64), ones, ones, 0.1)


@given(incidences(max_n=12, max_pools=10), st.data())
def test_components_match_a_plain_search(inc: tuple[int, np.ndarray, np.ndarray], data: st.DataObject) -> None:
    """The union-find components (people, and the tested pools inside each) are the
    connected components a plain search finds."""
    n, ptr, members = inc
    npools = len(ptr) - 1
    result = np.asarray(data.draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=npools, max_size=npools)), np.int8)
    got = connected_components(n, ptr, members, result)
    people = [set(got.people[got.person_ptr[c] : got.person_ptr[c + 1]].tolist()) for c in range(got.kind.shape[0])]
    expected = components_naive(n, _pools(ptr, members), result.tolist())
    assert sorted(map(sorted, expected)) == sorted(map(sorted, people))
    for c, group in enumerate(people):
        for pool in got.pools[got.pool_ptr[c] : got.pool_ptr[c + 1]].tolist():
            assert result[pool] >= 0 and set(members[ptr[pool] : ptr[pool + 1]].tolist()) <= group
