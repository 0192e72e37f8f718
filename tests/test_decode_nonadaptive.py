"""COMP, DD and SCOMP against naive twins, their orderings, and STD's exact recovery."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from poolab.kernels.decode_nonadaptive import decode_nonadaptive
from poolab.plan import designs as d
from tests.naive import comp_naive, dd_naive, scomp_naive
from tests.strategies import incidences, std_params


def _pools(ptr: np.ndarray, members: np.ndarray) -> list[list[int]]:
    return [members[ptr[p] : ptr[p + 1]].tolist() for p in range(len(ptr) - 1)]


@given(incidences(), st.data())
def test_decoders_match_naive(inc: tuple[int, np.ndarray, np.ndarray], data: st.DataObject) -> None:
    """Each decoder equals its naive twin on arbitrary pools and results."""
    n, ptr, members = inc
    positive = np.asarray(
        data.draw(st.lists(st.booleans(), min_size=len(ptr) - 1, max_size=len(ptr) - 1)), dtype=np.bool_
    )
    pools = _pools(ptr, members)
    got = decode_nonadaptive(n, ptr, members, positive)
    assert comp_naive(n, pools, positive.tolist()) == got.comp.tolist()
    assert dd_naive(n, pools, positive.tolist()) == got.dd.tolist()
    assert scomp_naive(n, pools, positive.tolist()) == got.scomp.tolist()


@given(incidences(), st.data())
def test_perfect_assay_orderings(inc: tuple[int, np.ndarray, np.ndarray], data: st.DataObject) -> None:
    """Perfect assay: truth within COMP, DD within truth, DD within SCOMP within COMP."""
    n, ptr, members = inc
    status = np.asarray(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    positive = np.array([status[p].any() for p in _pools(ptr, members)], dtype=np.bool_)
    got = decode_nonadaptive(n, ptr, members, positive)
    assert not np.any(status & ~got.comp)
    assert not np.any(got.dd & ~status)
    assert not np.any(got.dd & ~got.scomp)
    assert not np.any(got.scomp & ~got.comp)


@given(std_params(), st.data())
def test_std_recovers_up_to_t_positives(qkg: tuple[int, int, int], data: st.DataObject) -> None:
    """Guarantee tested: std:Q-K-G is d-disjunct, d = (K-1)//G, so with at most d
    positives in every block (the last one partial) COMP, DD and SCOMP all return exactly
    the infected under a perfect assay."""
    q, k, gamma = qkg
    block = q ** (gamma + 1)
    n = data.draw(st.integers(1, 2 * block))
    design = d.shifted_transversal(n, q, k, gamma, confirm=False)
    status = np.zeros(design.n, dtype=np.bool_)
    for b in range(-(-n // block)):
        size = min(block, n - b * block)
        chosen = data.draw(st.lists(st.integers(0, size - 1), unique=True, max_size=design.guarantee))
        status[[b * block + c for c in chosen]] = True
    ptr, members = design.stage_incidence(0)
    positive = np.array([status[p].any() for p in _pools(ptr, members)], dtype=np.bool_)
    got = decode_nonadaptive(design.n, ptr, members, positive)
    for calls in (got.comp, got.dd, got.scomp):
        assert status.tolist() == calls.tolist()
