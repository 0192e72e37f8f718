"""Hypothesis strategies: the one home for all of them (one section per area)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

# --- districts and pool assignment (poolab.pools, poolab.kernels.assign) -----------------

household_sizes = st.one_of(st.integers(1, 3), st.integers(1, 25))
"""Mostly small households, sometimes one larger than any pool size in use."""

pool_sizes = st.integers(1, 12)


@st.composite
def walk_codes(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer (compound, building, household) codes of residents already in walk order."""
    comp: list[int] = []
    bldg: list[int] = []
    hh: list[int] = []
    n_households = 0
    for c in range(draw(st.integers(1, 4))):
        for b in range(draw(st.integers(1, 4))):
            for size in draw(st.lists(household_sizes, min_size=1, max_size=12)):
                comp += [c] * size
                bldg += [b] * size
                hh += [n_households] * size
                n_households += 1
    return (np.array(comp, np.int64), np.array(bldg, np.int64), np.array(hh, np.int64))


@st.composite
def districts(draw: st.DrawFn) -> dict[str, list[str]]:
    """A small district roster (compound, building, unit, room, household_id), shuffled.

    1..4 compounds, a few buildings each, households of 1..25 people; unit may be empty;
    rooms such as "302" and "1201" so that only a natural sort gets the walk order right.
    """
    rows: list[tuple[str, str, str, str, str]] = []
    n_households = 0
    compounds = draw(st.lists(st.sampled_from("ABCDEFG"), min_size=1, max_size=4, unique=True))
    for c in compounds:
        buildings = draw(st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True))
        for b in buildings:
            for size in draw(st.lists(household_sizes, min_size=1, max_size=10)):
                unit = draw(st.sampled_from(["", "1", "2", "10"]))
                room = str(draw(st.integers(1, 12)) * 100 + draw(st.integers(1, 4)))
                hid = f"H{n_households:04d}"
                n_households += 1
                for _ in range(size):
                    rows.append((f"Compound {c}", str(b), unit, room, hid))
    rng: Any = draw(st.randoms(use_true_random=False))
    rng.shuffle(rows)
    cols = list(zip(*rows, strict=True))
    keys = ("compound", "building", "unit", "room", "household_id")
    return {k: list(col) for k, col in zip(keys, cols, strict=True)}
