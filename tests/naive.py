"""Slow, obviously-correct reference twins of the kernels (one section per kernel)."""

from __future__ import annotations

import itertools
import math

# --- pool assignment (poolab.kernels.assign) -------------------------------------------


def _fill_tubes(
    items: list[list[int]], anchored: list[bool], pool_size: int, window: int
) -> tuple[list[list[int]], list[list[int]]]:
    """Fill tubes to exactly pool_size from items (member lists, walk order), with lookahead.

    Returns (tubes, items set aside). An empty item counts in the window but is never taken.
    An anchored item (an oversize household's remainder) opens a tube of its own where it
    stands, is never taken by lookahead or swapped, and its tube is closed partly filled
    instead of set aside.
    """
    taken = [not item for item in items]
    tubes: list[list[int]] = []
    aside: list[list[int]] = []
    current: list[int] = []  # positions in items
    free = pool_size
    holds_anchor = False

    def members() -> list[int]:
        return [i for p in current for i in items[p]]

    def finish_open_tube() -> None:
        nonlocal current, free, holds_anchor
        if holds_anchor:
            tubes.append(members())
        else:
            aside.extend(items[p] for p in current)
        current, free, holds_anchor = [], pool_size, False

    head = 0
    while head < len(items):
        if taken[head]:
            head += 1
            continue
        if anchored[head]:
            if current:
                finish_open_tube()
            current, free, holds_anchor = [head], pool_size - len(items[head]), True
            taken[head] = True
            head += 1
            continue
        window_ = range(head, min(len(items), head + 1 + window))
        fitting = [j for j in window_ if not taken[j] and not anchored[j] and len(items[j]) <= free]
        if fitting:
            current.append(fitting[0])
            taken[fitting[0]] = True
            free -= len(items[fitting[0]])
        else:
            swaps = [
                (len(items[j]) - len(items[p]), -j, -m)
                for j in window_
                if not taken[j] and not anchored[j]
                for m, p in enumerate(current)
                if not anchored[p] and 0 < len(items[j]) - len(items[p]) <= free
            ]
            if swaps:
                gain, j, m = max(swaps)  # largest gain, then first window place, first member
                back = current[-m]
                taken[back] = False
                taken[-j] = True
                current[-m] = -j
                free -= gain
                head = min(head, back)
            else:
                finish_open_tube()
        if free == 0:
            tubes.append(members())
            current, free, holds_anchor = [], pool_size, False
    if current:
        finish_open_tube()
    return tubes, aside


def subset_sums(sizes: list[int]) -> set[int]:
    """Every total some subset of ``sizes`` adds up to."""
    totals = {0}
    for s in sizes:
        totals |= {t + s for t in totals}
    return totals


def _exact_subset(sizes: list[int], target: int) -> list[int] | None:
    """Positions of a subset adding up to ``target`` (None if none does): its last position
    is the first at which a prefix can make the target; the rest, chosen the same way, make
    what is left of it from the positions before."""
    if target == 0:
        return []
    for i in range(len(sizes)):
        if target in subset_sums(sizes[: i + 1]):
            rest = _exact_subset(sizes[:i], target - sizes[i])
            assert rest is not None  # target - sizes[i] is a total of the prefix before i
            return [*rest, i]
    return None


def _subsets_making(items: list[list[int]], k: int) -> tuple[list[list[int]], list[list[int]]]:
    """Take subsets of ``items`` (walk order) adding up to exactly k people, one after the
    other by ``_exact_subset``: (the tubes they make, the items left, walk order)."""
    made: list[list[int]] = []
    while (subset := _exact_subset([len(item) for item in items], k)) is not None:
        made.append([i for j in subset for i in items[j]])
        items = [item for j, item in enumerate(items) if j not in subset]
    return made, items


