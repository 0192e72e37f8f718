"""CSV reading and writing: encodings, line numbers, header checks, blank lines, stdout."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from poolab.errors import InputRejected, PoolabError
from poolab.files.csvio import neutralise_cell, read_csv_rows, read_text, write_csv
from tests.strategies import csv_like_texts

REQUIRED = ("a", "b")
OPTIONAL = ("c",)


def _write_bytes(tmp_path, data: bytes, name: str = "in.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("encoding", "name"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")])
def test_read_text_encodings(tmp_path, encoding, name):
    """UTF-8, UTF-8 with BOM and GB18030 are read back to the same text, encoding named."""
    text = "a,b\n张三,欧阳小明\n"
    path = _write_bytes(tmp_path, text.encode(encoding))
    assert (text, name) == read_text(path)


def test_gb18030_bom_is_dropped(tmp_path):
    """A GB18030 byte-order mark does not end up in the first header name."""
    path = _write_bytes(tmp_path, "\ufeffa,b\n张,李\n".encode("gb18030"))
    assert ("a,b\n张,李\n", "gb18030") == read_text(path)


@pytest.mark.parametrize(
    ("data", "line", "what"),
    [
        ("a,b\n1,2\n".encode("utf-16"), 1, "UTF-16"),
        (b"a,b\n1,2\n3,\x004\n", 3, "NUL"),
        (b"a,b\n1,2\n\x80\x80,4\n", 3, "not UTF-8 or GB18030"),
        ("a,b\n张三,2\n".encode("gb18030") + b"x,\xff\n", 3, "GB18030"),
        ("a,b\nZoë,2\n".encode("latin-1"), 2, "not UTF-8 or GB18030"),
    ],
)
def test_unexpected_encoding_is_rejected(tmp_path, data, line, what):
    """A file in neither encoding is refused, naming file, line and the bad bytes."""
    path = _write_bytes(tmp_path, data)
    with pytest.raises(InputRejected) as info:
        read_csv_rows(path, REQUIRED)
    [problem] = info.value.problems
    assert str(path) == problem.source
    assert line == problem.line
    assert problem.value  # the offending bytes, in hex
    assert what in problem.message or what in str(info.value)


def test_line_numbers_count_physical_lines(tmp_path):
    """Row line numbers are file lines: blank lines skipped, quoted newlines counted."""
    text = 'a,b,c\r\n\r\n1,"two\nlines",x\r\n , \r\n,,\n3,4,y\n'
    path = _write_bytes(tmp_path, text.encode())
    table = read_csv_rows(path, REQUIRED, OPTIONAL)
    assert [3, 7] == table.lines
    assert [["1", "two\nlines", "x"], ["3", "4", "y"]] == table.rows


def test_fields_are_stripped_and_header_case_folded(tmp_path):
    """Surrounding spaces are dropped from every field; header names are case-insensitive."""
    path = _write_bytes(tmp_path, b" A , B \n 1 ,2\t\n")
    table = read_csv_rows(path, REQUIRED)
    assert ("a", "b") == table.header
    assert [["1", "2"]] == table.rows
    assert ["1"] == table.column("a")
    assert [""] == table.column("c")


def test_missing_and_unknown_columns_are_listed(tmp_path):
    """A bad header names the missing and the unknown columns, on the header's line."""
    path = _write_bytes(tmp_path, b"\na,colour\n1,red\n")
    with pytest.raises(InputRejected) as info:
        read_csv_rows(path, REQUIRED, OPTIONAL)
    [problem] = info.value.problems
    assert (str(path), 2, "a,colour") == (problem.source, problem.line, problem.value)
    assert "missing column(s) b" in problem.message
    assert "unknown column(s) 'colour'" in problem.message


def test_empty_file_is_rejected(tmp_path):
    """An empty file is refused with a message asking for the header."""
    path = _write_bytes(tmp_path, b"")
    with pytest.raises(InputRejected, match="empty"):
        read_csv_rows(path, REQUIRED)


