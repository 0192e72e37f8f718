"""Staged decoding: from the results so far, which pools (and so which people) are tested
next, and each individual's final call.

The rules (see ``poolab.plan.designs``): TREE (a pool is tested when its parent tested
positive: Dorfman retests, hierarchical subpools, rows and columns under a master pool),
ARRAY_CELL (binGroup2's array rule) and COMP_CELL (a non-adaptive design's candidates).
``_flag_children`` is the one kernel behind the lab's retest list
(``members_to_retest``) and the simulator's Dorfman stage 2, so what is planned is what
runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from poolab.kernels._jit import kernel
from poolab.kernels.decode_nonadaptive import _comp

if TYPE_CHECKING:
    from poolab.plan.designs import Design

ROOT, TREE, ARRAY_CELL, COMP_CELL = 0, 1, 2, 3
KIND_ROW, KIND_COL = 1, 2


@kernel
def _flag_children(parent_of_child, parent_positive, out):  # type: ignore[no-untyped-def]
    """out[i] = child i's parent pool exists and tested positive."""
    for i in range(parent_of_child.shape[0]):
        p = parent_of_child[i]
        out[i] = p >= 0 and parent_positive[p]


@kernel
def _flag_array_cells(lo, hi, prev_lo, prev_hi, parent, parent2, block, kind, positive, any_row, any_col, out):  # type: ignore[no-untyped-def]  # noqa: E501
    """ARRAY_CELL rule for pools lo:hi given the row/column pools prev_lo:prev_hi."""
    any_row[:] = False
    any_col[:] = False
    for p in range(prev_lo, prev_hi):
        if positive[p]:
            if kind[p] == KIND_ROW:
                any_row[block[p]] = True
            elif kind[p] == KIND_COL:
                any_col[block[p]] = True
    for p in range(lo, hi):
        r = positive[parent[p]]
        c = positive[parent2[p]]
        b = block[p]
        out[p] = (r and c) or (r and not any_col[b]) or (c and not any_row[b])


@kernel
def _flag_stage(
    s,
    stage_ptr,
    stage_rule,
    pool_ptr,
    pool_members,
    parent,
    parent2,
    block,
    kind,
    member_ptr,
    member_pools,
    positive,
    any_row,
    any_col,
    comp,
    out,
):  # type: ignore[no-untyped-def]  # noqa: E501
    """Which pools of stage s are to be tested, given ``positive`` (tested and positive)."""
    lo = stage_ptr[s]
    hi = stage_ptr[s + 1]
    rule = stage_rule[s]
    if rule == ROOT:
        out[lo:hi] = True
    elif rule == TREE:
        _flag_children(parent[lo:hi], positive, out[lo:hi])
    elif rule == ARRAY_CELL:
        _flag_array_cells(
            lo, hi, stage_ptr[s - 1], stage_ptr[s], parent, parent2, block, kind, positive, any_row, any_col, out
        )  # noqa: E501
    else:  # COMP_CELL: a one-member pool is tested when COMP calls its member
        _comp(member_ptr, member_pools, positive, comp)
        for p in range(lo, hi):
            out[p] = comp[pool_members[pool_ptr[p]]]


@kernel
def _final_calls(leaf_of_member, positive, comp, member_ptr, member_pools, calls):  # type: ignore[no-untyped-def]  # noqa: E501
    """Each individual's call: its leaf pool's result, or COMP's call when it has no leaf."""
    need_comp = False
    for i in range(leaf_of_member.shape[0]):
        if leaf_of_member[i] < 0:
            need_comp = True
            break
    if need_comp:
        _comp(member_ptr, member_pools, positive, comp)
    for i in range(leaf_of_member.shape[0]):
        leaf = leaf_of_member[i]
        calls[i] = positive[leaf] if leaf >= 0 else comp[i]


