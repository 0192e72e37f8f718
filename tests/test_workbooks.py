"""QuantStudio exports saved as Excel: allotropy's published .xlsx/.xls examples read as
allotropy reads them (Ct, Omit and flags), both layouts told apart by content, and every
workbook that is no export refused as a workbook, naming the file, sheet and row."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given

from poolab.errors import InputRejected
from poolab.lab.instruments import read_export
from poolab.lab.instruments.model import reading_ct
from poolab.lab.instruments.verdicts import VerdictColumns
from tests.bench import NEGATIVE, write_workbook
from tests.strategies import verdict_rows

ALLOTROPY = Path(__file__).parent / "data" / "allotropy"
WORKBOOKS = Path(__file__).parent / "data" / "workbooks"
EXAMPLES = {
    "appbio_quantstudio_example10.xlsx": "quantstudio",  # the classic export as .xlsx
    "appbio_quantstudio_design_and_analysis_example15_v1.5.2.xlsx": "quantstudio",  # classic columns, flags set
    "appbio_quantstudio_design_quantity_test.xlsx": "designandanalysis",
    # named .xls, an .xlsx inside (the Design & Analysis autoexport): Amp Status Inconclusive
    "appbio_quantstudio_designandanalysis_QS7Pro_Presence_and_Absence_autoexport.xls": "designandanalysis",
}
Row = tuple[str, str, float | None, bool, tuple[str, ...]]


def _expected(name: str) -> list[Row]:
    with open(ALLOTROPY / f"{Path(name).stem}.expected.csv", newline="") as f:
        return [
            (
                r["well"],
                r["target"],
                round(float(r["ct"]), 4) if r["ct"] else None,
                r["omit"] == "true",
                tuple(r["flags"].split()),
            )
            for r in csv.DictReader(f)
        ]


def _read(path: Path, fmt: str = "auto") -> tuple[str, list[Row], str | None]:
    found, export = read_export(path.read_bytes(), str(path), fmt)
    assert export is not None
    rows = []
    for r in export.readings:
        ct = reading_ct(r.ct)
        assert not isinstance(ct, str), (r, ct)
        rows.append((r.well, r.target, None if ct is None else round(ct, 4), r.omitted, r.flags))
    return found, rows, export.plate


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_allotropy_workbooks_read_as_allotropy_reads_them(name: str) -> None:
    """Each example: the layout told by content, and exactly allotropy's (well, target,
    Ct, Omit, flags) rows: EXPFAIL, BADROX and PRFDROP in example 15, Inconclusive in the
    autoexport; the run's metadata after the table is no well."""
    found, ours, _plate = _read(ALLOTROPY / name)
    assert EXAMPLES[name] == found
    assert sorted(_expected(name), key=str) == sorted(ours, key=str)


def test_the_flags_allotropy_shows() -> None:
    """The flagged wells of example 15 and the autoexport are found where allotropy has them."""
    _, ours, _ = _read(ALLOTROPY / "appbio_quantstudio_design_and_analysis_example15_v1.5.2.xlsx")
    flagged = {(w, f) for w, _t, _c, _o, flags in ours for f in flags}
    assert {("D18", "EXPFAIL"), ("L8", "BADROX"), ("E5", "PRFDROP"), ("N16", "PRFDROP")} <= flagged
    assert 7 == len(flagged)
    _, ours, plate = _read(
        ALLOTROPY / "appbio_quantstudio_designandanalysis_QS7Pro_Presence_and_Absence_autoexport.xls"
    )
    assert "012345" == plate  # the Barcode key
    assert 39 == sum("INCONCLUSIVE" in flags for *_rest, flags in ours)


def test_a_real_xls_with_omit_and_flags() -> None:
    """An Excel 97-2003 (BIFF) file in the classic layout: its plate, the omitted well
    and the EXPFAIL flag; NOAMP beside no Ct is no flag. Lines are the sheet's rows."""
    found, rows, plate = _read(WORKBOOKS / "classic.xls")
    assert ("quantstudio", "L000000001T") == (found, plate)
    assert [
        ("A1", "ORF1ab", None, False, ()),
        ("A1", "N", None, False, ()),
        ("A1", "IC", 27.25, False, ()),
        ("B1", "ORF1ab", None, True, ()),
        ("B1", "N", None, True, ()),
        ("B1", "IC", 28.5, True, ()),
        ("C1", "ORF1ab", None, False, ()),
        ("C1", "N", None, False, ("EXPFAIL",)),
        ("C1", "IC", 26.75, False, ()),
    ] == rows
    _, export = read_export((WORKBOOKS / "classic.xls").read_bytes(), "classic.xls", "auto")
    assert export is not None and 6 == export.readings[0].line