def _exchange_naive(
    building_tubes: list[list[int]], left: list[list[int]], items: list[list[int]], anchored: list[bool], k: int
) -> list[list[int]]:
    """The building's last EXCHANGE_TUBES tubes, newest first, each tried once while the
    set-aside items hold k people or more: a full tube without an anchored item whose items,
    with the set-aside ones, make two or more k-subsets is dissolved into them (the first
    takes its place, the others are appended). Returns what is left."""
    from poolab.kernels.assign import EXCHANGE_TUBES

    item_of = {i: j for j, item in enumerate(items) for i in item}
    n = len(building_tubes)
    for t in range(n - 1, max(0, n - EXCHANGE_TUBES) - 1, -1):
        if sum(map(len, left)) < k:
            break
        own = sorted({item_of[i] for i in building_tubes[t]})
        if len(building_tubes[t]) != k or any(anchored[j] for j in own):
            continue
        made, rest = _subsets_making(sorted(left + [items[j] for j in own], key=lambda item: item[0]), k)
        if len(made) >= 2:
            building_tubes[t] = made[0]
            building_tubes.extend(made[1:])
            left = rest
    return left


def assign_tubes_naive(
    compound: list[int],
    building: list[int],
    household: list[int],
    pool_size: int,
    one_tube_per_household: bool = False,
    lookahead: int = 64,
) -> tuple[list[int], list[int], int]:
    """The pool-assignment rule of poolab.kernels.assign, on plain lists: (tube, slot, n_tubes)."""
    k = pool_size
    households: list[tuple[int, int, list[int]]] = []  # (compound, building, members)
    for i in range(len(compound)):
        if i and compound[i] == compound[i - 1] and household[i] == household[i - 1]:
            households[-1][2].append(i)
        else:
            households.append((compound[i], building[i], [i]))
    tubes: list[list[int]] = []
    if one_tube_per_household:
        for _, _, members in households:
            tubes.extend(members[j : j + k] for j in range(0, len(members), k))
    else:
        for _, in_compound in itertools.groupby(households, key=lambda h: h[0]):
            leftovers: list[list[list[int]]] = []
            for _, in_building in itertools.groupby(in_compound, key=lambda h: h[1]):
                items = []
                anchored = []
                for _, _, members in in_building:
                    own = len(members) // k * k  # an oversize household's own full tubes
                    tubes.extend(members[j : j + k] for j in range(0, own, k))
                    items.append(members[own:])
                    anchored.append(own > 0 and len(members) > own)
                full, left = _fill_tubes(items, anchored, k, lookahead)
                left.sort(key=lambda item: item[0])  # walk order
                made, left = _subsets_making(left, k)
                building_tubes = full + made
                left = _exchange_naive(building_tubes, left, items, anchored, k)
                tubes.extend(building_tubes)
                leftovers.append(left)
            # A building keeps its leftover in its own tube when the compound's slack pays.
            people = [sum(map(len, left)) for left in leftovers]
            slack = -sum(people) % k
            for b in sorted(range(len(leftovers)), key=lambda b: -people[b]):
                if people[b] > k:
                    continue
                if people[b] == 0 or k - people[b] > slack:
                    break
                slack -= k - people[b]
                tubes.append([i for item in leftovers[b] for i in item])
                leftovers[b] = []
            aside = [item for left in leftovers for item in left]
            aside.sort(key=lambda item: item[0])  # walk order
            # first fit decreasing: largest first (walk order on ties), first tube with room
            bins: list[list[int]] = []
            for item in sorted(aside, key=lambda item: -len(item)):
                for tube in bins:
                    if k - len(tube) >= len(item):
                        tube.extend(item)
                        break
                else:
                    bins.append(list(item))
            tubes.extend(bins)
    tubes.sort(key=min)
    tube = [0] * len(compound)
    slot = [0] * len(compound)
    for t, members in enumerate(tubes):
        for s, i in enumerate(sorted(members), start=1):
            tube[i], slot[i] = t, s
    return tube, slot, len(tubes)


# --- closed-form operating characteristics (poolab.plan.opchar) -------------------------
# Exact enumeration of every infection pattern and every pool result: slow, small designs.


