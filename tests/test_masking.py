"""Masking of names, ID numbers and phones on exports."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.masking import mask_all, mask_id_number, mask_name, mask_phone
from tests.strategies import id_numbers, person_names


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三明", "张*明"),
        ("欧阳小明", "欧**明"),
        ("王", "*"),
        ("", ""),
        ("Ivan Petrov", "I*"),
        (" 李四 ", "李*"),
        ("阿依古丽·买买提", "阿******提"),
    ],
)
def test_mask_name(name, masked):
    """Chinese names keep first and last character (2 characters: the first); Latin the initial."""
    assert masked == mask_name(name)


def test_mask_id_number_and_phone():
    """ID numbers keep the first 6 and last 4 characters, phones the first 3 and last 4."""
    assert "230102********123X" == mask_id_number("23010219800517123X")
    assert "138****1234" == mask_phone("13812341234")
    assert "" == mask_id_number("") == mask_phone("")
    assert "*****" == mask_phone("12345")


@given(id_numbers())
def test_masked_id_hides_birth_date(number):
    """A masked ID number never shows the birth date or the sequence."""
    masked = mask_id_number(number)
    assert 18 == len(masked)
    assert "*" * 8 == masked[6:14]
    assert number[:6] + number[14:] == masked[:6] + masked[14:]


@given(person_names)
def test_masked_name_hides_something(name):
    """Every non-empty name loses at least one character to a star."""
    masked = mask_name(name)
    assert "*" in masked
    assert masked[0] == name.strip()[0] or masked == "*"


def test_mask_all():
    """mask_all masks a whole column in order."""
    assert ["张*", "", "I*"] == mask_all(["张三", "", "Ivan"], mask_name)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_masked_phone_shape(phone):
    """A masked mobile number has 4 stars in the middle and keeps its length."""
    assert phone[:3] + "****" + phone[7:] == mask_phone(phone)
