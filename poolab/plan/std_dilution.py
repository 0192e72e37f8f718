"""The shifted transversal design std:Q-K-G under dilution: exact for G = 1, and within a
proven bound for G >= 2.

The model is the simulator's (``exact_dilution.py``): each positive carries one
concentration x (limit units), a pool of s people is detectable when its positives' x add
up to at least s, and a detectable pool tests positive with the stage's Se, any other with
1 - Sp. A person is a candidate, confirmed alone (detectable alone when x >= 1), when all K
of its pools test positive: pool j (of s_j people) with ``π(d) = (1 - Sp1) + β·d``,
β = Se1 + Sp1 - 1. Everything below is given the person's own x (0 when not infected), and
then summed over its law on a lattice (``concentration.focal``).

**G = 1.** Two people share at most one pool, so the other members of a person's K pools are
disjoint and the pools are independent given x:
``P(candidate | x) = Π_j ρ_j(x)``, ``ρ_j(x) = E[π(x + S_{s_j - 1} >= s_j)]`` with S_m the
sum of m members' concentrations (each positive with the prevalence). Exact (to the
lattice's ~1e-6), full blocks and partial ones alike.

**G >= 2.** Some others share two to G of the person's pools (W: in std:7-5-2, 60 of the
180 people it meets) and tie those pools together; the exact figure would need the joint
law of all K pool sums. Two bounds hold instead, whatever the law of x:

* below: each pool's result is an increasing function of independent concentrations, so the
  K results are positively correlated (Harris 1960): ``P >= Π_j ρ_j(x)``; and, keeping
  only the W people strong enough alone (x >= s, they make every pool they are in
  detectable) and nobody else of W, the covering sum below at their rate ``p·P(x >= s)``;
* above: given W's concentrations the rest of each pool is independent of the other pools
  (pool j's others outside W share only pool j). Counting every W positive as making its
  pools detectable can only raise each pool's chance (to Se1), so
  ``P <= Σ_S Se1^(K-|S|)·Π_{j∈S}(γ_j(x) - Se1)·(1-p)^w(S)``, with
  ``γ_j(x) = E[π(x + (pool j's others outside W) >= s_j)]`` and w(S) the W people in
  some pool of S: the covering sum of ``transversal.py`` over W alone.

Each figure (tests, PSe, PSp) is then the midpoint of its interval, with half the width as
its bound (``BlockTotals.slack``); ``plan opchar`` prints the bound beside the figure and
the optimiser leaves out designs whose bound is above 1% of the figure
(``optimize.LOOSE``). The bound is tight where W rarely holds a positive (std:7-5-2 at
p = 0.001: ±4e-6 tests per person) and loose where it often holds several (±0.016 at
p = 0.02); the lattice's ~1e-6 comes on top. With Se1 + Sp1 < 1 (a test worse than a coin)
the pool results fall with concentration and the bounds are Harris's below and the
product of the γ_j above.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt

from poolab.i18n import _
from poolab.plan.blocks import NO_PEOPLE, BlockTotals, NotComputed
from poolab.plan.concentration import ConcentrationLaw, cell, focal
from poolab.plan.lattice import Arr, Lattice, detect, power, tails
from poolab.plan.std_layout import EXACT_BUDGET, layer_pools, sharing, union_sizes

RESOLUTION = 64
"""Lattice cells up to the smallest pool of a block (as ``exact_dilution.RESOLUTION``)."""

Stages = Sequence[float]


class _Pools:
    """Pools of the given sizes on one lattice: each pool's chance to test positive given
    the focal value, for the focal values of the lattice and (last) for a negative focal.

    A value vector has ``n + 3`` entries: the focal positive's lattice values 0..n+1
    (``n + 1`` is above every threshold), then the negative person (value 0, whose ties
    with the others count half, as every other sum)."""

    def __init__(
        self, law: ConcentrationLaw, p: float, sizes: Iterable[int], se1: float, sp1: float, unit: bool = True
    ) -> None:
        wanted = sorted({int(s) for s in sizes})
        small, large = wanted[0], wanted[-1]
        if not unit:  # one size: RESOLUTION steps up to it (a full block)
            self.lattice = Lattice(small / RESOLUTION, RESOLUTION)
        else:  # every size a lattice point: steps of 1/m, at least RESOLUTION up to the smallest
            m = math.ceil(RESOLUTION / small)
            self.lattice = Lattice(1.0 / m, large * m)
        self.law = law
        self.lam = cell(law, p, self.lattice)
        self.me = focal(law, self.lattice)
        self.se1, self.sp1 = se1, sp1
        self._sums: dict[int, Arr] = {}
        self._rho: dict[tuple[int, int], Arr] = {}

    def _sum(self, m: int) -> Arr:
        if m not in self._sums:
            self._sums[m] = power(self.lam, m)
        return self._sums[m]

    def rho(self, others: int, size: int) -> Arr:
        """P(a pool of ``size`` tests positive) when ``others`` of its members besides the
        focal person are drawn as everyone is and the rest hold nothing; per focal value."""
        key = (others, size)
        if key not in self._rho:
            u = self._sum(others)
            k = self.lattice.index(float(size))
            d = np.append(detect(u, k, self.me.tie), tails(u)[k])
            self._rho[key] = (1.0 - self.sp1) + (self.se1 + self.sp1 - 1.0) * d
        return self._rho[key]

    def strong(self, size: int) -> float:
        """P(x >= size) for one positive: enough alone for any pool up to ``size``."""
        return float(self.law.measure(self.lattice, float(size), math.inf).sum())


def _clear(w: npt.ArrayLike, rate: float) -> npt.NDArray[np.longdouble]:
    """``(1 - rate)^w`` in extended precision (1 where w = 0)."""
    ww = np.asarray(w, dtype=np.longdouble)
    log_clear = np.log1p(np.longdouble(-rate)) if rate < 1.0 else np.longdouble(-np.inf)
    return np.where(ww > 0, np.exp(ww * log_clear), np.longdouble(1.0))


def _cover_by_size(k: int, gamma: Arr, se1: float, w: Sequence[int], rates: Sequence[float]) -> list[Arr]:
    """``Σ_s C(K,s)·Se1^(K-s)·(γ - Se1)^s·(1 - rate)^w(s)`` for each rate (every layer
    alike; extended precision: the terms alternate)."""
    g = gamma.astype(np.longdouble)
    base = np.longdouble(se1)
    terms = np.stack([math.comb(k, s) * base ** (k - s) * (g - base) ** s for s in range(k + 1)])
    return [np.asarray(_clear(w, rate) @ terms, dtype=np.float64) for rate in rates]


def _subset_sizes(k: int) -> npt.NDArray[np.int64]:
    """|S| for every mask S of k layers, in mask order."""
    size = np.zeros(1, dtype=np.int64)
    for _layer in range(k):
        size = np.concatenate([size, size + 1])
    return size


def _cover_by_set(gamma: Arr, se1: float, w: npt.NDArray[np.int64], rates: Sequence[float]) -> list[Arr]:
    """``Σ_S Se1^(K-|S|)·Π_{j∈S}(γ_j - Se1)·(1 - rate)^w(S)`` over every set S of layers,
    for each rate (``gamma``: K × values; ``w``: per mask)."""
    k = gamma.shape[0]
    base = np.longdouble(se1)
    prod = np.ones((1, gamma.shape[1]), dtype=np.longdouble)
    for j in range(k):  # masks in order: the second half has bit j
        prod = np.concatenate([prod, prod * (gamma[j].astype(np.longdouble) - base)])
    powers = base ** (k - _subset_sizes(k))
    return [np.asarray((powers * _clear(w, rate)) @ prod, dtype=np.float64) for rate in rates]


def _interval(
    pools: _Pools, sizes: Sequence[int], alone: Sequence[int], cover: Callable[[Arr], list[Arr]] | None
) -> tuple[Arr, Arr]:
    """(below, above) of P(candidate | focal value) for a person whose pool j holds
    ``sizes[j]`` people, ``alone[j]`` of them sharing no other of its pools; ``cover``:
    the covering sums at W's strong rate and at the prevalence, from the γ_j."""
    harris = np.prod([pools.rho(s - 1, s) for s in sizes], axis=0)
    gamma = np.stack([pools.rho(a, s) for a, s in zip(alone, sizes, strict=True)])
    if all(a == s - 1 for a, s in zip(alone, sizes, strict=True)):  # nobody in W: exact
        return harris, harris
    if pools.se1 + pools.sp1 < 1.0:
        return harris, np.prod(gamma, axis=0)
    if cover is None:
        raise ValueError("people sharing two pools need the covering sums")
    strong, anyone = cover(gamma)
    below = np.clip(np.maximum(harris, strong), 0.0, 1.0)
    return below, np.maximum(np.clip(anyone, 0.0, 1.0), below)


