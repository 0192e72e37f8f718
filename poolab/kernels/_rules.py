"""The stage rules as jitted building blocks, shared by the kernels that walk a design.

``decode_staged`` (the lab's results), ``simulate`` (drawn results) and
``decode_nonadaptive`` (COMP) call these from their own kernels, so that what is planned is
what runs. They take a ``layout.StagedDesign`` and raw buffers, check nothing, and are
called only from kernels; the validating entry points are those modules' public wrappers.
"""

from __future__ import annotations

from poolab.kernels._jit import inline_kernel, kernel
from poolab.kernels.layout import ARRAY_CELL, COMP_CELL, KIND_COL, KIND_ROW, ROOT, TREE


@kernel
def comp(member_ptr, member_pools, pool_positive, out):
    """COMP: out[i] = no pool of person i is negative."""
    for i in range(member_ptr.shape[0] - 1):
        ok = True
        for j in range(member_ptr[i], member_ptr[i + 1]):
            if not pool_positive[member_pools[j]]:
                ok = False
                break
        out[i] = ok


@kernel
def flag_children(parent_of_child, parent_positive, out):
    """out[i] = child i's parent pool exists and tested positive (the lab's resample rule)."""
    for i in range(parent_of_child.shape[0]):
        p = parent_of_child[i]
        out[i] = p >= 0 and parent_positive[p]


@kernel
def _lines(d, lo, hi, positive, any_row, any_col):
    """any_row[b] / any_col[b]: some row / column pool of block b among lo:hi is positive."""
    any_row[:] = False
    any_col[:] = False
    for p in range(lo, hi):
        if positive[p]:
            if d.pool_kind[p] == KIND_ROW:
                any_row[d.pool_block[p]] = True
            elif d.pool_kind[p] == KIND_COL:
                any_col[d.pool_block[p]] = True


@inline_kernel
def flag_stage(d, s, positive, any_row, any_col, comp_calls, out):
    """out[p] for the pools p of stage s: is p to be tested, by its rule, given
    ``positive`` (tested and positive) of the earlier stages. ``any_row``/``any_col``
    (per block) and ``comp_calls`` (per person) are scratch. A stage whose pools share
    one rule (``stage_rule``) runs that rule's loop alone."""
    lo = d.stage_ptr[s]
    hi = d.stage_ptr[s + 1]
    rule = d.stage_rule[s]
    if rule == ROOT:
        out[lo:hi] = True
        return
    if rule == TREE:
        flag_children(d.pool_parent[lo:hi], positive, out[lo:hi])
        return
    if rule == ARRAY_CELL:
        _lines(d, d.stage_ptr[s - 1], lo, positive, any_row, any_col)
        _array_cells(lo, hi, d.pool_parent, d.pool_parent2, d.pool_block, positive, any_row, any_col, out)
        return
    if rule == COMP_CELL:
        comp(d.member_ptr, d.member_pools, positive, comp_calls)
        _comp_cells(lo, hi, d.pool_ptr, d.pool_members, comp_calls, out)
        return
    _mixed(d, s, positive, any_row, any_col, comp_calls, out)


@kernel
def _array_cells(lo, hi, parent, parent2, block, positive, any_row, any_col, out):
    for p in range(lo, hi):
        r = positive[parent[p]]
        c = positive[parent2[p]]
        b = block[p]
        out[p] = (r and c) or (r and not any_col[b]) or (c and not any_row[b])


@kernel
def _comp_cells(lo, hi, pool_ptr, pool_members, comp_calls, out):
    for p in range(lo, hi):
        out[p] = comp_calls[pool_members[pool_ptr[p]]]


@kernel
def _mixed(d, s, positive, any_row, any_col, comp_calls, out):
    """A stage whose pools follow different rules: each pool by its own."""
    lo = d.stage_ptr[s]
    hi = d.stage_ptr[s + 1]
    pool_rule = d.pool_rule
    needs_lines = False
    needs_comp = False
    for p in range(lo, hi):
        needs_lines = needs_lines or pool_rule[p] == ARRAY_CELL
        needs_comp = needs_comp or pool_rule[p] == COMP_CELL
    if needs_lines:
        _lines(d, d.stage_ptr[s - 1], lo, positive, any_row, any_col)
    if needs_comp:
        comp(d.member_ptr, d.member_pools, positive, comp_calls)
    parent, parent2, block = d.pool_parent, d.pool_parent2, d.pool_block
    for p in range(lo, hi):
        rule = pool_rule[p]
        if rule == ROOT:
            out[p] = True
        elif rule == TREE:
            out[p] = positive[parent[p]]
        elif rule == ARRAY_CELL:
            r = positive[parent[p]]
            c = positive[parent2[p]]
            b = block[p]
            out[p] = (r and c) or (r and not any_col[b]) or (c and not any_row[b])
        elif rule == COMP_CELL:
            out[p] = comp_calls[d.pool_members[d.pool_ptr[p]]]
        else:
            out[p] = False


@inline_kernel
def final_calls(d, positive, comp_calls, calls):
    """Each person's call: its leaf pool's result, or COMP's call when it has no leaf."""
    leaf_of_member = d.leaf_of_member
    need_comp = False
    for i in range(leaf_of_member.shape[0]):
        if leaf_of_member[i] < 0:
            need_comp = True
            break
    if need_comp:
        comp(d.member_ptr, d.member_pools, positive, comp_calls)
    for i in range(leaf_of_member.shape[0]):
        leaf = leaf_of_member[i]
        calls[i] = positive[leaf] if leaf >= 0 else comp_calls[i]
