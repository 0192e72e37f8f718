"""A roster file bigger than one block is streamed into the store: same result as reading
it whole, all or nothing across blocks, every problem reported together."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from poolab.errors import InputRejected
from poolab.files import csvstream
from poolab.files.csvio import parse_csv_text
from poolab.files.csvstream import MIN_BLOCK_BYTES, CsvStream, TextBlocks
from poolab.roster.file import ROSTER_COLUMNS, RosterFile, read_roster, write_roster_csv
from poolab.roster.importing import import_roster, store_roster
from poolab.roster.seen_ids import SeenIds
from poolab.roster.synthetic import generate_district
from poolab.store.engine import Store, init_store
from poolab.store.tables import Event, Resident
from tests.strategies import csv_like_texts

BLOCK = MIN_BLOCK_BYTES  # 64 KiB: a 3,000-resident roster (about 250 KB) is four blocks
_R = Resident.__table__  # type: ignore[attr-defined]
_E = Event.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A roster of 3,000 residents: several blocks of BLOCK bytes."""
    path = tmp_path_factory.mktemp("big") / "roster.csv"
    write_roster_csv(generate_district(residents=3000, households=1800, compounds=4, seed=5), path)
    assert path.stat().st_size > 3 * BLOCK
    return path


def _stored(store: Store) -> list[tuple[object, ...]]:
    with store.read() as conn:
        return [tuple(r) for r in conn.execute(select(*(_R.c[c] for c in ROSTER_COLUMNS)).order_by(_R.c.id))]


def _events(store: Store) -> int:
    with store.read() as conn:
        return len(conn.execute(select(_E.c.id)).all())


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_streamed_import_equals_reading_the_file_whole(store: Store, store_url: str, big_csv: Path, tmp_path) -> None:
    """Block by block, the store ends up with exactly the residents of the whole-file path."""
    summary = import_roster(store, big_csv, operator="t", block_bytes=BLOCK)
    assert (3000, 3000, 0, 0) == (summary.rows, summary.inserted, summary.updated, summary.unchanged)
    other, _ = init_store(f"sqlite:///{tmp_path / 'whole.db'}")
    store_roster(other, read_roster(big_csv), operator="t")
    assert _stored(other) == _stored(store)
    other.dispose()


