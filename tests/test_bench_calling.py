"""The calling rule, cell by cell; the controls; the kit files."""

from __future__ import annotations

from pathlib import Path

import pytest

from poolab.errors import InputRejected
from poolab.lab.bench.calling import OMITTED, call_well, control_failure, detected, instrument_verdict
from poolab.lab.bench.kit import DEFAULT_KIT, Kit, kit_from_mapping, load_kit, shipped_kits
from poolab.lab.instruments.model import reading_ct

AT = Kit(detect_ct=40.0, detect_at_cutoff=True)  # a kit whose instructions say "Ct ≤ 40"

# (ORF1ab, N, IC) -> call, under the defaults (detected: Ct < 40). None: no Ct at all.
CELLS = [
    # both targets
    ((25.0, 26.0, 28.0), "positive"),
    ((25.0, 26.0, None), "positive"),  # the internal control does not matter when the virus shows
    ((39.99, 39.99, None), "positive"),  # just below the cut-off
    # exactly one target
    ((25.0, None, 28.0), "inconclusive"),
    ((None, 31.0, 28.0), "inconclusive"),
    ((39.99, 40.0, 28.0), "inconclusive"),  # N at the cut-off is not detected
    ((39.99, 40.01, None), "inconclusive"),  # N just above the cut-off
    # neither target, with the internal control
    ((None, None, 28.0), "negative"),
    ((40.0, 40.0, 28.0), "negative"),  # both at the cut-off: not detected
    ((41.0, 45.0, 39.99), "negative"),  # above the cut-off; IC just below it
    # neither target, no internal control
    ((None, None, None), "invalid"),
    ((None, None, 40.0), "invalid"),  # IC at the cut-off is not detected
    ((40.5, None, 41.0), "invalid"),
]


@pytest.mark.parametrize(("cts", "expected"), CELLS)
def test_every_cell_of_the_rule(cts: tuple[float | None, float | None, float | None], expected: str) -> None:
    """Both: positive; one: inconclusive; neither with IC: negative; neither without: invalid."""
    assert expected == call_well(*cts, DEFAULT_KIT)


NOISY = Kit(ignore_flags=("NOISE", "INCONCLUSIVE"))  # a lab that decided not to act on these two

# The instrument's own verdict, cell by cell: (Cts, omitted, flags, kit) -> call. It comes
# before the Cts: an omitted or flagged well is never negative (nor positive): invalid.
VERDICT_CELLS = [
    ((None, None, 28.0), True, (), DEFAULT_KIT, "invalid"),  # omitted, Cts read negative
    ((25.0, 26.0, 28.0), True, (), DEFAULT_KIT, "invalid"),  # omitted, Cts read positive
    ((None, None, 28.0), False, (("EXPFAIL", "N"),), DEFAULT_KIT, "invalid"),
    ((None, None, 28.0), False, (("THOLDFAIL", "ORF1ab"),), DEFAULT_KIT, "invalid"),
    ((None, None, 28.0), False, (("BADROX", "IC"),), DEFAULT_KIT, "invalid"),  # a flag on the internal control
    ((25.0, 26.0, 28.0), False, (("PRFDROP", "N"),), DEFAULT_KIT, "invalid"),  # flagged positive: re-run, not resample
    ((25.0, None, 28.0), False, (("SPIKE", "ORF1ab"),), DEFAULT_KIT, "invalid"),
    ((None, None, 28.0), False, (("INCONCLUSIVE", "N"),), DEFAULT_KIT, "invalid"),  # Design & Analysis Amp Status
    ((None, None, 28.0), False, (("Cq confidence", "N"),), DEFAULT_KIT, "invalid"),  # a Result Quality Issue
    # the kit's ignore_flags: those flags leave the call to the Cts; any other flag still voids
    ((None, None, 28.0), False, (("NOISE", "N"),), NOISY, "negative"),
    ((25.0, 26.0, 28.0), False, (("INCONCLUSIVE", "N"),), NOISY, "positive"),
    ((None, None, 28.0), False, (("NOISE", "N"), ("EXPFAIL", "N")), NOISY, "invalid"),
    ((None, None, 28.0), True, (("NOISE", "N"),), NOISY, "invalid"),  # Omit is no flag: never ignored
    # no verdict: the Cts decide (NOAMP without a Ct is read as no Ct, never as a flag)
    ((None, None, 28.0), False, (), DEFAULT_KIT, "negative"),
]


