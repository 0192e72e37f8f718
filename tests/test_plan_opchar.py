"""Closed-form operating characteristics against published values and exact enumeration."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from naive import array_opchar_naive, hier_opchar_naive

from poolab.errors import PoolabError
from poolab.plan.dilution import DilutionModel, detectable_fraction
from poolab.plan.inputs import BadPlanInput, stage_values
from poolab.plan.opchar import OperatingCharacteristics, opchar

# binGroup2 1.3.3 vignette "Identification-through-group-testing" (bdhitt/binGroup2,
# articles/Identification-through-group-testing.html): opChar1(algorithm = "D2", p = 0.01,
# Se = 0.99, Sp = 0.99) for K = 10, and Config(OTC1(..., group.sz = 3:20)) for the rest.
# Columns: K, tests per individual, PSe, PSp, PPPV, PNPV (all printed to 4 decimals).
BINGROUP2_D2 = [
    (11, 0.2035, 0.9801, 0.9990, 0.9052, 0.9998),
    (10, 0.2037, 0.9801, 0.9991, 0.9127, 0.9998),
    (12, 0.2047, 0.9801, 0.9989, 0.8979, 0.9998),
    (9, 0.2059, 0.9801, 0.9991, 0.9203, 0.9998),
    (13, 0.2070, 0.9801, 0.9988, 0.8908, 0.9998),
]


def _tuple(o: OperatingCharacteristics) -> tuple[float, ...]:
    return (o.expected_tests_per_individual, o.pse, o.psp, o.pppv, o.pnpv)


@pytest.mark.parametrize("row", BINGROUP2_D2)
def test_dorfman_matches_bingroup2_vignette(row: tuple[float, ...]) -> None:
    """dorfman:K at p=0.01, Se=Sp=0.99 agrees with binGroup2's printed opChar1/OTC1 values."""
    k, *expected = row
    actual = opchar(f"dorfman:{int(k)}", 0.01, 0.99, 0.99)
    assert expected == [round(v, 4) for v in _tuple(actual)]


@given(k=st.integers(2, 200), p=st.floats(1e-4, 0.5))
def test_dorfman_perfect_test_formula(k: int, p: float) -> None:
    """With Se = Sp = 1, Dorfman needs 1/K + 1 - (1-p)^K tests per person and is exact."""
    o = opchar(f"dorfman:{k}", p)
    assert math.isclose(1 / k + 1 - (1 - p) ** k, o.expected_tests_per_individual, rel_tol=1e-12)
    assert (1.0, 1.0) == (o.pse, o.psp)


@given(k=st.integers(2, 100), p=st.floats(1e-4, 0.5), se=st.floats(0.5, 1), sp=st.floats(0.5, 1))
def test_dorfman_kim_2007_formula(k: int, p: float, se: float, sp: float) -> None:
    """Imperfect Dorfman: E/n = 1/K + Se - (Se+Sp-1)(1-p)^K and PSe = Se^2 (Kim et al. 2007)."""
    o = opchar(f"dorfman:{k}", p, se, sp)
    expected = 1 / k + se - (se + sp - 1) * (1 - p) ** k
    assert math.isclose(expected, o.expected_tests_per_individual, rel_tol=1e-12)
    assert math.isclose(se * se, o.pse, rel_tol=1e-12)


def test_array_10x10_published_value() -> None:
    """A 10x10 array without master pool at p=0.01, perfect tests: 0.2174 tests per person."""
    assert 0.2174 == round(opchar("array:10", 0.01).expected_tests_per_individual, 4)


_acc = st.floats(0.6, 1.0)


@given(
    k1=st.integers(3, 9),
    k2=st.integers(2, 8),
    p=st.floats(0.01, 0.4),
    se=st.tuples(_acc, _acc, _acc),
    sp=st.tuples(_acc, _acc, _acc),
)
def test_hier_matches_enumeration(k1: int, k2: int, p: float, se: tuple[float, ...], sp: tuple[float, ...]) -> None:
    """hier:K1-K2 (remainder subpool, final singletons, per-stage Se/Sp) equals enumeration."""
    k2 = min(k2, k1 - 1)
    actual = _tuple(opchar(f"hier:{k1}-{k2}", p, se, sp))
    expected = hier_opchar_naive(k1, k2, p, se, sp)
    assert all(math.isclose(e, a, rel_tol=1e-9) for e, a in zip(expected, actual, strict=True))


