"""The resample list is exactly the members of positive and inconclusive pools,
whatever the results (the workflow's use of the Dorfman decode kernel)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from poolab.calls import CALL_CODE, NO_CALL
from poolab.lab.resolve import retest_candidates
from poolab.store.reports import KIND_INDIVIDUAL, KIND_POOL, TubeTable

CALL_CODES = [NO_CALL, *CALL_CODE.values()]


@st.composite
def campaigns(draw: st.DrawFn) -> tuple[TubeTable, np.ndarray, np.ndarray]:
    """Pool tubes with random calls (some still without one), their members, and a few
    individual tubes mixed in (which must never count as pools)."""
    sizes = draw(st.lists(st.integers(1, 10), min_size=1, max_size=30))
    n_pools = len(sizes)
    n_indiv = draw(st.integers(0, 5))
    ids = np.asarray(draw(st.permutations(range(1, n_pools + n_indiv + 1))), np.int64)
    calls = np.asarray(
        draw(st.lists(st.sampled_from(CALL_CODES), min_size=n_pools + n_indiv, max_size=n_pools + n_indiv)), np.int8
    )
    kind = np.asarray([KIND_POOL] * n_pools + [KIND_INDIVIDUAL] * n_indiv, np.int8)
    tubes = TubeTable(
        id=ids,
        barcode=[f"T{i}" for i in ids],
        kind=kind,
        position=np.arange(len(ids), dtype=np.int64),
        parent=np.full(len(ids), -1, np.int64),
        resident_pk=np.full(len(ids), -1, np.int64),
        collected=np.ones(len(ids), bool),
        received=np.ones(len(ids), bool),
        call=calls,
        duplicate=np.zeros(len(ids), bool),
    )
    member_tube = np.repeat(ids[:n_pools], sizes)
    order = np.asarray(draw(st.permutations(range(len(member_tube)))), np.int64)
    member_tube = member_tube[order]
    member_pk = np.arange(len(member_tube), dtype=np.int64) + 1000
    return tubes, member_tube, member_pk


@given(campaigns())
def test_retest_equals_members_of_positive_and_inconclusive_pools(
    case: tuple[TubeTable, np.ndarray, np.ndarray],
) -> None:
    """Flagged members == members whose pool's current call is positive or inconclusive."""
    tubes, member_tube, member_pk = case
    call_of = dict(zip(tubes.id.tolist(), tubes.call.tolist(), strict=True))
    expected = {
        int(pk)
        for t, pk in zip(member_tube, member_pk, strict=True)
        if call_of[int(t)] in (CALL_CODE["positive"], CALL_CODE["inconclusive"])
    }
    flagged = retest_candidates(tubes, member_tube, member_pk)
    assert expected == {int(pk) for pk in member_pk[flagged]}
