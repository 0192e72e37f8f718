"""The instrument readers against allotropy's published example files (its expected
output digested beside each), and against the shapes their own files take."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from poolab.errors import InputRejected
from poolab.lab.instruments import read_export
from poolab.lab.instruments.model import reading_ct
from poolab.lab.instruments.synthetic import cfx_text, quantstudio_text

DATA = Path(__file__).parent / "data" / "allotropy"
QS = sorted(p.name for p in DATA.glob("*quant*.txt"))


def _expected(name: str) -> list[tuple[str, str, float | None]]:
    with open(DATA / f"{Path(name).stem}.expected.csv", newline="") as f:
        return [(r["well"], r["target"], float(r["ct"]) if r["ct"] else None) for r in csv.DictReader(f)]


def _ours(path: Path) -> list[tuple[str, str, float | None]]:
    fmt, export = read_export(path.read_bytes(), str(path), "auto")
    assert export is not None
    out = []
    for r in export.readings:
        ct = reading_ct(r.ct)
        assert not isinstance(ct, str), (r, ct)
        out.append((r.well, r.target, None if ct is None else round(ct, 4)))
    return out


@pytest.mark.parametrize("name", QS)
def test_quantstudio_examples_read_as_allotropy_reads_them(name: str) -> None:
    """Every (well, target, Ct) allotropy finds in its QuantStudio examples, we find too;
    where allotropy reads the whole [Results] section, we find exactly the same rows."""
    ours = _ours(DATA / name)
    theirs = [(w, t, None if c is None else round(c, 4)) for w, t, c in _expected(name)]
    assert theirs, name
    assert set(theirs) <= set(ours)
    if name in ("example_quantsudio_results_only.txt", "appbio_quantstudio_minimal_test01.txt"):
        assert sorted(theirs, key=str) == sorted(ours, key=str)


def test_cfx_example_reads_as_allotropy_reads_it() -> None:
    """allotropy's CFX Maestro example: the same wells and Cqs (allotropy calls the blank
    Target N/A; we let the fluorophore stand for it)."""
    ours = _ours(DATA / "cfxmaestro_example01.csv")
    theirs = _expected("cfxmaestro_example01.csv")
    assert sorted((w, None if c is None else round(c, 4)) for w, _t, c in theirs) == sorted((w, c) for w, _t, c in ours)
    assert {"FAM", "VIC"} == {t for _w, t, _c in ours}


def test_formats_are_recognised_by_content(tmp_path: Path) -> None:
    """auto tells a QuantStudio export, a CFX CSV, a long CSV and a results CSV apart."""
    wells = [("A1", "sample", "P0000000013", {"ORF1ab": 30.0, "N": None, "IC": 25.0})]
    files = {
        "quantstudio": quantstudio_text("L000000001T", wells).encode(),
        "cfx": cfx_text(wells).encode(),
        "long": b"well,target,ct\nA1,ORF1ab,30\n",
        "results": b"tube_barcode,result\nP0000000013,negative\n",
    }
    for expected, data in files.items():
        assert expected == read_export(data, "f", "auto")[0]
    _fmt, qs = read_export(files["quantstudio"], "f", "auto")
    assert qs is not None and "L000000001T" == qs.plate
    assert [("A1", "ORF1ab", "30.000"), ("A1", "N", "Undetermined"), ("A1", "IC", "25.000")] == [
        (r.well, r.target, r.ct) for r in qs.readings
    ]
    _fmt, cfx = read_export(files["cfx"], "f", "auto")
    assert cfx is not None and "NaN" == cfx.readings[1].ct and "A01" == cfx.readings[0].well


def test_long_csv_under_its_own_column_names() -> None:
    """--columns maps the long CSV onto another instrument's header (a SLAN or Gentier export)."""
    from poolab.lab.instruments.long import parse_column_map

    data = "反应孔,通道,Ct值,样本\nA1,ORF1ab,31.2,P0000000013\n".encode()
    _fmt, export = read_export(
        data, "slan.csv", "long", columns=parse_column_map("well=反应孔,target=通道,ct=Ct值,sample=样本")
    )
    assert export is not None
    assert [("A1", "ORF1ab", "31.2", "P0000000013")] == [(r.well, r.target, r.ct, r.sample) for r in export.readings]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"* Experiment Barcode = L1\n\n[Amplification Data]\nWell\tCycle\n", "no [Results] section"),
        (b"* Experiment Barcode = L1\n[Results]\nWell\tWell Position\tSample Name\tTarget Name\n1\tA1\tx\tN\n", "CT"),
        (b"hello,world\n1,2\n", "cannot tell what kind of file"),
        (b"well,target\nA1,N\n", "cannot tell"),
    ],
)
def test_unreadable_files_are_refused_in_one_message(data: bytes, message: str) -> None:
    """A file that is no export (or lacks what the call needs) says so, naming the file."""
    with pytest.raises(InputRejected) as e:
        read_export(data, "run.txt", "auto")
    assert message in str(e.value) and "run.txt" in str(e.value)
