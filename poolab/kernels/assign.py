"""Pool assignment: residents (already in walk order, households contiguous) into tubes.

The rule, per compound (a run of equal compound codes):

1. Households are runs of equal household code inside the compound. A household larger
   than the pool size K first fills ``size // K`` tubes of its own (its first members);
   what is left of it (``size % K`` people, possibly none) opens the next tube, which the
   households after it may fill: the household's tubes are consecutive.
2. Per building (a run of households whose first members share a building code), pack
   households in walk order into tubes filled to exactly K: take the first waiting
   household if it fits the free slots, otherwise the first one that fits among the next
   ``lookahead`` households of the building. If none fits, swap a household of the open
   tube for a larger one in the window (largest gain that still fits; the one swapped out
   waits again); if no swap helps either, the open tube's households are set aside for
   step 3 and a new tube is opened. The building's last, partial tube is set aside too
   (a tube holding an oversize household's remainder is closed partly filled instead).
   Among what a building set aside (in walk order), households that add up to exactly K
   make a tube of the building after all: the subset is the one whose last household is
   the first at which a prefix can make K, the others chosen the same way for what is left
   of K among the households before it; repeated while a subset makes K. Then the
   building's tubes so far (at most its ``EXCHANGE_TUBES`` newest) are tried once each,
   newest first, while what is set aside holds K people or more: a full tube without an
   oversize household's remainder whose households, together with the set-aside ones
   (walk order), yield two or more such subsets is dissolved into them (the first takes
   the tube's place, the others are new tubes; what is left is set aside). (Walk-order packing
   strands some people, and every one stranded sits in a tube that crosses buildings.)
   Where the compound's empty slots allow it without an extra tube, a building keeps what
   is still set aside in a tube of its own (largest leftovers first).
3. The households set aside in a compound are packed across buildings (only these tubes
   can cross a building) first fit decreasing: largest first, walk order on ties, each
   into the first tube with room.
4. Tubes are numbered by the walk position of their first member; slots 1..size follow
   walk order inside each tube.

One-tube-per-household mode: each household gets ``ceil(size / K)`` tubes of its own.
Everything is linear in the number of residents (the lookahead and the tubes the exchange
tries are bounded) except the subset searches of step 2, which grow with the square of what
one building sets aside: a handful of households in any real building.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

from poolab.kernels._jit import kernel

SLOT_DTYPE = np.int16
SLOT_LIMIT = int(np.iinfo(SLOT_DTYPE).max)
"""The largest pool the kernel can number (slots are ``SLOT_DTYPE``); a campaign's own
limit (``poolab.field.campaigns.MAX_POOL_SIZE``) must not exceed it (tests/test_assign.py)."""

_INT_KINDS = ("i", "u")


@attrs.frozen(slots=True)
class TubeAssignment:
    """Tubes and slots of residents given in walk order (the kernel's own order)."""

    tube: npt.NDArray[np.int32]
    """Tube index 0..n_tubes-1 per resident."""
    slot: npt.NDArray[np.int16]
    """Position 1..K of the resident in its tube."""
    n_tubes: int
    lower_bound: int
    """``tubes_lower_bound`` of the compound runs: no assignment can use fewer tubes."""


@kernel
def _household_runs(comp, hh):
    """Start index of every household run (a run ends where compound or household changes)."""
    n = comp.shape[0]
    starts = np.empty(n + 1, np.int64)
    m = 0
    for i in range(n):
        if i == 0 or comp[i] != comp[i - 1] or hh[i] != hh[i - 1]:
            starts[m] = i
            m += 1
    starts[m] = n
    return starts[: m + 1].copy()


@kernel
def _households_contiguous(comp, hh):
    """True when no (compound, household) pair appears in two separate runs."""
    n = comp.shape[0]
    if n == 0:
        return True
    cmax = comp.max() + 1
    hmax = hh.max() + 1
    # Sparse pairs: remember the last run each household code was seen in, per compound run.
    last_comp = np.full(hmax, -1, np.int64)
    last_end = np.full(hmax, -1, np.int64)
    seen_comp_run = np.full(cmax, -1, np.int64)
    comp_run = -1
    for i in range(n):
        if i == 0 or comp[i] != comp[i - 1]:
            comp_run += 1
            c = comp[i]
            if seen_comp_run[c] >= 0:
                return False  # a compound appears in two runs
            seen_comp_run[c] = comp_run
        h = hh[i]
        if last_comp[h] == comp[i] and last_end[h] != i - 1:
            return False
        last_comp[h] = comp[i]
        last_end[h] = i
    return True


@kernel
def _spill(items, members, n_mem, rem_tube, spill_buf, n_spill):
    """Set the open tube's households aside (for packing across buildings); returns n_spill."""
    for m in range(n_mem):
        g = items[members[m]]
        rem_tube[g] = -1
        spill_buf[n_spill] = g
        n_spill += 1
    return n_spill


@kernel
def _pack(items, a, b, size, anchored, taken, rem_tube, K, window, spill_buf, n_spill, next_id):
    """Pack items[a:b] (household indices in walk order, one building) into tubes of
    exactly K. When nothing in the window fits, and at the end, the open tube's households
    go to ``spill_buf``. An ``anchored`` household (the remainder of one larger than K)
    opens a tube of its own at its place in walk order, so that it lands right after its
    household's full tubes; lookahead and swaps never move it, and a tube holding it is
    closed partly filled rather than set aside. Returns (n_spill, next_id).
    """
    members = np.empty(K, np.int64)  # positions in items of the open tube's households
    n_mem = np.int64(0)  # typed int64, not the literal 0: one _spill specialisation
    free = K
    holds_anchor = False
    head = a
    while head < b:
        h = items[head]
        if taken[h]:
            head += 1
            continue
        if anchored[h]:
            if n_mem > 0:
                if holds_anchor:
                    next_id += 1
                else:
                    n_spill = _spill(items, members, n_mem, rem_tube, spill_buf, n_spill)
            taken[h] = True
            rem_tube[h] = next_id
            free = K - size[h]
            members[0] = head
            n_mem = 1
            holds_anchor = True
            head += 1
            continue
        stop = min(b, head + 1 + window)
        pick = -1
        if size[h] <= free:
            pick = head
        else:
            for j in range(head + 1, stop):
                g = items[j]
                if not taken[g] and not anchored[g] and size[g] <= free:
                    pick = j
                    break
        if pick >= 0:
            g = items[pick]
            taken[g] = True
            rem_tube[g] = next_id
            free -= size[g]
            members[n_mem] = pick
            n_mem += 1
            if pick == head:
                head += 1
        else:
            # Nothing fits: swap a household of the tube for a larger waiting one, taking the
            # largest gain (first found on ties); the one swapped out waits again.
            gain = 0
            out = -1
            into = -1
            for j in range(head, stop):
                g = items[j]
                if taken[g] or anchored[g]:
                    continue
                for m in range(n_mem):
                    if anchored[items[members[m]]]:
                        continue
                    d = size[g] - size[items[members[m]]]
                    if d > gain and d <= free:
                        gain, out, into = d, m, j
            if gain > 0:
                back = members[out]
                taken[items[back]] = False
                rem_tube[items[back]] = -1
                g = items[into]
                taken[g] = True
                rem_tube[g] = next_id
                free -= gain
                members[out] = into
                head = min(head, back)
            else:
                if holds_anchor:
                    next_id += 1  # closed partly filled: the remainder stays by its household
                else:
                    n_spill = _spill(items, members, n_mem, rem_tube, spill_buf, n_spill)
                free = K
                n_mem = 0  # a spilled tube's id is reused: nobody holds it any more
                holds_anchor = False
        if free == 0:
            next_id += 1
            free = K
            n_mem = np.int64(0)
            holds_anchor = False
    if n_mem > 0:
        if holds_anchor:
            next_id += 1
        else:
            n_spill = _spill(items, members, n_mem, rem_tube, spill_buf, n_spill)
    return n_spill, next_id


@kernel
def _take_subsets(u, n_u, size, K, pick):
    """Repeatedly take a subset of households ``u[:n_u]`` (walk order) that adds up to
    exactly K (the rule in the module text, step 2); ``pick[j]`` = the subset (0, 1, ...)
    that took ``u[j]``, -1 for none. Returns how many subsets were taken. (Plain loops
    throughout: array expressions cost numba seconds of compile time.)"""
    reach = np.empty(K + 1, np.bool_)
    first = np.empty(K + 1, np.int64)
    for j in range(n_u):
        pick[j] = -1
    count = 0
    while True:
        for t in range(K + 1):
            reach[t] = t == 0
        for j in range(n_u):
            if pick[j] >= 0:
                continue
            s = size[u[j]]
            for t in range(K - s, -1, -1):
                if reach[t] and not reach[t + s]:
                    reach[t + s] = True
                    first[t + s] = j
            if reach[K]:
                break
        if not reach[K]:
            return count
        t = K
        while t > 0:
            j = first[t]
            pick[j] = count
            t -= size[u[j]]
        count += 1


EXCHANGE_TUBES = 64
"""How many of a building's newest tubes the exchange of step 2 tries (each once; only
full ones qualify): every tube of an ordinary building, and a bounded cost in a huge one."""


@kernel
def _repair_building(items, a, b, spill_buf, lo, hi, size, anchored, rem_tube, K, id0, next_id, n_try):
    """Step 2's repairs for one building (households ``items[a:b]``, its tubes from id
    ``id0``, what it set aside in ``spill_buf[lo:hi]``): put the set-aside range in walk
    order and give every K-subset of it a tube; then try the building's newest ``n_try``
    tubes, newest first and each once, while K people or more are set aside, dissolving a
    full tube that yields two or more K-subsets together with them (module text). The
    set-aside range may grow past ``hi`` (the buffer's tail is free while this building is
    packed). Returns (new hi, next_id). One kernel, not two: each costs compile time."""
    # walk order (index order): an insertion sort, the range is a building's few households
    for i in range(lo + 1, hi):
        x = spill_buf[i]
        j = i - 1
        while j >= lo and spill_buf[j] > x:
            spill_buf[j + 1] = spill_buf[j]
            j -= 1
        spill_buf[j + 1] = x
    u = np.empty(b - a, np.int64)
    pick = np.empty(b - a, np.int64)
    n = hi - lo
    for j in range(n):
        u[j] = spill_buf[lo + j]
    n_sub = _take_subsets(u, n, size, K, pick)
    w = lo
    for j in range(n):
        if pick[j] < 0:
            spill_buf[w] = u[j]
            w += 1
        else:
            rem_tube[u[j]] = next_id + pick[j]
    hi = w
    next_id += n_sub
    first_id = max(id0, next_id - n_try)
    n_ids = next_id - first_id
    if n_ids <= 0:
        return hi, next_id
    # the candidate tubes' households, walk order, in one pass over the building
    count = np.zeros(n_ids + 1, np.int64)
    for i in range(a, b):
        t = rem_tube[items[i]]
        if t >= first_id:  # every id given so far is below next_id; -1 is none
            count[t - first_id + 1] += 1
    for t in range(n_ids):
        count[t + 1] += count[t]
    members = np.empty(count[n_ids], np.int64)
    fill = np.empty(n_ids, np.int64)
    for t in range(n_ids):
        fill[t] = count[t]
    for i in range(a, b):
        h = items[i]
        t = rem_tube[h]
        if t >= first_id:  # every id given so far is below next_id; -1 is none
            members[fill[t - first_id]] = h
            fill[t - first_id] += 1
    last_id = next_id
    for tid in range(last_id - 1, first_id - 1, -1):
        total = 0
        for m in range(lo, hi):
            total += size[spill_buf[m]]
        if total < K:
            break
        c0 = count[tid - first_id]
        c1 = count[tid - first_id + 1]
        filled = 0
        eligible = True
        for c in range(c0, c1):
            filled += size[members[c]]
            if anchored[members[c]]:
                eligible = False
        if not eligible or filled != K:
            continue
        # merge the tube's households with the set-aside ones: walk (index) order
        n_u = 0
        m = lo
        for c in range(c0, c1):
            h = members[c]
            while m < hi and spill_buf[m] < h:
                u[n_u] = spill_buf[m]
                n_u += 1
                m += 1
            u[n_u] = h
            n_u += 1
        while m < hi:
            u[n_u] = spill_buf[m]
            n_u += 1
            m += 1
        n_sub = _take_subsets(u, n_u, size, K, pick)
        if n_sub < 2:
            continue
        w = lo
        for j in range(n_u):
            h = u[j]
            if pick[j] < 0:
                rem_tube[h] = -1
                spill_buf[w] = h
                w += 1
            elif pick[j] == 0:
                rem_tube[h] = tid
            else:
                rem_tube[h] = next_id + pick[j] - 1
        next_id += n_sub - 1
        hi = w
    return hi, next_id


@kernel
def _own_leftover_tubes(spill_buf, lo, hi, size, rem_tube, K, next_id):
    """Give buildings' set-aside households a tube of their own where it costs no extra tube.

    The compound's set-aside people need ceil(total / K) tubes, leaving ``slack`` empty
    slots; a building whose leftover is ``l`` people can keep it in its own tube for
    ``K - l`` of that slack. Largest leftovers first (fewest slots spent), building order on
    ties. Returns next_id.
    """
    nb = lo.shape[0]
    ell = np.zeros(nb, np.int64)
    for i in range(nb):
        for m in range(lo[i], hi[i]):
            ell[i] += size[spill_buf[m]]
    total = ell.sum()
    slack = (total + K - 1) // K * K - total
    # Largest leftover first, building order on ties: a stable insertion sort, because
    # buildings per compound are few and numba's np.argsort costs seconds to compile.
    order = np.arange(nb)
    for i in range(1, nb):
        x = order[i]
        j = i - 1
        while j >= 0 and ell[order[j]] < ell[x]:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = x
    for i in order:
        if ell[i] > K:
            continue
        if ell[i] == 0 or K - ell[i] > slack:
            break
        slack -= K - ell[i]
        for m in range(lo[i], hi[i]):
            rem_tube[spill_buf[m]] = next_id
        next_id += 1
    return next_id


@kernel
def _first_fit_decreasing(res, n_res, size, rem_tube, K, next_id):
    """Pack a compound's set-aside households (walk order in ``res[:n_res]``) into tubes:
    largest first (walk order on ties), each into the first tube it fits. Large ones
    first leave the small ones to fill the gaps, so these cross-building tubes waste
    almost nothing (a lookahead in walk order strands 4s, 5s and 6s at the end).
    Returns next_id."""
    room = np.empty(n_res + 1, np.int64)
    first_id = next_id
    n_open = 0
    for s in range(K - 1, 0, -1):
        for m in range(n_res):
            g = res[m]
            if size[g] != s:
                continue
            placed = False
            for t in range(n_open):
                if room[t] >= s:
                    room[t] -= s
                    rem_tube[g] = first_id + t
                    placed = True
                    break
            if not placed:
                room[n_open] = K - s
                rem_tube[g] = first_id + n_open
                n_open += 1
    return first_id + n_open


@kernel
def _assign(comp, bldg, hh, K, one_per_household, window):
    """Raw kernel: returns (tube int32[n], slot int16[n], n_tubes)."""
    n = comp.shape[0]
    starts = _household_runs(comp, hh)
    nh = starts.shape[0] - 1
    hsize = np.empty(nh, np.int64)
    for h in range(nh):
        hsize[h] = starts[h + 1] - starts[h]
    n_full = hsize // K
    rem = hsize - n_full * K
    full0 = np.full(nh, -1, np.int64)  # raw id of the first own full tube
    rem_tube = np.full(nh, -1, np.int64)  # raw id of the tube holding the remainder
    taken = np.zeros(nh, np.bool_)
    # Counters handed to the helper kernels start as np.int64(0), not 0: numba types a bare 0
    # as the literal 0, and each helper would be compiled once more for it (a cold start
    # compiled _spill 3 times, _pack, _repair_building, _first_fit_decreasing twice each).
    next_id = np.int64(0)
    if one_per_household:
        for h in range(nh):
            full0[h] = next_id
            next_id += n_full[h]
            if rem[h] > 0:
                rem_tube[h] = next_id
                next_id += 1
    else:
        items = np.arange(nh)
        anchored = (n_full > 0) & (rem > 0)
        spill_buf = np.empty(nh, np.int64)
        spill_lo = np.empty(nh, np.int64)  # per building of the compound: its set-aside range
        spill_hi = np.empty(nh, np.int64)
        for h in range(nh):
            if n_full[h] > 0:
                full0[h] = next_id
                next_id += n_full[h]
            if rem[h] == 0:
                taken[h] = True
        h0 = np.int64(0)
        while h0 < nh:  # one compound run of households per iteration
            c = comp[starts[h0]]
            h1 = h0
            while h1 < nh and comp[starts[h1]] == c:
                h1 += 1
            n_spill = np.int64(0)
            nb = 0
            a = h0
            while a < h1:  # one building run per iteration
                bcode = bldg[starts[a]]
                b = a
                while b < h1 and bldg[starts[b]] == bcode:
                    b += 1
                spill_lo[nb] = n_spill
                id0 = next_id  # the building's tubes get ids from here on
                n_spill, next_id = _pack(
                    items, a, b, rem, anchored, taken, rem_tube, K, window, spill_buf, n_spill, next_id
                )
                n_spill, next_id = _repair_building(
                    items,
                    a,
                    b,
                    spill_buf,
                    spill_lo[nb],
                    n_spill,
                    rem,
                    anchored,
                    rem_tube,
                    K,
                    id0,
                    next_id,
                    EXCHANGE_TUBES,
                )
                spill_hi[nb] = n_spill
                nb += 1
                a = b
            if n_spill > 0:
                next_id = _own_leftover_tubes(spill_buf, spill_lo[:nb], spill_hi[:nb], rem, rem_tube, K, next_id)
                # the set-aside households still without a tube, in walk order (index order;
                # marked in a flag array rather than sorted: no np.sort to compile)
                waiting = np.zeros(h1 - h0, np.bool_)
                for m in range(n_spill):
                    if rem_tube[spill_buf[m]] < 0:
                        waiting[spill_buf[m] - h0] = True
                res = np.empty(n_spill, np.int64)
                n_res = np.int64(0)
                for g in range(h0, h1):
                    if waiting[g - h0]:
                        taken[g] = False
                        res[n_res] = g
                        n_res += 1
                next_id = _first_fit_decreasing(res, n_res, rem, rem_tube, K, next_id)
            h0 = h1
    # Raw tube per resident, then renumber by first appearance in walk order.
    raw = np.empty(n, np.int64)
    for h in range(nh):
        s = starts[h]
        n_own = n_full[h] * K
        for j in range(hsize[h]):
            if j < n_own:
                raw[s + j] = full0[h] + j // K
            else:
                raw[s + j] = rem_tube[h]
    new_id = np.full(next_id + 1, -1, np.int64)
    count = np.zeros(next_id + 1, np.int64)
    tube = np.empty(n, np.int32)
    slot = np.empty(n, np.int16)
    n_tubes = 0
    for i in range(n):
        r = raw[i]
        if new_id[r] < 0:
            new_id[r] = n_tubes
            n_tubes += 1
        t = new_id[r]
        count[t] += 1
        tube[i] = t
        slot[i] = count[t]
    return tube, slot, n_tubes


def tubes_lower_bound(group_sizes: npt.ArrayLike, pool_size: int) -> int:
    """The fewest tubes of at most ``pool_size`` that can hold groups (compounds) of these
    sizes when no tube crosses a group: the sum of ceil(size / pool_size). The one place
    this bound is computed (the kernel's result, ``pools.pool_quality``, ``campaigns``)."""
    sizes = np.asarray(group_sizes, dtype=np.int64)
    if pool_size < 1:
        raise ValueError(f"pool_size must be at least 1, got {pool_size}")
    return int(np.sum(-(-sizes // pool_size)))


def run_lengths(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Lengths of the runs of equal consecutive codes (compound runs in walk order)."""
    if codes.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    return np.diff(np.concatenate(([0], starts, [codes.shape[0]]))).astype(np.int64)


def _codes(name: str, a: npt.ArrayLike) -> npt.NDArray[np.int64]:
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in _INT_KINDS:
        raise TypeError(f"{name} must hold integer codes, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} codes must be non-negative")
    return np.ascontiguousarray(arr, dtype=np.int64)


def assign_tubes(
    compound: npt.ArrayLike,
    building: npt.ArrayLike,
    household: npt.ArrayLike,
    *,
    pool_size: int = 10,
    one_tube_per_household: bool = False,
    lookahead: int = 64,
    check_contiguous: bool = True,
) -> TubeAssignment:
    """Assign residents, given in walk order as integer codes, to tubes of at most ``pool_size``.

    Each household's residents must be contiguous (``check_contiguous`` verifies it in linear
    time; pass False when the caller built the order with :func:`poolab.field.pools.walk_order`).
    """
    comp = _codes("compound", compound)
    bldg = _codes("building", building)
    hh = _codes("household", household)
    if not comp.shape == bldg.shape == hh.shape:
        raise ValueError(
            f"compound, building and household differ in length: {comp.shape[0]}, {bldg.shape[0]}, {hh.shape[0]}"
        )
    if not 1 <= pool_size <= SLOT_LIMIT:
        raise ValueError(f"pool_size must be in 1..{SLOT_LIMIT}, got {pool_size}")
    if lookahead < 0:
        raise ValueError(f"lookahead must be >= 0, got {lookahead}")
    if check_contiguous and not _households_contiguous(comp, hh):
        raise ValueError("residents of a household (or of a compound) are not contiguous")
    k, window = np.int64(pool_size), np.int64(lookahead)
    tube, slot, n_tubes = _assign(comp, bldg, hh, k, bool(one_tube_per_household), window)
    lower = tubes_lower_bound(run_lengths(comp), pool_size)
    return TubeAssignment(tube=tube, slot=slot, n_tubes=int(n_tubes), lower_bound=lower)
