"""Pool assignment kernel: warm time at district (97,488) and city (10,000,000) scale.

Run from the repository root: ``.venv/bin/python benchmarks/bench_assign.py [--walk-size N]``.
Beside the kernel: a raw numpy baseline (``arange // K`` chunking of the same sorted
residents: no households, compounds or buildings respected) and, at district scale, the
pure-Python twin of the same rule (tests/naive.py). walk_order (string factorisation and
natural sort) is timed separately; input generation is never timed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from poolab.field.pools import walk_order
from poolab.kernels.assign import assign_tubes
from tests.naive import assign_tubes_naive
from tests.strategies import district_like_codes

K = 10


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def roster(n: int, seed: int) -> dict[str, np.ndarray]:
    """First ``n`` residents of a district-shaped roster (integer codes, walk order)."""
    n_compounds = max(1, round(n / 2565))  # the seed district: 97,488 residents, 38 compounds
    per_compound = int(np.ceil(n / n_compounds / 1.70))  # a little more than needed, then cut
    codes = district_like_codes(np.random.default_rng(seed), n_compounds, per_compound)
    assert codes["compound"].size >= n, "generator produced too few residents"
    return {k: v[:n] for k, v in codes.items()}


def one_building_share(tube: np.ndarray, building: np.ndarray, n_tubes: int) -> float:
    """Share of tubes whose members share one building code."""
    order = np.argsort(tube, kind="stable")
    t, b = tube[order], building[order]
    mixed = (t[1:] == t[:-1]) & (b[1:] != b[:-1])
    return 1 - np.unique(t[1:][mixed]).size / n_tubes


def strings(codes: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The roster as string columns, shuffled, for walk_order."""
    perm = np.random.default_rng(0).permutation(codes["compound"].size)
    return [
        np.char.add("C", codes["compound"][perm].astype(str)),
        codes["building"][perm].astype(str),
        codes["unit"][perm].astype(str),
        codes["room"][perm].astype(str),
        np.char.add("H", codes["household"][perm].astype(str)),
    ]


def bench(n: int, repeat: int, naive: bool, walk: bool) -> None:
    codes = roster(n, seed=1)
    c, b, h = codes["compound"], codes["building"], codes["household"]
    res = assign_tubes(c, b, h, pool_size=K)  # warm (and the numba cache)
    assign_tubes(c, b, h, pool_size=K, one_tube_per_household=True)
    rows: list[tuple[str, float, str]] = []
    t = best_of(lambda: assign_tubes(c, b, h, pool_size=K, check_contiguous=False), repeat)
    share = one_building_share(res.tube, b, res.n_tubes)
    quality = (
        f"tubes {res.n_tubes} / bound {res.lower_bound} = {res.n_tubes / res.lower_bound:.4f}; one building {share:.2%}"
    )
    rows.append(("kernel, 10-in-1", t, quality))
    t = best_of(lambda: assign_tubes(c, b, h, pool_size=K), repeat)
    rows.append(("kernel + contiguity check", t, ""))
    one = assign_tubes(c, b, h, pool_size=K, one_tube_per_household=True)
    t = best_of(lambda: assign_tubes(c, b, h, pool_size=K, one_tube_per_household=True), repeat)
    rows.append(("kernel, one tube per household", t, f"tubes {one.n_tubes}"))
    t = best_of(lambda: np.arange(n, dtype=np.int32) // K, repeat)
    rows.append(("baseline: numpy arange // K", t, f"tubes {-(-n // K)} (ignores households)"))
    if naive:
        cl, bl, hl = c.tolist(), b.tolist(), h.tolist()
        t = best_of(lambda: assign_tubes_naive(cl, bl, hl, K), 1)
        same = assign_tubes_naive(cl, bl, hl, K)[0] == res.tube.tolist()
        rows.append(("baseline: pure-Python twin", t, "same tubes" if same else "DIFFERENT TUBES"))
    if walk:
        cols = strings(codes)
        t = best_of(lambda: walk_order(*cols), 1 if n > 1_000_000 else repeat)
        rows.append(("walk_order (strings -> permutation)", t, ""))
    print(f"\n{n:,} residents, {int(h.max()) + 1:,} households, {int(c.max()) + 1:,} compounds")
    for name, sec, note in rows:
        print(f"  {name:<38} {sec * 1e3:10.2f} ms  {note}")


def seed_district() -> None:
    """assign_pools end to end (strings in, tubes out) on the seed district of rosterdemo."""
    from poolab.field.pools import assign_pools, pool_quality
    from poolab.roster.synthetic import generate_district

    cols = generate_district().columns()
    args = [np.array(cols[k]) for k in ("compound", "building", "unit", "room", "household_id")]
    assign_pools(*args)
    t = best_of(lambda: assign_pools(*args), 5)
    q = pool_quality(assign_pools(*args), args[0], args[1], args[4], K)
    print(f"\nseed district (poolab.roster.synthetic, {args[0].size:,} residents)")
    print(
        f"  {'assign_pools (walk order + kernel)':<38} {t * 1e3:10.2f} ms  tubes {q.tubes} /"
        f" bound {q.lower_bound} = {q.ratio:.4f}; one building {q.single_building_share:.2%};"
        f" split households {q.split_households}"
    )


def one_huge_building() -> None:
    """The worst shape found for step 2's repairs: one building of 20,000 households of 3, 4,
    6 or 7 people (walk-order packing strands many; the exchange tries a bounded number of
    tubes, so this stays milliseconds)."""
    sizes = np.random.default_rng(0).choice([3, 4, 6, 7], size=20_000)
    hh = np.repeat(np.arange(sizes.size), sizes)
    zeros = np.zeros_like(hh)
    print(f"\none building, {sizes.size:,} households of 3, 4, 6 or 7 ({hh.size:,} residents)")
    for window in (64, 0):
        res = assign_tubes(zeros, zeros, hh, pool_size=K, lookahead=window)
        t = best_of(lambda w=window: assign_tubes(zeros, zeros, hh, pool_size=K, lookahead=w), 5)
        name = f"kernel, lookahead {window}"
        print(f"  {name:<38} {t * 1e3:10.2f} ms  tubes {res.n_tubes} / bound {res.lower_bound}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--walk-size", type=int, default=0, help="also time walk_order at N")
    args = parser.parse_args()
    bench(97_488, repeat=20, naive=True, walk=True)
    seed_district()
    one_huge_building()
    bench(10_000_000, repeat=3, naive=False, walk=False)
    if args.walk_size:
        codes = roster(args.walk_size, seed=2)
        cols = strings(codes)
        t = best_of(lambda: walk_order(*cols), 1)
        print(f"\nwalk_order at {args.walk_size:,} residents: {t * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