def _sums(pools: _Pools, below: Arr, above: Arr, p: float, se: Stages, sp: Stages) -> tuple[Arr, Arr]:
    """Per row of (below, above) (rows × values: one kind of person each, or a sum over
    people): (tests beyond the pools, found, false) at the midpoints, and half the widths."""
    me = pools.me
    out = []
    for c in ((below + above) / 2.0, (above - below) / 2.0):
        pos, neg = c[:, :-1], c[:, -1]
        tests = p * (pos @ (me.lo + me.hi)) + (1.0 - p) * neg
        found = se[1] * (pos @ me.hi) + (1.0 - sp[1]) * (pos @ me.lo)
        out.append(np.stack([tests, found, (1.0 - sp[1]) * neg], axis=1))
    return out[0], out[1]


def _block(people: int, npools: float, mid: Arr, half: Arr) -> BlockTotals:
    """Totals from summed (tests beyond the pools, found, false) and their slack."""
    return BlockTotals(
        people,
        npools + float(mid[0]),
        float(mid[1]),
        float(mid[2]),
        (float(half[0]), float(half[1]), float(half[2])),
    )


def _w_by_size(q: int, k: int, g: int) -> tuple[int, list[int]]:
    """A full block: (others alone in each pool, W people in some pool of a set of s
    layers for s = 0..K), from the MDS counts of ``transversal.union_sizes``."""
    if g == 1 or k <= 1:  # nobody shares two pools
        return q**g - 1, [0] * (k + 1)
    u = union_sizes(q, k, g)
    others = q ** (g + 1) - 1
    within = [others - u[k - m] for m in range(k + 1)]  # shared layers all inside a given m-set
    exactly = [sum((-1) ** (r - t) * math.comb(r, t) * within[t] for t in range(r + 1)) for r in range(k + 1)]
    w = [sum((math.comb(k, r) - math.comb(k - s, r)) * exactly[r] for r in range(2, k + 1)) for s in range(k + 1)]
    return (exactly[1] if k >= 1 else 0), w