@pytest.mark.parametrize("layout", ["quantstudio", "designandanalysis"])
def test_synthetic_workbooks_with_omitted_and_flagged_wells(tmp_path: Path, layout: str) -> None:
    """Written as the instrument software writes them: the omitted well and each flag
    are read, in both layouts, auto and by --format."""
    wells = [(w, "sample", f"S{i}", NEGATIVE) for i, w in enumerate(["A1", "B1", "C1", "D1"])]
    path = write_workbook(
        tmp_path / "run.xlsx",
        "L000000001T",
        wells,
        layout,
        omitted=("B1",),
        flags={("C1", "N"): ("NOISE", "SPIKE")} if layout == "quantstudio" else None,
        amp_status={("C1", "N"): "Inconclusive"} if layout == "designandanalysis" else None,
        quality={("D1", "IC"): "BADROX; Cq confidence"} if layout == "designandanalysis" else None,
    )
    for fmt in ("auto", layout):
        found, rows, plate = _read(path, fmt)
        assert (layout, "L000000001T") == (found, plate)
        by = {(w, t): (o, f) for w, t, _c, o, f in rows}
        assert all(by[("B1", t)][0] for t in ("ORF1ab", "N", "IC"))
        assert not any(o for (w, _t), (o, _f) in by.items() if w != "B1")
        if layout == "quantstudio":
            assert ("NOISE", "SPIKE") == by[("C1", "N")][1]
        else:
            assert ("INCONCLUSIVE",) == by[("C1", "N")][1]
            assert ("BADROX", "Cq confidence") == by[("D1", "IC")][1]
        assert (1 if layout == "quantstudio" else 2) == sum(bool(f) for _o, f in by.values())


def _refusal(path: Path, fmt: str = "auto") -> InputRejected:
    with pytest.raises(InputRejected) as info:
        read_export(path.read_bytes(), str(path), fmt)
    text = str(info.value)
    assert str(path) in text
    assert "UTF-8" not in text and "encoding" not in text  # never encoding advice for a workbook
    return info.value


def test_a_workbook_that_is_no_export_names_its_sheets(tmp_path: Path) -> None:
    """No Results sheet: refused as a workbook, its sheets named."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Budget"
    book.create_sheet("Staff")
    book.save(tmp_path / "budget.xlsx")
    exc = _refusal(tmp_path / "budget.xlsx")
    assert "not a QuantStudio or Design & Analysis export: it has no Results sheet (its sheets: Budget, Staff)" in (
        exc.summary
    )


def test_a_results_sheet_without_well_position_or_ct(tmp_path: Path) -> None:
    """A Results sheet with no table (no Well Position), or whose table lacks CT: the
    sheet and the header's row named."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Results"
    book.active.append(["Sample Name", "Target Name", "CT"])
    book.save(tmp_path / "nowell.xlsx")
    assert "sheet Results has no results table (no row names the column Well Position)" in str(
        _refusal(tmp_path / "nowell.xlsx")
    )
    book = Workbook()
    book.active.title = "Results"
    book.active.append(["Experiment Barcode", "L000000001T"])
    book.active.append([])
    book.active.append(["Well", "Well Position", "Omit", "Sample Name", "Target Name", "Task"])
    book.active.append([1, "A1", False, "S1", "N", "UNKNOWN"])
    book.save(tmp_path / "noct.xlsx")
    exc = _refusal(tmp_path / "noct.xlsx")
    assert "sheet Results lacks column(s) CT" in exc.summary
    assert 3 == exc.problems[0].line  # the header's row


