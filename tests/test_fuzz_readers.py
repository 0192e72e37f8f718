"""Every file and scan reader driven with random bytes and random CSV structure: never a
traceback (nor poolab's "this is a bug" line), a clear message naming the file, the store
unchanged when a file is refused, and every good scan of a stream kept."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.workflow import read_csv, run

pytestmark = pytest.mark.store

ROSTER_HEADER = "resident_id,name,id_number,phone,compound,building,unit,room,household_id"
RESULTS_HEADER = "tube_barcode,result,ct_orf1ab,ct_n"
# one hypothesis run reuses one prepared store (copied per example): function-scoped
# fixtures are set up once per test, which is what is wanted here
_SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

_NASTY = st.sampled_from(
    ['"', '""', ",", "\n", "\r", "\r\n", "\x00", "\x0c", "\u2028", "\u200b", "=cmd", "\ufeff", " ", "\t", "x" * 1500]
)
_cell = st.one_of(
    st.text(max_size=12),
    _NASTY,
    st.sampled_from(["R1", "R2", "p", "positive", "NEG", "阴性", "30.5", "nan", "-1", "99", "11010519491231002X"]),
)
_line = st.lists(_cell, min_size=0, max_size=12).map(",".join)


def _csv_text(header: str) -> st.SearchStrategy[bytes]:
    """A CSV-ish file: maybe the right header, lines of random cells, in a random encoding."""
    return st.tuples(
        st.sampled_from([header, header.upper(), header[:-3], "", "a,b,c"]),
        st.lists(_line, max_size=8),
        st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]),
        st.sampled_from(["\n", "\r\n", "\r"]),
    ).map(lambda t: (t[3].join([t[0], *t[1]]) + t[3]).encode(t[2], errors="replace"))


_files = st.one_of(st.binary(max_size=300), _csv_text(ROSTER_HEADER), _csv_text(RESULTS_HEADER))


def _fingerprint(url: str) -> dict[str, int]:
    """Row counts of the tables a refused file must leave alone."""
    from sqlalchemy import func, select

    from poolab.store.engine import open_store
    from poolab.store.tables import Event, ImportRecord, Resident, Result

    store = open_store(url)
    try:
        with store.read() as conn:
            return {
                t.__tablename__: int(conn.execute(select(func.count()).select_from(t.__table__)).scalar() or 0)  # type: ignore[union-attr]
                for t in (Event, ImportRecord, Resident, Result)
            }
    finally:
        store.dispose()


def _no_crash(output: str, exit_code: int) -> None:
    assert "Traceback" not in output and "This is a bug" not in output, output
    assert exit_code in (0, 1), output


@pytest.fixture
def prepared(store_url: str, tmp_path: Path, small_roster_csv: Path) -> tuple[str, list[str]]:
    """A store with the small district, a campaign and every tube received."""
    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(small_roster_csv)).exit_code
    assert 0 == run(store_url, "campaign", "new", "c").exit_code
    run(store_url, "manifest", "c", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(r["tube_barcode"] for r in read_csv(tmp_path / "m.csv")))
    assert 0 == run(store_url, "receive", "c", "-", input="\n".join(codes[:40]) + "\n").exit_code
    return store_url, codes


@_SETTINGS
@given(data=_files)
def test_roster_import_of_anything(
    prepared: tuple[str, list[str]], tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    """Any bytes as a roster: imported, or refused in a message naming the file with the
    store as it was."""
    url, _ = prepared
    path = tmp_path_factory.mktemp("fz") / "roster.csv"
    path.write_bytes(data)
    before = _fingerprint(url)
    r = run(url, "roster", "import", str(path))
    _no_crash(r.output, r.exit_code)
    if r.exit_code == 1:
        assert str(path) in r.output
        assert before == _fingerprint(url)


@_SETTINGS
@given(data=_files)
def test_results_import_of_anything(
    prepared: tuple[str, list[str]], tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    """Any bytes as a results file: recorded, or refused naming the file, nothing stored."""
    url, _ = prepared
    path = tmp_path_factory.mktemp("fz") / "results.csv"
    path.write_bytes(data)
    before = _fingerprint(url)
    r = run(url, "results", "import", "c", str(path))
    _no_crash(r.output, r.exit_code)
    if r.exit_code == 1:
        assert str(path) in r.output
        assert before == _fingerprint(url)


_junk_scan = st.one_of(
    st.binary(max_size=20).filter(lambda b: b"\n" not in b and b"\r" not in b), _NASTY.map(str.encode)
)


@_SETTINGS
@given(
    junk=st.lists(_junk_scan, max_size=10),
    picks=st.lists(st.integers(40, 59), max_size=10, unique=True),
    order=st.randoms(use_true_random=False),
    as_file=st.booleans(),
)
def test_receive_of_anything_keeps_every_good_scan(
    prepared: tuple[str, list[str]],
    tmp_path_factory: pytest.TempPathFactory,
    junk: list[bytes],
    picks: list[int],
    order: object,
    as_file: bool,
) -> None:
    """Good scans mixed with junk lines (binary, NUL, quotes, other encodings), from a file
    or standard input: every good scan is received, every junk line refused, no traceback."""
    url, codes = prepared
    scratch = tmp_path_factory.mktemp("fz")
    db = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None
    if db is not None:  # a fresh copy of the store per example: tubes received once stay received
        shutil.copy(db, scratch / "s.db")
        url = f"sqlite:///{scratch / 's.db'}"
    good = [codes[i].encode() for i in picks if i < len(codes)]
    lines = good + junk
    order.shuffle(lines)  # type: ignore[attr-defined]
    data = b"\n".join(lines) + b"\n"
    before = json.loads(run(url, "status", "c", "--json").output)["tubes"]
    if as_file:
        (scratch / "scans.txt").write_bytes(data)
        r = run(url, "receive", "c", str(scratch / "scans.txt"))
    else:
        r = run(url, "receive", "c", "-", input=data)
    _no_crash(r.output, r.exit_code)
    after = json.loads(run(url, "status", "c", "--json").output)["tubes"]
    if db is not None:
        assert len(good) == after["received"] - before["received"], r.output
    assert f"{len(good)} tubes accepted" in r.output or db is None


@_SETTINGS
@given(
    lines=st.lists(
        st.one_of(_junk_scan, st.sampled_from([b"TUBE-1", b"TUBE-2", b"R0000001", b"r0000002"])), max_size=12
    )
)
def test_collect_of_anything(prepared: tuple[str, list[str]], lines: list[bytes]) -> None:
    """Field scans with junk among them: no traceback, every refusal with its line."""
    url, _ = prepared
    run(url, "campaign", "new", "fb", "--field-binding")
    r = run(url, "collect", "fb", "-", input=b"\n".join(lines) + b"\n")
    _no_crash(r.output, r.exit_code)


# ------------------------------------------------------------------ echo paths (issue 21)

_NAMES = ("赵六", "钱七七", "孙八", "Liuliu Zhao")
_ID_SHAPES = ("11010519491231002X", "110105 19491231 002X", "1101051949123100211", "230102195802056550")
_PHONES = ("13912345678", "139 1234 5678", "+86 139-1234-5678")
_personal = st.sampled_from([*_NAMES, *_ID_SHAPES, *_PHONES, "名" * 1200, "x" * 60])
# the first field is a resident_id (shown by rule), the rest anything, personal data above all
_roster_line = st.tuples(
    st.sampled_from(["R1", "R2", "r9", "", "Ｒ１", "R" * 70]),
    st.lists(st.one_of(_personal, _personal, _cell), max_size=13),
).map(lambda t: ",".join([t[0], *t[1]]))
_DIGIT_RUN_15 = re.compile(r"[0-9](?:[ \-]?[0-9]){14,}")
_ECHOED = re.compile(r"\(value '(.*)'\)$")
LIMIT = 40


def _assert_nothing_personal(text: str) -> None:
    """No 15+ digit run, no name, no phone, and no echoed value over 40 characters."""
    assert not _DIGIT_RUN_15.search(text), text[:3000]
    assert not [n for n in _NAMES if n in text], text[:3000]
    assert "12345678" not in text and "1234 5678" not in text and "1234-5678" not in text, text[:3000]
    assert "名" * (LIMIT + 1) not in text and "x" * (LIMIT + 1) not in text
    for line in text.splitlines():
        if m := _ECHOED.search(line):
            assert len(m.group(1).split("… (", 1)[0]) <= LIMIT, line


@pytest.mark.parametrize(
    "cell",
    ['"R1\nR1,ab,赵六,"', '"110105 19491231\nR2,钱七七,x"', '"孙八孙八孙八孙八孙八孙八"', "Liuliu Zhao Liuliu"],
)
def test_an_id_number_cell_of_another_shape_is_echoed_as_stars(store_url: str, tmp_path: Path, cell: str) -> None:
    """An ID number cell that holds no ID number (a quote left open runs it into the
    next line and its name; a name in the wrong column) is echoed as stars alone: the
    region and last four characters an ID number keeps would show part of it."""
    assert 0 == run(store_url, "init").exit_code
    path = tmp_path / "roster.csv"
    path.write_text(f"{ROSTER_HEADER}\nR1,刘一,{cell},13900000000,兴业公寓,1,1,101,H1\n", encoding="utf-8")
    r = run(store_url, "roster", "import", str(path))
    assert r.exit_code != 0 and "ID number" in r.output, r.output
    _assert_nothing_personal(r.output)
    for written in tmp_path.glob("*.problems.csv"):
        _assert_nothing_personal(written.read_text(encoding="utf-8"))


@_SETTINGS
@given(
    header=st.sampled_from([ROSTER_HEADER, "", "a,b,c", ROSTER_HEADER[:-3], "resident_id,nmae," + "y" * 300]),
    lines=st.lists(_roster_line, min_size=1, max_size=60),
    quote_at=st.integers(-1, 59),
    encoding=st.sampled_from(["utf-8", "gb18030", "big5", "utf-16"]),
)
def test_roster_echoes_leak_nothing_personal(
    prepared: tuple[str, list[str]],
    tmp_path_factory: pytest.TempPathFactory,
    header: str,
    lines: list[str],
    quote_at: int,
    encoding: str,
) -> None:
    """A broken roster (wrong field counts, an unclosed quote, no header, another
    encoding, long cells) full of names, ID numbers and phones: neither the terminal nor
    the problems file shows a name, a 15+ digit run, a phone or a value over 40
    characters (only resident_ids are echoed from a roster line)."""
    url, _ = prepared
    if 0 <= quote_at < len(lines):
        lines[quote_at] = lines[quote_at].replace(",", ',"', 1) if "," in lines[quote_at] else lines[quote_at]
    folder = tmp_path_factory.mktemp("echo")
    path = folder / "roster.csv"
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding, errors="replace"))
    r = run(url, "roster", "import", str(path))
    _no_crash(r.output, r.exit_code)
    _assert_nothing_personal(r.output)
    for written in folder.glob("*.problems.csv"):
        _assert_nothing_personal(written.read_text(encoding="utf-8"))
        for row in read_csv(written):
            assert len(row["value"].split("… (", 1)[0]) <= LIMIT, row


@_SETTINGS
@given(scans=st.lists(st.sampled_from([*_ID_SHAPES, *_PHONES, "TUBE-1", "R0000001", "x" * 60]), max_size=12))
def test_collect_echoes_leak_no_id_number(prepared: tuple[str, list[str]], scans: list[str]) -> None:
    """Field scans of ID numbers (misread, grouped, too long) and phones: refused or
    bound, never echoed whole, in messages and notes alike."""
    url, _ = prepared
    run(url, "campaign", "new", "fb", "--field-binding")
    r = run(url, "collect", "fb", "-", input="\n".join(scans) + "\n")
    _no_crash(r.output, r.exit_code)
    _assert_nothing_personal(r.output)