def full_blocks(
    q: int, ks: Sequence[int], g: int, p: float, se: Stages, sp: Stages, law: ConcentrationLaw
) -> list[BlockTotals]:
    """Totals of one full block of std:Q-K-G for each K in ``ks`` (one lattice for all)."""
    size, people = q**g, q ** (g + 1)
    pools = _Pools(law, p, [size], se[0], sp[0], unit=False)
    rho = pools.rho(size - 1, size)
    ks = [int(k) for k in ks]
    below = np.empty((len(ks), rho.shape[0]))
    above = np.empty_like(below)
    strong_rate = p * pools.strong(size) if g > 1 else 0.0
    for row, k in enumerate(ks):
        if g == 1 or k <= 1:  # nobody shares two pools: exact
            below[row] = above[row] = rho**k
            continue
        alone, w = _w_by_size(q, k, g)

        def cover(gamma: Arr, k: int = k, w: list[int] = w) -> list[Arr]:
            return _cover_by_size(k, gamma[0], se[0], w, (strong_rate, p))

        below[row], above[row] = _interval(pools, [size] * k, [alone] * k, cover)
    mid, half = _sums(pools, below, above, p, se, sp)
    return [_block(people, k * q, people * m, people * h) for k, m, h in zip(ks, mid, half, strict=True)]