def test_password_protected_corrupt_and_csv_named_xlsx(tmp_path: Path) -> None:
    """A password-protected workbook, a truncated one, and a CSV saved under .xlsx: each
    one clear refusal saying what the file is."""
    assert "password-protected" in _refusal(WORKBOOKS / "password.xlsx").summary
    whole = (ALLOTROPY / "appbio_quantstudio_example10.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(whole[: len(whole) // 2])
    assert "the workbook cannot be read (corrupt or truncated?)" in _refusal(tmp_path / "cut.xlsx").summary
    (tmp_path / "really.xlsx").write_text("well,target,ct\nA1,N,30\n", encoding="utf-8")
    exc = _refusal(tmp_path / "really.xlsx")
    assert "named as an Excel workbook, but it is a text file" in exc.summary
    assert "well,target,ct" == exc.problems[0].value


def test_a_flag_cell_that_is_not_y_or_n_names_the_row(tmp_path: Path) -> None:
    """A flag column holding another word: the sheet row, well, target, flag and value."""
    wells = [("A1", "sample", "S1", NEGATIVE)]
    path = write_workbook(tmp_path / "run.xlsx", "L000000001T", wells, flags={})
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book["Results"]
    header = [c.value for c in sheet[5]]
    sheet.cell(row=7, column=header.index("EXPFAIL") + 1, value="Yes")
    book.save(path)
    exc = _refusal(path)
    assert 1 == len(exc.problems)
    assert (7, "Yes", "well A1 N: flag column EXPFAIL must be Y or N") == (
        exc.problems[0].line,
        exc.problems[0].value,
        exc.problems[0].message,
    )


@pytest.mark.parametrize(
    ("cells", "has_ct", "expected"),
    [
        ({}, False, (False, ())),
        ({"Omit": "TRUE"}, False, (True, ())),
        ({"Omit": "false", "EXPFAIL": "Y", "BADROX": "n"}, True, (False, ("EXPFAIL",))),
        (
            {"THOLDFAIL": "y", "SPIKE": "Y", "PRFDROP": "Y", "NOISE": ""},
            True,
            (False, ("THOLDFAIL", "SPIKE", "PRFDROP")),
        ),
        ({"NOAMP": "Y"}, False, (False, ())),  # no amplification and no Ct: an ordinary negative reading
        ({"NOAMP": "Y"}, True, (False, ("NOAMP",))),  # "no amplification" beside a Ct contradicts itself
        ({"Amp Status": "No Amp"}, False, (False, ())),
        ({"Amp Status": "NO_AMP"}, True, (False, ("NOAMP",))),
        ({"Amp Status": "INCONCLUSIVE"}, True, (False, ("INCONCLUSIVE",))),
        ({"Amp Status": "Inconclusive"}, False, (False, ("INCONCLUSIVE",))),
        ({"Amp Status": "AMP"}, True, (False, ())),
        ({"Result Quality Issues": "Cq confidence; BADROX"}, True, (False, ("Cq confidence", "BADROX"))),
    ],
)
def test_verdict_cells(cells: dict[str, str], has_ct: bool, expected: tuple[bool, tuple[str, ...]]) -> None:
    """Each verdict column's words: Omit true/false, flags Y/N (any case, blank is N),
    Amp Status, Result Quality Issues split into their issues."""
    header = [
        "Omit",
        "NOAMP",
        "EXPFAIL",
        "THOLDFAIL",
        "BADROX",
        "NOISE",
        "SPIKE",
        "PRFDROP",
        "Amp Status",
        "Result Quality Issues",
    ]
    row = [cells.get(h, "") for h in header]
    omitted, flags, problems = VerdictColumns.of(header).read(row, has_ct)
    assert (expected, []) == ((omitted, flags), problems)


@pytest.mark.parametrize(
    ("column", "value"), [("Omit", "maybe"), ("EXPFAIL", "1"), ("NOAMP", "yes"), ("Amp Status", "Reviewed")]
)
def test_verdict_words_never_guessed(column: str, value: str) -> None:
    """A verdict column with a word it never holds is a problem, not a guess."""
    header = ["Omit", "NOAMP", "EXPFAIL", "Amp Status"]
    row = [value if h == column else "" for h in header]
    _omitted, _flags, problems = VerdictColumns.of(header).read(row, False)
    assert [value] == [v for v, _why in problems]


@given(verdict_rows())
def test_the_ordinary_row_shortcut_agrees_with_the_word_by_word_reading(
    case: tuple[list[str], list[str], bool],
) -> None:
    """read's fast path for an ordinary row gives exactly what reading each word gives."""
    header, row, has_ct = case
    columns = VerdictColumns.of(header)
    assert columns._read(row, has_ct) == columns.read(row, has_ct)


def test_format_and_content_must_agree(tmp_path: Path) -> None:
    """--format cfx (or long) on a workbook, --format designandanalysis on a text file:
    one refusal saying what the file is."""
    book = ALLOTROPY / "appbio_quantstudio_example10.xlsx"
    assert "an Excel workbook, but --format cfx reads a text file" in _refusal(book, "cfx").summary
    text = ALLOTROPY / "appbio_quantstudio_example01.txt"
    assert "not an Excel workbook" in _refusal(text, "designandanalysis").summary
