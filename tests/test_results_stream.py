"""`results import` reads its file a block at a time: the same rules as a file read whole
(all or nothing with every problem listed, a tube's repeated rows, re-runs, amendments,
the content hash), across block boundaries; the campaign's tubes as arrays."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Connection, select

from poolab.errors import InputRejected
from poolab.files import csvstream
from poolab.lab.results import import_results
from poolab.store.campaigns import campaign_by_name, insert_campaign, insert_tubes, issue_tube_barcodes
from poolab.store.engine import Store, init_store
from poolab.store.events import now, record_event
from poolab.store.imports import find_import
from poolab.store.tables import Result
from poolab.store.tube_arrays import campaign_tube_arrays
from poolab.store.tube_lookup import FewTubes, TubeLookup
from poolab.store.tubes import NewResult, insert_receipts, insert_results, tube_states
from tests.workflow import write_results

pytestmark = pytest.mark.store

_RES = Result.__table__  # type: ignore[attr-defined]
TUBES = 300
NOT_RECEIVED = 5  # the campaign's last tubes were never scanned in
SMALL = 64  # bytes a block: three or four result lines, so a file is a hundred blocks


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvstream, "MIN_BLOCK_BYTES", 1)


def _build(url: str) -> tuple[Store, list[str]]:
    """A campaign of TUBES pool tubes, all but the last NOT_RECEIVED received."""
    store, _ = init_store(url)

    def work(conn: Connection) -> list[str]:
        event_id = record_event(conn, operator="t", action="campaign.new")
        cid = insert_campaign(
            conn,
            name="c",
            pool_size=10,
            one_tube_per_household=False,
            field_binding=False,
            compounds=["x"],
            event_id=event_id,
        )
        codes = issue_tube_barcodes(conn, prefix="P", count=TUBES)
        insert_tubes(conn, campaign_id=cid, kind="pool", barcodes=codes, positions=range(TUBES), event_id=event_id)
        states = tube_states(conn, barcodes=codes[: TUBES - NOT_RECEIVED])
        insert_receipts(conn, tube_ids=[s.id for s in states.values()], at=now(), event_id=event_id)
        return codes

    return store, store.write(work)


@pytest.fixture
def city(store_url: str) -> Iterator[tuple[Store, list[str]]]:
    store, codes = _build(store_url)
    try:
        yield store, codes
    finally:
        store.dispose()


def _lines(codes: list[str]) -> list[tuple[str, str, str, str]]:
    return [(c, "positive", "31.2", "32.05") if i % 7 == 0 else (c, "negative", "", "") for i, c in enumerate(codes)]


def _results(store: Store) -> list[tuple[Any, ...]]:
    with store.read() as conn:
        rows = conn.execute(
            select(_RES.c.tube_id, _RES.c.call, _RES.c.ct_orf1ab, _RES.c.ct_n, _RES.c.source, _RES.c.supersedes_id)
            .select_from(_RES)
            .order_by(_RES.c.tube_id, _RES.c.id)
        )
        return [tuple(r) for r in rows]


def _ids(store: Store, codes: list[str]) -> dict[str, int]:
    with store.read() as conn:
        return {c: s.id for c, s in tube_states(conn, barcodes=codes).items()}


def test_a_file_of_many_blocks_records_every_line(city: tuple[Store, list[str]], tmp_path: Path, small_blocks: None):
    store, codes = city
    good = codes[: TUBES - NOT_RECEIVED]
    path = write_results(tmp_path / "r.csv", _lines(good))
    summary = import_results(store, "c", path, operator="t", block_bytes=SMALL)
    assert (summary.rows, summary.recorded, summary.unchanged, summary.amended) == (len(good), len(good), 0, 0)
    ids = _ids(store, good)
    expected = sorted(
        (ids[c], call, float(c1) if c1 else None, float(c2) if c2 else None, f"r.csv:{line}", None)
        for line, (c, call, c1, c2) in enumerate(_lines(good), start=2)
    )
    assert _results(store) == expected


def test_the_same_file_read_whole_and_in_blocks_records_the_same(
    city: tuple[Store, list[str]], tmp_path: Path, small_blocks: None
) -> None:
    """One file with repeats, re-runs and Cts: imported whole into one store and in blocks
    of a few lines into a twin, the same rows are recorded."""
    store, codes = city
    twin, twin_codes = _build(f"sqlite:///{tmp_path / 'twin.db'}")
    try:
        assert twin_codes == codes
        first = [(codes[0], "invalid", "", ""), (codes[7], "positive", "31.2", "32.05")]
        lines = [*_lines(codes[:150]), (codes[3], "negative", "", ""), (codes[7], "positive", "31.2", "32.05")]
        for s, block in ((store, csvstream.BLOCK_BYTES), (twin, SMALL)):
            import_results(s, "c", write_results(tmp_path / "a.csv", first), operator="t", block_bytes=block)
            import_results(s, "c", write_results(tmp_path / "b.csv", lines), operator="t", block_bytes=block)
        assert _results(store) == _results(twin)
        assert len(_results(store)) == 151  # tube 0: invalid, then its re-run
    finally:
        twin.dispose()


def test_every_problem_of_every_block_is_listed_and_nothing_written(
    city: tuple[Store, list[str]], tmp_path: Path, small_blocks: None
) -> None:
    store, codes = city
    lines = _lines(codes[:200])
    lines[3] = ("P000000000X", "negative", "", "")  # not a tube at all (a wrong check character)
    lines[150] = (lines[150][0], "positive", "abc", "")  # a bad Ct, in a late block
    lines.append((codes[-1], "negative", "", ""))  # never received
    lines.append((codes[10], "positive", "30", "30"))  # line 12 said negative: two results
    lines.append((codes[20], "negative", "", ""))  # the same again: nothing to say
    path = write_results(tmp_path / "r.csv", lines)
    with pytest.raises(InputRejected) as caught:
        import_results(store, "c", path, operator="t", block_bytes=SMALL)
    problems = caught.value.problems
    assert [p.line for p in problems] == [5, 152, 202, 203]
    assert all(p.source == str(path) for p in problems)
    assert problems[0].value == "P000000000X"
    assert problems[1].value == "abc" and "ct_orf1ab" in problems[1].message
    assert problems[2].value == codes[-1] and "never received" in problems[2].message
    assert problems[3].value == codes[10] and "line 12" in problems[3].message
    assert _results(store) == []
    with store.read() as conn:  # and the file is not taken for imported
        info = campaign_by_name(conn, name="c")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert find_import(conn, scope=f"results:{info.id}", sha256=digest) is None


def test_a_tube_repeated_in_far_blocks_is_recorded_once(
    city: tuple[Store, list[str]], tmp_path: Path, small_blocks: None
) -> None:
    store, codes = city
    lines = [*_lines(codes[:100]), (codes[0], "positive", "31.2", "32.05"), (codes[1], "negative", "", "")]
    path = write_results(tmp_path / "r.csv", lines)
    summary = import_results(store, "c", path, operator="t", block_bytes=SMALL)
    assert (summary.rows, summary.recorded) == (100, 100)
    results = _results(store)
    assert len(results) == 100
    assert [r[4] for r in results if r[0] == _ids(store, [codes[0]])[codes[0]]] == ["r.csv:2"]


def test_the_same_file_twice_is_a_no_op_by_its_hash(
    city: tuple[Store, list[str]], tmp_path: Path, small_blocks: None
) -> None:
    store, codes = city
    path = write_results(tmp_path / "r.csv", _lines(codes[:50]))
    import_results(store, "c", path, operator="t", block_bytes=SMALL)
    with store.read() as conn:
        info = campaign_by_name(conn, name="c")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert find_import(conn, scope=f"results:{info.id}", sha256=digest) is not None
    before = _results(store)
    again = import_results(store, "c", path, operator="t", block_bytes=SMALL)
    assert again.already_imported and again.rows == 50 and again.recorded == 0
    assert _results(store) == before


def test_reruns_conflicts_and_amendments_across_blocks(
    city: tuple[Store, list[str]], tmp_path: Path, small_blocks: None
) -> None:
    store, codes = city
    ids = _ids(store, codes[:60])

    def earlier(conn: Connection) -> None:
        event_id = record_event(conn, operator="t", action="results.import")
        rows = [
            NewResult(ids[codes[5]], "invalid", None, None, "old"),
            NewResult(ids[codes[50]], "positive", 30, 31, "old"),
        ]
        insert_results(conn, results=rows, event_id=event_id, at=now())

    store.write(earlier)
    old = {r[0]: r for r in _results(store)}
    path = write_results(tmp_path / "r.csv", [(c, "negative", "", "") for c in codes[:60]])
    with pytest.raises(InputRejected) as caught:  # the positive needs --amend
        import_results(store, "c", path, operator="t", block_bytes=SMALL)
    (problem,) = caught.value.problems
    assert problem.line == 52 and problem.value == codes[50] and "--amend" in problem.message
    assert len(_results(store)) == 2
    summary = import_results(store, "c", path, operator="t", amend=True, reason="wrong plate", block_bytes=SMALL)
    assert (summary.recorded, summary.amended, summary.unchanged) == (58, 2, 0)
    with store.read() as conn:
        rows = conn.execute(
            select(_RES.c.tube_id, _RES.c.supersedes_id, _RES.c.reason).where(_RES.c.supersedes_id.is_not(None))
        )
        corrected = {tid: (sup, reason) for tid, sup, reason in rows}
    assert corrected == {
        ids[codes[5]]: (_result_id(store, ids[codes[5]], "invalid"), "wrong plate"),
        ids[codes[50]]: (_result_id(store, ids[codes[50]], "positive"), "wrong plate"),
    }
    assert set(old) <= {r[0] for r in _results(store)}


def _result_id(store: Store, tube_id: int, call: str) -> int:
    with store.read() as conn:
        return int(conn.execute(select(_RES.c.id).where(_RES.c.tube_id == tube_id, _RES.c.call == call)).scalar_one())


def test_a_rerun_without_amend_across_blocks(city: tuple[Store, list[str]], tmp_path: Path, small_blocks: None):
    """An invalid tube takes its re-run's call; a tube already negative stays unchanged."""
    store, codes = city
    first = write_results(tmp_path / "a.csv", [(codes[0], "invalid", "", ""), (codes[1], "negative", "", "")])
    import_results(store, "c", first, operator="t", block_bytes=SMALL)
    lines = [(c, "negative", "", "") for c in codes[:40]]
    summary = import_results(store, "c", write_results(tmp_path / "b.csv", lines), operator="t", block_bytes=SMALL)
    assert (summary.rows, summary.recorded, summary.unchanged, summary.amended) == (40, 39, 1, 0)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_encodings_across_blocks(
    city: tuple[Store, list[str]], tmp_path: Path, small_blocks: None, encoding: str
) -> None:
    """A BOM, or GB18030 (the Chinese Excel's CSV) with its calls in Chinese, in many blocks."""
    store, codes = city
    words = {"positive": "阳性", "negative": "阴性"}
    text = "tube_barcode,result,ct_orf1ab,ct_n\n" + "".join(
        f"{c},{words[call]},{c1},{c2}\n" for c, call, c1, c2 in _lines(codes[:120])
    )
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode(encoding))
    given = "gb18030" if encoding == "gb18030" else None
    summary = import_results(store, "c", path, operator="t", encoding=given, block_bytes=SMALL)
    assert summary.recorded == 120
    calls = [r[1] for r in _results(store)]
    assert calls.count("positive") == len([1 for i in range(120) if i % 7 == 0])


