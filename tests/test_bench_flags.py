"""The instrument's own verdicts end to end: a well it omitted or flagged is never cleared,
whatever path its export takes (text export or workbook, sample or control well, a
second export of the same plate, an amendment), and the rerun list and the log name why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench import NEGATIVE, Cts, export_wells, plate_maps, received_campaign, write_export, write_workbook
from tests.workflow import read_csv, run

pytestmark = pytest.mark.store

Plated = tuple[str, str, list[dict[str, str]], list[str]]


@pytest.fixture
def plated(store_url: str, small_roster_csv: Path, tmp_path: Path) -> Plated:
    """A store with one plate mapped: (url, plate barcode, map rows, tubes)."""
    tubes = received_campaign(store_url, small_roster_csv, tmp_path)
    assert 0 == run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "p.csv")).exit_code
    ((code, rows),) = plate_maps(tmp_path / "p.csv").items()
    return store_url, code, rows, tubes


def _well_of(rows: list[dict[str, str]], tube: str) -> str:
    return next(r["well"] for r in rows if r["tube_barcode"] == tube)


def _status(url: str) -> dict[str, int]:
    return dict(json.loads(run(url, "status", "day1", "--json").output)["results"])


def _rerun(url: str, tmp_path: Path) -> dict[str, str]:
    out = tmp_path / "rerun.csv"
    assert 0 == run(url, "rerun", "day1", "-o", str(out)).exit_code
    return {r["tube_barcode"]: r["reason"] for r in read_csv(out)}


def _import(url: str, path: Path, *extra: str) -> str:
    r = run(url, "results", "import", "day1", str(path), *extra)
    assert 0 == r.exit_code, r.output
    return r.output


HOT: Cts = {"ORF1ab": 24.0, "N": 25.0, "IC": 28.0}


@pytest.mark.parametrize("container", ["text", "workbook"])
def test_omitted_and_flagged_wells_are_never_cleared(plated: Plated, tmp_path: Path, container: str) -> None:
    """Omit true: no call, rerun reason "omitted on the instrument"; EXPFAIL on N of a
    well whose Cts read negative, BADROX on a positive one: invalid, the flags named in
    the rerun reason and in the tube's log; NOAMP on a target without a Ct stays an
    ordinary negative; the same on the text export and the workbook."""
    url, code, rows, tubes = plated
    omitted, flagged, flagged_hot, hot = tubes[0], tubes[1], tubes[2], tubes[3]
    wells = export_wells(rows, lambda t: HOT if t in (flagged_hot, hot) else NEGATIVE)
    flags = {
        (_well_of(rows, flagged), "N"): ("EXPFAIL",),
        (_well_of(rows, flagged_hot), "ORF1ab"): ("BADROX",),
    }
    omit = (_well_of(rows, omitted),)
    if container == "text":
        path = write_export(tmp_path / "run.txt", code, wells, omitted=omit, flags=flags)
    else:
        path = write_workbook(tmp_path / "run.xlsx", code, wells, omitted=omit, flags=flags)
    out = _import(url, path)
    assert "3 well(s) omitted or flagged on the instrument" in out, out
    assert f"  well {_well_of(rows, omitted)} omitted on the instrument (no call: on the rerun list)" in out
    expected = {"positive": 1, "negative": len(tubes) - 4, "inconclusive": 0, "invalid": 3}
    assert expected == _status(url)
    reasons = _rerun(url, tmp_path)
    assert {omitted, flagged, flagged_hot} == set(reasons)
    assert reasons[omitted].startswith(f"omitted on the instrument (plate {code} well {_well_of(rows, omitted)})")
    assert reasons[flagged].startswith("flagged by the instrument: EXPFAIL on N (plate")
    assert reasons[flagged_hot].startswith("flagged by the instrument: BADROX on ORF1ab (plate")
    log = run(url, "log", "day1", "--tube", flagged)
    assert 0 == log.exit_code, log.output
    assert f"instrument=well {_well_of(rows, flagged)} flagged by the instrument: EXPFAIL on N" in log.output
    campaign_log = run(url, "log", "day1").output
    assert "EXPFAIL on N" in campaign_log and "omitted on the instrument" in campaign_log


def test_design_and_analysis_inconclusive_and_quality_issues(plated: Plated, tmp_path: Path) -> None:
    """Design & Analysis: Amp Status INCONCLUSIVE or any Result Quality Issue voids the
    well; NO_AMP on a target without a Cq is an ordinary negative reading."""
    url, code, rows, tubes = plated
    a, b = tubes[0], tubes[1]
    wells = export_wells(rows)
    path = write_workbook(
        tmp_path / "run.xlsx",
        code,
        wells,
        "designandanalysis",
        amp_status={(_well_of(rows, a), "IC"): "INCONCLUSIVE"},
        quality={(_well_of(rows, b), "ORF1ab"): "Cq confidence low"},
    )
    out = _import(url, path)
    assert "(designandanalysis," in out
    assert {"positive": 0, "negative": len(tubes) - 2, "inconclusive": 0, "invalid": 2} == _status(url)
    reasons = _rerun(url, tmp_path)
    assert reasons[a].startswith("flagged by the instrument: INCONCLUSIVE on IC")
    assert reasons[b].startswith("flagged by the instrument: Cq confidence low on ORF1ab")


def test_a_kit_may_ignore_flags(plated: Plated, tmp_path: Path) -> None:
    """ignore_flags = ["NOISE"]: a NOISE well is called by its Cts; EXPFAIL still voids."""
    url, code, rows, tubes = plated
    kit = tmp_path / "lab.toml"
    kit.write_text('name = "lab"\nignore_flags = ["noise"]\n', encoding="utf-8")
    flags = {(_well_of(rows, tubes[0]), "N"): ("NOISE",), (_well_of(rows, tubes[1]), "N"): ("NOISE", "EXPFAIL")}
    path = write_export(tmp_path / "run.txt", code, export_wells(rows), flags=flags)
    out = _import(url, path, "--kit", str(kit))
    assert "ignoring flags NOISE" in out
    assert {"positive": 0, "negative": len(tubes) - 1, "inconclusive": 0, "invalid": 1} == _status(url)
    assert _rerun(url, tmp_path)[tubes[1]].startswith("flagged by the instrument: EXPFAIL on N (plate")


@pytest.mark.parametrize(
    ("well", "omit", "flags", "said"),
    [
        ("G12", True, None, "negative control G12 failed (omitted on the instrument)"),
        ("H12", False, ("THOLDFAIL",), "positive control H12 failed (flagged by the instrument: THOLDFAIL on N)"),
    ],
)
def test_an_omitted_or_flagged_control_fails_the_plate(
    plated: Plated, tmp_path: Path, well: str, omit: bool, flags: tuple[str, ...] | None, said: str
) -> None:
    """A control the instrument omitted or flagged proves nothing: the plate has no valid
    result, even though its Cts read as a passing control."""
    url, code, rows, tubes = plated
    path = write_export(
        tmp_path / "run.txt",
        code,
        export_wells(rows),
        omitted=(well,) if omit else (),
        flags={(well, "N"): flags} if flags else {},
    )
    out = _import(url, path)
    assert said in out
    assert len(tubes) == _status(url)["invalid"]
    assert all(said in reason for reason in _rerun(url, tmp_path).values())


def test_a_second_export_of_the_plate_cannot_clear_a_flagged_well(plated: Plated, tmp_path: Path) -> None:
    """The workbook flags a well (invalid); the same run's text export without flag
    columns says negative: refused (an export of the same plate is no re-run), the tube
    stays invalid; the flagged workbook again in another form is unchanged; only
    --amend --reason (a person's decision, kept) records the other call."""
    url, code, rows, tubes = plated
    flagged = tubes[5]
    flags = {(_well_of(rows, flagged), "ORF1ab"): ("SPIKE",)}
    _import(url, write_workbook(tmp_path / "run.xlsx", code, export_wells(rows), flags=flags))
    plain = write_export(tmp_path / "run.txt", code, export_wells(rows))
    r = run(url, "results", "import", "day1", str(plain))
    assert 1 == r.exit_code, r.output
    assert "it is invalid already" in r.output and "earlier export of this same plate" in r.output
    assert flagged in r.output
    assert 1 == _status(url)["invalid"]
    again = write_export(tmp_path / "again.txt", code, export_wells(rows), flags=flags)
    assert f"{len(tubes)} unchanged" in _import(url, again)
    out = _import(url, plain, "--amend", "--reason", "SPIKE checked by hand: a bubble, curve clean")
    assert "1 amended" in out
    assert 0 == _status(url)["invalid"]
    log = run(url, "log", "day1", "--tube", flagged).output
    assert "SPIKE on ORF1ab" in log and "reason=SPIKE checked by hand" in log


def test_an_amendment_keeps_the_flag(plated: Plated, tmp_path: Path) -> None:
    """A tube recorded negative, then amended from an export that flags it: the
    correction is invalid with the flag named (an amendment cannot drop the flag)."""
    url, code, rows, tubes = plated
    _import(url, write_export(tmp_path / "a.txt", code, export_wells(rows)))
    flags = {(_well_of(rows, tubes[0]), "IC"): ("PRFDROP",)}
    flagged = write_export(tmp_path / "b.txt", code, export_wells(rows), flags=flags)
    r = run(url, "results", "import", "day1", str(flagged))
    assert 1 == r.exit_code and "the file says invalid (flagged by the instrument: PRFDROP on IC)" in r.output
    _import(url, flagged, "--amend", "--reason", "instrument flags exported")
    assert _rerun(url, tmp_path)[tubes[0]].startswith("flagged by the instrument: PRFDROP on IC")


def test_a_flag_column_with_another_word_is_refused(plated: Plated, tmp_path: Path) -> None:
    """A flag cell that is neither Y nor N refuses the file, naming the line, well, flag
    and value; nothing is stored."""
    url, code, rows, _ = plated
    path = write_export(tmp_path / "run.txt", code, export_wells(rows), flags={})
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    at = next(i for i, line in enumerate(lines) if "\tB1\t" in line)
    cells = lines[at].split("\t")
    cells[-4] = "maybe"  # BADROX (NOAMP EXPFAIL THOLDFAIL BADROX NOISE SPIKE PRFDROP)
    lines[at] = "\t".join(cells)
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    r = run(url, "results", "import", "day1", str(path))
    assert 1 == r.exit_code
    assert f"{path}:{at + 1}: well B1 ORF1ab: flag column BADROX must be Y or N (value 'maybe')" in r.output
    assert 0 == sum(_status(url).values())
