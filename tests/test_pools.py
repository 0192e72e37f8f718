"""Walk order and pool assignment on string rosters; assignment quality on a district."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.field.pools import AddressCodes, assign_coded_pools, assign_pools, natural_key, pool_quality, walk_order
from tests.naive import tube_invariant_failures
from tests.strategies import district_like_codes, districts, pool_sizes

COLUMNS = ("compound", "building", "unit", "room", "household_id")


def _walk_key(d, i):
    return tuple(natural_key(d[c][i]) for c in COLUMNS[:4])


def test_natural_order():
    """Numbers inside labels sort by value: building 2 before 10, room 302 before 1201."""
    labels = ["10", "2", "1201", "302", "", "A10", "A2"]
    assert ["", "2", "10", "302", "1201", "A2", "A10"] == sorted(labels, key=natural_key)


@given(d=districts())
def test_walk_order_is_a_stable_household_grouped_sort(d):
    """walk_order is the stable natural sort with each household moved to its first member."""
    n = len(d["compound"])
    sorted_idx = sorted(range(n), key=lambda i: _walk_key(d, i))
    expected: list[int] = []
    placed: set[tuple[str, str]] = set()
    for i in sorted_idx:
        h = (d["compound"][i], d["household_id"][i])
        if h not in placed:
            placed.add(h)
            expected += [j for j in sorted_idx if (d["compound"][j], d["household_id"][j]) == h]
    assert expected == walk_order(*(d[c] for c in COLUMNS)).tolist()


def test_walk_order_household_at_first_member():
    """A household whose members live in two rooms sits, whole, at its first member's room."""
    compound = ["C"] * 4
    building = ["1"] * 4
    unit = [""] * 4
    room = ["1201", "302", "502", "302"]
    household = ["a", "b", "c", "a"]
    assert [1, 3, 0, 2] == walk_order(compound, building, unit, room, household).tolist()


@given(d=districts(), k=pool_sizes)
def test_assign_pools_invariants(d, k):
    """On a shuffled roster every invariant holds in walk order and quality agrees."""
    cols = [d[c] for c in COLUMNS]
    a = assign_pools(*cols, pool_size=k)
    w = a.walk
    compound = [d["compound"][i] for i in w]
    household = [d["household_id"][i] for i in w]
    hcodes = {h: j for j, h in enumerate(dict.fromkeys(zip(compound, household, strict=True)))}
    hseq = [hcodes[p] for p in zip(compound, household, strict=True)]
    ccodes = {c: j for j, c in enumerate(dict.fromkeys(compound))}
    failures = tube_invariant_failures(
        [ccodes[c] for c in compound], hseq, a.tube[w].tolist(), a.slot[w].tolist(), a.n_tubes, k
    )
    assert [] == failures
    q = pool_quality(a, d["compound"], d["building"], d["household_id"], k)
    assert (0, 0, a.lower_bound) == (q.split_households, q.cross_compound_tubes, q.lower_bound)
    assert q.max_tube_size <= k


@given(d=districts(), k=pool_sizes, block=st.integers(1, 50), one=st.booleans())
def test_addresses_read_in_blocks_give_the_same_pools(d, k, block, one):
    """Addresses coded a block at a time (campaign new at city scale) give exactly the
    tubes and slots of the whole-column path."""
    cols = [d[c] for c in COLUMNS]
    whole = assign_pools(*cols, pool_size=k, one_tube_per_household=one)
    codes = AddressCodes()
    for start in range(0, len(cols[0]), block):
        codes.add(*(c[start : start + block] for c in cols))
    coded = assign_coded_pools(codes, pool_size=k, one_tube_per_household=one)
    assert whole.tube.tolist() == coded.tube.tolist()
    assert whole.slot.tolist() == coded.slot.tolist()
    assert (whole.n_tubes, whole.single_building_share) == (coded.n_tubes, coded.single_building_share)


@given(d=districts(), k=pool_sizes)
def test_one_tube_per_household_on_roster(d, k):
    """1户1管 gives each household ceil(size / K) tubes of its own."""
    a = assign_pools(*(d[c] for c in COLUMNS), pool_size=k, one_tube_per_household=True)
    _, sizes = np.unique(np.array(d["household_id"]), return_counts=True)
    assert int(sum(-(-s // k) for s in sizes)) == a.n_tubes


def test_district_quality():
    """A district-shaped roster meets docs/numbers.md: ratio <= 1.005, >= 95% one-building tubes."""
    codes = district_like_codes(np.random.default_rng(7), 38)
    strings = {
        "compound": np.char.add("C", codes["compound"].astype(str)),
        "building": codes["building"].astype(str),
        "unit": codes["unit"].astype(str),
        "room": codes["room"].astype(str),
        "household_id": np.char.add("H", codes["household"].astype(str)),
    }
    cols = [strings[c] for c in COLUMNS]
    a = assign_pools(*cols)
    q = pool_quality(a, strings["compound"], strings["building"], strings["household_id"], 10)
    assert (0, 0) == (q.split_households, q.cross_compound_tubes)
    assert q.ratio <= 1.005
    assert q.single_building_share >= 0.95


def test_pool_quality_counts_a_split_household():
    """pool_quality reports a household of two put in two tubes, and a tube crossing buildings."""
    a = assign_pools(["C"] * 3, ["1", "1", "2"], [""] * 3, ["1", "2", "3"], ["a", "a", "b"])
    broken = type(a)(
        tube=np.array([0, 1, 1], np.int32),
        slot=np.array([1, 1, 2], np.int16),
        n_tubes=2,
        lower_bound=1,
        walk=a.walk,
    )
    q = pool_quality(broken, ["C"] * 3, ["1", "1", "2"], ["a", "a", "b"], 10)
    assert (1, 0.5, 2.0) == (q.split_households, q.single_building_share, q.ratio)


def test_columns_of_different_lengths_are_refused():
    """Columns of unequal length raise ValueError instead of misassigning."""
    with pytest.raises(ValueError):
        walk_order(["C", "C"], ["1"], ["", ""], ["1", "2"], ["a", "b"])


@pytest.mark.parametrize("building_size", [20, 60, 100, 200])
def test_tube_count_within_bound_for_larger_households(building_size: int) -> None:
    """Households of 1-6 (mean 2.4) in buildings of 20-200: tubes stay within 1.005 of the bound."""
    rng = np.random.default_rng(building_size)
    comp: list[str] = []
    bld: list[str] = []
    room: list[str] = []
    hh: list[str] = []
    h = 0
    for c in range(10):
        for b in range(2600 // building_size):
            n = 0
            while n < building_size:
                size = int(rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6]))
                comp += [f"C{c}"] * size
                bld += [str(b + 1)] * size
                room += [str(101 + h % 20)] * size
                hh += [f"H{h}"] * size
                n += size
                h += 1
    a = assign_pools(comp, bld, [""] * len(comp), room, hh, pool_size=10)
    q = pool_quality(a, comp, bld, hh, 10)
    assert 0 == q.split_households
    assert q.ratio <= 1.005, (q.tubes, q.lower_bound)
