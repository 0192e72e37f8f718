"""Staged decoding: the lab's retest rule and every design's stage rules against naive twins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.kernels.decode_staged import decode_staged, members_to_retest
from poolab.plan import designs as d
from tests.naive import decode_staged_naive, members_to_retest_naive
from tests.strategies import designs, pool_results


@st.composite
def retest_inputs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    npools = draw(st.integers(1, 20))
    pools = draw(st.lists(st.integers(-1, npools - 1), max_size=60))
    positive = draw(st.lists(st.booleans(), min_size=npools, max_size=npools))
    return np.asarray(pools, dtype=np.int64), np.asarray(positive, dtype=np.bool_)


@given(retest_inputs())
def test_members_to_retest_matches_naive(inputs: tuple[np.ndarray, np.ndarray]) -> None:
    """members_to_retest flags exactly the members of positive pools."""
    pool_of_member, pool_positive = inputs
    expected = members_to_retest_naive(pool_of_member.tolist(), pool_positive.tolist())
    assert expected == members_to_retest(pool_of_member, pool_positive).tolist()


def test_members_to_retest_refuses_bad_arrays() -> None:
    """Wrong dtypes and out-of-range pool indices are refused."""
    with pytest.raises(TypeError):
        members_to_retest(np.zeros(3, dtype=np.int32), np.zeros(2, dtype=np.bool_))
    with pytest.raises(ValueError):
        members_to_retest(np.array([0, 2], dtype=np.int64), np.zeros(2, dtype=np.bool_))


@given(st.data())
def test_decode_staged_matches_naive(data: st.DataObject) -> None:
    """Required pools and calls equal the naive rules on any design and any results."""
    design = data.draw(designs())
    result = data.draw(pool_results(design))
    required, calls = decode_staged_naive(design, result)
    got = decode_staged(design.staged, result)
    assert required == got.required.tolist()
    assert calls == got.calls.tolist()
    assert (np.asarray(required) & (result < 0)).tolist() == got.pending.tolist()


@given(st.data())
def test_perfect_results_recover_truth(data: st.DataObject) -> None:
    """With every required pool's true result, staged designs call exactly the infected."""
    design = data.draw(designs())
    status = np.asarray(data.draw(st.lists(st.booleans(), min_size=design.n, max_size=design.n)))
    truth = np.array(
        [status[design.pool_members[design.pool_ptr[p] : design.pool_ptr[p + 1]]].any()
         for p in range(design.npools)], dtype=np.int8,
    )  # fmt: skip
    got = decode_staged(design.staged, truth)
    if design.family != "std" or design.leaf_of_member[0] >= 0:
        assert status.tolist() == got.calls.tolist()
    assert got.complete


def test_dorfman_walkthrough() -> None:
    """dorfman:3 on 7: pools 1 and 3 positive -> their members pending, then final calls."""
    design = d.dorfman(7, 3)
    result = np.full(design.npools, -1, dtype=np.int8)
    result[:3] = [1, 0, 1]
    first = decode_staged(design.staged, result)
    assert 1 == first.stage
    assert [1, 1, 1, 0, 0, 0, 1] == first.retest_members.astype(int).tolist()
    result[3:6] = [0, 1, 0]
    result[9] = 1
    final = decode_staged(design.staged, result)
    assert final.complete
    assert [0, 1, 0, 0, 0, 0, 1] == final.calls.astype(int).tolist()


def test_array_rows_without_columns() -> None:
    """array:2: a positive row with no positive column sends that whole row to retest."""
    design = d.array(4, 2)
    result = np.full(design.npools, -1, dtype=np.int8)
    result[:4] = [1, 0, 0, 0]  # rows {0,1},{2,3}; columns {0,2},{1,3}
    assert [1, 1, 0, 0] == decode_staged(design.staged, result).retest_members.astype(int).tolist()
