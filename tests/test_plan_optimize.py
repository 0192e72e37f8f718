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
    """A PSe floor no design reaches raises BadPlanInput naming the best PSe available
    (single tubes' 0.9: pools of Se 0.9 twice give 0.81)."""
    with pytest.raises(BadPlanInput, match="highest PSe is 0.9000"):
        optimize("dorfman", 0.01, 0.9, 0.99, min_pse=0.95)


@pytest.mark.parametrize("family, size", [("foo", 10), ("dorfman", 1), ("hier", 2)])
def test_bad_family_or_size(family: str, size: int) -> None:
    """Unknown families and too-small pool limits are refused with a message."""
    with pytest.raises(BadPlanInput):
        optimize(family, 0.01, max_pool_size=size)


# Dorfman pools of 3 beat single tubes exactly while 1/3 + 1 - (1-p)^3 < 1, i.e. below
# p* = 1 - 3^(-1/3) = 0.30663 (the published break-even of two-stage Dorfman testing:
# Samuels 1978, J Am Stat Assoc 73:625; Finucan 1964): above it single tubes win.
DORFMAN_BREAK_EVEN = 1 - 3 ** (-1 / 3)


@pytest.mark.parametrize(
    "p, design", [(DORFMAN_BREAK_EVEN - 1e-4, "dorfman:3"), (DORFMAN_BREAK_EVEN + 1e-4, "individual")]
)
def test_single_tubes_past_the_dorfman_break_even(p: float, design: str) -> None:
    """Just below the published break-even the optimum is dorfman:3; just above it, single
    tubes (one test per person), with opchar's keys and the individual design's figures."""
    found = optimize("dorfman", p)
    assert design == found.best.design
    assert (design == "individual") == found.singly
    assert opchar(design, p).as_dict() == found.best.as_dict()


@pytest.mark.parametrize("family", ["dorfman", "hier", "array", "array-master", "std"])
def test_every_family_considers_single_tubes(family: str) -> None:
    """At 50% no design of any family needs fewer tests than one per person: the optimiser
    says individual (it used to return the family's least bad design, e.g. dorfman:100 at
    1.01 tests per person), per block and as laid out on N people."""
    for residents in (None, 250):
        found = optimize(family, 0.5, max_pool_size=30, residents=residents)
        assert ("individual", 1.0) == (found.best.design, found.best.expected_tests_per_individual)


def test_single_tubes_keep_a_floor_pools_cannot() -> None:
    """Under dilution with a PSe floor above what any pool keeps, single tubes (Se times
    the share detectable alone) are the answer rather than a refusal."""
    model = DilutionModel()
    alone = opchar("individual", 0.01, 0.95, 0.99, dilution=model).pse
    pairs = opchar("dorfman:2", 0.01, 0.95, 0.99, dilution=model).pse  # the best PSe of any pool
    assert pairs < alone
    found = optimize("dorfman", 0.01, 0.95, 0.99, min_pse=pairs - 0.05, dilution=model)
    assert "dorfman" == found.best.design.split(":")[0]
    strict = optimize("dorfman", 0.01, 0.95, 0.99, min_pse=(pairs + alone) / 2, dilution=model)
    assert ("individual", alone) == (strict.best.design, strict.best.pse)