def partial_block(
    q: int, k: int, g: int, r: int, p: float, se: Stages, sp: Stages, law: ConcentrationLaw
) -> BlockTotals:
    """Totals of the first ``r`` people of a block (a partial last block)."""
    pools_of = layer_pools(np.arange(r, dtype=np.int64), q, k, g)
    npools = sum(int(np.unique(layer).shape[0]) for layer in pools_of)
    if g == 1:  # nobody shares two pools: each person's kind is the sizes of its pools
        sizes = np.stack([np.bincount(layer, minlength=q)[layer] for layer in pools_of], axis=1)
        kinds, count = np.unique(sizes, axis=0, return_counts=True)
        pools = _Pools(law, p, kinds.ravel().tolist(), se[0], sp[0])
        value = np.zeros(pools.me.lo.shape[0] + 1)
        for row, c in zip(kinds.tolist(), count.tolist(), strict=True):
            value += c * np.prod([pools.rho(s - 1, s) for s in row], axis=0)
        mid, half = _sums(pools, value[None, :], value[None, :], p, se, sp)
        return _block(r, npools, mid[0], half[0])
    if r * max(r, 1 << k) > EXACT_BUDGET:
        raise NotComputed(
            _(
                "std:{q}-{k}-{g}: a partial block of {r} people in {k} layers is beyond the exact sum's budget; "
                "use poolab simulate for its figures"
            ).format(q=q, k=k, g=g, r=r)
        )
    hist, inverse = sharing(pools_of)
    count = np.bincount(inverse, minlength=hist.shape[0])
    masks = np.arange(1 << k)
    bits = np.array([[(t >> j) & 1 for j in range(k)] for t in masks.tolist()], dtype=np.int64)  # 2^K × K
    in_w = bits.sum(axis=1) >= 2
    sizes = 1 + hist @ bits  # kinds × K
    if hist.shape[0] * (1 << k) * (int(sizes.max()) * RESOLUTION) > 16 * EXACT_BUDGET:
        raise NotComputed(
            _(
                "std:{q}-{k}-{g}: a partial block of {r} people under dilution is beyond the bounds' budget; "
                "use poolab simulate for its figures"
            ).format(q=q, k=k, g=g, r=r)
        )
    pools = _Pools(law, p, sizes.ravel().tolist(), se[0], sp[0])
    strong_rate = p * pools.strong(int(sizes.max()))
    full = (1 << k) - 1
    below = np.zeros(pools.me.lo.shape[0] + 1)
    above = np.zeros_like(below)
    for kind in range(hist.shape[0]):
        w_hist = np.where(in_w, hist[kind], 0).astype(np.float64)
        zeta = w_hist.copy()  # zeta[A]: W people whose shared layers all lie in A
        for j in range(k):
            with_bit = np.flatnonzero(masks & (1 << j))
            zeta[with_bit] += zeta[with_bit ^ (1 << j)]
        w = np.rint(w_hist.sum() - zeta[full ^ masks]).astype(np.int64)  # W people in some pool of S

        def cover(gamma: Arr, w: npt.NDArray[np.int64] = w) -> list[Arr]:
            return _cover_by_set(gamma, se[0], w, (strong_rate, p))

        alone = [int(hist[kind, 1 << j]) for j in range(k)]
        lo, hi = _interval(pools, sizes[kind].tolist(), alone, cover)
        below += count[kind] * lo
        above += count[kind] * hi
    mid, half = _sums(pools, below[None, :], above[None, :], p, se, sp)
    return _block(r, npools, mid[0], half[0])


def layout_totals(
    q: int, k: int, g: int, n: int, p: float, se: Stages, sp: Stages, law: ConcentrationLaw
) -> BlockTotals:
    """std:Q-K-G laid out on ``n`` people: whole blocks, then the partial one."""
    block = q ** (g + 1)
    whole, rest = divmod(n, block)
    out = full_blocks(q, [k], g, p, se, sp, law)[0].times(whole) if whole else NO_PEOPLE
    return out + partial_block(q, k, g, rest, p, se, sp, law) if rest else out


def g1_layouts(q: int, n: int, p: float, se: Stages, sp: Stages, law: ConcentrationLaw) -> list[BlockTotals]:
    """std:Q-K on ``n`` people for every K = 1..Q at once (the optimiser's search), exact.

    A partial block of r = a·Q + b people has pools of a or a + 1 in every layer (layer j
    holds, for each of the a full rows of the block, one person per pool, and b more in b
    pools), so a person's candidate chance for the first K layers depends only on how many
    of them put it in a pool of a + 1: counted layer by layer, one layer in memory at a time."""
    block = q * q
    whole, rest = divmod(n, block)
    ks = range(1, q + 1)
    out = [t.times(whole) for t in full_blocks(q, ks, 1, p, se, sp, law)] if whole else [NO_PEOPLE] * q
    if not rest:
        return out
    a = rest // q
    small = max(a, 1)
    pools = _Pools(law, p, [small, a + 1], se[0], sp[0])
    rho_small, rho_big = pools.rho(small - 1, small), pools.rho(a, a + 1)
    i = np.arange(rest, dtype=np.int64)
    low, high = i % q, i // q
    big_so_far = np.zeros(rest, dtype=np.int64)
    npools = np.zeros(q)
    values = np.empty((q, rho_small.shape[0]))
    for k in ks:
        layer = (low + high * (k - 1)) % q
        sizes = np.bincount(layer, minlength=q)
        npools[k - 1] = (npools[k - 2] if k > 1 else 0.0) + np.count_nonzero(sizes)
        mine = sizes[layer]
        if a + 1 != small:
            if int(mine.min()) < small or int(mine.max()) > a + 1:
                raise AssertionError(f"std:{q}-{k}: a partial block of {rest} has pools other than {a} and {a + 1}")
            big_so_far += mine == a + 1
        counts = np.bincount(big_so_far, minlength=k + 1)
        c = np.flatnonzero(counts)
        values[k - 1] = counts[c] @ (rho_big[None, :] ** c[:, None] * rho_small[None, :] ** (k - c)[:, None])
    mid, half = _sums(pools, values, values, p, se, sp)
    return [o + _block(rest, float(npools[k - 1]), mid[k - 1], half[k - 1]) for k, o in zip(ks, out, strict=True)]