def test_tube_arrays_find(city: tuple[Store, list[str]]) -> None:
    """Every tube at its place; a code before the first, after the last or between two is not one."""
    store, codes = city
    with store.read() as conn:
        info = campaign_by_name(conn, name="c")
        arrays = campaign_tube_arrays(conn, campaign_id=info.id)
        ids = _ids(store, codes)
    at = arrays.find(codes)
    assert (at >= 0).all()
    assert arrays.id[at].tolist() == [ids[c] for c in codes]
    assert arrays.received[at].tolist() == [True] * (TUBES - NOT_RECEIVED) + [False] * NOT_RECEIVED
    assert arrays.find(["A", "Z", codes[0] + "0", codes[0][:-1], ""]).tolist() == [-1] * 5
    assert np.isnan(arrays.ct1).all() and (arrays.result_id == -1).all()


def test_the_careful_path_across_blocks(city: tuple[Store, list[str]], tmp_path: Path, small_blocks: None) -> None:
    """Quoted fields, CRLF line ends and padded cells (csv.reader's path, not the fast
    split) in many blocks; a line with too many fields is listed with the calls' problems."""
    store, codes = city
    lines = [f'"{c}", {call} ,{c1},{c2}\r\n' for c, call, c1, c2 in _lines(codes[:80])]
    path = tmp_path / "r.csv"
    path.write_bytes(("tube_barcode,result,ct_orf1ab,ct_n\r\n" + "".join(lines)).encode("utf-8"))
    summary = import_results(store, "c", path, operator="t", block_bytes=SMALL)
    assert summary.recorded == 80
    bad = path.with_name("bad.csv")
    lines[70] = f"{codes[100]},negative,,,extra\r\n"
    lines[75] = f'"{codes[101]}",maybe,,\r\n'
    bad.write_bytes(("tube_barcode,result,ct_orf1ab,ct_n\r\n" + "".join(lines)).encode("utf-8"))
    with pytest.raises(InputRejected) as caught:
        import_results(store, "c", bad, operator="t", block_bytes=SMALL)
    assert [(p.line, p.value) for p in caught.value.problems][-1] == (77, "maybe")
    assert caught.value.problems[0].line == 72 and "fields" in caught.value.problems[0].message
    assert len(_results(store)) == 80


