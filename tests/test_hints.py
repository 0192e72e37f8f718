"""The `next:` hints: the right command after each step, ready to paste into a shell."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from poolab_cli.main import cli
from tests.workflow import read_csv, run, write_results


def hinted(output: str) -> list[list[str]]:
    """The commands of the output's hint line, each as the words a shell would pass."""
    line = output[output.index("next") :] if output.startswith("next") else output[output.index("\nnext") + 1 :]
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for word in lexer:
        if word == ";":
            commands.append([])
        else:
            commands[-1].append(word)
    return [c[c.index("poolab") :] for c in commands]


@pytest.fixture
def day(store_url: str, small_roster_csv: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """A campaign `c` whose first three pool tubes are received."""
    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(small_roster_csv)).exit_code
    assert 0 == run(store_url, "campaign", "new", "c").exit_code
    run(store_url, "manifest", "c", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(r["tube_barcode"] for r in read_csv(tmp_path / "m.csv")))
    assert 0 == run(store_url, "receive", "c", "-", input="\n".join(codes[:3]) + "\n").exit_code
    return store_url, codes[:3]


@pytest.mark.store
def test_each_step_hints_the_next(day: tuple[str, list[str]], tmp_path: Path) -> None:
    """Pool results lead to retest and rerun; rerun to a new plate, then the re-run's
    results; retest results to positives (not back to retest)."""
    url, codes = day
    db = ["poolab", "--db", url]
    pools = write_results(tmp_path / "p.csv", [(codes[0], "positive", "30", "31"), (codes[1], "invalid", "", "")])
    r = run(url, "results", "import", "c", str(pools))
    assert [[*db, "retest", "c", "-o", "c-retest.csv"], [*db, "rerun", "c", "-o", "c-rerun.csv"]] == hinted(r.output)
    r = run(url, "rerun", "c", "-o", str(tmp_path / "rr.csv"))
    expected = [[*db, "plate", "new", "c", "-o", "c-plates-rerun.csv"], [*db, "results", "import", "c", "FILE"]]
    assert expected == hinted(r.output)
    assert 0 == run(url, "retest", "c", "-o", str(tmp_path / "rt.csv")).exit_code
    retests = [row["retest_tube_barcode"] for row in read_csv(tmp_path / "rt.csv")]
    assert 0 == run(url, "receive", "c", "-", input="\n".join(retests) + "\n").exit_code
    calls = [(code, "positive" if i == 0 else "negative", "", "") for i, code in enumerate(retests)]
    r = run(url, "results", "import", "c", str(write_results(tmp_path / "s.csv", calls)))
    assert 0 == r.exit_code, r.output
    assert [[*db, "positives", "c", "-o", "c-positives.csv"]] == hinted(r.output)


@pytest.mark.store
def test_hints_leave_out_a_store_named_by_poolab_db(day: tuple[str, list[str]], tmp_path: Path) -> None:
    """With POOLAB_DB set, the hints say `poolab rerun c ...`, not `poolab --db URL rerun c ...`."""
    url, codes = day
    pools = write_results(tmp_path / "p.csv", [(codes[0], "negative", "", "")])
    r = CliRunner().invoke(cli, ["results", "import", "c", str(pools)], env={"POOLAB_DB": url})
    assert 0 == r.exit_code, r.output
    assert "--db" not in r.output
    assert [["poolab", "retest", "c", "-o", "c-retest.csv"], ["poolab", "rerun", "c", "-o", "c-rerun.csv"]] == hinted(
        r.output
    )


@pytest.mark.parametrize("name", ["day 1", "day 1's", "day\n1", "$(rm -rf ~)", "-o"])
def test_every_value_in_a_hint_is_one_shell_word(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A campaign name with spaces, quotes, a newline or shell syntax is one argument when pasted."""
    from poolab_cli.common import AppContext, hint, next_step

    app = AppContext("sqlite:///my store.db", "t", db_typed=True)
    next_step(app, hint("retest", name, "-o", f"{name}-retest.csv"), hint("receive", name, when="as tubes arrive"))
    out = capsys.readouterr().out
    expected = [
        ["poolab", "--db", "sqlite:///my store.db", "retest", name, "-o", f"{name}-retest.csv"],
        ["poolab", "--db", "sqlite:///my store.db", "receive", name],
    ]
    assert expected == hinted(out)
