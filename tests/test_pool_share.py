"""The campaign's single-building share (computed from walk order) equals the
independent measure of ``pool_quality``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from poolab.field.pools import assign_pools, pool_quality
from tests.strategies import districts, pool_sizes


@given(districts(), pool_sizes, st.booleans())
def test_share_matches_pool_quality(district: dict[str, list[str]], k: int, one: bool) -> None:
    """Two ways of counting tubes that stay inside one building agree."""
    a = assign_pools(
        district["compound"], district["building"], district["unit"], district["room"], district["household_id"],
        pool_size=k, one_tube_per_household=one,
    )  # fmt: skip
    q = pool_quality(a, district["compound"], district["building"], district["household_id"], k)
    assert q.single_building_share == a.single_building_share
    assert q.lower_bound == a.lower_bound