def test_few_tubes_and_tube_arrays_agree(city: tuple[Store, list[str]], tmp_path: Path) -> None:
    """The plain lists of a small file and the arrays of a city's give the same facts."""
    store, codes = city
    import_results(store, "c", write_results(tmp_path / "a.csv", _lines(codes[:20])), operator="t")
    b = write_results(tmp_path / "b.csv", [(codes[3], "invalid", "", "")])
    import_results(store, "c", b, operator="t", amend=True, reason="the well was empty")
    asked = [codes[0], codes[3], codes[7], codes[30], codes[-1], "P000000000X", codes[14]]
    with store.read() as conn:
        info = campaign_by_name(conn, name="c")
        lookups: tuple[TubeLookup, TubeLookup] = (
            FewTubes(conn, campaign_id=info.id, barcodes=asked),
            campaign_tube_arrays(conn, campaign_id=info.id),
        )
        few, arrays = (lookup.gather(asked) for lookup in lookups)
        ids = [lookup.tube_ids([p for p in g.pos if p >= 0]) for lookup, g in zip(lookups, (few, arrays), strict=True)]
    known = [p >= 0 for p in few.pos]
    assert known == [p >= 0 for p in arrays.pos] == [True] * 5 + [False, True]
    assert ids[0] == ids[1]
    for name in ("received", "individual", "result_id", "call", "ct1", "ct2"):
        a, b = getattr(few, name), getattr(arrays, name)
        assert [x for x, k in zip(a, known, strict=True) if k] == [x for x, k in zip(b, known, strict=True) if k], name
    assert few.call[:3] == ["positive", "invalid", "positive"] and few.ct1[2] == 31.2
