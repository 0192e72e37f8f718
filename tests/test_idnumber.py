"""PRC resident ID numbers: MOD 11-2 check character, validation, vectorised validation."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.roster.idnumber import (
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


def _stdnum_valid(value: str) -> bool:
    """python-stdnum's view: 17 digits, the MOD 11-2 check character and a real birth
    date (stdnum's ``cn.ric`` also wants a region it knows; poolab checks no regions),
    within poolab's range of birth years."""
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError
    from stdnum.iso7064 import mod_11_2

    if len(value) != 18 or not all(c in "0123456789" for c in value[:17]) or value[17] not in "0123456789X":
        return False
    if not mod_11_2.is_valid(value):
        return False
    try:
        born = ric.get_birth_date(value)
    except ValidationError:
        return False
    return born.year >= 1900 and born <= datetime.date.today()


@given(st.from_regex(r"[0-9]{17}", fullmatch=True))
def test_check_character_matches_stdnum(first17):
    """The check character is python-stdnum's ISO 7064 MOD 11-2 check digit, and what cn.ric computes."""
    from stdnum.cn import ric
    from stdnum.iso7064 import mod_11_2

    assert mod_11_2.calc_check_digit(first17) == check_character(first17)
    assert ric.calc_check_digit(first17 + "0") == check_character(first17)


_NEAR_ID = st.one_of(
    id_numbers(),
    id_numbers().map(lambda s: s[:17] + ("X" if s[17] != "X" else "0")),  # a wrong check character
    st.from_regex(r"[1-8][0-9]{5}(19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9X]", fullmatch=True),
    st.text(alphabet="0123456789X０１２", min_size=16, max_size=19),
)


@given(st.lists(_NEAR_ID, max_size=30))
def test_scalar_and_vectorised_agree_with_stdnum(values):
    """Scalar and vectorised checks give python-stdnum's verdict on numbers and near-misses."""
    expected = [_stdnum_valid(v) for v in values]
    assert expected == [is_valid_id_number(v) for v in values]
    assert expected == valid_id_numbers(values).tolist()


def test_stdnum_accepts_generated_numbers_of_a_known_region():
    """A number made by make_id_number for district 230102 is valid for cn.ric too (region included)."""
    from stdnum.cn import ric

    number = make_id_number("230102", datetime.date(1987, 6, 5), 421)
    assert ric.is_valid(number)
    assert is_valid_id_number(number)