@kernel
def _decode(
    stage_ptr,
    stage_rule,
    pool_ptr,
    pool_members,
    parent,
    parent2,
    block,
    kind,
    member_ptr,
    member_pools,
    leaf_of_member,
    nblocks,
    result,
    required,
    calls,
):  # type: ignore[no-untyped-def]  # noqa: E501
    """Walk the stages over known results (-1 untested, 0 negative, 1 positive)."""
    npools = result.shape[0]
    positive = np.zeros(npools, dtype=np.bool_)
    any_row = np.zeros(nblocks, dtype=np.bool_)
    any_col = np.zeros(nblocks, dtype=np.bool_)
    comp = np.zeros(leaf_of_member.shape[0], dtype=np.bool_)
    required[:] = False
    nstages = stage_rule.shape[0]
    stage = nstages
    for s in range(nstages):
        _flag_stage(
            s,
            stage_ptr,
            stage_rule,
            pool_ptr,
            pool_members,
            parent,
            parent2,
            block,
            kind,
            member_ptr,
            member_pools,
            positive,
            any_row,
            any_col,
            comp,
            required,
        )  # noqa: E501
        for p in range(stage_ptr[s], stage_ptr[s + 1]):
            if required[p]:
                if result[p] < 0:
                    if stage == nstages:
                        stage = s
                else:
                    positive[p] = result[p] == 1
    _final_calls(leaf_of_member, positive, comp, member_ptr, member_pools, calls)
    return stage


def _check(name: str, a: np.ndarray, dtype: type, ndim: int = 1) -> None:
    if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != ndim:
        got = getattr(a, "dtype", type(a).__name__)
        raise TypeError(f"{name} must be a {ndim}-D numpy array of {np.dtype(dtype)}, got {got}")


def members_to_retest(pool_of_member: np.ndarray, pool_positive: np.ndarray) -> np.ndarray:
    """Individuals to resample alone: every member of a positive (or inconclusive) pool.

    ``pool_of_member``: int64, one entry per individual, the index of its pool in
    ``pool_positive`` or -1 when it is in no pool. ``pool_positive``: bool per pool (pass
    True for inconclusive pools too). Returns bool per individual.
    """
    _check("pool_of_member", pool_of_member, np.int64)
    _check("pool_positive", pool_positive, np.bool_)
    if pool_of_member.size and (pool_of_member.min() < -1 or pool_of_member.max() >= pool_positive.shape[0]):
        raise ValueError(f"pool_of_member holds indices outside [-1, {pool_positive.shape[0] - 1}]")
    out = np.empty(pool_of_member.shape[0], dtype=np.bool_)
    _flag_children(pool_of_member, pool_positive, out)
    return out


@attrs.frozen(slots=True, eq=False)
class StagedDecode:
    """Where a staged design stands after the results so far."""

    required: np.ndarray  # bool per pool: the rule asks for this pool's test
    pending: np.ndarray  # bool per pool: required but no result yet
    retest_members: np.ndarray  # bool per individual: a member of a pending pool
    calls: np.ndarray  # bool per individual: final call from the results so far
    stage: int  # first stage with a pending pool (nstages when decoding is complete)

    @property
    def complete(self) -> bool:
        """True when no required test is missing: the calls are final."""
        return not bool(self.pending.any())


def decode_staged(design: Design, result: np.ndarray) -> StagedDecode:
    """Decode a staged design from per-pool results: int8, -1 untested, 0 negative,
    1 positive (count inconclusive as positive: its members are retested)."""
    _check("result", result, np.int8)
    if result.shape[0] != design.npools:
        raise ValueError(f"result has {result.shape[0]} entries; the design has {design.npools} pools")
    required = np.empty(design.npools, dtype=np.bool_)
    calls = np.empty(design.n, dtype=np.bool_)
    stage = _decode(
        design.stage_ptr, design.stage_rule, design.pool_ptr, design.pool_members,
        design.pool_parent, design.pool_parent2, design.pool_block, design.pool_kind,
        design.member_ptr, design.member_pools, design.leaf_of_member, design.nblocks,
        result, required, calls,
    )  # fmt: skip
    pending = required & (result < 0)
    retest = np.zeros(design.n, dtype=np.bool_)
    retest[design.pool_members[np.repeat(pending, np.diff(design.pool_ptr))]] = True
    return StagedDecode(required, pending, retest, calls, int(stage))
