"""Tube barcodes: generation, check character, scan normalisation.

A generated barcode is ``<prefix><serial><check>``: a one-letter prefix (``P`` for a pool
tube, ``S`` for an individual resample tube, ``L`` for a plate), a zero-padded decimal serial unique in the
store, and one check character from ISO/IEC 7064 MOD 37-2 (the pure system over 0-9A-Z
and '*'). Because 37 is prime and the weights are powers of 2, that check catches every
single-character substitution and every transposition of adjacent characters (the
hybrid MOD 37,36 misses some transpositions such as 54 -> 45), so a mistyped or
mis-scanned code is refused at the first scan. Serials whose check would be '*', 'O' or
'I' are never issued, so every barcode is letters and digits only and never holds a
letter a person reads as 0 or 1 (the prefix is always P, S or L).

Pre-printed tubes (field binding) carry the maker's codes, which have no check
character of ours; they are only normalised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from poolab.i18n import _

if TYPE_CHECKING:  # numpy is imported where a batch is big enough to need it: a
    # reception of a few scans (or `poolab status`) does not pay its import
    import numpy as np

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
SERIAL_DIGITS = 9
POOL_PREFIX = "P"
INDIVIDUAL_PREFIX = "S"
PLATE_PREFIX = "L"  # a plate of the lab bench (same serials and check character)
_GENERATED = re.compile(rf"^[A-Z][0-9]{{{SERIAL_DIGITS}}}[0-9A-Z]$")
# Pre-printed codes: letters, digits and the separators makers use.
_PRINTED = re.compile(r"^[0-9A-Z][0-9A-Z\-_.]{2,39}$")


def check_character(body: str) -> str:
    """The ISO 7064 MOD 37-2 check character of ``body`` (characters 0-9A-Z)."""
    p = 0
    for ch in body:
        p = ((p + _VALUE[ch]) * 2) % 37
    return ALPHABET[(38 - p) % 37]


def has_valid_check(code: str) -> bool:
    """True when the last character is the check character of the rest."""
    if len(code) < 2 or any(ch not in _VALUE for ch in code):
        return False
    return check_character(code[:-1]) == code[-1]


NEVER_ISSUED = "*OI"
"""Check characters of serials that are skipped: '*' is no letter or digit, and O and I
read as 0 and 1."""
_SKIPPED_VALUES = [ALPHABET.index(ch) for ch in NEVER_ISSUED]


def make_barcode(prefix: str, serial: int) -> str | None:
    """The barcode for ``serial`` with its check character, or None for a serial that is
    never issued (its check character would be one of ``NEVER_ISSUED``)."""
    body = f"{prefix}{serial:0{SERIAL_DIGITS}d}"
    check = check_character(body)
    return None if check in NEVER_ISSUED else body + check


_FEW_CODES = 64
"""Below this many codes, issuing or checking them one by one costs less than importing
numpy (about 30 ms, more than a few codes take one by one)."""


def issue_barcodes(prefix: str, first_serial: int, count: int) -> tuple[list[str], int]:
    """``count`` barcodes from ``first_serial`` on, skipping serials never issued;
    returns them and the next free serial."""
    codes: list[str] = []
    serial = first_serial
    while len(codes) < count < _FEW_CODES:  # a plate's barcode, a few retests: one by one
        code = make_barcode(prefix, serial)
        serial += 1
        if code is not None:
            codes.append(code)
    if len(codes) < count:
        import numpy as np
    while len(codes) < count:
        # A block of serials at a time, check characters computed with numpy: about three
        # serials in 37 are skipped, so a block a little larger than needed usually does.
        want = count - len(codes)
        block = np.arange(serial, serial + want + want // 10 + 8, dtype=np.int64)
        checks = _check_values(prefix, block)
        issued = ~np.isin(checks, _SKIPPED_VALUES)
        keep = block[issued][:want]
        codes.extend(
            f"{prefix}{s:0{SERIAL_DIGITS}d}{ALPHABET[c]}"
            for s, c in zip(keep.tolist(), checks[issued][:want].tolist(), strict=True)
        )
        serial = int(keep[-1]) + 1 if len(codes) == count else int(block[-1]) + 1
    if serial > 10**SERIAL_DIGITS:
        raise OverflowError("barcode serials exhausted")
    return codes, serial


def _check_values(prefix: str, serials: np.ndarray) -> np.ndarray:
    """MOD 37-2 check values of ``prefix`` + zero-padded ``serials``, all at once."""
    import numpy as np

    p = np.zeros(serials.shape[0], np.int64)
    for ch in prefix:
        p = ((p + _VALUE[ch]) * 2) % 37
    for k in range(SERIAL_DIGITS - 1, -1, -1):
        p = ((p + (serials // 10**k) % 10) * 2) % 37
    return (38 - p) % 37


_NO_BREAK_SPACES = str.maketrans("", "", "\u00a0\u2007\u202f")
"""Spaces a copy from a web page or a spreadsheet leaves in a code (NFKC would make them
ordinary spaces, kept inside a code): dropped wherever they are."""


def normalise_scan(raw: str) -> str:
    """What a scanner or a keyboard sent, made comparable: Unicode NFKC (full-width
    characters from a Chinese input method become ASCII), invisible format characters
    (zero-width spaces, a byte-order mark) and no-break spaces dropped, no surrounding
    whitespace or CR/LF, upper case (scanners in lower-case mode are common).

    The one normaliser of every place a code is read: scans, results files and keyed
    entry, plate maps, instrument exports. Resident ids and ID numbers are compared the
    same way."""
    if raw.isascii():
        return raw.strip().upper()
    text = unicodedata.normalize("NFKC", raw.translate(_NO_BREAK_SPACES))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip().upper()


def normalise_codes(values: Sequence[str]) -> list[str]:
    """``normalise_scan`` of a whole column (a roster's ids): a column that is already
    plain upper-case ASCII is returned as it is."""
    # Checked on the joined column at C speed: printable ASCII holds no whitespace but the
    # space, so without a space no value has any to strip.
    joined = ",".join(values)
    if joined.isascii() and joined.isprintable() and " " not in joined and joined == joined.upper():
        return list(values)
    if joined.isascii() and joined == joined.upper() and not any(v != v.strip() for v in values):
        return list(values)
    return [normalise_scan(v) for v in values]


def barcode_problem(code: str, *, pre_printed: bool = False) -> str | None:
    """Why ``code`` (normalised) cannot be a tube barcode, or None when it can.

    ``pre_printed`` accepts makers' codes (field-binding campaigns) that have no
    check character of ours."""
    if not code:
        return _("empty barcode")
    if _GENERATED.match(code):
        if has_valid_check(code):
            return None
        # never name the expected character: typed in, it makes another tube's code
        return _("wrong check character: a mistyped or misread code; re-scan the whole barcode")
    if pre_printed and _PRINTED.match(code):
        return None
    return _("not a poolab tube barcode (a letter, {digits} digits and a check character)").format(digits=SERIAL_DIGITS)


def barcode_problems(codes: Sequence[str], *, pre_printed: bool = False) -> list[str | None]:
    """``barcode_problem`` of many codes at once (a file's worth): the form and the check
    character of generated codes are verified with numpy, all codes at a time; only the
    codes not of that form, or with a wrong check, are looked at one by one."""
    if len(codes) < _FEW_CODES:
        return [barcode_problem(c, pre_printed=pre_printed) for c in codes]
    import numpy as np

    width = SERIAL_DIGITS + 2
    n = len(codes)
    # each code as `width` code points (a longer one cut, a shorter one padded with 0;
    # the length test below refuses both)
    chars = np.array(codes, dtype=f"<U{width}").view(np.uint32).reshape(n, width)
    generated = np.fromiter(map(len, codes), np.int64, n) == width
    p = np.zeros(n, np.int64)
    for j in range(width):  # a column at a time: no temporary the size of the file
        c = chars[:, j].astype(np.int64)
        digit = (c >= ord("0")) & (c <= ord("9"))
        letter = (c >= ord("A")) & (c <= ord("Z"))
        generated &= letter if j == 0 else digit if j < width - 1 else digit | letter
        # MOD 37-2 values of 0-9A-Z (meaningless elsewhere: those codes are not `generated`)
        value = c - ord("0") - (ord("A") - ord("9") - 1) * letter
        p = (p + value) * 2 % 37 if j < width - 1 else (p + value) % 37
    good = generated & (p == 1)
    out: list[str | None] = [None] * n
    for i in np.flatnonzero(~good).tolist():
        out[i] = barcode_problem(codes[i], pre_printed=pre_printed)
    return out
