"""The shifted transversal design's layout (Thierry-Mieg 2006): which pool of each layer a
person of a block is in, and how many others share pools with a person (the counts both the
plain operating characteristics, ``transversal``, and those under dilution,
``std_dilution``, are summed over)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

EXACT_BUDGET = 2**22
"""Largest people × 2^K (and people²) the exact sum of a partial block with G >= 2 takes
(about a second)."""


def layer_pools(offsets: npt.NDArray[np.int64], q: int, k: int, g: int) -> npt.NDArray[np.int64]:
    """int64[k, len(offsets)]: the pool (0..q-1) of each block offset in each layer,
    ``Σ_c digit_c·j^c mod q`` evaluated by Horner's rule (no power overflows)."""
    digits = [(offsets // q**c) % q for c in range(g + 1)]
    out = np.empty((k, offsets.shape[0]), dtype=np.int64)
    for j in range(k):
        value = np.zeros(offsets.shape[0], dtype=np.int64)
        for c in range(g, -1, -1):
            value = (value * j + digits[c]) % q
        out[j] = value
    return out


def union_sizes(q: int, k: int, g: int) -> list[int]:
    """u(s), s = 0..k: the other people of a full block sharing a pool with a person in
    some one of s given layers (see the module docstring)."""
    out = [0]
    for s in range(1, k + 1):
        no_root = sum((-1) ** t * math.comb(s, t) * q ** max(g + 1 - t, 0) for t in range(s + 1))
        out.append(q ** (g + 1) - 1 - no_root)  # the nonzero differences with a root in S
    return out


def sharing(pools: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(rows, inverse): ``rows[m, t]`` is how many others share with a person of kind m
    exactly the layers of mask t (bit j: layer j), one row per distinct kind of person;
    ``inverse[i]`` is person i's kind. Costs people² · K: callers keep to ``EXACT_BUDGET``."""
    k, r = pools.shape
    # hist[i, t]: how many others share with person i exactly the layers of mask t
    hist = np.empty((r, 1 << k), dtype=np.int64)
    step = max(1, EXACT_BUDGET // max(r, 1) // 4)
    for lo in range(0, r, step):
        hi = min(lo + step, r)
        masks = np.zeros((hi - lo, r), dtype=np.int64)
        for j in range(k):
            masks |= (pools[j, lo:hi, None] == pools[j, None, :]).astype(np.int64) << j
        masks += (np.arange(hi - lo, dtype=np.int64) << k)[:, None]  # row offsets for one bincount
        masks[np.arange(hi - lo), np.arange(lo, hi)] = -1  # the person itself is not an other
        flat = masks[masks >= 0]
        hist[lo:hi] = np.bincount(flat, minlength=(hi - lo) << k).reshape(hi - lo, 1 << k)
    rows, inverse = np.unique(hist, axis=0, return_inverse=True)
    return rows, np.asarray(inverse).reshape(-1)
