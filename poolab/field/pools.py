"""Residents into pooled tubes, in the order a sampling team walks.

Strings (compound, building, unit, room, household) become integer codes here, in natural
order ("2" before "10"); the kernel in :mod:`poolab.kernels.assign` sees only those codes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs
import numpy as np
import numpy.typing as npt

from poolab.kernels.assign import assign_tubes, tubes_lower_bound

StrColumn = Sequence[str] | npt.NDArray[np.str_] | npt.NDArray[np.object_]
IntArray = npt.NDArray[np.int64]

_DIGITS = re.compile(r"(\d+)")


@attrs.frozen(slots=True)
class PoolAssignment:
    """Where each resident goes; arrays are in the caller's (input) order of residents."""

    tube: npt.NDArray[np.int32]
    """Tube index 0..n_tubes-1; tubes are numbered in walk order of their first member."""
    slot: npt.NDArray[np.int16]
    """Position 1..pool size inside the tube, in walk order."""
    n_tubes: int
    lower_bound: int
    """``tubes_lower_bound`` of the compounds: sum over compounds of ceil(residents / pool size)."""
    walk: npt.NDArray[np.int64]
    """The walk-order permutation used (``walk[k]`` is the input index of the k-th resident)."""
    single_building_share: float = 1.0
    """Share of tubes whose members live in one building of one compound."""


@attrs.frozen(slots=True)
class PoolQuality:
    """How good an assignment is; the numbers docs/numbers.md asks for."""

    tubes: int
    lower_bound: int
    ratio: float
    """tubes / lower_bound (1.0 for an empty roster)."""
    single_building_share: float
    """Share of tubes whose members all live in one building of one compound."""
    split_households: int
    """Households of at most pool size found in more than one tube (must be 0)."""
    cross_compound_tubes: int
    max_tube_size: int


def natural_key(text: str) -> tuple[tuple[tuple[int, int, str], ...], str]:
    """Sort key putting "2" before "10" and "302" before "1201"; ties broken by the text."""
    parts: list[tuple[int, int, str]] = []
    for k, piece in enumerate(_DIGITS.split(text.strip())):
        if k % 2:
            parts.append((0, int(piece), ""))
        elif piece:
            parts.append((1, 0, piece.casefold()))
    return tuple(parts), text


def _str_array(name: str, values: StrColumn) -> npt.NDArray[np.str_]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind == "O":
        arr = np.array(["" if v is None else str(v) for v in arr.tolist()], dtype=str)
    elif arr.dtype.kind != "U":
        arr = arr.astype(str)
    return arr


def _factorise(name: str, values: StrColumn) -> tuple[npt.NDArray[np.int64], list[str]]:
    """(code per value, distinct values in first-seen order). A dict is 2-3 times faster
    than ``np.unique`` on strings: hashing, no string sort."""
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {values.shape}")
        items = values.tolist()
    else:
        items = list(values)
    seen: dict[object, int] = {}
    first = seen.setdefault
    codes = np.array([first(v, len(seen)) for v in items], dtype=np.int64)
    distinct = ["" if v is None else str(v) for v in seen]
    if len(set(distinct)) != len(distinct):  # None and "" (or 1 and "1"): merge by text
        return _factorise(name, [("" if v is None else str(v)) for v in items])
    return codes, distinct


def natural_codes(name: str, values: StrColumn) -> npt.NDArray[np.int64]:
    """Integer code per value whose order is the natural order of the strings."""
    inverse, uniq = _factorise(name, values)
    keys = [natural_key(u) for u in uniq]
    rank = np.empty(len(keys), np.int64)
    rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return rank[inverse] if inverse.size else inverse


def _household_codes(comp: npt.NDArray[np.int64], household_id: StrColumn) -> npt.NDArray[np.int64]:
    """Compact codes of (compound, household_id): one household never spans two compounds."""
    hc, _ = _factorise("household_id", household_id)
    return _per_compound(comp, hc)


