"""Barcodes: the check character catches every single-character error and every
adjacent transposition; scans are normalised before they are checked."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from poolab.barcodes import (
    ALPHABET,
    barcode_problem,
    check_character,
    has_valid_check,
    issue_barcodes,
    normalise_scan,
)
from tests.strategies import issued_barcodes

SCAN_ALPHABET = ALPHABET[:-1]  # what can be typed or scanned: 0-9A-Z


@given(issued_barcodes())
def test_issued_barcode_is_accepted(code: str) -> None:
    """Every issued barcode passes its own check."""
    assert None is barcode_problem(code)


@given(issued_barcodes(), st.data())
def test_every_substitution_is_rejected(code: str, data: st.DataObject) -> None:
    """Changing any one character to any other is caught."""
    for i in range(len(code)):
        for ch in SCAN_ALPHABET:
            if ch != code[i]:
                wrong = code[:i] + ch + code[i + 1 :]
                assert False is has_valid_check(wrong), wrong


@given(issued_barcodes())
def test_every_adjacent_transposition_is_rejected(code: str) -> None:
    """Swapping any two neighbouring (different) characters is caught."""
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            wrong = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            assert False is has_valid_check(wrong), wrong


def test_check_character_matches_iso7064_mod37_2_reference() -> None:
    """The published ISO 7064 MOD 37-2 example: 'G123498654321' has check 'H'."""
    assert "H" == check_character("G123498654321")


def test_issuing_skips_serials_whose_check_would_be_star_o_or_i() -> None:
    """Issued codes are letters and digits only, never holding O or I (read as 0 and 1), in
    increasing serial order."""
    codes, next_serial = issue_barcodes("P", 1, 2000)
    assert 2000 == len(codes)
    assert not any(ch in c for c in codes for ch in "*OI")
    assert next_serial > 2000  # some serials were skipped
    assert sorted(codes) == codes
    every = [check_character(f"P{s:09d}") for s in range(1, next_serial)]
    assert {"*", "O", "I"} <= set(every)  # the skipped ones do occur among the serials


def test_wrong_check_character_message_never_gives_the_answer() -> None:
    """A barcode with a wrong check character is refused without naming the expected one
    (typing that character in makes another, real, tube's code)."""
    code = issue_barcodes("S", 23, 1)[0][0]
    wrong = code[:-1] + ("R" if code[-1] != "R" else "Q")
    message = barcode_problem(wrong)
    assert message is not None and "re-scan the whole barcode" in message
    assert repr(code[-1]) not in message and f" {code[-1]} " not in message


@given(issued_barcodes(), st.sampled_from(["", " ", "\t", "\r\n", "\n"]), st.booleans())
def test_scans_are_normalised(code: str, pad: str, lower: bool) -> None:
    """Whitespace, CR/LF and letter case do not matter."""
    raw = pad + (code.lower() if lower else code) + pad
    assert code == normalise_scan(raw)


def test_pre_printed_codes_only_in_field_binding() -> None:
    """A maker's code has no check of ours: accepted only for pre-printed tubes."""
    assert None is barcode_problem("SHX-20221104-0001", pre_printed=True)
    assert None is not barcode_problem("SHX-20221104-0001")


@given(
    st.lists(st.one_of(issued_barcodes(), st.text(alphabet=SCAN_ALPHABET + "-", max_size=14)), max_size=30),
    st.booleans(),
)
def test_batch_check_equals_one_by_one(codes: list[str], pre_printed: bool) -> None:
    """The vectorised check of a file's barcodes says exactly what the scalar check says
    (the codes as drawn, a few; and repeated past the size where numpy takes over)."""
    from poolab.barcodes import _FEW_CODES, barcode_problems

    mutated = [c[:-1] + ("0" if c[-1] != "0" else "1") if i % 3 == 0 and c else c for i, c in enumerate(codes)]
    many = mutated * (_FEW_CODES // len(mutated) + 1) if mutated else []
    for batch in (mutated, many):
        assert [barcode_problem(c, pre_printed=pre_printed) for c in batch] == barcode_problems(
            batch, pre_printed=pre_printed
        )


@given(st.sampled_from(["P", "S"]), st.integers(1, 10**9 - 500), st.integers(0, 120))
def test_issue_barcodes_equals_one_serial_at_a_time(prefix: str, first: int, count: int) -> None:
    """The vectorised issuing gives the codes make_barcode gives serial by serial, and the next free serial."""
    from poolab.barcodes import make_barcode

    expected: list[str] = []
    serial = first
    while len(expected) < count:
        code = make_barcode(prefix, serial)
        serial += 1
        if code is not None:
            expected.append(code)
    assert (expected, serial) == issue_barcodes(prefix, first, count)
