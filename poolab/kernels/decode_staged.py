"""Staged decoding: from the results so far, which pools (and so which people) are tested
next, and each person's final call.

The rules are ``layout``'s, run by ``_rules.flag_stage`` stage by stage;
``_rules.flag_children`` is the one kernel behind the lab's resample list
(``members_to_retest``), and the simulator runs the same rules, so what is planned is
what runs.
"""

from __future__ import annotations

import attrs
import numpy as np

from poolab.kernels._jit import kernel
from poolab.kernels._rules import final_calls, flag_children, flag_stage
from poolab.kernels.layout import StagedDesign, check_staged


@kernel
def _decode(d, result, required, calls):
    """Walk the stages over known results (-1 untested, 0 negative, 1 positive); returns
    the first stage with a required pool that has no result (nstages when none)."""
    npools = result.shape[0]
    positive = np.zeros(npools, dtype=np.bool_)
    any_row = np.zeros(d.nblocks, dtype=np.bool_)
    any_col = np.zeros(d.nblocks, dtype=np.bool_)
    comp_calls = np.zeros(d.leaf_of_member.shape[0], dtype=np.bool_)
    required[:] = False
    nstages = d.stage_ptr.shape[0] - 1
    stage = nstages
    for s in range(nstages):
        flag_stage(d, s, positive, any_row, any_col, comp_calls, required)
        for p in range(d.stage_ptr[s], d.stage_ptr[s + 1]):
            if required[p]:
                if result[p] < 0:
                    if stage == nstages:
                        stage = s
                else:
                    positive[p] = result[p] == 1
    final_calls(d, positive, comp_calls, calls)
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
    flag_children(pool_of_member, pool_positive, out)
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


def decode_staged(design: StagedDesign, result: np.ndarray) -> StagedDecode:
    """Decode a staged design from per-pool results: int8, -1 untested, 0 negative,
    1 positive (count inconclusive as positive: its members are retested)."""
    d = check_staged(design)
    _check("result", result, np.int8)
    npools = d.pool_ptr.shape[0] - 1
    n = d.leaf_of_member.shape[0]
    if result.shape[0] != npools:
        raise ValueError(f"result has {result.shape[0]} entries; the design has {npools} pools")
    required = np.empty(npools, dtype=np.bool_)
    calls = np.empty(n, dtype=np.bool_)
    stage = _decode(d, result, required, calls)
    pending = required & (result < 0)
    retest = np.zeros(n, dtype=np.bool_)
    retest[d.pool_members[np.repeat(pending, np.diff(d.pool_ptr))]] = True
    return StagedDecode(required, pending, retest, calls, int(stage))