@pytest.mark.parametrize(
    "design, p, se, sp",
    [
        ("array:2", 0.1, (0.9, 0.95), (0.85, 0.97)),
        ("array:3", 0.07, (0.9, 0.95), (0.85, 0.97)),
        ("array:3", 0.2, (1.0, 1.0), (1.0, 1.0)),
        ("array-master:2", 0.1, (0.8, 0.9, 0.95), (0.9, 0.85, 0.97)),
        ("array-master:3", 0.05, (0.8, 0.9, 0.95), (0.9, 0.85, 0.97)),
    ],
)
def test_arrays_match_enumeration(design: str, p: float, se: tuple[float, ...], sp: tuple[float, ...]) -> None:
    """array:R and array-master:R (per-stage Se/Sp, master Sp != row Sp) equal exact enumeration."""
    r = int(design.split(":")[1])
    expected = array_opchar_naive(r, p, se, sp, master=design.startswith("array-master"))
    actual = _tuple(opchar(design, p, se, sp))
    assert all(math.isclose(e, a, rel_tol=1e-9) for e, a in zip(expected, actual, strict=True))


def test_large_designs_stay_finite() -> None:
    """Pools of 100 (arrays of 100x100) give finite probabilities, not overflow."""
    for design in ("dorfman:100", "hier:100-99", "array:100", "array-master:100"):
        values = _tuple(opchar(design, 0.3, 0.9, 0.9))
        assert all(math.isfinite(v) and 0 <= v for v in values), design


def test_individual_testing() -> None:
    """individual: one test per person, PSe = Se, PSp = Sp."""
    o = opchar("individual", 0.02, 0.95, 0.98)
    assert (1.0, 0.95, 0.98) == (o.expected_tests_per_individual, o.pse, o.psp)


def test_dilution_one_positive_limit() -> None:
    """As p -> 0 a positive is alone in its pool: Dorfman PSe under dilution is
    Se1*Se2*P(x >= K) + (1-Sp1)*Se2*P(1 <= x < K) + (1-Sp1)(1-Sp2)*P(x < 1) (dilution.py)."""
    model = DilutionModel()
    se, sp, k = (0.97, 0.99), (0.98, 0.995), 10
    o = opchar(f"dorfman:{k}", 1e-9, se, sp, dilution=model)
    pool, alone = detectable_fraction(k, model), detectable_fraction(1, model)
    expected = se[0] * se[1] * pool + (1 - sp[0]) * se[1] * (alone - pool) + (1 - sp[0]) * (1 - sp[1]) * (1 - alone)
    # 1e-5: the lattice's discretisation error (exact_dilution.RESOLUTION)
    assert math.isclose(expected, o.pse, abs_tol=1e-5)


def test_json_keys_are_the_contract() -> None:
    """as_dict gives exactly the keys of docs/formats.md, in order."""
    keys = ["design", "expected_tests_per_individual", "pse", "psp", "pppv", "pnpv"]
    assert keys == list(opchar("array:5", 0.01).as_dict())


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 2.0, float("nan")])
def test_bad_prevalence_is_refused(p: float) -> None:
    """Prevalence outside (0, 1) raises a PoolabError naming the value."""
    with pytest.raises(PoolabError, match="prevalence"):
        opchar("dorfman:10", p)


def test_stage_values() -> None:
    """One Se fills every stage; a list must have one value per stage, each in (0, 1]."""
    assert (0.9, 0.9, 0.9) == stage_values(0.9, "hier", "se")
    assert (0.9, 0.95) == stage_values([0.9, 0.95], "dorfman", "se")
    with pytest.raises(BadPlanInput, match="2 stages"):
        stage_values([0.9, 0.9, 0.9], "dorfman", "se")
    with pytest.raises(BadPlanInput, match=r"\(0, 1\]"):
        stage_values(0.0, "dorfman", "sp")
    with pytest.raises(BadPlanInput, match=r"\(0, 1\]"):
        stage_values(1.2, "dorfman", "se")
