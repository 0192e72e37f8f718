"""The library in the staff's language: under a Chinese locale the demo narrates in Chinese,
a refusal still names the file, line, field and value, and the retest labels' captions are
Chinese (the PDF's text layer, read back with pdftotext). English text is found by
``english_runs``: three or more English words in a row, once command lines, file names,
barcodes and other machine words are set aside."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from poolab.errors import InputRejected, PoolabError
from poolab.i18n import use_language
from tests.paper_scan import pdf_text

# A command line: poolab, then its options, words and file names (no CJK, no sentence punctuation).
_COMMAND = re.compile(r"poolab(?: +(?:--?[a-z][\w-]*|[\w./:=+@'\"\[\]-]+(?<![:;,])))*")
# Tokens that are no words of a sentence: paths, file names, URLs, barcodes, IDs, variables.
_MACHINE = re.compile(r"\S*[-/._=@\\\d]\S*")
_RUN = re.compile(r"[A-Za-z]+(?:'[a-z]+)?(?:[ ,]+[A-Za-z]+(?:'[a-z]+)?){2,}")


def english_runs(text: str) -> list[str]:
    """Runs of three or more English words in ``text``, outside commands and machine words."""
    runs = []
    for line in text.splitlines():
        line = _COMMAND.sub(" \u3000 ", line)  # a command breaks a run: it is not part of the sentence
        line = _MACHINE.sub(" \u3000 ", line)
        runs += [m.group(0) for m in _RUN.finditer(line)]
    return runs


def test_english_runs_can_fail() -> None:
    """The detector finds an English sentence, and passes Chinese with commands, files and codes."""
    assert ["tubes received, refused"] == english_runs("已接收 5 支 tubes received, refused 0")
    assert 1 == len(english_runs("day1: the tube goes on to 3号楼"))
    assert [] == english_runs("下一步：poolab retest day1 -o day1-retest.csv --operator 张三")
    assert [] == english_runs("2986 行 -> manifest.csv；已导入 4 个 QuantStudio 导出文件；P000000007S")
    assert [] == english_runs("请安装 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）或设 POOLAB_CJK_FONT")


def _poolab(*args: str, cwd: Path, lang: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"}}
    return subprocess.run(
        [sys.executable, "-c", "from poolab_cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env={**clean, "POOLAB_LANG": lang, "LANG": "C.UTF-8"},
        cwd=cwd,
        timeout=900,
    )


_SMALL_DEMO = ("--residents", "3000", "--households", "1800", "--compounds", "4", "--infected", "6")


@pytest.mark.slow
def test_the_demo_speaks_chinese(tmp_path: Path) -> None:
    """POOLAB_LANG=zh poolab demo (two days, with paper) prints no English sentence: the
    steps the library narrates, the totals and verdicts around them; the retest labels say
    whose retest they are in Chinese."""
    r = _poolab(
        "demo", *_SMALL_DEMO, "--plate-size", "96", "--days", "2", "--paper", "--folder", "d", cwd=tmp_path, lang="zh"
    )
    assert 0 == r.returncode, r.stderr
    steps = [line for line in r.stdout.splitlines() if line.startswith("  ")]
    assert len(steps) >= 20  # both days' steps were printed
    assert any("单采单检名单" in line for line in steps) and any("第 2 天" in line for line in steps)
    assert [] == english_runs(r.stdout + r.stderr)
    text = "".join(pdf_text(tmp_path / "d" / "retest-labels.pdf"))
    assert "的单采单检" in text
    assert "retest of" not in text


def _roster(tmp: Path, edit: dict[tuple[int, str], str]) -> Path:
    """A small roster CSV with some cells changed: (data row, column) -> value."""
    from poolab.roster.file import write_roster_csv
    from poolab.roster.synthetic import generate_district

    path = tmp / "roster.csv"
    write_roster_csv(generate_district(residents=40, households=20, compounds=2, seed=3), path)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    for (row, column), value in edit.items():
        cells = lines[row].split(",")
        cells[header.index(column)] = value
        lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("household_id", "", "缺少必填字段 household_id"),
        ("id_number", "230102198001011235", "身份证号（id_number）校验位不对"),
        ("id_number", "2301021980010112", "身份证号（id_number）应为 18 位"),
    ],
)
def test_a_roster_refusal_in_chinese_names_file_line_field_and_value(
    tmp_path: Path, column: str, value: str, said: str
) -> None:
    """A bad roster line, refused under zh: the file, the line, the field and the value, in Chinese."""
    from poolab.masking import redact
    from poolab.roster.file import read_roster

    path = _roster(tmp_path, {(3, column): value})
    with use_language("zh"):
        with pytest.raises(InputRejected) as caught:
            read_roster(path)
        error = caught.value
        shown, whole = str(error.problems[0]), str(error)  # a problem is put in words when shown
    assert 1 == len(error.problems)
    assert shown.startswith(f"{path}:4：")  # file and line (data row 3 is the file's line 4)
    assert said in shown and f"值 '{redact(value)}'" in shown
    assert error.summary == f"{path}：1 处问题；什么也没有导入"
    assert [] == english_runs(whole)
    with use_language("en"), pytest.raises(InputRejected) as english:
        read_roster(path)
    assert not _chinese(str(english.value))  # the same refusal in English outside zh


def test_a_file_in_another_encoding_is_refused_in_chinese(tmp_path: Path) -> None:
    """A roster saved as UTF-16: refused under zh naming the file, the line and the bytes."""
    from poolab.roster.file import read_roster

    path = _roster(tmp_path, {})
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    with use_language("zh"):
        with pytest.raises(InputRejected) as caught:
            read_roster(path)
        shown = [str(p) for p in caught.value.problems]
    assert caught.value.summary.startswith(f"{path}：文件不是 UTF-8")
    assert 1 == len(shown) and shown[0].startswith(f"{path}:1：文件不是 UTF-8 或 GB18030 编码")
    assert shown[0].endswith("（值 'ff fe'）")
    assert [] == english_runs(caught.value.summary + "\n" + shown[0])


@pytest.mark.store
def test_bench_refusals_in_chinese(store: object, tmp_path: Path) -> None:
    """A tube scanned twice at reception and a result word that is no call: each refusal in
    Chinese names the file, the line, the field (where there is one) and the value."""
    from poolab.field.campaigns import create_campaign
    from poolab.field.sampling import mark_collected, write_manifest
    from poolab.field.scans import scan_lines
    from poolab.lab.reception import receive
    from poolab.lab.results import import_results
    from poolab.roster.importing import import_roster

    import_roster(store, _roster(tmp_path, {}), operator="t")  # type: ignore[arg-type]
    create_campaign(store, "d1", operator="t")  # type: ignore[arg-type]
    write_manifest(store, "d1", tmp_path / "m.csv")  # type: ignore[arg-type]
    mark_collected(store, "d1", operator="t")  # type: ignore[arg-type]
    tubes = list(dict.fromkeys(line.split(",")[0] for line in (tmp_path / "m.csv").read_text().splitlines()[1:]))
    scans = tmp_path / "scans.txt"
    scans.write_text(f"{tubes[0]}\n{tubes[1]}\n{tubes[0]}\n", encoding="utf-8")
    with use_language("zh"):
        summary = receive(store, "d1", scan_lines(scans), source="scans.txt", operator="t")  # type: ignore[arg-type]
        shown = [str(p) for p in summary.problems]
    assert 2 == summary.accepted
    assert [f"scans.txt:3：采样管扫了两次（第 1 行已扫过）（值 '{tubes[0]}'）"] == shown
    results = tmp_path / "res.csv"
    results.write_text(f"tube_barcode,result\n{tubes[0]}, negative\n{tubes[2]},positive\n", encoding="utf-8")
    with use_language("zh"):
        with pytest.raises(InputRejected) as caught:
            import_results(store, "d1", results, operator="t")  # type: ignore[arg-type]
        [never] = [str(p) for p in caught.value.problems]
    assert f"{results}:3：这支管还没接收就有了结果（请先扫码接收：poolab receive）（值 '{tubes[2]}'）" == never
    results.write_text(f"tube_barcode,result\n{tubes[0]}, negative\n{tubes[1]},也许\n", encoding="utf-8")
    with use_language("zh"):
        with pytest.raises(InputRejected) as caught:
            import_results(store, "d1", results, operator="t")  # type: ignore[arg-type]
        [bad] = [str(p) for p in caught.value.problems]
        whole = str(caught.value)
    assert bad.startswith(f"{results}:3：result 只能是 positive")
    assert bad.endswith("（值 '也许'）")
    assert [] == english_runs(whole.replace("positive, negative, inconclusive, invalid", ""))
    with use_language("zh"), pytest.raises(PoolabError) as missing:
        import_results(store, "nowhere", results, operator="t")  # type: ignore[arg-type]
    assert str(missing.value) == "没有轮次 'nowhere'；现有轮次：d1"


def test_the_meter_counts_in_chinese(tmp_path: Path) -> None:
    """A long roster import under zh: the meter's step, unit and rate are Chinese (the step
    name comes from the library, translated where it reports progress)."""
    import io

    from poolab.files.meter import QUIET_SECONDS, TerminalMeter
    from poolab.roster.importing import import_roster
    from poolab.store.engine import init_store

    now = [0.0]
    out = io.StringIO()
    meter = TerminalMeter(out, clock=lambda: now[0])

    def progress(step: str, fraction: float, rows: int) -> None:
        meter(step, 0.0, 0)  # the step starts (a step already started goes on)
        now[0] += QUIET_SECONDS  # every block seems slow, so the meter draws
        meter(step, fraction, rows)

    store, _created = init_store(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with use_language("zh"):
            import_roster(store, _roster(tmp_path, {}), operator="t", progress=progress)
            meter.finish()
    finally:
        store.dispose()
    line = out.getvalue().strip().split("\r")[-1]
    assert line.startswith("导入花名册：100.0%  40 行  ")
    assert line.endswith(" 行/秒")
    assert [] == english_runs(out.getvalue())


def test_chinese_refusals_group_by_reason() -> None:
    """A stream's refusals in Chinese group as the English ones do: the detail after （ or ：
    (which line, when, by whom) is not part of the reason."""
    from datetime import UTC, datetime

    from poolab.errors import Problem
    from poolab.files.problems import group_by_reason
    from poolab.when import when

    with use_language("zh"):
        from poolab.i18n import _

        here = _("tube scanned twice (first at line {line})").format(line=1)
        earlier = _("tube scanned twice: already received at {when} by {operator}").format(
            when=when(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)), operator="李四"
        )
    problems = [Problem("s.txt", 2, "P1", here), Problem("s.txt", 3, "P2", earlier), Problem("s.txt", 4, "P3", here)]
    groups = group_by_reason(problems)
    assert [("采样管扫了两次", 3)] == [(g.reason, g.count) for g in groups]
