"""The optimiser finds the published optima and binGroup2 OTC1's optima."""

from __future__ import annotations

import math

import pytest
from naive import otc1_d3_naive

from poolab.plan.dilution import DilutionModel
from poolab.plan.inputs import BadPlanInput
from poolab.plan.opchar import opchar
from poolab.plan.optimize import optimize

# Perfect-test Dorfman optima (issue 3's table; Dorfman 1943 / Finucan 1964):
# prevalence, best K, tests per person (None where the table gives no value).
DORFMAN_OPTIMA = [
    (0.001, 32, 0.0628),
    (0.01, 11, 0.1956),
    (0.02, 8, None),
    (0.05, 5, None),
    (0.10, 4, None),
    (0.20, 3, None),
]


@pytest.mark.parametrize("p, k, value", DORFMAN_OPTIMA)
def test_dorfman_published_optima(p: float, k: int, value: float | None) -> None:
    """Perfect-test Dorfman optimum over K = 2..100 is the published K (and E/n)."""
    found = optimize("dorfman", p)
    assert f"dorfman:{k}" == found.best.design
    if value is not None:
        assert value == round(found.best.expected_tests_per_individual, 4)


def test_dorfman_eleven_just_ahead_of_ten() -> None:
    """At p=0.01, K=11 (0.19557) beats K=10 (0.19562) by a hair; K=10 is the runner-up."""
    found = optimize("dorfman", 0.01)
    assert ["dorfman:11", "dorfman:10"] == [r.design for r in found.ranked[:2]]
    assert 0.19562 == round(found.ranked[1].expected_tests_per_individual, 5)


def test_ranking_matches_bingroup2_otc1_vignette() -> None:
    """OTC1(D2, p=0.01, Se=Sp=0.99, group.sz=3:20) ranks K = 11, 10, 12, 9, 13 (vignette)."""
    found = optimize("dorfman", 0.01, 0.99, 0.99, max_pool_size=20)
    assert ["dorfman:11", "dorfman:10", "dorfman:12", "dorfman:9", "dorfman:13"] == [r.design for r in found.ranked]
    assert 0.2035 == round(found.best.expected_tests_per_individual, 4)


@pytest.mark.parametrize("p", [0.005, 0.01, 0.02, 0.05, 0.1])
@pytest.mark.parametrize(
    "se, sp",
    [((1.0, 1.0, 1.0), (1.0, 1.0, 1.0)), ((0.95, 0.95, 0.99), (0.96, 0.96, 0.98))],
)
def test_hier_matches_otc1_partition_search(p: float, se: tuple[float, ...], sp: tuple[float, ...]) -> None:
    """hier optimum equals binGroup2 OTC1's D3 optimum over every partition (interior optima)."""
    expected_e, k1, parts = otc1_d3_naive(p, se, sp, 40)
    found = optimize("hier", p, se, sp, max_pool_size=40)
    assert f"hier:{k1}-{parts[0]}" == found.best.design
    assert math.isclose(expected_e, found.best.expected_tests_per_individual, rel_tol=1e-12)


@pytest.mark.parametrize("family", ["dorfman", "array", "array-master"])
@pytest.mark.parametrize("p", [0.003, 0.03, 0.15])
def test_optimum_is_the_argmin_of_opchar(family: str, p: float) -> None:
    """The vectorised search equals a plain loop over opchar (first minimum = smaller pool)."""
    values = [(opchar(f"{family}:{k}", p, 0.98, 0.99).expected_tests_per_individual, k) for k in range(2, 41)]
    best_value, best_k = min(values)
    found = optimize(family, p, 0.98, 0.99, max_pool_size=40)
    assert f"{family}:{best_k}" == found.best.design
    assert math.isclose(best_value, found.best.expected_tests_per_individual, rel_tol=1e-12)


def test_min_pse_is_respected() -> None:
    """With dilution, a PSe floor forces a smaller pool than the unconstrained optimum."""
    model = DilutionModel()
    free = optimize("dorfman", 0.001, 0.99, 0.99, dilution=model)
    floor = optimize("dorfman", 0.001, 0.99, 0.99, dilution=model, min_pse=0.82)
    assert floor.best.pse >= 0.82
    assert int(floor.spec.sizes[0]) < int(free.spec.sizes[0])
    assert all(r.pse >= 0.82 for r in floor.ranked)


def test_unreachable_pse_floor_says_why() -> None:
    """A PSe floor no design reaches raises BadPlanInput naming the best PSe available."""
    with pytest.raises(BadPlanInput, match="highest PSe is 0.8"):
        optimize("dorfman", 0.01, 0.9, 0.99, min_pse=0.95)


@pytest.mark.parametrize("family, size", [("foo", 10), ("dorfman", 1), ("hier", 2)])
def test_bad_family_or_size(family: str, size: int) -> None:
    """Unknown families and too-small pool limits are refused with a message."""
    with pytest.raises(BadPlanInput):
        optimize(family, 0.01, max_pool_size=size)
