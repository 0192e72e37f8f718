"""The reports a person reads, in the staff's language: ``status``, ``rounds``,
``estimate``, ``log``, ``plan`` and ``simulate`` run as a person runs them (``poolab`` in a
process of its own, the language from the environment). Under ``POOLAB_LANG=zh`` their
headings are Chinese and no English sentence is left; their tables stay in line though
Chinese characters are two columns wide; ``--json`` is the same in both languages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from poolab.reports.columns import left, right, width
from tests.test_serve import _district

pytestmark = [pytest.mark.store, pytest.mark.slow]

# what stays as it is in Chinese: the campaign's name, barcodes, design names typed back
# (dorfman:10, individual), the figures' own names (PSe, PSp, PPV ...), Se/Sp and Holm's test, and the
# store's own words in the log (an operator's name, an action named after its command, a
# detail as key=value: what --json gives)
KEPT = re.compile(
    r"day1|[A-Z]\d{9}[0-9A-Z]|dorfman(:\d+)?|individual|PPPV|PNPV|PPV|NPV|PSe|PSp|Se|Sp|Holm|\bp\b|--json"
    r"|simulated|\w+\.\w+|\w+=\S*"
)
ENGLISH = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def poolab(db: str, *args: str, lang: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``poolab --db DB ARGS`` in a process of its own, under the language variables ``lang``."""
    clean = {
        k: v for k, v in os.environ.items() if k not in {"LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "POOLAB_LANG"}
    }
    return subprocess.run(
        [sys.executable, "-c", "from poolab_cli.main import main; main()", "--db", db, *args],
        capture_output=True,
        text=True,
        env={**clean, **lang},
        timeout=300,
    )


ZH = {"POOLAB_LANG": "zh", "LANG": "C.UTF-8"}
EN = {"LANG": "C.UTF-8"}


def english_left(text: str) -> list[str]:
    """The English words of ``text`` once what stays as it is (``KEPT``) is taken out."""
    return ENGLISH.findall(KEPT.sub(" ", text))


@pytest.fixture
def day(store_url: str, small_roster_csv: Path) -> str:
    """A district's day eight hours in: pools resulted, retests under way, tubes late."""
    _district(store_url, small_roster_csv)
    return store_url


ACCURACY = ("--se", "0.95,0.98", "--sp", "0.99")  # the simulated day has inconclusive pools cleared alone

REPORTS = {
    "status": (("status", "day1", "--missing"), ["混采管", "单采单检", "确认阳性居民", "周转时间", "超时"]),
    "rounds": (("rounds", "day1"), ["轮次", "已采样", "初筛阳性", "感染率（95% 区间）", "连续"]),
    "estimate": (("estimate", "day1", *ACCURACY, "--by", "compound"), ["感染率", "小区", "95% 区间", "高于全区"]),
    "estimate by building": (("estimate", "day1", *ACCURACY, "--by", "building"), ["楼栋", "高于全区"]),
    "log": (("log", "day1", "--tube", "P000000001Z"), []),
    "plan advise": (("plan", "advise", "day1", *ACCURACY), ["轮次", "感染率", "方案", "区间下限", "估计值"]),
}


@pytest.mark.parametrize("report", list(REPORTS))
def test_a_day_reads_in_chinese(day: str, report: str) -> None:
    """Under POOLAB_LANG=zh each report of the day has its Chinese headings and no English sentence."""
    args, headings = REPORTS[report]
    if report == "log":  # a tube that is really in the campaign: the first of the status list
        status = json.loads(poolab(day, "status", "day1", "--json", "--missing", lang=EN).stdout)
        args = ("log", "day1", "--tube", status["missing"]["awaiting_receipt"][0])
    zh = poolab(day, *args, lang=ZH)
    assert 0 == zh.returncode, zh.stderr
    assert CJK.search(zh.stdout)
    assert [h for h in headings if h not in zh.stdout] == []
    assert [] == english_left(zh.stdout + zh.stderr), zh.stdout
    en = poolab(day, *args, lang=EN)
    assert 0 == en.returncode, en.stderr
    assert english_left(en.stdout)  # the check above can fail: English is found when it is there


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "opchar", "-d", "dorfman:10", "-p", "0.01", "--dilution"),
        ("plan", "opchar", "-d", "dorfman:10", "-p", "0.01", "--residents", "95"),
        ("plan", "optimize", "-f", "dorfman", "-p", "0.01"),
        ("plan", "optimize", "-f", "dorfman", "-p", "0.4"),
        ("simulate", "-d", "dorfman:10", "-n", "500", "-p", "0.01", "-r", "20"),
    ],
)
def test_plans_read_in_chinese(tmp_path: Path, args: tuple[str, ...]) -> None:
    """The planner's reports under POOLAB_LANG=zh: Chinese words, the design and figure names as typed."""
    db = f"sqlite:///{tmp_path / 'unused.db'}"
    zh = poolab(db, *args, lang=ZH)
    assert 0 == zh.returncode, zh.stderr
    assert "方案" in zh.stdout or "逐人单检" in zh.stdout
    assert [] == english_left(zh.stdout + zh.stderr), zh.stdout + zh.stderr


