"""Pictures for planners: tests per person against prevalence, and PSe against pool size.

matplotlib is an optional extra (``pip install 'poolab[plot]'``); it is imported only
here, only when a picture is drawn, with the Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from poolab.atomic import atomic_file
from poolab.errors import PoolabError
from poolab.plan.dilution import DilutionModel, detectable_fraction_array
from poolab.plan.opchar import BadPlanInput, opchar
from poolab.plan.spec import parse_spec

DEFAULT_DESIGNS = ("dorfman:5", "dorfman:10", "hier:25-5", "array:10", "array-master:10")
INSTALL_HINT = "pip install 'poolab[plot]'"


class PlotUnavailable(PoolabError):
    """matplotlib is not installed."""


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable(f"drawing curves needs matplotlib, an optional extra: {INSTALL_HINT}") from None
    return plt


def write_curves(
    path: str | Path,
    designs: Sequence[str] = DEFAULT_DESIGNS,
    min_prevalence: float = 0.001,
    max_prevalence: float = 0.2,
    se: float = 1.0,
    sp: float = 1.0,
    dilution: DilutionModel | None = None,
    max_pool_size: int = 50,
    points: int = 120,
) -> Path:
    """Draw E/n against prevalence for ``designs`` and PSe against pool size; write a PNG.

    The prevalence panel uses ``dilution`` when given. The pool-size panel always shows
    dilution (the given model, or the default one): Dorfman PSe with the plain Se/Sp
    model beside it, so the loss that dilution causes is visible.
    """
    if not (0.0 < min_prevalence < max_prevalence < 1.0):
        raise BadPlanInput(
            f"need 0 < min prevalence < max prevalence < 1 (values {min_prevalence!r}, {max_prevalence!r})"
        )
    if not designs:
        raise BadPlanInput("give at least one design to draw")
    if max_pool_size < 2:
        raise BadPlanInput(f"max pool size must be at least 2 (value {max_pool_size!r})")
    specs = [parse_spec(d) for d in designs]
    prev = np.geomspace(min_prevalence, max_prevalence, points)
    curves = {
        str(s): [opchar(s, float(p), se, sp, dilution).expected_tests_per_individual for p in prev] for s in specs
    }
    model = dilution or DilutionModel()
    ks = np.arange(1, max_pool_size + 1)
    plain = np.full(ks.shape, se * se)
    diluted = se * detectable_fraction_array(ks, model) * se
    diluted[0] = se * detectable_fraction_array(np.array([1]), model)[0]
    plain[0] = se

    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=100)
    for name, ys in curves.items():
        left.plot(prev, ys, label=name)
    left.axhline(1.0, color="grey", lw=0.8, ls=":", label="individual")
    left.set_xscale("log")
    left.set_xlabel("prevalence")
    left.set_ylabel("expected tests per person")
    left.set_title(f"Tests per person (Se={se:g}, Sp={sp:g}{', dilution' if dilution else ''})")
    left.legend(fontsize=8)
    left.grid(True, which="both", alpha=0.3)
    right.plot(ks, plain, label="Dorfman PSe, no dilution")
    right.plot(ks, diluted, label="Dorfman PSe, dilution")
    right.axvline(10, color="grey", lw=0.8, ls=":", label="10-in-1")
    right.set_xlabel("pool size K")
    right.set_ylabel("pooling sensitivity")
    right.set_title(f"Dilution: Ct~N({model.ct_mean:g}, {model.ct_sd:g}), limit Ct {model.limit_ct:g}")
    right.legend(fontsize=8)
    right.grid(True, alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    with atomic_file(out) as f:  # a failed write leaves no half PNG
        fig.savefig(f, format="png")
    plt.close(fig)
    return out