def test_ragged_rows(tmp_path):
    """Short rows are padded, surplus empty cells dropped, surplus values refused by line."""
    path = _write_bytes(tmp_path, b"a,b,c\n1\n2,3,4,,\n5,6,7,8\n")
    with pytest.raises(InputRejected) as info:
        read_csv_rows(path, REQUIRED, OPTIONAL)
    [problem] = info.value.problems
    assert (4, "5,6,7,8") == (problem.line, problem.value)
    path = _write_bytes(tmp_path, b"a,b,c,,\n1\n2,3,4,,\n")
    assert [["1", "", ""], ["2", "3", "4"]] == read_csv_rows(path, REQUIRED, OPTIONAL).rows


cells = st.text(st.sampled_from('ab张三 ,"\n\r=+-@'), max_size=6).map(str.strip)


@given(
    st.lists(st.lists(cells, min_size=3, max_size=3), max_size=8),
    st.sampled_from([("utf-8", False), ("utf-8", True), ("gb18030", False)]),
)
def test_write_read_round_trip(tmp_path_factory, rows, encoding_bom):
    """Rows written by write_csv read back unchanged (blank rows aside), in every encoding
    (GB18030 named: a few generated cells are too little text for the detector)."""
    encoding, bom = encoding_bom
    path = tmp_path_factory.mktemp("rt") / "t.csv"
    write_csv(path, ("a", "b", "c"), rows, encoding=encoding, bom=bom)
    ascii_only = all(c.isascii() for r in rows for c in r)
    table = read_csv_rows(path, REQUIRED, OPTIONAL, "gb18030" if encoding == "gb18030" and not ascii_only else None)
    assert [[neutralise_cell(c) for c in r] for r in rows if any(r)] == table.rows
    expected = "utf-8" if encoding == "gb18030" and ascii_only else encoding  # ASCII is UTF-8
    assert ("utf-8-sig" if bom else expected) == table.encoding


def test_write_uses_newlines_and_no_bom(tmp_path):
    """Written files are UTF-8 without BOM and with \\n line endings unless asked for a BOM."""
    path = tmp_path / "o.csv"
    write_csv(path, ["a", "b"], [["张", "x,y"]])
    assert 'a,b\n张,"x,y"\n'.encode() == path.read_bytes()
    write_csv(path, ["a"], [["1"]], bom=True)
    assert b"\xef\xbb\xbfa\n1\n" == path.read_bytes()


def test_write_to_a_stream():
    """A binary stream (the CLI's standard output for '-') gets the same bytes as a file."""
    stream = io.BytesIO()
    assert 1 == write_csv(stream, ["a", "b"], [["1", "2"]])
    assert b"a,b\n1,2\n" == stream.getvalue()


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_are_neutralised(tmp_path, start):
    """A cell a spreadsheet would run (= + - @ tab CR first, OWASP) is written with a leading
    apostrophe, wherever it is in the row and whatever follows; other cells are untouched."""
    path = tmp_path / "o.csv"
    evil = f"{start}cmd|' /C calc'!A0"
    write_csv(path, ["a", "b", "c"], [["张三", evil, "x-y"], [evil, "=*", "1"]])
    rows = read_csv_rows(path, REQUIRED, OPTIONAL).rows
    assert [["张三", "'" + evil, "x-y"], ["'" + evil, "'=*", "1"]] == rows


def test_unfinished_write_leaves_the_old_file(tmp_path):
    """A write that fails half-way (here: the rows raise) leaves the old file as it was and
    no temporary file behind."""
    path = tmp_path / "o.csv"
    write_csv(path, ["a"], [["old"]])

    def rows():
        yield from ([str(i)] for i in range(50_000))
        raise OSError(28, "No space left on device")

    with pytest.raises(PoolabError) as info:
        write_csv(path, ["a"], rows())
    assert "No space left on device" in str(info.value) and "untouched" in str(info.value)
    assert b"a\nold\n" == path.read_bytes()
    assert ["o.csv"] == sorted(p.name for p in tmp_path.iterdir())