def test_json_is_the_same_in_both_languages(day: str) -> None:
    """--json is for machines: byte for byte the same under POOLAB_LANG=zh as under C.UTF-8."""
    for args in (("rounds", "day1", "--json"), ("estimate", "day1", *ACCURACY, "--by", "compound", "--json")):
        zh, en = poolab(day, *args, lang=ZH), poolab(day, *args, lang=EN)
        assert (0, 0) == (zh.returncode, en.returncode), zh.stderr + en.stderr
        assert en.stdout == zh.stdout


def test_rounds_table_stays_in_line_in_chinese(day: str) -> None:
    """Each figure of a round ends in the same terminal column as its Chinese heading."""
    zh = poolab(day, "rounds", "day1", lang=ZH)
    header, row = zh.stdout.splitlines()[:2]
    head_ends = [width(header[: m.end()]) for m in re.finditer(r"\S+", header)][:8]
    row_ends = [width(row[: m.end()]) for m in re.finditer(r"\S+", row)][:8]
    assert head_ends[1:] == row_ends[1:]  # sampled .. new positives: right-aligned under their headings
    assert header.index("已采样") > 0 and width(header.split("已采样")[0]) == 16 + 1 + 8 - width("已采样")


def test_columns_count_wide_characters_twice() -> None:
    """A Chinese character takes two columns; a combining mark none; padding never cuts."""
    assert (4, 5, 1) == (width("轮次"), width("a轮次"), width("e\u0301"))
    assert ("轮次  |", "  轮次|") == (left("轮次", 6) + "|", right("轮次", 6) + "|")
    assert "混采管" == left("混采管", 2)


def test_refusals_are_chinese_and_still_name_the_value(day: str, tmp_path: Path) -> None:
    """A refusal under POOLAB_LANG=zh is one Chinese line that still names what was wrong:
    the design typed, the value, the pools whose results contradict the assay."""
    db = f"sqlite:///{tmp_path / 'unused.db'}"
    for args, named in (
        (("plan", "opchar", "-d", "dorfman:1", "-p", "0.01"), "'dorfman:1'"),
        (("plan", "opchar", "-d", "dorfman:10", "-p", "1.5"), "1.5"),
        (("plan", "opchar", "-d", "hier:5-10", "-p", "0.01"), "'hier:5-10'"),
    ):
        zh = poolab(db, *args, lang=ZH)
        assert 0 != zh.returncode
        lines = zh.stderr.strip().splitlines()
        assert 1 == len(lines) and named in lines[0] and CJK.search(lines[0]), zh.stderr
        assert "Traceback" not in zh.stderr
    zh = poolab(day, "estimate", "day1", lang=ZH)  # Se = Sp = 1 cannot explain an inconclusive pool cleared alone
    assert 0 != zh.returncode and "感染率" in zh.stderr and "--se" in zh.stderr
    assert re.search(r"混采管 [A-Z]\d{9}[0-9A-Z] 为可疑", zh.stderr), zh.stderr
    en = poolab(day, "estimate", "day1", lang=EN)
    assert "no prevalence explains these results" in en.stderr and not CJK.search(en.stderr)
