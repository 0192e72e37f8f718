"""The README's "A day in a district" runs as written, and every barcode the README, the
docs and the help show is one poolab could have issued (its check character right)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from poolab.barcodes import has_valid_check
from poolab_cli.main import cli
from tests.workflow import read_csv

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def day_in_a_district() -> list[str]:
    """The command lines of the README's "A day in a district" block."""
    section = README.read_text(encoding="utf-8").split("\n## A day in a district\n", 1)[1]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


@pytest.mark.slow
def test_a_day_in_a_district_runs_as_written(tmp_path: Path) -> None:
    """Every line of the block, in an empty folder, in order, succeeds (results enter is
    ended with q); the day ends with its confirmed positives, its status and a tube's log."""
    assert Path.cwd() == tmp_path and [] == list(tmp_path.iterdir())
    said: dict[str, str] = {}
    lines = day_in_a_district()
    assert "poolab demo --files ." == lines[0].split("#")[0].strip()
    for line in lines:
        words = shlex.split(line, comments=True)
        assert "poolab" == words[0], line
        keyed = words[1:3] == ["results", "enter"]
        r = CliRunner().invoke(
            cli,
            words[1:],
            input="q\n" if keyed else None,
            env={"POOLAB_DB": None, "POOLAB_OPERATOR": None},
            catch_exceptions=False,
        )
        assert 0 == r.exit_code, f"{line}\n{r.output}"
        said[" ".join(words[1:3])] = r.output
    positives = read_csv(tmp_path / "day1-positives.csv")
    status = json.loads(said["status day1"])
    assert 0 < len(positives) == status["confirmed_positive"] == status["individual_results"]["positive"]
    assert status["pool_results"]["positive"] > 0 and status["pool_results"]["invalid"] == 1
    assert 1 == len(read_csv(tmp_path / "day1-rerun.csv"))
    tube_log = said["log day1"].splitlines()
    assert ["created", "collected", "received", "plated"] == [line.split()[3] for line in tube_log]


DOCUMENTED = [README, *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "cli").glob("*.py"))]
_CODE_LIKE = re.compile(r"(?<![A-Za-z0-9])[PSL][0-9]{9}[0-9A-Z]?(?![A-Za-z0-9])")


@pytest.mark.parametrize("path", DOCUMENTED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_barcode_shown_is_a_real_one(path: Path) -> None:
    """A tube or plate barcode in an example has its check character, and the right one."""
    codes = _CODE_LIKE.findall(path.read_text(encoding="utf-8"))
    assert [] == [c for c in codes if len(c) != 11 or not has_valid_check(c)]


def test_demo_files_never_replace_other_files(tmp_path: Path) -> None:
    """The rehearsal's files written again are the same bytes (no refusal); a file of the same
    name holding something else is refused, naming it, and kept; --force replaces it."""
    small = ["--residents", "2000", "--households", "1200", "--compounds", "3", "--infected", "5"]
    runner = CliRunner()
    r = runner.invoke(cli, ["demo", "--files", "day", *small], catch_exceptions=False)
    assert 0 == r.exit_code, r.output
    written = {p.name: p.read_bytes() for p in (tmp_path / "day").iterdir()}
    assert {"field-scans.txt", "reception-scans.txt", "retest-scans.txt", "retest-results.csv"} < set(written)
    assert "poolab roster demo -o district.csv --residents 2000 --households 1200 --compounds 3" in r.output
    assert 0 == runner.invoke(cli, ["demo", "--files", "day", *small], catch_exceptions=False).exit_code
    mine = tmp_path / "day" / "field-scans.txt"
    mine.write_text("P0000000013\n", encoding="utf-8")
    r = runner.invoke(cli, ["demo", "--files", "day", *small], catch_exceptions=False)
    assert 1 == r.exit_code and "field-scans.txt exists and holds something else" in r.output
    assert "P0000000013\n" == mine.read_text(encoding="utf-8")
    assert 0 == runner.invoke(cli, ["demo", "--files", "day", *small, "--force"], catch_exceptions=False).exit_code
    assert written == {p.name: p.read_bytes() for p in (tmp_path / "day").iterdir()}