def _per_compound(comp: npt.NDArray[np.int64], hc: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Compact codes of (compound, household code ``hc``, compact itself)."""
    if hc.size == 0:
        return hc
    lo = np.full(hc.max() + 1, np.iinfo(np.int64).max)
    hi = np.full(hc.max() + 1, -1)
    np.minimum.at(lo, hc, comp)
    np.maximum.at(hi, hc, comp)
    if np.array_equal(lo, hi):  # the usual case: household ids are unique across compounds
        return hc
    _, pair = np.unique(comp * (hc.max() + 1) + hc, return_inverse=True)
    return pair.reshape(-1).astype(np.int64)


def _stable_order(keys: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    """Stable lexicographic order (most significant key first): one int64 key when it fits."""
    spans = [int(k.max()) + 1 if k.size else 1 for k in keys]
    if np.prod(np.array(spans, dtype=np.float64)) < 2.0**62:
        combined = np.zeros(keys[0].shape, np.int64)
        for k, span in zip(keys, spans, strict=True):
            combined = combined * span + k
        return np.argsort(combined, kind="stable").astype(np.int64)
    return np.lexsort(keys[::-1]).astype(np.int64)


def _walk(
    compound: StrColumn,
    building: StrColumn,
    unit: StrColumn,
    room: StrColumn,
    household_id: StrColumn,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(walk order, compound codes, building codes, household codes), codes in input order."""
    cc = natural_codes("compound", compound)
    bc = natural_codes("building", building)
    uc = natural_codes("unit", unit)
    rc = natural_codes("room", room)
    n = cc.shape[0]
    for name, arr in (("building", bc), ("unit", uc), ("room", rc)):
        if arr.shape[0] != n:
            raise ValueError(f"{name} has {arr.shape[0]} values, compound has {n}")
    hc = _household_codes(cc, household_id)
    if hc.shape[0] != n:
        raise ValueError(f"household_id has {hc.shape[0]} values, compound has {n}")
    return _walk_codes(cc, bc, uc, rc, hc)


def _walk_codes(
    cc: IntArray, bc: IntArray, uc: IntArray, rc: IntArray, hc: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """``_walk`` on integer codes (natural order already in the codes of cc, bc, uc, rc)."""
    n = cc.shape[0]
    order0 = _stable_order([cc, bc, uc, rc])
    del uc, rc  # only the order needs them (a city's 160 MB)
    pos = np.empty(n, np.int64)
    pos[order0] = np.arange(n)
    first = np.full(int(hc.max()) + 1 if n else 0, n, np.int64)
    np.minimum.at(first, hc, pos)
    # A household sits at its first member's place; inside it, members keep walk order.
    order = np.argsort(first[hc] * max(n, 1) + pos, kind="stable").astype(np.int64)
    return order, cc, bc, hc


def walk_order(
    compound: StrColumn,
    building: StrColumn,
    unit: StrColumn,
    room: StrColumn,
    household_id: StrColumn,
) -> npt.NDArray[np.int64]:
    """Permutation of residents in walk order: compound, building, unit, room (natural order).

    A household's residents are contiguous, at the place of its first member; ties keep
    input order.
    """
    return _walk(compound, building, unit, room, household_id)[0]


def assign_pools(
    compound: StrColumn,
    building: StrColumn,
    unit: StrColumn,
    room: StrColumn,
    household_id: StrColumn,
    *,
    pool_size: int = 10,
    one_tube_per_household: bool = False,
    lookahead: int = 64,
) -> PoolAssignment:
    """Assign residents to tubes of at most ``pool_size`` (see :mod:`poolab.kernels.assign`)."""
    walk = _walk(compound, building, unit, room, household_id)
    return _assign(*walk, pool_size=pool_size, one_tube_per_household=one_tube_per_household, lookahead=lookahead)


def assign_coded_pools(
    codes: AddressCodes, *, pool_size: int = 10, one_tube_per_household: bool = False, lookahead: int = 64
) -> PoolAssignment:
    """``assign_pools`` of addresses read a block at a time into ``codes``."""
    walk = _walk_codes(*codes.codes())
    return _assign(*walk, pool_size=pool_size, one_tube_per_household=one_tube_per_household, lookahead=lookahead)


def _assign(
    order: IntArray,
    cc: IntArray,
    bc: IntArray,
    hc: IntArray,
    *,
    pool_size: int,
    one_tube_per_household: bool,
    lookahead: int,
) -> PoolAssignment:
    res = assign_tubes(
        cc[order],
        bc[order],
        hc[order],
        pool_size=pool_size,
        one_tube_per_household=one_tube_per_household,
        lookahead=lookahead,
        check_contiguous=False,
    )
    tube = np.empty_like(res.tube)
    slot = np.empty_like(res.slot)
    tube[order] = res.tube
    slot[order] = res.slot
    # Walk order keeps a building's residents together, so a tube crosses buildings
    # exactly when its first and last member (in walk order) live in different ones.
    place = (cc * (int(bc.max()) + 1 if bc.size else 1) + bc)[order]
    tubes_w = res.tube.astype(np.int64)
    first = np.full(res.n_tubes, -1, np.int64)
    last = np.full(res.n_tubes, -1, np.int64)
    first[tubes_w[::-1]] = place[::-1]  # the last write wins: the first member
    last[tubes_w] = place
    crossing = int(np.count_nonzero(first != last))
    share = (res.n_tubes - crossing) / res.n_tubes if res.n_tubes else 1.0
    return PoolAssignment(
        tube=tube,
        slot=slot,
        n_tubes=res.n_tubes,
        lower_bound=res.lower_bound,
        walk=order,
        single_building_share=share,
    )


@attrs.frozen(slots=True)
class GroupedAssignment:
    """Residents in tubes when groups never share a tube (home visits, a round's single
    tubes, risk buildings' smaller pools); arrays in the caller's order of residents."""

    tube: npt.NDArray[np.int32]
    """Tube index 0..n_tubes-1 (walk order of each tube's first member); -1 for a resident not sampled."""
    slot: npt.NDArray[np.int16]
    """Position 1..pool size inside the tube, in walk order; 0 for a resident not sampled."""
    n_tubes: int
    tube_group: npt.NDArray[np.int64]
    """The group of each tube."""
    lower_bound: int
    """Sum over groups and compounds of ceil(residents / the group's pool size)."""
    single_building_share: float


def assign_coded_groups(
    codes: tuple[IntArray, IntArray, IntArray, IntArray, IntArray],
    group: npt.NDArray[np.int64],
    pool_sizes: Sequence[int],
    *,
    one_tube_per_household: bool = False,
    lookahead: int = 64,
) -> GroupedAssignment:
    """Residents (``AddressCodes.codes()``) into tubes group by group: ``group[i]`` is
    resident i's group (an index into ``pool_sizes``, -1 for not sampled). Each group is
    laid out by the assignment kernel on its own (households together, walk order, no
    tube crossing a compound); then every tube is numbered by the walk place of its first
    member, so the groups' tubes interleave as a team meets them. A household split
    across groups stays together inside each group (its members stay contiguous in the
    group's share of the walk)."""
    order, cc, bc, hc = _walk_codes(*codes)
    n = order.shape[0]
    if group.shape != (n,):
        raise ValueError(f"group has shape {group.shape}, the residents are {n}")
    tube = np.full(n, -1, np.int64)
    slot = np.zeros(n, np.int16)
    parts: list[npt.NDArray[np.int64]] = []  # each group's tubes' group, in the groups' order
    lower = 0
    n_tubes = 0
    in_walk = group[order]
    for g, k in enumerate(pool_sizes):
        sel = order[in_walk == g]
        if not sel.size:
            continue
        res = assign_tubes(
            cc[sel],
            bc[sel],
            hc[sel],
            pool_size=k,
            one_tube_per_household=one_tube_per_household,
            lookahead=lookahead,
            check_contiguous=False,
        )
        tube[sel] = res.tube.astype(np.int64) + n_tubes
        slot[sel] = res.slot
        parts.append(np.full(res.n_tubes, g, np.int64))
        lower += res.lower_bound
        n_tubes += res.n_tubes
    groups = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    sampled = np.flatnonzero(tube >= 0)
    pos = np.empty(n, np.int64)
    pos[order] = np.arange(n)
    first = np.full(n_tubes, n, np.int64)
    np.minimum.at(first, tube[sampled], pos[sampled])
    rank = np.empty(n_tubes, np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(n_tubes)
    tube[sampled] = rank[tube[sampled]]
    tube_group = np.empty(n_tubes, np.int64)
    tube_group[rank] = groups
    # a tube crosses buildings when its members' places (compound, building) differ
    place = cc * (int(bc.max()) + 1 if n else 1) + bc
    low = np.full(n_tubes, np.iinfo(np.int64).max, np.int64)
    high = np.full(n_tubes, -1, np.int64)
    np.minimum.at(low, tube[sampled], place[sampled])
    np.maximum.at(high, tube[sampled], place[sampled])
    crossing = int(np.count_nonzero(low != high))
    return GroupedAssignment(
        tube=tube.astype(np.int32),
        slot=slot,
        n_tubes=n_tubes,
        tube_group=tube_group,
        lower_bound=lower,
        single_building_share=(n_tubes - crossing) / n_tubes if n_tubes else 1.0,
    )


class AddressCodes:
    """Addresses as integer codes, added a block at a time: a city's ten million address
    strings are never all held. Compound, building, unit and room have few distinct
    values (a dict each, ranked in natural order at the end); household ids have millions,
    so each is kept as its 64-bit hash (two households of one compound sharing a hash, about
    once in 10^9 cities, would be kept together as one: still whole households per tube)."""

    def __init__(self) -> None:
        self._seen: list[dict[str, int]] = [{}, {}, {}, {}]
        self._codes: list[list[npt.NDArray[np.int32]]] = [[], [], [], []]
        self._households: list[npt.NDArray[np.int64]] = []
        self.compound: npt.NDArray[np.int32] = np.zeros(0, np.int32)
        """Each resident's compound code, kept by ``codes`` (the tubes' compounds come from it)."""
        self.compound_names: list[str] = []
        """Compound names by code."""
        self.building_names: list[str] = []
        """Building names by code (a building code is shared by every compound's building of that name)."""

    def add(
        self,
        compound: Sequence[str],
        building: Sequence[str],
        unit: Sequence[str],
        room: Sequence[str],
        household_id: Sequence[str],
    ) -> None:
        """Add a block of residents' addresses (columns of equal length)."""
        n = len(compound)
        for seen, codes, column in zip(self._seen, self._codes, (compound, building, unit, room), strict=True):
            if len(column) != n:
                raise ValueError(f"address columns differ in length: {len(column)} and {n}")
            for v in dict.fromkeys(column):  # the block's few distinct values, at C speed
                if v not in seen:
                    seen[v] = len(seen)
            codes.append(np.fromiter(map(seen.__getitem__, column), np.int32, n))
        self._households.append(np.fromiter(map(hash, household_id), np.int64, n))

    def __len__(self) -> int:
        return sum(len(c) for c in self._codes[0])

    def codes(self) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
        """(compound, building, unit, room, household) codes of every resident added, the
        first four in natural order of their strings, households compact per compound.
        Called once: the blocks are released as they are joined."""
        out: list[IntArray] = []
        for seen, codes in zip(self._seen, self._codes, strict=True):
            keys = [natural_key(v) for v in seen]
            rank = np.empty(len(keys), np.int64)
            in_order = sorted(range(len(keys)), key=keys.__getitem__)
            rank[in_order] = np.arange(len(keys))
            if len(out) < 2:
                names = list(seen)
                if out:
                    self.building_names = [names[j] for j in in_order]
                else:
                    self.compound_names = [names[j] for j in in_order]
            joined = np.concatenate(codes) if codes else np.zeros(0, np.int32)
            codes.clear()  # the blocks are read once: a city's copies are not kept twice
            out.append(rank[joined] if joined.size else joined.astype(np.int64))
            del joined
        self.compound = out[0].astype(np.int32)
        hashes = np.concatenate(self._households) if self._households else np.zeros(0, np.int64)
        self._households.clear()
        _, hc = np.unique(hashes, return_inverse=True)
        del hashes
        out.append(_per_compound(out[0], hc.reshape(-1).astype(np.int64)))
        return out[0], out[1], out[2], out[3], out[4]


def _tubes_mixing(tube: npt.NDArray[np.int32], code: npt.NDArray[np.int64]) -> int:
    """Number of tubes holding more than one value of ``code``."""
    if tube.size == 0:
        return 0
    order = np.lexsort((code, tube))
    t, c = tube[order], code[order]
    mixed = (t[1:] == t[:-1]) & (c[1:] != c[:-1])
    return int(np.unique(t[1:][mixed]).size)


def pool_quality(
    assignment: PoolAssignment,
    compound: StrColumn,
    building: StrColumn,
    household_id: StrColumn,
    pool_size: int,
) -> PoolQuality:
    """Measure an assignment: tube count against the lower bound, buildings, households."""
    tube = assignment.tube
    n = tube.shape[0]
    _, cc = np.unique(_str_array("compound", compound), return_inverse=True)
    _, bc = np.unique(_str_array("building", building), return_inverse=True)
    _, hc = np.unique(_str_array("household_id", household_id), return_inverse=True)
    cc, bc, hc = (x.reshape(-1).astype(np.int64) for x in (cc, bc, hc))
    lower = tubes_lower_bound(np.bincount(cc), pool_size)
    place = cc * (int(bc.max()) + 1 if n else 1) + bc
    cross_building = _tubes_mixing(tube, place)
    household = cc * (int(hc.max()) + 1 if n else 1) + hc
    _, hkey, hsize = np.unique(household, return_inverse=True, return_counts=True)
    hkey = hkey.reshape(-1)
    n_tubes_of = np.bincount(
        np.unique(hkey.astype(np.int64) * max(assignment.n_tubes, 1) + tube) // max(assignment.n_tubes, 1),
        minlength=hsize.size,
    )
    split = int(np.count_nonzero((n_tubes_of > 1) & (hsize <= pool_size)))
    tubes = assignment.n_tubes
    return PoolQuality(
        tubes=tubes,
        lower_bound=lower,
        ratio=tubes / lower if lower else 1.0,
        single_building_share=(tubes - cross_building) / tubes if tubes else 1.0,
        split_households=split,
        cross_compound_tubes=_tubes_mixing(tube, cc),
        max_tube_size=int(np.bincount(tube).max()) if n else 0,
    )
