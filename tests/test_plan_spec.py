"""Design SPEC strings: every accepted form round-trips, every refusal names the value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.plan.spec import MAX_PLANNED_POOL, BadSpec, DesignSpec, check_std, is_prime, parse_spec


@pytest.mark.parametrize(
    ("text", "family", "sizes"),
    [
        ("individual", "individual", ()),
        ("dorfman:10", "dorfman", (10,)),
        (" Dorfman:10 ", "dorfman", (10,)),
        ("hier:20-5", "hier", (20, 5)),
        ("array:12", "array", (12,)),
        ("array-master:8", "array-master", (8,)),
        ("std:13-3", "std", (13, 3, 1)),
        ("std:7-4-3", "std", (7, 4, 3)),
    ],
)
def test_accepted_forms_round_trip(text: str, family: str, sizes: tuple[int, ...]) -> None:
    spec = parse_spec(text)
    assert (spec.family, spec.sizes) == (family, sizes)
    assert parse_spec(str(spec)) == spec


def test_std_with_compression_one_prints_without_it() -> None:
    assert str(DesignSpec("std", (13, 3))) == "std:13-3"
    assert str(DesignSpec("std", (7, 4, 2))) == "std:7-4-2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tripod:4", "is not a SPEC; use one of: individual, dorfman:K"),
        ("dorfman:10-5-2", "only std takes three sizes"),
        ("individual:5", "'individual' takes no size"),
        ("dorfman", "dorfman needs a size"),
        ("hier:20", "hier needs K1-K2"),
        ("hier:5-20", "hier:K1-K2 needs K1 > K2 >= 2"),
        ("hier:10-1", "hier:K1-K2 needs K1 > K2 >= 2"),
        (f"hier:{MAX_PLANNED_POOL + 1}-5", f"pools of at most {MAX_PLANNED_POOL}"),
        ("std:13", "std needs Q-K or Q-K-G"),
        ("std:12-3", "needs a prime Q (value 12)"),
        ("std:13-14", "needs 1 <= K <= Q (K = 14, Q = 13)"),
        ("std:13-0", "needs 1 <= K <= Q (K = 0, Q = 13)"),
        ("std:7-4-0", "compression power G >= 1 (value 0)"),
        ("std:101-3-6", "blocks of Q^(G+1) = 101^7 people are too large"),
        ("array:10-2", "array takes one size"),
        ("dorfman:1", f"the size must be from 2 to {MAX_PLANNED_POOL}"),
        (f"dorfman:{MAX_PLANNED_POOL + 1}", f"the size must be from 2 to {MAX_PLANNED_POOL}"),
    ],
)
def test_refusals_name_the_value(text: str, message: str) -> None:
    with pytest.raises(BadSpec) as caught:
        parse_spec(text)
    assert message in str(caught.value)
    assert f"design {text!r}" in str(caught.value)


def test_check_std_alone() -> None:
    check_std(13, 3, 1)
    with pytest.raises(BadSpec, match="prime Q"):
        check_std(1, 1, 1)


@given(st.integers(min_value=-5, max_value=2000))
def test_is_prime_matches_trial_division(q: int) -> None:
    assert is_prime(q) == (q >= 2 and not any(q % d == 0 for d in range(2, q)))