@pytest.mark.parametrize(("cts", "omitted", "flags", "kit", "expected"), VERDICT_CELLS)
def test_every_cell_of_the_instruments_verdict(
    cts: tuple[float | None, float | None, float | None],
    omitted: bool,
    flags: tuple[tuple[str, str], ...],
    kit: Kit,
    expected: str,
) -> None:
    """Omitted or flagged (flags the kit ignores aside): invalid whatever the Cts."""
    assert expected == call_well(*cts, kit, omitted=omitted, flags=flags)


def test_the_verdict_names_what_the_instrument_said() -> None:
    """The reason: "omitted on the instrument", or each flag with its target, once, in
    file order, ignored flags left out; None when the verdict stands."""
    assert OMITTED == instrument_verdict(True, (("EXPFAIL", "N"),), DEFAULT_KIT)
    flags = (("EXPFAIL", "N"), ("NOISE", "N"), ("EXPFAIL", "N"), ("BADROX", "IC"))
    assert "flagged by the instrument: EXPFAIL on N, NOISE on N, BADROX on IC" == instrument_verdict(
        False, flags, DEFAULT_KIT
    )
    assert "flagged by the instrument: EXPFAIL on N, BADROX on IC" == instrument_verdict(False, flags, NOISY)
    assert None is instrument_verdict(False, (("NOISE", "N"),), NOISY)
    assert None is instrument_verdict(False, (), DEFAULT_KIT)


@pytest.mark.parametrize(
    ("kind", "cts", "omitted", "flags", "failed"),
    [
        ("negative_control", (None, None), True, (), "negative control G12 failed (omitted on the instrument)"),
        (
            "negative_control",
            (None, None),
            False,
            (("NOISE", "N"),),
            "negative control G12 failed (flagged by the instrument: NOISE on N)",
        ),
        ("positive_control", (30.0, 31.0), True, (), "positive control G12 failed (omitted on the instrument)"),
        (
            "positive_control",
            (30.0, 31.0),
            False,
            (("EXPFAIL", "ORF1ab"),),
            "positive control G12 failed (flagged by the instrument: EXPFAIL on ORF1ab)",
        ),
    ],
)
def test_an_omitted_or_flagged_control_fails(
    kind: str,
    cts: tuple[float | None, float | None],
    omitted: bool,
    flags: tuple[tuple[str, str], ...],
    failed: str,
) -> None:
    """A control whose Cts pass but which the instrument omitted or flagged has failed."""
    assert failed == control_failure(kind, "G12", *cts, DEFAULT_KIT, omitted=omitted, flags=flags)


def test_kit_ignore_flags(tmp_path: Path) -> None:
    """ignore_flags: names kept upper-case and said in the kit's description; Omit and
    NOAMP refused (neither is a flag), as is anything but a list of names."""
    kit = kit_from_mapping({"ignore_flags": ["noise", "Inconclusive"]}, "lab.toml")
    assert ("NOISE", "INCONCLUSIVE") == kit.ignore_flags
    assert kit.describe().endswith("ignoring flags NOISE INCONCLUSIVE)")
    for bad in (["Omit"], ["NOAMP"], "NOISE", [""], [3]):
        with pytest.raises(InputRejected) as info:
            kit_from_mapping({"ignore_flags": bad}, "lab.toml")
        assert "ignore_flags" in str(info.value)


@pytest.mark.parametrize(
    ("ct", "strict", "at_cutoff"),
    [(39.999, True, True), (40.0, False, True), (40.001, False, False), (None, False, False)],
)
def test_at_and_around_the_cut_off(ct: float | None, strict: bool, at_cutoff: bool) -> None:
    """Below the cut-off is detected; at it only for a "≤" kit; above it and no Ct never."""
    assert (strict, at_cutoff) == (detected(ct, DEFAULT_KIT), detected(ct, AT))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Undetermined", None),
        ("undetermined", None),
        ("NaN", None),
        ("nan", None),
        ("", None),
        ("  ", None),
        ("31.5", 31.5),
        ("31", 31.0),
    ],
)
def test_no_ct_words_are_no_ct(raw: str, expected: float | None) -> None:
    """Undetermined, NaN and blank are "no Ct" (not detected); numbers are numbers."""
    assert expected == reading_ct(raw)


