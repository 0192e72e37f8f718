"""The pool-assignment kernel against its naive twin and the assignment invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import poolab.kernels.assign as assign_module
from poolab.kernels.assign import assign_tubes
from tests import naive
from tests.naive import assign_tubes_naive, subset_sums, tube_invariant_failures
from tests.strategies import pool_sizes, walk_codes

lookaheads = st.integers(0, 6)


@given(codes=walk_codes(), k=pool_sizes, window=lookaheads, one=st.booleans())
def test_kernel_equals_naive_twin(codes, k, window, one):
    """The kernel computes exactly the naive twin's tubes and slots."""
    comp, bldg, hh = codes
    got = assign_tubes(comp, bldg, hh, pool_size=k, one_tube_per_household=one, lookahead=window)
    tube, slot, n_tubes = assign_tubes_naive(
        comp.tolist(), bldg.tolist(), hh.tolist(), k, one_tube_per_household=one, lookahead=window
    )
    assert (tube, slot, n_tubes) == (got.tube.tolist(), got.slot.tolist(), got.n_tubes)


@given(codes=walk_codes(), k=pool_sizes, window=lookaheads, one=st.booleans())
def test_kernel_keeps_invariants(codes, k, window, one):
    """Tubes hold at most K, never cross a compound, keep households, follow walk order."""
    comp, bldg, hh = codes
    got = assign_tubes(comp, bldg, hh, pool_size=k, one_tube_per_household=one, lookahead=window)
    failures = tube_invariant_failures(comp.tolist(), hh.tolist(), got.tube.tolist(), got.slot.tolist(), got.n_tubes, k)
    assert [] == failures
    assert got.n_tubes >= got.lower_bound
    runs: list[int] = []  # residents per compound run, by a plain walk
    for i, c in enumerate(comp.tolist()):
        if i and c == comp[i - 1]:
            runs[-1] += 1
        else:
            runs.append(1)
    assert sum(-(-r // k) for r in runs) == got.lower_bound


def test_campaign_pool_sizes_fit_the_kernel() -> None:
    """A campaign's largest pool is one the kernel can number (int16 slots)."""
    from poolab.field.campaigns import MAX_POOL_SIZE as CAMPAIGN_MAX

    assert CAMPAIGN_MAX <= assign_module.SLOT_LIMIT == np.iinfo(assign_module.SLOT_DTYPE).max


@given(codes=walk_codes(), k=pool_sizes, window=lookaheads)
def test_no_building_strands_households_that_make_a_tube(codes, k, window):
    """Of the households a tube crossing buildings holds, those of any one building never
    add up to exactly K between them (they would have made a tube of that building)."""
    comp, bldg, hh = (a.tolist() for a in codes)
    got = assign_tubes(*codes, pool_size=k, lookahead=window)
    places: dict[int, set[tuple[int, int]]] = {}
    for t, c, b in zip(got.tube.tolist(), comp, bldg, strict=True):
        places.setdefault(t, set()).add((c, b))
    stranded: dict[tuple[int, int], dict[int, int]] = {}  # building -> household -> people
    for i, t in enumerate(got.tube.tolist()):
        if len(places[t]) > 1:
            owner = stranded.setdefault((comp[i], bldg[i]), {})
            owner[hh[i]] = owner.get(hh[i], 0) + 1
    for building, sizes in stranded.items():
        assert k not in subset_sums(list(sizes.values())), (building, sizes)


@st.composite
def crowded_buildings(draw: st.DrawFn) -> tuple[list[int], list[int], list[int], int]:
    """(compound, building, household) codes of 1-3 buildings of 8-14 households of
    1..K+2 people, and K: the shape where walk-order packing strands people and a full
    tube may be dissolved to take them back."""
    k = draw(st.integers(2, 10))
    comp: list[int] = []
    bldg: list[int] = []
    hh: list[int] = []
    for b in range(draw(st.integers(1, 3))):
        for size in draw(st.lists(st.integers(1, k + 2), min_size=8, max_size=14)):
            comp += [0] * size
            bldg += [b] * size
            hh += [len(set(hh))] * size
    return comp, bldg, hh, k


@given(case=crowded_buildings(), window=lookaheads)
@example(
    case=([0] * 38, [0] * 38, [h for h, s in enumerate([3, 1, 6, 6, 2, 3, 5, 10, 2]) for _ in range(s)], 9), window=5
)
def test_kernel_equals_naive_twin_on_crowded_buildings(case, window):
    """The kernel computes exactly the naive twin's tubes where full tubes get dissolved."""
    comp, bldg, hh, k = case
    got = assign_tubes(np.array(comp), np.array(bldg), np.array(hh), pool_size=k, lookahead=window)
    assert assign_tubes_naive(comp, bldg, hh, k, lookahead=window) == (
        got.tube.tolist(),
        got.slot.tolist(),
        got.n_tubes,
    )
    assert [] == tube_invariant_failures(comp, hh, got.tube.tolist(), got.slot.tolist(), got.n_tubes, k)


def test_a_full_tube_is_dissolved_to_take_stranded_households_back(monkeypatch):
    """K=9, one building of households 3,1,6,6,2,3,5,10,2 (window 5): walk-order packing
    leaves a 6, a 3 and a 2 set aside (11 people); with one full tube's households they make
    two tubes of 9, so 2 people are left instead of 11."""
    sizes = [3, 1, 6, 6, 2, 3, 5, 10, 2]
    hh = [h for h, s in enumerate(sizes) for _ in range(s)]
    zeros = [0] * len(hh)
    got = assign_tubes(np.array(zeros), np.array(zeros), np.array(hh), pool_size=9, lookahead=5)
    twin = assign_tubes_naive(zeros, zeros, hh, 9, lookahead=5)
    assert twin == (got.tube.tolist(), got.slot.tolist(), got.n_tubes)
    monkeypatch.setattr(naive, "_exchange_naive", lambda tubes, left, *_: left)
    assert twin != assign_tubes_naive(zeros, zeros, hh, 9, lookahead=5)  # the example exercises the exchange


# 241 households of 1, 3 and 5 people in one building (K=6, no lookahead): the exchange
# finds a better tube among the building's oldest ones, beyond the EXCHANGE_TUBES it tries.
_LONG_BUILDING = (
    "33311531135115335515513113351555555351353355553331135155555335311355355133113311"
    "13111133551355513531551355353551511511111113531313131511511153131355133351151355"
    "53151333531353313351151115315511331513113515533355551551313513551551515511353135"
    "5"
)


def test_exchange_tries_only_the_newest_tubes_of_a_long_building(monkeypatch):
    """The kernel bounds the exchange to the building's EXCHANGE_TUBES newest tubes, as
    its twin does; without the bound the twin would choose differently here."""
    sizes = [int(c) for c in _LONG_BUILDING]
    hh = [h for h, s in enumerate(sizes) for _ in range(s)]
    zeros = [0] * len(hh)
    got = assign_tubes(np.array(zeros), np.array(zeros), np.array(hh), pool_size=6, lookahead=0)
    twin = assign_tubes_naive(zeros, zeros, hh, 6, lookahead=0)
    assert twin == (got.tube.tolist(), got.slot.tolist(), got.n_tubes)
    monkeypatch.setattr(assign_module, "EXCHANGE_TUBES", 10**9)
    assert twin != assign_tubes_naive(zeros, zeros, hh, 6, lookahead=0)  # the bound matters in this case


@given(codes=walk_codes(), k=pool_sizes)
def test_one_tube_per_household_count(codes, k):
    """One-tube-per-household uses exactly the sum of ceil(household size / K) tubes."""
    comp, bldg, hh = codes
    got = assign_tubes(comp, bldg, hh, pool_size=k, one_tube_per_household=True)
    sizes = np.unique(hh, return_counts=True)[1]
    assert int(sum(-(-s // k) for s in sizes)) == got.n_tubes
    per_tube: dict[int, set[int]] = {}
    for t, h in zip(got.tube.tolist(), hh.tolist(), strict=True):
        per_tube.setdefault(t, set()).add(h)
    assert all(1 == len(hs) for hs in per_tube.values())


def test_small_households_fill_tubes_exactly():
    """Households of 1-2 people in one building fill every tube but the last to K."""
    sizes = [2, 1, 2, 2, 2, 1, 2, 2, 1, 2, 1, 2]
    hh = np.repeat(np.arange(len(sizes)), sizes)
    zeros = np.zeros_like(hh)
    got = assign_tubes(zeros, zeros, hh, pool_size=5)
    assert [5, 5, 5, 5] == np.bincount(got.tube).tolist()


def test_oversize_household_fills_its_own_tubes_first():
    """A household of 23 with K=10 takes two full tubes; its last 3 share a tube."""
    hh = np.array([0] * 23 + [1] * 7)
    zeros = np.zeros_like(hh)
    got = assign_tubes(zeros, zeros, hh, pool_size=10)
    assert [0] * 10 + [1] * 10 + [2] * 10 == got.tube.tolist()


def test_empty_input():
    """No residents, no tubes."""
    empty = np.zeros(0, np.int64)
    got = assign_tubes(empty, empty, empty)
    assert (0, 0, 0) == (got.n_tubes, got.lower_bound, got.tube.size)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"compound": np.zeros(3)}, TypeError),
        ({"compound": np.zeros(2, np.int64)}, ValueError),
        ({"compound": np.zeros((3, 1), np.int64)}, ValueError),
        ({"household": np.array([0, 1, 0])}, ValueError),
        ({"household": np.array([0, -1, -1])}, ValueError),
        ({"pool_size": 0}, ValueError),
        ({"lookahead": -1}, ValueError),
    ],
)
def test_wrapper_rejects_bad_input(kwargs, error):
    """Wrong dtypes, shapes, codes, pool sizes and non-contiguous households are refused."""
    args = {
        "compound": np.zeros(3, np.int64),
        "building": np.zeros(3, np.int64),
        "household": np.array([0, 0, 1]),
    }
    options = {k: kwargs.pop(k) for k in ("pool_size", "lookahead") if k in kwargs}
    args.update(kwargs)
    with pytest.raises(error):
        assign_tubes(args["compound"], args["building"], args["household"], **options)
