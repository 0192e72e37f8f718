"""The shifted transversal design's closed form agrees with the simulator running the
same design and decoder."""

from __future__ import annotations

import pytest

from poolab.plan.opchar import opchar
from poolab.plan.optimize import optimize
from poolab.plan.simulate import simulate
from poolab.plan.spec import parse_spec


@pytest.mark.parametrize(
    ("spec", "p", "se", "sp"),
    [("std:13-3", 0.01, 1.0, 1.0), ("std:7-2", 0.03, 0.95, 0.98), ("std:11-4", 0.02, (0.9, 0.99), (0.97, 0.995))],
)
def test_closed_form_inside_simulated_interval(spec: str, p: float, se: object, sp: object) -> None:
    """E/n, PSe and PSp of std:Q-K fall inside the simulator's 99.9% intervals (nine
    comparisons in this test: 99% intervals would miss once in a dozen runs by chance)."""
    q = parse_spec(spec).sizes[0]
    sim = simulate(parse_spec(spec), q * q * 40, p, se, sp, replicates=200, seed=5)  # type: ignore[arg-type]
    closed = opchar(spec, p, se, sp)  # type: ignore[arg-type]
    for key in ("expected_tests_per_individual", "pse", "psp"):
        low, high = sim.ci99[key]
        centre, half = (low + high) / 2, (high - low) / 2 * 3.29 / 2.576
        value = getattr(closed, key)
        assert centre - half - 1e-9 <= value <= centre + half + 1e-9, (key, value, (low, high))


def test_perfect_assay_closed_form() -> None:
    """Se = Sp = 1: E/n = K/Q + p + (1-p)(1-(1-p)^(Q-1))^K, and nothing is missed."""
    p, q, k = 0.02, 11, 3
    expected = k / q + p + (1 - p) * (1 - (1 - p) ** (q - 1)) ** k
    got = opchar(f"std:{q}-{k}", p)
    assert expected == pytest.approx(got.expected_tests_per_individual, abs=1e-12)
    assert 1.0 == got.pse


def test_optimizer_searches_std() -> None:
    """The optimiser returns a valid std design no worse than any candidate it ranked."""
    best = optimize("std", 0.01, max_pool_size=30)
    assert "std" == best.spec.family
    assert all(best.best.expected_tests_per_individual <= r.expected_tests_per_individual for r in best.ranked)
