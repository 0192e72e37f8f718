"""Posteriors of a laid-out design's people: each pool's Se/Sp from its stage, then the
kernel (``poolab.kernels.bayes``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from poolab.kernels.bayes import Posterior, posterior
from poolab.plan.designs import Design


def design_posterior(
    design: Design,
    result: np.ndarray,
    se: float | Sequence[float] | np.ndarray,
    sp: float | Sequence[float] | np.ndarray,
    prior: float,
    max_exact: int = 16,
) -> Posterior:
    """``posterior`` on a ``Design``'s pools from int8 results per pool (-1 untested, 0, 1);
    ``se``/``sp`` one value or one per stage."""
    se_stage = np.broadcast_to(np.asarray(se, dtype=np.float64), (design.nstages,))
    sp_stage = np.broadcast_to(np.asarray(sp, dtype=np.float64), (design.nstages,))
    return posterior(
        design.n, design.pool_ptr, design.pool_members, result,
        se_stage[design.pool_stage].copy(), sp_stage[design.pool_stage].copy(), float(prior), max_exact,
    )  # fmt: skip
