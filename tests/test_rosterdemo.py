"""The synthetic district: exact counts, valid IDs, sane shape, determinism by seed."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poolab.roster.file import read_roster, validate_roster
from poolab.roster.idnumber import valid_id_numbers
from poolab.roster.synthetic import compound_names, generate_district, household_sizes, write_district_csv
from tests.budget import share


@pytest.fixture(scope="module")
def district():
    return generate_district()


def test_default_counts(district):
    """The default district has exactly the seed district's counts."""
    assert 97488 == len(district)
    assert 58937 == len(set(district.household_id))
    assert 38 == len(set(district.compound))
    assert len(district) == len(set(district.resident_id))


def test_default_is_a_valid_roster(district):
    """The default district passes every roster check; ID numbers are of district 230102."""
    assert [] == validate_roster(district)
    given = [v for v in district.id_number if v]
    assert valid_id_numbers(given).all()
    assert {"230102"} == {v[:6] for v in given}
    assert len(given) == len(set(given))  # no two residents share an ID number
    assert 0.98 < len(given) / len(district)  # a few foreigners and unknowns lack one


def test_household_sizes_shape(district):
    """Mostly one- or two-person households, some of 3-6, a few dormitories of 11-30."""
    sizes = np.array(list(Counter(district.household_id).values()))
    assert 0.75 < np.mean(sizes <= 2)
    assert 0.05 < np.mean((sizes >= 3) & (sizes <= 6))
    dorms = sizes[sizes > 10]
    assert 5 <= dorms.size < 100
    assert 30 >= dorms.max()
    assert not ((sizes > 6) & (sizes <= 10)).any()


def test_walk_order_and_addresses(district):
    """Households are contiguous, ids follow walk order, compounds hold whole households."""
    hh = np.array([int(h[1:]) for h in district.household_id])
    assert (np.diff(hh) >= 0).all()  # H000001, ... in walk order, members together
    assert "R0000001" == district.resident_id[0] and "R0097488" == district.resident_id[-1]
    compound_of: dict[str, str] = {}
    for h, c in zip(district.household_id, district.compound, strict=True):
        assert c == compound_of.setdefault(h, c)
    buildings = np.array(list(Counter(zip(district.compound, district.building, strict=True)).values()))
    assert 50 <= np.median(buildings) <= 300
    assert all(r.isdigit() and len(r) in (3, 4) for r in set(district.room))
    assert "" in set(district.unit) and "" in set(district.phone)
    assert all(len(p) == 11 and p[0] == "1" and p[1] in "3456789" for p in district.phone if p)


def test_compound_sizes_vary(district):
    """Compounds differ in size (not an even split)."""
    sizes = np.array(list(Counter(district.compound).values()))
    assert sizes.max() > 2 * sizes.min()


def test_same_seed_same_district():
    """The same seed gives the same district; another seed a different one."""
    a = generate_district(3000, 1800, 5, seed=7)
    assert a == generate_district(3000, 1800, 5, seed=7)
    assert a != generate_district(3000, 1800, 5, seed=8)


@settings(max_examples=share(0.5))  # each example generates a synthetic district
@given(
    st.integers(1, 8).flatmap(
        lambda c: st.tuples(
            st.just(c), st.integers(c, 400).flatmap(lambda h: st.tuples(st.just(h), st.integers(h, 3 * h + 50)))
        )
    ),
    st.integers(0, 2**32 - 1),
)
def test_exact_counts_for_any_size(shape, seed):
    """Any feasible (compounds, households, residents) is met exactly, as a valid roster."""
    compounds, (households, residents) = shape
    roster = generate_district(residents, households, compounds, seed=seed)
    assert residents == len(roster)
    assert households == len(set(roster.household_id))
    assert compounds == len(set(roster.compound))
    assert [] == validate_roster(roster)


@settings(max_examples=share(0.5))  # each example generates a synthetic district
@given(st.integers(1, 500).flatmap(lambda h: st.tuples(st.just(h), st.integers(h, 40 * h))), st.integers(0, 1000))
def test_household_sizes_sum(shape, seed):
    """household_sizes returns exactly the households asked for, summing to the residents."""
    households, residents = shape
    sizes = household_sizes(residents, households, np.random.default_rng(seed))
    assert (households, residents) == (sizes.size, int(sizes.sum()))
    assert (sizes >= 1).all()


def test_compound_names_unique_beyond_the_list():
    """Compound names stay unique even when more are asked for than prefix x suffix pairs."""
    names = compound_names(700, np.random.default_rng(0))
    assert 700 == len(set(names))


def test_impossible_counts_refused():
    """Fewer residents than households, or more compounds than households, is an error."""
    with pytest.raises(ValueError):
        generate_district(10, 11, 1)
    with pytest.raises(ValueError):
        generate_district(10, 5, 6)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_written_district_reads_back(tmp_path, encoding):
    """A generated district written as CSV reads back as the same roster."""
    path = tmp_path / "district.csv"
    roster = write_district_csv(path, encoding, residents=2000, households=1200, compounds=4)
    assert roster == read_roster(path)


@settings(max_examples=10, deadline=None)
@given(
    residents=st.integers(1, 3000),
    block=st.integers(1, 1200),
    seed=st.integers(0, 50),
    home_visits=st.booleans(),
)
def test_written_block_by_block_is_the_whole_district(
    residents: int, block: int, seed: int, home_visits: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``roster demo`` turns the city into text a block at a time: the file is byte for
    byte the district ``generate_district`` builds whole, written at once."""
    import poolab.roster.synthetic as synthetic
    from poolab.roster.file import write_roster_csv

    households = max(1, residents * 3 // 5)
    compounds = min(households, 1 + seed % 7)
    folder = tmp_path_factory.mktemp("blocks")
    whole = generate_district(residents, households, compounds, seed, home_visits=home_visits)
    write_roster_csv(whole, folder / "whole.csv")
    saved = synthetic.BLOCK_RESIDENTS
    synthetic.BLOCK_RESIDENTS = block
    try:
        n = synthetic.write_district(
            folder / "blocks.csv",
            residents=residents,
            households=households,
            compounds=compounds,
            seed=seed,
            home_visits=home_visits,
        )
    finally:
        synthetic.BLOCK_RESIDENTS = saved
    assert n == residents
    assert (folder / "blocks.csv").read_bytes() == (folder / "whole.csv").read_bytes()
