"""PRC resident ID numbers: MOD 11-2 check character, validation, vectorised validation."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.idnumber import (
    check_character,
    id_number_problem,
    is_valid_id_number,
    make_id_number,
    valid_id_numbers,
)
from tests.strategies import id_numbers


def _naive_check(first17: str) -> str:
    # ISO 7064 MOD 11-2 as the standard writes it: the full sum, check included, is 1 mod 11.
    for c in "0123456789X":
        value = 10 if c == "X" else int(c)
        total = sum(int(d) * 2 ** (17 - i) for i, d in enumerate(first17)) + value
        if total % 11 == 1:
            return c
    raise AssertionError("no check character")


def test_published_examples():
    """Known ID numbers from GB 11643-1999 examples carry their published check characters."""
    assert "X" == check_character("11010519491231002")
    assert "4" == check_character("44052418800101001")
    assert is_valid_id_number("11010519491231002X")


@given(st.from_regex(r"[0-9]{17}", fullmatch=True))
def test_check_character_matches_standard(first17):
    """check_character agrees with the MOD 11-2 definition for any 17 digits."""
    assert _naive_check(first17) == check_character(first17)


@given(id_numbers(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_single_substitution_is_caught(number, position, char):
    """Changing any one check-bearing character of a valid ID number makes it invalid."""
    changed = number[:position] + char + number[position + 1 :]
    assert (changed == number) == is_valid_id_number(changed)


@given(id_numbers())
def test_generated_numbers_are_valid(number):
    """make_id_number gives numbers that validate, one by one and vectorised."""
    assert is_valid_id_number(number)
    assert [True] == valid_id_numbers([number]).tolist()


def test_make_id_number_layout():
    """Region, birth date and sequence sit where the standard puts them."""
    number = make_id_number("230102", datetime.date(1980, 5, 17), 123)
    assert "230102" + "19800517" + "123" == number[:17]
    assert "230102198005171237" == number


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "18 characters"),
        ("11010519491231002", "18 characters"),
        ("11010519491231002X1", "18 characters"),
        ("1101051949123100ZX", "17 digits"),
        ("１1010519491231002X", "17 digits"),  # a full-width digit
        ("11010519491231002x", "17 digits"),  # readers normalise x; the validator does not
        ("110105194912310021", "check character is wrong"),
        ("110105194902300029", "impossible birth date 19490230"),
        ("110105189901010028", "impossible birth date 18990101"),
        ("110105299901010028", "impossible birth date 29990101"),
    ],
)
def test_invalid_numbers_say_why(value, reason):
    """Each kind of invalid ID number is refused with a reason naming what is wrong."""
    problem = id_number_problem(value)
    assert problem is not None and reason in problem
    assert [False] == valid_id_numbers([value]).tolist()


@given(
    st.lists(
        st.one_of(id_numbers(), st.text(max_size=20), st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True)), max_size=20
    )
)
def test_vectorised_matches_scalar(values):
    """valid_id_numbers agrees with is_valid_id_number on any strings."""
    assert [is_valid_id_number(v) for v in values] == valid_id_numbers(values).tolist()


def test_vectorised_empty():
    """No values give an empty bool array."""
    assert (0,) == valid_id_numbers([]).shape
    assert np.bool_ == valid_id_numbers([]).dtype


def test_bad_arguments():
    """make_id_number refuses a malformed region or sequence."""
    with pytest.raises(ValueError):
        make_id_number("23010", datetime.date(1980, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id_number("230102", datetime.date(1980, 1, 1), 1000)
    with pytest.raises(ValueError):
        check_character("1234")
