"""A staged design as the kernels see it: one typed tuple of arrays, and the rules.

A design's pools are CSR arrays (``pool_ptr``, ``pool_members``) ordered by stage (the
pools of stage ``s`` are ``stage_ptr[s]:stage_ptr[s+1]``; a stage is one step of the
assay, with its own Se/Sp). Each pool carries a rule saying when it is tested:

* ``ROOT``: always;
* ``TREE``: when its parent pool (``pool_parent``) tested positive (Dorfman retests,
  hierarchical subpools, an array's rows and columns under a master pool);
* ``ARRAY_CELL``: an array's individual test at row r, column c (Kim et al. 2007,
  binGroup2's rule): when row and column are both positive, or the row is positive and
  no column of its square is, or the column is positive and no row is (rows and columns
  are the previous stage's ``KIND_ROW`` / ``KIND_COL`` pools of the same ``pool_block``;
  ``pool_parent`` is the cell's row, ``pool_parent2`` its column);
* ``COMP_CELL``: a non-adaptive design's confirmation test of one person: when every
  first-stage pool holding that person is positive (COMP's candidate; ``member_ptr`` /
  ``member_pools`` list each person's first-stage pools).

A person's final call is the result of its ``leaf_of_member`` pool (negative when that
pool was never tested), or COMP's call when it has none (-1: non-adaptive without
confirmation).

``StagedDesign`` is a ``typing.NamedTuple``: numba types it as one heterogeneous tuple,
so a kernel takes the whole design as one argument and its cached machine code is keyed
on the tuple's field types. ``staged_design`` builds one and checks every array's dtype,
shape and range, so that a kernel never indexes outside an array.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

ROOT, TREE, ARRAY_CELL, COMP_CELL = 0, 1, 2, 3
RULES = (ROOT, TREE, ARRAY_CELL, COMP_CELL)
MIXED = -1  # stage_rule of a stage whose pools follow different rules
KIND_OTHER, KIND_ROW, KIND_COL = 0, 1, 2


class StagedDesign(NamedTuple):
    """The arrays of a laid-out staged design (see the module docstring)."""

    stage_ptr: np.ndarray  # int64[nstages+1]
    pool_ptr: np.ndarray  # int64[npools+1]
    pool_members: np.ndarray  # int64[nnz]
    pool_rule: np.ndarray  # int8[npools]: ROOT, TREE, ARRAY_CELL or COMP_CELL
    pool_parent: np.ndarray  # int64[npools]: TREE parent, or an ARRAY_CELL's row pool; -1 none
    pool_parent2: np.ndarray  # int64[npools]: an ARRAY_CELL's column pool; -1 otherwise
    pool_block: np.ndarray  # int64[npools]: the block (array square, STD block) of the pool
    pool_kind: np.ndarray  # int8[npools]: KIND_ROW / KIND_COL for array lines, else KIND_OTHER
    member_ptr: np.ndarray  # int64[n+1]: first-stage pools of each person (transpose)
    member_pools: np.ndarray  # int64[nnz0]
    leaf_of_member: np.ndarray  # int64[n]: pool whose result is the final call; -1 = COMP call
    stage_rule: np.ndarray  # int8[nstages]: the rule every pool of the stage follows, or MIXED
    nblocks: int


def _array(name: str, a: object, dtype: type, length: int | None = None) -> np.ndarray:
    if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != 1:
        got = getattr(a, "dtype", type(a).__name__)
        raise TypeError(f"{name} must be a 1-D numpy array of {np.dtype(dtype)}, got {got}")
    if length is not None and a.shape[0] != length:
        raise ValueError(f"{name} has {a.shape[0]} entries, expected {length}")
    return np.ascontiguousarray(a)


def _within(name: str, a: np.ndarray, low: int, high: int) -> None:
    """Every entry of ``a`` in [low, high)."""
    if a.size and (int(a.min()) < low or int(a.max()) >= high):
        raise ValueError(f"{name} holds values outside [{low}, {high - 1}]")


def _ptr(name: str, ptr: np.ndarray, total: int) -> None:
    if ptr.shape[0] < 1 or ptr[0] != 0 or ptr[-1] != total or np.any(np.diff(ptr) < 0):
        raise ValueError(f"{name} must rise from 0 to {total}")


def staged_design(
    *,
    stage_ptr: np.ndarray,
    pool_ptr: np.ndarray,
    pool_members: np.ndarray,
    pool_rule: np.ndarray,
    pool_parent: np.ndarray,
    pool_parent2: np.ndarray,
    pool_block: np.ndarray,
    pool_kind: np.ndarray,
    member_ptr: np.ndarray,
    member_pools: np.ndarray,
    leaf_of_member: np.ndarray,
    nblocks: int,
    stage_rule: np.ndarray | None = None,
) -> StagedDesign:
    """A ``StagedDesign`` from its arrays, each checked for dtype, length and range;
    ``stage_rule`` is derived from ``pool_rule`` (given, it must agree)."""
    i64 = np.int64
    pool_ptr = _array("pool_ptr", pool_ptr, i64)
    npools = pool_ptr.shape[0] - 1
    pool_members = _array("pool_members", pool_members, i64)
    leaf_of_member = _array("leaf_of_member", leaf_of_member, i64)
    n = leaf_of_member.shape[0]
    member_ptr = _array("member_ptr", member_ptr, i64, n + 1)
    member_pools = _array("member_pools", member_pools, i64)
    stage_ptr = _array("stage_ptr", stage_ptr, i64)
    _ptr("pool_ptr", pool_ptr, pool_members.shape[0])
    _ptr("member_ptr", member_ptr, member_pools.shape[0])
    _ptr("stage_ptr", stage_ptr, npools)
    _within("pool_members", pool_members, 0, n)
    _within("member_pools", member_pools, 0, max(int(stage_ptr[1]) if stage_ptr.shape[0] > 1 else 0, 1))
    _within("leaf_of_member", leaf_of_member, -1, npools)
    rule = _array("pool_rule", pool_rule, np.int8, npools)
    _within("pool_rule", rule, min(RULES), max(RULES) + 1)
    parent = _array("pool_parent", pool_parent, i64, npools)
    parent2 = _array("pool_parent2", pool_parent2, i64, npools)
    _within("pool_parent", parent, -1, npools)
    _within("pool_parent2", parent2, -1, npools)
    block = _array("pool_block", pool_block, i64, npools)
    _within("pool_block", block, 0, max(int(nblocks), 1))
    kind = _array("pool_kind", pool_kind, np.int8, npools)
    _within("pool_kind", kind, KIND_OTHER, KIND_COL + 1)
    cells = rule == ARRAY_CELL
    if np.any(parent[cells] < 0) or np.any(parent2[cells] < 0):
        raise ValueError("every ARRAY_CELL pool needs its row (pool_parent) and column (pool_parent2)")
    if np.any(parent[rule == TREE] < 0):
        raise ValueError("every TREE pool needs its parent (pool_parent)")
    if np.any(np.diff(pool_ptr)[rule == COMP_CELL] != 1):
        raise ValueError("a COMP_CELL pool tests one person")
    derived = _stage_rules(stage_ptr, rule)
    if stage_rule is not None and not np.array_equal(stage_rule, derived):
        raise ValueError(f"stage_rule {np.asarray(stage_rule).tolist()} disagrees with pool_rule ({derived.tolist()})")
    return StagedDesign(
        stage_ptr, pool_ptr, pool_members, rule, parent, parent2, block, kind, member_ptr, member_pools,
        leaf_of_member, derived, int(nblocks),
    )  # fmt: skip


def _stage_rules(stage_ptr: np.ndarray, rule: np.ndarray) -> np.ndarray:
    """Per stage: the one rule all its pools follow (ROOT for an empty stage), or MIXED;
    derived from ``pool_rule`` so the two cannot disagree (kernels take the fast path of a
    uniform stage)."""
    out = np.empty(stage_ptr.shape[0] - 1, dtype=np.int8)
    for s in range(out.shape[0]):
        own = rule[stage_ptr[s] : stage_ptr[s + 1]]
        if own.shape[0] == 0:
            out[s] = ROOT
        else:  # min and max: no sort of a city's millions of pools
            low, high = int(own.min()), int(own.max())
            out[s] = low if low == high else MIXED
    return out


def check_staged(design: StagedDesign) -> StagedDesign:
    """``design`` if its arrays have the dtypes and lengths a kernel expects (constant time:
    the ranges were checked when ``staged_design`` built it); what every kernel wrapper calls."""
    if not isinstance(design, StagedDesign):
        raise TypeError(f"expected a StagedDesign (built by staged_design), got {type(design).__name__}")
    npools = design.pool_ptr.shape[0] - 1
    n = design.leaf_of_member.shape[0]
    for name, dtype, length in (
        ("stage_ptr", np.int64, None), ("pool_ptr", np.int64, None), ("pool_members", np.int64, None),
        ("pool_rule", np.int8, npools), ("pool_parent", np.int64, npools), ("pool_parent2", np.int64, npools),
        ("pool_block", np.int64, npools), ("pool_kind", np.int8, npools), ("member_ptr", np.int64, n + 1),
        ("member_pools", np.int64, None), ("leaf_of_member", np.int64, None),
        ("stage_rule", np.int8, design.stage_ptr.shape[0] - 1),
    ):  # fmt: skip
        a = getattr(design, name)
        if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != 1 or not a.flags.c_contiguous:
            raise TypeError(f"{name} must be a contiguous 1-D numpy array of {np.dtype(dtype)}")
        if length is not None and a.shape[0] != length:
            raise ValueError(f"{name} has {a.shape[0]} entries, expected {length}")
    return design
