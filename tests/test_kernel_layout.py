"""The kernels' typed design tuple: built only from arrays that a kernel can index safely."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from poolab.kernels import simulate as ks
from poolab.kernels.decode_staged import decode_staged
from poolab.kernels.layout import StagedDesign, check_staged, staged_design
from poolab.plan import designs as d
from tests.strategies import designs


@given(designs())
def test_every_design_builds_a_valid_tuple(design: d.Design) -> None:
    """Every laid-out design's arrays pass the checks, rebuilt field by field."""
    again = staged_design(**design.staged._asdict())
    assert all(np.array_equal(a, b) for a, b in zip(design.staged[:-1], again[:-1], strict=True))
    assert design.staged.nblocks == again.nblocks


def _fields(**change: object) -> dict[str, object]:
    fields: dict[str, object] = d.dorfman(5, 2).staged._asdict()
    fields.update(change)
    return fields


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"pool_ptr": np.array([0, 2, 4, 5, 6, 7, 8, 9, 10], dtype=np.int32)}, TypeError, "pool_ptr"),
        ({"pool_members": np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 9], dtype=np.int64)}, ValueError, "pool_members"),
        ({"pool_rule": np.full(8, 7, dtype=np.int8)}, ValueError, "pool_rule"),
        ({"pool_parent": np.full(8, -1, dtype=np.int64)}, ValueError, "TREE"),
        ({"leaf_of_member": np.array([3, 4, 5, 6, 99], dtype=np.int64)}, ValueError, "leaf_of_member"),
        ({"stage_ptr": np.array([0, 3, 7], dtype=np.int64)}, ValueError, "stage_ptr"),
    ],
)
def test_bad_arrays_are_refused(change: dict[str, object], error: type, message: str) -> None:
    """A wrong dtype, a member or leaf out of range, an unknown rule, a TREE pool without a
    parent, stages not covering the pools: each refused, naming the array."""
    with pytest.raises(error, match=message):
        staged_design(**_fields(**change))  # type: ignore[arg-type]


def test_wrappers_refuse_an_unchecked_tuple() -> None:
    """A plain tuple, or a StagedDesign whose array has the wrong dtype, never reaches a kernel."""
    good = d.dorfman(5, 2).staged
    bad = good._replace(pool_kind=good.pool_kind.astype(np.int64))
    result = np.full(8, -1, dtype=np.int8)
    with pytest.raises(TypeError):
        decode_staged(tuple(good), result)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pool_kind"):
        decode_staged(bad, result)
    with pytest.raises(TypeError, match="pool_kind"):
        check_staged(StagedDesign(*bad))
    ones = np.ones(2)
    with pytest.raises(TypeError):
        ks.run_campaign(good, ks.assay(good, ones, ones), np.zeros(5, np.int64), np.zeros(5))
    with pytest.raises(TypeError):
        ks.assay(good, np.ones(3), ones)