@pytest.mark.parametrize("target", ["missing/o.csv", ".", "/proc/o.csv"])
def test_write_to_a_bad_place_is_one_clear_error(tmp_path, monkeypatch, target):
    """A missing folder, a folder, or a place that cannot be written: one line naming the target."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PoolabError) as info:
        write_csv(target, ["a"], [["1"]])
    assert f"cannot write {target}" in str(info.value)


def test_fast_and_careful_paths_agree():
    """A plain file parses the same through the split fast path as through csv.reader."""
    from poolab.files.csvio import parse_careful, parse_simple

    text = "a,b,c\n1,2,3\n4,,6\n"
    simple = parse_simple(text)
    assert simple is not None
    header, columns = simple
    careful_header, rows, lines, _ = parse_careful(text, "t", [])
    assert careful_header == header
    assert [list(c) for c in zip(*rows, strict=True)] == columns
    assert list(csv.reader(io.StringIO(text)))[1:] == rows


@given(st.one_of(csv_like_texts(), st.text(st.sampled_from('ab张,"\n\r \t'), max_size=30)))
@example(",,a\n\na")  # an empty line and a short one made up one row's fields
@example("a,b,c\nd\ne")  # two short lines whose fields add up to one row
def test_fast_path_agrees_with_csv_reader(text):
    """Whenever the split fast path accepts a text, it parses it as csv.reader would."""
    from poolab.files.csvio import parse_careful, parse_simple

    simple = parse_simple(text)
    if simple is None:
        return
    header, rows, lines, header_line = parse_careful(text, "t", [])
    assert (header, 1) == (simple[0], header_line)
    expected = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in header]
    assert expected == simple[1]
    assert list(range(2, len(rows) + 2)) == lines


def test_unknown_columns_are_ignored_when_nothing_is_missing(tmp_path: Path) -> None:
    """Extra columns (a committee's 备注) are read past, and the table names them."""
    path = _write_bytes(tmp_path, "a,b,备注\n1,2,楼下\n".encode())
    table = read_csv_rows(path, REQUIRED, OPTIONAL)
    assert ["1"] == table.column("a")
    assert ["备注"] == table.ignored_columns([*REQUIRED, *OPTIONAL])


def test_big5_file_is_refused_naming_big5(tmp_path: Path) -> None:
    """A Big5 file (Taiwan, Hong Kong) decodes as GB18030 into private-use characters or
    garbled hanzi: refused by line, the likely encoding named, --encoding suggested."""
    path = _write_bytes(tmp_path, "a,b\n張三,1\n".encode("big5"))
    with pytest.raises(InputRejected) as info:
        read_csv_rows(path, REQUIRED, OPTIONAL)
    [problem] = info.value.problems
    assert 2 == problem.line
    assert "big5" in problem.message and "--encoding" in str(info.value)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("a,b\nRenée Müller,Straße 5\nJürgen Groß,Weg 2\n", "latin-1"),
        ("a,b\nR1,張學友\nR2,劉德華,和平里\n", "big5"),
    ],
)
def test_wrong_encodings_are_refused_but_read_with_encoding(tmp_path: Path, text: str, encoding: str) -> None:
    """Latin-1 and Big5 used to import as garbled GB18030 (Ren閑 M黮ler, 眎厩ね): refused
    now; given --encoding they read as written."""
    path = _write_bytes(tmp_path, text.encode(encoding))
    with pytest.raises(InputRejected) as info:
        read_csv_rows(path, REQUIRED, OPTIONAL)
    assert "not confidently GB18030" in str(info.value) and "--encoding" in str(info.value)
    text_back, used = read_text(path, encoding)
    assert (text, encoding) == (text_back, used)
