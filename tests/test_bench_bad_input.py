"""Bad input at the bench: each refused naming the file, the line or well, and the value;
nothing stored."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.bench import Cts, export_wells, plate_maps, received_campaign, write_export
from tests.workflow import run

pytestmark = pytest.mark.store


@pytest.fixture
def plated(store_url: str, small_roster_csv: Path, tmp_path: Path) -> tuple[str, str, list[dict[str, str]], list[str]]:
    """A store with one plate mapped: (url, plate barcode, map rows, tubes)."""
    tubes = received_campaign(store_url, small_roster_csv, tmp_path)
    assert 0 == run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "p.csv")).exit_code
    ((code, rows),) = plate_maps(tmp_path / "p.csv").items()
    return store_url, code, rows, tubes


def _resulted(url: str) -> int:
    return int(json.loads(run(url, "status", "day1", "--json").output)["tubes"]["resulted"])


def _refused(url: str, path: Path, *needles: str, extra: tuple[str, ...] = ()) -> None:
    r = run(url, "results", "import", "day1", str(path), *extra)
    assert 1 == r.exit_code, r.output
    assert "Traceback" not in r.output and str(path) in r.output
    for needle in needles:
        assert needle in r.output, r.output
    assert 0 == _resulted(url)


def test_well_outside_the_plate(plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path) -> None:
    """A well beyond H12 on a 96-well plate names its line and the value."""
    url, code, rows, _ = plated
    wells = export_wells(rows)
    wells.append(("I13", "sample", "", {"ORF1ab": None, "N": None, "IC": 28.0}))
    _refused(url, write_export(tmp_path / "x.txt", code, wells), "well outside the 96-well plate", "'I13'")


def test_duplicate_well_target_row(plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path) -> None:
    """Two rows for one well and target: refused with both lines."""
    url, code, rows, _ = plated
    path = write_export(tmp_path / "x.txt", code, export_wells(rows))
    text = path.read_bytes().decode("utf-8")
    first = next(line for line in text.split("\r\n") if "\tA1\t" in line)
    path.write_bytes(text.replace(first, first + "\r\n" + first, 1).encode("utf-8"))
    _refused(url, path, "duplicate row for well A1 and target ORF1ab")


def test_target_the_kit_does_not_know(plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path) -> None:
    """A target outside the kit (E gene under the ORF1ab/N kit) names the target and well."""
    url, code, rows, _ = plated
    wells = export_wells(rows)
    w, k, s, cts = wells[0]
    wells[0] = (w, k, s, {**cts, "E": 30.0})
    _refused(
        url, write_export(tmp_path / "x.txt", code, wells), "well A1: a target the kit default does not know", "'E'"
    )


def test_targets_that_do_not_match_the_kit_are_said_first(
    plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path
) -> None:
    """A file whose targets are not the kit's: the first line names the file's targets and
    the kit's; each row's line follows with the target once (no cascade of "no row for
    ORF1ab" lines); the problems file carries the file's real line numbers."""
    url, code, rows, _ = plated
    wells: list[tuple[str, str, str, Cts]] = [
        (w, k, s, {"E": None, "RdRP": None, "IC": cts["IC"]}) for w, k, s, cts in export_wells(rows)
    ]
    path = write_export(tmp_path / "x.txt", code, wells)
    r = run(url, "results", "import", "day1", str(path))
    assert 1 == r.exit_code
    first = r.output.splitlines()[0]
    assert (
        f"Error: {path}: the file's targets are E, RdRP, IC; the kit default expects ORF1ab, N and the "
        "internal control IC"
    ) in first
    assert "has no row for" not in r.output
    assert f"{path}:11: well A1: a target the kit default does not know (value 'E')" in r.output
    with open(f"{path}.problems.csv", encoding="utf-8", newline="") as f:
        problems = list(csv.DictReader(f))
    assert 2 * len(wells) == len(problems)  # E and RdRP of every well; IC is the kit's
    assert all(int(p["line"]) >= 11 for p in problems)
    assert "E" == problems[0]["value"]


def test_ct_that_is_not_a_number(plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path) -> None:
    """A Ct that is not a number, Undetermined or NaN names the well, its line and the value."""
    url, code, rows, _ = plated
    path = write_export(tmp_path / "x.csv", code, export_wells(rows), "cfx")
    text = path.read_text(encoding="utf-8").replace(",A01,FAM,ORF1ab,Unkn,", ",A01,FAM,ORF1ab,Unkn,", 1)
    lines = text.split("\n")
    lines[1] = lines[1].replace(",NaN,NaN,0", ",3l.2,NaN,0")
    path.write_text("\n".join(lines), encoding="utf-8")
    _refused(url, path, f"{path}:2", "Ct is not a number, Undetermined or NaN", "'3l.2'", extra=("--plate", code))


def test_export_for_a_plate_that_does_not_exist(
    plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path
) -> None:
    """An export naming an unknown plate (or --plate one) is refused naming it."""
    url, _code, rows, _ = plated
    _refused(url, write_export(tmp_path / "x.txt", "L999999999Z", export_wells(rows)), "no plate L999999999Z")
    path = write_export(tmp_path / "y.csv", "", export_wells(rows), "cfx")
    _refused(url, path, "does not name its plate", "--plate")


def test_sample_well_without_rows_and_wrong_plate(
    plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path
) -> None:
    """A mapped tube with no rows in the export (a cut-off file) and a --plate that is not
    the file's own are refused."""
    url, code, rows, tubes = plated
    _refused(url, write_export(tmp_path / "x.txt", code, export_wells(rows)[1:]), "well A1", tubes[0], "has no row for")
    r = run(
        url,
        "results",
        "import",
        "day1",
        str(write_export(tmp_path / "z.txt", code, export_wells(rows))),
        "--plate",
        "L999999999Z",
    )
    assert 1 == r.exit_code and f"the export names plate {code}, --plate says L999999999Z" in r.output


def _map(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    path.write_text(
        "plate_barcode,well,kind,tube_barcode\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_plate_map_naming_a_tube_twice_or_without_controls(
    store_url: str, small_roster_csv: Path, tmp_path: Path
) -> None:
    """plate import: a tube twice, a well twice, a bad well, a plate without controls,
    an unreceived or foreign tube: all listed with their lines; no plate is stored."""
    tubes = received_campaign(store_url, small_roster_csv, tmp_path)
    rows = [
        ("LAB-7", "A1", "sample", tubes[0]),
        ("LAB-7", "B1", "sample", tubes[0]),
        ("LAB-7", "A1", "sample", tubes[1]),
        ("LAB-7", "Z9", "sample", tubes[2]),
        ("LAB-7", "C1", "sample", "P000000001X"),
        ("LAB-7", "H12", "positive_control", ""),
        ("LAB-8", "A1", "sample", tubes[3]),
    ]
    r = run(store_url, "plate", "import", "day1", str(_map(tmp_path / "m.csv", rows)))
    assert 1 == r.exit_code
    for needle in (
        ":3: tube named twice in the plate map (first at line 2)",
        ":4: well A1 of plate LAB-7 twice",
        ":5: not a well name",
        ":6: wrong check character",
        "plate has no negative control well",
        ":8: plate has no positive control well",
    ):
        assert needle in r.output, r.output
    assert "no plates in day1" in run(store_url, "plate", "list", "day1").output


def test_plate_map_import_then_export_through_it(store_url: str, small_roster_csv: Path, tmp_path: Path) -> None:
    """A good plate map from the lab's own system imports once (again: a no-op), its tubes
    can go on no other plate, and its export resolves them."""
    tubes = received_campaign(store_url, small_roster_csv, tmp_path)
    rows = [("LAB-7", f"A{i + 1:02d}", "sample", t) for i, t in enumerate(tubes[:5])]
    rows += [("LAB-7", "H12", "positive_control", ""), ("LAB-7", "G12", "negative_control", "")]
    path = _map(tmp_path / "m.csv", rows)
    r = run(store_url, "plate", "import", "day1", str(path))
    assert 0 == r.exit_code and "1 plate(s), 5 tubes" in r.output, r.output
    assert "already imported" in run(store_url, "plate", "import", "day1", str(path)).output
    again = _map(tmp_path / "m2.csv", [("LAB-9", "A1", "sample", tubes[0]), *rows[5:]])
    r = run(store_url, "plate", "import", "day1", str(again))
    assert 1 == r.exit_code and "is on plate LAB-7 already (well A1)" in r.output
    r = run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "rest.csv"))
    assert 0 == r.exit_code and f"{len(tubes) - 5} tubes" in r.output
    wells = [(f"A{i + 1}", "sample", t, {"ORF1ab": None, "N": None, "IC": 26.0}) for i, t in enumerate(tubes[:5])]
    wells += [
        ("H12", "positive_control", "", {"ORF1ab": 30.0, "N": 30.0, "IC": None}),
        ("G12", "negative_control", "", {"ORF1ab": None, "N": None, "IC": None}),
    ]
    long = tmp_path / "lab7.csv"
    long.write_text(
        "well,target,ct,sample\n"
        + "".join(f"{w},{t},{'' if c is None else c},{s}\n" for w, _k, s, cts in wells for t, c in cts.items()),
        encoding="utf-8",
    )
    r = run(store_url, "results", "import", "day1", str(long), "--plate", "lab-7")
    assert 0 == r.exit_code and "5 negative" in r.output, r.output
