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


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("刘 伟", "刘*"),  # a space typed between surname and given name
        ("刘\u3000伟", "刘*"),  # the ideographic space of a Chinese input method
        ("刘\u200b伟", "刘*"),  # a zero-width space pasted from a web page
        ("\ufeff张三", "张*"),  # a byte-order mark left at the start of a cell
        ("张 三 明", "张*明"),
        ("\u200bIvan", "I*"),
        ("José Núñez", "J*"),
        ("Zoë", "Z*"),
        ("Иван Петров", "И*"),
        ("\U00020bb7野家", "\U00020bb7*家"),  # an extension-B surname is a Chinese name too
        ("\u200b\u3000", ""),
    ],
)
def test_mask_name_counts_what_a_reader_sees(name, masked):
    """Spaces and invisible characters are no characters of the name; a non-Chinese name keeps its initial."""
    assert masked == mask_name(name)


_INVISIBLE = st.sampled_from([" ", "\u3000", "\u200b", "\ufeff", "\u200e", "\t"])


@given(st.text("王李张刘陈杨赵欧阳明华伟芳丽强建国海", min_size=1, max_size=5), st.data())
def test_spaces_anywhere_do_not_change_the_mask(name, data):
    """A Chinese name masks the same with spaces or invisible characters put anywhere in it."""
    chars = list(name)
    for _ in range(data.draw(st.integers(1, 3))):
        chars.insert(data.draw(st.integers(0, len(chars))), data.draw(_INVISIBLE))
    assert mask_name(name) == mask_name("".join(chars))


@given(st.text("王李张刘陈杨赵欧阳明华伟芳丽强建国海", min_size=2, max_size=2))
def test_two_characters_keep_the_surname_alone(name):
    """A two-character Chinese name shows its surname and one star, never its given name."""
    assert name[0] + "*" == mask_name(name)


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