def test_first_import_takes_plain_blocks_as_written_and_the_others_as_parsed(
    store: Store, store_url: str, big_csv: Path, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks the file wrote plainly go to PostgreSQL's COPY as the file's own lines; a
    block with a quoted comma, a backslash, an id or ID number kept otherwise than
    written goes as parsed. The store holds what reading the file whole gives."""
    from poolab.store import bulk

    lines = _lines(big_csv)
    edits = {
        300: lambda f: [f[0], '"王, 五"', *f[2:]],  # a quoted comma
        900: lambda f: [f[0], "王\\五", *f[2:]],  # a backslash (COPY's text format escapes it)
        1500: lambda f: [f[0].lower(), *f[1:]],  # an id kept upper-case
    }
    x = next(i for i, line in enumerate(lines) if i > 2100 and line.split(",")[2].endswith("X"))
    edits[x] = lambda f: [f[0], f[1], f[2].lower(), *f[3:]]  # an ID number's check character x
    for i, edit in edits.items():
        lines[i] = ",".join(edit(lines[i].rstrip("\n").split(","))) + "\n"
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("".join(lines), encoding="utf-8")
    taken: list[bool] = []
    real = bulk.ColumnWriter.csv_lines

    def counted(self: bulk.ColumnWriter, text: str, tail: tuple[int, ...]) -> bool:
        taken.append(real(self, text, tail))
        return taken[-1]

    monkeypatch.setattr(bulk.ColumnWriter, "csv_lines", counted)
    monkeypatch.setattr(csvstream, "MIN_BLOCK_BYTES", 1)
    summary = import_roster(store, mixed, operator="t", block_bytes=BLOCK // 4)  # 16 blocks: one edit a block
    assert 3000 == summary.inserted
    other, _ = init_store(f"sqlite:///{tmp_path / 'whole.db'}")
    store_roster(other, read_roster(mixed), operator="t")
    assert _stored(other) == _stored(store)
    other.dispose()
    if store_url.startswith("postgresql"):  # both ways were taken (the SQLite store has no COPY)
        assert [True, False] == sorted(set(taken), reverse=True)


def test_bad_line_in_a_later_block_rejects_the_whole_file(store: Store, big_csv: Path, tmp_path) -> None:
    """A bad line in the 2nd block and another in the last: both reported, nothing stored."""
    lines = _lines(big_csv)
    second = 1200  # past the first 64 KiB
    assert sum(map(len, lines[:second])) > BLOCK
    lines[second] = lines[second].replace(lines[second].split(",")[4], "", 1)  # compound emptied
    lines[-2] = "R9999999,王五,11010519491231002Y,,某小区,1,1,101,H999\n"  # a bad ID number
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputRejected) as err:
        import_roster(store, bad, operator="t", block_bytes=BLOCK)
    assert [second + 1, len(lines) - 1] == [p.line for p in err.value.problems]
    assert [] == _stored(store)
    assert 0 == _events(store)


def test_repeated_id_across_blocks_is_found(store: Store, big_csv: Path, tmp_path) -> None:
    """An id of the first block repeated in the last: named with the line of the first."""
    lines = _lines(big_csv)
    first_id = lines[5].split(",")[0]
    last = lines[-1].split(",")
    lines[-1] = ",".join([first_id.lower(), *last[1:]])
    bad = tmp_path / "dup.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputRejected) as err:
        import_roster(store, bad, operator="t", block_bytes=BLOCK)
    (problem,) = err.value.problems
    assert (len(lines), first_id.lower()) == (problem.line, problem.value)
    assert "line 6" in problem.message
    assert [] == _stored(store)


def test_reimport_changes_nothing_and_a_change_in_a_later_block_updates(store: Store, big_csv: Path, tmp_path) -> None:
    """The same file again is a no-op (no event); one changed resident in the last block is one update."""
    import_roster(store, big_csv, operator="t", block_bytes=BLOCK)
    events = _events(store)
    again = import_roster(store, big_csv, operator="t", block_bytes=BLOCK)
    assert (0, 0, 3000) == (again.inserted, again.updated, again.unchanged)
    assert events == _events(store)
    lines = _lines(big_csv)
    fields = lines[-1].rstrip("\n").split(",")
    fields[7] = "9999"  # room
    lines[-1] = ",".join(fields) + "\n"
    changed = tmp_path / "changed.csv"
    changed.write_text("".join(lines), encoding="utf-8")
    s = import_roster(store, changed, operator="t", block_bytes=BLOCK)
    assert (0, 1, 2999) == (s.inserted, s.updated, s.unchanged)
    assert "9999" == _stored(store)[-1][7]


def test_quoted_field_with_line_break_across_a_block_boundary(tmp_path) -> None:
    """A quoted cell holding a line break where a block ends is read as one cell, line numbers intact."""
    rows = [f'R{i:05d},"名\n字{i}",,,C,1,1,101,H{i}\n' for i in range(9000)]
    path = tmp_path / "quoted.csv"
    path.write_text("resident_id,name,id_number,phone,compound,building,unit,room,household_id\n" + "".join(rows))
    with RosterFile(path, block_bytes=BLOCK) as f:
        chunks = list(f.chunks())
    assert len(chunks) > 1
    names = [n for c in chunks for n in c.roster.name]
    assert [f"名\n字{i}" for i in range(9000)] == names
    assert [2 + 2 * i for i in range(9000)] == [n for c in chunks for n in c.roster.line]
    assert all(not c.problems for c in chunks)


def test_gb18030_file_is_judged_on_its_head(tmp_path) -> None:
    """A GB18030 roster larger than a block is detected from its first block and read whole."""
    roster = generate_district(residents=3000, households=1800, compounds=4, seed=2)
    path = tmp_path / "gb.csv"
    write_roster_csv(roster, path, encoding="gb18030")
    assert path.stat().st_size > 2 * BLOCK
    with RosterFile(path, block_bytes=BLOCK) as f:
        chunks = list(f.chunks())
        assert "gb18030" == f.encoding
    assert roster.name == tuple(n for c in chunks for n in c.roster.name)


def test_ascii_head_then_gb18030_switches(tmp_path) -> None:
    """Plain ASCII for a block, then GB18030: ASCII reads the same in both, so it switches."""
    header = "resident_id,name,compound,building,household_id\n"
    ascii_rows = "".join(f"R{i:06d},Li Lei,C,1,H{i}\n" for i in range(4000))
    chinese = "".join(f"S{i:06d},张三丰,东风家园,2,G{i}\n" for i in range(400))
    path = tmp_path / "mixed.csv"
    path.write_bytes((header + ascii_rows).encode("ascii") + chinese.encode("gb18030"))
    with CsvStream(path, ("resident_id",), block_bytes=BLOCK) as stream:
        values = [v for c in stream.chunks() for v in stream.column(c, "name")]
        assert "gb18030" == stream.encoding
    assert ["Li Lei"] * 4000 + ["张三丰"] * 400 == values


def test_utf8_then_other_bytes_is_refused_with_the_line(tmp_path) -> None:
    """UTF-8 text with Chinese in the first block, then bytes that are not UTF-8: refused at that line."""
    header = "resident_id,name,compound,building,household_id\n"
    rows = "".join(f"R{i:06d},张三,C,1,H{i}\n" for i in range(4000))
    path = tmp_path / "broken.csv"
    path.write_bytes((header + rows).encode("utf-8") + "S1,李四,C,1,H1\n".encode("gb18030"))
    with pytest.raises(InputRejected) as err, TextBlocks(path, block_bytes=BLOCK) as blocks:
        list(blocks)
    assert [4002] == [p.line for p in err.value.problems]


def test_small_file_is_decoded_whole_as_before(tmp_path) -> None:
    """A file of one block or less is one block, decoded like csvio.read_text."""
    path = tmp_path / "s.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8-sig")
    with TextBlocks(path) as blocks:
        assert [("a,b\n1,2\n", 1)] == [(b.text, b.first_line) for b in blocks]
        assert "utf-8-sig" == blocks.encoding


def test_seen_ids_finds_repeats_within_and_across_chunks() -> None:
    """SeenIds flags a chunk holding an id seen in it or before it; empty ids never count."""
    seen = SeenIds()
    assert not seen.add(["A", "B", "", ""])
    assert not seen.add(["C", "D"])
    assert seen.add(["E", "B"])
    assert seen.add(["F", "F"])
    assert {hash("B"), hash("F")} == seen.candidates
    assert 6 == len(seen)
    salted = SeenIds(salt=1)
    assert salted.hashes(["B"])[0] != seen.hashes(["B"])[0]


@given(text=csv_like_texts(), block=st.integers(1, 16))
def test_blocks_parse_as_the_whole_text(text: str, block: int) -> None:
    """Cut into blocks of a few bytes, any CSV text gives the rows, lines and problem
    lines of the whole-text parser."""
    whole, whole_problems = parse_csv_text(text, "t", "utf-8", ())
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(text.encode("utf-8"))
        mp.setattr(csvstream, "MIN_BLOCK_BYTES", 1)
        with CsvStream(path, (), block_bytes=block) as stream:
            chunks = list(stream.chunks())
            header, problems = list(stream.header), list(stream.problems)
    width = len(header)
    for c in chunks:  # a chunk's plain text, cut at every comma, is its rows
        if c.plain is not None:
            rows = [line.split(",") for line in c.plain.split("\n")] if c.plain else []
            assert rows == [list(r) for r in zip(*c.columns, strict=True)]
    columns = [[v for c in chunks for v in c.columns[j]] for j in range(width)]
    lines = [n for c in chunks for n in c.lines]
    problems += [p for c in chunks for p in c.problems]
    while header and not header[-1] and not any(columns[len(header) - 1]):
        header.pop()  # as the whole-text parser drops a spreadsheet's empty trailing columns
        columns.pop()
    assert list(whole.header) == header
    assert [list(c) for c in whole.columns] == columns
    assert whole.lines == lines
    assert sorted(p.line for p in whole_problems) == sorted(p.line for p in problems)


@given(text=st.text(alphabet="ab\n", max_size=80), limit=st.integers(1, 10))
def test_long_line_search_agrees_with_splitting_into_lines(text: str, limit: int) -> None:
    assert csvstream._has_long_line(text, limit) == (max(map(len, text.split("\n"))) > limit)


def _index_names(store: Store) -> list[str]:
    from sqlalchemy import inspect

    with store.read() as conn:
        found = inspect(conn)
        names = [i["name"] for i in found.get_indexes("resident")]
        names += [c["name"] for c in found.get_unique_constraints("resident")]
    return sorted(n for n in names if n)


def test_first_import_leaves_every_index_as_the_schema_made_it(store: Store, store_url: str, big_csv: Path) -> None:
    """A first import builds the secondary indexes after loading (PostgreSQL): they are
    all back, by the same names, and a resident id stored twice is still refused."""
    before = _index_names(store)
    assert before  # compound, household, home visits, the unique resident id
    import_roster(store, big_csv, operator="t", block_bytes=BLOCK)
    assert _index_names(store) == before
    from poolab.errors import StoreFault

    row = {"resident_id": "R0000001", "compound": "c", "household_id": "h", "event_id": 1}
    with pytest.raises(StoreFault):  # the unique key refused it, every attempt
        store.write(lambda conn: conn.execute(_R.insert(), row), attempts=1)