def _summarise_naive(
    n: int, p: float, rows: list[tuple[float, tuple[int, ...], float, list[float]]]
) -> tuple[float, float, float, float, float]:
    """(E/n, PSe, PSp, PPPV, PNPV) from (weight, status, E[tests], P(called +) per person)."""
    tests = tp = fn = tn = fp = 0.0
    for w, x, t, call in rows:
        tests += w * t
        for i in range(n):
            if x[i]:
                tp += w * call[i]
                fn += w * (1.0 - call[i])
            else:
                fp += w * call[i]
                tn += w * (1.0 - call[i])
    return tests / n, tp / (tp + fn), tn / (tn + fp), tp / (tp + fp), tn / (tn + fn)


def _patterns(n: int, p: float):
    for x in itertools.product((0, 1), repeat=n):
        yield p ** sum(x) * (1.0 - p) ** (n - sum(x)), x


def _pos(truth: bool, se: float, sp: float) -> float:
    return se if truth else 1.0 - sp


def hier_opchar_naive(
    k1: int, k2: int, p: float, se: tuple[float, ...], sp: tuple[float, ...]
) -> tuple[float, float, float, float, float]:
    """hier:K1-K2 (K2 >= K1 means Dorfman) by enumeration; a subpool of one is final."""
    groups = [list(range(s, min(s + k2, k1))) for s in range(0, k1, k2)] if k2 < k1 else []
    rows = []
    for w, x in _patterns(k1, p):
        a = _pos(any(x), se[0], sp[0])
        if not groups:  # Dorfman
            call = [a * _pos(bool(x[i]), se[1], sp[1]) for i in range(k1)]
            rows.append((w, x, 1.0 + a * k1, call))
            continue
        tests, call = 1.0 + a * len(groups), [0.0] * k1
        for g in groups:
            if len(g) == 1:
                call[g[0]] = a * _pos(bool(x[g[0]]), se[1], sp[1])
                continue
            b = _pos(any(x[i] for i in g), se[1], sp[1])
            tests += a * b * len(g)
            for i in g:
                call[i] = a * b * _pos(bool(x[i]), se[2], sp[2])
        rows.append((w, x, tests, call))
    return _summarise_naive(k1, p, rows)


def array_opchar_naive(
    r: int, p: float, se: tuple[float, ...], sp: tuple[float, ...], master: bool
) -> tuple[float, float, float, float, float]:
    """array:R / array-master:R by enumeration of statuses and of row/column results."""
    n = r * r
    se_m, sp_m = (se[0], sp[0]) if master else (1.0, 1.0)
    se_rc, sp_rc, se_i, sp_i = se[-2], sp[-2], se[-1], sp[-1]
    rows = []
    for w, x in _patterns(n, p):
        grid = [x[i * r : (i + 1) * r] for i in range(r)]
        row_t = [any(g) for g in grid]
        col_t = [any(grid[i][j] for i in range(r)) for j in range(r)]
        a = _pos(any(x), se_m, sp_m) if master else 1.0
        tests, call = (1.0 if master else 0.0) + a * 2 * r, [0.0] * n
        for res in itertools.product((0, 1), repeat=2 * r):
            rr, cc = res[:r], res[r:]
            pr = a
            for i in range(r):
                pr *= _pos(row_t[i], se_rc, sp_rc) if rr[i] else 1.0 - _pos(row_t[i], se_rc, sp_rc)
                pr *= _pos(col_t[i], se_rc, sp_rc) if cc[i] else 1.0 - _pos(col_t[i], se_rc, sp_rc)
            for i in range(r):
                for j in range(r):
                    tested = (rr[i] and cc[j]) or (rr[i] and not any(cc)) or (cc[j] and not any(rr))
                    if tested:
                        tests += pr
                        call[i * r + j] += pr * _pos(bool(grid[i][j]), se_i, sp_i)
        rows.append((w, x, tests, call))
    return _summarise_naive(n, p, rows)