@pytest.mark.parametrize("raw", ["abc", "3l.5", "-1", "0", "55", "inf"])
def test_a_ct_that_is_not_a_ct_is_refused(raw: str) -> None:
    """Anything else is a reason (a string), never a call."""
    assert isinstance(reading_ct(raw), str)


def test_undetermined_reads_call_as_no_ct() -> None:
    """The words flow through to the rule: Undetermined/NaN/blank targets with an IC: negative."""

    def read(text: str) -> float | None:
        ct = reading_ct(text)
        assert not isinstance(ct, str), ct
        return ct

    assert "negative" == call_well(read("Undetermined"), read("NaN"), read("27.1"), DEFAULT_KIT)
    assert "invalid" == call_well(read("Undetermined"), read("NaN"), read(""), DEFAULT_KIT)


@pytest.mark.parametrize(
    ("kind", "cts", "failed"),
    [
        ("positive_control", (30.0, 31.0), None),
        (
            "positive_control",
            (30.0, None),
            "positive control H12 failed (ORF1ab 30, N Undetermined; it must show both targets)",
        ),
        (
            "positive_control",
            (None, None),
            "positive control H12 failed (ORF1ab Undetermined, N Undetermined; it must show both targets)",
        ),
        ("negative_control", (None, None), None),
        ("negative_control", (41.0, None), None),
        (
            "negative_control",
            (None, 36.5),
            "negative control H12 failed (ORF1ab Undetermined, N 36.5; it must show no target)",
        ),
    ],
)
def test_controls(kind: str, cts: tuple[float | None, float | None], failed: str | None) -> None:
    """Positive control: both targets; negative control: neither; the message names the control and its Cts."""
    assert failed == control_failure(kind, "H12", *cts, DEFAULT_KIT)


def test_target_names_match_without_case_and_with_usual_aliases() -> None:
    """ORF1ab / N gene / RNase P and friends map onto the kit's roles."""
    names = DEFAULT_KIT.names()
    from poolab.lab.bench.kit import _norm

    for name, role in [
        ("ORF1ab", "target1"),
        ("orf1a/b", "target1"),
        ("N gene", "target2"),
        ("n", "target2"),
        ("RNase P", "ic"),
        ("IC", "ic"),
        ("Internal Control", "ic"),
    ]:
        assert role == names[_norm(name)], name
    assert _norm("E gene") not in names


def test_kit_file_overrides_and_every_shipped_kit_loads(tmp_path: Path) -> None:
    """--kit FILE.toml overrides detect_ct, targets and internal_control; shipped kits load."""
    path = tmp_path / "e-n.toml"
    path.write_text('detect_ct = 37\ntargets = ["E", "N2"]\ninternal_control = "RP"\n', encoding="utf-8")
    kit = load_kit(path)
    assert (37.0, ("E", "N2"), "RP", "e-n") == (kit.detect_ct, kit.targets, kit.internal_control, kit.name)
    assert "positive" == call_well(36.9, 30.0, None, kit) and "inconclusive" == call_well(37.0, 30.0, 25.0, kit)
    assert {"daan-orf1ab-n", "sansure-orf1ab-n", "biogerm-orf1ab-n"} <= set(shipped_kits())
    biogerm = load_kit("biogerm-orf1ab-n")
    assert (38.0, True) == (biogerm.detect_ct, biogerm.detect_at_cutoff)
    assert "positive" == call_well(38.0, 38.0, None, biogerm) and "negative" == call_well(38.01, None, 30.0, biogerm)
    assert all(load_kit(name).source for name in shipped_kits())


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"detect_ct": "forty"}, "must be a number"),
        ({"targets": ["ORF1ab"]}, "a list of two target names"),
        ({"internal_control": ""}, "internal control"),
        ({"threshold": 40}, "unknown key"),
        ({"targets": ["N", "N"]}, "different names"),
    ],
)
def test_bad_kit_files_are_refused_naming_the_key(doc: dict[str, object], message: str) -> None:
    """A wrong key or value in a kit file refuses it, naming the key."""
    with pytest.raises(InputRejected) as e:
        kit_from_mapping(doc, "kit.toml")
    assert any(message in p.message for p in e.value.problems), e.value.problems
