"""Dilution: pool sensitivity from the Ct model, and why labs stop at 10-in-1."""

from __future__ import annotations

import math

import numpy as np
import pytest

from poolab.plan.dilution import (
    BadDilution,
    DilutionModel,
    detectable_fraction,
    pool_sensitivity,
    pool_sensitivity_array,
    relative_pool_sensitivity,
)
from poolab.plan.opchar import opchar
from poolab.plan.optimize import optimize

MODEL = DilutionModel()


def test_sensitivity_falls_with_pool_size() -> None:
    """Pool sensitivity strictly decreases as K grows (one positive is diluted log2 K)."""
    values = [pool_sensitivity(k, MODEL, 0.99) for k in range(1, 101)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


def test_vectorised_equals_scalar() -> None:
    """pool_sensitivity_array agrees with pool_sensitivity for every K."""
    ks = np.arange(1, 60)
    expected = [pool_sensitivity(int(k), MODEL, 0.97) for k in ks]
    assert np.allclose(expected, pool_sensitivity_array(ks, MODEL, 0.97), rtol=1e-14, atol=0)


def test_one_positive_shifts_ct_by_log2_k() -> None:
    """A pool of K behaves like a single tube whose limit is log2 K cycles lower."""
    shifted = DilutionModel(MODEL.ct_mean, MODEL.ct_sd, MODEL.limit_ct - math.log2(8))
    assert math.isclose(detectable_fraction(1, shifted), detectable_fraction(8, MODEL))


def test_closed_form_matches_the_model_by_sampling() -> None:
    """The closed form equals P(pool Ct <= limit) sampled from the model (one positive)."""
    rng = np.random.default_rng(7)
    ct = rng.normal(MODEL.ct_mean, MODEL.ct_sd, 200_000)
    k = 10
    pool_ct = -np.log2(2.0**-ct / k)  # K-1 negatives contribute nothing
    sampled = float(np.mean(pool_ct <= MODEL.limit_ct))
    assert abs(detectable_fraction(k, MODEL) - sampled) < 0.005


@pytest.mark.parametrize("k, measured", [(5, 0.93), (10, 0.91), (50, 0.81)])
def test_defaults_reproduce_measured_pool_sensitivity(k: int, measured: float) -> None:
    """Relative pool sensitivity is within 0.015 of Bateman et al. 2021 (93%, 91%, 81%)."""
    assert abs(measured - relative_pool_sensitivity(k, MODEL)) < 0.015


def test_why_labs_stop_at_ten_in_one() -> None:
    """At low prevalence efficiency wants huge pools; a 10% dilution-loss budget caps K near 10.

    At p = 0.001 the cheapest Dorfman pool is K = 39, but it finds only 84% of what single
    tubes find. Asking to lose at most 10% of positives (PSe >= 0.90 x single tubes' PSe x
    the retest's Se) caps K at 11, as the pure dilution loss does (relative pool
    sensitivity >= 0.90 allows K <= 11); K = 10 costs 0.009 more tests per person than
    K = 11. (Single tubes' PSe counts the too-dilute positives a tube calls positive
    falsely, 1 - Sp, as the simulator does; pools get the same credit.)
    """
    p, se, sp = 0.001, 0.99, 0.99
    free = optimize("dorfman", p, se, sp, dilution=MODEL)
    assert "dorfman:39" == free.best.design
    single = opchar("individual", p, se, sp, dilution=MODEL).pse
    assert free.best.pse < 0.84 * single * se
    budget = optimize("dorfman", p, se, sp, dilution=MODEL, min_pse=0.90 * single * se)
    assert "dorfman:11" == budget.best.design
    ten = opchar("dorfman:10", p, se, sp, dilution=MODEL).expected_tests_per_individual
    assert ten - budget.best.expected_tests_per_individual < 0.009
    assert relative_pool_sensitivity(11, MODEL) >= 0.90 > relative_pool_sensitivity(12, MODEL)


@pytest.mark.parametrize(
    "model, k",
    [(DilutionModel(ct_sd=0.0), 10), (DilutionModel(ct_sd=-1.0), 10), (MODEL, 0)],
)
def test_bad_models_are_refused(model: DilutionModel, k: int) -> None:
    """A non-positive Ct sd or a pool size below 1 raises BadDilution."""
    with pytest.raises(BadDilution):
        pool_sensitivity(k, model, 0.99)