def tube_invariant_failures(
    compound: list[int],
    household: list[int],
    tube: list[int],
    slot: list[int],
    n_tubes: int,
    pool_size: int,
) -> list[str]:
    """Every broken pool-assignment invariant, for residents in walk order (empty list: none)."""
    k = pool_size
    bad: list[str] = []
    members: dict[int, list[int]] = {}
    for i, t in enumerate(tube):
        members.setdefault(t, []).append(i)
    if sorted(members) != list(range(n_tubes)):
        bad.append("tube indices are not exactly 0..n_tubes-1")
    firsts = sorted(members, key=lambda t: members[t][0])
    if firsts != sorted(members):
        bad.append("tubes are not numbered in walk order of their first member")
    for t, ms in members.items():
        if len(ms) > k:
            bad.append(f"tube {t} holds {len(ms)} > {k}")
        if [slot[i] for i in ms] != list(range(1, len(ms) + 1)):
            bad.append(f"tube {t} slots are not 1..size in walk order")
        if len({compound[i] for i in ms}) > 1:
            bad.append(f"tube {t} crosses a compound")

    def owner(i: int) -> tuple[int, int]:
        return compound[i], household[i]

    runs = [list(g) for _, g in itertools.groupby(range(len(tube)), key=owner)]
    for run in runs:
        tubes_of = [tube[i] for i in run]
        own = len(run) // k * k
        if len(run) <= k:
            if len(set(tubes_of)) != 1:
                bad.append(f"household at {run[0]} (size {len(run)}) is split")
            continue
        full = tubes_of[:own]
        first = full[0]
        if full != [first + j // k for j in range(own)]:
            bad.append(f"oversize household at {run[0]}: own tubes not consecutive")
        if any(tube.count(t) != k for t in set(full)):
            bad.append(f"oversize household at {run[0]}: own tubes shared")
        if len(set(tubes_of[own:])) > 1:
            bad.append(f"oversize household at {run[0]}: remainder split")
        if len(run) > own and tubes_of[own] != full[-1] + 1:
            bad.append(f"oversize household at {run[0]}: remainder not in the tube after its own")
    return bad


# --- staged decoding (poolab.kernels.decode_staged) -------------------------------------


def members_to_retest_naive(pool_of_member: list[int], pool_positive: list[bool]) -> list[bool]:
    """Members of positive pools; -1 = in no pool."""
    return [p >= 0 and pool_positive[p] for p in pool_of_member]


def decode_staged_naive(design, result):
    """(required pools, calls) of a Design from per-pool results (-1 untested, 0, 1),
    straight from the rules in poolab.kernels.layout's docstring (rule per pool: 0 ROOT,
    1 TREE, 2 ARRAY_CELL, 3 COMP_CELL)."""
    ptr, members = list(design.pool_ptr), list(design.pool_members)
    pools = [members[ptr[p] : ptr[p + 1]] for p in range(design.npools)]
    positive = [False] * design.npools
    required = [False] * design.npools
    first = range(int(design.stage_ptr[0]), int(design.stage_ptr[1]))
    for s in range(design.nstages):
        ids = range(int(design.stage_ptr[s]), int(design.stage_ptr[s + 1]))
        for p in ids:
            rule = int(design.pool_rule[p])
            if rule == 0:
                required[p] = True
            elif rule == 1:
                required[p] = positive[int(design.pool_parent[p])]
            elif rule == 2:
                b = int(design.pool_block[p])
                prev = range(int(design.stage_ptr[s - 1]), int(design.stage_ptr[s]))
                rows = [q for q in prev if design.pool_kind[q] == 1 and design.pool_block[q] == b]
                cols = [q for q in prev if design.pool_kind[q] == 2 and design.pool_block[q] == b]
                (m,) = pools[p]
                row = next(q for q in rows if m in pools[q])
                col = next(q for q in cols if m in pools[q])
                any_row = any(positive[q] for q in rows)
                any_col = any(positive[q] for q in cols)
                required[p] = (
                    (positive[row] and positive[col])
                    or (positive[row] and not any_col)
                    or (positive[col] and not any_row)
                )
            else:
                (m,) = pools[p]
                required[p] = all(positive[q] for q in first if m in pools[q])
        for p in ids:
            positive[p] = required[p] and int(result[p]) == 1
    calls = []
    for i in range(design.n):
        leaf = int(design.leaf_of_member[i])
        if leaf >= 0:
            calls.append(positive[leaf])
        else:
            calls.append(all(positive[q] for q in first if i in pools[q]))
    return required, calls


# --- non-adaptive decoders (poolab.kernels.decode_nonadaptive) --------------------------


def comp_naive(n: int, pools: list[list[int]], positive: list[bool]) -> list[bool]:
    """Positive unless in some negative pool."""
    cleared = {m for pool, pos in zip(pools, positive, strict=True) if not pos for m in pool}
    return [i not in cleared for i in range(n)]


def dd_naive(n: int, pools: list[list[int]], positive: list[bool]) -> list[bool]:
    """The only COMP candidate of some positive pool."""
    cand = comp_naive(n, pools, positive)
    called = [False] * n
    for pool, pos in zip(pools, positive, strict=True):
        c = [m for m in pool if cand[m]]
        if pos and len(c) == 1:
            called[c[0]] = True
    return called


def scomp_naive(n: int, pools: list[list[int]], positive: list[bool]) -> list[bool]:
    """DD, then the candidate in most unexplained positive pools (lowest index) until none."""
    cand = comp_naive(n, pools, positive)
    called = dd_naive(n, pools, positive)
    while True:
        open_pools = [
            pool for pool, pos in zip(pools, positive, strict=True)
            if pos and not any(called[m] for m in pool)
        ]  # fmt: skip
        score = [0] * n
        for pool in open_pools:
            for m in pool:
                if cand[m] and not called[m]:
                    score[m] += 1
        if not open_pools or max(score, default=0) == 0:
            return called
        called[score.index(max(score))] = True


# --- one simulated campaign under a perfect assay (poolab.kernels.simulate) --------------


def perfect_campaign_naive(design, status):
    """(tests, rounds, calls) when every pool's result is the truth (Se = Sp = 1)."""
    truth = [
        1 if any(status[m] for m in design.pool_members[design.pool_ptr[p] : design.pool_ptr[p + 1]])
        else 0
        for p in range(design.npools)
    ]  # fmt: skip
    required, calls = decode_staged_naive(design, truth)
    stages = {int(design.pool_stage[p]) for p in range(design.npools) if required[p]}
    return sum(required), len(stages), calls


# --- three-stage optimum over every partition (binGroup2 OTC1 "D3") ----------------------


def otc1_d3_naive(p: float, se: tuple[float, ...], sp: tuple[float, ...], max_k1: int) -> tuple[float, int, list[int]]:
    """binGroup2 OTC1 for D3: every K1 in 3..max_k1, every partition of K1 but K1 itself.

    E(T) of a partition is 1 + g*P(stage 1 +) + sum over parts of that part's third-stage
    tests (Exp.T.3step), so the best partition of each K1 is a small dynamic programme.
    Returns (E/n, K1, subpool sizes) of the best; ties keep the smaller K1.
    """
    q = 1.0 - p
    best: tuple[float, int, list[int]] = (float("inf"), 0, [])
    for n in range(3, max_k1 + 1):
        qn = q**n
        first = (1.0 - sp[0]) * qn + se[0] * (1.0 - qn)

        def third(s: int, n: int = n, qn: float = qn) -> float:
            if s == 1:
                return 0.0
            qs = q**s
            t = (1.0 - sp[0]) * (1.0 - sp[1]) * qn + se[0] * (1.0 - sp[1]) * qs * (1.0 - q ** (n - s))
            return s * (t + se[0] * se[1] * (1.0 - qs))

        cost = [0.0] + [float("inf")] * n
        part = [0] * (n + 1)
        for j in range(1, n + 1):
            for s in range(1, min(j, n - 1) + 1):
                v = cost[j - s] + first + third(s)
                if v < cost[j]:
                    cost[j], part[j] = v, s
        e = (1.0 + cost[n]) / n
        if e < best[0] - 1e-12:
            sizes, j = [], n
            while j:
                sizes.append(part[j])
                j -= part[j]
            best = (e, n, sorted(sizes, reverse=True))
    return best


# --- Bayesian posteriors (poolab.kernels.bayes) ------------------------------------------


def posterior_naive(n, pools, result, se, sp, prior):
    """P(person i infected | results) by summing over all 2^n infection patterns."""
    clip = 1e-12
    marg = [0.0] * n
    norm = 0.0
    for x in itertools.product([0, 1], repeat=n):
        w = 1.0
        for xi in x:
            w *= prior if xi else 1 - prior
        for pool, y, s, c in zip(pools, result, se, sp, strict=True):
            if y < 0:
                continue
            s, c = min(max(s, clip), 1 - clip), min(max(c, clip), 1 - clip)
            pos = any(x[m] for m in pool)
            w *= (s if pos else 1 - c) if y == 1 else ((1 - s) if pos else c)
        norm += w
        for i in range(n):
            marg[i] += w * x[i]
    return [m / norm for m in marg]


def without_perfect_negatives(pools, result, se, sp):
    """The graph ``posterior`` solves: members of a negative pool with Se = 1 are clear for
    certain and leave every pool; a pool left empty is as good as untested. Except in a
    component (people linked by tested pools) holding a positive pool with Sp = 1 and only
    cleared members: results a perfect assay cannot give, left whole to the clipped model.
    Returns the pools, their results and the people cleared."""
    cleared = {m for pool, y, s in zip(pools, result, se, strict=True) if y == 0 and s >= 1.0 for m in pool}
    for pool, y, c in zip(pools, result, sp, strict=True):
        if y == 1 and c >= 1.0 and pool and set(pool) <= cleared:
            reach, todo = set(pool), list(pool)
            while todo:
                person = todo.pop()
                for other, z in zip(pools, result, strict=True):
                    if z != -1 and person in other:
                        todo += [m for m in other if m not in reach]
                        reach |= set(other)
            cleared -= reach
    kept = [[m for m in pool if m not in cleared] for pool in pools]
    return kept, [y if pool else -1 for pool, y in zip(kept, result, strict=True)], cleared


def posterior_cleared_naive(n, pools, result, se, sp, prior):
    """``posterior_naive`` under the rule ``posterior`` applies first: a perfect assay's
    negative pool clears its members (0 exactly, where clipping Se would leave 1e-12 times
    whatever the other pools make of it); the rest by enumeration, as before."""
    kept, reduced, cleared = without_perfect_negatives(pools, result, se, sp)
    marg = posterior_naive(n, kept, reduced, se, sp, prior)
    return [0.0 if i in cleared else p for i, p in enumerate(marg)]


def components_naive(n, pools, result):
    """People linked by tested, non-empty pools: a set of people per component, by search."""
    links: list[set[int]] = [set() for _ in range(n)]
    for pool, y in zip(pools, result, strict=True):
        if y >= 0:
            for a in pool:
                links[a].update(pool)
    seen, out = set(), []
    for start in range(n):
        if start in seen:
            continue
        found, todo = {start}, [start]
        while todo:
            for b in links[todo.pop()] - found:
                found.add(b)
                todo.append(b)
        seen |= found
        out.append(found)
    return out


def loopy_bp_naive(n, pools, result, se, sp, prior, iters=200):
    """Belief propagation on the whole factor graph at once (flooding: every message of every
    tested pool each pass, until none moves by 1e-12 or ``iters`` passes): the schedule
    ``bayes`` used before it solved components one by one."""
    clip = 1e-12
    base = math.log(prior) - math.log1p(-prior)
    edges = [(p, m) for p, pool in enumerate(pools) if result[p] >= 0 for m in pool]
    llr = dict.fromkeys(edges, 0.0)
    q = dict.fromkeys(edges, prior)  # P(infected), and P(not) kept apart: 1 - q may cancel
    nq = dict.fromkeys(edges, 1 - prior)
    total = [base] * n
    for _ in range(iters):
        change = 0.0
        new = {}
        for p, m in edges:
            s, c = min(max(se[p], clip), 1 - clip), min(max(sp[p], clip), 1 - clip)
            a, b = (s, 1 - c) if result[p] == 1 else (1 - s, c)
            none, some = 1.0, 0.0  # the other members: all negative, some positive
            for o in pools[p]:
                if o != m:
                    none, some = none * nq[p, o], some + none * q[p, o]
            new[p, m] = math.log(a) - math.log(a * some + b * none)
            change = max(change, abs(new[p, m] - llr[p, m]))
        llr = new
        total = [base] * n
        for (_, m), v in llr.items():
            total[m] += v
        for p, m in edges:
            q[p, m] = 1 / (1 + math.exp(-(total[m] - llr[p, m])))
            nq[p, m] = 1 / (1 + math.exp(total[m] - llr[p, m]))
        if change < 1e-12:
            break
    return [1 / (1 + math.exp(-t)) for t in total]


# --- exact operating characteristics under dilution (poolab.plan.exact_dilution) ---------


def _walk_naive(design, ppos, stage, result, chance):
    """Every result of every pool the rules ask for at ``stage`` and after, given the
    results so far: yields (chance, results, last stage's required pools)."""
    required, _ = decode_staged_naive(design, result)
    ids = [q for q in range(design.npools) if int(design.pool_stage[q]) == stage and required[q]]
    if stage == design.nstages - 1:
        yield chance, result, required
        return
    for outcome in itertools.product((0, 1), repeat=len(ids)):
        c = chance
        nxt = list(result)
        for q, o in zip(ids, outcome, strict=True):
            c *= ppos[q] if o else 1.0 - ppos[q]
            nxt[q] = o
        if c > 0.0:
            yield from _walk_naive(design, ppos, stage + 1, nxt, c)


def diluted_opchar_naive(design, p, se, sp, values, probs):
    """(E/n, PSe, PSp) of a laid-out Design (full blocks) when each positive's concentration
    (limit units) is one of ``values`` with chance ``probs``: every infection pattern and
    every value of every positive, every result of every pool that the design's rules
    (``decode_staged_naive``) ask for, stage by stage; the last stage's results enter as
    expectations. A pool of s >= 2 is detectable when its positives' values add up to more
    than s, with weight 1/2 when they add up to exactly s (the lattice convention of
    ``poolab.plan.lattice``); a test of one person when its value is at least 1."""
    n = design.n
    ptr, members = list(design.pool_ptr), list(design.pool_members)
    pools = [members[ptr[q] : ptr[q + 1]] for q in range(design.npools)]
    last = design.nstages - 1
    tests = tp = pos = fp = neg = 0.0
    states = [(1.0 - p, 0.0)] + [(p * w, v) for v, w in zip(values, probs, strict=True)]
    for pattern in itertools.product(range(len(states)), repeat=n):
        weight = math.prod(states[k][0] for k in pattern)
        if weight == 0.0:
            continue
        x = [states[k][1] for k in pattern]
        infected = [k > 0 for k in pattern]
        ppos = []
        for q, pool in enumerate(pools):
            total = sum(x[m] for m in pool)
            if not any(infected[m] for m in pool):
                det = 0.0
            elif len(pool) == 1:
                det = 1.0 if total >= 1.0 else 0.0
            else:
                det = 1.0 if total > len(pool) else 0.5 if total == len(pool) else 0.0
            s = int(design.pool_stage[q])
            ppos.append(det * se[s] + (1.0 - det) * (1.0 - sp[s]))
        for chance, result, required in _walk_naive(design, ppos, 0, [-1] * design.npools, 1.0):
            w = weight * chance
            tests += w * sum(required)
            for i in range(n):
                leaf = int(design.leaf_of_member[i])
                if int(design.pool_stage[leaf]) < last:
                    called = float(result[leaf] == 1)
                else:
                    called = ppos[leaf] if required[leaf] else 0.0
                if infected[i]:
                    tp, pos = tp + w * called, pos + w
                else:
                    fp, neg = fp + w * called, neg + w
    return tests / n, tp / pos, 1.0 - fp / neg


# --- prevalence likelihood (poolab.reports.prevalence) and the risk test (poolab.reports.risk) -------------


def pool_loglik_naive(p, offset, rows, se_pool, sp_pool, se_ind, sp_ind):
    """Σ over rows of log P(pool result, individual results) by enumerating who is positive.

    ``rows``: (inside, outside, positive, tests) with ``tests`` a list of (member, inside,
    result) for the individual results (a member may have several). Members 0..inside-1
    are the group's (prevalence p), the rest other groups' (prevalence ``offset``); a
    result's member number says which person it is."""
    total = 0.0
    for inside, outside, positive, tests in rows:
        m = inside + outside
        like = 0.0
        for status in itertools.product((0, 1), repeat=m):
            w = 1.0
            for j, s in enumerate(status):
                q = p if j < inside else offset
                w *= q if s else 1.0 - q
            any_pos = any(status)
            w *= (se_pool if any_pos else 1.0 - sp_pool) if positive else (1.0 - se_pool if any_pos else sp_pool)
            for member, _inside, result in tests:
                s = status[member]
                w *= (se_ind if s else 1.0 - sp_ind) if result else (1.0 - se_ind if s else sp_ind)
            like += w
        total += math.log(like) if like > 0 else -math.inf
    return total


def upper_tail_naive(sizes, observed, p, se, sp):
    """P(at least ``observed`` positive pools) by enumerating every pool's result."""
    theta = [se - (se + sp - 1.0) * (1.0 - p) ** m for m in sizes]
    total = 0.0
    for result in itertools.product((0, 1), repeat=len(sizes)):
        if sum(result) >= observed:
            total += math.prod(t if r else 1.0 - t for t, r in zip(theta, result, strict=True))
    return total


def holm_naive(pvalues, alpha):
    """Holm (1979): reject the smallest p-values while p_(i) <= alpha / (m - i + 1)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    rejected = [False] * m
    for rank, i in enumerate(order):
        if pvalues[i] > alpha / (m - rank):
            break
        rejected[i] = True
    return rejected


# --- rounds of a silent period (poolab.field.rounds) ------------------------------------------


def round_roles_naive(
    residents: dict[str, tuple[str, str, str, str, str]],
    confirmed: dict[str, int],
    pending: set[str],
    round_index: int,
    contacts_of: str,
    isolation_rounds: int | None,
) -> dict[str, str]:
    """What round ``round_index`` (0-based) does with each resident, by the rule's words:
    ``residents`` id -> (compound, building, unit, room, household_id); ``confirmed`` id
    -> the latest earlier round that confirmed them; ``pending`` the previous round's
    residents without an individual result. Returns id -> isolated, contact, pending or
    sampled."""
    isolated = {
        r
        for r, k in confirmed.items()
        if r in residents and (isolation_rounds is None or round_index - k <= isolation_rounds)
    }
    households = {(residents[r][0], residents[r][4]) for r in isolated}
    rooms = {residents[r][:4] for r in isolated}
    contacts = set()
    for r, (compound, _b, _u, _room, household) in residents.items():
        if r in isolated:
            continue
        if (compound, household) in households:
            contacts.add(r)
        elif contacts_of == "room" and residents[r][:4] in rooms:
            contacts.add(r)
    if contacts_of == "room":  # a contact's household members are contacts too
        theirs = {(residents[r][0], residents[r][4]) for r in contacts}
        contacts |= {r for r, v in residents.items() if r not in isolated and (v[0], v[4]) in theirs}
    out = {}
    for r in residents:
        if r in isolated:
            out[r] = "isolated"
        elif r in contacts:
            out[r] = "contact"
        elif r in pending:
            out[r] = "pending"
        else:
            out[r] = "sampled"
    return out
